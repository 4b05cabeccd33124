/**
 * Point sets for clustering: n points in d dimensions, stored row-major in one typed array.
 * K-means and GMM EM take a `PointSet` (or nested arrays, converted once).
 */
import type { ImageDataset } from "../data/mnist";

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
 * NaN or ±Infinity anywhere (a NaN would silently poison every mean and distance).
 */
export function toPointSet(x: PointsLike, where = "points"): PointSet {
  let ps: PointSet;
  if (Array.isArray(x)) {
    const rows = x as readonly (readonly number[])[];
    if (rows.length === 0) throw new RangeError(`${where}: no points given (an empty array).`);
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
    if (!Number.isInteger(ps.n) || !Number.isInteger(ps.d) || ps.n < 1 || ps.d < 1) {
      throw new RangeError(`${where}: n = ${ps.n} and d = ${ps.d} must be positive integers.`);
    }
    if (ps.data.length !== ps.n * ps.d) {
      throw new RangeError(`${where}: data has ${ps.data.length} numbers, but n × d = ${ps.n} × ${ps.d} = ${ps.n * ps.d}.`);
    }
  }
  const { data, d } = ps;
  for (let t = 0; t < data.length; t++) {
    if (!Number.isFinite(data[t])) {
      throw new RangeError(
        `${where}: coordinate ${t % d} of point ${Math.floor(t / d)} is ${data[t]}. ` +
          `Clustering needs finite numbers everywhere: drop or impute missing values first.`,
      );
    }
  }
  return ps;
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
  const { data, n, d } = ps;
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j] += data[i * d + j];
  for (let j = 0; j < d; j++) mean[j] /= n;
  let s = 0;
  for (let i = 0; i < n; i++)
    for (let j = 0; j < d; j++) {
      const t = data[i * d + j] - mean[j];
      s += t * t;
    }
  return s / (n * d);
}

/**
 * Squared Euclidean distance ‖x_i − c_j‖² computed as a sum of squared differences in double
 * precision. This one function defines "nearest centre" everywhere in src/em, so the plain and
 * the bound-accelerated K-means compare exactly the same numbers.
 */
export function sqDist(x: ArrayLike<number>, xo: number, c: ArrayLike<number>, co: number, d: number): number {
  let s0 = 0;
  let s1 = 0;
  let t = 0;
  for (; t + 1 < d; t += 2) {
    const a = x[xo + t] - c[co + t];
    const b = x[xo + t + 1] - c[co + t + 1];
    s0 += a * a;
    s1 += b * b;
  }
  if (t < d) {
    const a = x[xo + t] - c[co + t];
    s0 += a * a;
  }
  return s0 + s1;
}
