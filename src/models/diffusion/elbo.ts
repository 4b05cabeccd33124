/**
 * The diffusion model as a hierarchical latent-variable model, and its ELBO (Sohl-Dickstein et
 * al. 2015; Ho et al. 2020, eq. 5). The generative model is a chain of latents x_T → … → x_1 → x_0,
 *
 *   p_θ(x_{0:T}) = p(x_T) Π_{t=1}^{T} p_θ(x_{t−1} | x_t),   p(x_T) = N(0, I),
 *   p_θ(x_{t−1} | x_t) = N(μ_θ(x_t, t), σ_t² I),   μ_θ = (1/√α_t)(x_t − β_t/√(1 − ᾱ_t) · ε_θ(x_t, t)),
 *
 * and the variational posterior over the latents x_{1:T} is the fixed forward chain q(x_{1:T} | x_0)
 * (no encoder to learn). The ELBO of notebook 04, log p_θ(x_0) ≥ E_q[log p_θ(x_{0:T}) − log q(x_{1:T} | x_0)],
 * rewritten with q(x_t | x_{t−1}) = q(x_{t−1} | x_t, x_0) q(x_t | x_0) / q(x_{t−1} | x_0), is a sum of KLs:
 *
 *   −ELBO = L_T + Σ_{t=2}^{T} L_{t−1} + L_0,
 *   L_T     = KL(q(x_T | x_0) ‖ p(x_T))                                      (no parameters),
 *   L_{t−1} = E_{q(x_t|x_0)} KL(q(x_{t−1} | x_t, x_0) ‖ p_θ(x_{t−1} | x_t)),
 *   L_0     = −E_{q(x_1|x_0)} log p_θ(x_0 | x_1)                              (the decoder, N(μ_θ(x_1, 1), σ_1² I)).
 *
 * Both Gaussians in L_{t−1} have fixed variances, and their means differ by
 * μ̃_t − μ_θ = β_t/(√α_t √(1 − ᾱ_t)) · (ε_θ − ε), so with x_t = √ᾱ_t x_0 + √(1 − ᾱ_t) ε (the
 * reparameterization of notebook 06)
 *
 *   L_{t−1} = λ_t E_ε ‖ε − ε_θ(x_t, t)‖² + d·c_t,   λ_t = β_t² / (2 σ_t² α_t (1 − ᾱ_t)),
 *   c_t = ½ (β̃_t/σ_t² − 1 − log(β̃_t/σ_t²))   (0 when σ_t² = β̃_t),
 *   L_0 = λ_1 E_ε ‖ε − ε_θ(x_1, 1)‖² + (d/2) log(2π σ_1²)   (same λ: 1 − ᾱ_1 = β_1).
 *
 * Ho et al.'s simplified loss L_simple = E_{t ∼ U{1..T}, ε} ‖ε − ε_θ(x_t, t)‖² drops the weights λ_t
 * (and the constants): the same regression at every t, weighted uniformly instead of by λ_t.
 *
 * Reverse variances σ_t²: "beta" (σ_t² = β_t) or "posterior" (σ_t² = β̃_t), Ho et al.'s two
 * choices; the decoder uses σ_1² = β_1 in both (β̃_1 = 0 would make it a point mass).
 */
import { Rng } from "../../runtime/rng";
import { checkOneOf, failInput } from "../../runtime/validate";
import { posteriorCoefficients, checkDiffusionPoints, DiffusionPoints } from "./process";
import { checkNoiseSchedule, NoiseSchedule } from "./schedule";

export type ReverseVariance = "beta" | "posterior";

/** A noise predictor ε_θ(x_t, t): n × dim numbers in, n × dim predicted noises out. */
export interface EpsilonPredictor {
  readonly dim: number;
  predict(xt: Float64Array, t: number): Float64Array;
}

export function checkEpsilonPredictor(where: string, p: unknown): EpsilonPredictor {
  if (p === null || typeof p !== "object" || typeof (p as EpsilonPredictor).predict !== "function" || !Number.isInteger((p as EpsilonPredictor).dim)) {
    failInput(where, "predictor", "an EpsilonPredictor { dim, predict(xt, t) }", p, "pass a NoisePredictor network or optimalGaussianEpsilon(…)");
  }
  return p as EpsilonPredictor;
}

/** σ_t² of the reverse step t (t = 1 … T); σ_1² = β_1 for both kinds. */
export function reverseVariance(s: NoiseSchedule, t: number, kind: ReverseVariance = "beta"): number {
  checkOneOf("reverseVariance", "kind", kind, ["beta", "posterior"] as const);
  if (kind === "beta" || t === 1) return s.betas[t];
  return posteriorCoefficients(s, t).variance;
}

/**
 * The ELBO's weights on the noise-prediction error: λ_t (t = 1 … T, index t) and the
 * per-dimension constants c_t of L_{t−1} (c_1 is the decoder's ½ log(2π σ_1²) instead).
 */
export function elboWeights(s: NoiseSchedule, kind: ReverseVariance = "beta"): { lambda: Float64Array; constant: Float64Array } {
  checkNoiseSchedule("elboWeights", s);
  checkOneOf("elboWeights", "variance", kind, ["beta", "posterior"] as const);
  const lambda = new Float64Array(s.T + 1);
  const constant = new Float64Array(s.T + 1);
  for (let t = 1; t <= s.T; t++) {
    const v = reverseVariance(s, t, kind);
    lambda[t] = (s.betas[t] * s.betas[t]) / (2 * v * s.alphas[t] * (1 - s.alphaBars[t]));
    if (t === 1) constant[t] = 0.5 * Math.log(2 * Math.PI * v);
    else {
      const r = posteriorCoefficients(s, t).variance / v;
      constant[t] = 0.5 * (r - 1 - Math.log(r));
    }
  }
  return { lambda, constant };
}

/** KL(N(m_q, v_q I) ‖ N(m_p, v_p I)) in d dimensions, given ‖m_q − m_p‖² (the lecture's closed form). */
export function klIsotropicGaussians(meanDiffSq: number, vq: number, vp: number, d: number): number {
  return 0.5 * (d * (vq / vp) + meanDiffSq / vp - d - d * Math.log(vq / vp));
}

/** L_T = KL(q(x_T | x_0) ‖ N(0, I)) for one point x_0 (d numbers from `offset`). */
export function priorTerm(s: NoiseSchedule, x0: DiffusionPoints, offset: number, d: number): number {
  const ab = s.alphaBars[s.T];
  let m2 = 0;
  for (let j = 0; j < d; j++) m2 += ab * x0[offset + j] * x0[offset + j];
  return klIsotropicGaussians(m2, 1 - ab, 1, d);
}

export interface ElboTerms {
  /** terms[k] = mean over the points of L_k: k = 0 the decoder, 1 … T−1 the KL terms, T the prior term. */
  terms: Float64Array;
  /** mse[t] = mean over the points of ‖ε − ε_θ(x_t, t)‖² (t = 1 … T): what L_simple averages over t. */
  mse: Float64Array;
  /** The ELBO of each point (nats). */
  perPoint: Float64Array;
  /** Mean ELBO over the points (nats per point) and its standard error (over the points). */
  elbo: number;
  se: number;
}

function summarize(perPoint: Float64Array, terms: Float64Array, mse: Float64Array): ElboTerms {
  const n = perPoint.length;
  let m = 0;
  for (const v of perPoint) m += v;
  m /= n;
  let v2 = 0;
  for (const v of perPoint) v2 += (v - m) ** 2;
  const se = n > 1 ? Math.sqrt(v2 / (n - 1) / n) : NaN;
  return { terms, mse, perPoint, elbo: m, se };
}

/**
 * The ELBO of every point of x0 under the model with noise predictor `predictor`, one Monte Carlo
 * draw of x_t ∼ q(x_t | x_0) per point and step t (T predictor calls on all n points). The
 * estimate of each point's ELBO is unbiased; `se` covers both the spread of the data and the draws.
 */
export function elboTerms(s: NoiseSchedule, predictor: EpsilonPredictor, x0: DiffusionPoints, rng: Rng, opts: { variance?: ReverseVariance } = {}): ElboTerms {
  const where = "elboTerms";
  checkNoiseSchedule(where, s);
  checkEpsilonPredictor(where, predictor);
  const d = predictor.dim;
  checkDiffusionPoints(where, "x0", x0, d);
  if (!(rng instanceof Rng)) failInput(where, "rng", "an Rng", rng, "pass rng(seed)");
  const kind = checkOneOf(where, "options.variance", opts.variance ?? "beta", ["beta", "posterior"] as const);
  const n = x0.length / d;
  const { lambda, constant } = elboWeights(s, kind);
  const perPoint = new Float64Array(n);
  const terms = new Float64Array(s.T + 1);
  const mse = new Float64Array(s.T + 1);
  for (let i = 0; i < n; i++) {
    const lT = priorTerm(s, x0, i * d, d);
    perPoint[i] -= lT;
    terms[s.T] += lT / n;
  }
  const eps = new Float64Array(n * d);
  const xt = new Float64Array(n * d);
  for (let t = 1; t <= s.T; t++) {
    rng.normals(eps);
    const a = Math.sqrt(s.alphaBars[t]);
    const b = Math.sqrt(1 - s.alphaBars[t]);
    for (let k = 0; k < n * d; k++) xt[k] = a * x0[k] + b * eps[k];
    const pred = predictor.predict(xt, t);
    for (let i = 0; i < n; i++) {
      let e2 = 0;
      for (let j = 0; j < d; j++) e2 += (eps[i * d + j] - pred[i * d + j]) ** 2;
      const term = lambda[t] * e2 + d * constant[t];
      perPoint[i] -= term;
      terms[t - 1] += term / n;
      mse[t] += e2 / n;
    }
  }
  return summarize(perPoint, terms, mse);
}

/**
 * The ELBO's terms with exact expectations, for an affine predictor ε_θ(x, t) = C_t x + b_t
 * (e.g. the optimal one for Gaussian data): with x_t = a x_0 + c ε (a = √ᾱ_t, c = √(1 − ᾱ_t)),
 * ε − ε_θ = (I − c C_t) ε − (a C_t x_0 + b_t), so E‖ε − ε_θ‖² = ‖I − c C_t‖²_F + ‖a C_t x_0 + b_t‖².
 */
export function affineElboTerms(s: NoiseSchedule, predictor: { dim: number; C: Float64Array[]; b: Float64Array[] }, x0: DiffusionPoints, opts: { variance?: ReverseVariance } = {}): ElboTerms {
  const where = "affineElboTerms";
  checkNoiseSchedule(where, s);
  const d = predictor.dim;
  checkDiffusionPoints(where, "x0", x0, d);
  const kind = checkOneOf(where, "options.variance", opts.variance ?? "beta", ["beta", "posterior"] as const);
  const n = x0.length / d;
  const { lambda, constant } = elboWeights(s, kind);
  const perPoint = new Float64Array(n);
  const terms = new Float64Array(s.T + 1);
  const mse = new Float64Array(s.T + 1);
  for (let i = 0; i < n; i++) {
    const lT = priorTerm(s, x0, i * d, d);
    perPoint[i] -= lT;
    terms[s.T] += lT / n;
  }
  for (let t = 1; t <= s.T; t++) {
    const C = predictor.C[t];
    const bt = predictor.b[t];
    const a = Math.sqrt(s.alphaBars[t]);
    const c = Math.sqrt(1 - s.alphaBars[t]);
    let frob = 0;
    for (let j = 0; j < d; j++) for (let k = 0; k < d; k++) frob += ((j === k ? 1 : 0) - c * C[j * d + k]) ** 2;
    for (let i = 0; i < n; i++) {
      let m2 = 0;
      for (let j = 0; j < d; j++) {
        let r = bt[j];
        for (let k = 0; k < d; k++) r += a * C[j * d + k] * x0[i * d + k];
        m2 += r * r;
      }
      const e2 = frob + m2;
      const term = lambda[t] * e2 + d * constant[t];
      perPoint[i] -= term;
      terms[t - 1] += term / n;
      mse[t] += e2 / n;
    }
  }
  return summarize(perPoint, terms, mse);
}
