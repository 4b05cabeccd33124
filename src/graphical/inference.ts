/**
 * Exact inference in Bayesian networks.
 *
 * - `enumerationMarginals`: P(X_i | e) = Σ_{x consistent with e} P(x) [x_i = k] / P(e), by
 *   summing the factorized joint over every assignment (discrete networks).
 * - `variableElimination`: the same marginal by multiplying the CPT factors and summing
 *   variables out one at a time (greedy min-size order), never building the full joint.
 * - `gaussianJoint` / `conditionGaussian`: a linear-Gaussian network is one joint Gaussian;
 *   conditioning on observed nodes uses μ_{a|b} = μ_a + Σ_ab Σ_bb⁻¹ (x_b − μ_b),
 *   Σ_{a|b} = Σ_aa − Σ_ab Σ_bb⁻¹ Σ_ba.
 * - `mixedPosterior`: discrete nodes by enumeration, and for each discrete configuration
 *   the continuous nodes as a Gaussian (so continuous evidence is scored exactly).
 */
import * as linalg from "../math/linalg";
import { LOG_SQRT_2PI, logSumExp } from "../math/special";
import { type Assignment, BayesNet } from "./bayesnet";
import { type Factor, factorProduct, factorReduce, factorSumOut, makeFactor } from "./factor";

export interface MarginalsResult {
  /** P(X_i = k | e) for every unobserved discrete node. */
  marginals: Record<string, Float64Array>;
  /** P(e) (1 with no evidence). */
  evidenceProb: number;
}

function discreteNodes(net: BayesNet, where: string) {
  return net.nodes.map((n) => {
    if (n.kind !== "discrete") {
      throw new RangeError(`${where}: node ${n.name} is continuous; use mixedPosterior or conditionGaussian for networks with Gaussian nodes.`);
    }
    return n;
  });
}

function checkEvidence(net: BayesNet, evidence: Assignment, where: string): void {
  for (const [k, v] of Object.entries(evidence)) {
    const n = net.node(k);
    if (n.kind === "discrete" && (!Number.isInteger(v) || v < 0 || v >= n.card)) {
      throw new RangeError(`${where}: evidence ${k} = ${v} is not a state index 0..${n.card - 1}.`);
    }
    if (Number.isNaN(v)) throw new RangeError(`${where}: evidence ${k} is NaN.`);
  }
}

/** Exact marginals of every unobserved node given evidence, by summing the full joint. */
export function enumerationMarginals(net: BayesNet, evidence: Assignment = {}): MarginalsResult {
  const nodes = discreteNodes(net, "enumerationMarginals");
  checkEvidence(net, evidence, "enumerationMarginals");
  const free = nodes.filter((n) => !(n.name in evidence));
  const total = free.reduce((a, n) => a * n.card, 1);
  if (total > 1 << 22) throw new RangeError(`enumerationMarginals: ${total} joint states is too many to enumerate; use variableElimination.`);
  const acc: Record<string, Float64Array> = {};
  for (const n of free) acc[n.name] = new Float64Array(n.card);
  const x: Assignment = { ...evidence };
  for (const n of free) x[n.name] = 0;
  let pe = 0;
  for (let idx = 0; idx < total; idx++) {
    const p = Math.exp(net.logProb(x));
    pe += p;
    for (const n of free) acc[n.name][x[n.name]] += p;
    for (let k = free.length - 1; k >= 0; k--) {
      const n = free[k];
      if (++x[n.name] < n.card) break;
      x[n.name] = 0;
    }
  }
  if (!(pe > 0)) throw new RangeError("enumerationMarginals: the evidence has probability 0 under the network.");
  for (const k of Object.keys(acc)) acc[k] = acc[k].map((v) => v / pe);
  return { marginals: acc, evidenceProb: pe };
}

/** The CPT of each discrete node as a factor φ(x_t, x_pa(t)) = P(x_t | x_pa(t)). */
export function cptFactors(net: BayesNet): Factor[] {
  return discreteNodes(net, "cptFactors").map((n) => {
    const vars = [...n.parents, n.name];
    const card = [...n.parents.map((p) => (net.node(p) as { card: number }).card), n.card];
    const table: number[] = [];
    for (const row of n.cpt) table.push(...row);
    return makeFactor(vars, card, table, `CPT of ${n.name}`);
  });
}

/**
 * P(query | e) by variable elimination: reduce the CPT factors by the evidence, then for
 * each other variable multiply the factors that mention it and sum it out. The elimination
 * order is greedy (smallest resulting factor first) unless `order` is given.
 */
export function variableElimination(
  net: BayesNet,
  query: string,
  evidence: Assignment = {},
  order?: string[],
): { marginal: Float64Array; evidenceProb: number } {
  checkEvidence(net, evidence, "variableElimination");
  net.node(query);
  if (query in evidence) throw new RangeError(`variableElimination: the query ${query} is also in the evidence.`);
  let factors = cptFactors(net).map((f) => {
    let g = f;
    for (const [k, v] of Object.entries(evidence)) g = factorReduce(g, k, v);
    return g;
  });
  const toEliminate = net.names.filter((v) => v !== query && !(v in evidence));
  const remaining = order ? order.filter((v) => toEliminate.includes(v)) : [...toEliminate];
  if (order && remaining.length !== toEliminate.length) {
    throw new RangeError(`variableElimination: the order must list every hidden variable (${toEliminate.join(", ")}).`);
  }
  while (remaining.length) {
    let pick = 0;
    if (!order) {
      let best = Infinity;
      remaining.forEach((v, i) => {
        const scope = new Map<string, number>();
        for (const f of factors) if (f.vars.includes(v)) f.vars.forEach((u, j) => scope.set(u, f.card[j]));
        const size = [...scope.values()].reduce((a, c) => a * c, 1);
        if (size < best) {
          best = size;
          pick = i;
        }
      });
    }
    const v = remaining.splice(pick, 1)[0];
    const involved = factors.filter((f) => f.vars.includes(v));
    factors = factors.filter((f) => !f.vars.includes(v));
    if (involved.length === 0) continue;
    factors.push(factorSumOut(involved.reduce(factorProduct), v));
  }
  const joint = factors.reduce(factorProduct);
  // Only the query is left in scope (constants of empty scope were folded in by the products).
  const unnorm = reduceToQuery(joint, query);
  let pe = 0;
  for (const v of unnorm) pe += v;
  if (!(pe > 0)) throw new RangeError("variableElimination: the evidence has probability 0 under the network.");
  return { marginal: unnorm.map((v) => v / pe), evidenceProb: pe };
}

function reduceToQuery(f: Factor, query: string): Float64Array {
  let g = f;
  for (const v of f.vars) if (v !== query) g = factorSumOut(g, v);
  return g.table;
}

/** Posterior marginals of every unobserved node by variable elimination. */
export function variableEliminationMarginals(net: BayesNet, evidence: Assignment = {}): MarginalsResult {
  const marginals: Record<string, Float64Array> = {};
  let pe = 1;
  for (const name of net.names) {
    if (name in evidence) continue;
    const r = variableElimination(net, name, evidence);
    marginals[name] = r.marginal;
    pe = r.evidenceProb;
  }
  return { marginals, evidenceProb: pe };
}

// ---------------------------------------------------------------------------------------
// Gaussian networks.

export interface GaussianJoint {
  /** Names of the continuous nodes, in topological order. */
  names: string[];
  mean: Float64Array;
  /** d×d row-major covariance. */
  cov: Float64Array;
}

/**
 * The joint Gaussian of the linear-Gaussian nodes, with every discrete node fixed by
 * `discrete` (needed only in mixed networks). In topological order:
 * μ_i = b_i + Σ_j w_ij μ_j, Cov(x_i, x_k) = Σ_j w_ij Cov(x_j, x_k) (k before i),
 * Var(x_i) = Σ_{j,l} w_ij w_il Cov(x_j, x_l) + σ_i².
 */
export function gaussianJoint(net: BayesNet, discrete: Assignment = {}): GaussianJoint {
  const names = net.order.filter((n) => net.node(n).kind === "gaussian");
  const d = names.length;
  if (d === 0) throw new RangeError("gaussianJoint: the network has no Gaussian nodes.");
  const pos = new Map(names.map((n, i) => [n, i]));
  const mean = new Float64Array(d);
  const cov = new Float64Array(d * d);
  names.forEach((name, i) => {
    const n = net.node(name);
    if (n.kind !== "gaussian") return;
    let m = n.bias;
    const cw: [number, number][] = []; // (index of continuous parent, weight)
    n.parents.forEach((p, j) => {
      const pn = net.node(p);
      if (pn.kind === "discrete") {
        const v = discrete[p];
        if (!Number.isInteger(v) || v < 0 || v >= pn.card) {
          throw new RangeError(`gaussianJoint: discrete parent ${p} of ${name} needs a state index in \`discrete\`; got ${v}.`);
        }
        m += n.weights[j] * pn.values[v];
      } else {
        const k = pos.get(p) as number;
        m += n.weights[j] * mean[k];
        cw.push([k, n.weights[j]]);
      }
    });
    mean[i] = m;
    for (let k = 0; k < i; k++) {
      let c = 0;
      for (const [j, w] of cw) c += w * cov[j * d + k];
      cov[i * d + k] = c;
      cov[k * d + i] = c;
    }
    let v = n.sigma * n.sigma;
    for (const [j, wj] of cw) for (const [l, wl] of cw) v += wj * wl * cov[j * d + l];
    cov[i * d + i] = v;
  });
  return { names, mean, cov };
}

export interface GaussianPosterior extends GaussianJoint {
  /** log p(x_b) of the observed continuous values under the joint (the evidence log density). */
  logEvidence: number;
}

/** Condition a joint Gaussian on observed components: μ_{a|b}, Σ_{a|b} and log p(x_b). */
export function conditionGaussian(joint: GaussianJoint, observed: Assignment): GaussianPosterior {
  const d = joint.names.length;
  const b = joint.names.map((n, i) => [n, i] as const).filter(([n]) => n in observed).map(([, i]) => i);
  for (const k of Object.keys(observed)) {
    if (!joint.names.includes(k)) throw new RangeError(`conditionGaussian: ${k} is not a Gaussian node (${joint.names.join(", ")}).`);
  }
  const a = joint.names.map((_, i) => i).filter((i) => !b.includes(i));
  if (b.length === 0) return { ...joint, mean: joint.mean.slice(), cov: joint.cov.slice(), logEvidence: 0 };
  const nb = b.length;
  const Sbb = new Float64Array(nb * nb);
  b.forEach((i, r) => b.forEach((j, c) => (Sbb[r * nb + c] = joint.cov[i * d + j])));
  const L = linalg.cholesky(Sbb, "covariance of the observed nodes");
  const diff = Float64Array.from(b, (i) => observed[joint.names[i]] - joint.mean[i]);
  const alpha = linalg.choleskySolve(L, diff);
  const logEvidence = -0.5 * linalg.mahalanobis2(L, diff) - 0.5 * linalg.logDetFromCholesky(L) - nb * LOG_SQRT_2PI;
  const na = a.length;
  const mean = new Float64Array(na);
  const cov = new Float64Array(na * na);
  const K = a.map((i) => linalg.choleskySolve(L, Float64Array.from(b, (j) => joint.cov[i * d + j]))); // Σ_bb⁻¹ Σ_bi
  a.forEach((i, r) => {
    let m = joint.mean[i];
    b.forEach((j, c) => (m += joint.cov[i * d + j] * alpha[c]));
    mean[r] = m;
    a.forEach((k, s) => {
      let c = joint.cov[i * d + k];
      b.forEach((j, t) => (c -= joint.cov[k * d + j] * K[r][t]));
      cov[r * na + s] = c;
    });
  });
  return { names: a.map((i) => joint.names[i]), mean, cov, logEvidence };
}

export interface MixedPosterior {
  /** P(X_i = k | e) for every unobserved discrete node. */
  discrete: Record<string, Float64Array>;
  /** Posterior mean and variance of every unobserved continuous node (moments of a Gaussian mixture). */
  continuous: Record<string, { mean: number; variance: number }>;
  /** log p(e). */
  logEvidence: number;
}

/**
 * Exact posterior in a network of discrete and linear-Gaussian nodes: for each assignment
 * of the unobserved discrete nodes z, p(z, e) = P(z, e_discrete) · N(e_cont; μ(z), Σ(z)),
 * and the continuous posterior given z is Gaussian (conditionGaussian).
 */
export function mixedPosterior(net: BayesNet, evidence: Assignment = {}): MixedPosterior {
  checkEvidence(net, evidence, "mixedPosterior");
  const disc = net.nodes.filter((n) => n.kind === "discrete") as { name: string; card: number }[];
  const free = disc.filter((n) => !(n.name in evidence));
  const total = free.reduce((a, n) => a * n.card, 1);
  const contEvidence: Assignment = {};
  for (const [k, v] of Object.entries(evidence)) if (net.node(k).kind === "gaussian") contEvidence[k] = v;
  const logw: number[] = [];
  const posts: GaussianPosterior[] = [];
  const configs: Assignment[] = [];
  const z: Assignment = {};
  for (const n of disc) z[n.name] = evidence[n.name] ?? 0;
  const hasGaussian = net.nodes.some((n) => n.kind === "gaussian");
  for (let idx = 0; idx < total; idx++) {
    let lw = 0;
    for (const n of disc) lw += net.logProbNode(n.name, z);
    let post: GaussianPosterior | null = null;
    if (hasGaussian) {
      post = conditionGaussian(gaussianJoint(net, z), contEvidence);
      lw += post.logEvidence;
    }
    logw.push(lw);
    posts.push(post as GaussianPosterior);
    configs.push({ ...z });
    for (let k = free.length - 1; k >= 0; k--) {
      const n = free[k];
      if (++z[n.name] < n.card) break;
      z[n.name] = 0;
    }
  }
  const logEvidence = logSumExp(logw);
  const w = logw.map((l) => Math.exp(l - logEvidence));
  const discrete: Record<string, Float64Array> = {};
  for (const n of free) {
    discrete[n.name] = new Float64Array(n.card);
    configs.forEach((c, i) => (discrete[n.name][c[n.name]] += w[i]));
  }
  const continuous: Record<string, { mean: number; variance: number }> = {};
  if (hasGaussian) {
    posts[0].names.forEach((name, r) => {
      let m = 0;
      let m2 = 0;
      posts.forEach((p, i) => {
        const d = p.names.length;
        m += w[i] * p.mean[r];
        m2 += w[i] * (p.cov[r * d + r] + p.mean[r] ** 2);
      });
      continuous[name] = { mean: m, variance: m2 - m * m };
    });
  }
  return { discrete, continuous, logEvidence };
}

/**
 * Rejection-sampling estimate of P(query = value | evidence) from ancestral samples: keep
 * the samples that match the (discrete) evidence and count; the standard error is the
 * binomial √(p̂(1 − p̂)/accepted).
 */
export function conditionalFrequency(
  samples: Record<string, Float64Array>,
  query: string,
  value: number,
  evidence: Assignment = {},
): { estimate: number; se: number; accepted: number } {
  const q = samples[query];
  if (!q) throw new RangeError(`conditionalFrequency: no samples of ${query}.`);
  for (const k of Object.keys(evidence)) if (!samples[k]) throw new RangeError(`conditionalFrequency: no samples of evidence node ${k}.`);
  let acc = 0;
  let hit = 0;
  for (let i = 0; i < q.length; i++) {
    let ok = true;
    for (const [k, v] of Object.entries(evidence)) if (samples[k][i] !== v) { ok = false; break; }
    if (!ok) continue;
    acc++;
    if (q[i] === value) hit++;
  }
  if (acc < 2) throw new RangeError(`conditionalFrequency: only ${acc} samples match the evidence; draw more samples.`);
  const p = hit / acc;
  return { estimate: p, se: Math.sqrt(Math.max(p * (1 - p), 1 / acc) / acc), accepted: acc };
}
