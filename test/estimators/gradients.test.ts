import { describe, expect, it } from "vitest";
import { Rng } from "../../src/runtime/rng";
import { pathwiseGradient, scoreFunctionGradient, gradientVarianceCurve } from "../../src/estimators/gradients";

// f(z) = z², E[f] = μ² + σ², so ∇_μ = 2μ and ∇_σ = 2σ exactly.
const f = (z: number) => z * z;
const df = (z: number) => 2 * z;
const mu = 1.5;
const sigma = 0.7;

describe("gradient estimators of ∇ E_N(μ,σ²)[z²]", () => {
  it("pathwise is unbiased within 4 SE", () => {
    const g = pathwiseGradient(df, mu, sigma, 20000, new Rng(1));
    expect(Math.abs(g.mean[0] - 2 * mu)).toBeLessThan(4 * g.se[0]);
    expect(Math.abs(g.mean[1] - 2 * sigma)).toBeLessThan(4 * g.se[1]);
  });

  it("score function is unbiased within 4 SE, with and without a baseline", () => {
    for (const b of [undefined, "independent" as const]) {
      const g = scoreFunctionGradient(f, mu, sigma, 40000, new Rng(2), b);
      expect(Math.abs(g.mean[0] - 2 * mu)).toBeLessThan(4 * g.se[0]);
      expect(Math.abs(g.mean[1] - 2 * sigma)).toBeLessThan(4 * g.se[1]);
    }
  });

  it("pathwise has lower variance than score function; the baseline reduces score-function variance", () => {
    const r = new Rng(3);
    const p = pathwiseGradient(df, mu, sigma, 20000, r);
    const s = scoreFunctionGradient(f, mu, sigma, 20000, r);
    const sb = scoreFunctionGradient(f, mu, sigma, 20000, r, "independent");
    // exact per-sample variances for ∂/∂μ: pathwise Var(2z) = 4σ² = 1.96
    expect(p.variance[0]).toBeCloseTo(4 * sigma * sigma, 1);
    expect(p.variance[0] * 5).toBeLessThan(s.variance[0]);
    expect(p.variance[1] * 5).toBeLessThan(s.variance[1]);
    expect(sb.variance[0]).toBeLessThan(s.variance[0]);
  });

  it("the variance curve falls like 1/n", () => {
    const rows = gradientVarianceCurve(f, df, mu, sigma, [10, 100], 200, new Rng(4));
    expect(rows[0].pathwise / rows[1].pathwise).toBeGreaterThan(5);
    expect(rows[0].pathwise / rows[1].pathwise).toBeLessThan(20);
    expect(rows[1].score).toBeGreaterThan(rows[1].pathwise);
  });

  it("rejects bad parameters", () => {
    expect(() => pathwiseGradient(df, mu, -1, 10, new Rng(0))).toThrow(/σ must be > 0/);
    expect(() => scoreFunctionGradient(f, NaN, 1, 10, new Rng(0))).toThrow(/μ must be finite/);
  });
});

import { toyElboEstimate, toyElboExact, toyLogEvidence, toyPosterior } from "../../src/estimators/elboEstimator";
import { meanAndSE } from "../../src/runtime/check";

describe("the L-sample ELBO estimator on the conjugate Gaussian model", () => {
  const p = { x: 1.3, s: 0.6 };
  it("is unbiased for ℒ(q), and ℒ = log p(x) exactly at the posterior", () => {
    const r = new Rng(9);
    for (const mode of ["analytic", "mc"] as const) {
      const est = Array.from({ length: 4000 }, () => toyElboEstimate(p, 0.2, 0.5, 3, r, mode));
      const { mean, se } = meanAndSE(est);
      expect(Math.abs(mean - toyElboExact(p, 0.2, 0.5))).toBeLessThan(4 * se);
    }
    const post = toyPosterior(p);
    expect(toyElboExact(p, post.m, post.v)).toBeCloseTo(toyLogEvidence(p), 12);
    // with the Monte Carlo KL every single sample equals log p(x) at the posterior
    expect(toyElboEstimate(p, post.m, post.v, 1, r, "mc")).toBeCloseTo(toyLogEvidence(p), 12);
    expect(toyElboExact(p, 0.2, 0.5)).toBeLessThan(toyLogEvidence(p));
  });
});

describe("the variance gap grows with dimension", () => {
  it("Monte Carlo variances match the closed forms within 5 SE, and the score-function one grows with d", async () => {
    const { gradientVarianceByDimension, scoreVarianceExact } = await import("../../src/estimators/gradients");
    // d = 1 by hand: (μ⁴ + 18μ²σ² + 15σ⁴)/σ² − 4μ² for μ = 1.5, σ = 0.7
    expect(scoreVarianceExact(1, 1.5, 0.7)).toBeCloseTo((1.5 ** 4 + 18 * 2.25 * 0.49 + 15 * 0.49 ** 2) / 0.49 - 9, 10);
    const rows = gradientVarianceByDimension([1, 4, 16], 1.5, 0.7, 40000, new Rng(3));
    for (const row of rows) {
      expect(Math.abs(row.pathwise - row.pathwiseExact)).toBeLessThan(5 * row.pathwiseSE);
      expect(Math.abs(row.score - row.scoreExact)).toBeLessThan(5 * row.scoreSE);
    }
    expect(rows[2].scoreExact / rows[0].scoreExact).toBeGreaterThan(20);
    expect(() => gradientVarianceByDimension([0], 1, 1, 10, new Rng(1))).toThrow(/positive integers/);
  });
});
