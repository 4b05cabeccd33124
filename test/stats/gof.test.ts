import { describe, expect, it } from "vitest";
import { chiSquareTest, histogram, kolmogorovQ, ksTest } from "../../src/stats/gof";
import { regularizedGammaP, regularizedGammaQ } from "../../src/math/special";
import { rng } from "../../src/runtime/rng";

describe("goodness of fit", () => {
  it("regularized incomplete gamma matches closed forms", () => {
    // P(1, x) = 1 − e^{−x}; Q(1/2, x) = erfc(√x); chi-square with 2 dof: Q(1, x/2) = e^{−x/2}
    for (const x of [0.01, 0.5, 2, 10, 40]) {
      expect(Math.abs(regularizedGammaP(1, x) - (1 - Math.exp(-x)))).toBeLessThan(1e-14);
      expect(Math.abs(regularizedGammaQ(1, x / 2) - Math.exp(-x / 2)) / Math.exp(-x / 2)).toBeLessThan(1e-12);
    }
    // chi-square, 10 dof: P(X > 18.307) = 0.05 (table value to 3 decimals of the quantile)
    expect(Math.abs(regularizedGammaQ(5, 18.307 / 2) - 0.05)).toBeLessThan(1e-4);
    expect(() => regularizedGammaP(-1, 1)).toThrow(/a > 0/);
  });

  it("Kolmogorov tail: Q_K(1.358) ≈ 0.05 and Q_K(1.628) ≈ 0.01 (standard critical values)", () => {
    expect(Math.abs(kolmogorovQ(1.358) - 0.05)).toBeLessThan(5e-4);
    expect(Math.abs(kolmogorovQ(1.628) - 0.01)).toBeLessThan(2e-4);
  });

  it("KS accepts the right distribution and rejects a wrong one", () => {
    const r = rng(5);
    const u = r.uniforms(new Float64Array(5000));
    expect(ksTest(u, (x) => Math.min(1, Math.max(0, x))).pValue).toBeGreaterThan(0.001);
    expect(ksTest(u, (x) => Math.min(1, Math.max(0, x * x))).pValue).toBeLessThan(1e-10);
    // D_n is exact for a tiny sample: {0.5} against U(0,1): D = 0.5
    expect(ksTest([0.5], (x) => x).statistic).toBeCloseTo(0.5, 15);
  });

  it("chi-square test statistic by hand, and a rejection", () => {
    const res = chiSquareTest([10, 20, 30], [20, 20, 20]);
    expect(res.statistic).toBeCloseTo((100 + 0 + 100) / 20, 14);
    expect(res.dof).toBe(2);
    expect(Math.abs(res.pValue - Math.exp(-10 / 2))).toBeLessThan(1e-14); // 2 dof: p = e^{−X²/2}
    expect(() => chiSquareTest([1], [1, 2])).toThrow(/1 observed counts but 2 expected/);
  });

  it("histogram counts", () => {
    const h = histogram([0, 0.1, 0.5, 0.99, 1, -1], 2, 0, 1);
    expect(Array.from(h.counts)).toEqual([2, 2]);
    expect(h.outside).toBe(2);
    expect(Array.from(h.edges)).toEqual([0, 0.5, 1]);
  });
});
