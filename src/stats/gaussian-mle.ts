/**
 * Lecture 003, "Case study #1: fitting a Gaussian to data": maximum likelihood
 *   max_θ E_{x∼p_data}[log p_θ(x)],  p_θ(x) = N(x; μ, σ),  θ = [μ, σ],
 * with the closed-form optimum μ = (1/N) Σ x⁽ⁱ⁾, σ² = (1/N) Σ (x⁽ⁱ⁾ − μ)².
 * The same optimum is reached by gradient ascent, which is how every later model is fitted.
 */
import { LOG_SQRT_2PI } from "../math/special";
import { loopSignal, throwIfAborted, yielder } from "../runtime/abort";
import { progress } from "../runtime/progress";

function checkSample(xs: ArrayLike<number>, where: string): void {
  if (xs.length < 2) throw new RangeError(`${where}: need at least 2 data points, got ${xs.length}.`);
  for (let i = 0; i < xs.length; i++) {
    if (!Number.isFinite(xs[i])) throw new RangeError(`${where}: data point ${i} is ${xs[i]}; remove NaN/Inf values first.`);
  }
}

/** Average log-likelihood (1/N) Σ log N(x⁽ⁱ⁾; μ, σ) = −log σ − ½ log 2π − (1/2σ²)(1/N) Σ (x⁽ⁱ⁾ − μ)². */
export function gaussianAvgLogLikelihood(xs: ArrayLike<number>, mu: number, sigma: number): number {
  if (!(sigma > 0)) throw new RangeError(`gaussianAvgLogLikelihood: σ must be > 0; got ${sigma}.`);
  let ss = 0;
  for (let i = 0; i < xs.length; i++) ss += (xs[i] - mu) ** 2;
  return -Math.log(sigma) - LOG_SQRT_2PI - ss / (2 * sigma * sigma * xs.length);
}

/** Closed-form maximum-likelihood fit: μ̂ = mean, σ̂² = (1/N) Σ (x − μ̂)² (the biased variance). */
export function gaussianMle(xs: ArrayLike<number>): { mu: number; sigma: number } {
  checkSample(xs, "gaussianMle");
  let m = 0;
  for (let i = 0; i < xs.length; i++) m += xs[i];
  m /= xs.length;
  let v = 0;
  for (let i = 0; i < xs.length; i++) v += (xs[i] - m) ** 2;
  return { mu: m, sigma: Math.sqrt(v / xs.length) };
}

/**
 * Gradient of the average log-likelihood in (μ, log σ):
 *   ∂/∂μ = (1/σ²)(1/N) Σ (x − μ),   ∂/∂log σ = −1 + (1/σ²)(1/N) Σ (x − μ)².
 * Both vanish exactly at the closed-form optimum.
 */
export function gaussianAvgLogLikelihoodGrad(xs: ArrayLike<number>, mu: number, sigma: number): { dMu: number; dLogSigma: number } {
  let s1 = 0;
  let s2 = 0;
  for (let i = 0; i < xs.length; i++) {
    const d = xs[i] - mu;
    s1 += d;
    s2 += d * d;
  }
  const n = xs.length;
  const v = sigma * sigma;
  return { dMu: s1 / (n * v), dLogSigma: -1 + s2 / (n * v) };
}

export interface GradientAscentOptions {
  /** Number of steps (default 2000). */
  steps?: number;
  /** Step size (default 0.05). */
  lr?: number;
  /** Starting point (default μ = 0, σ = 1). */
  init?: { mu: number; sigma: number };
  /** Show a progress bar (default true). */
  showProgress?: boolean;
  /** Extra abort signal; the kernel interrupt always applies. */
  signal?: AbortSignal;
}

export interface GradientAscentResult {
  mu: number;
  sigma: number;
  /** Average log-likelihood after each step. */
  trace: Float64Array;
  /** (μ, σ) after each step: the path the ascent took. */
  path: { mu: Float64Array; sigma: Float64Array };
}

/**
 * Fit N(μ, σ) by plain gradient ascent on the average log-likelihood in (μ, log σ)
 * (log σ keeps σ > 0). Async and interruptible: a kernel interrupt stops it at the next step.
 */
export async function fitGaussianByGradientAscent(xs: ArrayLike<number>, opts: GradientAscentOptions = {}): Promise<GradientAscentResult> {
  checkSample(xs, "fitGaussianByGradientAscent");
  const steps = opts.steps ?? 2000;
  const lr = opts.lr ?? 0.05;
  let mu = opts.init?.mu ?? 0;
  let logSigma = Math.log(opts.init?.sigma ?? 1);
  const trace = new Float64Array(steps);
  const path = { mu: new Float64Array(steps), sigma: new Float64Array(steps) };
  const signal = loopSignal(opts.signal);
  const maybeYield = yielder();
  const bar = opts.showProgress === false ? null : progress({ total: steps, label: "gradient ascent", unit: "steps" });
  for (let t = 0; t < steps; t++) {
    throwIfAborted(signal, `at step ${t} of ${steps} (μ = ${mu.toFixed(4)}, σ = ${Math.exp(logSigma).toFixed(4)})`);
    const g = gaussianAvgLogLikelihoodGrad(xs, mu, Math.exp(logSigma));
    mu += lr * g.dMu;
    logSigma += lr * g.dLogSigma;
    trace[t] = gaussianAvgLogLikelihood(xs, mu, Math.exp(logSigma));
    path.mu[t] = mu;
    path.sigma[t] = Math.exp(logSigma);
    if (!Number.isFinite(trace[t])) {
      throw new Error(`fitGaussianByGradientAscent diverged at step ${t} (log-likelihood ${trace[t]}); use a smaller lr than ${lr}.`);
    }
    bar?.tick(1, { "log-lik": trace[t] });
    await maybeYield();
  }
  bar?.done({ "log-lik": trace[steps - 1] });
  return { mu, sigma: Math.exp(logSigma), trace, path };
}

/** Inverse transform sampling of Exponential(rate): z ∼ Uniform(0,1), x = −ln(z)/rate. */
export function exponentialByInverseTransform(uniforms: ArrayLike<number>, rate = 1): Float64Array {
  if (!(rate > 0)) throw new RangeError(`exponentialByInverseTransform: rate must be > 0; got ${rate}.`);
  const out = new Float64Array(uniforms.length);
  for (let i = 0; i < uniforms.length; i++) {
    const u = uniforms[i];
    if (!(u > 0 && u <= 1)) throw new RangeError(`exponentialByInverseTransform: uniform ${i} is ${u}; need (0, 1].`);
    out[i] = -Math.log(u) / rate;
  }
  return out;
}
