/**
 * The SIMD block transpose (src/kernels/transposeSimd.ts) moves numbers only: on the wasm
 * heap it must give exactly the JavaScript loop's result, for sizes that are and are not
 * multiples of 4 and for the strided (P > 1) layout the filter gradient uses.
 */
import { describe, expect, it } from "vitest";
import * as tf from "@tensorflow/tfjs";
import { initBackend, useBackend } from "../../src/runtime/backend";
import { transposeBPCtoCPB, transposeHeap } from "../../src/kernels/conv2d";
import { transposeSimdFor } from "../../src/kernels/transposeSimd";
import type { WasmBackendLike } from "../../src/kernels/wasmBackend";

describe("SIMD transpose on the wasm heap", () => {
  it("compiles here (this engine has SIMD)", async () => {
    await initBackend();
    await useBackend("wasm");
    const mem = (tf.backend() as unknown as { wasm: { asm: { memory: WebAssembly.Memory } } }).wasm.asm.memory;
    expect(transposeSimdFor(mem)).not.toBeNull();
  });
  for (const [B, P, C] of [[4, 1, 4], [8, 1, 12], [13, 1, 7], [6, 5, 9], [32, 3, 64], [3, 2, 5], [5, 7, 3]]) {
    it(`[${B}, ${P}, ${C}] → [${C}, ${P}, ${B}] equals the JavaScript loop`, async () => {
      await initBackend();
      await useBackend("wasm");
      const n = B * P * C;
      const src = tf.tensor1d(Float32Array.from({ length: n }, (_, i) => i + 0.5));
      const dst = tf.zeros([n]);
      const be = tf.backend() as unknown as WasmBackendLike;
      transposeHeap(be, be.typedArrayFromHeap(src) as Float32Array, B, P, C, be.typedArrayFromHeap(dst) as Float32Array);
      const want = new Float32Array(n);
      transposeBPCtoCPB(Float32Array.from({ length: n }, (_, i) => i + 0.5), B, P, C, want);
      expect(Array.from(dst.dataSync())).toEqual(Array.from(want));
      // and the JavaScript loop is the definition: dst[c, p, b] = src[b, p, c]
      expect(want[(((C - 1) * P + (P - 1)) * B) + (B - 1)]).toBe(((B - 1) * P + (P - 1)) * C + (C - 1) + 0.5);
      tf.dispose([src, dst]);
    });
  }
});
