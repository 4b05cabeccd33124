/**
 * Just enough of the WebAssembly binary format to assemble small hand-written modules in
 * TypeScript (no toolchain at build or install time): LEB128 integers, names, sections, and the
 * opcodes our kernels use. Spec: https://webassembly.github.io/spec/core/binary/ and the
 * fixed-width SIMD proposal (opcodes after the 0xfd prefix, LEB128-encoded).
 */

/** Unsigned LEB128. */
export function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n) b |= 0x80;
    out.push(b);
  } while (n);
  return out;
}

/** Signed LEB128 (the encoding of i32.const immediates). */
export function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
}

/** A length-prefixed UTF-8 (here: ASCII) name. */
export function str(s: string): number[] {
  return [s.length, ...Array.from(s, (c) => c.charCodeAt(0))];
}

/** A section: id, byte length, contents. */
export function section(id: number, bytes: number[]): number[] {
  return [id, ...uleb(bytes.length), ...bytes];
}

/** The module header ("\0asm", version 1). */
export const HEADER = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];

/** Value types. */
export const T = { i32: 0x7f, f32: 0x7d, f64: 0x7c, v128: 0x7b, void: 0x40 } as const;

/** Scalar opcodes. */
export const OP = {
  block: 0x02, loop: 0x03, end: 0x0b, br: 0x0c, brIf: 0x0d, ret: 0x0f,
  get: 0x20, set: 0x21, tee: 0x22,
  f32Load: 0x2a, f64Load: 0x2b, f64Store: 0x39,
  i32Const: 0x41, i32Eqz: 0x45, i32LtU: 0x49, i32GeU: 0x4f,
  i32Add: 0x6a, i32Sub: 0x6b, i32Mul: 0x6c, i32And: 0x71, i32Shl: 0x74,
  f64Le: 0x65, i64Add: 0x7c, f64Add: 0xa0, f64Sub: 0xa1, f64Mul: 0xa2, i32WrapI64: 0xa7, f64PromoteF32: 0xbb,
  void: 0x40, i32: 0x7f, f32: 0x7d, v128: 0x7b,
} as const;

/** A memory argument: log2 alignment hint and a constant byte offset. */
export function memarg(align: number, offset = 0): number[] {
  return [align, ...uleb(offset)];
}

/** SIMD opcodes (0xfd prefix); loads and stores take a `memarg` after them. */
export const SIMD = {
  load: [0xfd, 0x00],
  load64Zero: [0xfd, 0x5d],
  store: [0xfd, 0x0b],
  f32x4Splat: [0xfd, 0x13],
  f64x2Splat: [0xfd, 0x14],
  i64x2ExtractLane: (lane: number) => [0xfd, 0x1d, lane],
  f64x2ExtractLane: (lane: number) => [0xfd, 0x21, lane],
  f64x2Le: [0xfd, 0x4b],
  i64x2Sub: [0xfd, 0xd1, 0x01],
  f64x2PromoteLowF32x4: [0xfd, 0x5f],
  f32x4Sqrt: [0xfd, 0xe3, 0x01],
  f32x4Add: [0xfd, 0xe4, 0x01],
  f32x4Mul: [0xfd, 0xe6, 0x01],
  f32x4Div: [0xfd, 0xe7, 0x01],
  f64x2Add: [0xfd, 0xf0, 0x01],
  f64x2Sub: [0xfd, 0xf1, 0x01],
  f64x2Mul: [0xfd, 0xf2, 0x01],
} as const;

/** A function body: local declarations as [count, type] runs, then code, then `end`. */
export function funcBody(locals: [number, number][], code: number[]): number[] {
  const body = [...uleb(locals.length), ...locals.flatMap(([n, t]) => [...uleb(n), t]), ...code, OP.end];
  return [...uleb(body.length), ...body];
}
