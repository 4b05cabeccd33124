/**
 * How close two samples of points are, without densities (Székely & Rizzo 2013): the energy distance
 *
 *   D²(P, Q) = 2 E‖X − Y‖ − E‖X − X′‖ − E‖Y − Y′‖,   X, X′ ∼ P,  Y, Y′ ∼ Q independent,
 *
 * which is ≥ 0 and 0 only when P = Q. Estimated here with the unbiased within-sample means
 * (pairs i ≠ j), so the estimate fluctuates around 0 for two samples of the same distribution.
 */
import { checkPositiveInt, failInput } from "../../runtime/validate";
import { checkDiffusionPoints } from "./process";

function meanDistance(a: Float32Array | Float64Array, b: Float32Array | Float64Array, d: number, same: boolean): number {
  const n = a.length / d;
  const m = b.length / d;
  let s = 0;
  for (let i = 0; i < n; i++)
    for (let j = same ? i + 1 : 0; j < m; j++) {
      let r2 = 0;
      for (let k = 0; k < d; k++) r2 += (a[i * d + k] - b[j * d + k]) ** 2;
      s += Math.sqrt(r2);
    }
  return same ? s / ((n * (n - 1)) / 2) : s / (n * m);
}

/** D²(P, Q) from samples a ∼ P and b ∼ Q (n × dim and m × dim numbers, n, m ≥ 2). */
export function energyDistance(a: Float32Array | Float64Array, b: Float32Array | Float64Array, dim = 2): number {
  checkPositiveInt("energyDistance", "dim", dim);
  checkDiffusionPoints("energyDistance", "a", a, dim);
  checkDiffusionPoints("energyDistance", "b", b, dim);
  if (a.length < 2 * dim || b.length < 2 * dim) failInput("energyDistance", "a, b", "at least 2 points each", Math.min(a.length, b.length) / dim);
  return 2 * meanDistance(a, b, dim, false) - meanDistance(a, a, dim, true) - meanDistance(b, b, dim, true);
}

/** The sample mean (dim numbers) and covariance (dim × dim, divisor n − 1) of n points. */
export function sampleMeanCov(x: Float32Array | Float64Array, dim = 2): { mean: Float64Array; cov: Float64Array; n: number } {
  checkDiffusionPoints("sampleMeanCov", "x", x, dim);
  const n = x.length / dim;
  if (n < 2) failInput("sampleMeanCov", "x", "at least 2 points", n);
  const mean = new Float64Array(dim);
  for (let i = 0; i < n; i++) for (let j = 0; j < dim; j++) mean[j] += x[i * dim + j] / n;
  const cov = new Float64Array(dim * dim);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < dim; j++)
      for (let k = 0; k < dim; k++) cov[j * dim + k] += ((x[i * dim + j] - mean[j]) * (x[i * dim + k] - mean[k])) / (n - 1);
  return { mean, cov, n };
}

/**
 * The energy distance with a standard error: a and b are split into `blocks` disjoint blocks of
 * consecutive points, D² is estimated on each pair of blocks (independent estimates), and the
 * result is their mean ± the standard error of that mean. (The mean of block estimates has a
 * little more variance than the full-sample estimate; the error bar is conservative.)
 */
export function energyDistanceWithSE(a: Float32Array | Float64Array, b: Float32Array | Float64Array, dim = 2, blocks = 5): { estimate: number; se: number } {
  checkPositiveInt("energyDistanceWithSE", "dim", dim);
  checkPositiveInt("energyDistanceWithSE", "blocks", blocks);
  checkDiffusionPoints("energyDistanceWithSE", "a", a, dim);
  checkDiffusionPoints("energyDistanceWithSE", "b", b, dim);
  const na = Math.floor(a.length / dim / blocks);
  const nb = Math.floor(b.length / dim / blocks);
  if (blocks < 2 || na < 2 || nb < 2) failInput("energyDistanceWithSE", "blocks", `an integer ≥ 2 leaving at least 2 points of a and of b per block (a has ${a.length / dim}, b ${b.length / dim})`, blocks);
  const est = Array.from({ length: blocks }, (_, k) =>
    energyDistance(a.subarray(k * na * dim, (k + 1) * na * dim), b.subarray(k * nb * dim, (k + 1) * nb * dim), dim),
  );
  const m = est.reduce((x, y) => x + y, 0) / blocks;
  const v = est.reduce((x, y) => x + (y - m) ** 2, 0) / (blocks - 1);
  return { estimate: m, se: Math.sqrt(v / blocks) };
}
