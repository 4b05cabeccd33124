/**
 * Adam's elementwise update as a 4-lane WebAssembly SIMD loop that runs directly on the wasm
 * backend's memory (the module imports tfjs-backend-wasm's WebAssembly.Memory). Per lane, in
 * float32, in exactly the order and with the same IEEE operations as tfjs's AdamOptimizer:
 *
 *   m' = m·β₁ + g·(1−β₁)            v' = v·β₂ + (g·g)·(1−β₂)
 *   θ' = ((m'/(1−β₁ᵗ)) / (√(v'/(1−β₂ᵗ)) + ε))·(−η) + θ
 *
 * so the result is bit-identical to the unfused optimizer (f32x4 add/mul/div/sqrt are correctly
 * rounded, like the scalar kernels tfjs runs). The module is 200-odd bytes assembled below
 * (no toolchain needed); if the engine rejects it (no SIMD), callers fall back to JavaScript.
 */

import { section, str, uleb } from "./wasmBytes";

const OP = {
  block: 0x02, loop: 0x03, end: 0x0b, br: 0x0c, brIf: 0x0d, get: 0x20, set: 0x21, tee: 0x22,
  i32Const: 0x41, i32GeU: 0x4f, i32Add: 0x6a, void: 0x40, i32: 0x7f, f32: 0x7d, v128: 0x7b,
};
const SIMD = {
  load: [0xfd, 0x00, 0x00, 0x00], // v128.load align=0 offset=0
  store: [0xfd, 0x0b, 0x00, 0x00],
  splat: [0xfd, 0x13],
  sqrt: [0xfd, 0xe3, 0x01],
  add: [0xfd, 0xe4, 0x01],
  mul: [0xfd, 0xe6, 0x01],
  div: [0xfd, 0xe7, 0x01],
};

/** The module's bytes: export adam(bytes, x, m, v, g, xo, mo, vo, β₁, β₂, 1−β₁, 1−β₂, 1−β₁ᵗ, 1−β₂ᵗ, ε, −η). */
export function adamSimdModuleBytes(): Uint8Array {
  // params 0..7: byte length (multiple of 16) and 7 pointers; 8..15: f32 constants.
  // locals: 16 = offset (i32); 17..24 = splatted constants; 25 = g; 26 = m'; 27 = v' (v128).
  const [N, X, M, V, G, XO, MO, VO] = [0, 1, 2, 3, 4, 5, 6, 7];
  const OFF = 16;
  const K = (i: number) => 17 + i; // splat of param 8 + i
  const [LG, LM, LV] = [25, 26, 27];
  const get = (i: number) => [OP.get, i];
  const at = (p: number) => [...get(p), ...get(OFF), OP.i32Add];
  const body: number[] = [];
  for (let i = 0; i < 8; i++) body.push(...get(8 + i), ...SIMD.splat, OP.set, K(i));
  body.push(OP.block, OP.void, OP.loop, OP.void);
  body.push(...get(OFF), ...get(N), OP.i32GeU, OP.brIf, 1);
  body.push(...at(G), ...SIMD.load, OP.set, LG);
  // mo[off] = m·β₁ + g·(1−β₁)
  body.push(...at(MO), ...at(M), ...SIMD.load, ...get(K(0)), ...SIMD.mul, ...get(LG), ...get(K(2)), ...SIMD.mul, ...SIMD.add, OP.tee, LM, ...SIMD.store);
  // vo[off] = v·β₂ + (g·g)·(1−β₂)
  body.push(...at(VO), ...at(V), ...SIMD.load, ...get(K(1)), ...SIMD.mul, ...get(LG), ...get(LG), ...SIMD.mul, ...get(K(3)), ...SIMD.mul, ...SIMD.add, OP.tee, LV, ...SIMD.store);
  // xo[off] = ((m'/(1−β₁ᵗ)) / (√(v'/(1−β₂ᵗ)) + ε))·(−η) + x
  body.push(...at(XO), ...get(LM), ...get(K(4)), ...SIMD.div, ...get(LV), ...get(K(5)), ...SIMD.div, ...SIMD.sqrt, ...get(K(6)), ...SIMD.add, ...SIMD.div);
  body.push(...get(K(7)), ...SIMD.mul, ...at(X), ...SIMD.load, ...SIMD.add, ...SIMD.store);
  body.push(...get(OFF), OP.i32Const, 16, OP.i32Add, OP.set, OFF, OP.br, 0, OP.end, OP.end, OP.end);
  const func = [2, 1, OP.i32, 11, OP.v128, ...body];
  const bytes = [
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, [1, 0x60, 16, ...Array(8).fill(OP.i32), ...Array(8).fill(OP.f32), 0]),
    ...section(2, [1, ...str("env"), ...str("memory"), 0x02, 0x00, 0x00]),
    ...section(3, [1, 0]),
    ...section(7, [1, ...str("adam"), 0x00, 0]),
    ...section(10, [1, ...uleb(func.length), ...func]),
  ];
  return Uint8Array.from(bytes);
}

export type AdamSimdFn = (
  bytes: number, x: number, m: number, v: number, g: number, xo: number, mo: number, vo: number,
  b1: number, b2: number, c1: number, c2: number, omab1: number, omab2: number, eps: number, negLr: number,
) => void;

const cache = new WeakMap<WebAssembly.Memory, AdamSimdFn | null>();

/** The SIMD update bound to `memory`, or null if this engine cannot compile it. */
export function adamSimdFor(memory: WebAssembly.Memory): AdamSimdFn | null {
  if (cache.has(memory)) return cache.get(memory) ?? null;
  let fn: AdamSimdFn | null = null;
  try {
    const mod = new WebAssembly.Module(adamSimdModuleBytes() as BufferSource);
    const inst = new WebAssembly.Instance(mod, { env: { memory } });
    fn = inst.exports.adam as unknown as AdamSimdFn;
  } catch {
    fn = null;
  }
  cache.set(memory, fn);
  return fn;
}
