/**
 * Lecture 002's "Bayesian AE with MCMC": sample the exact posterior of a trained decoder,
 *
 *   p(z | x) ∝ p_θ(x | z) p(z),   p(z) = N(0, I),
 *
 * by Metropolis–Hastings on z, to compare with the encoder's approximation q_φ(z|x).
 */
import * as tf from "@tensorflow/tfjs";
import { Rng } from "../runtime/rng";
import { Vae } from "../models/vae";
import { metropolisHastings, MetropolisResult } from "./metropolis";

/** log p(x|z) + log p(z) (up to a constant) for C latent states and one image x (D numbers). */
export function vaeLogJoint(model: Vae, x: Float32Array): (z: Float64Array, chains: number) => Float64Array {
  const D = model.dataDim;
  const d = model.latentDim;
  if (x.length !== D) throw new Error(`vaeLogJoint: the image has ${x.length} numbers, the model needs D = ${D}.`);
  return (z, C) =>
    Float64Array.from(
      tf
        .tidy(() => {
          const zt = tf.tensor2d(Float32Array.from(z), [C, d]);
          const xt = tf.tile(tf.tensor2d(x, [1, D]), [C, 1]) as tf.Tensor2D;
          return tf.sub(model.logLikelihood(model.decode(zt), xt), tf.mul(tf.sum(tf.square(zt), 1), 0.5));
        })
        .dataSync(),
    );
}

/**
 * MH samples of p(z|x) for one image, C chains started at z ~ q(z|x); by default the
 * proposal scale starts at 2.38/√d times the encoder's mean σ and is tuned during burn-in
 * towards 30% acceptance.
 */
export async function vaePosteriorMH(
  model: Vae,
  x: Float32Array,
  opts: { rng: Rng; chains?: number; steps?: number; burnIn?: number; thin?: number; proposalScale?: number; signal?: AbortSignal },
): Promise<MetropolisResult & { encoderMean: Float32Array; encoderStd: Float32Array }> {
  const d = model.latentDim;
  const C = opts.chains ?? 16;
  const { mu, variance } = model.encodeGaussian(x);
  const std = variance.map(Math.sqrt);
  const meanStd = std.reduce((a, b) => a + b, 0) / d || 0.5;
  const init = new Float64Array(C * d);
  for (let c = 0; c < C; c++) for (let j = 0; j < d; j++) init[c * d + j] = mu[j] + std[j] * opts.rng.normal();
  const res = await metropolisHastings({
    logTarget: vaeLogJoint(model, x),
    init,
    dim: d,
    steps: opts.steps ?? 500,
    burnIn: opts.burnIn ?? 200,
    thin: opts.thin ?? 1,
    proposalScale: opts.proposalScale ?? (2.38 / Math.sqrt(d)) * meanStd,
    targetAcceptance: opts.proposalScale === undefined ? 0.3 : undefined,
    rng: opts.rng,
    signal: opts.signal,
  });
  return { ...res, encoderMean: mu, encoderStd: std };
}

/**
 * Self-normalised importance sampling of the posterior mean with q(z|x) as proposal:
 * E_{p(z|x)}[z] ≈ Σ_i w̃_i z_i, w_i = p(x|z_i) p(z_i) / q(z_i|x). An independent check on MCMC.
 * Returns the mean, the effective sample size (Σw)²/Σw², and a delta-method standard error.
 */
export function importanceSampledPosteriorMean(model: Vae, x: Float32Array, k: number, r: Rng): { mean: Float64Array; se: Float64Array; ess: number } {
  const d = model.latentDim;
  const { mu, variance } = model.encodeGaussian(x);
  const z = new Float64Array(k * d);
  const logq = new Float64Array(k);
  for (let i = 0; i < k; i++) {
    for (let j = 0; j < d; j++) {
      const e = r.normal();
      z[i * d + j] = mu[j] + Math.sqrt(variance[j]) * e;
      logq[i] += -0.5 * (Math.log(2 * Math.PI * variance[j]) + e * e);
    }
  }
  const lj = vaeLogJoint(model, x)(z, k);
  const lw = lj.map((v, i) => v - 0.5 * d * Math.log(2 * Math.PI) - logq[i]);
  const mx = Math.max(...lw);
  const w = lw.map((v) => Math.exp(v - mx));
  const sw = w.reduce((a, b) => a + b, 0);
  const sw2 = w.reduce((a, b) => a + b * b, 0);
  const mean = new Float64Array(d);
  for (let i = 0; i < k; i++) for (let j = 0; j < d; j++) mean[j] += (w[i] / sw) * z[i * d + j];
  const se = new Float64Array(d);
  for (let j = 0; j < d; j++) {
    let s = 0;
    for (let i = 0; i < k; i++) s += (w[i] / sw) ** 2 * (z[i * d + j] - mean[j]) ** 2;
    se[j] = Math.sqrt(s);
  }
  return { mean, se, ess: (sw * sw) / sw2 };
}

/** Per-chain means of an MH run and the standard error of their average (chains independent). */
export function chainMeans(res: MetropolisResult): { mean: Float64Array; se: Float64Array } {
  const { chains: C, kept, dim: d, samples } = res;
  const per = new Float64Array(C * d);
  for (let c = 0; c < C; c++) for (let t = 0; t < kept; t++) for (let j = 0; j < d; j++) per[c * d + j] += samples[(c * kept + t) * d + j] / kept;
  const mean = new Float64Array(d);
  for (let c = 0; c < C; c++) for (let j = 0; j < d; j++) mean[j] += per[c * d + j] / C;
  const se = new Float64Array(d);
  for (let j = 0; j < d; j++) {
    let v = 0;
    for (let c = 0; c < C; c++) v += (per[c * d + j] - mean[j]) ** 2 / (C - 1);
    se[j] = Math.sqrt(v / C);
  }
  return { mean, se };
}

/**
 * For a 2-D latent space only: the posterior p(z|x) ∝ p(x|z) p(z) on an n×n grid over
 * [x0, x1]×[y0, y1], normalised by quadrature. Returns the grid density (row j = y index),
 * the posterior mean and covariance, and log p(x) ≈ log Σ p(x, z) Δz (exact up to the grid).
 */
export function gridPosterior2d(
  model: Vae,
  x: Float32Array,
  box: { x0: number; x1: number; y0: number; y1: number },
  n = 120,
): { xs: Float64Array; ys: Float64Array; density: Float64Array; mean: [number, number]; covariance: [number, number, number]; logEvidence: number } {
  if (model.latentDim !== 2) throw new Error(`gridPosterior2d: needs a 2-D latent space, the model has ${model.latentDim}.`);
  const xs = Float64Array.from({ length: n }, (_, i) => box.x0 + ((i + 0.5) * (box.x1 - box.x0)) / n);
  const ys = Float64Array.from({ length: n }, (_, j) => box.y0 + ((j + 0.5) * (box.y1 - box.y0)) / n);
  const f = vaeLogJoint(model, x);
  const lj = new Float64Array(n * n);
  const chunk = 2000;
  const z = new Float64Array(2 * n * n);
  for (let j = 0; j < n; j++) for (let i = 0; i < n; i++) {
    z[2 * (j * n + i)] = xs[i];
    z[2 * (j * n + i) + 1] = ys[j];
  }
  for (let s = 0; s < n * n; s += chunk) {
    const m = Math.min(chunk, n * n - s);
    lj.set(f(z.subarray(2 * s, 2 * (s + m)), m), s);
  }
  const mx = Math.max(...lj);
  const dA = ((box.x1 - box.x0) / n) * ((box.y1 - box.y0) / n);
  let tot = 0;
  const dens = lj.map((v) => Math.exp(v - mx));
  for (const v of dens) tot += v;
  let m1 = 0, m2 = 0;
  for (let k = 0; k < n * n; k++) {
    dens[k] /= tot;
    m1 += dens[k] * z[2 * k];
    m2 += dens[k] * z[2 * k + 1];
  }
  let c11 = 0, c12 = 0, c22 = 0;
  for (let k = 0; k < n * n; k++) {
    const a = z[2 * k] - m1, b = z[2 * k + 1] - m2;
    c11 += dens[k] * a * a;
    c12 += dens[k] * a * b;
    c22 += dens[k] * b * b;
  }
  // vaeLogJoint omits log 2π from the prior (−½ d log 2π with d = 2)
  const logEvidence = mx + Math.log(tot * dA) - Math.log(2 * Math.PI);
  return { xs, ys, density: dens.map((v) => v / dA), mean: [m1, m2], covariance: [c11, c12, c22], logEvidence };
}

/**
 * The box mean ± k·sd (per coordinate, from all kept samples of all chains) of a 2-D MCMC run:
 * where to put the quadrature grid of gridPosterior2d so that it holds (nearly) all the mass.
 */
export function posteriorBox2d(res: MetropolisResult, k = 6): { x0: number; x1: number; y0: number; y1: number } {
  if (res.dim !== 2) throw new Error(`posteriorBox2d: needs a 2-D latent space, the samples have d = ${res.dim}.`);
  const n = res.samples.length / 2;
  const m = [0, 0];
  const v = [0, 0];
  for (let i = 0; i < n; i++) for (let j = 0; j < 2; j++) m[j] += res.samples[2 * i + j] / n;
  for (let i = 0; i < n; i++) for (let j = 0; j < 2; j++) v[j] += (res.samples[2 * i + j] - m[j]) ** 2 / n;
  const s = v.map(Math.sqrt);
  return { x0: m[0] - k * s[0], x1: m[0] + k * s[0], y0: m[1] - k * s[1], y1: m[1] + k * s[1] };
}
