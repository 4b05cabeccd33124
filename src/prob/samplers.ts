/**
 * Primitive samplers, all driven by an explicit `Rng`.
 *
 * - Gamma(α, 1): Marsaglia & Tsang (2000), "A simple method for generating gamma variables";
 *   for α < 1 the boost G(α) = G(α + 1) · U^{1/α}.
 * - Beta(a, b) = X / (X + Y) with X ~ Gamma(a), Y ~ Gamma(b).
 * - Dirichlet(α) = (G_1, …, G_K) / Σ G_k with G_k ~ Gamma(α_k).
 * - Categorical(p): inverse CDF, k = min{ k : Σ_{j≤k} p_j > u } by binary search.
 */
import type { Rng } from "../runtime/rng";

/** One draw from Gamma(shape α, rate 1) by Marsaglia–Tsang. */
export function sampleGammaUnit(rng: Rng, shape: number): number {
  if (!(shape > 0) || !Number.isFinite(shape)) throw new RangeError(`sampleGammaUnit: shape must be > 0; got ${shape}.`);
  if (shape < 1) {
    const g = sampleGammaUnit(rng, shape + 1);
    return g * Math.pow(rng.uniformOpen(), 1 / shape);
  }
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      x = rng.normal();
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = rng.uniformOpen();
    const x2 = x * x;
    if (u < 1 - 0.0331 * x2 * x2) return d * v;
    if (Math.log(u) < 0.5 * x2 + d * (1 - v + Math.log(v))) return d * v;
  }
}

/** One draw from Beta(a, b) via two Gamma draws. */
export function sampleBetaOne(rng: Rng, a: number, b: number): number {
  const x = sampleGammaUnit(rng, a);
  const y = sampleGammaUnit(rng, b);
  return x / (x + y);
}

/** One draw from Dirichlet(α) via normalized Gamma draws. */
export function sampleDirichletOne(rng: Rng, alpha: ArrayLike<number>): Float64Array {
  const out = new Float64Array(alpha.length);
  let s = 0;
  for (let k = 0; k < alpha.length; k++) {
    out[k] = sampleGammaUnit(rng, alpha[k]);
    s += out[k];
  }
  for (let k = 0; k < alpha.length; k++) out[k] /= s;
  return out;
}

/** Normalized cumulative sums of p: c_k = Σ_{j≤k} p_j / Σ_j p_j, so the last entry is exactly 1. */
export function cumulativeProbs(p: ArrayLike<number>): Float64Array {
  const c = new Float64Array(p.length);
  let s = 0;
  for (let i = 0; i < p.length; i++) {
    s += p[i];
    c[i] = s;
  }
  for (let i = 0; i < p.length; i++) c[i] /= s;
  return c;
}

/** Inverse-CDF draw of a category from its cumulative probabilities (see `cumulativeProbs`). */
export function sampleFromCdf(rng: Rng, cdf: Float64Array): number {
  const u = rng.uniform();
  let lo = 0;
  let hi = cdf.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (cdf[mid] > u) hi = mid;
    else lo = mid + 1;
  }
  // The first k with c_k > u never has p_k = 0 (then c_k = c_{k−1}).
  return lo;
}

/** One categorical draw k ∈ {0..K−1} with P(k) = p_k (p need not be normalized exactly). */
export function sampleCategoricalOne(rng: Rng, p: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < p.length; i++) s += p[i];
  let u = rng.uniform() * s;
  for (let i = 0; i < p.length; i++) {
    u -= p[i];
    if (u < 0 && p[i] > 0) return i;
  }
  for (let i = p.length - 1; i >= 0; i--) if (p[i] > 0) return i;
  throw new RangeError("sampleCategoricalOne: all probabilities are zero.");
}
