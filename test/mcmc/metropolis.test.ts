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

describe("posteriorComparisonTraces", () => {
  it("thins the samples, keeps the grid shape and draws the 2σ ellipse", async () => {
    const { posteriorComparisonTraces } = await import("../../src/mcmc/figures");
    const samples = Float64Array.from({ length: 40 }, (_, i) => i);
    const grid = { xs: Float64Array.of(0, 1), ys: Float64Array.of(0, 1), density: Float64Array.of(0.1, 0.2, 0.3, 0.123456789) };
    const [pts, contour, ellipse] = posteriorComparisonTraces({ samples, encoderMean: [1, 2], encoderStd: [0.5, 0.25] }, grid, "7", 5) as any[];
    expect(pts.x).toEqual([0, 10, 20, 30]);
    expect(pts.y).toEqual([1, 11, 21, 31]);
    expect(contour.z).toEqual([[0.1, 0.2], [0.3, 0.1235]]);
    // the ellipse at t = 0 is μ + (2σ₁, 0), at t = π/2 is μ + (0, 2σ₂)
    expect(ellipse.x[0]).toBeCloseTo(2, 12);
    expect(ellipse.y[15]).toBeCloseTo(2.5, 3);
    expect(() => posteriorComparisonTraces({ samples, encoderMean: [0, 0], encoderStd: [1, 1] }, { ...grid, density: new Float64Array(3) }, "x")).toThrow(/2×2/);
  });
});

describe("posteriorBox2d", () => {
  it("is the mean ± k sd of all samples, and refuses d ≠ 2", async () => {
    const { posteriorBox2d } = await import("../../src/mcmc/vaePosterior");
    // samples (0, 10), (2, 10), (4, 16): means (2, 12), population sds (√(8/3), √8)
    const res = { samples: Float64Array.of(0, 10, 2, 10, 4, 16), chains: 1, kept: 3, dim: 2, acceptanceRate: 1, proposalScale: 1 };
    const b = posteriorBox2d(res, 2);
    expect(b.x0).toBeCloseTo(2 - 2 * Math.sqrt(8 / 3), 12);
    expect(b.x1).toBeCloseTo(2 + 2 * Math.sqrt(8 / 3), 12);
    expect(b.y0).toBeCloseTo(12 - 2 * Math.sqrt(8), 12);
    expect(b.y1).toBeCloseTo(12 + 2 * Math.sqrt(8), 12);
    expect(() => posteriorBox2d({ ...res, dim: 3 })).toThrow(/2-D/);
  });
});
