/**
 * Small dense linear algebra in double precision (row-major `Float64Array`s), for
 * covariance matrices of Gaussians, Gaussian conditioning and GMM components. Matrices here
 * are d x d with d in the tens; big arrays belong to TensorFlow.js.
 */

/** A d x d row-major matrix. */
export type Mat = Float64Array;

function checkSquare(a: ArrayLike<number>, d: number, what: string): void {
  if (a.length !== d * d) {
    throw new RangeError(`${what}: expected a ${d}x${d} matrix (${d * d} numbers), got ${a.length} numbers.`);
  }
}

/** Infer d from a flat d*d array, or throw. */
export function dimOf(a: ArrayLike<number>, what = "matrix"): number {
  const d = Math.round(Math.sqrt(a.length));
  if (d * d !== a.length) throw new RangeError(`${what}: ${a.length} numbers is not a square matrix.`);
  return d;
}

/** Convert nested arrays to a flat row-major matrix, checking it is square. */
export function fromRows(rows: readonly (readonly number[])[]): Mat {
  const d = rows.length;
  const out = new Float64Array(d * d);
  rows.forEach((r, i) => {
    if (r.length !== d) throw new RangeError(`fromRows: row ${i} has ${r.length} entries, expected ${d}.`);
    for (let j = 0; j < d; j++) out[i * d + j] = r[j];
  });
  return out;
}

/** Nested arrays from a flat d x d matrix. */
export function toRows(a: ArrayLike<number>): number[][] {
  const d = dimOf(a);
  return Array.from({ length: d }, (_, i) => Array.from({ length: d }, (_, j) => a[i * d + j]));
}

export function identity(d: number): Mat {
  const out = new Float64Array(d * d);
  for (let i = 0; i < d; i++) out[i * d + i] = 1;
  return out;
}

/** Largest absolute asymmetry |a_ij − a_ji|. */
export function asymmetry(a: ArrayLike<number>): number {
  const d = dimOf(a);
  let m = 0;
  for (let i = 0; i < d; i++) for (let j = 0; j < i; j++) m = Math.max(m, Math.abs(a[i * d + j] - a[j * d + i]));
  return m;
}

/**
 * Cholesky factor L (lower triangular, A = L Lᵀ) of a symmetric positive-definite matrix.
 * Throws a RangeError naming the pivot when A is not positive definite.
 */
export function cholesky(a: ArrayLike<number>, what = "matrix"): Mat {
  const d = dimOf(a, what);
  const scale = Math.max(1e-300, ...Array.from({ length: d }, (_, i) => Math.abs(a[i * d + i])));
  if (asymmetry(a) > 1e-8 * scale) {
    throw new RangeError(`${what} is not symmetric (max |A_ij − A_ji| = ${asymmetry(a).toExponential(3)}).`);
  }
  const L = new Float64Array(d * d);
  for (let j = 0; j < d; j++) {
    let s = a[j * d + j];
    for (let k = 0; k < j; k++) s -= L[j * d + k] * L[j * d + k];
    if (!(s > 0)) {
      throw new RangeError(
        `${what} is not positive definite (Cholesky pivot ${j} is ${s.toExponential(3)}). ` +
          `A covariance needs positive variances and |correlations| < 1; add a small ridge if it is nearly singular.`,
      );
    }
    const ljj = Math.sqrt(s);
    L[j * d + j] = ljj;
    for (let i = j + 1; i < d; i++) {
      let t = a[i * d + j];
      for (let k = 0; k < j; k++) t -= L[i * d + k] * L[j * d + k];
      L[i * d + j] = t / ljj;
    }
  }
  return L;
}

/** log det A from its Cholesky factor: 2 Σ log L_ii. */
export function logDetFromCholesky(L: ArrayLike<number>): number {
  const d = dimOf(L);
  let s = 0;
  for (let i = 0; i < d; i++) s += Math.log(L[i * d + i]);
  return 2 * s;
}

/** Solve L x = b (L lower triangular). */
export function solveLower(L: ArrayLike<number>, b: ArrayLike<number>): Float64Array {
  const d = b.length;
  checkSquare(L, d, "solveLower");
  const x = new Float64Array(d);
  for (let i = 0; i < d; i++) {
    let s = b[i];
    for (let k = 0; k < i; k++) s -= L[i * d + k] * x[k];
    x[i] = s / L[i * d + i];
  }
  return x;
}

/** Solve Lᵀ x = b (L lower triangular). */
export function solveUpperT(L: ArrayLike<number>, b: ArrayLike<number>): Float64Array {
  const d = b.length;
  checkSquare(L, d, "solveUpperT");
  const x = new Float64Array(d);
  for (let i = d - 1; i >= 0; i--) {
    let s = b[i];
    for (let k = i + 1; k < d; k++) s -= L[k * d + i] * x[k];
    x[i] = s / L[i * d + i];
  }
  return x;
}

/** Solve A x = b given A's Cholesky factor. */
export function choleskySolve(L: ArrayLike<number>, b: ArrayLike<number>): Float64Array {
  return solveUpperT(L, solveLower(L, b));
}

/** A⁻¹ from A's Cholesky factor. */
export function choleskyInverse(L: ArrayLike<number>): Mat {
  const d = dimOf(L);
  const out = new Float64Array(d * d);
  const e = new Float64Array(d);
  for (let j = 0; j < d; j++) {
    e.fill(0);
    e[j] = 1;
    const col = choleskySolve(L, e);
    for (let i = 0; i < d; i++) out[i * d + j] = col[i];
  }
  return out;
}

/** Inverse of a symmetric positive-definite matrix. */
export function spdInverse(a: ArrayLike<number>, what = "matrix"): Mat {
  return choleskyInverse(cholesky(a, what));
}

/** y = L x for lower-triangular L (used to sample N(μ, LLᵀ)). */
export function lowerMulVec(L: ArrayLike<number>, x: ArrayLike<number>): Float64Array {
  const d = x.length;
  const y = new Float64Array(d);
  for (let i = 0; i < d; i++) {
    let s = 0;
    for (let k = 0; k <= i; k++) s += L[i * d + k] * x[k];
    y[i] = s;
  }
  return y;
}

/** C = A B for A (m x k) and B (k x n), row-major. */
export function matMul(a: ArrayLike<number>, b: ArrayLike<number>, m: number, k: number, n: number): Float64Array {
  if (a.length !== m * k || b.length !== k * n) {
    throw new RangeError(`matMul: shapes ${m}x${k} and ${k}x${n} do not match arrays of ${a.length} and ${b.length}.`);
  }
  const c = new Float64Array(m * n);
  for (let i = 0; i < m; i++)
    for (let p = 0; p < k; p++) {
      const aip = a[i * k + p];
      if (aip === 0) continue;
      for (let j = 0; j < n; j++) c[i * n + j] += aip * b[p * n + j];
    }
  return c;
}

/** y = A x for a d x d matrix. */
export function matVec(a: ArrayLike<number>, x: ArrayLike<number>): Float64Array {
  const d = x.length;
  checkSquare(a, d, "matVec");
  const y = new Float64Array(d);
  for (let i = 0; i < d; i++) {
    let s = 0;
    for (let j = 0; j < d; j++) s += a[i * d + j] * x[j];
    y[i] = s;
  }
  return y;
}

/** Aᵀ for an m x n matrix. */
export function transpose(a: ArrayLike<number>, m: number, n: number): Float64Array {
  const t = new Float64Array(m * n);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) t[j * m + i] = a[i * n + j];
  return t;
}

/** Trace of a d x d matrix. */
export function trace(a: ArrayLike<number>): number {
  const d = dimOf(a);
  let s = 0;
  for (let i = 0; i < d; i++) s += a[i * d + i];
  return s;
}

/** xᵀ A⁻¹ x given A's Cholesky factor (the squared Mahalanobis norm). */
export function mahalanobis2(L: ArrayLike<number>, x: ArrayLike<number>): number {
  const y = solveLower(L, x);
  let s = 0;
  for (let i = 0; i < y.length; i++) s += y[i] * y[i];
  return s;
}

export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new RangeError(`dot: lengths ${a.length} and ${b.length} differ.`);
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

/** Eigen-decomposition of a symmetric 2x2 matrix (for drawing covariance ellipses). */
export function eigSym2(a: ArrayLike<number>): { values: [number, number]; vectors: [[number, number], [number, number]] } {
  const [p, q, , r] = [a[0], a[1], a[2], a[3]];
  const tr = p + r;
  const det = p * r - q * q;
  const disc = Math.sqrt(Math.max(0, (tr * tr) / 4 - det));
  const l1 = tr / 2 + disc;
  const l2 = tr / 2 - disc;
  let v1: [number, number];
  if (Math.abs(q) > 1e-300) v1 = [l1 - r, q];
  else v1 = p >= r ? [1, 0] : [0, 1];
  const n = Math.hypot(v1[0], v1[1]);
  v1 = [v1[0] / n, v1[1] / n];
  return { values: [l1, l2], vectors: [v1, [-v1[1], v1[0]]] };
}
