/**
 * A trained VQ-VAE as a tokenizer (lecture 003, "VQ-VAE as tokenizers"): images → symbolic
 * images z[x, y] (K symbols on a 7×7 grid) → images, in batches, on plain arrays; and its
 * held-out quality (distortion, codebook usage).
 */
import * as tf from "@tensorflow/tfjs";
import { VqVae } from "./model";
import { nearestCodes } from "./quantizer";
import { codebookPerplexity, codesUsed, codeUsage } from "./codebook";

function checkImagesArray(model: VqVae, images: unknown, where: string): number {
  if (!(model instanceof VqVae)) throw new TypeError(`${where}: the first argument must be a VqVae (from loadOrTrainVqVae or createVqVae).`);
  if (!(images instanceof Float32Array)) throw new TypeError(`${where}: images must be a Float32Array of n × ${model.rowSize} pixels in [0, 1], got ${Object.prototype.toString.call(images)}.`);
  const n = images.length / model.rowSize;
  if (!Number.isInteger(n) || n === 0) throw new RangeError(`${where}: ${images.length} numbers is not a positive multiple of ${model.rowSize} pixels per image.`);
  return n;
}

/** Encoder outputs L (not quantized): n × (H/4) × (W/4) × I numbers. Throws on NaN or ±∞. */
export function vqLatents(model: VqVae, images: Float32Array, batchSize = 500): Float32Array {
  const n = checkImagesArray(model, images, "vqLatents");
  const D = model.rowSize;
  const per = model.codeHeight * model.codeWidth * model.latentDim;
  const out = new Float32Array(n * per);
  for (let s = 0; s < n; s += batchSize) {
    const m = Math.min(batchSize, n - s);
    const t = tf.tidy(() => model.encodeLatents(tf.tensor2d(images.subarray(s * D, (s + m) * D), [m, D])));
    out.set(t.dataSync(), s * per);
    t.dispose();
  }
  for (let i = 0; i < out.length; i++) {
    if (!Number.isFinite(out[i])) {
      throw new RangeError(
        `vqLatents: the encoder output of image ${Math.floor(i / per)} has a non-finite value (${out[i]}): no code is nearest to NaN. ` +
          `Check the images (NaN pixels?) and the weights (a diverged training?).`,
      );
    }
  }
  return out;
}

/** z[x, y] for every image: Int32Array of n × (H/4) × (W/4) code indices (row-major, per image). */
export function vqEncode(model: VqVae, images: Float32Array, batchSize = 500): Int32Array {
  const lat = vqLatents(model, images, batchSize);
  const I = model.latentDim;
  const out = new Int32Array(lat.length / I);
  const chunk = batchSize * model.codeHeight * model.codeWidth;
  for (let s = 0; s < out.length; s += chunk) {
    const m = Math.min(chunk, out.length - s);
    const c = tf.tidy(() => nearestCodes(tf.tensor2d(lat.subarray(s * I, (s + m) * I), [m, I]), model.codebook as tf.Tensor2D));
    out.set(c.dataSync() as Int32Array, s);
    c.dispose();
  }
  return out;
}

/** Images from code maps: codes n × (H/4) × (W/4) in [0, K) → n × H·W pixels (decoder output, not clipped). */
export function vqDecodeCodes(model: VqVae, codes: Int32Array, batchSize = 500): Float32Array {
  if (!(model instanceof VqVae)) throw new TypeError("vqDecodeCodes: the first argument must be a VqVae.");
  if (!(codes instanceof Int32Array)) throw new TypeError(`vqDecodeCodes: codes must be an Int32Array of n × ${model.codeHeight} × ${model.codeWidth} indices, got ${Object.prototype.toString.call(codes)}.`);
  const hw = model.codeHeight * model.codeWidth;
  const n = codes.length / hw;
  if (!Number.isInteger(n) || n === 0) {
    throw new RangeError(`vqDecodeCodes: ${codes.length} codes is not a positive multiple of ${model.codeHeight} × ${model.codeWidth} = ${hw} per image (a code map of the wrong shape).`);
  }
  const K = model.numCodes;
  for (let i = 0; i < codes.length; i++) {
    if (codes[i] < 0 || codes[i] >= K) throw new RangeError(`vqDecodeCodes: code ${codes[i]} at position ${i} (image ${Math.floor(i / hw)}) is not in [0, ${K}): the codes come from a model with another K?`);
  }
  const D = model.rowSize;
  const out = new Float32Array(n * D);
  for (let s = 0; s < n; s += batchSize) {
    const m = Math.min(batchSize, n - s);
    const t = tf.tidy(() => {
      const q = tf.reshape(tf.gather(model.codebook, tf.tensor1d(codes.subarray(s * hw, (s + m) * hw), "int32")), [m, model.codeHeight, model.codeWidth, model.latentDim]);
      return model.decodeLatents(q as tf.Tensor4D);
    });
    out.set(t.dataSync(), s * D);
    t.dispose();
  }
  return out;
}

/** ŝ = Dec(C[z(s)]): the reconstructions of images through the codes. */
export function vqReconstruct(model: VqVae, images: Float32Array, batchSize = 500): Float32Array {
  return vqDecodeCodes(model, vqEncode(model, images, batchSize), batchSize);
}

/** Mean and variance of pixel values (Var(s), the scale of keras-io's reconstruction loss). */
export function pixelVariance(images: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < images.length; i++) s += images[i];
  const m = s / images.length;
  let v = 0;
  for (let i = 0; i < images.length; i++) v += (images[i] - m) ** 2;
  return v / images.length;
}

export interface VqEvaluation {
  /** Mean squared error per pixel (pixel units). */
  mse: number;
  /** mse / Var(s) with the model's training variance (keras-io's "reconstruction loss"). */
  mseOverVariance: number;
  /** Distinct codes the images use, and the perplexity of their usage. */
  codesUsed: number;
  perplexity: number;
  /** n_k over the images' code maps. */
  usage: Int32Array;
  /** The quantization distortion ‖L − C[z]‖² per latent number (mean). */
  latentDistortion: number;
  images: number;
}

/** Held-out quality of a VQ-VAE on images (n × H·W in [0, 1]). */
export function evaluateVqVae(model: VqVae, images: Float32Array, batchSize = 500): VqEvaluation {
  const n = checkImagesArray(model, images, "evaluateVqVae");
  const lat = vqLatents(model, images, batchSize);
  const codes = vqEncode(model, images, batchSize);
  const recon = vqDecodeCodes(model, codes, batchSize);
  let se = 0;
  for (let i = 0; i < images.length; i++) se += (recon[i] - images[i]) ** 2;
  const C = model.codebook.dataSync();
  const I = model.latentDim;
  let ld = 0;
  for (let p = 0; p < codes.length; p++) for (let i = 0; i < I; i++) ld += (lat[p * I + i] - C[codes[p] * I + i]) ** 2;
  const usage = codeUsage(codes, model.numCodes);
  const mse = se / images.length;
  return { mse, mseOverVariance: mse / model.config.dataVariance, codesUsed: codesUsed(usage), perplexity: codebookPerplexity(usage), usage, latentDistortion: ld / lat.length, images: n };
}
