/**
 * Scalar distributions: Bernoulli, Categorical, Uniform, Exponential, Normal, Beta, Gamma.
 * Densities in the usual parameterizations (Normal by its standard deviation σ, Gamma by
 * shape α and rate β).
 */
import type { Rng } from "../runtime/rng";
import { LOG_SQRT_2PI, digamma, lgamma, logBeta } from "../math/special";
import { ScalarDistribution } from "./distribution";
import { cumulativeProbs, sampleBetaOne, sampleFromCdf, sampleGammaUnit } from "./samplers";
import { requireFinite, requireNotNaN, requirePositive, requireProbVector, requireProbability } from "./validate";

/** Bernoulli(p): P(x = 1) = p, P(x = 0) = 1 − p. */
export class Bernoulli extends ScalarDistribution {
  readonly name = "Bernoulli";
  constructor(readonly p: number) {
    super();
    requireProbability("Bernoulli", "p", p);
  }
  sampleOne(rng: Rng): number {
    return rng.uniform() < this.p ? 1 : 0;
  }
  /** log p(x) = x log p + (1 − x) log(1 − p), x ∈ {0, 1}. */
  logProb(x: number): number {
    requireNotNaN("Bernoulli", x);
    if (x === 1) return Math.log(this.p);
    if (x === 0) return Math.log1p(-this.p);
    return -Infinity;
  }
  mean(): number {
    return this.p;
  }
  variance(): number {
    return this.p * (1 - this.p);
  }
  /** H = −p log p − (1 − p) log(1 − p). */
  entropy(): number {
    const p = this.p;
    return -(p > 0 ? p * Math.log(p) : 0) - (p < 1 ? (1 - p) * Math.log1p(-p) : 0);
  }
}

/** Categorical(π): P(x = k) = π_k for k = 0..K−1. Draws are category indices. */
export class Categorical extends ScalarDistribution {
  readonly name = "Categorical";
  readonly probs: Float64Array;
  private readonly cdf: Float64Array;
  constructor(probs: ArrayLike<number>) {
    super();
    this.probs = requireProbVector("Categorical", "probs", probs);
    this.cdf = cumulativeProbs(this.probs);
  }
  /** Build from unnormalized non-negative weights (divides by their sum). */
  static fromWeights(w: ArrayLike<number>): Categorical {
    let s = 0;
    for (let i = 0; i < w.length; i++) s += w[i];
    if (!(s > 0)) throw new RangeError(`Categorical.fromWeights: weights must have a positive sum; got ${s}.`);
    return new Categorical(Array.from(w, (x) => x / s));
  }
  /** Build from logits: π = softmax(logits). */
  static fromLogits(logits: ArrayLike<number>): Categorical {
    let m = -Infinity;
    for (let i = 0; i < logits.length; i++) m = Math.max(m, logits[i]);
    const w = Array.from(logits, (l) => Math.exp(l - m));
    return Categorical.fromWeights(w);
  }
  get K(): number {
    return this.probs.length;
  }
  /** Inverse CDF: the first k with Σ_{j≤k} π_j > u, u ~ U[0, 1). */
  sampleOne(rng: Rng): number {
    return sampleFromCdf(rng, this.cdf);
  }
  logProb(x: number): number {
    requireNotNaN("Categorical", x);
    if (!Number.isInteger(x) || x < 0 || x >= this.probs.length) return -Infinity;
    return Math.log(this.probs[x]);
  }
  /** Mean of the index, Σ_k k π_k. */
  mean(): number {
    let m = 0;
    for (let k = 0; k < this.probs.length; k++) m += k * this.probs[k];
    return m;
  }
  variance(): number {
    const m = this.mean();
    let v = 0;
    for (let k = 0; k < this.probs.length; k++) v += this.probs[k] * (k - m) ** 2;
    return v;
  }
  /** H = −Σ_k π_k log π_k. */
  entropy(): number {
    let h = 0;
    for (const p of this.probs) if (p > 0) h -= p * Math.log(p);
    return h;
  }
}

/** Uniform(a, b): density 1/(b − a) on [a, b]. */
export class Uniform extends ScalarDistribution {
  readonly name = "Uniform";
  constructor(readonly a: number, readonly b: number) {
    super();
    requireFinite("Uniform", "a", a);
    requireFinite("Uniform", "b", b);
    if (!(b > a)) throw new RangeError(`Uniform: need a < b; got a = ${a}, b = ${b}.`);
  }
  sampleOne(rng: Rng): number {
    return this.a + (this.b - this.a) * rng.uniform();
  }
  logProb(x: number): number {
    requireNotNaN("Uniform", x);
    return x >= this.a && x <= this.b ? -Math.log(this.b - this.a) : -Infinity;
  }
  mean(): number {
    return (this.a + this.b) / 2;
  }
  variance(): number {
    return (this.b - this.a) ** 2 / 12;
  }
  /** H = log(b − a). */
  entropy(): number {
    return Math.log(this.b - this.a);
  }
}

/** Exponential(λ): p(x) = λ e^{−λx}, x ≥ 0. */
export class Exponential extends ScalarDistribution {
  readonly name = "Exponential";
  constructor(readonly rate: number) {
    super();
    requirePositive("Exponential", "rate", rate);
  }
  /** Inverse CDF: x = −log(U) / λ. */
  sampleOne(rng: Rng): number {
    return -Math.log(rng.uniformOpen()) / this.rate;
  }
  logProb(x: number): number {
    requireNotNaN("Exponential", x);
    return x >= 0 ? Math.log(this.rate) - this.rate * x : -Infinity;
  }
  mean(): number {
    return 1 / this.rate;
  }
  variance(): number {
    return 1 / (this.rate * this.rate);
  }
  /** H = 1 − log λ. */
  entropy(): number {
    return 1 - Math.log(this.rate);
  }
}

/** Normal(μ, σ) with σ the standard deviation: p(x) = exp(−(x − μ)²/(2σ²)) / (σ√(2π)). */
export class Normal extends ScalarDistribution {
  readonly name = "Normal";
  constructor(readonly mu: number, readonly sigma: number) {
    super();
    requireFinite("Normal", "mu", mu);
    requirePositive("Normal", "sigma", sigma, "sigma is the standard deviation; pass Math.sqrt(variance).");
  }
  sampleOne(rng: Rng): number {
    return this.mu + this.sigma * rng.normal();
  }
  logProb(x: number): number {
    requireNotNaN("Normal", x);
    const z = (x - this.mu) / this.sigma;
    return -0.5 * z * z - Math.log(this.sigma) - LOG_SQRT_2PI;
  }
  mean(): number {
    return this.mu;
  }
  variance(): number {
    return this.sigma * this.sigma;
  }
  /** H = ½ log(2πe σ²). */
  entropy(): number {
    return 0.5 + LOG_SQRT_2PI + Math.log(this.sigma);
  }
}

/** Beta(a, b): p(x) = x^{a−1}(1 − x)^{b−1} / B(a, b) on (0, 1). */
export class Beta extends ScalarDistribution {
  readonly name = "Beta";
  constructor(readonly a: number, readonly b: number) {
    super();
    requirePositive("Beta", "a", a);
    requirePositive("Beta", "b", b);
  }
  /** X/(X + Y) with X ~ Gamma(a, 1), Y ~ Gamma(b, 1). */
  sampleOne(rng: Rng): number {
    return sampleBetaOne(rng, this.a, this.b);
  }
  logProb(x: number): number {
    requireNotNaN("Beta", x);
    if (x < 0 || x > 1) return -Infinity;
    const la = this.a === 1 ? 0 : (this.a - 1) * Math.log(x);
    const lb = this.b === 1 ? 0 : (this.b - 1) * Math.log1p(-x);
    return la + lb - logBeta(this.a, this.b);
  }
  mean(): number {
    return this.a / (this.a + this.b);
  }
  variance(): number {
    const s = this.a + this.b;
    return (this.a * this.b) / (s * s * (s + 1));
  }
  /** H = log B(a,b) − (a−1)ψ(a) − (b−1)ψ(b) + (a+b−2)ψ(a+b). */
  entropy(): number {
    const { a, b } = this;
    return logBeta(a, b) - (a - 1) * digamma(a) - (b - 1) * digamma(b) + (a + b - 2) * digamma(a + b);
  }
}

/** Gamma(α, β) with shape α and rate β: p(x) = β^α x^{α−1} e^{−βx} / Γ(α), x > 0. */
export class Gamma extends ScalarDistribution {
  readonly name = "Gamma";
  constructor(readonly shape: number, readonly rate: number) {
    super();
    requirePositive("Gamma", "shape", shape);
    requirePositive("Gamma", "rate", rate, "Gamma takes a rate β (mean α/β); for a scale θ pass 1/θ.");
  }
  /** Marsaglia–Tsang draw of Gamma(α, 1), divided by β. */
  sampleOne(rng: Rng): number {
    return sampleGammaUnit(rng, this.shape) / this.rate;
  }
  logProb(x: number): number {
    requireNotNaN("Gamma", x);
    if (x < 0) return -Infinity;
    const { shape: a, rate: b } = this;
    return a * Math.log(b) + (a === 1 ? 0 : (a - 1) * Math.log(x)) - b * x - lgamma(a);
  }
  mean(): number {
    return this.shape / this.rate;
  }
  variance(): number {
    return this.shape / (this.rate * this.rate);
  }
  /** H = α − log β + log Γ(α) + (1 − α) ψ(α). */
  entropy(): number {
    const { shape: a, rate: b } = this;
    return a - Math.log(b) + lgamma(a) + (1 - a) * digamma(a);
  }
}
