/**
 * Vector distributions: diagonal and full-covariance multivariate Normal, Dirichlet.
 * Covariances are d×d row-major Float64Arrays (see src/math/linalg.ts).
 */
import type { Rng } from "../runtime/rng";
import * as linalg from "../math/linalg";
import { LOG_SQRT_2PI, digamma, logMultiBeta } from "../math/special";
import { VectorDistribution } from "./distribution";
import { sampleDirichletOne } from "./samplers";
import { requireLength, requireVector } from "./validate";

/** N(μ, diag(σ²)): independent coordinates x_i ~ N(μ_i, σ_i) (σ = standard deviations). */
export class MultivariateNormalDiag extends VectorDistribution {
  readonly name = "MultivariateNormalDiag";
  readonly mu: Float64Array;
  readonly sigma: Float64Array;
  readonly dim: number;
  constructor(mu: ArrayLike<number>, sigma: ArrayLike<number>) {
    super();
    this.mu = requireVector("MultivariateNormalDiag", "mu", mu);
    this.sigma = requireVector("MultivariateNormalDiag", "sigma", sigma);
    requireLength("MultivariateNormalDiag", "sigma", this.sigma, this.mu.length);
    this.sigma.forEach((s, i) => {
      if (!(s > 0)) {
        throw new RangeError(`MultivariateNormalDiag: sigma[${i}] = ${s} must be > 0 (sigma holds standard deviations).`);
      }
    });
    this.dim = this.mu.length;
  }
  sampleOne(rng: Rng): Float64Array {
    const x = new Float64Array(this.dim);
    for (let i = 0; i < this.dim; i++) x[i] = this.mu[i] + this.sigma[i] * rng.normal();
    return x;
  }
  /** log p(x) = Σ_i [ −(x_i − μ_i)²/(2σ_i²) − log σ_i − ½ log 2π ]. */
  logProb(x: ArrayLike<number>): number {
    this.checkEvent(x);
    let s = 0;
    for (let i = 0; i < this.dim; i++) {
      const z = (x[i] - this.mu[i]) / this.sigma[i];
      s += -0.5 * z * z - Math.log(this.sigma[i]) - LOG_SQRT_2PI;
    }
    return s;
  }
  mean(): Float64Array {
    return this.mu.slice();
  }
  variance(): Float64Array {
    return this.sigma.map((s) => s * s);
  }
  covariance(): Float64Array {
    const c = new Float64Array(this.dim * this.dim);
    for (let i = 0; i < this.dim; i++) c[i * this.dim + i] = this.sigma[i] ** 2;
    return c;
  }
  /** H = Σ_i ½ log(2πe σ_i²). */
  entropy(): number {
    let h = 0;
    for (const s of this.sigma) h += 0.5 + LOG_SQRT_2PI + Math.log(s);
    return h;
  }
  /** The same distribution as a full-covariance MultivariateNormal. */
  toFull(): MultivariateNormal {
    return new MultivariateNormal(this.mu, linalg.toRows(this.covariance()));
  }
}

/** N(μ, Σ) with a full covariance Σ (symmetric positive definite), sampled as μ + L z, Σ = L Lᵀ. */
export class MultivariateNormal extends VectorDistribution {
  readonly name = "MultivariateNormal";
  readonly mu: Float64Array;
  /** Σ, d×d row-major. */
  readonly cov: Float64Array;
  /** Cholesky factor L of Σ. */
  readonly L: Float64Array;
  readonly dim: number;
  private readonly logDet: number;
  /** `cov` as nested rows (number[][]) or a flat d×d row-major array. */
  constructor(mu: ArrayLike<number>, cov: readonly (readonly number[])[] | ArrayLike<number>) {
    super();
    this.mu = requireVector("MultivariateNormal", "mu", mu);
    const d = this.mu.length;
    const flat = isNested(cov) ? linalg.fromRows(cov) : Float64Array.from(cov as ArrayLike<number>);
    if (flat.length !== d * d) {
      throw new RangeError(
        `MultivariateNormal: cov must be ${d}x${d} to match mu (length ${d}); got ${flat.length} numbers (shape mismatch).`,
      );
    }
    flat.forEach((v, i) => {
      if (!Number.isFinite(v)) throw new RangeError(`MultivariateNormal: cov entry ${i} is ${v}; must be finite.`);
    });
    const asym = linalg.asymmetry(flat);
    let scale = 0;
    for (let i = 0; i < d; i++) scale = Math.max(scale, Math.abs(flat[i * d + i]));
    if (asym > 1e-10 * Math.max(1, scale)) {
      throw new RangeError(`MultivariateNormal: cov is not symmetric (max |Σ_ij − Σ_ji| = ${asym}). Use (Σ + Σᵀ)/2.`);
    }
    for (let i = 0; i < d; i++) {
      if (!(flat[i * d + i] > 0)) {
        throw new RangeError(`MultivariateNormal: cov[${i}][${i}] = ${flat[i * d + i]}; variances must be > 0.`);
      }
    }
    this.cov = flat;
    this.L = linalg.cholesky(flat, "MultivariateNormal cov");
    this.logDet = linalg.logDetFromCholesky(this.L);
    this.dim = d;
  }
  sampleOne(rng: Rng): Float64Array {
    const z = rng.normals(new Float64Array(this.dim));
    const x = linalg.lowerMulVec(this.L, z);
    for (let i = 0; i < this.dim; i++) x[i] += this.mu[i];
    return x;
  }
  /** log p(x) = −½ (x − μ)ᵀ Σ⁻¹ (x − μ) − ½ log det Σ − (d/2) log 2π. */
  logProb(x: ArrayLike<number>): number {
    this.checkEvent(x);
    const diff = new Float64Array(this.dim);
    for (let i = 0; i < this.dim; i++) diff[i] = x[i] - this.mu[i];
    return -0.5 * linalg.mahalanobis2(this.L, diff) - 0.5 * this.logDet - this.dim * LOG_SQRT_2PI;
  }
  /** log det Σ. */
  logDetCov(): number {
    return this.logDet;
  }
  mean(): Float64Array {
    return this.mu.slice();
  }
  variance(): Float64Array {
    return Float64Array.from({ length: this.dim }, (_, i) => this.cov[i * this.dim + i]);
  }
  covariance(): Float64Array {
    return this.cov.slice();
  }
  /** H = ½ log det(2πe Σ) = ½ log det Σ + (d/2)(1 + log 2π). */
  entropy(): number {
    return 0.5 * this.logDet + this.dim * (0.5 + LOG_SQRT_2PI);
  }
}

function isNested(c: unknown): c is readonly (readonly number[])[] {
  return Array.isArray(c) && c.length > 0 && Array.isArray(c[0]);
}

/** Dirichlet(α) on the simplex: p(x) = Π_k x_k^{α_k − 1} / B(α). */
export class Dirichlet extends VectorDistribution {
  readonly name = "Dirichlet";
  readonly alpha: Float64Array;
  readonly dim: number;
  constructor(alpha: ArrayLike<number>) {
    super();
    this.alpha = requireVector("Dirichlet", "alpha", alpha);
    if (this.alpha.length < 2) throw new RangeError(`Dirichlet: alpha needs at least 2 entries; got ${this.alpha.length}.`);
    this.alpha.forEach((a, i) => {
      if (!(a > 0)) throw new RangeError(`Dirichlet: alpha[${i}] = ${a} must be > 0.`);
    });
    this.dim = this.alpha.length;
  }
  get alpha0(): number {
    let s = 0;
    for (const a of this.alpha) s += a;
    return s;
  }
  /** Normalized Gamma(α_k, 1) draws. */
  sampleOne(rng: Rng): Float64Array {
    return sampleDirichletOne(rng, this.alpha);
  }
  /** log p(x) = Σ_k (α_k − 1) log x_k − log B(α); −∞ off the simplex (tolerance 1e-9·K). */
  logProb(x: ArrayLike<number>): number {
    this.checkEvent(x);
    let s = 0;
    let lp = -logMultiBeta(this.alpha);
    for (let k = 0; k < this.dim; k++) {
      if (x[k] < 0) return -Infinity;
      s += x[k];
      if (this.alpha[k] !== 1) lp += (this.alpha[k] - 1) * Math.log(x[k]);
    }
    return Math.abs(s - 1) <= 1e-9 * this.dim ? lp : -Infinity;
  }
  mean(): Float64Array {
    const a0 = this.alpha0;
    return this.alpha.map((a) => a / a0);
  }
  /** Var[x_k] = α_k(α_0 − α_k) / (α_0²(α_0 + 1)). */
  variance(): Float64Array {
    const a0 = this.alpha0;
    return this.alpha.map((a) => (a * (a0 - a)) / (a0 * a0 * (a0 + 1)));
  }
  /** Cov[x_j, x_k] = −α_j α_k / (α_0²(α_0 + 1)) for j ≠ k. */
  covariance(): Float64Array {
    const a0 = this.alpha0;
    const d = this.dim;
    const c = new Float64Array(d * d);
    const den = a0 * a0 * (a0 + 1);
    for (let j = 0; j < d; j++) {
      for (let k = 0; k < d; k++) {
        c[j * d + k] = j === k ? (this.alpha[j] * (a0 - this.alpha[j])) / den : (-this.alpha[j] * this.alpha[k]) / den;
      }
    }
    return c;
  }
  /** H = log B(α) + (α_0 − K) ψ(α_0) − Σ_k (α_k − 1) ψ(α_k). */
  entropy(): number {
    const a0 = this.alpha0;
    let h = logMultiBeta(this.alpha) + (a0 - this.dim) * digamma(a0);
    for (const a of this.alpha) h -= (a - 1) * digamma(a);
    return h;
  }
}
