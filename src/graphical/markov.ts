/**
 * First-order Markov chains over states 0..K−1 (lecture 000, "Markov Model"):
 *
 *   p(x_t | x_1, …, x_{t−1}) = p(x_t | x_{t−1}),   p(x_1, …, x_T) = p(x_1) Π_{t=2}^T p(x_t | x_{t−1}).
 *
 * The transition matrix P has rows P[i][j] = p(x_t = j | x_{t−1} = i); distributions are
 * row vectors, so one step maps π to πP, n steps to πPⁿ, and a stationary π satisfies πP = π.
 */
import type { Rng } from "../runtime/rng";
import { cumulativeProbs, sampleFromCdf } from "../prob/samplers";
import { requireProbVector } from "../prob/validate";

export class MarkovChain {
  readonly K: number;
  readonly initial: Float64Array;
  readonly transition: Float64Array[];
  private readonly cdfs: Float64Array[];
  private readonly initCdf: Float64Array;

  constructor(initial: ArrayLike<number>, transition: readonly ArrayLike<number>[]) {
    this.initial = requireProbVector("MarkovChain", "initial", initial);
    this.K = this.initial.length;
    if (transition.length !== this.K) {
      throw new RangeError(`MarkovChain: ${this.K} initial probabilities but ${transition.length} transition rows (shape mismatch).`);
    }
    this.transition = transition.map((row, i) => {
      if (row.length !== this.K) throw new RangeError(`MarkovChain: transition row ${i} has ${row.length} entries; expected ${this.K}.`);
      return requireProbVector("MarkovChain", `transition[${i}]`, row);
    });
    this.cdfs = this.transition.map((r) => cumulativeProbs(r));
    this.initCdf = cumulativeProbs(this.initial);
  }

  /** One sequence x_1..x_T by ancestral sampling. */
  sampleSequence(rng: Rng, T: number): Int32Array {
    if (!Number.isInteger(T) || T < 1) throw new RangeError(`MarkovChain.sampleSequence: T must be a positive integer; got ${T}.`);
    const x = new Int32Array(T);
    x[0] = sampleFromCdf(rng, this.initCdf);
    for (let t = 1; t < T; t++) x[t] = sampleFromCdf(rng, this.cdfs[x[t - 1]]);
    return x;
  }

  /** log p(x_1..x_T) = log p(x_1) + Σ_{t≥2} log P[x_{t−1}][x_t]. */
  logLikelihood(x: ArrayLike<number>): number {
    if (x.length === 0) return 0;
    const check = (v: number, t: number) => {
      if (!Number.isInteger(v) || v < 0 || v >= this.K) throw new RangeError(`MarkovChain.logLikelihood: x[${t}] = ${v} is not a state 0..${this.K - 1}.`);
    };
    check(x[0], 0);
    let s = Math.log(this.initial[x[0]]);
    for (let t = 1; t < x.length; t++) {
      check(x[t], t);
      s += Math.log(this.transition[x[t - 1]][x[t]]);
    }
    return s;
  }

  /** One step of the marginal: (πP)_j = Σ_i π_i P[i][j]. */
  step(pi: ArrayLike<number>): Float64Array {
    const out = new Float64Array(this.K);
    for (let i = 0; i < this.K; i++) for (let j = 0; j < this.K; j++) out[j] += pi[i] * this.transition[i][j];
    return out;
  }

  /** The marginals p(x_1), p(x_2), …, p(x_{n+1}) = p(x_1) Pⁿ, starting from `start` (default: the initial distribution). */
  marginals(n: number, start: ArrayLike<number> = this.initial): Float64Array[] {
    const out: Float64Array[] = [Float64Array.from(start)];
    for (let t = 0; t < n; t++) out.push(this.step(out[out.length - 1]));
    return out;
  }

  /** Stationary distribution: the solution of π(P − I) = 0, Σ π = 1 (Gaussian elimination; unique for an irreducible chain). */
  stationary(): Float64Array {
    const K = this.K;
    // Rows: (Pᵀ − I) with the last equation replaced by Σ π = 1.
    const A = Array.from({ length: K }, (_, i) => Array.from({ length: K + 1 }, (_, j) => (j < K ? this.transition[j][i] - (i === j ? 1 : 0) : 0)));
    A[K - 1] = Array.from({ length: K + 1 }, () => 1);
    for (let c = 0; c < K; c++) {
      let p = c;
      for (let r = c + 1; r < K; r++) if (Math.abs(A[r][c]) > Math.abs(A[p][c])) p = r;
      if (Math.abs(A[p][c]) < 1e-14) {
        throw new RangeError("MarkovChain.stationary: no unique stationary distribution (the chain is reducible).");
      }
      [A[c], A[p]] = [A[p], A[c]];
      for (let r = 0; r < K; r++) {
        if (r === c) continue;
        const f = A[r][c] / A[c][c];
        for (let k = c; k <= K; k++) A[r][k] -= f * A[c][k];
      }
    }
    return Float64Array.from({ length: K }, (_, i) => A[i][K] / A[i][i]);
  }

  /** Total variation ½ Σ_j |p(x_t = j) − π_j| at t = 1..n+1 (how fast the chain mixes). */
  mixing(n: number, start: ArrayLike<number> = this.initial): Float64Array {
    const pi = this.stationary();
    return Float64Array.from(this.marginals(n, start), (m) => totalVariation(m, pi));
  }
}

/** Total variation distance ½ Σ_j |p_j − q_j|. */
export function totalVariation(p: ArrayLike<number>, q: ArrayLike<number>): number {
  if (p.length !== q.length) throw new RangeError(`totalVariation: lengths ${p.length} and ${q.length} differ.`);
  let s = 0;
  for (let i = 0; i < p.length; i++) s += Math.abs(p[i] - q[i]);
  return s / 2;
}
