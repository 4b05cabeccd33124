/**
 * Random-walk Metropolis–Hastings (lecture 002, "Bayesian AE": "propose a new z*; if
 * P(z*|x)/P(z|x) > 1 accept, else throw a random coin"):
 *
 *   z* = z + s·η, η ~ N(0, I);   accept with probability min(1, π(z*)/π(z)),
 *
 * which leaves π invariant (the Gaussian proposal is symmetric). Runs C chains at once so
 * that the target can be evaluated for all chains in one batched call (e.g. one decoder
 * pass for C latent vectors).
 */
import { Rng } from "../runtime/rng";
import { loopSignal, throwIfAborted, yielder } from "../runtime/abort";

export interface MetropolisOptions {
  /** log π up to a constant, for C states at once: states (C×d, row-major) → C values. */
  logTarget: (states: Float64Array, chains: number) => Float64Array | number[];
  /** Initial states, C×d row-major; the number of chains is init.length / dim. */
  init: Float64Array | number[];
  dim: number;
  /** Steps per chain after burn-in that are kept (every `thin`-th). */
  steps: number;
  burnIn?: number;
  thin?: number;
  /** Proposal standard deviation s (default 0.5). */
  proposalScale?: number;
  rng: Rng;
  signal?: AbortSignal;
  /**
   * Tune the proposal scale during burn-in towards this acceptance rate (e.g. 0.3) by
   * log s ← log s + (a_t − target)/√(t + 1); frozen afterwards, so the kept samples come
   * from a fixed, π-invariant kernel. Default: no adaptation.
   */
  targetAcceptance?: number;
}

export interface MetropolisResult {
  /** Kept samples, (chains · kept)×d row-major, chain after chain. */
  samples: Float64Array;
  chains: number;
  kept: number;
  dim: number;
  /** Fraction of accepted proposals after burn-in. */
  acceptanceRate: number;
  /** The proposal scale used after burn-in (after adaptation, if any). */
  proposalScale: number;
}

export async function metropolisHastings(o: MetropolisOptions): Promise<MetropolisResult> {
  const d = o.dim;
  const C = o.init.length / d;
  if (!Number.isInteger(d) || d < 1) throw new Error(`metropolisHastings: dim must be a positive integer, got ${d}.`);
  if (!Number.isInteger(C) || C < 1) throw new Error(`metropolisHastings: init has ${o.init.length} numbers, not a positive multiple of dim = ${d}.`);
  let s = o.proposalScale ?? 0.5;
  if (!(s > 0)) throw new Error(`metropolisHastings: proposalScale must be > 0, got ${s}.`);
  const burn = o.burnIn ?? 0;
  const thin = o.thin ?? 1;
  const kept = Math.floor(o.steps / thin);
  const signal = loopSignal(o.signal);
  const maybeYield = yielder();
  const cur = Float64Array.from(o.init);
  let lp = Float64Array.from(o.logTarget(cur, C));
  for (let c = 0; c < C; c++) {
    if (!Number.isFinite(lp[c])) throw new Error(`metropolisHastings: log target is ${lp[c]} at the initial state of chain ${c}; start where the density is positive.`);
  }
  const prop = new Float64Array(C * d);
  const out = new Float64Array(C * kept * d);
  let accepted = 0;
  const total = burn + kept * thin;
  for (let t = 0; t < total; t++) {
    throwIfAborted(signal, `at Metropolis–Hastings step ${t + 1} of ${total}`);
    for (let i = 0; i < C * d; i++) prop[i] = cur[i] + s * o.rng.normal();
    const lq = o.logTarget(prop, C);
    let acc = 0;
    for (let c = 0; c < C; c++) {
      const a = lq[c] - lp[c];
      if (a >= 0 || Math.log(o.rng.uniformOpen()) < a) {
        for (let j = 0; j < d; j++) cur[c * d + j] = prop[c * d + j];
        lp[c] = lq[c];
        acc++;
      }
    }
    if (t >= burn) accepted += acc;
    else if (o.targetAcceptance !== undefined) s *= Math.exp((acc / C - o.targetAcceptance) / Math.sqrt(t + 1));
    const k = t - burn;
    if (k >= 0 && (k + 1) % thin === 0) {
      const idx = (k + 1) / thin - 1;
      for (let c = 0; c < C; c++) for (let j = 0; j < d; j++) out[(c * kept + idx) * d + j] = cur[c * d + j];
    }
    await maybeYield();
  }
  return { samples: out, chains: C, kept, dim: d, acceptanceRate: kept * thin > 0 ? accepted / (kept * thin * C) : NaN, proposalScale: s };
}
