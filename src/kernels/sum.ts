/**
 * Sum over the leading axes on the wasm backend (the gradient of a bias added to a batch of
 * activations: ∂b[c] = Σ_{b, h, w} ∂y[b, h, w, c]). tfjs-backend-wasm 4.22 reduces only innermost
 * axes, so it first transposes the whole [B·H·W, C] gradient (measured ~10 ms for 50,176 × 64
 * numbers here) to sum its rows; this sums the columns in one contiguous pass instead,
 *
 *   out[c] = Σ_r x[r, c]     (float64 accumulators, rounded to float32 once),
 *
 * which equals tfjs's float32 sum up to summation order (and is more accurate). Other
 * reductions go to tfjs's kernel.
 */
import * as tf from "@tensorflow/tfjs";
import { KernelArgs, TensorInfo, WasmBackendLike, heapF32, runOriginal } from "./wasmBackend";

/** Column sums of a row-major [rows, cols] matrix into out (cols numbers). */
export function columnSums(x: Float32Array, rows: number, cols: number, out: Float32Array): void {
  const acc = new Float64Array(cols);
  let k = 0;
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) acc[c] += x[k++];
  for (let c = 0; c < cols; c++) out[c] = acc[c];
}

export function sumWasm(args: KernelArgs): TensorInfo {
  const { inputs, backend, attrs = {} } = args;
  const be = backend as WasmBackendLike;
  const { x } = inputs;
  const rank = x.shape.length;
  const axes = tf.util.parseAxisParam(attrs.axis as number | number[], x.shape).sort((a, b) => a - b);
  const leading = axes.length > 0 && axes.length < rank && axes.every((a, i) => a === i);
  if (x.dtype !== "float32" || !leading) return runOriginal("Sum", backend, inputs, attrs);
  const rows = x.shape.slice(0, axes.length).reduce((a, b) => a * b, 1);
  const cols = x.shape.slice(axes.length).reduce((a, b) => a * b, 1);
  if (rows * cols === 0 || cols > 1 << 16) return runOriginal("Sum", backend, inputs, attrs);
  const kept = x.shape.slice(axes.length);
  const outShape = attrs.keepDims === true ? [...axes.map(() => 1), ...kept] : kept;
  const out = be.makeOutput(outShape, "float32");
  columnSums(heapF32(be, x), rows, cols, heapF32(be, out));
  return out;
}
