/**
 * Hidden Markov model: hidden chain z_t (a MarkovChain) and emissions x_t ~ B[z_t]:
 *
 *   p(x_1..x_T) = Σ_{z_1..z_T} p(z_1) Π_{t≥2} A[z_{t−1}][z_t] Π_t B[z_t][x_t].
 *
 * The forward algorithm computes it in O(T K²): α_1(k) = p(z_1 = k) B[k][x_1],
 * α_t(k) = B[k][x_t] Σ_j α_{t−1}(j) A[j][k], p(x) = Σ_k α_T(k); kept in log space by
 * rescaling each α_t to sum to 1.
 */
import type { Rng } from "../runtime/rng";
import { cumulativeProbs, sampleFromCdf } from "../prob/samplers";
import { requireProbVector } from "../prob/validate";
import { MarkovChain } from "./markov";

export class HiddenMarkovModel {
  readonly chain: MarkovChain;
  readonly emission: Float64Array[];
  readonly M: number;
  private readonly emitCdf: Float64Array[];

  constructor(initial: ArrayLike<number>, transition: readonly ArrayLike<number>[], emission: readonly ArrayLike<number>[]) {
    this.chain = new MarkovChain(initial, transition);
    if (emission.length !== this.chain.K) {
      throw new RangeError(`HiddenMarkovModel: ${this.chain.K} hidden states but ${emission.length} emission rows (shape mismatch).`);
    }
    this.M = emission[0].length;
    this.emission = emission.map((r, i) => {
      if (r.length !== this.M) throw new RangeError(`HiddenMarkovModel: emission row ${i} has ${r.length} symbols; expected ${this.M}.`);
      return requireProbVector("HiddenMarkovModel", `emission[${i}]`, r);
    });
    this.emitCdf = this.emission.map((r) => cumulativeProbs(r));
  }

  /** Sample hidden states and observations of length T. */
  sample(rng: Rng, T: number): { z: Int32Array; x: Int32Array } {
    const z = this.chain.sampleSequence(rng, T);
    const x = Int32Array.from(z, (k) => sampleFromCdf(rng, this.emitCdf[k]));
    return { z, x };
  }

  /** Forward algorithm: log p(x_1..x_T) and the filtered p(z_t | x_1..x_t) for every t. */
  forward(x: ArrayLike<number>): { logLikelihood: number; filtered: Float64Array[] } {
    const K = this.chain.K;
    const filtered: Float64Array[] = [];
    let ll = 0;
    let alpha = new Float64Array(K);
    for (let t = 0; t < x.length; t++) {
      const o = x[t];
      if (!Number.isInteger(o) || o < 0 || o >= this.M) throw new RangeError(`HiddenMarkovModel.forward: x[${t}] = ${o} is not a symbol 0..${this.M - 1}.`);
      const next = new Float64Array(K);
      for (let k = 0; k < K; k++) {
        let s = 0;
        if (t === 0) s = this.chain.initial[k];
        else for (let j = 0; j < K; j++) s += alpha[j] * this.chain.transition[j][k];
        next[k] = s * this.emission[k][o];
      }
      let c = 0;
      for (const v of next) c += v;
      if (!(c > 0)) return { logLikelihood: -Infinity, filtered };
      ll += Math.log(c);
      alpha = next.map((v) => v / c);
      filtered.push(alpha);
    }
    return { logLikelihood: ll, filtered };
  }

  /** log p(x) by brute force: the sum over all K^T hidden paths (for checking; T·log K small). */
  logLikelihoodBruteForce(x: ArrayLike<number>): number {
    const K = this.chain.K;
    const T = x.length;
    if (K ** T > 5e6) throw new RangeError(`logLikelihoodBruteForce: ${K}^${T} paths is too many; use forward().`);
    const z = new Int32Array(T);
    let total = 0;
    for (let idx = 0; idx < K ** T; idx++) {
      let p = Math.exp(this.chain.logLikelihood(z));
      for (let t = 0; t < T; t++) p *= this.emission[z[t]][x[t]];
      total += p;
      for (let t = T - 1; t >= 0; t--) {
        if (++z[t] < K) break;
        z[t] = 0;
      }
    }
    return Math.log(total);
  }
}
