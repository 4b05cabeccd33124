/**
 * Two unbiased estimators of the gradient of an expectation under q = N(μ, σ²) (lecture 000
 * and 001, "reparameterization trick"):
 *
 *   pathwise (reparameterization): z = μ + σ ε, ε ~ N(0, 1), so
 *       ∇_μ E_q[f(z)] = E_ε[f'(μ + σ ε)],        ∇_σ E_q[f(z)] = E_ε[f'(μ + σ ε) · ε]
 *   score function (REINFORCE, likelihood ratio):
 *       ∇_θ E_q[f(z)] = E_q[(f(z) − b) ∇_θ log q(z)],
 *       ∇_μ log q = (z − μ)/σ²,   ∇_σ log q = ((z − μ)² − σ²)/σ³,
 *   where any baseline b that does not depend on z keeps it unbiased (E_q[∇ log q] = 0).
 *
 * Each function draws n samples and returns the per-sample gradient terms, their mean and
 * standard error, so a test can check unbiasedness within a computed error.
 */
import { Rng } from "../runtime/rng";

export interface GradientEstimate {
  /** Mean estimate of [∂/∂μ, ∂/∂σ]. */
  mean: [number, number];
  /** Standard errors of the two means (0 when n = 1: undefined from one sample). */
  se: [number, number];
  /** Per-sample variances of the two gradient terms (the estimator's variance is this / n). */
  variance: [number, number];
  n: number;
}

function summarize(gMu: Float64Array, gSigma: Float64Array): GradientEstimate {
  const n = gMu.length;
  const stats = (g: Float64Array) => {
    let m = 0;
    for (let i = 0; i < n; i++) m += g[i];
    m /= n;
    let v = 0;
    for (let i = 0; i < n; i++) v += (g[i] - m) ** 2;
    v /= Math.max(1, n - 1);
    return [m, v] as const;
  };
  const [m1, v1] = stats(gMu);
  const [m2, v2] = stats(gSigma);
  return { mean: [m1, m2], se: [Math.sqrt(v1 / n), Math.sqrt(v2 / n)], variance: [v1, v2], n };
}

function check(mu: number, sigma: number, n: number, where: string): void {
  if (!Number.isFinite(mu)) throw new Error(`${where}: μ must be finite, got ${mu}.`);
  if (!(sigma > 0)) throw new Error(`${where}: σ must be > 0, got ${sigma}.`);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${where}: need n ≥ 1 samples, got ${n}.`);
}

/**
 * Pathwise (reparameterization) estimate of ∇_(μ,σ) E_{N(μ,σ²)}[f(z)] from n samples;
 * needs the derivative `df` = f'. Per sample: (f'(z), f'(z)·ε) with z = μ + σε.
 */
export function pathwiseGradient(df: (z: number) => number, mu: number, sigma: number, n: number, r: Rng): GradientEstimate {
  check(mu, sigma, n, "pathwiseGradient");
  const gMu = new Float64Array(n);
  const gSigma = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const eps = r.normal();
    const g = df(mu + sigma * eps);
    gMu[i] = g;
    gSigma[i] = g * eps;
  }
  return summarize(gMu, gSigma);
}

/**
 * Score-function (REINFORCE) estimate of ∇_(μ,σ) E_{N(μ,σ²)}[f(z)] from n samples; needs only
 * f. Per sample: (f(z) − b)·((z − μ)/σ², ((z − μ)² − σ²)/σ³).
 * `baseline`: a number b, or "independent" (b = mean of f over n extra samples drawn first,
 * independent of the n used in the estimate, so the estimate stays unbiased), or none.
 */
export function scoreFunctionGradient(
  f: (z: number) => number,
  mu: number,
  sigma: number,
  n: number,
  r: Rng,
  baseline?: number | "independent",
): GradientEstimate {
  check(mu, sigma, n, "scoreFunctionGradient");
  let b = 0;
  if (baseline === "independent") {
    for (let i = 0; i < n; i++) b += f(mu + sigma * r.normal());
    b /= n;
  } else if (typeof baseline === "number") b = baseline;
  const gMu = new Float64Array(n);
  const gSigma = new Float64Array(n);
  const s2 = sigma * sigma;
  for (let i = 0; i < n; i++) {
    const eps = r.normal();
    const z = mu + sigma * eps;
    const c = f(z) - b;
    gMu[i] = (c * (z - mu)) / s2;
    gSigma[i] = (c * ((z - mu) ** 2 - s2)) / (s2 * sigma);
  }
  return summarize(gMu, gSigma);
}

export interface EstimatorVarianceRow {
  n: number;
  /** Variance over `repeats` runs of the n-sample estimate of ∂/∂μ, for each estimator. */
  pathwise: number;
  score: number;
  scoreBaseline: number;
}

/**
 * Variance of the n-sample estimates of ∂/∂μ E[f(z)] against n, for the pathwise, score
 * function and score function with baseline estimators (each ∝ 1/n; the ratio is the story).
 */
export function gradientVarianceCurve(
  f: (z: number) => number,
  df: (z: number) => number,
  mu: number,
  sigma: number,
  sampleCounts: number[],
  repeats: number,
  r: Rng,
): EstimatorVarianceRow[] {
  const variance = (xs: number[]) => {
    const m = xs.reduce((a, b) => a + b, 0) / xs.length;
    return xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1);
  };
  return sampleCounts.map((n) => {
    const p: number[] = [];
    const s: number[] = [];
    const sb: number[] = [];
    for (let k = 0; k < repeats; k++) {
      p.push(pathwiseGradient(df, mu, sigma, n, r).mean[0]);
      s.push(scoreFunctionGradient(f, mu, sigma, n, r).mean[0]);
      sb.push(scoreFunctionGradient(f, mu, sigma, n, r, "independent").mean[0]);
    }
    return { n, pathwise: variance(p), score: variance(s), scoreBaseline: variance(sb) };
  });
}

export interface DimensionVarianceRow {
  d: number;
  /** Monte Carlo per-sample variance of the pathwise term 2 z₁, with its standard error. */
  pathwise: number;
  pathwiseSE: number;
  /** Monte Carlo per-sample variance of the score-function term ‖z‖² (z₁ − μ)/σ², with its standard error. */
  score: number;
  scoreSE: number;
  /** Closed forms of the two variances (see scoreVarianceExact). */
  pathwiseExact: number;
  scoreExact: number;
}

/**
 * Exact per-sample variance of the score-function term T = ‖z‖² (z₁ − μ)/σ² for ∂/∂μ₁ E‖z‖²,
 * z ~ N(μ1, σ²I_d). With m₂ = μ² + σ²:
 *   σ² E[T²] = μ⁴ + 18μ²σ² + 15σ⁴ + 2(d − 1)(μ² + 3σ²) m₂ + (d − 1)(4μ²σ² + 2σ⁴) + (d − 1)² m₂²,
 *   Var T = E[T²] − (2μ)².
 * The pathwise term 2z₁ has variance 4σ² for every d.
 */
export function scoreVarianceExact(d: number, mu: number, sigma: number): number {
  const s2 = sigma * sigma;
  const mu2 = mu * mu;
  const m2 = mu2 + s2;
  const k = d - 1;
  const et2 = (mu2 * mu2 + 18 * mu2 * s2 + 15 * s2 * s2 + 2 * k * (mu2 + 3 * s2) * m2 + k * (4 * mu2 * s2 + 2 * s2 * s2) + k * k * m2 * m2) / s2;
  return et2 - 4 * mu2;
}

/**
 * How the variance gap grows with dimension: for f(z) = ‖z‖² with z ~ N(μ1, σ²I_d), the
 * per-sample variances of the pathwise (2z₁) and score-function (‖z‖²(z₁ − μ)/σ²) terms of
 * ∂/∂μ₁ E[f], from n samples per d, with standard errors SE(s²) = sd((x − x̄)²)/√n, and their
 * closed forms. The other d − 1 coordinates add noise to f(z) that the score function cannot
 * separate from the signal; the pathwise term never sees them.
 */
export function gradientVarianceByDimension(dims: number[], mu: number, sigma: number, n: number, r: Rng): DimensionVarianceRow[] {
  check(mu, sigma, n, "gradientVarianceByDimension");
  if (n < 2) throw new Error(`gradientVarianceByDimension: need n ≥ 2 samples, got ${n}.`);
  const varianceWithSE = (x: Float64Array): [number, number] => {
    let m = 0;
    for (const v of x) m += v / n;
    const dev = Float64Array.from(x, (v) => (v - m) ** 2);
    let v2 = 0;
    for (const v of dev) v2 += v / n;
    let s = 0;
    for (const v of dev) s += (v - v2) ** 2 / (n - 1);
    return [(v2 * n) / (n - 1), Math.sqrt(s / n)];
  };
  return dims.map((d) => {
    if (!Number.isInteger(d) || d < 1) throw new Error(`gradientVarianceByDimension: dimensions must be positive integers, got ${d}.`);
    const p = new Float64Array(n);
    const s = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const e1 = r.normal();
      const z1 = mu + sigma * e1;
      let norm2 = z1 * z1;
      for (let j = 1; j < d; j++) norm2 += (mu + sigma * r.normal()) ** 2;
      p[i] = 2 * z1;
      s[i] = (norm2 * e1) / sigma;
    }
    const [pv, pse] = varianceWithSE(p);
    const [sv, sse] = varianceWithSE(s);
    return { d, pathwise: pv, pathwiseSE: pse, score: sv, scoreSE: sse, pathwiseExact: 4 * sigma * sigma, scoreExact: scoreVarianceExact(d, mu, sigma) };
  });
}
