/**
 * Which input pixels one output pixel depends on, measured as in the UvA PixelCNN tutorial:
 * the gradient of the output's logits at (r, c) with respect to every input pixel,
 *
 *   g_j = Σ_channels | ∂ (Σ_k ℓ_{(r,c),k}) / ∂ x_j |.
 *
 * For a masked network g_j = 0 for every j at or after (r, c) in raster order; for stacked
 * mask-A/B convolutions it is also 0 on a "blind spot" up and to the right, which the gated
 * PixelCNN's vertical stack covers.
 */
import * as tf from "@tensorflow/tfjs";
import { PixelCnn } from "./network";

/**
 * g_j for every input pixel j (H·W values, raster order) of the output at (row, col), at the
 * input `x` (H·W·inputChannels values; any real numbers: the gradient is taken as if pixels
 * were continuous). `label` for a class-conditional model.
 */
export function inputGradients(model: PixelCnn, x: Float32Array, row: number, col: number, label?: number): Float32Array {
  const { height: H, width: W } = model.config;
  const C = model.inputChannels;
  if (!(x instanceof Float32Array) || x.length !== H * W * C) throw new Error(`inputGradients: x must be a Float32Array of H·W·inputChannels = ${H * W * C} values.`);
  if (!(Number.isInteger(row) && row >= 0 && row < H && Number.isInteger(col) && col >= 0 && col < W)) {
    throw new Error(`inputGradients: (row, col) = (${row}, ${col}) is outside the ${H}×${W} image.`);
  }
  return tf.tidy(() => {
    const input = tf.tensor4d(x, [1, H, W, C]);
    const labels = model.config.numLabels > 0 ? tf.tensor1d([label ?? 0], "int32") : undefined;
    const g = tf.grad((inp: tf.Tensor) => tf.sum(tf.slice(model.logits(inp as tf.Tensor4D, labels), [0, row, col, 0], [1, 1, 1, -1])))(input);
    return tf.sum(tf.abs(g), [0, 3]).dataSync() as Float32Array;
  });
}

/**
 * The dependence matrix of the whole image: row i (an output pixel, raster order) holds
 * `inputGradients` of that output for every input pixel j, summed over `inputs`. Several inputs
 * keep a dependence that vanishes at one input by chance (a ReLU off there) from reading as none.
 */
export function dependenceMatrix(model: PixelCnn, inputs: Float32Array[], label?: number): Float32Array[] {
  const { height: H, width: W } = model.config;
  if (!Array.isArray(inputs) || inputs.length === 0) throw new Error("dependenceMatrix: pass at least one input (an array of Float32Array images).");
  const rows: Float32Array[] = [];
  for (let i = 0; i < H * W; i++) {
    const row = new Float32Array(H * W);
    for (const x of inputs) {
      const g = inputGradients(model, x, Math.floor(i / W), i % W, label);
      for (let j = 0; j < row.length; j++) row[j] += g[j];
    }
    rows.push(row);
  }
  return rows;
}

/**
 * The blind spot over the whole image: every pair (output pixel, earlier input pixel) whose
 * dependence is exactly zero, with positions as [row, col], and how many earlier pairs there
 * are in all (H·W·(H·W − 1)/2). For a gated PixelCNN whose reach covers the image it is empty.
 */
export function blindSpotPairs(
  model: PixelCnn,
  inputs: Float32Array[],
  label?: number,
): { earlierPairs: number; unseen: { output: [number, number]; input: [number, number] }[] } {
  const W = model.config.width;
  const J = dependenceMatrix(model, inputs, label);
  const unseen: { output: [number, number]; input: [number, number] }[] = [];
  let earlierPairs = 0;
  for (let i = 0; i < J.length; i++) {
    for (let j = 0; j < i; j++) {
      earlierPairs++;
      if (J[i][j] === 0) unseen.push({ output: [Math.floor(i / W), i % W], input: [Math.floor(j / W), j % W] });
    }
  }
  return { earlierPairs, unseen };
}
