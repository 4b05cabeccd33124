/**
 * The terms of the VAE loss (lecture 003, "VAE losses"; lecture 001, closed-form KL), as
 * TensorFlow.js ops that return one number per row (per datapoint or per sample).
 *
 *   ELBO(x) = E_{q(z|x)}[log p(x|z)] − KL(q(z|x) ‖ p(z)),   p(z) = N(0, I),
 *   q(z|x) = N(μ, diag σ²),   σ² = exp(logvar).
 */
import * as tf from "@tensorflow/tfjs";

export const LOG_2PI = Math.log(2 * Math.PI);

/**
 * Bernoulli decoder: log p(x|z) = Σ_j x_j log π_j + (1 − x_j) log(1 − π_j), π = sigmoid(ℓ),
 * computed from the logits ℓ as Σ_j x_j ℓ_j − softplus(ℓ_j) (= minus the binary cross-entropy).
 * `logits`, `x`: [n, D] → [n].
 */
export function bernoulliLogLikelihood(logits: tf.Tensor2D, x: tf.Tensor2D): tf.Tensor1D {
  return tf.tidy(() => tf.sum(tf.sub(tf.mul(x, logits), tf.softplus(logits)), 1) as tf.Tensor1D);
}

/**
 * Fixed-variance Gaussian decoder (lecture 003, "L2 loss as a Gaussian NLL"):
 * log N(x; m, s²I) = −‖x − m‖² / (2s²) − (D/2) log(2π s²). `mean`, `x`: [n, D] → [n].
 */
export function gaussianLogLikelihood(mean: tf.Tensor2D, x: tf.Tensor2D, sigma: number): tf.Tensor1D {
  if (!(sigma > 0)) throw new Error(`gaussianLogLikelihood: sigma must be > 0, got ${sigma}.`);
  const d = x.shape[1];
  return tf.tidy(
    () =>
      tf.sub(
        tf.mul(tf.sum(tf.squaredDifference(x, mean), 1), -0.5 / (sigma * sigma)),
        0.5 * d * (LOG_2PI + 2 * Math.log(sigma)),
      ) as tf.Tensor1D,
  );
}

/**
 * Closed-form KL of a diagonal Gaussian from the standard normal (Kingma & Welling, App. B):
 * KL(N(μ, σ²) ‖ N(0, I)) = ½ Σ_j (σ_j² + μ_j² − 1 − log σ_j²). `mu`, `logvar`: [n, d] → [n].
 */
export function gaussianKlStdNormal(mu: tf.Tensor2D, logvar: tf.Tensor2D): tf.Tensor1D {
  return tf.tidy(
    () => tf.mul(tf.sum(tf.sub(tf.add(tf.exp(logvar), tf.square(mu)), tf.add(logvar, 1)), 1), 0.5) as tf.Tensor1D,
  );
}

/** Per-dimension KL ½(σ² + μ² − 1 − log σ²), [n, d] → [n, d] (free bits and active units use it). */
export function gaussianKlPerDim(mu: tf.Tensor2D, logvar: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => tf.mul(tf.sub(tf.add(tf.exp(logvar), tf.square(mu)), tf.add(logvar, 1)), 0.5) as tf.Tensor2D);
}

/**
 * log q(z|x) for z = μ + σ ⊙ ε: log N(z; μ, σ²) = −½ Σ_j (log 2π + log σ_j² + ε_j²).
 * Written with ε so that it is exact for the sample that produced z. [n, d] → [n].
 */
export function logNormalFromEps(logvar: tf.Tensor2D, eps: tf.Tensor2D): tf.Tensor1D {
  const d = eps.shape[1];
  return tf.tidy(() => tf.mul(tf.add(tf.sum(tf.add(logvar, tf.square(eps)), 1), d * LOG_2PI), -0.5) as tf.Tensor1D);
}

/** log N(z; 0, I) = −½ Σ_j (log 2π + z_j²). [n, d] → [n]. */
export function logStdNormal(z: tf.Tensor2D): tf.Tensor1D {
  const d = z.shape[1];
  return tf.tidy(() => tf.mul(tf.add(tf.sum(tf.square(z), 1), d * LOG_2PI), -0.5) as tf.Tensor1D);
}
