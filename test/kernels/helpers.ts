/**
 * Shared by the kernel tests: run the same computation on the cpu backend (tfjs's reference
 * kernels) and on wasm (with latentlab's kernels registered), from the same float32 inputs.
 */
import * as tf from "@tensorflow/tfjs";
import { useBackend } from "../../src/runtime/backend";
import { Rng } from "../../src/runtime/rng";

/** Unit roundoff of float32. */
export const U32 = 2 ** -24;

export async function onBackend<T>(name: "cpu" | "wasm", f: () => T): Promise<T> {
  await useBackend(name);
  return f();
}

/** n normal(0, 1) float32 numbers from a seeded generator. */
export function randn(n: number, r: Rng): Float32Array {
  return r.normals(new Float32Array(n));
}

/** Largest |a − b| relative to the largest |b| (or 1e-30). */
export function maxRelDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} ≠ ${b.length}`);
  let m = 0;
  let s = 1e-30;
  for (let i = 0; i < a.length; i++) {
    m = Math.max(m, Math.abs(a[i] - b[i]));
    s = Math.max(s, Math.abs(b[i]));
  }
  return m / s;
}

/** Values of tensors as plain Float32Arrays (disposes them). */
export function values(ts: tf.Tensor[]): Float32Array[] {
  const out = ts.map((t) => Float32Array.from(t.dataSync()));
  tf.dispose(ts);
  return out;
}
