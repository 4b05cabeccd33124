/**
 * Mean-field variational inference for LDA (lecture 000, "Mean field approximation: LDA,
 * uncollapsed / explicit VI"), in the batch form of Blei, Ng & Jordan (2003) with a Dirichlet
 * prior on the topics (Hoffman, Blei & Bach 2010, eqs. 2–6):
 *
 *   β_k ∼ Dir(η),  θ_d ∼ Dir(α),  z_dn ∼ Cat(θ_d),  w_dn ∼ Cat(β_{z_dn})
 *   q = Π_k Dir(β_k | λ_k) · Π_d Dir(θ_d | γ_d) · Π_{d,n} Cat(z_dn | φ_dn)
 *
 *   φ_dwk ∝ exp{E[log θ_dk] + E[log β_kw]},   γ_dk = α + Σ_w n_dw φ_dwk,   λ_kw = η + Σ_d n_dw φ_dwk
 *   with E[log θ_dk] = ψ(γ_dk) − ψ(Σ_j γ_dj) and E[log β_kw] = ψ(λ_kw) − ψ(Σ_v λ_kv).
 *
 * Each update maximizes the ELBO in its block, so the ELBO (computed with all constants)
 * never decreases. Documents are bags of word ids 0..W−1.
 *
 * The ELBO is not concave: one random start can stop in a local optimum that mixes two
 * topics (on the tiny corpus below, a few starts in twenty; 2 of 5 in notebook 03's run), with an
 * ELBO some 300 nats lower.
 * `ldaMeanField` therefore runs several random starts and keeps the one with the highest
 * ELBO, as Blei, Kucukelbir & McAuliffe (2017) recommend for CAVI.
 */
import type { Rng } from "../runtime/rng";
import { digamma, lgamma } from "../math/special";
import { sampleDirichletOne } from "../prob/samplers";

export interface LdaOptions {
  K: number;
  /** Vocabulary size W (word ids are 0..W−1). */
  W: number;
  /** Symmetric document–topic prior α (default 0.5). */
  alpha?: number;
  /** Symmetric topic–word prior η (default 0.1). */
  eta?: number;
  rng: Rng;
  /** Outer iterations (each: local updates for every document, then λ). Default 100. */
  maxIter?: number;
  /** Inner φ/γ sweeps per document per iteration (default 20). */
  localIter?: number;
  /** Stop when the ELBO rises by less than tol·|ELBO| (default 1e-9). */
  tol?: number;
  /** Random starts; the one with the highest final ELBO is returned (default 5). */
  restarts?: number;
}

export interface LdaResult {
  /** Topic–word variational parameters λ (K × W). */
  lambda: Float64Array[];
  /** Document–topic variational parameters γ (D × K). */
  gamma: Float64Array[];
  /** ELBO after each outer iteration. */
  elboTrace: number[];
  elbo: number;
  iterations: number;
  /** E_q[β_k] = λ_k / Σ_w λ_kw. */
  topicWordMeans: Float64Array[];
  /** Final ELBO of every random start, in order (the returned run is the largest). */
  restartElbos: number[];
}

type Counts = { ids: Int32Array; counts: Float64Array }[];

function toCounts(docs: readonly (readonly number[])[], W: number): Counts {
  return docs.map((doc, d) => {
    const m = new Map<number, number>();
    for (const w of doc) {
      if (!Number.isInteger(w) || w < 0 || w >= W) throw new RangeError(`ldaMeanField: document ${d} has word id ${w} outside 0..${W - 1}.`);
      m.set(w, (m.get(w) ?? 0) + 1);
    }
    const ids = Int32Array.from(m.keys());
    return { ids, counts: Float64Array.from(ids, (w) => m.get(w)!) };
  });
}

function expLogDirichlet(p: Float64Array): Float64Array {
  let s = 0;
  for (const v of p) s += v;
  const ps = digamma(s);
  return p.map((v) => digamma(v) - ps);
}

/** The full ELBO (Hoffman et al. 2010, eq. 4 with the φ terms written out). */
export function ldaElbo(
  docs: readonly (readonly number[])[],
  state: { lambda: Float64Array[]; gamma: Float64Array[] },
  opts: { K: number; W: number; alpha?: number; eta?: number },
): number {
  const { K, W } = opts;
  const alpha = opts.alpha ?? 0.5;
  const eta = opts.eta ?? 0.1;
  const C = toCounts(docs, W);
  const Elb = state.lambda.map(expLogDirichlet);
  let elbo = 0;
  C.forEach((doc, d) => {
    const g = state.gamma[d];
    const Elt = expLogDirichlet(g);
    // Σ_w n_dw Σ_k φ (E log θ + E log β − log φ) at the optimal φ = n_dw log Σ_k exp(E log θ + E log β).
    for (let i = 0; i < doc.ids.length; i++) {
      const w = doc.ids[i];
      let mx = -Infinity;
      for (let k = 0; k < K; k++) mx = Math.max(mx, Elt[k] + Elb[k][w]);
      let s = 0;
      for (let k = 0; k < K; k++) s += Math.exp(Elt[k] + Elb[k][w] - mx);
      elbo += doc.counts[i] * (mx + Math.log(s));
    }
    let gs = 0;
    for (let k = 0; k < K; k++) {
      gs += g[k];
      elbo += (alpha - g[k]) * Elt[k] + lgamma(g[k]);
    }
    elbo += -lgamma(gs) + lgamma(K * alpha) - K * lgamma(alpha);
  });
  for (let k = 0; k < K; k++) {
    let ls = 0;
    for (let w = 0; w < W; w++) {
      ls += state.lambda[k][w];
      elbo += (eta - state.lambda[k][w]) * Elb[k][w] + lgamma(state.lambda[k][w]);
    }
    elbo += -lgamma(ls) + lgamma(W * eta) - W * lgamma(eta);
  }
  return elbo;
}

/**
 * Run batch mean-field VI from `restarts` random starts (default 5) and return the run with
 * the highest ELBO. The ELBO is evaluated with φ at its optimum given (γ, λ), which is
 * exactly the φ the next update would set, so each trace is the coordinate-ascent objective.
 */
export function ldaMeanField(docs: readonly (readonly number[])[], opts: LdaOptions): LdaResult {
  if (opts === null || typeof opts !== "object") throw new TypeError("ldaMeanField: give options { K, W, rng, ... }.");
  const { K, W } = opts;
  if (!Number.isInteger(K) || K < 1 || !Number.isInteger(W) || W < 1) throw new RangeError(`ldaMeanField: K and W must be positive integers, got K=${K}, W=${W}.`);
  if (!Array.isArray(docs) || docs.length === 0) throw new RangeError("ldaMeanField: give at least one document (an array of word-id arrays).");
  const alpha = opts.alpha ?? 0.5;
  const eta = opts.eta ?? 0.1;
  if (!(alpha > 0) || !(eta > 0)) throw new RangeError(`ldaMeanField: alpha and eta must be > 0, got ${alpha}, ${eta}.`);
  const restarts = opts.restarts ?? 5;
  if (!Number.isInteger(restarts) || restarts < 1) throw new RangeError(`ldaMeanField: restarts must be a positive integer, got ${restarts}.`);
  const C = toCounts(docs, W);
  let best: LdaResult | undefined;
  const restartElbos: number[] = [];
  for (let r = 0; r < restarts; r++) {
    const run = ldaOneStart(docs, C, opts, alpha, eta);
    restartElbos.push(run.elbo);
    if (!best || run.elbo > best.elbo) best = run;
  }
  return { ...best!, restartElbos };
}

function ldaOneStart(docs: readonly (readonly number[])[], C: Counts, opts: LdaOptions, alpha: number, eta: number): LdaResult {
  const { K, W, rng } = opts;
  const D = C.length;
  const maxIter = opts.maxIter ?? 100;
  const localIter = opts.localIter ?? 20;
  const tol = opts.tol ?? 1e-9;
  // Random λ around η + (document count)/K breaks the topic symmetry.
  const lambda = Array.from({ length: K }, () => Float64Array.from({ length: W }, () => eta + rng.uniform() * (D / K + 1)));
  const gamma = C.map((doc) => new Float64Array(K).fill(alpha + doc.counts.reduce((a, b) => a + b, 0) / K));
  const elboTrace: number[] = [];
  const phi = new Float64Array(K);
  let it = 0;
  for (; it < maxIter; it++) {
    const Elb = lambda.map(expLogDirichlet);
    const ss = Array.from({ length: K }, () => new Float64Array(W));
    C.forEach((doc, d) => {
      const g = gamma[d];
      for (let inner = 0; inner < localIter; inner++) {
        const Elt = expLogDirichlet(g);
        const next = new Float64Array(K).fill(alpha);
        for (let i = 0; i < doc.ids.length; i++) {
          const w = doc.ids[i];
          let mx = -Infinity;
          for (let k = 0; k < K; k++) mx = Math.max(mx, (phi[k] = Elt[k] + Elb[k][w]));
          let s = 0;
          for (let k = 0; k < K; k++) s += phi[k] = Math.exp(phi[k] - mx);
          for (let k = 0; k < K; k++) next[k] += (doc.counts[i] * phi[k]) / s;
        }
        g.set(next);
      }
      // Sufficient statistics for λ with φ at its optimum given the final γ.
      const Elt = expLogDirichlet(g);
      for (let i = 0; i < doc.ids.length; i++) {
        const w = doc.ids[i];
        let mx = -Infinity;
        for (let k = 0; k < K; k++) mx = Math.max(mx, (phi[k] = Elt[k] + Elb[k][w]));
        let s = 0;
        for (let k = 0; k < K; k++) s += phi[k] = Math.exp(phi[k] - mx);
        for (let k = 0; k < K; k++) ss[k][w] += (doc.counts[i] * phi[k]) / s;
      }
    });
    for (let k = 0; k < K; k++) for (let w = 0; w < W; w++) lambda[k][w] = eta + ss[k][w];
    const e = ldaElbo(docs, { lambda, gamma }, { K, W, alpha, eta });
    const prev = elboTrace.length ? elboTrace[elboTrace.length - 1] : -Infinity;
    elboTrace.push(e);
    if (Math.abs(e - prev) < tol * Math.abs(e)) {
      it++;
      break;
    }
  }
  const topicWordMeans = lambda.map((l) => {
    const s = l.reduce((a, b) => a + b, 0);
    return l.map((v) => v / s);
  });
  return { lambda, gamma, elboTrace, elbo: elboTrace[elboTrace.length - 1], iterations: it, topicWordMeans, restartElbos: [] };
}

/**
 * How well fitted topics recover the generating ones: the matching of fitted to true topics
 * (over all K! one-to-one matchings) that minimizes the largest total-variation distance
 * ½ Σ_w |β̂_kw − β_kw|, and that distance (0 = exact recovery; two disjoint topics are 1
 * apart). `match[i]` is the fitted topic matched to true topic i. Topic labels are arbitrary,
 * hence the matching.
 */
export function topicRecovery(fitted: readonly ArrayLike<number>[], truth: readonly ArrayLike<number>[]): { distance: number; match: number[]; distances: number[] } {
  const K = truth.length;
  if (fitted.length !== K || K === 0) throw new RangeError(`topicRecovery: need as many fitted topics as true ones (got ${fitted.length} and ${K}).`);
  if (K > 8) throw new RangeError(`topicRecovery: K = ${K} is too many topics for the exhaustive matching (at most 8).`);
  const W = truth[0].length;
  for (const t of [...fitted, ...truth]) if (t.length !== W) throw new RangeError(`topicRecovery: every topic must have ${W} word probabilities, one has ${t.length}.`);
  const tv = (a: ArrayLike<number>, b: ArrayLike<number>) => {
    let s = 0;
    for (let w = 0; w < W; w++) s += Math.abs(a[w] - b[w]);
    return s / 2;
  };
  const M = truth.map((t) => fitted.map((f) => tv(f, t)));
  let best = { distance: Infinity, match: [] as number[], distances: [] as number[] };
  const perm: number[] = [];
  const used = new Array<boolean>(K).fill(false);
  const search = (k: number) => {
    if (k === K) {
      const distances = perm.map((j, i) => M[i][j]);
      const distance = Math.max(...distances);
      if (distance < best.distance) best = { distance, match: [...perm], distances };
      return;
    }
    for (let j = 0; j < K; j++)
      if (!used[j]) {
        used[j] = true;
        perm.push(j);
        search(k + 1);
        perm.pop();
        used[j] = false;
      }
  };
  search(0);
  return best;
}

/** log p(w) of the K = 1 model (a Dirichlet–categorical): log B(η + n) − log B(η), n the word counts. */
export function ldaSingleTopicLogEvidence(docs: readonly (readonly number[])[], W: number, eta = 0.1): number {
  const n = new Float64Array(W);
  for (const doc of docs) for (const w of doc) n[w]++;
  let lp = lgamma(W * eta) - W * lgamma(eta);
  let tot = 0;
  for (let w = 0; w < W; w++) {
    lp += lgamma(eta + n[w]);
    tot += eta + n[w];
  }
  return lp - lgamma(tot);
}

/** A tiny two-topic corpus (sports / politics, with two shared words) drawn from the LDA model. */
export function tinyTopicCorpus(rng: Rng, opts: { docs?: number; length?: number; alpha?: number } = {}): {
  docs: number[][];
  vocab: string[];
  topics: Float64Array[];
} {
  const vocab = ["ball", "goal", "team", "score", "match", "vote", "law", "party", "election", "senate", "today", "new"];
  const topics = [
    Float64Array.from([0.2, 0.2, 0.2, 0.15, 0.15, 0, 0, 0, 0, 0, 0.05, 0.05]),
    Float64Array.from([0, 0, 0, 0, 0, 0.2, 0.2, 0.2, 0.15, 0.15, 0.05, 0.05]),
  ];
  const D = opts.docs ?? 40;
  const L = opts.length ?? 30;
  const alpha = opts.alpha ?? 0.3;
  const draw = (p: ArrayLike<number>): number => {
    let u = rng.uniform();
    for (let i = 0; i < p.length; i++) {
      u -= p[i];
      if (u < 0) return i;
    }
    return p.length - 1;
  };
  const docs = Array.from({ length: D }, () => {
    const theta = sampleDirichletOne(rng, [alpha, alpha]);
    return Array.from({ length: L }, () => draw(topics[draw(theta)]));
  });
  return { docs, vocab, topics };
}
