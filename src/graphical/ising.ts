/**
 * The Ising model on a small rows×cols grid (lecture 000, "mean field: Ising"):
 *
 *   E(s) = −J Σ_{(i,j) ∈ edges} s_i s_j − h Σ_i s_i,   s_i ∈ {−1, +1},
 *   p(s) = exp(−β E(s)) / Z(β),   Z(β) = Σ_s exp(−β E(s)).
 *
 * Edges are the distinct nearest-neighbour pairs (right and down; with `periodic`, wrapping
 * around the torus). A dimension of size 2 with `periodic` would list the same pair twice;
 * it is counted once, so every site of a periodic L×L grid with L ≥ 3 has z = 4 neighbours.
 *
 * `isingExact` enumerates all 2^N states (N ≤ 24); `isingGibbs` runs single-site Gibbs
 * sweeps with p(s_i = +1 | s_rest) = σ(2β(J Σ_{j~i} s_j + h)) and reports batch-means
 * standard errors. Sites are numbered row-major, i = r·cols + c.
 */
import type { Rng } from "../runtime/rng";
import { logSumExp, sigmoid } from "../math/special";

export interface IsingSpec {
  rows: number;
  cols: number;
  /** Coupling J (J > 0: ferromagnetic). Default 1. */
  J?: number;
  /** External field h. Default 0. */
  h?: number;
  /** Wrap around (torus). Default false (free boundary). */
  periodic?: boolean;
}

function checkSpec(spec: IsingSpec, where: string): { rows: number; cols: number; J: number; h: number; periodic: boolean } {
  const { rows, cols } = spec;
  if (!Number.isInteger(rows) || !Number.isInteger(cols) || rows < 1 || cols < 1) {
    throw new RangeError(`${where}: rows and cols must be positive integers; got ${rows}×${cols}.`);
  }
  const J = spec.J ?? 1;
  const h = spec.h ?? 0;
  if (!Number.isFinite(J) || !Number.isFinite(h)) throw new RangeError(`${where}: J and h must be finite; got J = ${J}, h = ${h}.`);
  return { rows, cols, J, h, periodic: spec.periodic ?? false };
}

/** The distinct nearest-neighbour pairs [i, j] (i < j) of the grid. */
export function isingEdges(spec: IsingSpec): [number, number][] {
  const { rows, cols, periodic } = checkSpec(spec, "isingEdges");
  const seen = new Set<number>();
  const out: [number, number][] = [];
  const add = (a: number, b: number) => {
    if (a === b) return;
    const i = Math.min(a, b);
    const j = Math.max(a, b);
    const key = i * rows * cols + j;
    if (seen.has(key)) return;
    seen.add(key);
    out.push([i, j]);
  };
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const i = r * cols + c;
      if (c + 1 < cols) add(i, i + 1);
      else if (periodic) add(i, r * cols);
      if (r + 1 < rows) add(i, i + cols);
      else if (periodic) add(i, c);
    }
  }
  return out;
}

/** Neighbour lists of every site (from `isingEdges`). */
export function isingNeighbors(spec: IsingSpec): number[][] {
  const n = spec.rows * spec.cols;
  const nb: number[][] = Array.from({ length: n }, () => []);
  for (const [i, j] of isingEdges(spec)) {
    nb[i].push(j);
    nb[j].push(i);
  }
  return nb;
}

/** E(s) = −J Σ_edges s_i s_j − h Σ_i s_i for spins s_i ∈ {−1, +1}. */
export function isingEnergy(spec: IsingSpec, spins: ArrayLike<number>): number {
  const { rows, cols, J, h } = checkSpec(spec, "isingEnergy");
  if (spins.length !== rows * cols) {
    throw new RangeError(`isingEnergy: expected ${rows * cols} spins for a ${rows}×${cols} grid; got ${spins.length}.`);
  }
  let e = 0;
  for (const [i, j] of isingEdges(spec)) e -= J * spins[i] * spins[j];
  for (let i = 0; i < spins.length; i++) e -= h * spins[i];
  return e;
}

export interface IsingExactResult {
  /** log Z(β). */
  logZ: number;
  /** E[m], m = (1/N) Σ_i s_i. */
  meanMagnetization: number;
  /** E[|m|] (the order parameter on a finite grid with h = 0, where E[m] = 0 by symmetry). */
  meanAbsMagnetization: number;
  /** E[m²]. */
  meanMagnetizationSq: number;
  /** E[E(s)] (total energy). */
  energy: number;
  /** E[E(s)] / N. */
  energyPerSite: number;
  /** E[s_i] per site. */
  siteMeans: Float64Array;
  /** Number of sites N and number of states 2^N. */
  sites: number;
  states: number;
}

/** Exact expectations under p(s) ∝ exp(−β E(s)) by summing over all 2^N states (N ≤ 24). */
export function isingExact(spec: IsingSpec, beta: number): IsingExactResult {
  const { rows, cols, J, h } = checkSpec(spec, "isingExact");
  const n = rows * cols;
  if (n > 24) {
    throw new RangeError(`isingExact: ${n} sites means 2^${n} states; enumeration is limited to 24 sites. Use isingGibbs for larger grids.`);
  }
  if (!Number.isFinite(beta) || beta < 0) throw new RangeError(`isingExact: beta must be a finite number ≥ 0; got ${beta}.`);
  const edges = isingEdges(spec);
  const states = 2 ** n;
  const logw = new Float64Array(states);
  const mag = new Float64Array(states);
  const en = new Float64Array(states);
  const s = new Int8Array(n);
  for (let x = 0; x < states; x++) {
    let m = 0;
    for (let i = 0; i < n; i++) {
      s[i] = (x >>> i) & 1 ? 1 : -1;
      m += s[i];
    }
    let e = -h * m;
    for (const [i, j] of edges) e -= J * s[i] * s[j];
    logw[x] = -beta * e;
    mag[x] = m / n;
    en[x] = e;
  }
  const logZ = logSumExp(logw);
  let mm = 0;
  let ma = 0;
  let m2 = 0;
  let ee = 0;
  const siteMeans = new Float64Array(n);
  for (let x = 0; x < states; x++) {
    const p = Math.exp(logw[x] - logZ);
    mm += p * mag[x];
    ma += p * Math.abs(mag[x]);
    m2 += p * mag[x] * mag[x];
    ee += p * en[x];
    for (let i = 0; i < n; i++) siteMeans[i] += p * ((x >>> i) & 1 ? 1 : -1);
  }
  return {
    logZ,
    meanMagnetization: mm,
    meanAbsMagnetization: ma,
    meanMagnetizationSq: m2,
    energy: ee,
    energyPerSite: ee / n,
    siteMeans,
    sites: n,
    states,
  };
}

export interface IsingGibbsOptions {
  /** Sweeps kept for the averages (each sweep updates every site once). Default 2000. */
  sweeps?: number;
  /** Sweeps discarded first. Default 200. */
  burnIn?: number;
  /** Initial spins (default: all +1). */
  init?: ArrayLike<number>;
  /** Number of batches for batch-means standard errors (default 20). */
  batches?: number;
}

export interface IsingGibbsResult {
  meanAbsMagnetization: number;
  /** Batch-means standard error of meanAbsMagnetization (accounts for autocorrelation). */
  se: number;
  meanMagnetization: number;
  seMagnetization: number;
  energy: number;
  seEnergy: number;
  /** |m| after each kept sweep. */
  absMagnetizationTrace: Float64Array;
  /** Final spins. */
  spins: Int8Array;
  sweeps: number;
}

function batchMeans(xs: Float64Array, batches: number): { mean: number; se: number } {
  const n = xs.length;
  let mean = 0;
  for (const x of xs) mean += x;
  mean /= n;
  const b = Math.max(2, Math.min(batches, n));
  const size = Math.floor(n / b);
  const ms: number[] = [];
  for (let k = 0; k < b; k++) {
    let s = 0;
    for (let i = k * size; i < (k + 1) * size; i++) s += xs[i];
    ms.push(s / size);
  }
  const mb = ms.reduce((a, c) => a + c, 0) / b;
  const v = ms.reduce((a, c) => a + (c - mb) ** 2, 0) / (b - 1);
  return { mean, se: Math.sqrt(v / b) };
}

/**
 * Single-site Gibbs sampling of p(s) ∝ exp(−β E(s)): each site in turn is redrawn from
 * p(s_i = +1 | s_rest) = σ(2β (J Σ_{j~i} s_j + h)).
 */
export function isingGibbs(spec: IsingSpec, beta: number, rng: Rng, opts: IsingGibbsOptions = {}): IsingGibbsResult {
  const { rows, cols, J, h } = checkSpec(spec, "isingGibbs");
  if (!Number.isFinite(beta) || beta < 0) throw new RangeError(`isingGibbs: beta must be a finite number ≥ 0; got ${beta}.`);
  const n = rows * cols;
  const sweeps = opts.sweeps ?? 2000;
  const burnIn = opts.burnIn ?? 200;
  if (!Number.isInteger(sweeps) || sweeps < 2 || !Number.isInteger(burnIn) || burnIn < 0) {
    throw new RangeError(`isingGibbs: sweeps must be an integer ≥ 2 and burnIn ≥ 0; got ${sweeps}, ${burnIn}.`);
  }
  const nb = isingNeighbors(spec);
  const edges = isingEdges(spec);
  const s = new Int8Array(n).fill(1);
  if (opts.init) {
    if (opts.init.length !== n) throw new RangeError(`isingGibbs: init has ${opts.init.length} spins, expected ${n}.`);
    for (let i = 0; i < n; i++) s[i] = opts.init[i] > 0 ? 1 : -1;
  }
  const absM = new Float64Array(sweeps);
  const m = new Float64Array(sweeps);
  const e = new Float64Array(sweeps);
  for (let t = 0; t < burnIn + sweeps; t++) {
    for (let i = 0; i < n; i++) {
      let field = h;
      for (const j of nb[i]) field += J * s[j];
      s[i] = rng.uniform() < sigmoid(2 * beta * field) ? 1 : -1;
    }
    if (t >= burnIn) {
      let sum = 0;
      for (let i = 0; i < n; i++) sum += s[i];
      let en = -h * sum;
      for (const [i, j] of edges) en -= J * s[i] * s[j];
      const k = t - burnIn;
      m[k] = sum / n;
      absM[k] = Math.abs(sum / n);
      e[k] = en;
    }
  }
  const a = batchMeans(absM, opts.batches ?? 20);
  const mm = batchMeans(m, opts.batches ?? 20);
  const ee = batchMeans(e, opts.batches ?? 20);
  return {
    meanAbsMagnetization: a.mean,
    se: a.se,
    meanMagnetization: mm.mean,
    seMagnetization: mm.se,
    energy: ee.mean,
    seEnergy: ee.se,
    absMagnetizationTrace: absM,
    spins: s,
    sweeps,
  };
}
