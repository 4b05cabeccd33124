import { describe, expect, it } from "vitest";
import * as sp from "../../src/math/special";
import { rng } from "../../src/runtime/rng";

const EULER_GAMMA = 0.5772156649015329;
const rel = (a: number, b: number) => Math.abs(a - b) / Math.max(1e-300, Math.abs(b));

describe("special functions against published values", () => {
  it("lgamma and gamma", () => {
    expect(rel(sp.lgamma(0.5), 0.5 * Math.log(Math.PI))).toBeLessThan(1e-14);
    expect(rel(sp.lgamma(10), Math.log(362880))).toBeLessThan(1e-14);
    expect(rel(sp.lgamma(100), 359.13420536957539878)).toBeLessThan(1e-14); // DLMF / Wolfram
    expect(sp.lgamma(1)).toBe(0);
    expect(sp.lgamma(2)).toBe(0);
    expect(rel(sp.gamma(5), 24)).toBeLessThan(1e-13);
    expect(rel(sp.gamma(-0.5), -2 * Math.sqrt(Math.PI))).toBeLessThan(1e-13);
    expect(sp.lgamma(0)).toBe(Infinity);
  });

  it("lgamma satisfies log Γ(x+1) − log Γ(x) = log x on random x", () => {
    const r = rng(10);
    for (let i = 0; i < 500; i++) {
      const x = Math.exp(8 * r.uniform() - 4); // 0.018 .. 55
      expect(Math.abs(sp.lgamma(x + 1) - sp.lgamma(x) - Math.log(x))).toBeLessThan(1e-12 * Math.max(1, Math.abs(sp.lgamma(x))));
    }
  });

  it("digamma and trigamma", () => {
    expect(Math.abs(sp.digamma(1) + EULER_GAMMA)).toBeLessThan(1e-15);
    expect(Math.abs(sp.digamma(0.5) - (-EULER_GAMMA - 2 * Math.LN2))).toBeLessThan(1e-14);
    // ψ(10) = H_9 − γ
    const h9 = Array.from({ length: 9 }, (_, i) => 1 / (i + 1)).reduce((a, b) => a + b);
    expect(Math.abs(sp.digamma(10) - (h9 - EULER_GAMMA))).toBeLessThan(1e-14);
    expect(Math.abs(sp.trigamma(1) - Math.PI ** 2 / 6)).toBeLessThan(1e-13);
    expect(Math.abs(sp.trigamma(0.5) - Math.PI ** 2 / 2)).toBeLessThan(1e-12);
    // ψ is the derivative of log Γ: central difference, truncation h²|ψ″|/6 ≤ 1.3e-9 at x = 0.3, rounding ~1e-11
    for (const x of [0.3, 1.7, 4.2, 25]) {
      const h = 1e-5;
      const fd = (sp.lgamma(x + h) - sp.lgamma(x - h)) / (2 * h);
      expect(Math.abs(sp.digamma(x) - fd)).toBeLessThan(1e-8);
    }
    expect(Math.abs(sp.digamma(-0.5) - (2 - EULER_GAMMA - 2 * Math.LN2))).toBeLessThan(1e-13);
  });

  it("erf, erfc and the normal CDF", () => {
    expect(rel(sp.erf(1), 0.8427007929497148693)).toBeLessThan(1e-15);
    expect(rel(sp.erf(0.1), 0.1124629160182848922)).toBeLessThan(1e-14);
    expect(rel(sp.erfc(2), 0.004677734981047265838)).toBeLessThan(1e-14);
    expect(rel(sp.erfc(5), 1.5374597944280348502e-12)).toBeLessThan(1e-13);
    expect(rel(sp.erfc(-1), 1.8427007929497148693)).toBeLessThan(1e-15);
    expect(rel(sp.normalCdf(1.96), 0.9750021048517795)).toBeLessThan(1e-15);
    expect(rel(sp.normalCdf(-8), 6.220960574271785e-16)).toBeLessThan(1e-12);
    // log Φ in the tails, against scipy.special.log_ndtr
    expect(rel(sp.normalLogCdf(-5.0001), -15.06551704922196)).toBeLessThan(1e-13);
    expect(rel(sp.normalLogCdf(-30), -454.32124395634327)).toBeLessThan(1e-13);
    expect(rel(sp.normalLogCdf(-40), -804.6084420137539)).toBeLessThan(1e-13);
    expect(rel(sp.normalLogCdf(3), -0.001350809964748193)).toBeLessThan(1e-13);
  });

  it("normalInvCdf inverts normalCdf (AS241)", () => {
    expect(rel(sp.normalInvCdf(0.975), 1.959963984540054)).toBeLessThan(1e-15);
    expect(rel(sp.normalInvCdf(1e-10), -6.361340902404056)).toBeLessThan(1e-14);
    for (const p of [1e-300, 1e-20, 0.001, 0.2, 0.5, 0.7, 0.999]) {
      const x = sp.normalInvCdf(p);
      expect(rel(sp.normalCdf(x), p)).toBeLessThan(1e-12);
    }
    expect(sp.normalInvCdf(0.5)).toBe(0);
    expect(() => sp.normalInvCdf(1.5)).toThrow(/\[0, 1\]/);
  });

  it("logSumExp, softmax and friends", () => {
    expect(sp.logSumExp([1000, 1000])).toBeCloseTo(1000 + Math.LN2, 12);
    expect(sp.logSumExp([-Infinity, -Infinity])).toBe(-Infinity);
    expect(sp.logSumExp([])).toBe(-Infinity);
    expect(Math.abs(sp.logAddExp(Math.log(2), Math.log(3)) - Math.log(5))).toBeLessThan(1e-15);
    const s = sp.softmax([1, 2, 3]);
    expect(Math.abs(s.reduce((a, b) => a + b) - 1)).toBeLessThan(1e-15);
    expect(Math.abs(s[2] / s[1] - Math.E)).toBeLessThan(1e-13);
    expect(sp.log1pExp(800)).toBe(800);
    expect(Math.abs(sp.log1pExp(0) - Math.LN2)).toBeLessThan(1e-16);
    expect(sp.sigmoid(-800)).toBeGreaterThanOrEqual(0);
    expect(sp.xlogx(0)).toBe(0);
    expect(sp.xlogy(0, 0)).toBe(0);
    expect(rel(sp.logMultiBeta([1, 1, 1]), -Math.log(2))).toBeLessThan(1e-14); // B(1,1,1) = Γ(1)^3/Γ(3) = 1/2
    expect(rel(sp.logBeta(2, 3), Math.log(1 / 12))).toBeLessThan(1e-14);
  });
});
