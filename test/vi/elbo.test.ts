import { describe, expect, it } from "vitest";
import { GaussianLatentModel, discreteElbo, discretePosterior, discreteLogEvidence, mixtureLatentModel, elboMonteCarlo } from "../../src/vi/elbo";
import { expectNormal } from "../../src/vi/quadrature";
import { Normal, Categorical } from "../../src/prob";
import { rng } from "../../src/runtime/rng";

describe("z ~ N(0,1), x|z ~ N(z, σ²), q = N(m, s²): everything exact", () => {
  it("ELBO + KL(q‖p(z|x)) = log p(x) to 1e-10 for arbitrary q, and ELBO = E_q log p(x,z) + H(q)", () => {
    const r = rng(1);
    for (let t = 0; t < 200; t++) {
      const model = new GaussianLatentModel(0.1 + 3 * r.uniform());
      const x = 6 * r.uniform() - 3;
      const q = { mu: 8 * r.uniform() - 4, sigma: 0.05 + 3 * r.uniform() };
      const p = model.elbo(x, q);
      expect(Math.abs(p.elbo + p.klToPosterior - p.logEvidence)).toBeLessThan(1e-10);
      expect(Math.abs(p.expectedLogJoint + p.entropy - p.elbo)).toBeLessThan(1e-10);
      expect(p.klToPosterior).toBeGreaterThan(0);
      expect(p.elbo).toBeLessThan(p.logEvidence);
    }
  });

  it("log p(x) agrees with quadrature of ∫ p(x|z) p(z) dz; the posterior is Bayes' rule", () => {
    const model = new GaussianLatentModel(0.7);
    const x = 1.3;
    const byQuad = Math.log(expectNormal((z) => Math.exp(new Normal(z, 0.7).logProb(x)), 0, 1, 64));
    expect(model.logEvidence(x)).toBeCloseTo(byQuad, 12);
    const post = model.posterior(x);
    for (const z of [-1, 0.2, 2]) {
      expect(post.logProb(z)).toBeCloseTo(model.logJoint(x, z) - model.logEvidence(x), 12);
    }
  });

  it("the gap closes at q = p(z|x): KL = 0 and ELBO = log p(x)", () => {
    const model = new GaussianLatentModel(1.5);
    const post = model.posterior(-0.4);
    const p = model.elbo(-0.4, { mu: post.mu, sigma: post.sigma });
    expect(Math.abs(p.klToPosterior)).toBeLessThan(1e-14);
    expect(p.elbo).toBeCloseTo(p.logEvidence, 13);
  });

  it("the Monte Carlo ELBO is within 4 SE of the exact one, and has zero variance at the posterior", () => {
    const model = new GaussianLatentModel(0.8);
    const x = 0.9;
    const q = new Normal(0.1, 0.6);
    const est = elboMonteCarlo((z: number) => model.logJoint(x, z), q, rng(3), 4000);
    const exact = model.elbo(x, q).elbo;
    expect(Math.abs(est.estimate - exact)).toBeLessThan(4 * est.se);
    const atPost = elboMonteCarlo((z: number) => model.logJoint(x, z), model.posterior(x), rng(4), 100);
    expect(atPost.se).toBeLessThan(1e-12);
    expect(atPost.estimate).toBeCloseTo(model.logEvidence(x), 12);
  });

  it("rejects a bad q or sigma", () => {
    expect(() => new GaussianLatentModel(0)).toThrow(/sigma/);
    expect(() => new GaussianLatentModel(1).elbo(0, { mu: 0, sigma: -1 })).toThrow(/sigma > 0/);
  });
});

describe("a discrete latent (3-component mixture, one observation)", () => {
  const mix = { weights: [0.2, 0.5, 0.3], means: [-2, 0, 3], sds: [0.5, 1, 0.8] };
  it("ELBO + KL(q‖p(z|x)) = log p(x) to 1e-10 for random categorical q", () => {
    const r = rng(5);
    for (let t = 0; t < 200; t++) {
      const x = 10 * r.uniform() - 5;
      const model = mixtureLatentModel(mix, x);
      const e = [0, 1, 2].map(() => -Math.log(r.uniformOpen()));
      const s = e.reduce((a, b) => a + b, 0);
      const p = discreteElbo(model, e.map((v) => v / s));
      expect(Math.abs(p.elbo + p.klToPosterior - p.logEvidence)).toBeLessThan(1e-10);
      expect(Math.abs(p.expectedLogJoint + p.entropy - p.elbo)).toBeLessThan(1e-10);
      expect(p.klToPosterior).toBeGreaterThanOrEqual(0);
    }
  });
  it("log p(x) is the mixture density and the posterior is Bayes' rule; at q = posterior the gap is 0", () => {
    const x = 0.7;
    const model = mixtureLatentModel(mix, x);
    const px = mix.weights.reduce((a, w, k) => a + w * Math.exp(new Normal(mix.means[k], mix.sds[k]).logProb(x)), 0);
    expect(discreteLogEvidence(model)).toBeCloseTo(Math.log(px), 13);
    const post = discretePosterior(model);
    expect(post.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 14);
    const p = discreteElbo(model, post);
    expect(Math.abs(p.klToPosterior)).toBeLessThan(1e-14);
    const mc = elboMonteCarlo((z: number) => model.logPrior[z] + model.logLik[z], new Categorical([0.3, 0.3, 0.4]), rng(6), 5000);
    expect(Math.abs(mc.estimate - discreteElbo(model, [0.3, 0.3, 0.4]).elbo)).toBeLessThan(4 * mc.se);
  });
  it("refuses a q that is not a distribution over the K values", () => {
    const model = mixtureLatentModel(mix, 0);
    expect(() => discreteElbo(model, [0.5, 0.5])).toThrow(/K = 3/);
    expect(() => discreteElbo(model, [0.5, 0.6, -0.1])).toThrow(/probability/);
  });
});
