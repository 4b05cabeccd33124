/**
 * The forward (noising) process of a DDPM, a Markov chain x_0 → x_1 → … → x_T that adds
 * Gaussian noise (Ho et al. 2020, eqs. 2 and 4; Sohl-Dickstein et al. 2015):
 *
 *   q(x_t | x_{t−1}) = N(x_t; √α_t x_{t−1}, β_t I),
 *   q(x_t | x_0)     = N(x_t; √ᾱ_t x_0, (1 − ᾱ_t) I),   i.e.  x_t = √ᾱ_t x_0 + √(1 − ᾱ_t) ε,  ε ∼ N(0, I)
 *
 * (the closed form: a composition of linear-Gaussian steps is linear-Gaussian, with variances
 * adding up as 1 − ᾱ_t = 1 − Π α_s). Its posterior given the data point is again Gaussian,
 * by Bayes' rule on the two Gaussians q(x_t | x_{t−1}) and q(x_{t−1} | x_0) (Ho et al., eqs. 6–7):
 *
 *   q(x_{t−1} | x_t, x_0) = N(x_{t−1}; μ̃_t(x_t, x_0), β̃_t I),
 *   μ̃_t = √ᾱ_{t−1} β_t / (1 − ᾱ_t) · x_0 + √α_t (1 − ᾱ_{t−1}) / (1 − ᾱ_t) · x_t,
 *   β̃_t = (1 − ᾱ_{t−1}) / (1 − ᾱ_t) · β_t.
 *
 * DiffusionPoints are n × d numbers, row-major (e.g. n 2-D points as [x0, y0, x1, y1, …]); every
 * coordinate is noised independently, so the formulas act per number.
 */
import { Rng } from "../../runtime/rng";
import { checkTypedArray, failInput } from "../../runtime/validate";
import { checkDiffusionStep, NoiseSchedule } from "./schedule";

/** DiffusionPoints given to the diffusion functions: any typed array of numbers, n × d. */
export type DiffusionPoints = Float32Array | Float64Array;

export function checkDiffusionPoints(where: string, name: string, x: unknown, dim?: number): DiffusionPoints {
  if (!(x instanceof Float32Array || x instanceof Float64Array)) failInput(where, name, "a Float32Array or Float64Array of n × d numbers", x);
  checkTypedArray(where, name, x, { minLength: 1, finite: true, ...(dim ? { multipleOf: dim } : {}) }, dim ? `give n points of ${dim} numbers each, row-major` : undefined);
  return x as DiffusionPoints;
}

/** The closed form q(x_t | x_0) = N(√ᾱ_t x_0, (1 − ᾱ_t) I): its mean coefficient and variance. */
export function qMarginal(s: NoiseSchedule, t: number): { meanCoef: number; variance: number } {
  checkDiffusionStep("qMarginal", s, t, 0);
  return { meanCoef: Math.sqrt(s.alphaBars[t]), variance: 1 - s.alphaBars[t] };
}

/**
 * x_t = √ᾱ_t x_0 + √(1 − ᾱ_t) ε for every number of x0 (the reparameterized draw from
 * q(x_t | x_0)); `eps` (same length) is the noise, drawn from `rng` when not given.
 */
export function qSample(s: NoiseSchedule, x0: DiffusionPoints, t: number, noise: { eps?: DiffusionPoints; rng?: Rng } = {}): Float64Array {
  checkDiffusionStep("qSample", s, t, 0);
  checkDiffusionPoints("qSample", "x0", x0);
  const eps = noiseFor("qSample", x0.length, noise);
  const a = Math.sqrt(s.alphaBars[t]);
  const b = Math.sqrt(1 - s.alphaBars[t]);
  const out = new Float64Array(x0.length);
  for (let i = 0; i < x0.length; i++) out[i] = a * x0[i] + b * eps[i];
  return out;
}

/** One step of the chain: x_t = √α_t x_{t−1} + √β_t ε, a draw from q(x_t | x_{t−1}). */
export function forwardStep(s: NoiseSchedule, xPrev: DiffusionPoints, t: number, noise: { eps?: DiffusionPoints; rng?: Rng } = {}): Float64Array {
  checkDiffusionStep("forwardStep", s, t, 1);
  checkDiffusionPoints("forwardStep", "xPrev", xPrev);
  const eps = noiseFor("forwardStep", xPrev.length, noise);
  const a = Math.sqrt(s.alphas[t]);
  const b = Math.sqrt(s.betas[t]);
  const out = new Float64Array(xPrev.length);
  for (let i = 0; i < xPrev.length; i++) out[i] = a * xPrev[i] + b * eps[i];
  return out;
}

/** x_t by running the chain step by step from x_0 (t draws per number from `rng`). */
export function forwardChain(s: NoiseSchedule, x0: DiffusionPoints, t: number, rng: Rng): Float64Array {
  checkDiffusionStep("forwardChain", s, t, 0);
  let x: Float64Array = Float64Array.from(checkDiffusionPoints("forwardChain", "x0", x0));
  for (let u = 1; u <= t; u++) x = forwardStep(s, x, u, { rng });
  return x;
}

/**
 * The coefficients of q(x_{t−1} | x_t, x_0) = N(c0·x_0 + ct·x_t, variance·I) for t ≥ 1
 * (c0 = √ᾱ_{t−1} β_t/(1 − ᾱ_t), ct = √α_t (1 − ᾱ_{t−1})/(1 − ᾱ_t), variance = β̃_t; at t = 1 the
 * posterior is the point mass at x_0: c0 = 1, ct = 0, β̃_1 = 0).
 */
export function posteriorCoefficients(s: NoiseSchedule, t: number): { c0: number; ct: number; variance: number } {
  checkDiffusionStep("posteriorCoefficients", s, t, 1);
  const abPrev = s.alphaBars[t - 1];
  const ab = s.alphaBars[t];
  const beta = s.betas[t];
  return {
    c0: (Math.sqrt(abPrev) * beta) / (1 - ab),
    ct: (Math.sqrt(s.alphas[t]) * (1 - abPrev)) / (1 - ab),
    variance: ((1 - abPrev) / (1 - ab)) * beta,
  };
}

/** μ̃_t(x_t, x_0) for every number, and β̃_t: the posterior q(x_{t−1} | x_t, x_0). */
export function posteriorMeanVariance(s: NoiseSchedule, xt: DiffusionPoints, x0: DiffusionPoints, t: number): { mean: Float64Array; variance: number } {
  const { c0, ct, variance } = posteriorCoefficients(s, t);
  checkDiffusionPoints("posteriorMeanVariance", "xt", xt);
  checkDiffusionPoints("posteriorMeanVariance", "x0", x0);
  if (xt.length !== x0.length) failInput("posteriorMeanVariance", "x0", `${xt.length} numbers (as many as xt)`, x0);
  const mean = new Float64Array(xt.length);
  for (let i = 0; i < xt.length; i++) mean[i] = c0 * x0[i] + ct * xt[i];
  return { mean, variance };
}

/**
 * The mean μ̃_t written with the noise instead of x_0 (substitute x_0 = (x_t − √(1 − ᾱ_t) ε)/√ᾱ_t):
 *
 *   μ̃_t = (1/√α_t) · (x_t − β_t/√(1 − ᾱ_t) · ε).
 *
 * The reverse model p_θ(x_{t−1} | x_t) uses the same formula with ε replaced by a network's
 * prediction ε_θ(x_t, t) (Ho et al., eq. 11).
 */
export function meanFromEpsilon(s: NoiseSchedule, xt: DiffusionPoints, eps: DiffusionPoints, t: number): Float64Array {
  checkDiffusionStep("meanFromEpsilon", s, t, 1);
  if (eps.length !== xt.length) failInput("meanFromEpsilon", "eps", `${xt.length} numbers (as many as xt)`, eps);
  const a = 1 / Math.sqrt(s.alphas[t]);
  const k = s.betas[t] / Math.sqrt(1 - s.alphaBars[t]);
  const out = new Float64Array(xt.length);
  for (let i = 0; i < xt.length; i++) out[i] = a * (xt[i] - k * eps[i]);
  return out;
}

function noiseFor(where: string, n: number, noise: { eps?: DiffusionPoints; rng?: Rng }): DiffusionPoints {
  if (noise === null || typeof noise !== "object") failInput(where, "noise", "an object { eps } or { rng }", noise);
  if (noise.eps !== undefined) {
    const eps = checkDiffusionPoints(where, "noise.eps", noise.eps);
    if (eps.length !== n) failInput(where, "noise.eps", `${n} numbers (one per number of the points)`, eps);
    return eps;
  }
  if (!(noise.rng instanceof Rng)) failInput(where, "noise", "{ eps } (the noise) or { rng } (to draw it)", noise, "pass rng: rng(seed)");
  return noise.rng.normals(new Float64Array(n));
}
