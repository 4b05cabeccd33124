/**
 * The Fréchet distance between two sets of feature vectors (Heusel et al. 2017, "FID"): fit a
 * Gaussian to each set and take the 2-Wasserstein distance between the two Gaussians,
 *
 *   d²(a, b) = ‖μ_a − μ_b‖² + tr(Σ_a + Σ_b − 2 (Σ_a^{1/2} Σ_b Σ_a^{1/2})^{1/2}).
 *
 * A sample-quality measure for models without a likelihood (lecture 001: a GAN is "hard to
 * evaluate (implicit model)"): it needs only samples. The matrix square root is taken the
 * stable way, by symmetric eigendecompositions (Jacobi rotations, float64): Σ_a^{1/2} = V Λ^{1/2} Vᵀ
 * with negative round-off eigenvalues clipped to 0, and tr (Σ_a^{1/2} Σ_b Σ_a^{1/2})^{1/2} = Σ_i √λ_i
 * of the symmetric positive semi-definite matrix Σ_a^{1/2} Σ_b Σ_a^{1/2}, so no non-symmetric
 * square root (scipy's sqrtm of Σ_a Σ_b, whose imaginary round-off FID code has to discard) is
 * ever formed.
 */

/** Mean and covariance (divisor n − 1) of n rows of `dim` numbers. */
export interface GaussianStats {
  mean: Float64Array;
  /** dim × dim, row-major. */
  cov: Float64Array;
  n: number;
  dim: number;
}

function checkRows(x: ArrayLike<number>, dim: number, what: string): number {
  if (!x || typeof (x as ArrayLike<number>).length !== "number") throw new TypeError(`${what}: expected a Float32Array (or array) of n × dim numbers, got ${typeof x}.`);
  if (!Number.isInteger(dim) || dim <= 0) throw new RangeError(`${what}: dim must be a positive integer, got ${String(dim)}.`);
  const n = x.length / dim;
  if (!Number.isInteger(n)) throw new RangeError(`${what}: ${x.length} numbers is not a multiple of dim = ${dim}.`);
  if (n < 2) throw new RangeError(`${what}: need at least 2 rows to estimate a covariance, got ${n}.`);
  for (let i = 0; i < x.length; i++) {
    if (!Number.isFinite(x[i])) throw new RangeError(`${what}: value ${i} (row ${Math.floor(i / dim)}) is ${x[i]}; features must be finite.`);
  }
  return n;
}

/** Sample mean and unbiased covariance of n × dim rows (float64 accumulation, two passes). */
export function gaussianStats(x: ArrayLike<number>, dim: number): GaussianStats {
  const n = checkRows(x, dim, "gaussianStats");
  const mean = new Float64Array(dim);
  for (let i = 0; i < n; i++) for (let j = 0; j < dim; j++) mean[j] += x[i * dim + j];
  for (let j = 0; j < dim; j++) mean[j] /= n;
  const cov = new Float64Array(dim * dim);
  const c = new Float64Array(dim);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < dim; j++) c[j] = x[i * dim + j] - mean[j];
    for (let j = 0; j < dim; j++) {
      const cj = c[j];
      if (cj === 0) continue;
      const row = j * dim;
      for (let k = j; k < dim; k++) cov[row + k] += cj * c[k];
    }
  }
  for (let j = 0; j < dim; j++) {
    for (let k = j; k < dim; k++) {
      const v = cov[j * dim + k] / (n - 1);
      cov[j * dim + k] = v;
      cov[k * dim + j] = v;
    }
  }
  return { mean, cov, n, dim };
}

/**
 * Eigendecomposition of a symmetric matrix by cyclic Jacobi rotations: A = V diag(λ) Vᵀ.
 * Returns λ (unsorted) and V (columns are eigenvectors, row-major d × d). Converges to full
 * float64 accuracy for symmetric input; the input is not modified.
 */
export function symmetricEigen(a: ArrayLike<number>, d: number): { values: Float64Array; vectors: Float64Array } {
  if (a.length !== d * d) throw new RangeError(`symmetricEigen: expected ${d}×${d} = ${d * d} numbers, got ${a.length}.`);
  const A = Float64Array.from(a);
  // Symmetrize (round-off in a covariance can make it asymmetric in the last bit).
  for (let i = 0; i < d; i++) for (let j = i + 1; j < d; j++) A[i * d + j] = A[j * d + i] = 0.5 * (A[i * d + j] + A[j * d + i]);
  const V = new Float64Array(d * d);
  for (let i = 0; i < d; i++) V[i * d + i] = 1;
  let scale = 0;
  for (let i = 0; i < d * d; i++) scale += A[i] * A[i];
  if (scale === 0) return { values: new Float64Array(d), vectors: V };
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let i = 0; i < d; i++) for (let j = i + 1; j < d; j++) off += A[i * d + j] * A[i * d + j];
    if (off <= 1e-30 * scale) break;
    for (let p = 0; p < d - 1; p++) {
      for (let q = p + 1; q < d; q++) {
        const apq = A[p * d + q];
        if (apq === 0) continue;
        const app = A[p * d + p];
        const aqq = A[q * d + q];
        const theta = (aqq - app) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const cs = 1 / Math.sqrt(t * t + 1);
        const sn = t * cs;
        // A ← Jᵀ A J for the rotation J in the (p, q) plane.
        for (let k = 0; k < d; k++) {
          const akp = A[k * d + p];
          const akq = A[k * d + q];
          A[k * d + p] = cs * akp - sn * akq;
          A[k * d + q] = sn * akp + cs * akq;
        }
        for (let k = 0; k < d; k++) {
          const apk = A[p * d + k];
          const aqk = A[q * d + k];
          A[p * d + k] = cs * apk - sn * aqk;
          A[q * d + k] = sn * apk + cs * aqk;
        }
        A[p * d + q] = 0;
        A[q * d + p] = 0;
        for (let k = 0; k < d; k++) {
          const vkp = V[k * d + p];
          const vkq = V[k * d + q];
          V[k * d + p] = cs * vkp - sn * vkq;
          V[k * d + q] = sn * vkp + cs * vkq;
        }
      }
    }
  }
  const values = new Float64Array(d);
  for (let i = 0; i < d; i++) values[i] = A[i * d + i];
  return { values, vectors: V };
}

/**
 * The symmetric square root S = A^{1/2} of a symmetric positive semi-definite matrix (S = Sᵀ,
 * S S = A), from A = V Λ Vᵀ: S = V Λ^{1/2} Vᵀ. Eigenvalues below 0 (round-off of a singular
 * covariance, e.g. fewer samples than dimensions) are clipped to 0.
 */
export function sqrtmPsd(a: ArrayLike<number>, d: number): Float64Array {
  const { values, vectors: V } = symmetricEigen(a, d);
  const s = new Float64Array(d * d);
  for (let k = 0; k < d; k++) {
    const r = Math.sqrt(Math.max(0, values[k]));
    if (r === 0) continue;
    for (let i = 0; i < d; i++) {
      const vik = V[i * d + k] * r;
      if (vik === 0) continue;
      for (let j = 0; j < d; j++) s[i * d + j] += vik * V[j * d + k];
    }
  }
  return s;
}

function matMulSquare(a: Float64Array, b: ArrayLike<number>, d: number): Float64Array {
  const out = new Float64Array(d * d);
  for (let i = 0; i < d; i++) {
    for (let k = 0; k < d; k++) {
      const aik = a[i * d + k];
      if (aik === 0) continue;
      for (let j = 0; j < d; j++) out[i * d + j] += aik * b[k * d + j];
    }
  }
  return out;
}

/** tr (Σ_a^{1/2} Σ_b Σ_a^{1/2})^{1/2} = Σ_i √λ_i(Σ_a^{1/2} Σ_b Σ_a^{1/2}) (= tr (Σ_a Σ_b)^{1/2}). */
export function traceSqrtProduct(covA: ArrayLike<number>, covB: ArrayLike<number>, d: number): number {
  const s = sqrtmPsd(covA, d);
  const m = matMulSquare(matMulSquare(s, covB, d), s, d);
  const { values } = symmetricEigen(m, d);
  let t = 0;
  for (let i = 0; i < d; i++) t += Math.sqrt(Math.max(0, values[i]));
  return t;
}

/**
 * Fréchet (2-Wasserstein) distance² between N(μ_a, Σ_a) and N(μ_b, Σ_b), in closed form:
 *   ‖μ_a − μ_b‖² + tr Σ_a + tr Σ_b − 2 tr (Σ_a^{1/2} Σ_b Σ_a^{1/2})^{1/2}.
 * Clipped at 0 (round-off can give −1e-15 for identical inputs).
 */
export function frechetGaussian(meanA: ArrayLike<number>, covA: ArrayLike<number>, meanB: ArrayLike<number>, covB: ArrayLike<number>): number {
  const d = meanA.length;
  if (meanB.length !== d || covA.length !== d * d || covB.length !== d * d) {
    throw new RangeError(`frechetGaussian: means of length ${meanA.length} and ${meanB.length}, covariances of ${covA.length} and ${covB.length} numbers; need d, d, d², d².`);
  }
  let m = 0;
  for (let i = 0; i < d; i++) m += (meanA[i] - meanB[i]) ** 2;
  let tr = 0;
  for (let i = 0; i < d; i++) tr += covA[i * d + i] + covB[i * d + i];
  return Math.max(0, m + tr - 2 * traceSqrtProduct(covA, covB, d));
}

/** Fréchet distance² between two fitted Gaussians (see gaussianStats). */
export function frechetDistanceFromStats(a: GaussianStats, b: GaussianStats): number {
  if (a.dim !== b.dim) throw new RangeError(`frechetDistanceFromStats: feature dimensions differ (${a.dim} vs ${b.dim}).`);
  return frechetGaussian(a.mean, a.cov, b.mean, b.cov);
}

/**
 * Fréchet distance between two sets of feature vectors (n_a × dim and n_b × dim numbers):
 * fit a Gaussian to each (mean, unbiased covariance) and compare them in closed form. This is
 * FID when the features are an Inception network's; here they are a small MNIST classifier's
 * (classifierFeatures). Like FID it is biased upwards by O(dim / n): compare models with the
 * same number of samples, and read the distance between two real sets as the floor.
 */
export function frechetDistance(a: ArrayLike<number>, b: ArrayLike<number>, dim: number): number {
  checkRows(a, dim, "frechetDistance (first set)");
  checkRows(b, dim, "frechetDistance (second set)");
  return frechetDistanceFromStats(gaussianStats(a, dim), gaussianStats(b, dim));
}
