/**
 * The distribution interface, after TensorFlow Probability / distrax: `sample(rng, n)`,
 * `logProb(x)`, `mean()`, `variance()`, `entropy()`.
 *
 * Two event shapes:
 * - `ScalarDistribution`: one number per draw; `sample(rng, n)` returns a Float64Array of n.
 *   (Bernoulli and Categorical draws are numbers too: 0/1 and category indices 0..K−1.)
 * - `VectorDistribution`: a vector of `dim` numbers per draw; `sample(rng, n)` returns an
 *   array of n Float64Arrays of length `dim`.
 */
import type { Rng } from "../runtime/rng";
import { requireCount } from "./validate";

export abstract class ScalarDistribution {
  readonly event = "scalar" as const;
  readonly dim = 1;
  /** The distribution family's name, e.g. "Normal" (used in error messages and the KL registry). */
  abstract readonly name: string;
  /** One draw. */
  abstract sampleOne(rng: Rng): number;
  /** log p(x); −∞ outside the support; throws on NaN. */
  abstract logProb(x: number): number;
  abstract mean(): number;
  abstract variance(): number;
  /** Differential (or Shannon, for discrete) entropy H[p] = −E_p[log p(x)], in nats. */
  abstract entropy(): number;

  /** n independent draws. */
  sample(rng: Rng, n: number): Float64Array {
    requireCount(this.name, n);
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) out[i] = this.sampleOne(rng);
    return out;
  }

  /** log p(x_i) for each x_i. */
  logProbs(xs: ArrayLike<number>): Float64Array {
    const out = new Float64Array(xs.length);
    for (let i = 0; i < xs.length; i++) out[i] = this.logProb(xs[i]);
    return out;
  }

  /** p(x) = exp(log p(x)). */
  prob(x: number): number {
    return Math.exp(this.logProb(x));
  }

  stddev(): number {
    return Math.sqrt(this.variance());
  }

  toString(): string {
    return this.name;
  }
}

export abstract class VectorDistribution {
  readonly event = "vector" as const;
  abstract readonly name: string;
  /** Event dimension d. */
  abstract readonly dim: number;
  abstract sampleOne(rng: Rng): Float64Array;
  /** log p(x) for one vector x of length d. */
  abstract logProb(x: ArrayLike<number>): number;
  abstract mean(): Float64Array;
  /** Per-dimension variances Var[x_i]. */
  abstract variance(): Float64Array;
  /** Full covariance, a d×d row-major Float64Array. */
  abstract covariance(): Float64Array;
  abstract entropy(): number;

  /** n independent draws, each a Float64Array of length d. */
  sample(rng: Rng, n: number): Float64Array[] {
    requireCount(this.name, n);
    const out: Float64Array[] = [];
    for (let i = 0; i < n; i++) out.push(this.sampleOne(rng));
    return out;
  }

  logProbs(xs: readonly ArrayLike<number>[]): Float64Array {
    return Float64Array.from(xs, (x) => this.logProb(x));
  }

  prob(x: ArrayLike<number>): number {
    return Math.exp(this.logProb(x));
  }

  /** Throw a shape error unless x has length d. */
  protected checkEvent(x: ArrayLike<number>): void {
    if (!x || x.length !== this.dim) {
      throw new RangeError(`${this.name}.logProb: expected a vector of length ${this.dim}; got length ${x?.length}.`);
    }
    for (let i = 0; i < x.length; i++) {
      if (Number.isNaN(x[i])) throw new RangeError(`${this.name}.logProb: x[${i}] is NaN.`);
    }
  }

  toString(): string {
    return this.name;
  }
}

export type Distribution = ScalarDistribution | VectorDistribution;

/** The error thrown by `entropy()` (or another quantity) that has no closed form. */
export function noClosedForm(dist: string, what: string, hint: string): never {
  throw new Error(`${dist}.${what}: no closed form. ${hint}`);
}
