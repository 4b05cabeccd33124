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
