/**
 * Kullback–Leibler divergence KL(p ‖ q) = E_p[log p(x) − log q(x)].
 *
 * `klDivergence(p, q)` looks up a closed form in a registry keyed by the pair of
 * distribution types (as in TensorFlow Probability's `kl_divergence`), and throws an error
 * naming the pair when none is registered; `registerKL(TypeP, TypeQ, fn)` adds one.
 * `klMonteCarlo(p, q, rng, n)` is the estimator for every other pair, with its standard error.
 */
import type { Rng } from "../runtime/rng";
import * as linalg from "../math/linalg";
import { digamma, lgamma, logBeta, logMultiBeta } from "../math/special";
import { Bernoulli, Beta, Categorical, Exponential, Gamma, Normal, Uniform } from "./scalar";
import { Dirichlet, MultivariateNormal, MultivariateNormalDiag } from "./multivariate";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Ctor<T> = abstract new (...args: any[]) => T;
type KLFn<P, Q> = (p: P, q: Q) => number;

const registry = new Map<Function, Map<Function, KLFn<unknown, unknown>>>();

/** Register the closed form KL(p ‖ q) for p of type `TypeP` and q of type `TypeQ`. */
export function registerKL<P, Q>(TypeP: Ctor<P>, TypeQ: Ctor<Q>, fn: KLFn<P, Q>): void {
  let inner = registry.get(TypeP);
  if (!inner) registry.set(TypeP, (inner = new Map()));
  inner.set(TypeQ, fn as KLFn<unknown, unknown>);
}

/** The registered closed form for this pair of objects (walking up their prototype chains), or undefined. */
export function findKL(p: object, q: object): KLFn<unknown, unknown> | undefined {
  for (let a = Object.getPrototypeOf(p); a && a !== Object.prototype; a = Object.getPrototypeOf(a)) {
    const inner = registry.get(a.constructor);
    if (!inner) continue;
    for (let b = Object.getPrototypeOf(q); b && b !== Object.prototype; b = Object.getPrototypeOf(b)) {
      const fn = inner.get(b.constructor);
      if (fn) return fn;
    }
  }
  return undefined;
}

function typeName(x: unknown): string {
  const o = x as { name?: unknown; constructor?: { name?: string } };
  return typeof o?.name === "string" ? o.name : (o?.constructor?.name ?? typeof x);
}

/** KL(p ‖ q) in nats, by the registered closed form for (type of p, type of q). */
export function klDivergence(p: object, q: object): number {
  const fn = findKL(p, q);
  if (!fn) {
    throw new Error(
      `klDivergence: no closed form registered for KL(${typeName(p)} ‖ ${typeName(q)}). ` +
        `Estimate it with klMonteCarlo(p, q, rng, n), or add one with registerKL(${typeName(p)}, ${typeName(q)}, fn).`,
    );
  }
  return fn(p, q);
}

/** Anything that can be sampled and scored (every distribution, and Mixture). */
export interface SampleAndScore<X> {
  readonly name: string;
  sample(rng: Rng, n: number): ArrayLike<X> | X[];
  logProb(x: X): number;
}

/**
 * Monte Carlo KL(p ‖ q) ≈ (1/n) Σ_i [log p(x_i) − log q(x_i)], x_i ~ p, with the standard
 * error of that mean (sample standard deviation / √n).
 */
export function klMonteCarlo<X>(
  p: SampleAndScore<X>,
  q: { logProb(x: X): number },
  rng: Rng,
  n: number,
): { estimate: number; se: number; n: number } {
  if (!Number.isInteger(n) || n < 2) throw new RangeError(`klMonteCarlo: n must be an integer ≥ 2; got ${n}.`);
  const xs = p.sample(rng, n) as ArrayLike<X>;
  let m = 0;
  let m2 = 0;
  for (let i = 0; i < n; i++) {
    const d = p.logProb(xs[i]) - q.logProb(xs[i]);
    if (Number.isNaN(d)) throw new RangeError(`klMonteCarlo: log p − log q is NaN at sample ${i}.`);
    // Welford's running mean and sum of squares.
    const delta = d - m;
    m += delta / (i + 1);
    m2 += delta * (d - m);
  }
  return { estimate: m, se: Math.sqrt(m2 / (n - 1) / n), n };
}

// ---------------------------------------------------------------------------------------
// Closed forms.

/** KL(N(μ₁,σ₁²) ‖ N(μ₂,σ₂²)) = log(σ₂/σ₁) + (σ₁² + (μ₁ − μ₂)²)/(2σ₂²) − ½. */
export function klNormalNormal(p: { mu: number; sigma: number }, q: { mu: number; sigma: number }): number {
  const r = p.sigma / q.sigma;
  const d = (p.mu - q.mu) / q.sigma;
  return -Math.log(r) + 0.5 * (r * r + d * d) - 0.5;
}

/** KL(N(μ₁,Σ₁) ‖ N(μ₂,Σ₂)) = ½ [tr(Σ₂⁻¹Σ₁) + (μ₂ − μ₁)ᵀΣ₂⁻¹(μ₂ − μ₁) − d + log det Σ₂ − log det Σ₁]. */
export function klMvnMvn(p: MultivariateNormal, q: MultivariateNormal): number {
  const d = p.dim;
  if (q.dim !== d) throw new RangeError(`klDivergence: dimensions differ (${d} vs ${q.dim}).`);
  // tr(Σ₂⁻¹Σ₁) = ‖L₂⁻¹ L₁‖_F².
  let tr = 0;
  const col = new Float64Array(d);
  for (let j = 0; j < d; j++) {
    for (let i = 0; i < d; i++) col[i] = p.L[i * d + j];
    const s = linalg.solveLower(q.L, col);
    for (let i = 0; i < d; i++) tr += s[i] * s[i];
  }
  const diff = new Float64Array(d);
  for (let i = 0; i < d; i++) diff[i] = q.mu[i] - p.mu[i];
  const maha = linalg.mahalanobis2(q.L, diff);
  return 0.5 * (tr + maha - d + q.logDetCov() - p.logDetCov());
}

registerKL(Normal, Normal, klNormalNormal);

/** Σ_i KL(N(μ₁ᵢ,σ₁ᵢ²) ‖ N(μ₂ᵢ,σ₂ᵢ²)). */
registerKL(MultivariateNormalDiag, MultivariateNormalDiag, (p, q) => {
  if (p.dim !== q.dim) throw new RangeError(`klDivergence: dimensions differ (${p.dim} vs ${q.dim}).`);
  let s = 0;
  for (let i = 0; i < p.dim; i++) s += klNormalNormal({ mu: p.mu[i], sigma: p.sigma[i] }, { mu: q.mu[i], sigma: q.sigma[i] });
  return s;
});
registerKL(MultivariateNormal, MultivariateNormal, klMvnMvn);
registerKL(MultivariateNormalDiag, MultivariateNormal, (p, q) => klMvnMvn(p.toFull(), q));
registerKL(MultivariateNormal, MultivariateNormalDiag, (p, q) => klMvnMvn(p, q.toFull()));

/** Σ_k π_k log(π_k / ρ_k); +∞ when some ρ_k = 0 < π_k. */
registerKL(Categorical, Categorical, (p, q) => {
  if (p.K !== q.K) throw new RangeError(`klDivergence: Categoricals with ${p.K} and ${q.K} categories.`);
  let s = 0;
  for (let k = 0; k < p.K; k++) {
    if (p.probs[k] === 0) continue;
    if (q.probs[k] === 0) return Infinity;
    s += p.probs[k] * Math.log(p.probs[k] / q.probs[k]);
  }
  return s;
});

/** p log(p/q) + (1 − p) log((1 − p)/(1 − q)). */
registerKL(Bernoulli, Bernoulli, (p, q) => {
  const term = (a: number, b: number) => (a === 0 ? 0 : b === 0 ? Infinity : a * Math.log(a / b));
  return term(p.p, q.p) + term(1 - p.p, 1 - q.p);
});

/** log B(a₂,b₂) − log B(a₁,b₁) + (a₁−a₂)ψ(a₁) + (b₁−b₂)ψ(b₁) + (a₂−a₁+b₂−b₁)ψ(a₁+b₁). */
registerKL(Beta, Beta, (p, q) => {
  const { a: a1, b: b1 } = p;
  const { a: a2, b: b2 } = q;
  return (
    logBeta(a2, b2) -
    logBeta(a1, b1) +
    (a1 - a2) * digamma(a1) +
    (b1 - b2) * digamma(b1) +
    (a2 - a1 + b2 - b1) * digamma(a1 + b1)
  );
});

/** log B(β) − log B(α) + Σ_k (α_k − β_k)(ψ(α_k) − ψ(α_0)). */
registerKL(Dirichlet, Dirichlet, (p, q) => {
  if (p.dim !== q.dim) throw new RangeError(`klDivergence: Dirichlets of dimension ${p.dim} and ${q.dim}.`);
  const a0 = p.alpha0;
  let s = logMultiBeta(q.alpha) - logMultiBeta(p.alpha);
  for (let k = 0; k < p.dim; k++) s += (p.alpha[k] - q.alpha[k]) * (digamma(p.alpha[k]) - digamma(a0));
  return s;
});

/** (α₁−α₂)ψ(α₁) − log Γ(α₁) + log Γ(α₂) + α₂(log β₁ − log β₂) + α₁(β₂ − β₁)/β₁ (shape α, rate β). */
registerKL(Gamma, Gamma, (p, q) => {
  const { shape: a1, rate: b1 } = p;
  const { shape: a2, rate: b2 } = q;
  return (a1 - a2) * digamma(a1) - lgamma(a1) + lgamma(a2) + a2 * (Math.log(b1) - Math.log(b2)) + (a1 * (b2 - b1)) / b1;
});

/** log(λ₁/λ₂) + λ₂/λ₁ − 1. */
registerKL(Exponential, Exponential, (p, q) => Math.log(p.rate / q.rate) + q.rate / p.rate - 1);

/** log((b₂ − a₂)/(b₁ − a₁)) when [a₁,b₁] ⊆ [a₂,b₂], else +∞. */
registerKL(Uniform, Uniform, (p, q) =>
  p.a >= q.a && p.b <= q.b ? Math.log((q.b - q.a) / (p.b - p.a)) : Infinity,
);
