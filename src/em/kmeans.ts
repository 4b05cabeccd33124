/**
 * K-means (lecture 003, "a running example of EM: K-means"): centres θ = {c_1..c_k},
 * assignments z_i ∈ {1..k}, objective (inertia, the reconstruction loss of K-means as an
 * autoencoder)
 *
 *   J(θ, z) = Σ_i ‖x_i − c_{z_i}‖²,
 *
 * minimized by coordinate descent, Lloyd's algorithm:
 *   E-step (assignment)  z_i ← argmin_j ‖x_i − c_j‖²        (ties: smallest j)
 *   M-step (update)      c_j ← (1/n_j) Σ_{i: z_i = j} x_i
 * Neither step can increase J, so the inertia trace is non-increasing.
 *
 * `algorithm: "elkan-batched"` (default with the tfjs engine) and "hamerly" (see kmeansHamerly.ts:
 * the bound tests of Elkan or Hamerly; points with a few candidate centres are searched one exact
 * distance at a time, the rest in one batched certified product) and `algorithm: "elkan"` give
 * exactly the same labels and centres as plain Lloyd from the same initial centres, but skip
 * distances that the triangle inequality rules out (Elkan 2003: an upper bound
 * u_i ≥ ‖x_i − c_{z_i}‖, lower bounds l_ij ≤ ‖x_i − c_j‖, and ‖x − c_j‖ ≥ ‖c_{z_i} − c_j‖ − ‖x − c_{z_i}‖).
 * Bounds carry a relative safety margin of 1e-9, far above double rounding, so pruning never
 * drops the true nearest centre. Every exact distance, in every variant, is `sqDist`'s number
 * (from `SqDistKernel`, a WebAssembly SIMD loop with the same arithmetic), and the cluster sums
 * S_j are kept there too, one point moved at a time in index order; so the variants agree bit
 * for bit.
 *
 * Convergence follows scikit-learn: stop when the labels do not change ("labels-unchanged")
 * or when Σ_j ‖c_j^{t+1} − c_j^t‖² ≤ tol · mean_j Var(x_j) ("tolerance"); otherwise after
 * maxIterations. Unless labels were unchanged, a final E-step makes labels match the centres.
 *
 * Empty clusters: the centre is re-seeded at the point farthest from its own centre (the
 * worst-explained point, as scikit-learn does) and a warning is issued; the inertia still does
 * not increase (removing a point from a cluster cannot increase its within-cluster sum of squares).
 */
import { loopSignal, throwIfAborted, yielder } from "../runtime/abort";
import { Rng, rng as makeRng } from "../runtime/rng";
import { checkBoolean, checkFunction, checkOneOf, checkOptions, failInput } from "../runtime/validate";
import { type PointSet, type PointsLike, pointStats, sqDist, toPointSet } from "./points";
import { checkK, kMeansPlusPlus, randomCentres } from "./kmeansInit";
import {
  type Assignment,
  type DistanceEngine,
  GemmDistances,
  certifiedAssign,
  chooseEngine,
  exactAssign,
} from "./kmeansDistances";
import {
  type CentreBounds,
  type HamerlyBounds,
  centreCandidates,
  elkanSearch,
  halfCentreDistances,
  hamerlyAssign,
  newCentreBounds,
  anyBelow,
  setLowerShift,
  updateCentreBounds,
  updateHamerlyBounds,
} from "./kmeansHamerly";
import { SqDistKernel } from "./sqDistKernel";

export type KMeansInit = "k-means++" | "random" | Float64Array | readonly (readonly number[])[];

export type KMeansAlgorithm = "hamerly" | "elkan-batched" | "elkan" | "lloyd";

export interface KMeansOptions {
  /** Number of clusters. */
  k: number;
  /** "k-means++" (default), "random", or explicit initial centres (k × d). */
  init?: KMeansInit;
  /** Randomness for the initialization (default `rng()`: LATENTLAB_SEED or 42). */
  rng?: Rng;
  /** Independent initializations; the run with the lowest final inertia is returned (default 1). */
  restarts?: number;
  /** Default 300. */
  maxIterations?: number;
  /** Relative tolerance on the total squared centre shift, scaled by the mean variance (default 1e-4). */
  tol?: number;
  /**
   * "elkan-batched" (Elkan's k lower bounds per point; the points that need a search get all k
   * distances in one batched product), "hamerly" (one lower bound per point, batched searches),
   * "elkan" (k lower bounds, distances one by one) or "lloyd" (every distance every iteration).
   * All give the same labels, centres and iteration count. Default: "elkan-batched" when the
   * distance engine is "tfjs", otherwise "elkan".
   */
  algorithm?: KMeansAlgorithm;
  /** How the all-pairs distances are computed: "auto" (default), "tfjs", "js" or "exact". */
  engine?: DistanceEngine | "auto";
  /**
   * 2 (default): on the wasm backend a helper thread computes half of every product of ≥ 2048
   * points (see productHelper.ts); 1: everything on this thread. Results are identical.
   */
  threads?: 1 | 2;
  /** Keep centres and labels of every iteration in `history` (for step-by-step figures). */
  recordHistory?: boolean;
  /** Stop early (in addition to the kernel interrupt). */
  signal?: AbortSignal;
  /** Where warnings go (default console.warn); they are also kept in `warnings`. */
  onWarning?: (message: string) => void;
  /** Called after every iteration. */
  onIteration?: (it: KMeansIteration) => void;
}

export interface KMeansIteration {
  /** 0-based iteration number. */
  iteration: number;
  /** J(θ_t, z_t): inertia of this iteration's assignment with the centres it was made with. */
  inertia: number;
  /** Σ_j ‖c_j^{t+1} − c_j^t‖². */
  shift: number;
  /** Points whose label changed in this E-step. */
  changed: number;
  /** Exact point–centre distances computed in this E-step (n·k for plain Lloyd). */
  distanceComputations: number;
  /** Wall time of the iteration in ms. */
  ms: number;
}

export interface KMeansSnapshot {
  centres: Float64Array;
  labels: Int32Array;
  inertia: number;
}

export interface KMeansResult {
  k: number;
  d: number;
  /** Final centres, k × d row-major. */
  centres: Float64Array;
  /** Label of each point under the final centres. */
  labels: Int32Array;
  /** Points per cluster (cluster frequencies, for sampling). */
  counts: Int32Array;
  /** Final inertia Σ_i ‖x_i − c_{z_i}‖², computed exactly. */
  inertia: number;
  /** J(θ_t, z_t) per iteration (non-increasing). */
  inertiaHistory: number[];
  iterations: number;
  stop: "labels-unchanged" | "tolerance" | "max-iterations";
  log: KMeansIteration[];
  /** The absolute tolerance used: tol · mean variance. */
  tolAbs: number;
  initialCentres: Float64Array;
  algorithm: KMeansAlgorithm;
  engine: DistanceEngine;
  warnings: string[];
  /** Final inertia of every restart (the best is returned). */
  restartInertias: number[];
  /** Per-iteration centres (used for the assignment) and labels, when recordHistory is set. */
  history?: KMeansSnapshot[];
}

const E = 1e-9;

/** Centres as a Float64Array k × d, validated. */
function centresFrom(init: Float64Array | readonly (readonly number[])[], k: number, d: number): Float64Array {
  const flat = init instanceof Float64Array ? Float64Array.from(init) : Float64Array.from((init as number[][]).flat());
  if (flat.length !== k * d) {
    throw new RangeError(`kMeans: initial centres have ${flat.length} numbers, expected k × d = ${k} × ${d}.`);
  }
  for (let t = 0; t < flat.length; t++) {
    if (!Number.isFinite(flat[t])) throw new RangeError(`kMeans: initial centre ${Math.floor(t / d)} has a non-finite coordinate.`);
  }
  return flat;
}

const KMEANS_OPTION_KEYS = [
  "k",
  "init",
  "rng",
  "restarts",
  "maxIterations",
  "tol",
  "algorithm",
  "engine",
  "threads",
  "recordHistory",
  "signal",
  "onWarning",
  "onIteration",
];

/** Options as JavaScript may pass them: known keys, known enumerations, an Rng (InputError otherwise). */
function checkKMeansOptions(opts: unknown): void {
  if (opts === undefined) failInput("kMeans", "options", "an object with at least k (e.g. { k: 16 })", opts);
  const o = checkOptions<KMeansOptions>("kMeans", opts, KMEANS_OPTION_KEYS);
  if (o.engine !== undefined) checkOneOf("kMeans", "options.engine", o.engine, ["auto", "tfjs", "js", "exact"] as const);
  if (o.algorithm !== undefined) checkOneOf("kMeans", "options.algorithm", o.algorithm, ["elkan-batched", "hamerly", "elkan", "lloyd"] as const);
  if (typeof o.init === "string") checkOneOf("kMeans", "options.init", o.init, ["k-means++", "random"] as const, "or pass the initial centres (k rows of d numbers)");
  else if (o.init !== undefined && !(o.init instanceof Float64Array) && !Array.isArray(o.init)) {
    failInput("kMeans", "options.init", '"k-means++", "random", or the initial centres (a Float64Array of k·d numbers or k rows of d numbers)', o.init);
  }
  if (o.rng !== undefined && !(o.rng instanceof Rng)) failInput("kMeans", "options.rng", "an Rng (e.g. rng(0))", o.rng);
  if (o.threads !== undefined) checkOneOf("kMeans", "options.threads", o.threads, [1, 2] as const);
  if (o.recordHistory !== undefined) checkBoolean("kMeans", "options.recordHistory", o.recordHistory);
  for (const f of ["onWarning", "onIteration"] as const) if (o[f] !== undefined) checkFunction("kMeans", `options.${f}`, o[f]);
}

/**
 * Run K-means (Lloyd's algorithm, by default accelerated by Elkan's bounds with batched searches) with `restarts` initializations
 * and return the best by final inertia. Deterministic given the seed of `opts.rng`.
 */
export async function kMeans(points: PointsLike, opts: KMeansOptions): Promise<KMeansResult> {
  checkKMeansOptions(opts);
  const ps = toPointSet(points, "kMeans", false);
  const { k } = opts;
  checkK(k, ps.n, "kMeans");
  const restarts = opts.restarts ?? 1;
  if (!Number.isInteger(restarts) || restarts < 1) throw new RangeError(`kMeans: restarts = ${restarts} must be a positive integer.`);
  const maxIterations = opts.maxIterations ?? 300;
  if (!Number.isInteger(maxIterations) || maxIterations < 1) throw new RangeError(`kMeans: maxIterations = ${maxIterations} must be a positive integer.`);
  const tol = opts.tol ?? 1e-4;
  if (!(tol >= 0)) throw new RangeError(`kMeans: tol = ${tol} must be ≥ 0.`);
  const init = opts.init ?? "k-means++";
  if (typeof init !== "string" && restarts > 1) {
    throw new RangeError("kMeans: explicit initial centres with restarts > 1 would repeat the same run; use restarts: 1.");
  }
  const stats = pointStats(ps, "kMeans"); // also the finiteness check
  const r = opts.rng ?? makeRng();
  const engine = await chooseEngine(ps, k, opts.engine ?? "auto");
  const threads = opts.threads ?? 2;
  if (threads !== 1 && threads !== 2) throw new RangeError(`kMeans: threads = ${threads} must be 1 or 2.`);
  // Batched searches pay off with a fast product (tfjs); with plain JS products Elkan's one-by-one
  // distances are faster (measured: 3.2 s vs 4.6 s on the tfjs-cpu backend, MNIST k = 64).
  const algorithm: KMeansAlgorithm = opts.algorithm ?? (engine === "tfjs" ? "elkan-batched" : "elkan");
  const kern = new SqDistKernel(ps, k, { bounds: algorithm === "elkan" || algorithm === "elkan-batched" });
  const tolAbs = tol * stats.meanVariance;
  let gemm: GemmDistances | null = null;
  try {
    gemm = engine === "exact" ? null : new GemmDistances(ps, engine, stats, { threads });
    let best: KMeansResult | null = null;
    const inertias: number[] = [];
    for (let s = 0; s < restarts; s++) {
      const c0 =
        init === "k-means++"
          ? kMeansPlusPlus(ps, k, r, kern)
          : init === "random"
            ? randomCentres(ps, k, r)
            : centresFrom(init, k, ps.d);
      const res = await lloyd(ps, c0, { ...opts, algorithm, maxIterations, tolAbs, engine, gemm, kern, sumSq: stats.sumSq });
      inertias.push(res.inertia);
      if (!best || res.inertia < best.inertia) best = res;
    }
    best!.restartInertias = inertias;
    return best!;
  } finally {
    gemm?.dispose();
    kern.dispose();
  }
}

interface RunOptions extends KMeansOptions {
  algorithm: KMeansAlgorithm;
  maxIterations: number;
  tolAbs: number;
  engine: DistanceEngine;
  gemm: GemmDistances | null;
  kern: SqDistKernel;
  /** Σ_i ‖x_i‖². */
  sumSq: number;
}

/** One K-means run from given initial centres. */
async function lloyd(ps: PointSet, init: Float64Array, o: RunOptions): Promise<KMeansResult> {
  const { n, d } = ps;
  const { k, gemm, kern, algorithm } = o;
  const warnings: string[] = [];
  const warn = (m: string) => {
    warnings.push(m);
    (o.onWarning ?? console.warn)(m);
  };
  const signal = loopSignal(o.signal);
  const maybeYield = yielder();

  let centres: Float64Array = Float64Array.from(init);
  let spare: Float64Array = new Float64Array(k * d);
  const { sumSq } = o;
  const sums = kern.sums; // S_j, kept by kern.movePoint
  // The kernel is shared by every restart: start each run from empty clusters (labels all −1),
  // or a restart would inherit the previous run's sums and compute wrong centres.
  sums.fill(0);
  const counts = new Int32Array(k);
  const labels = new Int32Array(n).fill(-1); // the state that sums/counts describe
  let prevAssign: Int32Array | null = null;
  // Bounds of the accelerated variants: Hamerly's, or Elkan's (also used by batched Elkan).
  const hb: HamerlyBounds | null = algorithm === "hamerly" ? { upper: new Float64Array(n).fill(Infinity), lower: new Float64Array(n) } : null;
  const cb: CentreBounds | null = algorithm === "elkan" || algorithm === "elkan-batched" ? newCentreBounds(n, k, kern) : null;
  const inertiaHistory: number[] = [];
  const log: KMeansIteration[] = [];
  const history: KMeansSnapshot[] = [];
  let stop: KMeansResult["stop"] = "max-iterations";
  let iterations = 0;
  let exactTotal = 0;

  const fullAssign = (c: Float64Array): Assignment => (gemm ? certifiedAssign(ps, c, k, gemm, kern) : exactAssign(ps, c, k, kern));

  /** E-step; returns the new labels (does not touch the state). */
  const assign = (c: Float64Array, first: boolean): { z: Int32Array; computed: number } => {
    if (algorithm === "hamerly") return hamerlyAssign(ps, c, k, labels, hb!, gemm, kern);
    if (algorithm === "elkan-batched") return hamerlyAssign(ps, c, k, labels, cb!, gemm, kern);
    // Hybrid: while centres still move a lot, one matrix product beats many pruned distances.
    const full = algorithm !== "elkan" || first || (gemm !== null && elkanWorkEstimate(kern, c, k, labels, cb!) > (n * k) / 16);
    if (full) {
      const a = fullAssign(c);
      if (cb) {
        // Fresh bounds for every point: exact (or certified) distances, offsets back to 0.
        cb.upper = a.dist;
        cb.lower.set(a.lower);
        cb.offset.fill(0);
      }
      return { z: a.labels, computed: a.exactComputations };
    }
    return elkanAssign(kern, c, k, labels, cb!);
  };

  /** Move the state to labels z (sums and counts updated point by point, in index order). */
  const applyLabels = (z: Int32Array): number => {
    return moveLabels(kern, z, labels, counts);
  };

  /** Re-seed empty clusters at the worst-explained points; returns the points moved. */
  const relocateEmpty = (c: Float64Array, iteration: number): number[] => {
    const empty: number[] = [];
    for (let j = 0; j < k; j++) if (counts[j] === 0) empty.push(j);
    if (empty.length === 0) return [];
    const dist = new Float64Array(n);
    kern.setCentres(c);
    for (let i = 0; i < n; i++) dist[i] = kern.pc(i, labels[i]);
    const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => dist[b] - dist[a] || a - b);
    const moved: number[] = [];
    let p = 0;
    for (const j of empty) {
      while (p < n && counts[labels[order[p]]] <= 1) p++;
      if (p >= n) {
        warn(`kMeans: cluster ${j} is empty at iteration ${iteration} and no point can be moved to it; its centre stays where it was.`);
        continue;
      }
      const i = order[p++];
      const z = new Int32Array(labels);
      z[i] = j;
      applyLabels(z);
      moved.push(i);
      warn(
        `kMeans: cluster ${j} became empty at iteration ${iteration}; re-seeded at point ${i}, the point farthest from its centre ` +
          `(squared distance ${dist[i].toPrecision(4)}). Empty clusters mean k is large for the data or duplicate initial centres.`,
      );
    }
    return moved;
  };

  for (let it = 0; it < o.maxIterations; it++) {
    const t0 = performance.now();
    throwIfAborted(signal, `at K-means iteration ${it}`);
    const { z, computed } = assign(centres, it === 0);
    exactTotal += computed;
    const changed = applyLabels(z);
    const inertia = inertiaOfState(centres, sums, counts, sumSq, d);
    inertiaHistory.push(inertia);
    if (o.recordHistory) history.push({ centres: Float64Array.from(centres), labels: Int32Array.from(z), inertia });
    const moved = relocateEmpty(centres, it);
    // M-step into the spare buffer (the two swap every iteration), and how far each centre moved.
    const next = mStep(spare, centres, sums, counts, d);
    const drift = new Float64Array(k);
    const shift = centreDrift(next, centres, d, drift);
    // Elkan and batched Elkan keep the same per-centre bounds; Hamerly keeps one lower bound per point.
    if (hb) updateHamerlyBounds(labels, hb, drift, moved);
    else if (cb) updateCentreBounds(labels, cb, drift, moved);
    const unchanged = prevAssign !== null && equalLabels(prevAssign, z);
    prevAssign = z;
    spare = centres;
    centres = next;
    iterations = it + 1;
    const entry = { iteration: it, inertia, shift, changed, distanceComputations: computed, ms: performance.now() - t0 };
    log.push(entry);
    o.onIteration?.(entry);
    if (unchanged) {
      stop = "labels-unchanged";
      break;
    }
    if (shift <= o.tolAbs) {
      stop = "tolerance";
      break;
    }
    await maybeYield();
  }
  if (stop !== "labels-unchanged") {
    const { z, computed } = assign(centres, false);
    exactTotal += computed;
    applyLabels(z);
  }
  let inertia = 0;
  kern.setCentres(centres);
  for (let i = 0; i < n; i++) inertia += kern.pc(i, labels[i]);
  return {
    k,
    d,
    centres,
    labels: Int32Array.from(labels),
    counts: Int32Array.from(counts),
    inertia,
    inertiaHistory,
    iterations,
    stop,
    log,
    tolAbs: o.tolAbs,
    initialCentres: Float64Array.from(init),
    algorithm,
    engine: o.engine,
    warnings,
    restartInertias: [inertia],
    history: o.recordHistory ? history : undefined,
  };
}

/*
 * The loops of an iteration are module-level functions rather than closures made per run: V8's
 * optimized code for them then survives from one K-means run to the next (closures made per run
 * are dropped by a garbage collection, and their optimized code with them).
 */

/** J(c, state) = Σ‖x‖² − 2 Σ_j c_j·S_j + Σ_j n_j ‖c_j‖², from the cluster sums S_j and counts n_j. */
function inertiaOfState(c: Float64Array, sums: Float64Array, counts: Int32Array, sumSq: number, d: number): number {
  let j2 = sumSq;
  for (let j = 0; j < counts.length; j++) {
    let cs = 0;
    let cc = 0;
    for (let t = 0; t < d; t++) {
      cs += c[j * d + t] * sums[j * d + t];
      cc += c[j * d + t] * c[j * d + t];
    }
    j2 += -2 * cs + counts[j] * cc;
  }
  return Math.max(0, j2);
}

/** M-step into `next`: c_j = S_j / n_j, or the old centre for an empty cluster; returns `next`. */
function mStep(next: Float64Array, centres: Float64Array, sums: Float64Array, counts: Int32Array, d: number): Float64Array {
  for (let j = 0; j < counts.length; j++) {
    if (counts[j] === 0) next.set(centres.subarray(j * d, (j + 1) * d), j * d);
    else for (let t = 0; t < d; t++) next[j * d + t] = sums[j * d + t] / counts[j];
  }
  return next;
}

/** drift_j = ‖c_j^{t+1} − c_j^t‖ into `drift`; returns Σ_j drift_j² (scikit-learn's shift). */
function centreDrift(next: Float64Array, centres: Float64Array, d: number, drift: Float64Array): number {
  let shift = 0;
  for (let j = 0; j < drift.length; j++) {
    const e = sqDist(next, j * d, centres, j * d, d);
    shift += e;
    drift[j] = Math.sqrt(e);
  }
  return shift;
}

/** Move points from labels to z, updating the cluster sums S_j (in `kern`) and counts n_j, in index order; returns how many moved. */
function moveLabels(kern: SqDistKernel, z: Int32Array, labels: Int32Array, counts: Int32Array): number {
  let changed = 0;
  for (let i = 0; i < labels.length; i++) {
    const a = labels[i];
    const b = z[i];
    if (a === b) continue;
    changed++;
    if (a >= 0) counts[a]--;
    counts[b]++;
    kern.movePoint(i, a, b);
    labels[i] = b;
  }
  return changed;
}

/** Pairs (i, j) that Elkan's test cannot prune with the current (untightened) bounds. */
function elkanWorkEstimate(kern: SqDistKernel, c: Float64Array, k: number, labels: Int32Array, b: CentreBounds): number {
  kern.setCentres(c);
  const { half, s } = halfCentreDistances(kern, k);
  let count = 0;
  for (let i = 0; i < labels.length; i++) {
    const u = b.upper[i];
    const a = labels[i];
    if (u < s[a]) continue;
    count += 1 + centreCandidates(b, half, k, i, a, u, k);
  }
  return count;
}

function equalLabels(a: Int32Array, b: Int32Array): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}


/**
 * Elkan's E-step. State: labels z (current), upper u_i, stored lower bounds L_ij = l_ij + D_j
 * (valid for the centres `c`). A point is skipped when u_i < s_{z_i}, or when every centre
 * j ≠ z_i has max(l_ij, ½‖c_{z_i} − c_j‖) > u_i (then ‖x_i − c_j‖ > ‖x_i − c_{z_i}‖); otherwise
 * u_i is made exact and the point searched with `elkanSearch`.
 */
function elkanAssign(kern: SqDistKernel, c: Float64Array, k: number, labels: Int32Array, b: CentreBounds): { z: Int32Array; computed: number } {
  const { upper } = b;
  kern.setCentres(c);
  const { half, s } = halfCentreDistances(kern, k);
  setLowerShift(kern, b);
  const z = new Int32Array(labels);
  const found = { label: 0, u: 0 };
  const cand = new Int32Array(k);
  let computed = 0;
  for (let i = 0; i < z.length; i++) {
    const a = z[i];
    const u = upper[i];
    if (u + E * (u + s[a]) < s[a] || !anyBelow(kern, b, k, i, a, u)) continue;
    const uSq = kern.pc(i, a);
    const uExact = Math.sqrt(uSq);
    const count = centreCandidates(b, half, k, i, a, uExact, k, cand);
    computed += 1 + elkanSearch(kern, i, a, uExact, uSq, k, half, b, cand, count, found);
    z[i] = found.label;
    upper[i] = found.u;
  }
  return { z, computed };
}
