/**
 * UnsortedSegmentSum for the wasm backend (absent from tfjs-backend-wasm 4.22). It is the
 * gradient of gather: a codebook lookup e_k = E[k] (VQ-VAE) or an embedding table sends
 * ∂L/∂E[s] = Σ_{i : ids[i] = s} ∂L/∂out[i] back, which tfjs computes as
 *
 *   out[s, …] = Σ_{i : segmentIds[i] = s} x[i, …],   s = 0 … numSegments − 1,
 *
 * with ids outside [0, numSegments) dropped (TensorFlow's rule). One pass in JavaScript.
 */
import { KernelArgs, TensorInfo, WasmBackendLike, heapI32 } from "./wasmBackend";

export function unsortedSegmentSumWasm({ inputs, backend, attrs = {} }: KernelArgs): TensorInfo {
  const be = backend as WasmBackendLike;
  const { x, segmentIds } = inputs;
  const numSegments = attrs.numSegments as number;
  if (!Number.isInteger(numSegments) || numSegments < 0) throw new Error(`UnsortedSegmentSum (latentlab wasm kernel): numSegments must be a non-negative integer, got ${numSegments}.`);
  if (x.dtype !== "float32" && x.dtype !== "int32") throw new Error(`UnsortedSegmentSum (latentlab wasm kernel): x must be float32 or int32, got ${x.dtype}.`);
  const r = segmentIds.shape.length;
  for (let i = 0; i < r; i++) {
    if (segmentIds.shape[i] !== x.shape[i]) throw new Error(`UnsortedSegmentSum (latentlab wasm kernel): segmentIds shape [${segmentIds.shape}] must be a prefix of x's shape [${x.shape}].`);
  }
  const innerShape = x.shape.slice(r);
  const inner = innerShape.reduce((a, b) => a * b, 1);
  const out = be.makeOutput([numSegments, ...innerShape], x.dtype);
  const o = be.typedArrayFromHeap(out);
  o.fill(0);
  const xs = be.typedArrayFromHeap(x);
  const ids = heapI32(be, segmentIds);
  for (let i = 0; i < ids.length; i++) {
    const s = ids[i];
    if (s < 0 || s >= numSegments) continue;
    const src = i * inner;
    const dst = s * inner;
    for (let j = 0; j < inner; j++) o[dst + j] += xs[src + j];
  }
  return out;
}
