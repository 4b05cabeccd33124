/**
 * Sequential generation from an autoregressive model (lecture 001: "slow sequential
 * generation process"): in raster order, for i = 1 … D,
 *
 *   x_i ~ p(x_i | x_1, …, x_{i−1}),
 *
 * one network pass per pixel, n images at once. Pixel i of image s uses the uniform u[s·D + i]
 * (inverse-CDF draw: x_i = 1 iff u < p(x_i = 1 | x_<i); a code is the first k whose
 * cumulative probability exceeds u), so a run is a deterministic function of the uniforms:
 * the same seed gives the same images whichever way the conditionals are computed.
 *
 * Two ways to compute p(x_i | x_<i):
 * - "naive": the whole network on the whole H×W canvas for every pixel (the lecture's cost);
 * - "fast" (default): only the window that can influence pixel (r, c) — input rows
 *   r − up … r and columns c − side … c + side, with (up, side) = model.reach() — since a
 *   masked network's output at (r, c) reads nothing outside it and nothing below row r.
 *   Activations near the window's inner edges are wrong (zero padding where real pixels
 *   are), but the error moves inward by ⌊k/2⌋ per k×k layer and so never reaches (r, c).
 *   Same logits, a 28×28 image costs (up+1)(2·side+1) instead of 784 positions per pass.
 *
 * Completion: observed pixels are kept, hidden ones are drawn in raster order from
 * p(x_i | x_<i). When every hidden pixel comes after every observed one (e.g. the bottom
 * half hidden), this samples exactly from p(x_hidden | x_observed); otherwise it ignores the
 * observed pixels that come later in raster order (the model cannot condition on them).
 */
import * as tf from "@tensorflow/tfjs";
import { Rng } from "../../runtime/rng";
import { loopSignal, throwIfAborted, yielder } from "../../runtime/abort";
import { progress } from "../../runtime/progress";
import { PixelCnn } from "./network";
import { checkPixelCnnLabels, checkPixelData, PixelData } from "./likelihood";

export type SamplingMethod = "fast" | "naive";

export interface SampleOptions {
  /** Generator for the uniforms (default: a fresh Rng()). Ignored when `uniforms` is given. */
  rng?: Rng;
  /** The n·D uniforms in [0, 1) to draw with (u[s·D + i] for pixel i of image s). */
  uniforms?: Float64Array;
  /** Class labels for a class-conditional model: one per image, or one number for all. */
  labels?: ArrayLike<number> | number;
  method?: SamplingMethod;
  showProgress?: boolean;
  signal?: AbortSignal;
}

export interface SamplingResult {
  /** n images: Float32Array of 0/1 (Bernoulli) or Int32Array of codes (categorical). */
  samples: PixelData;
  /**
   * Σ log p(x_i | x_<i) over the generated pixels of each image, in nats, from the very logits
   * the draws used (for a full sample: log p(x); for a completion: log p(x_hidden | …)).
   */
  logProb: Float64Array;
  /** Network passes made (one per generated pixel position). */
  passes: number;
  /** Pixel positions computed, summed over passes (per image): the work done. */
  positions: number;
  seconds: number;
}

function drawUniforms(n: number, D: number, opts: SampleOptions, where: string): Float64Array {
  if (opts.uniforms !== undefined) {
    const u = opts.uniforms;
    if (!(u instanceof Float64Array) || u.length !== n * D) throw new Error(`${where}: uniforms must be a Float64Array of n·D = ${n * D} values in [0, 1).`);
    return u;
  }
  const r = opts.rng ?? new Rng();
  if (!(r instanceof Rng)) throw new Error(`${where}: rng must be an Rng, e.g. rng(0).`);
  const u = new Float64Array(n * D);
  for (let i = 0; i < u.length; i++) u[i] = r.uniform();
  return u;
}

/** Fill `canvas` at the positions listed (raster order), image s only where fill[s·D + p]. */
async function autoregress(
  model: PixelCnn,
  canvas: PixelData,
  n: number,
  positions: number[],
  fill: Uint8Array | null,
  labels: Int32Array | undefined,
  uniforms: Float64Array,
  opts: SampleOptions,
  label: string,
): Promise<SamplingResult> {
  const { height: H, width: W } = model.config;
  const D = H * W;
  const K = model.outputChannels;
  const categorical = model.config.output === "categorical";
  const method = opts.method ?? "fast";
  if (method !== "fast" && method !== "naive") throw new Error(`${label}: method must be "fast" or "naive", got ${JSON.stringify(method)}.`);
  const { up, side } = model.reach();
  const signal = loopSignal(opts.signal);
  const maybeYield = yielder();
  const bar = opts.showProgress ?? true ? progress({ total: positions.length, label, unit: "px" }) : null;
  const t0 = performance.now();
  const w = model.maskedWeights();
  const labelsT = labels ? tf.keep(tf.tensor1d(labels, "int32")) : undefined;
  const buf = categorical ? new Int32Array(n * D) : new Float32Array(n * D);
  const probs = new Float64Array(K);
  let work = 0;
  const logProb = new Float64Array(n);
  const softplus = (v: number) => (v > 0 ? v + Math.log1p(Math.exp(-v)) : Math.log1p(Math.exp(v)));
  try {
    for (let step = 0; step < positions.length; step++) {
      throwIfAborted(signal, `${label} at pixel ${step + 1} of ${positions.length}`);
      const p = positions[step];
      const r = Math.floor(p / W);
      const c = p % W;
      const [r0, r1, c0, c1] = method === "naive" ? [0, H - 1, 0, W - 1] : [Math.max(0, r - up), r, Math.max(0, c - side), Math.min(W - 1, c + side)];
      const wh = r1 - r0 + 1;
      const ww = c1 - c0 + 1;
      const win = buf.subarray(0, n * wh * ww) as PixelData;
      for (let s = 0; s < n; s++) {
        for (let y = 0; y < wh; y++) {
          const src = s * D + (r0 + y) * W + c0;
          win.set(canvas.subarray(src, src + ww), (s * wh + y) * ww);
        }
      }
      work += wh * ww;
      const logits = tf.tidy(() => {
        const out = model.logits(model.inputTensor(win, n, wh, ww), labelsT, w);
        return tf.slice(out, [0, r - r0, c - c0, 0], [n, 1, 1, K]).dataSync();
      });
      for (let s = 0; s < n; s++) {
        if (fill && !fill[s * D + p]) continue;
        const u = uniforms[s * D + p];
        if (!categorical) {
          const l = logits[s];
          const prob = 1 / (1 + Math.exp(-l));
          const v = u < prob ? 1 : 0;
          canvas[s * D + p] = v;
          logProb[s] -= v === 1 ? softplus(-l) : softplus(l);
        } else {
          let m = -Infinity;
          for (let k = 0; k < K; k++) m = Math.max(m, logits[s * K + k]);
          let z = 0;
          for (let k = 0; k < K; k++) z += probs[k] = Math.exp(logits[s * K + k] - m);
          let cum = 0;
          let pick = K - 1;
          for (let k = 0; k < K; k++) {
            cum += probs[k] / z;
            if (u < cum) {
              pick = k;
              break;
            }
          }
          canvas[s * D + p] = pick;
          logProb[s] += Math.log(probs[pick] / z);
        }
      }
      bar?.tick();
      await maybeYield();
    }
  } finally {
    model.releaseWeights(w);
    labelsT?.dispose();
  }
  bar?.done();
  return { samples: canvas, logProb, passes: positions.length, positions: work, seconds: (performance.now() - t0) / 1000 };
}

/**
 * Draw n images (or code maps) from the model, pixel by pixel in raster order.
 * `method: "fast"` (default) and `"naive"` give identical samples for the same uniforms.
 */
export async function samplePixelCnn(model: PixelCnn, n: number, opts: SampleOptions = {}): Promise<SamplingResult> {
  if (!(model instanceof PixelCnn)) throw new Error("samplePixelCnn(model, n, opts): model must be a PixelCnn.");
  if (!(Number.isInteger(n) && n > 0)) throw new Error(`samplePixelCnn: n must be a positive integer, got ${String(n)}.`);
  const D = model.numPixels;
  const labels = checkPixelCnnLabels(model, opts.labels, n, "samplePixelCnn");
  const u = drawUniforms(n, D, opts, "samplePixelCnn");
  const canvas: PixelData = model.config.output === "categorical" ? new Int32Array(n * D) : new Float32Array(n * D);
  const positions = Array.from({ length: D }, (_, i) => i);
  return autoregress(model, canvas, n, positions, null, labels, u, opts, "PixelCNN sampling");
}

/**
 * Complete partially observed images: `observed` (length D for one mask shared by all images,
 * or n·D, values 0/1) marks the pixels to keep; the others are drawn in raster order from
 * p(x_i | x_<i). The hidden pixels' values in `images` are ignored.
 */
export async function completePixelCnn(model: PixelCnn, images: PixelData, observed: ArrayLike<number>, opts: SampleOptions = {}): Promise<SamplingResult> {
  if (!(model instanceof PixelCnn)) throw new Error("completePixelCnn(model, images, observed, opts): model must be a PixelCnn.");
  const D = model.numPixels;
  const n = checkPixelData(model, images, "completePixelCnn");
  if (!observed || typeof observed.length !== "number" || (observed.length !== D && observed.length !== n * D)) {
    throw new Error(`completePixelCnn: the observed mask must have D = ${D} values (one mask for all images) or n·D = ${n * D}, got ${observed?.length}.`);
  }
  const fill = new Uint8Array(n * D);
  for (let s = 0; s < n; s++) {
    let hidden = 0;
    for (let p = 0; p < D; p++) {
      const v = observed.length === D ? observed[p] : observed[s * D + p];
      if (v !== 0 && v !== 1) throw new Error(`completePixelCnn: the observed mask must hold 0 (hidden) or 1 (observed), got ${v} at ${p}.`);
      if (v === 0) {
        fill[s * D + p] = 1;
        hidden++;
      }
    }
    if (hidden === 0) throw new Error(`completePixelCnn: the mask hides nothing${observed.length === D ? "" : ` in image ${s}`}; there is nothing to complete (mark hidden pixels with 0).`);
    if (hidden === D) throw new Error(`completePixelCnn: the mask hides every pixel${observed.length === D ? "" : ` of image ${s}`}; that is unconditional sampling: use samplePixelCnn(model, n).`);
  }
  const positions: number[] = [];
  for (let p = 0; p < D; p++) {
    let any = false;
    for (let s = 0; s < n && !any; s++) any = fill[s * D + p] === 1;
    if (any) positions.push(p);
  }
  const labels = checkPixelCnnLabels(model, opts.labels, n, "completePixelCnn");
  const u = drawUniforms(n, D, opts, "completePixelCnn");
  const canvas = images.slice() as PixelData;
  for (let i = 0; i < canvas.length; i++) if (fill[i]) canvas[i] = 0;
  return autoregress(model, canvas, n, positions, fill, labels, u, opts, "PixelCNN completion");
}

/**
 * The model's conditionals at every pixel given the data (teacher forcing), as probabilities:
 * Bernoulli: p(x_i = 1 | x_<i), n·D values; categorical: p(x_i = k | x_<i), n·D·K values.
 */
export function pixelConditionals(model: PixelCnn, data: PixelData, labels?: ArrayLike<number> | number): Float32Array {
  const n = checkPixelData(model, data, "pixelConditionals");
  const lab = checkPixelCnnLabels(model, labels, n, "pixelConditionals");
  // The probabilities leave tidy as a tensor and are read after it: a typed array returned from
  // tf.tidy is walked entry by entry in search of tensors (17–27 s for the 6.3 million numbers of
  // 999 code maps, against under 1 s for the softmax itself).
  const p = tf.tidy(() => {
    const l = model.logits(model.inputTensor(data, n), lab ? tf.tensor1d(lab, "int32") : undefined);
    return model.config.output === "bernoulli" ? tf.sigmoid(l) : tf.softmax(l, 3);
  });
  try {
    return p.dataSync() as Float32Array;
  } finally {
    p.dispose();
  }
}
