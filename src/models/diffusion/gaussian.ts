/**
 * Diffusion on Gaussian data, where everything is in closed form: the checks of the ELBO and of
 * the sampler against exact answers.
 *
 * If x_0 ∼ N(μ, Σ), then x_t = √ᾱ_t x_0 + √(1 − ᾱ_t) ε is jointly Gaussian with ε, and the best
 * noise predictor in squared error (the minimiser of every L_{t−1}, hence of the ELBO and of
 * L_simple) is the posterior mean
 *
 *   ε*(x_t, t) = E[ε | x_t] = √(1 − ᾱ_t) · (ᾱ_t Σ + (1 − ᾱ_t) I)⁻¹ (x_t − √ᾱ_t μ),
 *
 * an affine function C_t x_t + b_t. With an affine predictor every reverse step is linear-Gaussian,
 * x_{t−1} = A_t x_t + m_t + σ_t z with A_t = (I − k_t C_t)/√α_t, m_t = −k_t b_t/√α_t,
 * k_t = β_t/√(1 − ᾱ_t), so the model's marginal p_θ(x_0) is Gaussian too, by the recursion
 * mean ← A_t mean + m_t, cov ← A_t cov A_tᵀ + σ_t² I from x_T ∼ N(0, I): an exact log p_θ(x_0)
 * to hold the ELBO against.
 */
import * as linalg from "../../math/linalg";
import { checkTypedArray, failInput } from "../../runtime/validate";
import type { EpsilonPredictor, ReverseVariance } from "./elbo";
import { reverseVariance } from "./elbo";
import { checkDiffusionPoints } from "./process";
import { checkNoiseSchedule, NoiseSchedule } from "./schedule";

/** ε_θ(x, t) = C_t x + b_t (C_t: dim × dim row-major, b_t: dim; index t = 1 … T). */
export class AffineEpsilon implements EpsilonPredictor {
  constructor(
    readonly dim: number,
    readonly C: Float64Array[],
    readonly b: Float64Array[],
  ) {}

  predict(xt: Float64Array, t: number): Float64Array {
    const d = this.dim;
    const C = this.C[t];
    const b = this.b[t];
    if (!C || !b) failInput("AffineEpsilon.predict", "t", `a step in [1, ${this.C.length - 1}]`, t);
    const n = xt.length / d;
    const out = new Float64Array(xt.length);
    for (let i = 0; i < n; i++)
      for (let j = 0; j < d; j++) {
        let v = b[j];
        for (let k = 0; k < d; k++) v += C[j * d + k] * xt[i * d + k];
        out[i * d + j] = v;
      }
    return out;
  }
}

function checkGaussian(where: string, mean: unknown, cov: unknown): { mu: Float64Array; sigma: Float64Array; d: number } {
  const mu = Float64Array.from(checkTypedArray(where, "mean", ArrayBuffer.isView(mean) ? mean : Array.isArray(mean) ? Float64Array.from(mean as number[]) : mean, { minLength: 1, finite: true }));
  const d = mu.length;
  const sigma = Float64Array.from(checkTypedArray(where, "cov", ArrayBuffer.isView(cov) ? cov : Array.isArray(cov) ? Float64Array.from((cov as number[]).flat()) : cov, { length: d * d, finite: true }, `give the ${d} × ${d} covariance, row-major`));
  try {
    linalg.cholesky(sigma, "cov");
  } catch (e) {
    failInput(where, "cov", "a symmetric positive-definite matrix", cov, (e as Error).message);
  }
  return { mu, sigma, d };
}

/** The optimal noise predictor ε*(x_t, t) = E[ε | x_t] for data x_0 ∼ N(mean, cov) (see the file comment). */
export function optimalGaussianEpsilon(s: NoiseSchedule, mean: ArrayLike<number> | number[], cov: ArrayLike<number> | number[] | number[][]): AffineEpsilon {
  checkNoiseSchedule("optimalGaussianEpsilon", s);
  const { mu, sigma, d } = checkGaussian("optimalGaussianEpsilon", mean, cov);
  const Cs: Float64Array[] = [new Float64Array(d * d)];
  const bs: Float64Array[] = [new Float64Array(d)];
  for (let t = 1; t <= s.T; t++) {
    const ab = s.alphaBars[t];
    const M = new Float64Array(d * d);
    for (let k = 0; k < d * d; k++) M[k] = ab * sigma[k];
    for (let j = 0; j < d; j++) M[j * d + j] += 1 - ab;
    const Minv = linalg.spdInverse(M, "ᾱΣ + (1 − ᾱ)I");
    const C = Minv.map((v) => Math.sqrt(1 - ab) * v);
    const Cmu = linalg.matVec(C, mu);
    Cs.push(C);
    bs.push(Cmu.map((v) => -Math.sqrt(ab) * v));
  }
  return new AffineEpsilon(d, Cs, bs);
}

/**
 * The model's marginal over x_0 with an affine predictor, exactly: N(mean, cov). With
 * `decoderNoise` (default true) the last step adds σ_1² I as the decoder p_θ(x_0 | x_1) of the ELBO
 * does; without it, it is the distribution of `ancestralSample`'s output (which returns the
 * decoder's mean at t = 1, as DDPM does).
 */
export function affineReverseMarginal(
  s: NoiseSchedule,
  p: AffineEpsilon,
  opts: { variance?: ReverseVariance; decoderNoise?: boolean } = {},
): { mean: Float64Array; cov: Float64Array } {
  checkNoiseSchedule("affineReverseMarginal", s);
  if (!(p instanceof AffineEpsilon)) failInput("affineReverseMarginal", "p", "an AffineEpsilon", p, "make one with optimalGaussianEpsilon(schedule, mean, cov)");
  const d = p.dim;
  let mean: Float64Array = new Float64Array(d);
  let cov: Float64Array = linalg.identity(d);
  for (let t = s.T; t >= 1; t--) {
    const k = s.betas[t] / Math.sqrt(1 - s.alphaBars[t]);
    const ra = 1 / Math.sqrt(s.alphas[t]);
    const A = new Float64Array(d * d);
    for (let j = 0; j < d; j++) for (let l = 0; l < d; l++) A[j * d + l] = ra * ((j === l ? 1 : 0) - k * p.C[t][j * d + l]);
    const m = linalg.matVec(A, mean);
    for (let j = 0; j < d; j++) m[j] -= ra * k * p.b[t][j];
    const AP = linalg.matMul(A, cov, d, d, d);
    const next = linalg.matMul(AP, linalg.transpose(A, d, d), d, d, d);
    if (t > 1 || opts.decoderNoise !== false) {
      const v = reverseVariance(s, t, opts.variance ?? "beta");
      for (let j = 0; j < d; j++) next[j * d + j] += v;
    }
    mean = m;
    cov = next;
  }
  return { mean, cov };
}

/** log N(x_i; mean, cov) for each of the n points of x (n × d numbers). */
export function gaussianLogDensity(x: Float32Array | Float64Array, mean: ArrayLike<number>, cov: ArrayLike<number>): Float64Array {
  const { mu, sigma, d } = checkGaussian("gaussianLogDensity", mean, cov);
  checkDiffusionPoints("gaussianLogDensity", "x", x, d);
  const L = linalg.cholesky(sigma, "cov");
  const logdet = linalg.logDetFromCholesky(L);
  const n = x.length / d;
  const out = new Float64Array(n);
  const r = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) r[j] = x[i * d + j] - mu[j];
    out[i] = -0.5 * (d * Math.log(2 * Math.PI) + logdet + linalg.mahalanobis2(L, r));
  }
  return out;
}

/**
 * The optimal noise predictor for data from a mixture of isotropic Gaussians,
 * p(x_0) = Σ_k π_k N(m_k, s² I) (e.g. the ring of eight Gaussians): given the component, x_t is
 * N(√ᾱ_t m_k, v_t I) with v_t = ᾱ_t s² + 1 − ᾱ_t, so
 *
 *   ε*(x_t, t) = E[ε | x_t] = Σ_k r_k(x_t) · √(1 − ᾱ_t) (x_t − √ᾱ_t m_k) / v_t,
 *   r_k(x_t) = π_k N(x_t; √ᾱ_t m_k, v_t I) / Σ_j π_j N(x_t; √ᾱ_t m_j, v_t I)
 *
 * (each component's affine ε*, averaged with the posterior responsibilities of the components, as
 * in notebook 08's E-step). The minimiser of every L_{t−1}: the best any network can do.
 */
export class MixtureEpsilon implements EpsilonPredictor {
  readonly dim: number;
  private readonly logWeights: Float64Array;

  constructor(
    readonly schedule: NoiseSchedule,
    readonly weights: ArrayLike<number>,
    /** K × dim component means, row-major. */
    readonly means: ArrayLike<number>,
    readonly sigma: number,
  ) {
    const where = "MixtureEpsilon";
    checkNoiseSchedule(where, schedule);
    const w = checkTypedArray(where, "weights", ArrayBuffer.isView(weights) ? weights : Float64Array.from(weights as number[]), { minLength: 1, finite: true });
    const K = w.length;
    const m = checkTypedArray(where, "means", ArrayBuffer.isView(means) ? means : Float64Array.from(means as number[]), { multipleOf: K, minLength: K, finite: true }, `give ${K} means of dim numbers each, row-major`);
    if (!(typeof sigma === "number" && sigma > 0 && Number.isFinite(sigma))) failInput(where, "sigma", "a finite number > 0 (the components' standard deviation)", sigma);
    let total = 0;
    for (let k = 0; k < K; k++) {
      if (!(w[k] > 0)) failInput(where, `weights[${k}]`, "a number > 0", w[k]);
      total += w[k];
    }
    this.dim = m.length / K;
    this.logWeights = Float64Array.from(w, (v) => Math.log(v / total));
  }

  predict(xt: Float64Array, t: number): Float64Array {
    const s = this.schedule;
    if (!Number.isInteger(t) || t < 1 || t > s.T) failInput("MixtureEpsilon.predict", "t", `an integer step in [1, ${s.T}]`, t);
    const d = this.dim;
    const K = this.logWeights.length;
    const a = Math.sqrt(s.alphaBars[t]);
    const c = Math.sqrt(1 - s.alphaBars[t]);
    const v = s.alphaBars[t] * this.sigma * this.sigma + 1 - s.alphaBars[t];
    const n = xt.length / d;
    const out = new Float64Array(xt.length);
    const logr = new Float64Array(K);
    for (let i = 0; i < n; i++) {
      let max = -Infinity;
      for (let k = 0; k < K; k++) {
        let r2 = 0;
        for (let j = 0; j < d; j++) r2 += (xt[i * d + j] - a * this.means[k * d + j]) ** 2;
        logr[k] = this.logWeights[k] - r2 / (2 * v);
        if (logr[k] > max) max = logr[k];
      }
      let z = 0;
      for (let k = 0; k < K; k++) z += (logr[k] = Math.exp(logr[k] - max));
      for (let j = 0; j < d; j++) {
        let mean = 0;
        for (let k = 0; k < K; k++) mean += (logr[k] / z) * this.means[k * d + j];
        out[i * d + j] = (c * (xt[i * d + j] - a * mean)) / v;
      }
    }
    return out;
  }
}
