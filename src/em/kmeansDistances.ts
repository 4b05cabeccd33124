/**
 * All point-to-centre squared distances at once, by the expansion
 *
 *   ‖x_i − c_j‖² = ‖x_i‖² − 2 x_i·c_j + ‖c_j‖²,
 *
 * so that the n × k inner products form one matrix product X Cᵀ (TensorFlow.js when its
 * backend is fast, blocked typed-array loops otherwise; X is uploaded once per `kMeans` call). The expansion is approximate (float32
 * in TensorFlow.js, cancellation in both), so each distance comes with a rigorous error bound
 *
 *   |d̃²_ij − d²_ij| ≤ m_ij = 2 (d + 3) u ‖x_i‖ ‖c_j‖ + 1e-12 (‖x_i‖² + ‖c_j‖²)   (u = unit roundoff),
 *
 * and `certifiedAssign` re-computes exactly (`sqDist`) every centre that the bound cannot rule
 * out. The labels are therefore exactly those of a brute-force search with `sqDist`.
 */
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../runtime/backend";
import { type WasmBackendLike, heapF32 } from "../kernels/wasmBackend";
import { ProductHelper } from "./productHelper";
import { type PointSet, type PointStats, pointStats, sqDist } from "./points";
import type { SqDistKernel } from "./sqDistKernel";

/** ‖x_i − c_j‖² as `sqDist` defines it: from the kernel (same numbers, faster) when there is one. */
function exactSqOf(ps: PointSet, centres: Float64Array, kern?: SqDistKernel): (i: number, j: number) => number {
  if (kern) {
    kern.setCentres(centres);
    return (i, j) => kern.pc(i, j);
  }
  const { data, d } = ps;
  return (i, j) => sqDist(data, i * d, centres, j * d, d);
}

export type DistanceEngine = "tfjs" | "js" | "exact";

/** Precision of an engine's inner products (unit roundoff u). */
const UNIT_ROUNDOFF: Record<DistanceEngine, number> = { tfjs: 2 ** -24, js: 2 ** -53, exact: 0 };

/** Pick the engine: exact search for small problems, TensorFlow.js unless its backend is the slow cpu one. */
export async function chooseEngine(ps: PointSet, k: number, wanted: DistanceEngine | "auto"): Promise<DistanceEngine> {
  if (wanted !== "auto") {
    if (wanted === "tfjs") await initBackend();
    return wanted;
  }
  if (ps.n * k * ps.d < 4e6) return "exact";
  const info = await initBackend();
  return info.name === "cpu" ? "js" : "tfjs";
}

/**
 * One spare buffer kept between uses: a buffer of at least the bytes asked for, reused while it
 * is not in use (allocating and first touching tens of MB costs more here than the copy that
 * fills it: page faults run at ~10 µs per 4 KB page on our VMs). Buffers over `KEEP_BYTES` are
 * not kept.
 */
const KEEP_BYTES = 128 * 2 ** 20;
function sparePool<B extends { byteLength: number }>(make: (bytes: number) => B) {
  let spare: B | null = null;
  return {
    take(bytes: number): B {
      const b = spare && spare.byteLength >= bytes ? spare : make(bytes);
      if (b === spare) spare = null;
      return b;
    },
    giveBack(b: B | null): void {
      if (b && b.byteLength <= KEEP_BYTES && (!spare || spare.byteLength < b.byteLength)) spare = b;
    },
  };
}
/** Gathered rows for `innerOf`, and products. */
const rowBuffers = sparePool((bytes): Float32Array => new Float32Array(bytes / 4));
const productBuffers = sparePool((bytes): Float32Array => new Float32Array(bytes / 4));
/** Shared with the helper thread: its rows of X, and gathered rows. */
const sharedX = sparePool((bytes) => new SharedArrayBuffer(bytes));
const sharedRows = sparePool((bytes) => new SharedArrayBuffer(bytes));

/** Products with at least this many rows are split with the helper thread (below it, waiting costs more than it saves). */
const SPLIT_ROWS = 2048;

/** The helper thread's share of the products (see productHelper.ts). */
interface Split {
  helper: ProductHelper;
  /** Rows [0, h) are this thread's (`xTensor`), [h, n) the helper's, shared in `xb`. */
  h: number;
  xb: SharedArrayBuffer;
  /** Cᵀ (d × k) and the helper's output, shared (sized for `k`). */
  k: number;
  c: SharedArrayBuffer;
  out: SharedArrayBuffer;
  /** Rows [h, n) on this thread, made only if the helper fails. */
  bottom: tf.Tensor2D | null;
}

/** Distances of all points to all centres, with the error bound of each. */
export class GemmDistances {
  /** X on the tfjs backend: all rows, or rows [0, h) when a helper thread holds the others. */
  private readonly xTensor: tf.Tensor2D | null = null;
  private readonly xNorm: Float64Array;
  private readonly gamma: number;
  /** Rows gathered for `innerOf` (tfjs engine; grown as needed; shared with the helper when there is one). */
  private scratch: Float32Array | null = null;
  /** The products returned by `inner` and `innerOf` (tfjs engine; n × k, reused). */
  private outBuf: Float32Array | null = null;
  /** X in float32 (the points themselves when they are float32). */
  private readonly x32: Float32Array | null = null;
  /** Number of point–centre inner products computed so far. */
  products = 0;
  /** The helper thread's share, when it was ready when these distances were set up. */
  private readonly split: Split | null = null;

  /**
   * `stats`: the points' `pointStats`, if the caller has them already. `threads: 2` (default)
   * lets a helper thread compute half of each product of ≥ 2048 rows on the wasm backend (from
   * the second K-means of the process on: the first starts the helper).
   */
  constructor(
    private readonly ps: PointSet,
    readonly engine: "tfjs" | "js",
    stats: PointStats = pointStats(ps, "GemmDistances"),
    opts: { threads?: number } = {},
  ) {
    const { data, n, d } = ps;
    this.xNorm = stats.norms;
    this.gamma = 1.01 * (d + 3) * UNIT_ROUNDOFF[engine];
    if (engine !== "tfjs") return;
    const x32 = (this.x32 = data instanceof Float32Array ? data : Float32Array.from(data));
    if ((opts.threads ?? 2) > 1 && tf.getBackend() === "wasm" && n >= SPLIT_ROWS) {
      const helper = ProductHelper.get();
      const h = Math.ceil(n / 2);
      let xb: SharedArrayBuffer | null = null;
      try {
        if (helper?.ready) xb = sharedX.take((n - h) * d * 4);
      } catch {
        xb = null; // no shared memory this large: everything on this thread
      }
      if (xb) {
        new Float32Array(xb, 0, (n - h) * d).set(x32.subarray(h * d));
        if (helper && helper.startLoad(xb, d, n - h)) {
          // Both threads upload their rows at the same time.
          const top = tf.tensor2d(x32.subarray(0, h * d), [h, d]);
          if (helper.wait()) {
            this.xTensor = top;
            this.split = { helper, h, xb, k: 0, c: new SharedArrayBuffer(0), out: new SharedArrayBuffer(0), bottom: null };
            return;
          }
          top.dispose();
        }
        sharedX.giveBack(xb);
      }
    }
    this.xTensor = tf.tensor2d(x32, [n, d]);
  }

  /** The split, ready for a product with k centres (the helper holding our rows), or null. */
  private splitFor(k: number): Split | null {
    const sp = this.split;
    if (!sp || sp.bottom) return null;
    const { n, d } = this.ps;
    if (sp.k < k) {
      sp.k = k;
      sp.c = new SharedArrayBuffer(d * k * 4);
      sp.out = new SharedArrayBuffer((n - sp.h) * k * 4);
    }
    // Another K-means used the helper in between: give it our rows again.
    if (!sp.helper.holds(sp.xb) && !(sp.helper.startLoad(sp.xb, d, n - sp.h) && sp.helper.wait())) return this.helperFailed(sp);
    return sp;
  }

  /** The helper cannot be used: make rows [h, n) on this thread too. */
  private helperFailed(sp: Split): null {
    const { n, d } = this.ps;
    sp.bottom ??= tf.tensor2d(this.x32!.subarray(sp.h * d), [n - sp.h, d]);
    return null;
  }

  /** Cᵀ (d × k, float32), written into `into` when given. */
  private centresT(centres: Float64Array, k: number, into?: SharedArrayBuffer): tf.Tensor2D {
    const { d } = this.ps;
    const ct = into ? new Float32Array(into, 0, d * k) : new Float32Array(d * k);
    for (let j = 0; j < k; j++) for (let t = 0; t < d; t++) ct[t * k + j] = centres[j * d + t];
    return tf.tensor2d(ct, [d, k]);
  }

  /** The reused output buffer, at least `length` long. */
  private output(length: number): Float32Array {
    if (!this.outBuf || this.outBuf.length < length) {
      productBuffers.giveBack(this.outBuf);
      this.outBuf = productBuffers.take(length * 4);
    }
    return this.outBuf;
  }

  /**
   * a · Cᵀ on this thread, copied into `into` at `at`: on the wasm backend straight from the
   * heap (`dataSync` would allocate a fresh array per product, and first-touching megabytes
   * costs more than the copy here).
   */
  private product(a: tf.Tensor2D, cT: tf.Tensor2D, into: Float32Array, at: number): void {
    const prod = tf.matMul(a, cT);
    const be = tf.backend() as unknown as WasmBackendLike;
    into.set(tf.getBackend() === "wasm" ? heapF32(be, prod) : (prod.dataSync() as Float32Array), at);
    prod.dispose();
  }

  /**
   * Inner products X Cᵀ (n × k, row-major), from the resident copy of X. The array is reused:
   * valid until the next `inner` or `innerOf`.
   */
  inner(centres: Float64Array, k: number): Float32Array | Float64Array {
    const { data, n, d } = this.ps;
    this.products += n * k;
    if (this.engine === "tfjs") {
      // X (n×d) · Cᵀ (d×k); Cᵀ is built in JS because tfjs-wasm's transposeB path is ~10x slower.
      const sp = this.splitFor(k);
      const cT = this.centresT(centres, k, sp?.c);
      const out = this.output(n * k).subarray(0, n * k);
      try {
        const helped = sp !== null && sp.helper.start(sp.c, k, sp.out);
        this.product(this.xTensor!, cT, out, 0);
        if (!this.split) return out;
        const { h } = this.split;
        if (helped && sp!.helper.wait()) out.set(new Float32Array(sp!.out, 0, (n - h) * k), h * k);
        else {
          this.helperFailed(this.split);
          this.product(this.split.bottom!, cT, out, h * k);
        }
        return out;
      } finally {
        cT.dispose();
      }
    }
    return jsInnerProducts(data, d, centres, k, null, n);
  }

  /**
   * Inner products x_i·c_j for the points `rows` only (|rows| × k, row-major): the rows are
   * gathered (copied in JS into a reused buffer) so the product costs |rows|·k·d instead of n·k·d.
   * The array is reused: valid until the next `inner` or `innerOf`.
   */
  innerOf(rows: Int32Array, centres: Float64Array, k: number): Float32Array | Float64Array {
    const { data, d } = this.ps;
    const m = rows.length;
    this.products += m * k;
    if (this.engine === "tfjs") {
      // Gather the rows in JS: tfjs-wasm's gather is ~10x slower than the whole product.
      const x32 = this.x32!;
      if (!this.scratch || this.scratch.length < m * d) {
        const bytes = Math.min(this.ps.n, Math.max(m, (2 * (this.scratch?.length ?? 0)) / d)) * d * 4;
        if (this.split) {
          if (this.scratch) sharedRows.giveBack(this.scratch.buffer as SharedArrayBuffer);
          this.scratch = new Float32Array(sharedRows.take(bytes));
        } else {
          rowBuffers.giveBack(this.scratch);
          this.scratch = rowBuffers.take(bytes);
        }
      }
      const g = this.scratch.subarray(0, m * d);
      for (let p = 0; p < m; p++) g.set(x32.subarray(rows[p] * d, rows[p] * d + d), p * d);
      // Big gathers: the helper multiplies the second half of the gathered rows meanwhile.
      const sp = m >= SPLIT_ROWS ? this.splitFor(k) : null;
      const mh = sp ? Math.ceil(m / 2) : m;
      const cT = this.centresT(centres, k, sp?.c);
      const helped = sp !== null && sp.helper.startGathered(this.scratch.buffer as SharedArrayBuffer, mh, m, sp.c, k, sp.out);
      const out = this.output(m * k).subarray(0, m * k);
      const mine = helped ? mh : m;
      const xs = tf.tensor2d(g.subarray(0, mine * d), [mine, d]);
      try {
        this.product(xs, cT, out, 0);
        if (!helped) return out;
        if (sp!.helper.wait()) {
          out.set(new Float32Array(sp!.out, 0, (m - mh) * k), mh * k);
          return out;
        }
        // The helper failed (it is not used again): the other rows on this thread.
        this.helperFailed(sp!);
        const rest = tf.tensor2d(g.subarray(mh * d, m * d), [m - mh, d]);
        this.product(rest, cT, out, mh * k);
        rest.dispose();
        return out;
      } finally {
        cT.dispose();
        xs.dispose();
      }
    }
    return jsInnerProducts(data, d, centres, k, rows, m);
  }

  /** ‖x_i‖² of every point. */
  get pointNorms(): Float64Array {
    return this.xNorm;
  }

  /** Error-bound factor: |d̃² − d²| ≤ 2γ‖x‖‖c‖ + 1e-12(‖x‖² + ‖c‖²). */
  get roundoff(): number {
    return this.gamma;
  }

  /**
   * Approximate squared distances d̃²_ij and their error bounds m_ij (both n × k).
   */
  squaredDistances(centres: Float64Array, k: number): { d2: Float64Array; margin: Float64Array } {
    const { n, d } = this.ps;
    const dots = this.inner(centres, k);
    const cNorm = new Float64Array(k);
    for (let j = 0; j < k; j++) {
      let s = 0;
      for (let t = 0; t < d; t++) s += centres[j * d + t] * centres[j * d + t];
      cNorm[j] = s;
    }
    const d2 = new Float64Array(n * k);
    const margin = new Float64Array(n * k);
    const g2 = 2 * this.gamma;
    for (let i = 0; i < n; i++) {
      const xn = this.xNorm[i];
      const xs = Math.sqrt(xn);
      for (let j = 0; j < k; j++) {
        d2[i * k + j] = xn - 2 * dots[i * k + j] + cNorm[j];
        margin[i * k + j] = g2 * xs * Math.sqrt(cNorm[j]) + 1e-12 * (xn + cNorm[j]);
      }
    }
    return { d2, margin };
  }

  dispose(): void {
    this.xTensor?.dispose();
    if (this.split) {
      this.split.bottom?.dispose();
      sharedX.giveBack(this.split.xb);
      if (this.scratch) sharedRows.giveBack(this.scratch.buffer as SharedArrayBuffer);
    } else rowBuffers.giveBack(this.scratch);
    this.scratch = null;
    productBuffers.giveBack(this.outBuf);
    this.outBuf = null;
  }
}

/** Result of an assignment step: labels, exact distance to the chosen centre, and lower bounds. */
export interface Assignment {
  labels: Int32Array;
  /** ‖x_i − c_{label_i}‖ (not squared), computed exactly with `sqDist`. */
  dist: Float64Array;
  /** n × k lower bounds on ‖x_i − c_j‖ (exact where computed), for Elkan's algorithm. */
  lower: Float64Array;
  /** Exact `sqDist` evaluations spent. */
  exactComputations: number;
}

/**
 * Brute force: label_i = argmin_j ‖x_i − c_j‖² with `sqDist` (or the kernel's identical
 * numbers), ties to the smallest j.
 */
export function exactAssign(ps: PointSet, centres: Float64Array, k: number, kern?: SqDistKernel): Assignment {
  const { n } = ps;
  const sq = exactSqOf(ps, centres, kern);
  const labels = new Int32Array(n);
  const dist = new Float64Array(n);
  const lower = new Float64Array(n * k);
  for (let i = 0; i < n; i++) {
    let best = Infinity;
    let arg = 0;
    for (let j = 0; j < k; j++) {
      const e = sq(i, j);
      lower[i * k + j] = Math.sqrt(e);
      if (e < best) {
        best = e;
        arg = j;
      }
    }
    labels[i] = arg;
    dist[i] = Math.sqrt(best);
  }
  return { labels, dist, lower, exactComputations: n * k };
}

/**
 * Labels from approximate distances, certified: every centre j whose interval
 * [d̃²_ij − m_ij, d̃²_ij + m_ij] overlaps the best centre's interval is re-computed with
 * `sqDist`, and the exact minimum (ties to the smallest j) wins. Identical to `exactAssign`.
 */
export function certifiedAssign(ps: PointSet, centres: Float64Array, k: number, gemm: GemmDistances, kern?: SqDistKernel): Assignment {
  const { n } = ps;
  const { d2, margin } = gemm.squaredDistances(centres, k);
  const sq = exactSqOf(ps, centres, kern);
  const labels = new Int32Array(n);
  const dist = new Float64Array(n);
  const lower = new Float64Array(n * k);
  let exact = 0;
  for (let i = 0; i < n; i++) {
    const o = i * k;
    let upper = Infinity;
    for (let j = 0; j < k; j++) upper = Math.min(upper, d2[o + j] + margin[o + j]);
    let best = Infinity;
    let arg = -1;
    for (let j = 0; j < k; j++) {
      const lo = d2[o + j] - margin[o + j];
      if (lo <= upper) {
        const e = sq(i, j);
        exact++;
        lower[o + j] = Math.sqrt(e);
        if (e < best) {
          best = e;
          arg = j;
        }
      } else {
        lower[o + j] = Math.sqrt(lo);
      }
    }
    labels[i] = arg;
    dist[i] = Math.sqrt(best);
  }
  return { labels, dist, lower, exactComputations: exact };
}

/**
 * x_i·c_j in double precision for the points `rows` (or the first m points when rows is null),
 * four centres at a time: out is m × k, row-major. The JS engine's inner products.
 */
function jsInnerProducts(
  data: ArrayLike<number>,
  d: number,
  centres: Float64Array,
  k: number,
  rows: Int32Array | null,
  m: number,
): Float64Array {
  const out = new Float64Array(m * k);
  const k4 = k - (k % 4);
  for (let p = 0; p < m; p++) {
    const xo = (rows ? rows[p] : p) * d;
    for (let j = 0; j < k4; j += 4) {
      const c0 = j * d, c1 = c0 + d, c2 = c1 + d, c3 = c2 + d;
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      for (let t = 0; t < d; t++) {
        const x = data[xo + t];
        s0 += x * centres[c0 + t];
        s1 += x * centres[c1 + t];
        s2 += x * centres[c2 + t];
        s3 += x * centres[c3 + t];
      }
      out[p * k + j] = s0;
      out[p * k + j + 1] = s1;
      out[p * k + j + 2] = s2;
      out[p * k + j + 3] = s3;
    }
    for (let j = k4; j < k; j++) {
      let s = 0;
      for (let t = 0; t < d; t++) s += data[xo + t] * centres[j * d + t];
      out[p * k + j] = s;
    }
  }
  return out;
}
