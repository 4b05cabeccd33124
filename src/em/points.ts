/**
 * Point sets for clustering: n points in d dimensions, stored row-major in one typed array.
 * K-means and GMM EM take a `PointSet` (or nested arrays, converted once).
 */
import type { ImageDataset } from "../data/mnist";
import { failInput } from "../runtime/validate";

/** n points of dimension d, row-major: point i is `data[i*d .. i*d+d)`. */
export interface PointSet {
  readonly data: Float64Array | Float32Array;
  readonly n: number;
  readonly d: number;
}

/** Anything the clustering functions accept as data. */
export type PointsLike = PointSet | readonly (readonly number[])[];

/**
 * Convert to a `PointSet` and validate it: at least one point, a consistent dimension, and no
 * NaN or ±Infinity anywhere (a NaN would silently poison every mean and distance). Callers that
 * scan the data anyway (`pointStats`) pass `checkFinite = false` and get the same check there.
 */
export function toPointSet(x: PointsLike, where = "points", checkFinite = true): PointSet {
  const remedy = "Pass rows ([[x1, y1], [x2, y2], …]) or a PointSet { data, n, d } (e.g. pointSetFromImages for images)";
  if (x === null || typeof x !== "object") failInput(where, "points", "rows of numbers or a PointSet { data, n, d }", x, remedy);
  if (ArrayBuffer.isView(x)) {
    failInput(where, "points", "rows of numbers or a PointSet { data, n, d }, not a flat typed array", x, `${remedy}: a flat array does not say the dimension d`);
  }
  let ps: PointSet;
  if (Array.isArray(x)) {
    const rows = x as readonly (readonly number[])[];
    if (rows.length === 0) throw new RangeError(`${where}: no points given (an empty array).`);
    if (typeof rows[0] === "number") {
      failInput(where, "points", "rows of numbers, not a flat array of numbers", x, `${remedy}: a flat array does not say the dimension d`);
    }
    rows.forEach((r, i) => {
      if (!Array.isArray(r) && !ArrayBuffer.isView(r)) failInput(where, `points[${i}]`, "a row of numbers", r, remedy);
    });
    const d = rows[0].length;
    if (d === 0) throw new RangeError(`${where}: points have dimension 0.`);
    const data = new Float64Array(rows.length * d);
    rows.forEach((r, i) => {
      if (r.length !== d) {
        throw new RangeError(`${where}: point ${i} has ${r.length} coordinates, point 0 has ${d}. All points need the same dimension.`);
      }
      for (let j = 0; j < d; j++) data[i * d + j] = r[j];
    });
    ps = { data, n: rows.length, d };
  } else {
    ps = x as PointSet;
    if (!(ps.data instanceof Float64Array) && !(ps.data instanceof Float32Array)) {
      failInput(where, "points.data", "a Float64Array or Float32Array (a PointSet is { data, n, d })", ps.data, remedy);
    }
    if (!Number.isInteger(ps.n) || !Number.isInteger(ps.d) || ps.n < 1 || ps.d < 1) {
      throw new RangeError(`${where}: n = ${ps.n} and d = ${ps.d} must be positive integers.`);
    }
    if (ps.data.length !== ps.n * ps.d) {
      throw new RangeError(`${where}: data has ${ps.data.length} numbers, but n × d = ${ps.n} × ${ps.d} = ${ps.n * ps.d}.`);
    }
  }
  if (checkFinite) {
    const t = firstNonFinite(ps.data);
    if (t >= 0) throw nonFiniteError(where, ps, t);
  }
  return ps;
}

/** Index of the first NaN or ±Infinity in `data`, or −1. */
function firstNonFinite(data: ArrayLike<number>): number {
  for (let t = 0; t < data.length; t++) if (!Number.isFinite(data[t])) return t;
  return -1;
}

function nonFiniteError(where: string, ps: PointSet, t: number): RangeError {
  const { d } = ps;
  return new RangeError(
    `${where}: coordinate ${t % d} of point ${Math.floor(t / d)} is ${ps.data[t]}. ` +
      `Clustering needs finite numbers everywhere: drop or impute missing values first.`,
  );
}

/** What one pass over the points tells the clustering code (`pointStats`). */
export interface PointStats {
  /** ‖x_i‖² of every point. */
  norms: Float64Array;
  /** Σ_i ‖x_i‖². */
  sumSq: number;
  /** (1/d) Σ_t Var(x_t), the population variance per dimension averaged (scikit-learn's tolerance scale). */
  meanVariance: number;
}

/**
 * One pass over the points: norms and the mean variance, and the finiteness
 * check of `toPointSet` (same error). The variance is accumulated about the first point,
 * Var(x_t) = mean((x_t − x_0t)²) − mean(x_t − x_0t)², which keeps the one-pass formula free of
 * the cancellation that plain E[x²] − E[x]² suffers for data far from the origin.
 */
export function pointStats(ps: PointSet, where = "points"): PointStats {
  const { data, n, d } = ps;
  const norms = new Float64Array(n);
  const shift = new Float64Array(d);
  for (let t = 0; t < d; t++) shift[t] = data[t];
  const colSum = new Float64Array(d);
  let sq = 0;
  let sumSq = 0;
  for (let i = 0; i < n; i++) {
    const xo = i * d;
    let norm = 0;
    for (let t = 0; t < d; t++) {
      const x = data[xo + t];
      const v = x - shift[t];
      colSum[t] += v;
      sq += v * v;
      norm += x * x;
    }
    norms[i] = norm;
    sumSq += norm;
  }
  if (!Number.isFinite(sumSq) || !Number.isFinite(sq)) {
    const t = firstNonFinite(data);
    if (t >= 0) throw nonFiniteError(where, ps, t);
  }
  let meanSq = 0;
  for (let t = 0; t < d; t++) meanSq += (colSum[t] / n) * (colSum[t] / n);
  const meanVariance = Math.max(0, (sq / n - meanSq) / d);
  return { norms, sumSq, meanVariance };
}

/** Images of a dataset as points of dimension height × width (no copy). */
export function pointsFromImages(ds: ImageDataset, count = ds.count): PointSet {
  if (!Number.isInteger(count) || count < 1 || count > ds.count) {
    throw new RangeError(`pointsFromImages: count ${count} must be an integer in [1, ${ds.count}].`);
  }
  const d = ds.height * ds.width;
  return { data: ds.images.subarray(0, count * d), n: count, d };
}

/** Rows `idx` of a point set, as a new Float64 point set. */
export function selectPoints(ps: PointSet, idx: ArrayLike<number>): PointSet {
  const { d } = ps;
  const out = new Float64Array(idx.length * d);
  for (let r = 0; r < idx.length; r++) {
    const i = idx[r];
    if (!(i >= 0 && i < ps.n)) throw new RangeError(`selectPoints: index ${i} outside [0, ${ps.n}).`);
    for (let j = 0; j < d; j++) out[r * d + j] = ps.data[i * d + j];
  }
  return { data: out, n: idx.length, d };
}

/** Mean over dimensions of the per-dimension variance, (1/d) Σ_j Var(x_j) (scikit-learn's tolerance scale). */
export function meanVariance(ps: PointSet): number {
  return pointStats(ps, "meanVariance").meanVariance;
}

/**
 * Squared Euclidean distance ‖x_i − c_j‖² computed as a sum of squared differences in double
 * precision. This one function defines "nearest centre" everywhere in src/em, so the plain and
 * the bound-accelerated K-means compare exactly the same numbers. The summation order is fixed:
 * coordinate t of the first 8⌊d/8⌋ goes to accumulator s_(t mod 8), the rest to a tail sum in
 * order, and the result is ((s0+s4)+(s2+s6)) + ((s1+s5)+(s3+s7)) + tail: exactly what the
 * WebAssembly SIMD kernel (`SqDistKernel`, four float64x2 accumulators) computes.
 */
export function sqDist(x: ArrayLike<number>, xo: number, c: ArrayLike<number>, co: number, d: number): number {
  let s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0;
  const d8 = d - (d & 7);
  let t = 0;
  for (; t < d8; t += 8) {
    const a0 = x[xo + t] - c[co + t];
    const a1 = x[xo + t + 1] - c[co + t + 1];
    const a2 = x[xo + t + 2] - c[co + t + 2];
    const a3 = x[xo + t + 3] - c[co + t + 3];
    const a4 = x[xo + t + 4] - c[co + t + 4];
    const a5 = x[xo + t + 5] - c[co + t + 5];
    const a6 = x[xo + t + 6] - c[co + t + 6];
    const a7 = x[xo + t + 7] - c[co + t + 7];
    s0 += a0 * a0;
    s1 += a1 * a1;
    s2 += a2 * a2;
    s3 += a3 * a3;
    s4 += a4 * a4;
    s5 += a5 * a5;
    s6 += a6 * a6;
    s7 += a7 * a7;
  }
  let tail = 0;
  for (; t < d; t++) {
    const a = x[xo + t] - c[co + t];
    tail += a * a;
  }
  return ((s0 + s4) + (s2 + s6)) + ((s1 + s5) + (s3 + s7)) + tail;
}
