/**
 * What a latentlab kernel needs from TensorFlow.js's wasm backend: the tensors' bytes on the
 * wasm heap, fresh outputs, and the backend's own (original) kernels to delegate to.
 *
 * A kernel function receives `TensorInfo`s (shape, dtype, dataId), not tensors. On the wasm
 * backend every tensor lives in the module's linear memory; `typedArrayFromHeap` is a view
 * on it. Allocating (makeOutput, or any kernel call) may grow that memory, which detaches
 * older views, so views are taken after the last allocation of a step.
 */
import * as tf from "@tensorflow/tfjs";

export type TensorInfo = tf.TensorInfo;

/** The part of tfjs-backend-wasm's BackendWasm class that the kernels use. */
export interface WasmBackendLike {
  makeOutput(shape: number[], dtype: tf.DataType): TensorInfo;
  typedArrayFromHeap(t: TensorInfo): Float32Array | Int32Array | Uint8Array;
  disposeData(dataId: object, force?: boolean): boolean;
}

/** The arguments tfjs passes to a kernel function. */
export interface KernelArgs {
  inputs: Record<string, TensorInfo>;
  backend: unknown;
  attrs?: Record<string, unknown>;
}

/** A float32 view on a tensor's data on the wasm heap (re-take it after allocating). */
export function heapF32(backend: WasmBackendLike, t: TensorInfo): Float32Array {
  if (t.dtype !== "float32") throw new Error(`latentlab wasm kernel: expected a float32 tensor, got ${t.dtype} of shape [${t.shape}].`);
  return backend.typedArrayFromHeap(t) as Float32Array;
}

/** A view on an int32 tensor's data on the wasm heap. */
export function heapI32(backend: WasmBackendLike, t: TensorInfo): Int32Array {
  if (t.dtype !== "int32") throw new Error(`latentlab wasm kernel: expected an int32 tensor, got ${t.dtype} of shape [${t.shape}].`);
  return backend.typedArrayFromHeap(t) as Int32Array;
}

/** Free an intermediate that a kernel made and does not return. */
export function release(backend: WasmBackendLike, t: TensorInfo): void {
  backend.disposeData(t.dataId);
}

/**
 * The kernels the wasm backend had before latentlab replaced any: delegating kernels call
 * these (never `tf.getKernel`, which would return the replacement itself).
 */
const originals = new Map<string, tf.KernelConfig | null>();

/** Remember the backend's own kernel `name` (once, before it is replaced). */
export function captureOriginal(name: string): tf.KernelConfig | null {
  if (!originals.has(name)) originals.set(name, tf.getKernel(name, "wasm") ?? null);
  return originals.get(name) ?? null;
}

/** Run the wasm backend's own kernel `name` on TensorInfos. */
export function runOriginal(name: string, backend: unknown, inputs: Record<string, TensorInfo>, attrs: Record<string, unknown> = {}): TensorInfo {
  const k = captureOriginal(name);
  if (!k) throw new Error(`latentlab wasm kernels: the wasm backend has no "${name}" kernel to delegate to.`);
  return k.kernelFunc({ inputs, backend, attrs } as unknown as Parameters<tf.KernelFunc>[0]) as TensorInfo;
}

/** A [.., r, c] → [.., c, r] transpose of the last two axes with the backend's Transpose kernel. */
export function transposeLast2(backend: unknown, x: TensorInfo): TensorInfo {
  const rank = x.shape.length;
  const perm = [...Array(rank).keys()];
  perm[rank - 2] = rank - 1;
  perm[rank - 1] = rank - 2;
  return runOriginal("Transpose", backend, { x }, { perm });
}
