/**
 * Binarization of grey images in [0, 1] for Bernoulli likelihoods p(x | z) = prod_i mu_i^x_i (1 - mu_i)^(1 - x_i).
 */
import { Rng } from "../runtime/rng";

function checkPixel(v: number, i: number, where: string): void {
  if (!(v >= 0 && v <= 1)) {
    throw new Error(
      `${where}: pixel ${i} is ${v}, outside [0, 1]. Scale the images to [0, 1] first (IDX bytes / 255; the loaders already do).`,
    );
  }
}

/**
 * Dynamic binarization: x_i ~ Bernoulli(p_i) independently, with p_i the grey value of pixel i,
 * so E[x_i] = p_i. Draws are fresh on every call (call it once per epoch or per batch to
 * resample), and reproducible for a given `rng` state.
 *
 * Each draw compares one 32-bit PCG32 output u with p_i * 2^32 (x_i = 1 iff u < p_i 2^32):
 * P(x_i = 1) = ceil(p_i 2^32) / 2^32, within 2.4e-10 of p_i.
 */
export function binarizeDynamic(images: Float32Array | Float64Array, rng: Rng): Float32Array {
  if (!rng || typeof rng.nextUint32 !== "function") {
    throw new Error("binarizeDynamic(images, rng): pass a seeded Rng, e.g. rng(0), as the second argument.");
  }
  const out = new Float32Array(images.length);
  const scale = 4294967296;
  for (let i = 0; i < images.length; i++) {
    const p = images[i];
    checkPixel(p, i, "binarizeDynamic");
    out[i] = rng.nextUint32() < p * scale ? 1 : 0;
  }
  return out;
}

/** Static binarization: x_i = 1 if p_i > t, else 0 (t = 0.5 is the usual choice). */
export function binarizeThreshold(images: Float32Array | Float64Array, t = 0.5): Float32Array {
  if (!(t >= 0 && t < 1)) {
    throw new Error(`binarizeThreshold: threshold t must be in [0, 1); got ${t}.`);
  }
  const out = new Float32Array(images.length);
  for (let i = 0; i < images.length; i++) {
    const p = images[i];
    checkPixel(p, i, "binarizeThreshold");
    out[i] = p > t ? 1 : 0;
  }
  return out;
}
