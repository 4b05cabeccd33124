/**
 * Latent traversals (lecture 001, "interpretability of the latent vector"; lecture 002, β-VAE):
 * encode one image, then move one latent coordinate at a time over [−range, range] and decode.
 * Units are ordered by their average KL, KL_u = E_x[½(σ_u² + μ_u² − 1 − log σ_u²)], most
 * informative first, so that the rows of the figure go from "what the model uses" to collapsed units.
 */
import type { Vae } from "./vae";

export interface LatentTraversal {
  /** Decoded images, row r = unit order[r], `steps` images per row: (d·steps)×D. */
  images: Float32Array;
  /** The latent codes that were decoded, (d·steps)×d. */
  latents: Float32Array;
  /** Units sorted by decreasing average KL. */
  order: number[];
  /** Average KL of each unit, in `order`. */
  kl: number[];
}

/** Per-unit average KL(q(z_u|x) ‖ N(0, 1)) over `images` (nats per unit). */
export function klPerUnit(model: Vae, images: Float32Array): number[] {
  const d = model.latentDim;
  const { mu, variance } = model.encodeGaussian(images);
  const n = mu.length / d;
  const kl = new Array<number>(d).fill(0);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) {
    const v = variance[i * d + j];
    kl[j] += (0.5 * (v + mu[i * d + j] ** 2 - 1 - Math.log(v))) / n;
  }
  return kl;
}

/**
 * Traverse every unit around the code μ(x) of image `base` of `images` (default 0), from −range to
 * +range in `steps` steps; units ordered by their KL over `images`.
 */
export function latentTraversal(model: Vae, images: Float32Array, opts: { base?: number; steps?: number; range?: number } = {}): LatentTraversal {
  const d = model.latentDim;
  const D = model.dataDim;
  const steps = opts.steps ?? 9;
  const range = opts.range ?? 2.5;
  const base = opts.base ?? 0;
  if (!Number.isInteger(steps) || steps < 2) throw new Error(`latentTraversal: steps must be an integer ≥ 2, got ${steps}.`);
  if (!Number.isInteger(base) || base < 0 || (base + 1) * D > images.length) throw new Error(`latentTraversal: base image ${base} is not among the ${images.length / D} images.`);
  const kl = klPerUnit(model, images);
  const order = kl.map((v, j) => [v, j]).sort((a, b) => b[0] - a[0]).map(([, j]) => j);
  const z0 = model.encodeMeans(images.subarray(base * D, (base + 1) * D));
  const latents = new Float32Array(d * steps * d);
  order.forEach((j, row) => {
    for (let t = 0; t < steps; t++) {
      const at = (row * steps + t) * d;
      latents.set(z0, at);
      latents[at + j] = -range + (2 * range * t) / (steps - 1);
    }
  });
  return { images: model.decodeLatents(latents), latents, order, kl: order.map((j) => kl[j]) };
}
