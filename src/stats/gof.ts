/**
 * Goodness-of-fit statistics: does a sample look like draws from a given distribution?
 * Used under every sampler in the notebooks (e.g. inverse transform sampling in notebook 00).
 */
import { regularizedGammaQ } from "../math/special";

export interface KsResult {
  /** D_n = sup_x |F_n(x) − F(x)|. */
  statistic: number;
  /** Asymptotic p-value P(K > √n D_n) from the Kolmogorov distribution. */
  pValue: number;
  n: number;
}

/**
 * One-sample Kolmogorov–Smirnov test against a continuous CDF F:
 * D_n = max_i max(i/n − F(x_(i)), F(x_(i)) − (i−1)/n), p ≈ Q_K((√n + 0.12 + 0.11/√n) D_n)
 * (Stephens' small-sample correction), Q_K(λ) = 2 Σ_{k≥1} (−1)^{k−1} e^{−2k²λ²}.
 */
export function ksTest(sample: ArrayLike<number>, cdf: (x: number) => number): KsResult {
  const n = sample.length;
  if (n < 1) throw new RangeError("ksTest: the sample is empty.");
  const xs = Float64Array.from(sample).sort();
  let d = 0;
  for (let i = 0; i < n; i++) {
    const f = cdf(xs[i]);
    if (!(f >= 0 && f <= 1)) throw new RangeError(`ksTest: cdf(${xs[i]}) = ${f} is not a probability.`);
    d = Math.max(d, (i + 1) / n - f, f - i / n);
  }
  const sn = Math.sqrt(n);
  return { statistic: d, pValue: kolmogorovQ((sn + 0.12 + 0.11 / sn) * d), n };
}

/** Q_K(λ) = P(K > λ) for the Kolmogorov distribution. */
export function kolmogorovQ(lambda: number): number {
  if (lambda < 0.2) return 1;
  let s = 0;
  for (let k = 1; k <= 100; k++) {
    const term = Math.exp(-2 * k * k * lambda * lambda);
    s += (k % 2 === 1 ? 2 : -2) * term;
    if (term < 1e-17) break;
  }
  return Math.min(1, Math.max(0, s));
}

export interface ChiSquareResult {
  statistic: number;
  /** Degrees of freedom: bins − 1 − fitted parameters. */
  dof: number;
  /** P(χ²_dof > statistic) = Q(dof/2, statistic/2). */
  pValue: number;
}

/**
 * Pearson's χ² goodness of fit: X² = Σ_j (O_j − E_j)² / E_j over bins with expected counts
 * E_j; p = Q(dof/2, X²/2). Bins with E_j < 5 make the χ² approximation poor: merge them first.
 */
export function chiSquareTest(observed: ArrayLike<number>, expected: ArrayLike<number>, fittedParams = 0): ChiSquareResult {
  if (observed.length !== expected.length) {
    throw new RangeError(`chiSquareTest: ${observed.length} observed counts but ${expected.length} expected counts.`);
  }
  let x2 = 0;
  for (let j = 0; j < observed.length; j++) {
    if (!(expected[j] > 0)) throw new RangeError(`chiSquareTest: expected count in bin ${j} is ${expected[j]}; must be > 0.`);
    x2 += (observed[j] - expected[j]) ** 2 / expected[j];
  }
  const dof = observed.length - 1 - fittedParams;
  if (dof < 1) throw new RangeError(`chiSquareTest: ${observed.length} bins and ${fittedParams} fitted parameters leave no degrees of freedom.`);
  return { statistic: x2, dof, pValue: regularizedGammaQ(dof / 2, x2 / 2) };
}

/**
 * Histogram counts on equal-width bins over [lo, hi) (values outside are dropped and counted
 * in `outside`). Returns bin edges (length bins + 1).
 */
export function histogram(values: ArrayLike<number>, bins: number, lo: number, hi: number): { counts: Float64Array; edges: Float64Array; outside: number } {
  if (!(hi > lo) || !Number.isInteger(bins) || bins < 1) throw new RangeError(`histogram: need bins ≥ 1 and hi > lo; got ${bins}, [${lo}, ${hi}).`);
  const counts = new Float64Array(bins);
  const w = (hi - lo) / bins;
  let outside = 0;
  for (let i = 0; i < values.length; i++) {
    const j = Math.floor((values[i] - lo) / w);
    if (j >= 0 && j < bins) counts[j]++;
    else outside++;
  }
  const edges = Float64Array.from({ length: bins + 1 }, (_, j) => lo + j * w);
  return { counts, edges, outside };
}
