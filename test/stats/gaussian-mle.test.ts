import { describe, expect, it } from "vitest";
import {
  exponentialByInverseTransform,
  fitGaussianByGradientAscent,
  gaussianAvgLogLikelihood,
  gaussianAvgLogLikelihoodGrad,
  gaussianMle,
} from "../../src/stats/gaussian-mle";
import { ksTest } from "../../src/stats/gof";
import { meanAndSE } from "../../src/runtime/check";
import { rng } from "../../src/runtime/rng";

describe("maximum-likelihood Gaussian (lecture 003, case study #1)", () => {
  const r = rng(3);
  const xs = Float64Array.from({ length: 500 }, () => 2 + 0.7 * r.normal());

  it("the closed form zeroes the gradient and beats every perturbation", () => {
    const { mu, sigma } = gaussianMle(xs);
    const g = gaussianAvgLogLikelihoodGrad(xs, mu, sigma);
    expect(Math.abs(g.dMu)).toBeLessThan(1e-12);
    expect(Math.abs(g.dLogSigma)).toBeLessThan(1e-12);
    const best = gaussianAvgLogLikelihood(xs, mu, sigma);
    for (const [dm, ds] of [[1e-3, 0], [-1e-3, 0], [0, 1e-3], [0, -1e-3], [0.1, 0.1]]) {
      expect(gaussianAvgLogLikelihood(xs, mu + dm, sigma + ds)).toBeLessThan(best);
    }
  });

  it("the analytic gradient matches finite differences", () => {
    const h = 1e-6;
    const [m, s] = [1.5, 0.9];
    const g = gaussianAvgLogLikelihoodGrad(xs, m, s);
    const fdMu = (gaussianAvgLogLikelihood(xs, m + h, s) - gaussianAvgLogLikelihood(xs, m - h, s)) / (2 * h);
    const fdLs = (gaussianAvgLogLikelihood(xs, m, s * Math.exp(h)) - gaussianAvgLogLikelihood(xs, m, s * Math.exp(-h))) / (2 * h);
    expect(Math.abs(g.dMu - fdMu)).toBeLessThan(1e-7);
    expect(Math.abs(g.dLogSigma - fdLs)).toBeLessThan(1e-7);
  });

  it("gradient ascent converges to the closed form and never decreases the objective", async () => {
    const fit = await fitGaussianByGradientAscent(xs, { steps: 3000, lr: 0.1, showProgress: false });
    const exact = gaussianMle(xs);
    expect(Math.abs(fit.mu - exact.mu)).toBeLessThan(1e-8);
    expect(Math.abs(fit.sigma - exact.sigma)).toBeLessThan(1e-8);
    for (let t = 1; t < fit.trace.length; t++) expect(fit.trace[t]).toBeGreaterThanOrEqual(fit.trace[t - 1] - 1e-12);
  });

  it("rejects bad data with the index of the offending point", () => {
    expect(() => gaussianMle([1, NaN, 3])).toThrow(/data point 1 is NaN/);
    expect(() => gaussianMle([1])).toThrow(/at least 2/);
  });

  it("inverse transform sampling: x = −ln z is Exponential(1)", () => {
    const z = rng(8).uniforms(new Float64Array(20000)).map((u) => 1 - u); // (0, 1]
    const x = exponentialByInverseTransform(z);
    const { mean, se } = meanAndSE(x);
    expect(Math.abs(mean - 1)).toBeLessThan(4 * se);
    expect(ksTest(x, (t) => (t <= 0 ? 0 : 1 - Math.exp(-t))).pValue).toBeGreaterThan(1e-3);
    // a wrong rate is rejected decisively
    expect(ksTest(x, (t) => (t <= 0 ? 0 : 1 - Math.exp(-1.1 * t))).pValue).toBeLessThan(1e-6);
  });
});
