/**
 * CAVI for the Bayesian mixture of unit-variance Gaussians of Blei, Kucukelbir & McAuliffe
 * (2017), §3, in d dimensions:
 *
 *   μ_k ∼ N(0, σ² I),  c_i ∼ Categorical(1/K, …, 1/K),  x_i | c_i, μ ∼ N(μ_{c_i}, I).
 *   q(μ_k) = N(m_k, s_k² I),  q(c_i) = Categorical(φ_i).
 *
 * Updates (their eqs. 21 and 26, with E[μ_k] = m_k, E[μ_kᵀμ_k] = d s_k² + ‖m_k‖²):
 *   φ_ik ∝ exp{ x_iᵀ m_k − (d s_k² + ‖m_k‖²)/2 }
 *   m_k = Σ_i φ_ik x_i / (1/σ² + Σ_i φ_ik),   s_k² = 1/(1/σ² + Σ_i φ_ik).
 * ELBO (their eq. 34, with every constant kept so that it is comparable with log p(x)):
 *   Σ_k E[log p(μ_k)] + Σ_i (E[log p(c_i)] + E[log p(x_i | c_i, μ)]) − Σ_i E[log q(c_i)] − Σ_k E[log q(μ_k)].
 */
import type { Rng } from "../runtime/rng";
import { logSumExp } from "../math/special";
import { loopSignal, throwIfAborted } from "../runtime/abort";

const LOG_2PI = Math.log(2 * Math.PI);

/** Data as rows: numbers (1-D) or vectors of length d. */
export type Points = readonly number[] | readonly ArrayLike<number>[];

function toRows(x: Points, where: string): Float64Array[] {
  if (!Array.isArray(x) || x.length === 0) throw new RangeError(`${where}: give at least one data point.`);
  const rows = (x as unknown[]).map((r, i) => {
    const v = typeof r === "number" ? Float64Array.of(r) : Float64Array.from(r as ArrayLike<number>);
    if (!v.every(Number.isFinite)) throw new RangeError(`${where}: data point ${i} is not finite.`);
    return v;
  });
  const d = rows[0].length;
  rows.forEach((r, i) => {
    if (r.length !== d) throw new RangeError(`${where}: data point ${i} has dimension ${r.length}, expected ${d}.`);
  });
  return rows;
}

export interface CaviGmmState {
  /** Variational means m_k (K × d). */
  m: Float64Array[];
  /** Variational variances s_k² (K). */
  s2: Float64Array;
  /** Assignment probabilities φ_i (n × K). */
  phi: Float64Array[];
}

export interface CaviGmmOptions {
  K: number;
  /** Prior variance σ² of the component means. */
  priorVariance: number;
  /** Used to initialize m_k at K distinct random data points (plus N(0, 1) jitter). */
  rng: Rng;
  /** Initial means instead (K × d). */
  initMeans?: readonly ArrayLike<number>[];
  maxIter?: number;
  /** Stop when the ELBO rises by less than tol (default 1e-10). */
  tol?: number;
  signal?: AbortSignal;
}

export interface CaviGmmResult extends CaviGmmState {
  /** ELBO after each iteration (φ update then (m, s²) update). */
  elboTrace: number[];
  elbo: number;
  iterations: number;
  converged: boolean;
}

/** The ELBO of eq. 34 (all constants kept) at a variational state. */
export function caviGmmElbo(x: Points, state: CaviGmmState, priorVariance: number): number {
  const X = toRows(x, "caviGmmElbo");
  const d = X[0].length;
  const K = state.m.length;
  const sigma2 = priorVariance;
  let elbo = 0;
  for (let k = 0; k < K; k++) {
    const mm = state.m[k].reduce((a, v) => a + v * v, 0);
    const e2 = d * state.s2[k] + mm;
    elbo += -0.5 * d * Math.log(2 * Math.PI * sigma2) - e2 / (2 * sigma2); // E log p(μ_k)
    elbo += 0.5 * d * (LOG_2PI + 1 + Math.log(state.s2[k])); // −E log q(μ_k)
  }
  for (let i = 0; i < X.length; i++) {
    const xi = X[i];
    const xx = xi.reduce((a, v) => a + v * v, 0);
    for (let k = 0; k < K; k++) {
      const p = state.phi[i][k];
      if (p === 0) continue;
      let xm = 0;
      let mm = 0;
      for (let j = 0; j < d; j++) {
        xm += xi[j] * state.m[k][j];
        mm += state.m[k][j] * state.m[k][j];
      }
      const eLogLik = -0.5 * d * LOG_2PI - 0.5 * (xx - 2 * xm + d * state.s2[k] + mm);
      elbo += p * (eLogLik - Math.log(K) - Math.log(p));
    }
  }
  return elbo;
}

/** One φ update (eq. 21) for all points. */
function updatePhi(X: Float64Array[], st: CaviGmmState): void {
  const K = st.m.length;
  const d = X[0].length;
  const logits = new Float64Array(K);
  for (let i = 0; i < X.length; i++) {
    for (let k = 0; k < K; k++) {
      let xm = 0;
      let mm = 0;
      for (let j = 0; j < d; j++) {
        xm += X[i][j] * st.m[k][j];
        mm += st.m[k][j] * st.m[k][j];
      }
      logits[k] = xm - 0.5 * (d * st.s2[k] + mm);
    }
    const lz = logSumExp(logits);
    for (let k = 0; k < K; k++) st.phi[i][k] = Math.exp(logits[k] - lz);
  }
}

/** One (m_k, s_k²) update (eq. 26) for all components. */
function updateMeans(X: Float64Array[], st: CaviGmmState, sigma2: number): void {
  const K = st.m.length;
  const d = X[0].length;
  for (let k = 0; k < K; k++) {
    let nk = 0;
    const sx = new Float64Array(d);
    for (let i = 0; i < X.length; i++) {
      const p = st.phi[i][k];
      nk += p;
      for (let j = 0; j < d; j++) sx[j] += p * X[i][j];
    }
    const prec = 1 / sigma2 + nk;
    for (let j = 0; j < d; j++) st.m[k][j] = sx[j] / prec;
    st.s2[k] = 1 / prec;
  }
}

/** Run CAVI to convergence, tracking the ELBO per iteration (it never decreases). */
export function caviGmm(x: Points, opts: CaviGmmOptions): CaviGmmResult {
  const X = toRows(x, "caviGmm");
  const n = X.length;
  const d = X[0].length;
  const { K, priorVariance: sigma2 } = opts;
  if (!Number.isInteger(K) || K < 1) throw new RangeError(`caviGmm: K must be a positive integer, got ${K}.`);
  if (!(sigma2 > 0) || !Number.isFinite(sigma2)) throw new RangeError(`caviGmm: priorVariance must be a positive number, got ${sigma2}.`);
  const maxIter = opts.maxIter ?? 500;
  const tol = opts.tol ?? 1e-10;
  const signal = loopSignal(opts.signal);
  let m: Float64Array[];
  if (opts.initMeans) {
    if (opts.initMeans.length !== K) throw new RangeError(`caviGmm: initMeans has ${opts.initMeans.length} rows, expected K = ${K}.`);
    m = opts.initMeans.map((r, k) => {
      if (r.length !== d) throw new RangeError(`caviGmm: initMeans[${k}] has length ${r.length}, expected d = ${d}.`);
      return Float64Array.from(r);
    });
  } else {
    const perm = opts.rng.permutation(n);
    m = Array.from({ length: K }, (_, k) => X[perm[k % n]].map((v) => v + opts.rng.normal()));
  }
  const st: CaviGmmState = { m, s2: new Float64Array(K).fill(1), phi: Array.from({ length: n }, () => new Float64Array(K)) };
  const elboTrace: number[] = [];
  let converged = false;
  let it = 0;
  while (it < maxIter) {
    it++;
    throwIfAborted(signal, `caviGmm at iteration ${it}`);
    updatePhi(X, st);
    updateMeans(X, st, sigma2);
    const e = caviGmmElbo(X, st, sigma2);
    const prev = elboTrace.length ? elboTrace[elboTrace.length - 1] : -Infinity;
    elboTrace.push(e);
    if (Math.abs(e - prev) < tol * Math.max(1, Math.abs(e))) {
      converged = true;
      break;
    }
  }
  return { ...st, elboTrace, elbo: elboTrace[elboTrace.length - 1], iterations: it, converged };
}

/**
 * K = 1: the exact conjugate posterior μ | x ∼ N(Σ_i x_i / (1/σ² + n), 1/(1/σ² + n) · I).
 */
export function gmmConjugatePosterior(x: Points, priorVariance: number): { mean: Float64Array; variance: number } {
  const X = toRows(x, "gmmConjugatePosterior");
  const d = X[0].length;
  const prec = 1 / priorVariance + X.length;
  const mean = new Float64Array(d);
  for (const r of X) for (let j = 0; j < d; j++) mean[j] += r[j];
  for (let j = 0; j < d; j++) mean[j] /= prec;
  return { mean, variance: 1 / prec };
}

/**
 * log p(x_1..n) of the K = 1 model in closed form: per dimension j, the column x_{·j} is
 * N(0, I_n + σ² 1 1ᵀ), with det = 1 + nσ² and inverse I − σ²/(1 + nσ²) 1 1ᵀ:
 *   log p = Σ_j [−n/2 log 2π − ½ log(1 + nσ²) − ½ (Σ_i x_ij² − σ² (Σ_i x_ij)² / (1 + nσ²))].
 */
export function gmmConjugateLogEvidence(x: Points, priorVariance: number): number {
  const X = toRows(x, "gmmConjugateLogEvidence");
  const n = X.length;
  const d = X[0].length;
  const s2 = priorVariance;
  let lp = 0;
  for (let j = 0; j < d; j++) {
    let sum = 0;
    let sq = 0;
    for (const r of X) {
      sum += r[j];
      sq += r[j] * r[j];
    }
    lp += -0.5 * n * LOG_2PI - 0.5 * Math.log(1 + n * s2) - 0.5 * (sq - (s2 * sum * sum) / (1 + n * s2));
  }
  return lp;
}

/**
 * Exact log p(x) of the K-component model by summing over all Kⁿ assignments c (each cluster
 * then is the conjugate K = 1 model): log p(x) = log Σ_c K^{−n} Π_k p(x_{c=k}).
 * Cost Kⁿ · n: this is the exponential sum that makes p(c, μ | x) intractable.
 */
export function gmmLogEvidenceExact(x: Points, K: number, priorVariance: number): { logEvidence: number; assignments: number } {
  const X = toRows(x, "gmmLogEvidenceExact");
  const n = X.length;
  const d = X[0].length;
  const total = Math.pow(K, n);
  if (total > 2e7) throw new RangeError(`gmmLogEvidenceExact: K^n = ${K}^${n} = ${total.toExponential(2)} assignments is too many to enumerate; use n ≤ ${Math.floor(Math.log(2e7) / Math.log(K))}.`);
  const s2 = priorVariance;
  const c = new Int32Array(n);
  const cnt = new Float64Array(K);
  const sum = new Float64Array(K * d);
  const sq = new Float64Array(K);
  const terms = new Float64Array(total);
  for (let a = 0; a < total; a++) {
    let rest = a;
    cnt.fill(0);
    sum.fill(0);
    sq.fill(0);
    for (let i = 0; i < n; i++) {
      c[i] = rest % K;
      rest = Math.floor(rest / K);
      const k = c[i];
      cnt[k]++;
      for (let j = 0; j < d; j++) {
        sum[k * d + j] += X[i][j];
        sq[k] += X[i][j] * X[i][j];
      }
    }
    let lp = -n * Math.log(K);
    for (let k = 0; k < K; k++) {
      const nk = cnt[k];
      let quad = sq[k];
      for (let j = 0; j < d; j++) quad -= (s2 * sum[k * d + j] ** 2) / (1 + nk * s2);
      lp += -0.5 * nk * d * LOG_2PI - 0.5 * d * Math.log(1 + nk * s2) - 0.5 * quad;
    }
    terms[a] = lp;
  }
  return { logEvidence: logSumExp(terms), assignments: total };
}

/** Sample a data set from the model (for demos and tests). */
export function sampleGmmData(rng: Rng, opts: { n: number; K: number; d?: number; priorVariance: number }): { x: Float64Array[]; means: Float64Array[]; c: Int32Array } {
  const d = opts.d ?? 1;
  const sd = Math.sqrt(opts.priorVariance);
  const means = Array.from({ length: opts.K }, () => Float64Array.from({ length: d }, () => sd * rng.normal()));
  const c = new Int32Array(opts.n);
  const x = Array.from({ length: opts.n }, (_, i) => {
    c[i] = rng.int(opts.K);
    return Float64Array.from({ length: d }, (_, j) => means[c[i]][j] + rng.normal());
  });
  return { x, means, c };
}
