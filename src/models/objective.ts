/**
 * The VAE objective for a batch (lecture 000 "reparameterization trick"; lecture 002
 * "training of VAEs"; lecture 003 "VAE losses"):
 *
 *   ℒ(x) ≈ (1/L) Σ_{s=1..L} log p_θ(x | z_s) − KL(q_φ(z|x) ‖ p(z)),   z_s = μ_φ(x) + σ_φ(x) ⊙ ε_s,
 *
 * with the KL in closed form ("analytic") or estimated with the same samples
 * ("mc": (1/L) Σ_s log q(z_s|x) − log p(z_s)). The loss to minimise is
 * −recon + β · KL (β-VAE, lecture 002), optionally with free bits
 * Σ_j max(λ, KL_j) on the batch-averaged per-dimension KL.
 */
import * as tf from "@tensorflow/tfjs";
import { Rng } from "../runtime/rng";
import { gaussianKlPerDim, logNormalFromEps, logStdNormal } from "./likelihood";
import { Vae } from "./vae";

export type KlMode = "analytic" | "mc";

export interface BatchTerms {
  /** (1/L) Σ_s log p(x|z_s), one per datapoint: [n]. */
  recon: tf.Tensor1D;
  /** KL(q(z|x) ‖ p(z)) (analytic) or its L-sample estimate, one per datapoint: [n]. */
  kl: tf.Tensor1D;
  /** Batch mean of the analytic per-dimension KL: [d] (null for the autoencoder). */
  klPerDim: tf.Tensor1D | null;
}

/** Standard normal noise ε for n datapoints and L samples each: a [n·L, d] tensor from `r`. */
export function sampleEps(n: number, L: number, d: number, r: Rng): tf.Tensor2D {
  return tf.tensor2d(r.normals(new Float32Array(n * L * d)), [n * L, d]);
}

/**
 * The per-datapoint reconstruction and KL terms for a batch x [n, D], using noise ε [n·L, d]
 * (row i·L + s is sample s of datapoint i). Call inside tf.tidy.
 */
export function vaeTerms(model: Vae, x: tf.Tensor2D, eps: tf.Tensor2D | null, L = 1, klMode: KlMode = "analytic"): BatchTerms {
  const n = x.shape[0];
  const { mu, logvar } = model.encode(x);
  if (!logvar) {
    const recon = model.logLikelihood(model.decode(mu), x);
    return { recon, kl: tf.zeros([n]) as tf.Tensor1D, klPerDim: null };
  }
  if (!eps) throw new Error("vaeTerms: a VAE needs noise eps (use sampleEps).");
  const d = mu.shape[1];
  if (eps.shape[0] !== n * L || eps.shape[1] !== d) {
    throw new Error(`vaeTerms: eps has shape [${eps.shape}], expected [${n * L}, ${d}] for ${n} datapoints and L = ${L}.`);
  }
  const muL = L === 1 ? mu : (tf.reshape(tf.tile(tf.expandDims(mu, 1), [1, L, 1]), [n * L, d]) as tf.Tensor2D);
  const lvL = L === 1 ? logvar : (tf.reshape(tf.tile(tf.expandDims(logvar, 1), [1, L, 1]), [n * L, d]) as tf.Tensor2D);
  const xL = L === 1 ? x : (tf.reshape(tf.tile(tf.expandDims(x, 1), [1, L, 1]), [n * L, x.shape[1]]) as tf.Tensor2D);
  const z = model.reparameterize(muL, lvL, eps);
  const ll = model.logLikelihood(model.decode(z), xL);
  const recon = L === 1 ? ll : (tf.mean(tf.reshape(ll, [n, L]), 1) as tf.Tensor1D);
  const perDim = gaussianKlPerDim(mu, logvar);
  let kl: tf.Tensor1D;
  if (klMode === "analytic") kl = tf.sum(perDim, 1) as tf.Tensor1D;
  else {
    const lq = logNormalFromEps(lvL, eps);
    const lp = logStdNormal(z);
    const k = tf.sub(lq, lp) as tf.Tensor1D;
    kl = L === 1 ? k : (tf.mean(tf.reshape(k, [n, L]), 1) as tf.Tensor1D);
  }
  return { recon, kl, klPerDim: tf.mean(perDim, 0) as tf.Tensor1D };
}

/**
 * The scalar loss minimised in training: mean over the batch of −recon + β·KL, where with
 * free bits λ > 0 the KL is Σ_j max(λ, KL_j) on the batch-mean per-dimension KL.
 */
export function vaeLoss(t: BatchTerms, beta: number, freeBits = 0): tf.Scalar {
  const nll = tf.neg(tf.mean(t.recon));
  if (!t.klPerDim) return nll as tf.Scalar;
  const kl = freeBits > 0 ? tf.sum(tf.maximum(t.klPerDim, freeBits)) : tf.mean(t.kl);
  return tf.add(nll, tf.mul(kl, beta)) as tf.Scalar;
}
