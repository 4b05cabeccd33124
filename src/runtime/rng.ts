/**
 * The one seeded random generator of latentlab.
 *
 * Algorithm: PCG32 (PCG-XSH-RR, 64-bit state, 32-bit output) by M. E. O'Neill,
 * "PCG: A Family of Simple Fast Space-Efficient Statistically Good Algorithms for Random
 * Number Generation" (2014), exactly as in the reference `pcg32_random_r` / `pcg32_srandom_r`
 * of pcg-c-basic. The 64-bit state is kept as two unsigned 32-bit halves so that no BigInt
 * is needed on the hot path; test/runtime/rng.test.ts checks the output against the
 * reference demo's published values and against a BigInt implementation.
 *
 * Every sampler in src takes an `Rng` argument (never `Math.random`). The default seed comes
 * from `LATENTLAB_SEED` (see `defaultSeed`).
 */

import { envSeed } from "./env";

const MUL_HI = 0x5851f42d;
const MUL_LO = 0x4c957f2d;
const TWO32 = 4294967296;

/** Exact 32x32 -> 64-bit unsigned product, returned through `out` as [hi, lo]. */
function mul32(a: number, b: number, out: Uint32Array): void {
  const a0 = a & 0xffff;
  const a1 = a >>> 16;
  const b0 = b & 0xffff;
  const b1 = b >>> 16;
  const mid = a0 * b1 + a1 * b0; // < 2^33, exact in a double
  let lo = a0 * b0 + (mid % 65536) * 65536; // < 2^33
  const carry = Math.floor(lo / TWO32);
  lo = lo - carry * TWO32;
  const hi = a1 * b1 + Math.floor(mid / 65536) + carry;
  out[0] = hi >>> 0;
  out[1] = lo >>> 0;
}

/** Split a non-negative integer (up to 2^53) or bigint into unsigned 32-bit halves. */
function halves(x: number | bigint): [number, number] {
  if (typeof x === "bigint") {
    const m = BigInt.asUintN(64, x);
    return [Number(m >> 32n), Number(m & 0xffffffffn)];
  }
  if (!Number.isInteger(x) || x < 0 || x > Number.MAX_SAFE_INTEGER) {
    throw new RangeError(
      `Rng: seed and stream must be non-negative integers up to 2^53 (or bigint); got ${x}.`,
    );
  }
  return [Math.floor(x / TWO32) >>> 0, x % TWO32 >>> 0];
}

export interface RngState {
  readonly algorithm: "pcg32";
  readonly state: [number, number];
  readonly inc: [number, number];
}

export class Rng {
  private hi = 0;
  private lo = 0;
  private incHi = 0;
  private incLo = 1;
  private spareNormal: number | null = null;
  private readonly tmp = new Uint32Array(2);
  /** The seed and stream this generator was created with (for provenance records). */
  readonly seed: number | bigint;
  readonly stream: number | bigint;

  /**
   * `pcg32_srandom_r(seed, stream)`: generators with the same seed and different streams
   * are independent sequences.
   */
  constructor(seed: number | bigint = defaultSeed(), stream: number | bigint = 54) {
    this.seed = seed;
    this.stream = stream;
    const [sHi, sLo] = halves(stream);
    // inc = (initseq << 1) | 1
    this.incHi = ((sHi << 1) | (sLo >>> 31)) >>> 0;
    this.incLo = ((sLo << 1) | 1) >>> 0;
    this.hi = 0;
    this.lo = 0;
    this.step();
    const [iHi, iLo] = halves(seed);
    const lo = this.lo + iLo;
    this.lo = lo >>> 0;
    this.hi = (this.hi + iHi + (lo >= TWO32 ? 1 : 0)) >>> 0;
    this.step();
  }

  private step(): void {
    const t = this.tmp;
    mul32(this.lo, MUL_LO, t);
    const hi = (t[0] + Math.imul(this.hi, MUL_LO) + Math.imul(this.lo, MUL_HI)) >>> 0;
    const lo = t[1] + this.incLo;
    this.lo = lo >>> 0;
    this.hi = (hi + this.incHi + (lo >= TWO32 ? 1 : 0)) >>> 0;
  }

  /** Next unsigned 32-bit integer (`pcg32_random_r`). */
  nextUint32(): number {
    const oh = this.hi;
    const ol = this.lo;
    this.step();
    // xorshifted = ((old >> 18) ^ old) >> 27, truncated to 32 bits
    const xh = oh ^ (oh >>> 18);
    const xl = ol ^ (((ol >>> 18) | (oh << 14)) >>> 0);
    const xs = ((xl >>> 27) | (xh << 5)) >>> 0;
    const rot = oh >>> 27;
    return ((xs >>> rot) | (xs << (-rot & 31))) >>> 0;
  }

  /** Uniform double in [0, 1) with 53 random bits. */
  uniform(): number {
    const a = this.nextUint32() >>> 5;
    const b = this.nextUint32() >>> 6;
    return (a * 67108864 + b) / 9007199254740992;
  }

  /** Uniform double in (0, 1): never exactly 0, safe for logarithms. */
  uniformOpen(): number {
    let u = this.uniform();
    while (u === 0) u = this.uniform();
    return u;
  }

  /** Uniform integer in [0, n), without modulo bias (`pcg32_boundedrand_r`). */
  int(n: number): number {
    if (!Number.isInteger(n) || n <= 0 || n > TWO32) {
      throw new RangeError(`Rng.int: bound must be an integer in [1, 2^32]; got ${n}.`);
    }
    if (n === TWO32) return this.nextUint32();
    const threshold = (TWO32 - n) % n;
    for (;;) {
      const r = this.nextUint32();
      if (r >= threshold) return r % n;
    }
  }

  /** Standard normal draw (Box–Muller; the second value of each pair is kept for the next call). */
  normal(): number {
    if (this.spareNormal !== null) {
      const z = this.spareNormal;
      this.spareNormal = null;
      return z;
    }
    const u1 = this.uniformOpen();
    const u2 = this.uniform();
    const r = Math.sqrt(-2 * Math.log(u1));
    this.spareNormal = r * Math.sin(2 * Math.PI * u2);
    return r * Math.cos(2 * Math.PI * u2);
  }

  /** Fill a Float64Array (or Float32Array) with standard normal draws. */
  normals<T extends Float64Array | Float32Array>(out: T): T {
    for (let i = 0; i < out.length; i++) out[i] = this.normal();
    return out;
  }

  /** Fill with uniform [0, 1) draws. */
  uniforms<T extends Float64Array | Float32Array>(out: T): T {
    for (let i = 0; i < out.length; i++) out[i] = this.uniform();
    return out;
  }

  /** Fisher–Yates shuffle in place; returns the array. */
  shuffle<T>(xs: T[] | Int32Array | Uint32Array | Float64Array): typeof xs {
    for (let i = xs.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = xs[i];
      xs[i] = xs[j];
      xs[j] = t;
    }
    return xs;
  }

  /** A random permutation of 0..n-1. */
  permutation(n: number): Int32Array {
    const p = new Int32Array(n);
    for (let i = 0; i < n; i++) p[i] = i;
    this.shuffle(p);
    return p;
  }

  /** A 31-bit integer seed for libraries that take one (tfjs initializers, tf.random*). */
  seedInt(): number {
    return this.nextUint32() >>> 1;
  }

  /**
   * An independent child generator: same algorithm, a stream chosen from this generator.
   * Use it to give a sub-computation its own reproducible randomness.
   */
  fork(): Rng {
    const seed = this.nextUint32() * TWO32 + this.nextUint32();
    const stream = this.nextUint32();
    return new Rng(BigInt(seed), stream);
  }

  /** Snapshot of the internal state (for checkpoints and provenance). */
  getState(): RngState {
    return { algorithm: "pcg32", state: [this.hi, this.lo], inc: [this.incHi, this.incLo] };
  }

  /** Restore a snapshot taken by `getState`. */
  setState(s: RngState): void {
    if (s.algorithm !== "pcg32") throw new Error(`Rng.setState: unknown algorithm ${s.algorithm}.`);
    [this.hi, this.lo] = s.state;
    [this.incHi, this.incLo] = s.inc;
    this.spareNormal = null;
  }
}

/** The default seed: `LATENTLAB_SEED` if set (a non-negative integer), else 42. */
export function defaultSeed(): number {
  return envSeed() ?? 42;
}

/** A new generator with the given seed (default: `LATENTLAB_SEED` or 42). */
export function rng(seed?: number | bigint, stream?: number | bigint): Rng {
  return new Rng(seed ?? defaultSeed(), stream ?? 54);
}
