/**
 * Exact squared distances ‖x_i − c_j‖² for K-means, as a WebAssembly SIMD loop (two float64
 * lanes, four independent accumulators) over copies of the points and centres in the module's
 * memory, with the same arithmetic as `sqDist` in JavaScript: the result is bit-identical (the
 * order of every IEEE operation is the same; WebAssembly never contracts a·b + c into a fused
 * multiply-add, and neither does V8's JavaScript). So the bound-accelerated searches, which
 * call this kernel, and plain Lloyd with `sqDist` agree exactly, and pruning decisions never
 * depend on which one ran.
 *
 * Why: on MNIST (d = 784) one distance costs about 1.6 µs as a JavaScript loop and about
 * 0.3 µs here (`npm run bench -- kmeans` reports the end-to-end effect). The module is a few
 * hundred bytes assembled below (no toolchain); where an engine cannot compile it (no SIMD),
 * `SqDistKernel` computes the same numbers with `sqDist`.
 */
import { HEADER, OP, SIMD, T, funcBody, memarg, section, sleb, str } from "../kernels/wasmBytes";
import { type PointSet, sqDist } from "./points";

/**
 * The body of sq(x, c, d) → f64 for points stored as float32 (`xBytes` = 4) or float64 (8):
 * x and c are byte addresses, c is float64. Elements 8q..8q+7 go to the accumulators
 * A0 = (s0, s1), A1 = (s2, s3), A2 = (s4, s5), A3 = (s6, s7); the d mod 8 last ones, in order, to
 * a scalar tail; result ((s0+s4)+(s2+s6)) + ((s1+s5)+(s3+s7)) + tail, exactly as `sqDist`.
 */
function sqBody(xBytes: 4 | 8): number[] {
  const [X, C, D, END] = [0, 1, 2, 3];
  const A = [4, 5, 6, 7];
  const TMP = 8;
  const [TAIL, TS] = [9, 10];
  const shift = xBytes === 4 ? 2 : 3;
  const g = (i: number) => [OP.get, i];
  const code: number[] = [];
  // end = x + (d & ~7) · xBytes
  code.push(...g(D), OP.i32Const, ...sleb(-8), OP.i32And, OP.i32Const, shift, OP.i32Shl, ...g(X), OP.i32Add, OP.set, END);
  code.push(OP.block, T.void, OP.loop, T.void);
  code.push(...g(X), ...g(END), OP.i32GeU, OP.brIf, 1);
  for (let p = 0; p < 4; p++) {
    if (xBytes === 4) code.push(...g(X), ...SIMD.load64Zero, ...memarg(0, 8 * p), ...SIMD.f64x2PromoteLowF32x4);
    else code.push(...g(X), ...SIMD.load, ...memarg(0, 16 * p));
    code.push(...g(C), ...SIMD.load, ...memarg(0, 16 * p), ...SIMD.f64x2Sub, OP.tee, TMP, ...g(TMP), ...SIMD.f64x2Mul);
    code.push(...g(A[p]), ...SIMD.f64x2Add, OP.set, A[p]);
  }
  code.push(...g(X), OP.i32Const, ...sleb(8 * xBytes), OP.i32Add, OP.set, X);
  code.push(...g(C), OP.i32Const, ...sleb(64), OP.i32Add, OP.set, C);
  code.push(OP.br, 0, OP.end, OP.end);
  // Tail: end += (d & 7) · xBytes.
  code.push(...g(END), ...g(D), OP.i32Const, 7, OP.i32And, OP.i32Const, shift, OP.i32Shl, OP.i32Add, OP.set, END);
  code.push(OP.block, T.void, OP.loop, T.void);
  code.push(...g(X), ...g(END), OP.i32GeU, OP.brIf, 1);
  if (xBytes === 4) code.push(...g(X), OP.f32Load, ...memarg(2), OP.f64PromoteF32);
  else code.push(...g(X), OP.f64Load, ...memarg(3));
  code.push(...g(C), OP.f64Load, ...memarg(3), OP.f64Sub, OP.tee, TS, ...g(TS), OP.f64Mul, ...g(TAIL), OP.f64Add, OP.set, TAIL);
  code.push(...g(X), OP.i32Const, xBytes, OP.i32Add, OP.set, X);
  code.push(...g(C), OP.i32Const, 8, OP.i32Add, OP.set, C);
  code.push(OP.br, 0, OP.end, OP.end);
  // ((A0 + A2) + (A1 + A3)), then lane 0 + lane 1, then + tail.
  code.push(...g(A[0]), ...g(A[2]), ...SIMD.f64x2Add, ...g(A[1]), ...g(A[3]), ...SIMD.f64x2Add, ...SIMD.f64x2Add, OP.tee, TMP);
  code.push(...SIMD.f64x2ExtractLane(0), ...g(TMP), ...SIMD.f64x2ExtractLane(1), OP.f64Add, ...g(TAIL), OP.f64Add);
  // locals after the 3 params: end (i32), A0..A3 and tmp (v128), tail and ts (f64).
  return funcBody([[1, T.i32], [5, T.v128], [2, T.f64]], code);
}

/**
 * The body of acc(s, x, d): s_t ← s_t ± x_t for t < d (s float64, x float32 or float64), two
 * lanes at a time; each element is one IEEE add or subtract, as in the JavaScript loop.
 */
function accBody(xBytes: 4 | 8, subtract: boolean): number[] {
  const [S, X, D, END] = [0, 1, 2, 3];
  const g = (i: number) => [OP.get, i];
  const op = subtract ? SIMD.f64x2Sub : SIMD.f64x2Add;
  const code: number[] = [];
  // end = s + (d & ~1) · 8
  code.push(...g(D), OP.i32Const, ...sleb(-2), OP.i32And, OP.i32Const, 3, OP.i32Shl, ...g(S), OP.i32Add, OP.set, END);
  code.push(OP.block, T.void, OP.loop, T.void);
  code.push(...g(S), ...g(END), OP.i32GeU, OP.brIf, 1);
  code.push(...g(S), ...g(S), ...SIMD.load, ...memarg(0));
  if (xBytes === 4) code.push(...g(X), ...SIMD.load64Zero, ...memarg(0), ...SIMD.f64x2PromoteLowF32x4);
  else code.push(...g(X), ...SIMD.load, ...memarg(0));
  code.push(...op, ...SIMD.store, ...memarg(0));
  code.push(...g(S), OP.i32Const, 16, OP.i32Add, OP.set, S);
  code.push(...g(X), OP.i32Const, ...sleb(2 * xBytes), OP.i32Add, OP.set, X);
  code.push(OP.br, 0, OP.end, OP.end);
  // An odd last element.
  code.push(...g(END), ...g(D), OP.i32Const, 1, OP.i32And, OP.i32Const, 3, OP.i32Shl, OP.i32Add, OP.set, END);
  code.push(OP.block, T.void, OP.loop, T.void);
  code.push(...g(S), ...g(END), OP.i32GeU, OP.brIf, 1);
  code.push(...g(S), ...g(S), OP.f64Load, ...memarg(3));
  if (xBytes === 4) code.push(...g(X), OP.f32Load, ...memarg(2), OP.f64PromoteF32);
  else code.push(...g(X), OP.f64Load, ...memarg(3));
  code.push(subtract ? OP.f64Sub : OP.f64Add, OP.f64Store, ...memarg(3));
  code.push(...g(S), OP.i32Const, 8, OP.i32Add, OP.set, S);
  code.push(...g(X), OP.i32Const, xBytes, OP.i32Add, OP.set, X);
  code.push(OP.br, 0, OP.end, OP.end);
  return funcBody([[1, T.i32]], code);
}

/**
 * The body of below(L, S, k, thr, f) → i32: how many j < k have L_j·f − S_j ≤ thr (L and S
 * float64), two lanes at a time, the same three IEEE operations per element as in JavaScript.
 */
function belowBody(): number[] {
  const [L, S, K, THR, F, END] = [0, 1, 2, 3, 4, 5];
  const [CNT, TV, FV] = [6, 7, 8];
  const TAIL = 9;
  const g = (i: number) => [OP.get, i];
  const code: number[] = [];
  code.push(...g(THR), ...SIMD.f64x2Splat, OP.set, TV, ...g(F), ...SIMD.f64x2Splat, OP.set, FV);
  code.push(...g(K), OP.i32Const, ...sleb(-2), OP.i32And, OP.i32Const, 3, OP.i32Shl, ...g(L), OP.i32Add, OP.set, END);
  code.push(OP.block, T.void, OP.loop, T.void);
  code.push(...g(L), ...g(END), OP.i32GeU, OP.brIf, 1);
  // cnt −= (L·f − S ≤ thr) as lane masks (−1 or 0)
  code.push(...g(CNT), ...g(L), ...SIMD.load, ...memarg(0), ...g(FV), ...SIMD.f64x2Mul, ...g(S), ...SIMD.load, ...memarg(0), ...SIMD.f64x2Sub);
  code.push(...g(TV), ...SIMD.f64x2Le, ...SIMD.i64x2Sub, OP.set, CNT);
  code.push(...g(L), OP.i32Const, 16, OP.i32Add, OP.set, L, ...g(S), OP.i32Const, 16, OP.i32Add, OP.set, S);
  code.push(OP.br, 0, OP.end, OP.end);
  // An odd last element.
  code.push(...g(END), ...g(K), OP.i32Const, 1, OP.i32And, OP.i32Const, 3, OP.i32Shl, OP.i32Add, OP.set, END);
  code.push(OP.block, T.void, OP.loop, T.void);
  code.push(...g(L), ...g(END), OP.i32GeU, OP.brIf, 1);
  code.push(...g(TAIL), ...g(L), OP.f64Load, ...memarg(3), ...g(F), OP.f64Mul, ...g(S), OP.f64Load, ...memarg(3), OP.f64Sub, ...g(THR), OP.f64Le, OP.i32Add, OP.set, TAIL);
  code.push(...g(L), OP.i32Const, 8, OP.i32Add, OP.set, L, ...g(S), OP.i32Const, 8, OP.i32Add, OP.set, S);
  code.push(OP.br, 0, OP.end, OP.end);
  code.push(...g(CNT), ...SIMD.i64x2ExtractLane(0), ...g(CNT), ...SIMD.i64x2ExtractLane(1), OP.i64Add, OP.i32WrapI64, ...g(TAIL), OP.i32Add);
  // locals after the 5 params: end (i32), cnt, thr and f splats (v128), tail count (i32).
  return funcBody([[1, T.i32], [3, T.v128], [1, T.i32]], code);
}

/** The exports: sq32, sq64 (x, c, d) → f64; add32, sub32, add64, sub64 (s, x, d); below (L, S, k, thr, f) → i32. */
const EXPORTS = ["sq32", "sq64", "add32", "sub32", "add64", "sub64", "below"] as const;

/** The module: imports env.memory, exports the functions of `EXPORTS`. */
export function sqDistModuleBytes(): Uint8Array {
  const sqType = [0x60, 3, T.i32, T.i32, T.i32, 1, T.f64];
  const accType = [0x60, 3, T.i32, T.i32, T.i32, 0];
  const belowType = [0x60, 5, T.i32, T.i32, T.i32, T.f64, T.f64, 1, T.i32];
  const bodies = [sqBody(4), sqBody(8), accBody(4, false), accBody(4, true), accBody(8, false), accBody(8, true), belowBody()];
  return Uint8Array.from([
    ...HEADER,
    ...section(1, [3, ...sqType, ...accType, ...belowType]),
    ...section(2, [1, ...str("env"), ...str("memory"), 0x02, 0x00, 0x00]),
    ...section(3, [7, 0, 0, 1, 1, 1, 1, 2]),
    ...section(7, [EXPORTS.length, ...EXPORTS.flatMap((name, f) => [...str(name), 0x00, f])]),
    ...section(10, [bodies.length, ...bodies.flat()]),
  ]);
}

let compiled: WebAssembly.Module | null | undefined;

/** The compiled module, or null where the engine has no WebAssembly SIMD. */
function sqDistModule(): WebAssembly.Module | null {
  if (compiled === undefined) {
    try {
      compiled = new WebAssembly.Module(sqDistModuleBytes() as BufferSource);
    } catch {
      compiled = null;
    }
  }
  return compiled;
}

type SqFn = (x: number, c: number, d: number) => number;
type AccFn = (s: number, x: number, d: number) => void;
type BelowFn = (L: number, S: number, k: number, thr: number, f: number) => number;

/** A memory with the module instantiated on it. */
interface Instance {
  memory: WebAssembly.Memory;
  sq32: SqFn;
  sq64: SqFn;
  add32: AccFn;
  sub32: AccFn;
  add64: AccFn;
  sub64: AccFn;
  below: BelowFn;
}

/**
 * One instance is kept between kernels (grown as needed, up to KEEP_BYTES): a fresh memory of
 * tens of MB costs more in first-touch page faults (~10 µs per 4 KB page on our VMs) than
 * copying the points into one that is already mapped.
 */
const KEEP_BYTES = 256 * 2 ** 20;
/** The largest WebAssembly memory (32-bit addresses, 65,536 pages) less a page. */
const MAX_BYTES = 2 ** 32 - 65536;
let pooled: Instance | null = null;

function acquire(mod: WebAssembly.Module, bytes: number): Instance {
  const pages = Math.ceil(bytes / 65536);
  const p = pooled;
  pooled = null;
  if (p) {
    const have = p.memory.buffer.byteLength / 65536;
    if (have < pages) p.memory.grow(pages - have);
    return p;
  }
  const memory = new WebAssembly.Memory({ initial: pages });
  const ex = new WebAssembly.Instance(mod, { env: { memory } }).exports as unknown as Omit<Instance, "memory">;
  return { memory, ...ex };
}

/**
 * The points of a `PointSet` and up to `kMax` centres, resident in WebAssembly memory, with
 * exact point–centre and centre–centre squared distances (bit-identical to `sqDist`), and the
 * cluster sums of K-means' M-step. `setCentres` copies a new set of centres in (k × d numbers).
 */
export class SqDistKernel {
  /** Whether the SIMD module runs (false: the same numbers from `sqDist` in JavaScript). */
  readonly simd: boolean;
  private readonly d: number;
  private readonly pts: PointSet;
  private centres: Float64Array = new Float64Array(0);
  private readonly sqX: SqFn | null = null;
  private readonly sqC: SqFn | null = null;
  private readonly xRow: number = 0;
  private readonly cBase: number = 0;
  private readonly cView: Float64Array | null = null;
  private readonly kMax: number;
  private inst: Instance | null = null;
  private readonly sBase: number = 0;
  private readonly addX: AccFn | null = null;
  private readonly subX: AccFn | null = null;
  /**
   * Cluster sums S_j = Σ_{i in cluster j} x_i (kMax × d, float64, zero at first), kept by
   * `movePoint`: each move adds or subtracts one point, element by element, in the order of the
   * calls, so the sums are bit-identical to the same loop in JavaScript.
   */
  readonly sums: Float64Array;
  /** With `bounds`: per-point bound rows L (n × kMax, zero at first) and a per-centre shift S (kMax), for `countBelow`. */
  readonly lower: Float64Array;
  readonly shift: Float64Array;
  private readonly lBase: number = 0;
  private readonly shBase: number = 0;
  private readonly belowFn: BelowFn | null = null;

  /**
   * `simd: false` forces the JavaScript path (tests compare the two); `bounds: true` also
   * allocates `lower` and `shift`.
   */
  constructor(ps: PointSet, kMax: number, opts: { simd?: boolean; bounds?: boolean } = {}) {
    this.pts = ps;
    this.d = ps.d;
    this.kMax = kMax;
    const mod = opts.simd === false ? null : sqDistModule();
    const boundRows = opts.bounds ? ps.n : 0;
    const { data, n, d } = ps;
    const f32 = data instanceof Float32Array;
    this.xRow = d * (f32 ? 4 : 8);
    this.cBase = Math.ceil((n * this.xRow) / 16) * 16;
    this.sBase = this.cBase + kMax * d * 8;
    this.lBase = this.sBase + kMax * d * 8;
    this.shBase = this.lBase + boundRows * kMax * 8;
    const bytes = this.shBase + kMax * 8;
    if (mod && bytes <= MAX_BYTES) {
      try {
        this.inst = acquire(mod, bytes);
      } catch {
        this.inst = null; // no memory this large here: the JavaScript path computes the same numbers
      }
    }
    this.simd = this.inst !== null;
    if (!this.inst) {
      this.sums = new Float64Array(kMax * d);
      this.lower = new Float64Array(boundRows * kMax);
      this.shift = new Float64Array(opts.bounds ? kMax : 0);
      return;
    }
    const { memory, sq32, sq64 } = this.inst;
    this.addX = f32 ? this.inst.add32 : this.inst.add64;
    this.subX = f32 ? this.inst.sub32 : this.inst.sub64;
    this.sums = new Float64Array(memory.buffer, this.sBase, kMax * d).fill(0);
    this.lower = new Float64Array(memory.buffer, this.lBase, boundRows * kMax).fill(0);
    this.shift = new Float64Array(memory.buffer, this.shBase, opts.bounds ? kMax : 0).fill(0);
    this.belowFn = this.inst.below;
    if (f32) new Float32Array(memory.buffer, 0, n * d).set(data);
    else new Float64Array(memory.buffer, 0, n * d).set(data);
    this.sqX = f32 ? sq32 : sq64;
    this.sqC = sq64;
    this.cView = new Float64Array(memory.buffer, this.cBase, kMax * d);
  }

  /** Hand the memory back for the next kernel (this one must not be used afterwards). */
  dispose(): void {
    const inst = this.inst;
    this.inst = null;
    if (inst && inst.memory.buffer.byteLength <= KEEP_BYTES) pooled = inst;
  }

  /** Use these centres (k × d, k ≤ kMax) from now on. */
  setCentres(c: Float64Array): void {
    if (c.length > this.kMax * this.d) throw new RangeError(`SqDistKernel: ${c.length / this.d} centres, room for ${this.kMax}.`);
    this.centres = c;
    this.cView?.set(c);
  }

  /** ‖x_i − c_j‖², exactly `sqDist(data, i·d, centres, j·d, d)`. */
  pc(i: number, j: number): number {
    if (this.sqX) return this.sqX(i * this.xRow, this.cBase + j * this.d * 8, this.d);
    return sqDist(this.pts.data, i * this.d, this.centres, j * this.d, this.d);
  }

  /** Move point i from cluster `from` (−1: none) to cluster `to` in `sums`: S_from −= x_i, S_to += x_i. */
  movePoint(i: number, from: number, to: number): void {
    const d = this.d;
    if (this.addX) {
      const x = i * this.xRow;
      if (from >= 0) this.subX!(this.sBase + from * d * 8, x, d);
      this.addX(this.sBase + to * d * 8, x, d);
      return;
    }
    const { data } = this.pts;
    const sums = this.sums;
    const xo = i * d;
    if (from >= 0) {
      const fo = from * d;
      for (let t = 0; t < d; t++) sums[fo + t] -= data[xo + t];
    }
    const to0 = to * d;
    for (let t = 0; t < d; t++) sums[to0 + t] += data[xo + t];
  }

  /** How many j < kMax have lower[i·kMax + j]·f − shift[j] ≤ thr (the IEEE operations of this expression in JavaScript). */
  countBelow(i: number, thr: number, f: number): number {
    const k = this.kMax;
    if (this.belowFn) return this.belowFn(this.lBase + i * k * 8, this.shBase, k, thr, f);
    const { lower, shift } = this;
    const o = i * k;
    let count = 0;
    for (let j = 0; j < k; j++) if (lower[o + j] * f - shift[j] <= thr) count++;
    return count;
  }

  /** ‖c_a − c_b‖², exactly `sqDist(centres, a·d, centres, b·d, d)`. */
  cc(a: number, b: number): number {
    if (this.sqC) return this.sqC(this.cBase + a * this.d * 8, this.cBase + b * this.d * 8, this.d);
    return sqDist(this.centres, a * this.d, this.centres, b * this.d, this.d);
  }
}
