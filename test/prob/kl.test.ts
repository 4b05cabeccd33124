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
  klDivergence,
  klMonteCarlo,
  registerKL,
  type ScalarDistribution,
} from "../../src/prob";

/** KL(p ‖ q) = ∫ p (log p − log q) by quadrature. */
function klQuad(p: ScalarDistribution, q: ScalarDistribution, a: number, b: number): number {
  return gaussLegendre((x) => {
    const lp = p.logProb(x);
    return lp === -Infinity ? 0 : Math.exp(lp) * (lp - q.logProb(x));
  }, a, b, 600);
}

describe("KL closed forms equal numerical integration (scalar pairs)", () => {
  it("Normal–Normal", () => {
    expect(klDivergence(new Normal(0.3, 0.7), new Normal(-1, 1.9))).toBeCloseTo(klQuad(new Normal(0.3, 0.7), new Normal(-1, 1.9), -15, 15), 10);
    // Kingma & Welling App. B: KL(N(μ,s²) ‖ N(0,1)) = ½(s² + μ² − 1 − log s²).
    expect(klDivergence(new Normal(0.5, 0.8), new Normal(0, 1))).toBeCloseTo(0.5 * (0.64 + 0.25 - 1 - Math.log(0.64)), 14);
  });
  it("Exponential–Exponential", () => {
    expect(klDivergence(new Exponential(2), new Exponential(0.5))).toBeCloseTo(klQuad(new Exponential(2), new Exponential(0.5), 0, 40), 10);
  });
  it("Gamma–Gamma", () => {
    const p = new Gamma(3, 2);
    const q = new Gamma(1.5, 0.7);
    // The integrand behaves like x² log x at 0: a finer grid near the origin.
    expect(klDivergence(p, q)).toBeCloseTo(klQuad(p, q, 0, 0.5) + klQuad(p, q, 0.5, 60), 10);
  });
  it("Beta–Beta", () => {
    const p = new Beta(2.5, 4);
    const q = new Beta(1.5, 1.2);
    expect(klDivergence(p, q)).toBeCloseTo(klQuad(p, q, 0, 1), 8);
  });
  it("Uniform–Uniform", () => {
    expect(klDivergence(new Uniform(0, 1), new Uniform(-1, 3))).toBeCloseTo(Math.log(4), 14);
    expect(klDivergence(new Uniform(-2, 1), new Uniform(-1, 3))).toBe(Infinity);
  });
  it("Bernoulli and Categorical equal the defining sums", () => {
    const bern = klDivergence(new Bernoulli(0.2), new Bernoulli(0.6));
    expect(bern).toBeCloseTo(0.2 * Math.log(0.2 / 0.6) + 0.8 * Math.log(0.8 / 0.4), 14);
    const cat = klDivergence(new Categorical([0.2, 0.8]), new Categorical([0.6, 0.4]));
    expect(cat).toBeCloseTo(bern, 14);
    expect(klDivergence(new Categorical([0.5, 0.5]), new Categorical([1, 0]))).toBe(Infinity);
    expect(klDivergence(new Categorical([1, 0]), new Categorical([0.5, 0.5]))).toBeCloseTo(Math.log(2), 14);
  });
  it("KL(p ‖ p) = 0 for every registered family", () => {
    const ds = [
      new Normal(1, 2), new Exponential(3), new Gamma(2, 3), new Beta(2, 3), new Bernoulli(0.3),
      new Categorical([0.2, 0.3, 0.5]), new Dirichlet([1, 2, 3]), new MultivariateNormalDiag([1, 2], [0.5, 2]),
      new MultivariateNormal([1, 2], [[1, 0.3], [0.3, 2]]),
    ];
    for (const d of ds) expect(Math.abs(klDivergence(d, d)), d.name).toBeLessThan(1e-12);
  });
});

describe("KL closed forms agree with Monte Carlo (vector pairs, within 4 SE)", () => {
  const n = 40_000;
  it("Dirichlet–Dirichlet", () => {
    const p = new Dirichlet([2, 3, 1.5]);
    const q = new Dirichlet([1, 1, 4]);
    const mc = klMonteCarlo(p, q, rng(11), n);
    expect(Math.abs(mc.estimate - klDivergence(p, q))).toBeLessThan(4 * mc.se);
    // Dirichlet with K = 2 is a Beta on its first coordinate.
    expect(klDivergence(new Dirichlet([2.5, 4]), new Dirichlet([1.5, 1.2]))).toBeCloseTo(klDivergence(new Beta(2.5, 4), new Beta(1.5, 1.2)), 12);
  });
  it("MVN–MVN (full), MVN-diag–MVN-diag, and mixed", () => {
    const p = new MultivariateNormal([1, 0, -1], [[2, 0.5, 0], [0.5, 1, 0.3], [0, 0.3, 0.8]]);
    const q = new MultivariateNormal([0, 0.5, 0], [[1, -0.2, 0.1], [-0.2, 1.5, 0], [0.1, 0, 1]]);
    const mc = klMonteCarlo(p, q, rng(12), n);
    expect(Math.abs(mc.estimate - klDivergence(p, q))).toBeLessThan(4 * mc.se);
    const pd = new MultivariateNormalDiag([1, -1], [0.5, 2]);
    const qd = new MultivariateNormalDiag([0, 0], [1, 1]);
    const kd = klDivergence(pd, qd);
    expect(kd).toBeCloseTo(klDivergence(new Normal(1, 0.5), new Normal(0, 1)) + klDivergence(new Normal(-1, 2), new Normal(0, 1)), 13);
    expect(klDivergence(pd.toFull(), qd.toFull())).toBeCloseTo(kd, 12);
    expect(klDivergence(pd, qd.toFull())).toBeCloseTo(kd, 12);
    const mcd = klMonteCarlo(pd, qd, rng(13), n);
    expect(Math.abs(mcd.estimate - kd)).toBeLessThan(4 * mcd.se);
  });
  it("Gamma–Gamma by Monte Carlo too (checks the sampler and the formula together)", () => {
    const p = new Gamma(0.7, 1.3);
    const q = new Gamma(2, 1);
    const mc = klMonteCarlo(p, q, rng(14), n);
    expect(Math.abs(mc.estimate - klDivergence(p, q))).toBeLessThan(4 * mc.se);
  });
});

describe("the registry", () => {
  it("names the pair when no closed form exists, and can be extended", () => {
    const mix = new Mixture([0.5, 0.5], [new Normal(-1, 1), new Normal(1, 1)]);
    expect(() => klDivergence(new Normal(0, 1), new Gamma(1, 1))).toThrow(/KL\(Normal ‖ Gamma\).*klMonteCarlo/);
    expect(() => klDivergence(mix, new Normal(0, 1))).toThrow(/Mixture ‖ Normal/);
    class Point extends Normal {}
    // Subclasses inherit the parent pair's closed form.
    expect(klDivergence(new Point(0, 1), new Normal(1, 1))).toBeCloseTo(0.5, 14);
    registerKL(Exponential, Gamma, (p: Exponential, q: Gamma) => {
      // Exponential(λ) = Gamma(1, λ).
      return klDivergence(new Gamma(1, p.rate), q);
    });
    const mc = klMonteCarlo(new Exponential(2), new Gamma(2, 3), rng(15), 40_000);
    expect(Math.abs(mc.estimate - klDivergence(new Exponential(2), new Gamma(2, 3)))).toBeLessThan(4 * mc.se);
    expect(klDivergence(new Exponential(2), new Exponential(0.5))).toBeCloseTo(klDivergence(new Gamma(1, 2), new Gamma(1, 0.5)), 13);
  });
  it("Monte Carlo works for a mixture with no closed form and has a shrinking SE", () => {
    const mix = new Mixture([0.5, 0.5], [new Normal(-1, 1), new Normal(1, 1)]);
    const a = klMonteCarlo(mix, new Normal(0, 1.5), rng(16), 1000);
    const b = klMonteCarlo(mix, new Normal(0, 1.5), rng(17), 16000);
    expect(b.se).toBeLessThan(a.se / 3);
    const exact = gaussLegendre((x) => Math.exp(mix.logProb(x)) * (mix.logProb(x) - new Normal(0, 1.5).logProb(x)), -15, 15, 600);
    expect(Math.abs(b.estimate - exact)).toBeLessThan(4 * b.se);
  });
});
