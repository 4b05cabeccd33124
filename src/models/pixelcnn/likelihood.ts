/**
 * The exact log-likelihood of an autoregressive model (lecture 001):
 *
 *   log p(x) = Σ_{i=1}^{D} log p(x_i | x_<i),   D = H·W,
 *
 * all D conditionals from one network pass (teacher forcing: the true x_<i is the input).
 * Bernoulli pixels: log p(x_i | x_<i) = x_i ℓ_i − softplus(ℓ_i); categorical pixels (codes):
 * log p(x_i = k | x_<i) = ℓ_{i,k} − log Σ_j exp ℓ_{i,j}. Reported in nats per image and in
 * bits per dimension, −log₂ p(x) / D.
 */
import * as tf from "@tensorflow/tfjs";
import { PixelCnn } from "./network";

/** A batch of images or code maps: n·H·W values, row-major, image after image. */
export type PixelData = Float32Array | Int32Array;

/**
 * Check that `data` holds whole H×W images with valid values for `model` (Bernoulli: 0 or 1;
 * categorical: integers 0 … K−1) and return the number of images. `where` names the caller.
 */
export function checkPixelData(model: PixelCnn, data: unknown, where: string): number {
  const { height: H, width: W, output, numCategories: K } = model.config;
  const D = H * W;
  if (!(data instanceof Float32Array || data instanceof Int32Array || data instanceof Float64Array || data instanceof Uint8Array)) {
    throw new Error(`${where}: pass the images as a Float32Array (binary pixels) or the code maps as an Int32Array, got ${data === null ? "null" : typeof data}.`);
  }
  const a = data as ArrayLike<number>;
  if (a.length === 0 || a.length % D !== 0) {
    throw new Error(
      `${where}: ${a.length} values is not a whole number of ${H}×${W} ${output === "bernoulli" ? "images" : "code maps"} (${D} values each); ` +
        `this model was built for ${H}×${W}. Check the image size (e.g. a 7×7 code map vs a 28×28 image).`,
    );
  }
  for (let i = 0; i < a.length; i++) {
    const v = a[i];
    if (output === "bernoulli") {
      if (v !== 0 && v !== 1) {
        throw new Error(`${where}: pixel ${i % D} of image ${Math.floor(i / D)} is ${v}; a Bernoulli PixelCNN models binary pixels (0 or 1). Binarize the images first (binarizeDynamic or binarizeThreshold).`);
      }
    } else if (!(Number.isInteger(v) && v >= 0 && v < K)) {
      throw new Error(`${where}: code ${v} at position ${i % D} of map ${Math.floor(i / D)} is not an integer in 0 … ${K - 1}; this prior has K = ${K} codes. Was it trained for a different VQ-VAE codebook?`);
    }
  }
  return a.length / D;
}

/** Check n class labels for a class-conditional model (or their absence for an unconditional one). */
export function checkPixelCnnLabels(model: PixelCnn, labels: unknown, n: number, where: string): Int32Array | undefined {
  const L = model.config.numLabels;
  if (L === 0) {
    if (labels !== undefined) throw new Error(`${where}: this model is unconditional; do not pass labels.`);
    return undefined;
  }
  if (labels === undefined) throw new Error(`${where}: this model is class-conditional (${L} classes): pass one label per image.`);
  let out: Int32Array;
  if (typeof labels === "number") out = new Int32Array(n).fill(labels);
  else if (Array.isArray(labels) || (ArrayBuffer.isView(labels) && !(labels instanceof DataView))) out = Int32Array.from(labels as ArrayLike<number>);
  else throw new Error(`${where}: labels must be an Int32Array (one per image) or one number for all, got ${typeof labels}.`);
  if (out.length !== n) throw new Error(`${where}: ${out.length} labels for ${n} images.`);
  for (let i = 0; i < n; i++) {
    const v = (typeof labels === "number" ? labels : (labels as ArrayLike<number>)[i]) as number;
    if (!(Number.isInteger(v) && v >= 0 && v < L)) throw new Error(`${where}: label ${v} of image ${i} is not an integer in 0 … ${L - 1}.`);
  }
  return out;
}

/**
 * −log p(x) per image, in nats, from the logits [n, H, W, outputs] and the targets: for
 * Bernoulli `target` is [n, H, W, 1] in {0, 1}; for categorical it is [n, H, W] int32 codes.
 */
export function nllFromLogits(model: PixelCnn, logits: tf.Tensor4D, target: tf.Tensor): tf.Tensor1D {
  return tf.tidy(() => {
    if (model.config.output === "bernoulli") {
      const t = tf.sub(tf.softplus(logits), tf.mul(target, logits));
      return tf.sum(t, [1, 2, 3]) as tf.Tensor1D;
    }
    const K = model.config.numCategories;
    const lse = tf.logSumExp(logits, 3);
    const picked = tf.sum(tf.mul(logits, tf.cast(tf.oneHot(target as tf.Tensor3D, K), "float32")), 3);
    return tf.sum(tf.sub(lse, picked), [1, 2]) as tf.Tensor1D;
  });
}

/** The target tensor nllFromLogits expects, for n images from `data`. */
export function targetTensor(model: PixelCnn, data: PixelData, n: number): tf.Tensor {
  const { height: H, width: W } = model.config;
  if (model.config.output === "bernoulli") return tf.tensor4d(data instanceof Float32Array ? data : Float32Array.from(data), [n, H, W, 1]);
  return tf.tensor3d(data instanceof Int32Array ? data : Int32Array.from(data), [n, H, W], "int32");
}

export interface PixelCnnNll {
  /** −log p(x) of every image, in nats. */
  perImage: Float64Array;
  /** Mean over images, nats per image. */
  nats: number;
  /** Standard error of that mean. */
  se: number;
  /** Mean bits per dimension, nats / (D · ln 2). */
  bitsPerDim: number;
  /** Mean nats per dimension (per pixel or per code). */
  natsPerDim: number;
}

/** The exact NLL of `data` (n images) under the model, in batches of `batchSize`. */
export function pixelCnnNll(model: PixelCnn, data: PixelData, opts: { labels?: ArrayLike<number> | number; batchSize?: number } = {}): PixelCnnNll {
  const n = checkPixelData(model, data, "pixelCnnNll");
  const labels = checkPixelCnnLabels(model, opts.labels, n, "pixelCnnNll");
  const B = opts.batchSize ?? 256;
  if (!(Number.isInteger(B) && B > 0)) throw new Error(`pixelCnnNll: batchSize must be a positive integer, got ${B}.`);
  const D = model.numPixels;
  const perImage = new Float64Array(n);
  const w = model.maskedWeights();
  try {
    for (let s = 0; s < n; s += B) {
      const m = Math.min(B, n - s);
      const chunk = data.subarray(s * D, (s + m) * D) as PixelData;
      const v = tf.tidy(() => {
        const x = model.inputTensor(chunk, m);
        const y = labels ? tf.tensor1d(labels.subarray(s, s + m), "int32") : undefined;
        return nllFromLogits(model, model.logits(x, y, w), targetTensor(model, chunk, m)).dataSync();
      });
      for (let i = 0; i < m; i++) perImage[s + i] = v[i];
    }
  } finally {
    model.releaseWeights(w);
  }
  let mean = 0;
  for (const v of perImage) mean += v;
  mean /= n;
  let varSum = 0;
  for (const v of perImage) varSum += (v - mean) ** 2;
  const se = n > 1 ? Math.sqrt(varSum / (n - 1) / n) : NaN;
  return { perImage, nats: mean, se, natsPerDim: mean / D, bitsPerDim: mean / D / Math.LN2 };
}
