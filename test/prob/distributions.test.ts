import { describe, expect, it } from "vitest";
import { rng } from "../../src/runtime/rng";
import {
  Bernoulli,
  Beta,
  Categorical,
  Dirichlet,
  Exponential,
  Gamma,
  Mixture,
  MultivariateNormal,
  MultivariateNormalDiag,
  Normal,
  Uniform,
  gaussLegendre,
  type ScalarDistribution,
} from "../../src/prob";

/** |sample mean − mean| ≤ 5 SE and |sample variance − variance| ≤ 5 SE(variance). */
function checkMoments(d: ScalarDistribution, n: number, seed: number): void {
  const xs = d.sample(rng(seed), n);
  let m = 0;
  for (const x of xs) m += x;
  m /= n;
  let m2 = 0;
  let m4 = 0;
  for (const x of xs) {
    m2 += (x - m) ** 2;
    m4 += (x - m) ** 4;
  }
  m2 /= n - 1;
  m4 /= n;
  const seMean = Math.sqrt(d.variance() / n);
  // Var of the sample variance ≈ (μ4 − σ⁴)/n, with μ4 estimated from the sample.
  const seVar = Math.sqrt(Math.max(m4 - m2 * m2, 1e-300) / n);
  expect(Math.abs(m - d.mean()), `${d.name} mean`).toBeLessThan(5 * seMean);
  expect(Math.abs(m2 - d.variance()), `${d.name} variance`).toBeLessThan(5 * seVar);
}

describe("scalar samplers pass moment checks (5 standard errors)", () => {
  const cases: [string, ScalarDistribution][] = [
    ["Bernoulli(0.3)", new Bernoulli(0.3)],
    ["Categorical", new Categorical([0.1, 0.2, 0.3, 0.4])],
    ["Uniform(-1, 3)", new Uniform(-1, 3)],
    ["Exponential(2.5)", new Exponential(2.5)],
    ["Normal(1, 2)", new Normal(1, 2)],
    ["Beta(2, 5)", new Beta(2, 5)],
    ["Beta(0.5, 0.7)", new Beta(0.5, 0.7)],
    ["Gamma(3.5, 2)", new Gamma(3.5, 2)],
    ["Gamma(0.4, 1.5) (boosted)", new Gamma(0.4, 1.5)],
    ["Gamma(1, 1)", new Gamma(1, 1)],
  ];
  cases.forEach(([label, d], i) => it(label, () => checkMoments(d, 40_000, 100 + i)));
});

describe("densities integrate to 1 and match mean/variance/entropy by quadrature", () => {
  const cases: [ScalarDistribution, number, number][] = [
    [new Normal(0.5, 1.3), -12, 13],
    [new Exponential(1.7), 0, 40],
    [new Beta(2.5, 3.5), 0, 1],
    [new Gamma(4, 2), 0, 40],
    [new Uniform(-1, 2), -1, 2],
  ];
  for (const [d, a, b] of cases) {
    it(d.name, () => {
      const p = (x: number) => Math.exp(d.logProb(x));
      expect(gaussLegendre(p, a, b, 400)).toBeCloseTo(1, 10);
      expect(gaussLegendre((x) => x * p(x), a, b, 400)).toBeCloseTo(d.mean(), 9);
      expect(gaussLegendre((x) => (x - d.mean()) ** 2 * p(x), a, b, 400)).toBeCloseTo(d.variance(), 9);
      expect(gaussLegendre((x) => (p(x) > 0 ? -p(x) * d.logProb(x) : 0), a, b, 400)).toBeCloseTo(d.entropy(), 9);
    });
  }
  it("discrete entropies equal −Σ p log p", () => {
    const c = new Categorical([0.5, 0.25, 0.25]);
    expect(c.entropy()).toBeCloseTo(1.5 * Math.log(2), 14);
    expect(new Bernoulli(0.5).entropy()).toBeCloseTo(Math.log(2), 14);
    expect(new Bernoulli(0).entropy()).toBe(0);
  });
});

describe("vector distributions", () => {
  it("MultivariateNormal: sample mean and covariance within SE; logProb matches the diagonal case", () => {
    const cov = [
      [2, 0.8, -0.3],
      [0.8, 1, 0.2],
      [-0.3, 0.2, 0.5],
    ];
    const d = new MultivariateNormal([1, -2, 0.5], cov);
    const n = 40_000;
    const xs = d.sample(rng(7), n);
    for (let i = 0; i < 3; i++) {
      let m = 0;
      for (const x of xs) m += x[i];
      m /= n;
      expect(Math.abs(m - d.mu[i])).toBeLessThan(5 * Math.sqrt(cov[i][i] / n));
      for (let j = 0; j < 3; j++) {
        let c = 0;
        for (const x of xs) c += (x[i] - d.mu[i]) * (x[j] - d.mu[j]);
        c /= n;
        // Var[(x_i−μ_i)(x_j−μ_j)] = Σ_ii Σ_jj + Σ_ij² for a Gaussian.
        const se = Math.sqrt((cov[i][i] * cov[j][j] + cov[i][j] ** 2) / n);
        expect(Math.abs(c - cov[i][j])).toBeLessThan(5 * se);
      }
    }
    const diag = new MultivariateNormalDiag([1, 2], [0.5, 3]);
    const full = diag.toFull();
    expect(full.logProb([0.3, -1])).toBeCloseTo(diag.logProb([0.3, -1]), 12);
    expect(full.entropy()).toBeCloseTo(diag.entropy(), 12);
    expect(diag.logProb([0.3, -1])).toBeCloseTo(new Normal(1, 0.5).logProb(0.3) + new Normal(2, 3).logProb(-1), 12);
  });

  it("Dirichlet: moments within SE, logProb of Dirichlet(1,1,1) is log 2", () => {
    const d = new Dirichlet([2, 3, 0.5]);
    const n = 40_000;
    const xs = d.sample(rng(8), n);
    const mean = d.mean();
    const v = d.variance();
    for (let k = 0; k < 3; k++) {
      let m = 0;
      for (const x of xs) m += x[k];
      m /= n;
      expect(Math.abs(m - mean[k])).toBeLessThan(5 * Math.sqrt(v[k] / n));
    }
    for (const x of xs.slice(0, 10)) expect(x.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    expect(new Dirichlet([1, 1, 1]).logProb([0.2, 0.3, 0.5])).toBeCloseTo(Math.log(2), 12);
    // Dirichlet(a, b) marginal of the first coordinate is Beta(a, b).
    expect(new Dirichlet([2.5, 1.5]).logProb([0.3, 0.7])).toBeCloseTo(new Beta(2.5, 1.5).logProb(0.3), 12);
    expect(new Dirichlet([2.5, 1.5]).entropy()).toBeCloseTo(new Beta(2.5, 1.5).entropy(), 12);
  });

  it("Mixture: mean and variance by the law of total variance, logProb by log-sum-exp", () => {
    const mix = new Mixture([0.3, 0.7], [new Normal(-2, 1), new Normal(3, 0.5)]);
    const m = 0.3 * -2 + 0.7 * 3;
    expect(mix.mean()).toBeCloseTo(m, 14);
    expect(mix.variance()).toBeCloseTo(0.3 * (1 + 4) + 0.7 * (0.25 + 9) - m * m, 12);
    expect(mix.logProb(0.1)).toBeCloseTo(Math.log(0.3 * new Normal(-2, 1).prob(0.1) + 0.7 * new Normal(3, 0.5).prob(0.1)), 12);
    const xs = mix.sample(rng(9), 40_000);
    let s = 0;
    for (const x of xs) s += x;
    expect(Math.abs(s / xs.length - m)).toBeLessThan(5 * Math.sqrt(mix.variance() / xs.length));
    expect(() => mix.entropy()).toThrow(/no closed form/);
  });
});

describe("parameter validation says what is wrong", () => {
  it("rejects bad parameters", () => {
    expect(() => new Normal(0, -1)).toThrow(/sigma must be > 0/);
    expect(() => new Normal(NaN, 1)).toThrow(/mu must be a finite number/);
    expect(() => new Categorical([0.5, 0.6])).toThrow(/sums to 1.1/);
    expect(() => new Categorical([1.5, -0.5])).toThrow(/negative/);
    expect(() => new Bernoulli(1.2)).toThrow(/\[0, 1\]/);
    expect(() => new Uniform(2, 1)).toThrow(/a < b/);
    expect(() => new MultivariateNormalDiag([0, 0], [1])).toThrow(/shape mismatch/);
    expect(() => new MultivariateNormal([0, 0], [[1, 0, 0]])).toThrow();
    expect(() => new MultivariateNormal([0, 0], [[1, 0.5], [0.4, 1]])).toThrow(/not symmetric/);
    expect(() => new MultivariateNormal([0, 0], [[1, 2], [2, 1]])).toThrow(/positive/i);
    expect(() => new Mixture([0.5, 0.5], [new Normal(0, 1)])).toThrow(/shape mismatch/);
    expect(() => new Mixture([0.5, 0.5], [new Normal(0, 1), new MultivariateNormalDiag([0], [1])])).toThrow(/does not match/);
    expect(() => new Gamma(0, 1)).toThrow(/shape must be > 0/);
    expect(() => new Dirichlet([1, -1])).toThrow(/alpha\[1\]/);
    expect(() => new Normal(0, 1).logProb(NaN)).toThrow(/NaN/);
    expect(() => new MultivariateNormalDiag([0, 0], [1, 1]).logProb([1])).toThrow(/length 2/);
  });
  it("accepts probabilities that sum to 1 within 1e-9·n", () => {
    expect(() => new Categorical([0.1, 0.2, 0.7 + 1e-10])).not.toThrow();
  });
});
