/**
 * The "straight-through" trick (lecture 003; lecture 002, VQ-VAE): how to backpropagate through
 * a discrete choice. Forward pass: the hard choice (argmax / nearest codeword). Backward pass:
 * the gradient of a smooth stand-in (softmax / the identity).
 *
 *   one-hot:   y_st = stop_grad(hardmax(y) − softmax(y)) + softmax(y)
 *   VQ-VAE:    z_q  = z_e + stop_grad(e_k − z_e),   k = argmin_j ‖z_e − e_j‖²
 */
import * as tf from "@tensorflow/tfjs";

/** stop_grad(x): the identity in the forward pass, a zero gradient in the backward pass. */
export function stopGradient<T extends tf.Tensor>(x: T): T {
  const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => ({
    value: (args[0] as tf.Tensor).clone(),
    gradFunc: (dy: tf.Tensor | tf.Tensor[]) => tf.zerosLike(dy as tf.Tensor),
  }));
  return f(x) as T;
}

/** hardmax(y): the one-hot vector of argmax_j y_j, row by row. `logits`: [n, k] → [n, k]. */
export function hardmax(logits: tf.Tensor2D): tf.Tensor2D {
  if (logits.rank !== 2) throw new Error(`hardmax: expected logits of shape [n, k], got [${logits.shape}].`);
  return tf.tidy(() => tf.oneHot(tf.argMax(logits, 1) as tf.Tensor1D, logits.shape[1]).toFloat() as tf.Tensor2D);
}

/**
 * Straight-through one-hot: y_st = stop_grad(hardmax(y) − softmax(y)) + softmax(y).
 * Its value is exactly hardmax(y); its gradient with respect to y is softmax's gradient.
 */
export function straightThroughOneHot(logits: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => {
    const soft = tf.softmax(logits);
    return tf.add(stopGradient(tf.sub(hardmax(logits), soft)), soft) as tf.Tensor2D;
  });
}

/**
 * VQ-VAE quantization with the straight-through gradient: k_i = argmin_j ‖z_e,i − e_j‖² (the
 * K-means assignment), z_q = z_e + stop_grad(e_k − z_e). The value is the nearest codeword e_k;
 * the gradient with respect to z_e is the identity (the decoder's gradient is copied to the encoder).
 * `ze`: [n, d], `codebook`: [k, d]. Returns z_q [n, d] and the indices k_i.
 */
export function straightThroughQuantize(ze: tf.Tensor2D, codebook: tf.Tensor2D): { zq: tf.Tensor2D; indices: tf.Tensor1D } {
  if (ze.rank !== 2 || codebook.rank !== 2 || ze.shape[1] !== codebook.shape[1]) {
    throw new Error(`straightThroughQuantize: expected z_e [n, d] and codebook [k, d] with the same d, got [${ze.shape}] and [${codebook.shape}].`);
  }
  return tf.tidy(() => {
    // ‖z − e‖² = ‖z‖² − 2 z·e + ‖e‖²
    const d2 = tf.add(tf.sub(tf.sum(tf.square(ze), 1, true), tf.mul(2, tf.matMul(ze, codebook, false, true))), tf.sum(tf.square(codebook), 1).reshape([1, -1]));
    // the index is a discrete choice: read it off the tape (it has no gradient)
    const indices = tf.tensor1d(tf.argMin(d2, 1).dataSync() as Int32Array, "int32");
    const ek = tf.gather(codebook, indices) as tf.Tensor2D;
    return { zq: tf.add(ze, stopGradient(tf.sub(ek, ze))) as tf.Tensor2D, indices };
  });
}
