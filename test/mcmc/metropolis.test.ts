import { describe, expect, it } from "vitest";
import { Rng } from "../../src/runtime/rng";
import { meanAndSE } from "../../src/runtime/check";
import { metropolisHastings } from "../../src/mcmc/metropolis";

// Target N(m, s²), log π up to a constant.
const m = 2;
const s = 0.5;
const logTarget = (z: Float64Array, C: number) => Float64Array.from({ length: C }, (_, c) => -0.5 * ((z[c] - m) / s) ** 2);

describe("Metropolis–Hastings", () => {
  it("leaves a known 1-D target invariant: chains started from π keep its mean and variance", async () => {
    const r = new Rng(7);
    const C = 4000;
    const init = Float64Array.from({ length: C }, () => m + s * r.normal());
    const res = await metropolisHastings({ logTarget, init, dim: 1, steps: 30, thin: 30, proposalScale: 0.8, rng: r });
    expect(res.kept).toBe(1);
    const last = res.samples; // one state per chain, after 30 steps
    const { mean, se } = meanAndSE(last);
    expect(Math.abs(mean - m)).toBeLessThan(4 * se);
    // variance of a normal sample: SE of s² estimate ≈ s²·sqrt(2/(C−1))
    const v = last.reduce((a, x) => a + (x - mean) ** 2, 0) / (C - 1);
    expect(Math.abs(v - s * s)).toBeLessThan(4 * s * s * Math.sqrt(2 / (C - 1)));
    expect(res.acceptanceRate).toBeGreaterThan(0.2);
    expect(res.acceptanceRate).toBeLessThan(0.9);
  });

  it("converges to the target from a bad start", async () => {
    const r = new Rng(8);
    const C = 2000;
    const res = await metropolisHastings({ logTarget, init: new Float64Array(C).fill(-5), dim: 1, steps: 1, burnIn: 200, proposalScale: 0.8, rng: r });
    const { mean, se } = meanAndSE(res.samples);
    expect(Math.abs(mean - m)).toBeLessThan(4 * se);
  });

  it("explains bad input", async () => {
    await expect(metropolisHastings({ logTarget, init: [1, 2, 3], dim: 2, steps: 1, rng: new Rng(0) })).rejects.toThrow(/multiple of dim/);
    await expect(
      metropolisHastings({ logTarget: () => [-Infinity], init: [0], dim: 1, steps: 1, rng: new Rng(0) }),
    ).rejects.toThrow(/initial state/);
  });
});

describe("Metropolis–Hastings adaptation", () => {
  it("tunes the proposal scale during burn-in towards the target acceptance and stays correct", async () => {
    const r = new Rng(9);
    const C = 500;
    const res = await metropolisHastings({ logTarget, init: new Float64Array(C).fill(m), dim: 1, steps: 20, thin: 20, burnIn: 300, proposalScale: 20, targetAcceptance: 0.3, rng: r });
    expect(res.proposalScale).toBeLessThan(5);
    expect(Math.abs(res.acceptanceRate - 0.3)).toBeLessThan(0.1);
    const { mean, se } = meanAndSE(res.samples);
    expect(Math.abs(mean - m)).toBeLessThan(4 * se);
  });
});
