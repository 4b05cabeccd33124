/**
 * All point-to-centre squared distances at once, by the expansion
 *
 *   ‖x_i − c_j‖² = ‖x_i‖² − 2 x_i·c_j + ‖c_j‖²,
 *
 * so that the n × k inner products form one matrix product X Cᵀ (TensorFlow.js when its
 * backend is fast, blocked typed-array loops otherwise). The expansion is approximate (float32
 * in TensorFlow.js, cancellation in both), so each distance comes with a rigorous error bound
 *
 *   |d̃²_ij − d²_ij| ≤ m_ij = 2 (d + 3) u ‖x_i‖ ‖c_j‖ + 1e-12 (‖x_i‖² + ‖c_j‖²)   (u = unit roundoff),
 *
 * and `certifiedAssign` re-computes exactly (`sqDist`) every centre that the bound cannot rule
 * out. The labels are therefore exactly those of a brute-force search with `sqDist`.
 */
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../runtime/backend";
import { type PointSet, sqDist } from "./points";

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

/** Distances of all points to all centres, with the error bound of each. */
export class GemmDistances {
  private readonly xTensor: tf.Tensor2D | null = null;
  private readonly xNorm: Float64Array;
  private readonly gamma: number;
  /** Number of point–centre inner products computed so far. */
  products = 0;

  constructor(
    private readonly ps: PointSet,
    readonly engine: "tfjs" | "js",
  ) {
    const { data, n, d } = ps;
    this.xNorm = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let t = 0; t < d; t++) s += data[i * d + t] * data[i * d + t];
      this.xNorm[i] = s;
    }
    this.gamma = 1.01 * (d + 3) * UNIT_ROUNDOFF[engine];
    if (engine === "tfjs") {
      const f32 = data instanceof Float32Array ? data : Float32Array.from(data);
      this.xTensor = tf.tensor2d(f32, [n, d]);
    }
  }

  /** Inner products X Cᵀ (n × k, row-major). */
  private inner(centres: Float64Array, k: number): Float32Array | Float64Array {
    const { data, n, d } = this.ps;
    this.products += n * k;
    if (this.engine === "tfjs") {
      // X (n×d) · Cᵀ (d×k); Cᵀ is built in JS because tfjs-wasm's transposeB path is ~10x slower.
      const ct = new Float32Array(d * k);
      for (let j = 0; j < k; j++) for (let t = 0; t < d; t++) ct[t * k + j] = centres[j * d + t];
      const cT = tf.tensor2d(ct, [d, k]);
      const prod = tf.matMul(this.xTensor!, cT);
      const out = prod.dataSync() as Float32Array;
      cT.dispose();
      prod.dispose();
      return out;
    }
    const out = new Float64Array(n * k);
    const k4 = k - (k % 4);
    for (let i = 0; i < n; i++) {
      const xo = i * d;
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
        out[i * k + j] = s0;
        out[i * k + j + 1] = s1;
        out[i * k + j + 2] = s2;
        out[i * k + j + 3] = s3;
      }
      for (let j = k4; j < k; j++) {
        let s = 0;
        for (let t = 0; t < d; t++) s += data[xo + t] * centres[j * d + t];
        out[i * k + j] = s;
      }
    }
    return out;
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
 * Brute force: label_i = argmin_j ‖x_i − c_j‖² with `sqDist`, ties to the smallest j.
 */
export function exactAssign(ps: PointSet, centres: Float64Array, k: number): Assignment {
  const { data, n, d } = ps;
  const labels = new Int32Array(n);
  const dist = new Float64Array(n);
  const lower = new Float64Array(n * k);
  for (let i = 0; i < n; i++) {
    let best = Infinity;
    let arg = 0;
    for (let j = 0; j < k; j++) {
      const e = sqDist(data, i * d, centres, j * d, d);
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
export function certifiedAssign(ps: PointSet, centres: Float64Array, k: number, gemm: GemmDistances): Assignment {
  const { data, n, d } = ps;
  const { d2, margin } = gemm.squaredDistances(centres, k);
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
        const e = sqDist(data, i * d, centres, j * d, d);
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
