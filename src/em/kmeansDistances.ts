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
 * A Float32Array of at least `length`, reused across calls while it is not in use (allocating
 * and first touching tens of MB costs more here than the copy that fills it: page faults run
 * at ~10 µs per 4 KB page on our VMs). Buffers over `KEEP_BYTES` are not kept between uses.
 */
const KEEP_BYTES = 128 * 2 ** 20;
let spare: Float32Array | null = null;
function takeBuffer(length: number): Float32Array {
  const b = spare && spare.length >= length ? spare : new Float32Array(length);
  if (b === spare) spare = null;
  return b;
}
function giveBack(b: Float32Array | null): void {
  if (b && b.byteLength <= KEEP_BYTES && (!spare || spare.length < b.length)) spare = b;
}

/** Distances of all points to all centres, with the error bound of each. */
export class GemmDistances {
  private readonly xTensor: tf.Tensor2D | null = null;
  private readonly xNorm: Float64Array;
  private readonly gamma: number;
  /** Rows gathered for `innerOf` (tfjs engine; grown as needed). */
  private scratch: Float32Array | null = null;
  /** X in float32 (the points themselves when they are float32). */
  private readonly x32: Float32Array | null = null;
  /** Number of point–centre inner products computed so far. */
  products = 0;

  /** `stats`: the points' `pointStats`, if the caller has them already. */
  constructor(
    private readonly ps: PointSet,
    readonly engine: "tfjs" | "js",
    stats: PointStats = pointStats(ps, "GemmDistances"),
  ) {
    const { data, n, d } = ps;
    this.xNorm = stats.norms;
    this.gamma = 1.01 * (d + 3) * UNIT_ROUNDOFF[engine];
    if (engine === "tfjs") {
      this.x32 = data instanceof Float32Array ? data : Float32Array.from(data);
      this.xTensor = tf.tensor2d(this.x32, [n, d]);
    }
  }

  /** Cᵀ (d × k, float32). */
  private centresT(centres: Float64Array, k: number): tf.Tensor2D {
    const { d } = this.ps;
    const ct = new Float32Array(d * k);
    for (let j = 0; j < k; j++) for (let t = 0; t < d; t++) ct[t * k + j] = centres[j * d + t];
    return tf.tensor2d(ct, [d, k]);
  }

  /** Inner products X Cᵀ (n × k, row-major), from the resident copy of X. */
  inner(centres: Float64Array, k: number): Float32Array | Float64Array {
    const { data, n, d } = this.ps;
    this.products += n * k;
    if (this.engine === "tfjs") {
      // X (n×d) · Cᵀ (d×k); Cᵀ is built in JS because tfjs-wasm's transposeB path is ~10x slower.
      const cT = this.centresT(centres, k);
      const prod = tf.matMul(this.xTensor!, cT);
      const out = prod.dataSync() as Float32Array;
      cT.dispose();
      prod.dispose();
      return out;
    }
    return jsInnerProducts(data, d, centres, k, null, n);
  }

  /**
   * Inner products x_i·c_j for the points `rows` only (|rows| × k, row-major): the rows are
   * gathered (copied in JS into a reused buffer) so the product costs |rows|·k·d instead of n·k·d.
   */
  innerOf(rows: Int32Array, centres: Float64Array, k: number): Float32Array | Float64Array {
    const { data, d } = this.ps;
    const m = rows.length;
    this.products += m * k;
    if (this.engine === "tfjs") {
      // Gather the rows in JS: tfjs-wasm's gather is ~10x slower than the whole product.
      const x32 = this.x32!;
      if (!this.scratch || this.scratch.length < m * d) {
        giveBack(this.scratch);
        this.scratch = takeBuffer(Math.min(this.ps.n, Math.max(m, 2 * (this.scratch?.length ?? 0) / d)) * d);
      }
      const sub = this.scratch.subarray(0, m * d);
      for (let p = 0; p < m; p++) sub.set(x32.subarray(rows[p] * d, rows[p] * d + d), p * d);
      const cT = this.centresT(centres, k);
      const xs = tf.tensor2d(sub, [m, d]);
      const prod = tf.matMul(xs, cT);
      const out = prod.dataSync() as Float32Array;
      cT.dispose();
      xs.dispose();
      prod.dispose();
      return out;
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
    giveBack(this.scratch);
    this.scratch = null;
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
