/**
 * Gaussian mixture models fitted by EM (lecture 003, "EM as a max-max procedure").
 *
 *   p_θ(x) = Σ_k π_k N(x | μ_k, Σ_k),   z ~ Cat(π),  x | z = k ~ N(μ_k, Σ_k)
 *
 * ELBO for any q (one distribution q_i over k per point):
 *   ELBO(θ, q) = Σ_i Σ_k q_ik [log π_k + log N(x_i | μ_k, Σ_k) − log q_ik]
 *              = log p_θ(X) − Σ_i KL(q_i ‖ p_θ(z | x_i)).
 * E-step: q_ik = p_θ(z = k | x_i) = softmax_k(log π_k + log N(x_i | μ_k, Σ_k)) closes the gap.
 * M-step: θ = argmax_θ Q(θ | θ_t) = Σ_i Σ_k q_ik log p_θ(x_i, z = k):
 *   N_k = Σ_i q_ik,  π_k = N_k / n,  μ_k = (1/N_k) Σ_i q_ik x_i,
 *   S_k = (1/N_k) Σ_i q_ik (x_i − μ_k)(x_i − μ_k)ᵀ,  Σ_k = S_k + (ε / N_k) I.
 *
 * The ridge ε (`regCovar`) is the exact M-step of a penalized likelihood with log-prior
 * log p(Σ) = −(ε/2) Σ_k tr(Σ_k⁻¹): it keeps every covariance positive definite and the
 * likelihood bounded (a component cannot collapse onto one point), and EM then never decreases
 * the objective log p_θ(X) − (ε/2) Σ_k tr(Σ_k⁻¹). With ε = 0 it is plain maximum likelihood.
 * Diagonal and spherical covariances are the same M-step restricted to diag(S_k) and tr(S_k)/d.
 *
 * Empty or collapsed components (N_k ≈ 0, or a singular Σ_k when ε = 0) are re-seeded at the
 * worst-explained point (lowest log p_θ(x_i)) with the data covariance and weight 1/n, with a
 * warning; that iteration is marked `reseeded` (the monotonicity guarantee restarts there).
 */
import * as linalg from "../math/linalg";
import { LOG_SQRT_2PI } from "../math/special";
import { loopSignal, throwIfAborted, yielder } from "../runtime/abort";
import { Rng, rng as makeRng } from "../runtime/rng";
import { checkOneOf, checkOptions, failInput } from "../runtime/validate";
import { type PointSet, type PointsLike, toPointSet } from "./points";
import { checkK, kMeansPlusPlus, randomCentres } from "./kmeansInit";

export type CovarianceType = "full" | "diag" | "spherical";

export interface GmmParams {
  k: number;
  d: number;
  covarianceType: CovarianceType;
  /** Mixing weights π (k). */
  weights: Float64Array;
  /** Means μ (k × d). */
  means: Float64Array;
  /** full: k × d × d; diag: k × d variances; spherical: k variances. */
  covariances: Float64Array;
}

/** Full d × d covariance of component j, whatever the type. */
export function gmmCovariance(p: GmmParams, j: number): Float64Array {
  const { d } = p;
  if (p.covarianceType === "full") return p.covariances.slice(j * d * d, (j + 1) * d * d);
  const out = new Float64Array(d * d);
  for (let t = 0; t < d; t++) out[t * d + t] = p.covarianceType === "diag" ? p.covariances[j * d + t] : p.covariances[j];
  return out;
}

function checkParams(p: GmmParams, d: number, where: string): void {
  const sizes = { full: p.k * p.d * p.d, diag: p.k * p.d, spherical: p.k };
  if (p.d !== d) throw new RangeError(`${where}: parameters have dimension ${p.d}, data has ${d}.`);
  if (p.weights.length !== p.k || p.means.length !== p.k * p.d || p.covariances.length !== sizes[p.covarianceType]) {
    throw new RangeError(`${where}: parameter arrays do not match k = ${p.k}, d = ${p.d}, covariance type "${p.covarianceType}".`);
  }
}

/**
 * log π_k + log N(x_i | μ_k, Σ_k) for all i, k (n × k). Full covariances use the Cholesky
 * factor: log N = −½ (d log 2π + log|Σ| + ‖L⁻¹(x − μ)‖²).
 */
export function gmmLogJoint(ps: PointSet, p: GmmParams): Float64Array {
  const { data, n, d } = ps;
  const { k } = p;
  checkParams(p, d, "gmmLogJoint");
  const out = new Float64Array(n * k);
  const y = new Float64Array(d);
  for (let j = 0; j < k; j++) {
    const logPi = Math.log(p.weights[j]);
    const mu = j * d;
    if (p.covarianceType === "full") {
      const L = linalg.cholesky(gmmCovariance(p, j), `covariance of component ${j}`);
      const c = logPi - d * LOG_SQRT_2PI - 0.5 * linalg.logDetFromCholesky(L);
      for (let i = 0; i < n; i++) {
        let m = 0;
        for (let a = 0; a < d; a++) {
          let s = data[i * d + a] - p.means[mu + a];
          for (let b = 0; b < a; b++) s -= L[a * d + b] * y[b];
          y[a] = s / L[a * d + a];
          m += y[a] * y[a];
        }
        out[i * k + j] = c - 0.5 * m;
      }
    } else {
      let logDet = 0;
      for (let a = 0; a < d; a++) logDet += Math.log(p.covarianceType === "diag" ? p.covariances[j * d + a] : p.covariances[j]);
      const c = logPi - d * LOG_SQRT_2PI - 0.5 * logDet;
      for (let i = 0; i < n; i++) {
        let m = 0;
        for (let a = 0; a < d; a++) {
          const v = p.covarianceType === "diag" ? p.covariances[j * d + a] : p.covariances[j];
          const t = data[i * d + a] - p.means[mu + a];
          m += (t * t) / v;
        }
        out[i * k + j] = c - 0.5 * m;
      }
    }
  }
  return out;
}

export interface EStepResult {
  /** q_ik = p_θ(z = k | x_i), n × k. */
  resp: Float64Array;
  /** log p_θ(x_i) per point. */
  pointLogLikelihood: Float64Array;
  /** log p_θ(X) = Σ_i log p_θ(x_i). */
  logLikelihood: number;
}

/** E-step: posterior responsibilities by log-sum-exp, and the log-likelihood. */
export function gmmEStep(points: PointsLike, p: GmmParams): EStepResult {
  const ps = toPointSet(points, "gmmEStep");
  const { n } = ps;
  const { k } = p;
  const lj = gmmLogJoint(ps, p);
  const resp = new Float64Array(n * k);
  const pll = new Float64Array(n);
  let total = 0;
  for (let i = 0; i < n; i++) {
    let m = -Infinity;
    for (let j = 0; j < k; j++) if (lj[i * k + j] > m) m = lj[i * k + j];
    let s = 0;
    for (let j = 0; j < k; j++) s += Math.exp(lj[i * k + j] - m);
    const lse = m + Math.log(s);
    pll[i] = lse;
    total += lse;
    for (let j = 0; j < k; j++) resp[i * k + j] = Math.exp(lj[i * k + j] - lse);
  }
  return { resp, pointLogLikelihood: pll, logLikelihood: total };
}

/** log p_θ(X). */
export function gmmLogLikelihood(points: PointsLike, p: GmmParams): number {
  return gmmEStep(points, p).logLikelihood;
}

/**
 * ELBO(θ, q) = Σ_i Σ_k q_ik [log π_k + log N(x_i | μ_k, Σ_k) − log q_ik] for any q (n × k,
 * rows summing to 1); equals log p_θ(X) exactly when q is the posterior.
 */
export function gmmElbo(points: PointsLike, p: GmmParams, q: ArrayLike<number>): number {
  const ps = toPointSet(points, "gmmElbo");
  const { n } = ps;
  const { k } = p;
  if (q.length !== n * k) throw new RangeError(`gmmElbo: q has ${q.length} numbers, expected n × k = ${n} × ${k}.`);
  const lj = gmmLogJoint(ps, p);
  let s = 0;
  for (let i = 0; i < n * k; i++) {
    const qi = q[i];
    if (qi < 0 || !Number.isFinite(qi)) throw new RangeError(`gmmElbo: q[${i}] = ${qi} is not a probability.`);
    if (qi > 0) s += qi * (lj[i] - Math.log(qi));
  }
  return s;
}

/** log-prior of the ridge: −(ε/2) Σ_k tr(Σ_k⁻¹). */
export function gmmLogPrior(p: GmmParams, regCovar: number): number {
  if (regCovar === 0) return 0;
  let s = 0;
  for (let j = 0; j < p.k; j++) {
    if (p.covarianceType === "full") s += linalg.trace(linalg.spdInverse(gmmCovariance(p, j)));
    else if (p.covarianceType === "diag") for (let a = 0; a < p.d; a++) s += 1 / p.covariances[j * p.d + a];
    else s += p.d / p.covariances[j];
  }
  return -0.5 * regCovar * s;
}

/** M-step: θ = argmax Q(θ | θ_t) + log-prior, given responsibilities q (n × k). N_k must be > 0. */
export function gmmMStep(points: PointsLike, q: ArrayLike<number>, k: number, covarianceType: CovarianceType, regCovar = 0): GmmParams {
  const ps = toPointSet(points, "gmmMStep");
  const { data, n, d } = ps;
  const Nk = new Float64Array(k);
  const means = new Float64Array(k * d);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < k; j++) {
      const r = q[i * k + j];
      Nk[j] += r;
      for (let a = 0; a < d; a++) means[j * d + a] += r * data[i * d + a];
    }
  for (let j = 0; j < k; j++) {
    if (!(Nk[j] > 0)) throw new RangeError(`gmmMStep: component ${j} has no responsibility (N_k = ${Nk[j]}); re-seed it first.`);
    for (let a = 0; a < d; a++) means[j * d + a] /= Nk[j];
  }
  const size = { full: k * d * d, diag: k * d, spherical: k }[covarianceType];
  const cov = new Float64Array(size);
  const diff = new Float64Array(d);
  for (let j = 0; j < k; j++) {
    const S = new Float64Array(covarianceType === "full" ? d * d : d);
    for (let i = 0; i < n; i++) {
      const r = q[i * k + j];
      if (r === 0) continue;
      for (let a = 0; a < d; a++) diff[a] = data[i * d + a] - means[j * d + a];
      if (covarianceType === "full") {
        for (let a = 0; a < d; a++) for (let b = 0; b <= a; b++) S[a * d + b] += r * diff[a] * diff[b];
      } else for (let a = 0; a < d; a++) S[a] += r * diff[a] * diff[a];
    }
    const ridge = regCovar / Nk[j];
    if (covarianceType === "full") {
      for (let a = 0; a < d; a++)
        for (let b = 0; b <= a; b++) {
          const v = S[a * d + b] / Nk[j] + (a === b ? ridge : 0);
          cov[j * d * d + a * d + b] = v;
          cov[j * d * d + b * d + a] = v;
        }
    } else if (covarianceType === "diag") {
      for (let a = 0; a < d; a++) cov[j * d + a] = S[a] / Nk[j] + ridge;
    } else {
      let tr = 0;
      for (let a = 0; a < d; a++) tr += S[a];
      cov[j] = tr / (Nk[j] * d) + ridge;
    }
  }
  const weights = new Float64Array(k);
  for (let j = 0; j < k; j++) weights[j] = Nk[j] / n;
  return { k, d, covarianceType, weights, means, covariances: cov };
}

export interface GmmOptions {
  k: number;
  /** Default "full". */
  covarianceType?: CovarianceType;
  /** Initial means by "k-means++" (default) or "random" points, or explicit initial parameters. */
  init?: "k-means++" | "random" | GmmParams;
  rng?: Rng;
  /** Default 500. */
  maxIterations?: number;
  /** Stop when the objective improves by less than tol per point (default 1e-8). */
  tol?: number;
  /** Ridge ε on covariances (see the file comment); default 1e-6. */
  regCovar?: number;
  /** Keep the parameters of every iteration (for figures). */
  recordHistory?: boolean;
  signal?: AbortSignal;
  onWarning?: (message: string) => void;
}

export interface GmmIteration {
  iteration: number;
  /** log p(X | θ_t). */
  logLikelihood: number;
  /** ELBO(θ_t, q_t) right after the E-step (equals logLikelihood). */
  elboAfterE: number;
  /** ELBO(θ_{t+1}, q_t) after the M-step (between logLikelihood_t and logLikelihood_{t+1} when ε = 0). */
  elboAfterM: number;
  /** log p(X | θ_t) − (ε/2) Σ_k tr(Σ_k⁻¹): never decreases (unless reseeded). */
  objective: number;
  /** True when a component was re-seeded in this iteration's M-step. */
  reseeded: boolean;
}

export interface GmmFit {
  params: GmmParams;
  /** Responsibilities under the final parameters. */
  resp: Float64Array;
  logLikelihood: number;
  iterations: number;
  converged: boolean;
  log: GmmIteration[];
  warnings: string[];
  /** Parameters θ_0, θ_1, ... when recordHistory is set. */
  history?: GmmParams[];
}

/** Covariance of the whole data set in the requested form (the initial and re-seed covariance). */
function dataCovariance(ps: PointSet, type: CovarianceType, regCovar: number): { cov: Float64Array; zeroDims: number[] } {
  const { n, d } = ps;
  const q = new Float64Array(n).fill(1);
  const p = gmmMStep(ps, q, 1, "full", 0);
  const full = p.covariances;
  const zeroDims: number[] = [];
  for (let a = 0; a < d; a++) if (!(full[a * d + a] > 0)) zeroDims.push(a);
  const ridge = regCovar / n;
  for (let a = 0; a < d; a++) full[a * d + a] += ridge;
  if (type === "full") return { cov: full, zeroDims };
  if (type === "diag") return { cov: Float64Array.from({ length: d }, (_, a) => full[a * d + a]), zeroDims };
  let tr = 0;
  for (let a = 0; a < d; a++) tr += full[a * d + a];
  return { cov: Float64Array.of(tr / d), zeroDims };
}

function setComponent(p: GmmParams, j: number, mean: ArrayLike<number>, cov: Float64Array): void {
  const { d } = p;
  for (let a = 0; a < d; a++) p.means[j * d + a] = mean[a];
  p.covariances.set(cov, j * cov.length);
}

function covarianceOk(p: GmmParams, j: number): boolean {
  try {
    const L = linalg.cholesky(gmmCovariance(p, j), "covariance");
    return Number.isFinite(linalg.logDetFromCholesky(L));
  } catch {
    return false;
  }
}

/** Fit a Gaussian mixture by EM. Deterministic given the seed of `opts.rng`. */
export async function fitGmm(points: PointsLike, opts: GmmOptions): Promise<GmmFit> {
  if (opts === undefined) failInput("fitGmm", "options", "an object with at least k (e.g. { k: 3 })", opts);
  const o = checkOptions<GmmOptions>("fitGmm", opts, ["k", "covarianceType", "init", "rng", "maxIterations", "tol", "regCovar", "recordHistory", "signal", "onWarning"]);
  if (o.covarianceType !== undefined) checkOneOf("fitGmm", "options.covarianceType", o.covarianceType, ["full", "diag", "spherical"] as const);
  if (typeof o.init === "string") checkOneOf("fitGmm", "options.init", o.init, ["k-means++", "random"] as const, "or pass initial GmmParams");
  else if (o.init !== undefined && (o.init === null || typeof o.init !== "object")) failInput("fitGmm", "options.init", '"k-means++", "random" or initial GmmParams', o.init);
  if (o.rng !== undefined && !(o.rng instanceof Rng)) failInput("fitGmm", "options.rng", "an Rng (e.g. rng(0))", o.rng);
  const ps = toPointSet(points, "fitGmm");
  const { data, n, d } = ps;
  const { k } = opts;
  checkK(k, n, "fitGmm");
  const type = opts.covarianceType ?? "full";
  const regCovar = opts.regCovar ?? 1e-6;
  if (!(regCovar >= 0)) throw new RangeError(`fitGmm: regCovar = ${regCovar} must be ≥ 0.`);
  const maxIterations = opts.maxIterations ?? 500;
  const tol = opts.tol ?? 1e-8;
  const warnings: string[] = [];
  const warn = (m: string) => {
    warnings.push(m);
    (opts.onWarning ?? console.warn)(m);
  };
  const { cov: dataCov, zeroDims } = dataCovariance(ps, type, regCovar);
  if (zeroDims.length > 0 && regCovar === 0) {
    throw new RangeError(
      `fitGmm: dimension${zeroDims.length > 1 ? "s" : ""} ${zeroDims.slice(0, 5).join(", ")} of the data ha${zeroDims.length > 1 ? "ve" : "s"} zero variance, ` +
        `so maximum likelihood drives that variance to 0 and the density to infinity. Drop constant dimensions or use regCovar > 0.`,
    );
  }
  const r = opts.rng ?? makeRng();
  let params: GmmParams;
  if (typeof opts.init === "object") {
    checkParams(opts.init, d, "fitGmm init");
    params = { ...opts.init, weights: Float64Array.from(opts.init.weights), means: Float64Array.from(opts.init.means), covariances: Float64Array.from(opts.init.covariances) };
  } else {
    const means = opts.init === "random" ? randomCentres(ps, k, r) : kMeansPlusPlus(ps, k, r);
    const covariances = new Float64Array(dataCov.length * k);
    for (let j = 0; j < k; j++) covariances.set(dataCov, j * dataCov.length);
    params = { k, d, covarianceType: type, weights: new Float64Array(k).fill(1 / k), means, covariances };
  }
  const signal = loopSignal(opts.signal);
  const maybeYield = yielder();
  const log: GmmIteration[] = [];
  const history: GmmParams[] = [];
  let converged = false;
  let e = gmmEStep(ps, params);
  let objective = e.logLikelihood + gmmLogPrior(params, regCovar);
  let it = 0;
  for (; it < maxIterations; it++) {
    throwIfAborted(signal, `at EM iteration ${it}`);
    if (opts.recordHistory) history.push(cloneParams(params));
    // M-step (with empty components re-seeded at the worst-explained points).
    const Nk = new Float64Array(k);
    for (let i = 0; i < n; i++) for (let j = 0; j < k; j++) Nk[j] += e.resp[i * k + j];
    const worst = Array.from({ length: n }, (_, i) => i).sort((a, b) => e.pointLogLikelihood[a] - e.pointLogLikelihood[b] || a - b);
    let reseeded = false;
    let w = 0;
    const q = e.resp;
    const empties: number[] = [];
    for (let j = 0; j < k; j++) if (!(Nk[j] > 1e-10 * n)) empties.push(j);
    let next: GmmParams;
    if (empties.length === 0) next = gmmMStep(ps, q, k, type, regCovar);
    else {
      // M-step for the others, with the empty ones given a placeholder responsibility.
      const q2 = Float64Array.from(q);
      for (const j of empties) for (let i = 0; i < n; i++) q2[i * k + j] += 1e-300 + 1 / n;
      next = gmmMStep(ps, q2, k, type, regCovar);
    }
    const collapsed = new Set(empties);
    for (let j = 0; j < k; j++) if (!covarianceOk(next, j)) collapsed.add(j);
    for (const j of [...collapsed].sort((a, b) => a - b)) {
      const i = worst[w++ % n];
      setComponent(next, j, data.subarray(i * d, (i + 1) * d), dataCov);
      next.weights[j] = 1 / n;
      reseeded = true;
      warn(
        `fitGmm: component ${j} ${empties.includes(j) ? `is empty (N_k = ${Nk[j].toExponential(2)})` : "collapsed (singular covariance)"} at iteration ${it}; ` +
          `re-seeded at point ${i}, the worst-explained point (log p = ${e.pointLogLikelihood[i].toFixed(3)}), with the data covariance. ` +
          `Consider a smaller k or regCovar > 0.`,
      );
    }
    if (reseeded) {
      let s = 0;
      for (let j = 0; j < k; j++) s += next.weights[j];
      for (let j = 0; j < k; j++) next.weights[j] /= s;
    }
    const elboAfterM = gmmElbo(ps, next, q);
    log.push({ iteration: it, logLikelihood: e.logLikelihood, elboAfterE: gmmElbo(ps, params, q), elboAfterM, objective, reseeded });
    params = next;
    e = gmmEStep(ps, params);
    const newObjective = e.logLikelihood + gmmLogPrior(params, regCovar);
    if (!Number.isFinite(newObjective)) throw new Error(`fitGmm: the log-likelihood became ${newObjective} at iteration ${it}; this is a bug, please report it.`);
    const delta = newObjective - objective;
    objective = newObjective;
    if (!reseeded && Math.abs(delta) < tol * n) {
      converged = true;
      it++;
      break;
    }
    await maybeYield();
  }
  if (opts.recordHistory) history.push(cloneParams(params));
  return { params, resp: e.resp, logLikelihood: e.logLikelihood, iterations: it, converged, log, warnings, history: opts.recordHistory ? history : undefined };
}

function cloneParams(p: GmmParams): GmmParams {
  return { ...p, weights: Float64Array.from(p.weights), means: Float64Array.from(p.means), covariances: Float64Array.from(p.covariances) };
}

/** Draw `count` points (and their components) from a mixture. */
export function sampleGmm(p: GmmParams, count: number, r: Rng): { points: PointSet; components: Int32Array } {
  const { k, d } = p;
  const out = new Float64Array(count * d);
  const comp = new Int32Array(count);
  const Ls = Array.from({ length: k }, (_, j) => linalg.cholesky(gmmCovariance(p, j), `covariance of component ${j}`));
  const z = new Float64Array(d);
  for (let i = 0; i < count; i++) {
    let u = r.uniform();
    let j = 0;
    while (j < k - 1 && u >= p.weights[j]) u -= p.weights[j++];
    comp[i] = j;
    r.normals(z);
    const y = linalg.lowerMulVec(Ls[j], z);
    for (let a = 0; a < d; a++) out[i * d + a] = p.means[j * d + a] + y[a];
  }
  return { points: { data: out, n: count, d }, components: comp };
}
