/**
 * Evaluating a trained VAE (lecture 002 "evaluating representations"; lecture 003 "aggregate
 * posterior"; Burda et al. 2015 for the importance-weighted bound):
 *
 *   test ELBO      ℒ(x) = E_q[log p(x|z)] − KL(q(z|x) ‖ p(z))           (split into its terms)
 *   IWAE bound     ℒ_k(x) = E[ log (1/k) Σ_{i=1..k} p(x, z_i) / q(z_i|x) ],  z_i ~ q(z|x)
 *                  ℒ_1 = ℒ,  ℒ_k ≤ ℒ_{k+1} ≤ log p(x)
 *   active units   A_u = Cov_x( E_{q(z|x)}[z_u] ) > 0.01
 *   aggregate posterior  q(z) = (1/N) Σ_n q(z|x_n): mean E[μ], covariance Cov(μ) + E[diag σ²]
 */
import * as tf from "@tensorflow/tfjs";
import { Rng } from "../runtime/rng";
import { loopSignal, throwIfAborted, yielder } from "../runtime/abort";
import { logSumExp } from "../math/special";
import { cholesky, logDetFromCholesky } from "../math/linalg";
import { KlMode, vaeTerms } from "./objective";
import { logNormalFromEps, logStdNormal } from "./likelihood";
import { Vae } from "./vae";
import { checkFinite, checkOneOf, checkOptions, checkPositiveInt, failInput, InputError } from "../runtime/validate";

function countOf(model: Vae, images: Float32Array, where: string): number {
  if (!(model instanceof Vae)) failInput(where, "model", "a Vae (from createVae or loadVae)", model);
  return model.checkImages(where, images);
}

function checkRng(where: string, r: unknown): void {
  if (r !== undefined && !(r instanceof Rng)) failInput(where, "options.rng", "an Rng (e.g. rng(0))", r);
}

export interface ElboReport {
  /** Mean ELBO over the images (nats). */
  elbo: number;
  /** Mean reconstruction term −E_q[log p(x|z)] (nats; lower is better). */
  reconstruction: number;
  /** Mean KL(q(z|x) ‖ p(z)) (nats). */
  kl: number;
  /** Per-image ELBO estimates. */
  perImage: Float64Array;
}

/**
 * The test ELBO with its two terms, on fixed images (binarize them once beforehand).
 * `samples` L of z per image; KL analytic by default, or "mc" (then with L = 1 and the same
 * rng it is exactly the k = 1 importance-weighted estimate).
 */
export async function evaluateVae(
  model: Vae,
  images: Float32Array,
  opts: { rng?: Rng; samples?: number; klMode?: KlMode; batchSize?: number; signal?: AbortSignal } = {},
): Promise<ElboReport> {
  const n = countOf(model, images, "evaluateVae");
  checkOptions("evaluateVae", opts, ["rng", "samples", "klMode", "batchSize", "signal"]);
  const L = checkPositiveInt("evaluateVae", "options.samples", opts.samples ?? 1, "the number of z samples per image, e.g. samples: 1");
  const B = checkPositiveInt("evaluateVae", "options.batchSize", opts.batchSize ?? 500);
  checkOneOf("evaluateVae", "options.klMode", opts.klMode ?? "analytic", ["analytic", "mc"] as const);
  checkRng("evaluateVae", opts.rng);
  const D = model.dataDim;
  const d = model.latentDim;
  const r = opts.rng ?? new Rng();
  const signal = loopSignal(opts.signal);
  const maybeYield = yielder();
  const perImage = new Float64Array(n);
  let rec = 0;
  let kl = 0;
  for (let s = 0; s < n; s += B) {
    throwIfAborted(signal, `evaluating images ${s}..${s + B}`);
    const m = Math.min(B, n - s);
    const eps = model.config.deterministic ? null : r.normals(new Float32Array(m * L * d));
    const out = tf.tidy(() => {
      const x = tf.tensor2d(images.subarray(s * D, (s + m) * D), [m, D]);
      const t = vaeTerms(model, x, eps ? tf.tensor2d(eps, [m * L, d]) : null, L, opts.klMode ?? "analytic");
      return tf.stack([t.recon, t.kl]);
    });
    const v = out.dataSync();
    out.dispose();
    for (let i = 0; i < m; i++) {
      perImage[s + i] = v[i] - v[m + i];
      rec -= v[i];
      kl += v[m + i];
    }
    await maybeYield();
  }
  return { elbo: -(rec + kl) / n, reconstruction: rec / n, kl: kl / n, perImage };
}

export interface IwaeReport {
  /** Mean of log p̂(x) = logsumexp_i(log w_i) − log k over the images (nats). */
  logLikelihood: number;
  /** Standard error of that mean over images. */
  standardError: number;
  perImage: Float64Array;
  k: number;
}

/**
 * Importance-weighted estimate of log p(x) with k samples per image (the IWAE bound):
 * log p̂(x) = log (1/k) Σ_i w_i,  w_i = p(x|z_i) p(z_i) / q(z_i|x),  z_i = μ + σ ⊙ ε_i.
 * Samples are processed in chunks so that k = 1000 fits in memory; ε is drawn from `rng`
 * chunk by chunk (with k = 1 and the same rng this reproduces evaluateVae's "mc" ELBO).
 */
export async function iwaeLogLikelihood(
  model: Vae,
  images: Float32Array,
  opts: { k: number; rng?: Rng; batchSize?: number; rowsPerPass?: number; signal?: AbortSignal; onBatch?: (done: number, total: number) => void },
): Promise<IwaeReport> {
  const n = countOf(model, images, "iwaeLogLikelihood");
  if (model.config.deterministic) throw new InputError("iwaeLogLikelihood: an autoencoder has no q(z|x); use a VAE.", "iwaeLogLikelihood");
  checkOptions("iwaeLogLikelihood", opts, ["k", "rng", "batchSize", "rowsPerPass", "signal", "onBatch"]);
  const k = checkPositiveInt("iwaeLogLikelihood", "options.k", opts.k, "the number of importance samples per image, e.g. k: 100");
  checkRng("iwaeLogLikelihood", opts.rng);
  if (opts.batchSize !== undefined) checkPositiveInt("iwaeLogLikelihood", "options.batchSize", opts.batchSize);
  if (opts.rowsPerPass !== undefined) checkPositiveInt("iwaeLogLikelihood", "options.rowsPerPass", opts.rowsPerPass);
  const D = model.dataDim;
  const d = model.latentDim;
  const r = opts.rng ?? new Rng();
  const rows = opts.rowsPerPass ?? 5000;
  const B = Math.max(1, Math.min(opts.batchSize ?? Math.max(1, Math.floor(rows / k)), n));
  const chunk = Math.max(1, Math.min(k, Math.floor(rows / B)));
  const signal = loopSignal(opts.signal);
  const maybeYield = yielder();
  const perImage = new Float64Array(n);
  const logw = new Float64Array(B * k);
  for (let s = 0; s < n; s += B) {
    const m = Math.min(B, n - s);
    const encT = tf.tidy(() => {
      const q = model.encode(tf.tensor2d(images.subarray(s * D, (s + m) * D), [m, D]));
      return [q.mu, q.logvar as tf.Tensor2D];
    });
    const enc = { mu: encT[0], logvar: encT[1] };
    const x = tf.tensor2d(images.subarray(s * D, (s + m) * D), [m, D]);
    for (let c0 = 0; c0 < k; c0 += chunk) {
      throwIfAborted(signal, `at IWAE images ${s}..${s + m}, samples ${c0}..${c0 + chunk}`);
      const c = Math.min(chunk, k - c0);
      const eps = r.normals(new Float32Array(m * c * d));
      const lw = tf.tidy(() => {
        const rep = (t: tf.Tensor2D, w: number) => (c === 1 ? t : (tf.reshape(tf.tile(tf.expandDims(t, 1), [1, c, 1]), [m * c, w]) as tf.Tensor2D));
        const e = tf.tensor2d(eps, [m * c, d]);
        const lv = rep(enc.logvar as tf.Tensor2D, d);
        const z = model.reparameterize(rep(enc.mu, d), lv, e);
        const ll = model.logLikelihood(model.decode(z), rep(x, D));
        return tf.sub(tf.add(ll, logStdNormal(z)), logNormalFromEps(lv, e));
      });
      const v = lw.dataSync();
      lw.dispose();
      for (let i = 0; i < m; i++) for (let j = 0; j < c; j++) logw[i * k + c0 + j] = v[i * c + j];
      await maybeYield();
    }
    tf.dispose([enc.mu, enc.logvar, x]);
    const logK = Math.log(k);
    for (let i = 0; i < m; i++) perImage[s + i] = logSumExp(logw.subarray(i * k, (i + 1) * k)) - logK;
    opts.onBatch?.(s + m, n);
  }
  let mean = 0;
  for (const v of perImage) mean += v;
  mean /= n;
  let v2 = 0;
  for (const v of perImage) v2 += (v - mean) ** 2;
  const se = n > 1 ? Math.sqrt(v2 / (n - 1) / n) : 0;
  return { logLikelihood: mean, standardError: se, perImage, k };
}

/**
 * Active units (Burda et al. 2015): unit u is active when A_u = Cov_x(E_{q(z|x)}[z_u]) > threshold
 * (default 0.01). Returns the count, the activities A_u and the mask.
 */
export function activeUnits(model: Vae, images: Float32Array, threshold = 0.01): { count: number; activity: Float64Array; active: boolean[] } {
  const n = countOf(model, images, "activeUnits");
  checkFinite("activeUnits", "threshold", threshold, "a variance threshold such as 0.01");
  const d = model.latentDim;
  const mu = model.encodeMeans(images);
  const mean = new Float64Array(d);
  const act = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j] += mu[i * d + j] / n;
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) act[j] += (mu[i * d + j] - mean[j]) ** 2 / Math.max(1, n - 1);
  const active = Array.from(act, (a) => a > threshold);
  return { count: active.filter(Boolean).length, activity: act, active };
}

export interface AggregatePosteriorStats {
  /** E_x[μ(x)]: the mean of the aggregate posterior q(z) = (1/N) Σ q(z|x_n). */
  mean: Float64Array;
  /** Cov of q(z) = Cov_x(μ(x)) + E_x[diag σ²(x)] (law of total covariance), d×d row-major. */
  covariance: Float64Array;
  /** E_x[σ²(x)] per dimension (the average posterior variance). */
  meanPosteriorVariance: Float64Array;
  /** KL(N(mean, covariance) ‖ N(0, I)): how far the moment-matched q(z) is from the prior. */
  gaussianKlToPrior: number;
}

/** Moments of the aggregate posterior over `images` (lecture 003; lecture 002 "posterior disentangling"). */
export function aggregatePosterior(model: Vae, images: Float32Array): AggregatePosteriorStats {
  const n = countOf(model, images, "aggregatePosterior");
  const d = model.latentDim;
  const { mu, variance } = model.encodeGaussian(images);
  const mean = new Float64Array(d);
  const mv = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) {
    mean[j] += mu[i * d + j] / n;
    mv[j] += variance[i * d + j] / n;
  }
  const cov = new Float64Array(d * d);
  for (let i = 0; i < n; i++) for (let a = 0; a < d; a++) {
    const da = mu[i * d + a] - mean[a];
    for (let b = 0; b < d; b++) cov[a * d + b] += (da * (mu[i * d + b] - mean[b])) / n;
  }
  for (let j = 0; j < d; j++) cov[j * d + j] += mv[j];
  let tr = 0;
  let mm = 0;
  for (let j = 0; j < d; j++) {
    tr += cov[j * d + j];
    mm += mean[j] * mean[j];
  }
  const logDet = logDetFromCholesky(cholesky(cov, "aggregate posterior covariance"));
  return { mean, covariance: cov, meanPosteriorVariance: mv, gaussianKlToPrior: 0.5 * (tr + mm - d - logDet) };
}
