/**
 * The diffusion ELBO on Gaussian data, where log p_θ(x_0) is exact (an affine noise predictor makes
 * every reverse step linear-Gaussian): the KL decomposition term by term against the KL of the
 * two Gaussians computed directly, ELBO ≤ log p_θ(x_0) at every point (for the optimal predictor
 * and for wrong ones), the optimal predictor maximises the ELBO, and the Monte Carlo ELBO (the one
 * used on trained networks) agrees with the exact one within its standard error.
 */
import { describe, expect, it } from "vitest";
import { Rng } from "../../src/runtime/rng";
import {
  AffineEpsilon,
  affineElboTerms,
  affineReverseMarginal,
  elboTerms,
  elboWeights,
  gaussianLogDensity,
  klIsotropicGaussians,
  MixtureEpsilon,
  meanFromEpsilon,
  noiseSchedule,
  optimalGaussianEpsilon,
  posteriorMeanVariance,
  qSample,
  reverseVariance,
} from "../../src/models/diffusion";

const MU = [1, -0.5];
const COV = [0.5, 0.3, 0.3, 0.8];

/** n points from N(MU, COV). */
function gaussianData(n: number, r: Rng): Float64Array {
  const l11 = Math.sqrt(COV[0]);
  const l21 = COV[2] / l11;
  const l22 = Math.sqrt(COV[3] - l21 * l21);
  const x = new Float64Array(2 * n);
  for (let i = 0; i < n; i++) {
    const z1 = r.normal();
    const z2 = r.normal();
    x[2 * i] = MU[0] + l11 * z1;
    x[2 * i + 1] = MU[1] + l21 * z1 + l22 * z2;
  }
  return x;
}

/** The optimal predictor with C_t scaled and b_t shifted: a wrong (but affine) model. */
function perturbed(p: AffineEpsilon, scale: number, shift: number): AffineEpsilon {
  return new AffineEpsilon(p.dim, p.C.map((c) => c.map((v) => scale * v)), p.b.map((b) => b.map((v) => v + shift)));
}

describe("the ELBO's terms", () => {
  it("L_{t−1} = λ_t ‖ε − ε_θ‖² + d c_t equals KL(q(x_{t−1}|x_t,x_0) ‖ p_θ(x_{t−1}|x_t)) computed directly (to 1e-10)", () => {
    const r = new Rng(11);
    for (const kind of ["linear", "cosine"] as const)
      for (const variance of ["beta", "posterior"] as const) {
        const s = noiseSchedule(50, { kind });
        const { lambda, constant } = elboWeights(s, variance);
        for (const t of [2, 5, 25, 50]) {
          const x0 = new Float64Array([r.normal(), r.normal()]);
          const eps = new Float64Array([r.normal(), r.normal()]);
          const epsTheta = new Float64Array([r.normal(), r.normal()]);
          const xt = qSample(s, x0, t, { eps });
          const q = posteriorMeanVariance(s, xt, x0, t);
          const muTheta = meanFromEpsilon(s, xt, epsTheta, t);
          const diff2 = (q.mean[0] - muTheta[0]) ** 2 + (q.mean[1] - muTheta[1]) ** 2;
          const kl = klIsotropicGaussians(diff2, q.variance, reverseVariance(s, t, variance), 2);
          const e2 = (eps[0] - epsTheta[0]) ** 2 + (eps[1] - epsTheta[1]) ** 2;
          expect(Math.abs(kl - (lambda[t] * e2 + 2 * constant[t]))).toBeLessThan(1e-10);
          expect(kl).toBeGreaterThanOrEqual(0);
        }
        // L_0 = −log N(x_0; μ_θ(x_1, 1), σ_1² I) = λ_1 ‖ε − ε_θ‖² + (d/2) log(2π σ_1²).
        const x0 = new Float64Array([0.4, -1.2]);
        const eps = new Float64Array([0.3, 0.9]);
        const epsTheta = new Float64Array([-0.2, 1.4]);
        const x1 = qSample(s0(kind), x0, 1, { eps });
        const mu = meanFromEpsilon(s0(kind), x1, epsTheta, 1);
        const v1 = reverseVariance(s0(kind), 1, variance);
        const nll = -(Math.log(1 / (2 * Math.PI * v1)) - ((x0[0] - mu[0]) ** 2 + (x0[1] - mu[1]) ** 2) / (2 * v1));
        const w = elboWeights(s0(kind), variance);
        const e2 = (eps[0] - epsTheta[0]) ** 2 + (eps[1] - epsTheta[1]) ** 2;
        expect(Math.abs(nll - (w.lambda[1] * e2 + 2 * w.constant[1]))).toBeLessThan(1e-9);
      }
  });

  it("the weights: λ_t = β_t/(2 α_t (1 − ᾱ_t)) with σ_t² = β_t, and c_t = 0 when σ_t² = β̃_t", () => {
    const s = noiseSchedule(100);
    const b = elboWeights(s, "beta");
    const p = elboWeights(s, "posterior");
    for (let t = 2; t <= 100; t++) {
      expect(Math.abs(b.lambda[t] - s.betas[t] / (2 * s.alphas[t] * (1 - s.alphaBars[t])))).toBeLessThan(1e-12);
      expect(Math.abs(p.constant[t])).toBeLessThan(1e-12);
      expect(b.constant[t]).toBeGreaterThan(0);
    }
  });
});

describe("ELBO ≤ log p_θ(x_0) on Gaussian data (exact)", () => {
  const data = gaussianData(400, new Rng(21));
  for (const T of [5, 50])
    for (const variance of ["beta", "posterior"] as const)
      it(`T = ${T}, σ² = ${variance}: at every point, for the optimal and two wrong predictors; KL terms ≥ 0`, () => {
        const s = noiseSchedule(T, { betaEnd: T === 5 ? 0.9 : undefined, betaStart: T === 5 ? 0.05 : undefined });
        const opt = optimalGaussianEpsilon(s, MU, COV);
        let optElbo = 0;
        for (const [name, p] of [["optimal", opt], ["scaled", perturbed(opt, 0.7, 0)], ["shifted", perturbed(opt, 1, 0.3)]] as const) {
          const terms = affineElboTerms(s, p, data, { variance });
          const { mean, cov } = affineReverseMarginal(s, p, { variance });
          const logp = gaussianLogDensity(data, mean, cov);
          let worst = -Infinity;
          for (let i = 0; i < logp.length; i++) worst = Math.max(worst, terms.perPoint[i] - logp[i]);
          expect(worst, `${name}: ELBO − log p_θ(x_0) must be ≤ 0`).toBeLessThanOrEqual(1e-9);
          for (let k = 1; k < T; k++) expect(terms.terms[k], `L_${k}`).toBeGreaterThanOrEqual(0);
          expect(terms.terms[T]).toBeGreaterThanOrEqual(0);
          if (name === "optimal") optElbo = terms.elbo;
          else expect(terms.elbo, `the optimal predictor maximises the ELBO (vs ${name})`).toBeLessThan(optElbo);
        }
      });
});

describe("the Monte Carlo ELBO", () => {
  it("agrees with the exact one (affine predictor, 2,000 points) within 4 standard errors", () => {
    const s = noiseSchedule(50);
    const data = gaussianData(2000, new Rng(31));
    const p = perturbed(optimalGaussianEpsilon(s, MU, COV), 0.9, 0.1);
    const exact = affineElboTerms(s, p, data);
    const mc = elboTerms(s, p, data, new Rng(32));
    const diff = mc.perPoint.map((v, i) => v - exact.perPoint[i]);
    const m = diff.reduce((a, b) => a + b, 0) / diff.length;
    const sd = Math.sqrt(diff.reduce((a, b) => a + (b - m) ** 2, 0) / (diff.length - 1));
    expect(sd).toBeGreaterThan(0);
    expect(Math.abs(m)).toBeLessThan((4 * sd) / Math.sqrt(diff.length));
    expect(Math.abs(mc.terms[50] - exact.terms[50])).toBeLessThan(1e-12); // L_T has no Monte Carlo part
  });

  it("rejects bad input with what, where and what to do", () => {
    const s = noiseSchedule(50);
    const p = optimalGaussianEpsilon(s, MU, COV);
    expect(() => elboTerms(s, p, new Float64Array(3), new Rng(1))).toThrow(/elboTerms: x0 must be .*multiple of 2.*Give n points of 2 numbers each/);
    expect(() => elboTerms(s, {} as never, new Float64Array(2), new Rng(1))).toThrow(/predictor must be an EpsilonPredictor/);
    expect(() => elboTerms(s, p, new Float64Array(2), 42 as never)).toThrow(/rng must be an Rng/);
    expect(() => optimalGaussianEpsilon(s, MU, [1, 2, 2, 1])).toThrow(/cov must be a symmetric positive-definite matrix/);
    expect(() => elboWeights(s, "learned" as never)).toThrow(/variance must be one of "beta", "posterior"/);
  });
});

function s0(kind: "linear" | "cosine") {
  return noiseSchedule(50, { kind });
}

describe("the optimal predictor for a mixture of Gaussians", () => {
  it("with one component it is the Gaussian one (to 1e-12)", () => {
    const s = noiseSchedule(50);
    const mix = new MixtureEpsilon(s, [1], [0.5, -1], 0.3);
    const gauss = optimalGaussianEpsilon(s, [0.5, -1], [0.09, 0, 0, 0.09]);
    const x = new Float64Array([0.1, 0.2, -2, 3, 1, 1]);
    for (const t of [1, 10, 50]) {
      const a = mix.predict(x, t);
      const b = gauss.predict(x, t);
      for (let i = 0; i < x.length; i++) expect(Math.abs(a[i] - b[i])).toBeLessThan(1e-12);
    }
  });

  it("is E[ε | x_t] on the ring: the residual ε − ε* is uncorrelated with x_t (within 4 SE) and beats the best affine predictor", () => {
    const s = noiseSchedule(100);
    const ringMeans = Array.from({ length: 16 }, (_, i) => 2 * (i % 2 === 0 ? Math.cos((Math.PI / 4) * (i >> 1)) : Math.sin((Math.PI / 4) * (i >> 1))));
    const mix = new MixtureEpsilon(s, new Array(8).fill(1 / 8), ringMeans, 0.05);
    const r = new Rng(71);
    const n = 20000;
    for (const t of [3, 20, 60]) {
      const x0 = new Float64Array(2 * n);
      for (let i = 0; i < n; i++) {
        const k = r.int(8);
        x0[2 * i] = ringMeans[2 * k] + 0.05 * r.normal();
        x0[2 * i + 1] = ringMeans[2 * k + 1] + 0.05 * r.normal();
      }
      const eps = r.normals(new Float64Array(2 * n));
      const xt = qSample(s, x0, t, { eps });
      const pred = mix.predict(xt, t);
      for (const j of [0, 1]) {
        const prod = Array.from({ length: n }, (_, i) => (eps[2 * i + j] - pred[2 * i + j]) * xt[2 * i + j]);
        const m = prod.reduce((a, b) => a + b, 0) / n;
        const sd = Math.sqrt(prod.reduce((a, b) => a + (b - m) ** 2, 0) / (n - 1));
        expect(Math.abs(m), `t = ${t}, coordinate ${j}`).toBeLessThan((4 * sd) / Math.sqrt(n));
      }
      // The best affine predictor is ε* of the Gaussian with the ring's moments (mean 0, covariance (2 + σ²) I).
      const affine = optimalGaussianEpsilon(s, [0, 0], [2.0025, 0, 0, 2.0025]).predict(xt, t);
      let eMix = 0;
      let eAff = 0;
      for (let i = 0; i < 2 * n; i++) {
        eMix += (eps[i] - pred[i]) ** 2;
        eAff += (eps[i] - affine[i]) ** 2;
      }
      expect(eMix).toBeLessThan(eAff);
    }
    expect(() => new MixtureEpsilon(s, [1, 1], [0, 0, 1], 0.1)).toThrow(/means must be .*multiple of 2.*Give 2 means/);
    expect(() => new MixtureEpsilon(s, [1], [0, 0], 0)).toThrow(/sigma must be a finite number > 0/);
  });
});
