/**
 * Mean field for the Ising model (lecture 000, "mean field approximation: Ising model").
 *
 * With q(s) = Π_i q_i(s_i) and m_i = E_q[s_i], coordinate ascent on the ELBO gives
 *   m_i = tanh(β (J Σ_{j∼i} m_j + h)),
 * and for a homogeneous lattice with coordination number z the single equation
 *   m = tanh(β (z J m + h)),
 * which has a non-zero solution (at h = 0) only for β > β_c^MF = 1/(zJ) (= 1/4 on the square
 * lattice). The exact 2-D critical point is β_c = ln(1 + √2)/2 ≈ 0.44069 (Onsager).
 */
import { isingEdges, isingNeighbors, type IsingSpec } from "../graphical/ising";
import type { Rng } from "../runtime/rng";

/** Exact critical inverse temperature of the 2-D square-lattice Ising model (J = 1): ln(1 + √2)/2. */
export const ISING_BETA_C_EXACT_2D = Math.log(1 + Math.SQRT2) / 2;

/** Mean-field critical inverse temperature β_c = 1/(z J) (1/4 for the square lattice, J = 1). */
export function meanFieldCriticalBeta(z = 4, J = 1): number {
  if (!(z > 0) || !(J > 0)) throw new RangeError(`meanFieldCriticalBeta: need z > 0 and J > 0, got z=${z}, J=${J}.`);
  return 1 / (z * J);
}

/**
 * Onsager/Yang spontaneous magnetization of the infinite 2-D square lattice:
 *   M(β) = (1 − sinh(2βJ)^{−4})^{1/8} for β > β_c, else 0.
 */
export function onsagerMagnetization(beta: number, J = 1): number {
  if (!Number.isFinite(beta) || beta < 0) throw new RangeError(`onsagerMagnetization: beta must be ≥ 0, got ${beta}.`);
  const sh = Math.sinh(2 * beta * J);
  const inner = 1 - Math.pow(sh, -4);
  return inner > 0 ? Math.pow(inner, 1 / 8) : 0;
}

export interface MeanFieldIsingOptions {
  /** Starting magnetization (default 1: the ordered branch). */
  m0?: number;
  /** Stop when |m_{t+1} − m_t| < tol (default 1e-13). */
  tol?: number;
  /** Iteration cap (default 1e6; convergence is slow only right at β_c). */
  maxIter?: number;
}

export interface MeanFieldIsingResult {
  m: number;
  iterations: number;
  converged: boolean;
}

/**
 * Homogeneous mean field: iterate m ← tanh(β (z J m + h)) from m0 to a fixed point.
 * `params.z` is the coordination number (4 on the square lattice).
 */
export function meanFieldIsing(params: { J?: number; h?: number; z?: number }, beta: number, opts: MeanFieldIsingOptions = {}): MeanFieldIsingResult {
  const J = params.J ?? 1;
  const h = params.h ?? 0;
  const z = params.z ?? 4;
  if (![J, h, z].every(Number.isFinite) || !(z > 0)) throw new RangeError(`meanFieldIsing: J, h must be finite and z > 0; got J=${J}, h=${h}, z=${z}.`);
  if (!Number.isFinite(beta) || beta < 0) throw new RangeError(`meanFieldIsing: beta must be a finite number ≥ 0, got ${beta}.`);
  const tol = opts.tol ?? 1e-13;
  const maxIter = opts.maxIter ?? 1_000_000;
  let m = opts.m0 ?? 1;
  if (!(Math.abs(m) <= 1)) throw new RangeError(`meanFieldIsing: m0 must lie in [−1, 1], got ${m}.`);
  for (let t = 1; t <= maxIter; t++) {
    const next = Math.tanh(beta * (z * J * m + h));
    if (Math.abs(next - m) < tol) return { m: next, iterations: t, converged: true };
    m = next;
  }
  return { m, iterations: maxIter, converged: false };
}

export interface MeanFieldLatticeOptions {
  /** Initial site magnetizations: a number for all sites, or one per site (default 1). */
  init?: number | ArrayLike<number>;
  /** Random initial magnetizations in [−1, 1] instead (uses this rng). */
  rng?: Rng;
  /** Maximum sweeps (default 10,000). */
  maxSweeps?: number;
  /** Stop when no site moves more than tol in a sweep (default 1e-12). */
  tol?: number;
}

export interface MeanFieldLatticeResult {
  /** Site magnetizations m_i = E_q[s_i]. */
  m: Float64Array;
  /** (1/N) Σ_i m_i. */
  meanMagnetization: number;
  /** ELBO(q) after each sweep (a lower bound on log Z that never decreases). */
  elboTrace: number[];
  /** Final ELBO ≤ log Z(β). */
  elbo: number;
  sweeps: number;
  converged: boolean;
}

/**
 * ELBO of a factorized q with magnetizations m, for p(s) ∝ exp(−β E(s)):
 *   ELBO = β (J Σ_{(i,j)} m_i m_j + h Σ_i m_i) + Σ_i H₂((1 + m_i)/2) ≤ log Z(β),
 * H₂ the binary entropy in nats.
 */
export function meanFieldIsingElbo(spec: IsingSpec, beta: number, m: ArrayLike<number>): number {
  const J = spec.J ?? 1;
  const h = spec.h ?? 0;
  const n = spec.rows * spec.cols;
  if (m.length !== n) throw new RangeError(`meanFieldIsingElbo: ${m.length} magnetizations for ${n} sites.`);
  let energy = 0;
  for (const [i, j] of isingEdges(spec)) energy += J * m[i] * m[j];
  let ent = 0;
  for (let i = 0; i < n; i++) {
    energy += h * m[i];
    const p = (1 + m[i]) / 2;
    if (p > 0 && p < 1) ent -= p * Math.log(p) + (1 - p) * Math.log(1 - p);
  }
  return beta * energy + ent;
}

/**
 * Site-wise mean field on a finite lattice: sweep m_i ← tanh(β (J Σ_{j∼i} m_j + h)) site by
 * site (each update is the exact coordinate-ascent step for q_i, so the ELBO never decreases).
 */
export function meanFieldIsingLattice(spec: IsingSpec, beta: number, opts: MeanFieldLatticeOptions = {}): MeanFieldLatticeResult {
  if (!Number.isFinite(beta) || beta < 0) throw new RangeError(`meanFieldIsingLattice: beta must be a finite number ≥ 0, got ${beta}.`);
  const nb = isingNeighbors(spec);
  const n = nb.length;
  const J = spec.J ?? 1;
  const h = spec.h ?? 0;
  const m = new Float64Array(n);
  if (opts.rng) for (let i = 0; i < n; i++) m[i] = 2 * opts.rng.uniform() - 1;
  else if (typeof opts.init === "number" || opts.init === undefined) m.fill(opts.init ?? 1);
  else {
    if (opts.init.length !== n) throw new RangeError(`meanFieldIsingLattice: init has ${opts.init.length} values for ${n} sites.`);
    for (let i = 0; i < n; i++) m[i] = opts.init[i];
  }
  if (!m.every((v) => Math.abs(v) <= 1)) throw new RangeError(`meanFieldIsingLattice: initial magnetizations must lie in [−1, 1].`);
  const maxSweeps = opts.maxSweeps ?? 10_000;
  const tol = opts.tol ?? 1e-12;
  const elboTrace: number[] = [];
  let converged = false;
  let sweeps = 0;
  while (sweeps < maxSweeps) {
    sweeps++;
    let moved = 0;
    for (let i = 0; i < n; i++) {
      let field = h;
      for (const j of nb[i]) field += J * m[j];
      const next = Math.tanh(beta * field);
      moved = Math.max(moved, Math.abs(next - m[i]));
      m[i] = next;
    }
    elboTrace.push(meanFieldIsingElbo(spec, beta, m));
    if (moved < tol) {
      converged = true;
      break;
    }
  }
  let mean = 0;
  for (let i = 0; i < n; i++) mean += m[i];
  return { m, meanMagnetization: mean / n, elboTrace, elbo: elboTrace[elboTrace.length - 1], sweeps, converged };
}
