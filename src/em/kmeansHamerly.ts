/**
 * Hamerly's K-means E-step (Hamerly 2010, "Making k-means even faster"): exactly Lloyd's
 * assignment z_i = argmin_j ‖x_i − c_j‖² (ties: smallest j), with two bounds per point,
 *
 *   u_i ≥ ‖x_i − c_{z_i}‖,      l_i ≤ min_{j ≠ z_i} ‖x_i − c_j‖,
 *
 * and s_j = ½ min_{j' ≠ j} ‖c_j − c_{j'}‖. Point i keeps its label when u_i < max(s_{z_i}, l_i):
 * by the triangle inequality ‖x_i − c_j‖ ≥ 2 s_{z_i} − u_i > u_i, and ‖x_i − c_j‖ ≥ l_i > u_i,
 * for every j ≠ z_i. Otherwise u_i is tightened to the exact distance and the test repeated;
 * the points that still fail get all k distances in ONE batched product (rows gathered, the
 * certified ‖x‖² − 2x·c + ‖c‖² expansion of `GemmDistances` with error bound m_ij). When a single
 * centre's interval [d̃² − m, d̃² + m] reaches below the smallest upper end it is the strict
 * nearest and no exact distance is needed (u_i = √(d̃² + m)); otherwise every centre the error
 * bound cannot rule out is recomputed exactly (the `sqDist` arithmetic), so labels are exactly
 * those of brute force. The new l_i (or l_ij) are √max(0, d̃² − m), or exact where computed.
 *
 * After the centres move by δ_j: u_i += δ_{z_i}, l_i −= max_{j ≠ z_i} δ_j. Every bound carries a
 * relative safety margin E = 1e-9, far above double rounding.
 *
 * With `perCentre` (kMeans's "elkan-batched") the single l_i is replaced by Elkan's k bounds
 * l_ij ≤ ‖x_i − c_j‖ (each decreased by its own centre's drift δ_j, so they stay much tighter): the
 * point is searched only if some j ≠ z_i has max(l_ij, ½‖c_{z_i} − c_j‖) ≤ u_i. A point with at
 * most `ONE_BY_ONE` such candidates is searched the Elkan way, one exact distance per candidate
 * (after the first few iterations nearly every searched point has exactly one); the others share
 * the batched product, which refreshes all k bounds of a point at once.
 *
 * The per-centre bounds are stored lazily (Elkan's offsets): the array holds L_ij = l_ij + D_j,
 * where D_j is the total drift of centre j so far, and l_ij = L_ij − D_j − E(L_ij + D_j) is read
 * back; so a centre update costs O(k), not O(nk). A searched point's candidates are listed once
 * (with the exact u_i) and the search visits only them: a centre ruled out for the label it starts
 * from stays ruled out as better centres are found.
 *
 * Exact distances come from `SqDistKernel` (WebAssembly SIMD, bit-identical to `sqDist`).
 */
import type { PointSet } from "./points";
import type { GemmDistances } from "./kmeansDistances";
import type { SqDistKernel } from "./sqDistKernel";

const E = 1e-9;
/** Above this fraction of points needing a full search, the product runs over all resident points. */
const FULL_FRACTION = 0.85;
/**
 * A point with at most this many candidate centres is searched one exact distance at a time: one
 * row of the batched product costs about as much as 10 exact distances (MNIST: ~3 µs for the
 * row's 64 products against ~0.25 µs per `SqDistKernel` distance).
 */
export const ONE_BY_ONE = 6;

/** u·R: a centre whose lower bound exceeds it is farther than u, with the safety margin (zb(1 − E) > u(1 + E)). */
const R = (1 + E) / (1 - E);

/** A lower bound from its stored form L = l + D (see the module comment), with the safety margin. */
export function lowerOf(L: number, D: number): number {
  return L - D - E * (L + D);
}

/** Hamerly's state: u_i and l_i ≤ min_{j ≠ z_i} ‖x_i − c_j‖. */
export interface HamerlyBounds {
  upper: Float64Array;
  lower: Float64Array;
}

/** Elkan's state, stored lazily: u_i, and L_ij = l_ij + D_j (n × k) with D_j = `offset[j]`. */
export interface CentreBounds {
  upper: Float64Array;
  lower: Float64Array;
  offset: Float64Array;
}

/** Bounds that know nothing yet (u = ∞, l = 0), the L_ij in the kernel's `lower` (n × k, zeros). */
export function newCentreBounds(n: number, k: number, kern: SqDistKernel): CentreBounds {
  if (kern.lower.length !== n * k) throw new RangeError(`newCentreBounds: the kernel holds ${kern.lower.length} bounds, need n × k = ${n * k}.`);
  return { upper: new Float64Array(n).fill(Infinity), lower: kern.lower.fill(0), offset: new Float64Array(k) };
}

/** 1 − E and (1 + E): l_ij = L_ij·F − D_j·G is `lowerOf`'s bound (the same number up to rounding, ≪ E). */
const F = 1 - E;
const G = 1 + E;

/**
 * Whether some centre j ≠ a may be within u of x_i by the per-centre lower bounds alone
 * (l_ij ≤ u·R), counted by the kernel's SIMD loop over the point's k bounds (`kern.shift`
 * must hold D_j·(1 + E)). Centres ruled out by ½‖c_a − c_j‖ are not excluded here (on MNIST
 * the lower bounds do ~90% of the pruning); `centreCandidates` applies both tests.
 */
/** Write D_j·(1 + E) to `kern.shift` for `anyBelow` (once per E-step, after the offsets changed). */
export function setLowerShift(kern: SqDistKernel, b: CentreBounds): void {
  const { offset } = b;
  for (let j = 0; j < offset.length; j++) kern.shift[j] = offset[j] * G;
}

export function anyBelow(kern: SqDistKernel, b: CentreBounds, k: number, i: number, a: number, u: number): boolean {
  const uu = u * R;
  let count = kern.countBelow(i, uu, F);
  if (b.lower[i * k + a] * F - kern.shift[a] <= uu) count--;
  return count > 0;
}


/**
 * Per-centre bounds: the centres j ≠ a that may be within u of x_i (max(l_ij, ½‖c_a − c_j‖) ≤ u,
 * up to the safety margin), in index order. Writes them to `out` (when given) and returns how
 * many, stopping at `limit`.
 */
export function centreCandidates(
  b: CentreBounds,
  half: Float64Array,
  k: number,
  i: number,
  a: number,
  u: number,
  limit: number,
  out: Int32Array | null = null,
): number {
  const { lower, offset } = b;
  const o = i * k;
  const ho = a * k;
  const uu = u * R;
  let count = 0;
  for (let j = 0; j < k; j++) {
    if (j === a || half[ho + j] > uu) continue;
    const L = lower[o + j];
    const Dj = offset[j];
    if (L - Dj - E * (L + Dj) > uu) continue;
    if (out) out[count] = j;
    if (++count >= limit) return count;
  }
  return count;
}

/** ½‖c_a − c_b‖ for all pairs (k × k, zero diagonal) and s_j = min_{j' ≠ j} of it. */
export function halfCentreDistances(kern: SqDistKernel, k: number): { half: Float64Array; s: Float64Array } {
  const half = new Float64Array(k * k);
  const s = new Float64Array(k).fill(Infinity);
  for (let a = 0; a < k; a++)
    for (let b = a + 1; b < k; b++) {
      const h = 0.5 * Math.sqrt(kern.cc(a, b));
      half[a * k + b] = h;
      half[b * k + a] = h;
      if (h < s[a]) s[a] = h;
      if (h < s[b]) s[b] = h;
    }
  return { half, s };
}

/**
 * Elkan's search of point i over its candidate centres `cand[0..count)` (index order), one exact
 * distance per centre the bounds cannot rule out, the tests re-done against the best so far
 * (ties to the smallest index), from label a with the exact u = ‖x_i − c_a‖ (uSq its square).
 * Centres not listed were ruled out for (a, u) and stay ruled out for any better centre. Updates
 * the bounds of every centre computed; returns the label and u through `out`, and the distances
 * spent.
 */
export function elkanSearch(
  kern: SqDistKernel,
  i: number,
  a: number,
  u: number,
  uSq: number,
  k: number,
  half: Float64Array,
  b: CentreBounds,
  cand: Int32Array,
  count: number,
  out: { label: number; u: number },
): number {
  const { lower, offset } = b;
  const o = i * k;
  let computed = 0;
  lower[o + a] = u + offset[a];
  for (let p = 0; p < count; p++) {
    const j = cand[p];
    const l = lowerOf(lower[o + j], offset[j]);
    const h = half[a * k + j];
    const zb = l > h ? l : h;
    if (u + E * (u + zb) < zb) continue;
    const e = kern.pc(i, j);
    computed++;
    const dj = Math.sqrt(e);
    lower[o + j] = dj + offset[j];
    if (e < uSq || (e === uSq && j < a)) {
      a = j;
      u = dj;
      uSq = e;
    }
  }
  out.label = a;
  out.u = u;
  return computed;
}

/**
 * The state one E-step works on. The phases below are separate module-level functions with
 * plain arguments (no closures made per call): V8 then keeps their optimized code from one
 * call to the next instead of throwing it away whenever a garbage collection drops an earlier
 * call's closures (measured: +30 ms per full pass over MNIST after each collection).
 */
interface Step {
  n: number;
  k: number;
  kern: SqDistKernel;
  z: Int32Array;
  upper: Float64Array;
  lower: Float64Array;
  /** Per-centre bounds (Elkan) or null (Hamerly). */
  cb: CentreBounds | null;
  /** Elkan's offsets D_j (zeros for Hamerly). */
  D: Float64Array;
  half: Float64Array;
  s: Float64Array;
  /** Exact ‖x_i − c_{z_i}‖² where computed this step, else −1. */
  uSqOf: Float64Array;
  /** Squared lower bounds of one point's k centres (exact where computed). */
  bound: Float64Array;
  computed: number;
}

/** Points whose bounds fail: u_i ≥ max(s_{z_i}, l_i) or, per centre, some l_ij ≤ u_i (or no label yet). */
function failingPoints(st: Step): number[] {
  const { n, k, kern, z, upper, lower, cb, s } = st;
  const failing: number[] = [];
  for (let i = 0; i < n; i++) {
    const a = z[i];
    if (a < 0) {
      failing.push(i);
      continue;
    }
    const u = upper[i];
    if (cb) {
      const m = s[a];
      if (!(u + E * (u + m) < m) && anyBelow(kern, cb, k, i, a, u)) failing.push(i);
      continue;
    }
    const l = lower[i];
    const m = s[a] > l ? s[a] : l;
    if (!(u + E * (u + m) < m)) failing.push(i);
  }
  return failing;
}

/**
 * Tighten u_i of the failing points and settle those the exact u_i clears; with per-centre
 * bounds, search points with at most `ONE_BY_ONE` candidates one distance at a time (all of
 * them without a product). Returns the points that still need the batched search.
 */
function tightenAndSearch(st: Step, failing: number[], batched: boolean): number[] {
  const { k, kern, z, upper, lower, cb, half, s, uSqOf } = st;
  const todo: number[] = [];
  const cand = new Int32Array(k);
  const found = { label: 0, u: 0 };
  for (let p = 0; p < failing.length; p++) {
    const i = failing[p];
    const a = z[i];
    if (a < 0) {
      todo.push(i);
      continue;
    }
    // u_i made exact first: ~0.25 µs, against ~4 µs for the point's row of the batched product.
    const uSq = kern.pc(i, a);
    st.computed++;
    const u = Math.sqrt(uSq);
    upper[i] = u;
    if (cb) {
      if (u + E * (u + s[a]) < s[a] || !anyBelow(kern, cb, k, i, a, u)) continue;
      const count = centreCandidates(cb, half, k, i, a, u, k, cand);
      if (count === 0) continue;
      if (!batched || count <= ONE_BY_ONE) {
        st.computed += elkanSearch(kern, i, a, u, uSq, k, half, cb, cand, count, found);
        z[i] = found.label;
        upper[i] = found.u;
        continue;
      }
    } else {
      const l = lower[i];
      const m = s[a] > l ? s[a] : l;
      if (u + E * (u + m) < m) continue;
    }
    uSqOf[i] = uSq;
    todo.push(i);
  }
  return todo;
}

/** ‖x_i − c_j‖², reusing the exact u_i² of this step. */
function exactSq(st: Step, i: number, j: number): number {
  if (j === st.z[i] && st.uSqOf[i] >= 0) return st.uSqOf[i];
  st.computed++;
  return st.kern.pc(i, j);
}

/**
 * Label arg for point i with u_i = √uSq, and its lower bounds from `st.bound` (squared lower
 * bounds, exact where computed): l_ij = √bound_j (stored + D_j), or Hamerly's l_i = √(min over j ≠ arg).
 */
function finishPoint(st: Step, i: number, arg: number, uSq: number): void {
  const { k, z, upper, lower, cb, D, bound } = st;
  z[i] = arg;
  upper[i] = Math.sqrt(uSq);
  if (cb) {
    const o = i * k;
    for (let j = 0; j < k; j++) lower[o + j] = Math.sqrt(bound[j]) + D[j];
    return;
  }
  let m = Infinity;
  for (let j = 0; j < k; j++) if (j !== arg && bound[j] < m) m = bound[j];
  lower[i] = Math.sqrt(m);
}

/**
 * The batched search: for each row, the certified distances d̃²_ij ± m_ij from the product
 * `dots` (row p of `dots` is point rows[p], or row i when `all`); exact distances only for the
 * centres the intervals cannot separate.
 */
function productRows(st: Step, rows: Int32Array, all: boolean, dots: Float32Array | Float64Array, xNorm: Float64Array, c: Float64Array, d: number, g2: number): void {
  const { k, z, uSqOf, bound } = st;
  // m_ij = 2γ‖x_i‖‖c_j‖ + 1e-12(‖x_i‖² + ‖c_j‖²) = ‖x_i‖·A_j + 1e-12‖x_i‖² + B_j (γ has 1% slack for the rounding of m itself).
  const cNorm = new Float64Array(k);
  const A = new Float64Array(k);
  const B = new Float64Array(k);
  for (let j = 0; j < k; j++) {
    let q = 0;
    for (let t = 0; t < d; t++) q += c[j * d + t] * c[j * d + t];
    cNorm[j] = q;
    A[j] = g2 * Math.sqrt(q);
    B[j] = 1e-12 * q;
  }
  const lob = new Float64Array(k); // d̃²_ij − m_ij
  for (let p = 0; p < rows.length; p++) {
    const i = rows[p];
    const xn = xNorm[i];
    const xs = Math.sqrt(xn);
    const xe = 1e-12 * xn;
    const o = (all ? i : p) * k;
    let ub = Infinity;
    let jub = 0;
    for (let j = 0; j < k; j++) {
      const e = xn - 2 * dots[o + j] + cNorm[j];
      const w = xs * A[j] + xe + B[j];
      lob[j] = e - w;
      if (e + w < ub) {
        ub = e + w;
        jub = j;
      }
    }
    // Candidates: centres whose interval [d̃² − m, d̃² + m] reaches below the best upper end;
    // the others keep √max(0, d̃² − m) as their lower bound.
    let count = 0;
    for (let j = 0; j < k; j++) {
      const lo = lob[j];
      if (lo <= ub) count++;
      bound[j] = lo > 0 ? lo : 0;
    }
    if (count === 1) {
      // Only jub can be nearest, strictly: no exact distance needed; u from the error bound.
      const known = jub === z[i] && uSqOf[i] >= 0;
      finishPoint(st, i, jub, known ? uSqOf[i] : ub);
      continue;
    }
    searchPoint(st, i, lob, ub);
  }
}

/**
 * Exact distances from point i to every centre j with lob_j ≤ ub (all centres when `lob` is
 * null), into `st.bound`; the nearest (ties to the smallest j) becomes the label.
 */
function searchPoint(st: Step, i: number, lob: Float64Array | null, ub: number): void {
  const { k, bound } = st;
  let best = Infinity;
  let arg = -1;
  for (let j = 0; j < k; j++) {
    if (lob && lob[j] > ub) continue;
    const e = exactSq(st, i, j);
    bound[j] = e;
    if (e < best) {
      best = e;
      arg = j;
    }
  }
  finishPoint(st, i, arg, best);
}

/**
 * One E-step of Hamerly (`b` is `HamerlyBounds`) or of Elkan with batched searches (`b` is
 * `CentreBounds`). State: labels (current; −1 = none yet, e.g. the first E-step) and bounds
 * valid for centres `c`, updated in place. Returns the new labels and the exact distances spent.
 */
export function hamerlyAssign(
  ps: PointSet,
  c: Float64Array,
  k: number,
  labels: Int32Array,
  b: HamerlyBounds | CentreBounds,
  gemm: GemmDistances | null,
  kern: SqDistKernel,
): { z: Int32Array; computed: number } {
  const { n, d } = ps;
  const cb = "offset" in b ? b : null;
  kern.setCentres(c);
  // s_j = ½ min_{j' ≠ j} ‖c_j − c_j'‖.
  const { half, s } = halfCentreDistances(kern, k);
  if (cb) setLowerShift(kern, cb);
  const st: Step = {
    n,
    k,
    kern,
    z: new Int32Array(labels),
    upper: b.upper,
    lower: b.lower,
    cb,
    D: cb ? cb.offset : new Float64Array(k),
    half,
    s,
    uSqOf: new Float64Array(n).fill(-1),
    bound: new Float64Array(k),
    computed: 0,
  };
  const failing = failingPoints(st);
  // Nearly every point needs a search (centres still move a lot): one product over all resident
  // points is the cheapest, and it refreshes all k bounds of every point.
  const todo = gemm && failing.length > FULL_FRACTION * n ? failing : tightenAndSearch(st, failing, gemm !== null);
  if (todo.length > 0) {
    const rows = Int32Array.from(todo);
    if (gemm) {
      // Many rows: the product over all (resident) points is cheaper than uploading the gathered rows.
      const all = rows.length > FULL_FRACTION * n;
      const dots = all ? gemm.inner(c, k) : gemm.innerOf(rows, c, k);
      productRows(st, rows, all, dots, gemm.pointNorms, c, d, 2 * gemm.roundoff);
    } else for (let p = 0; p < rows.length; p++) searchPoint(st, rows[p], null, 0);
  }
  return { z: st.z, computed: st.computed };
}

/**
 * After centres moved by drift_j: u_i += drift_{z_i}, l_i −= max_{j ≠ z_i} drift_j (with the
 * safety margin); points moved into empty clusters lose both bounds.
 */
export function updateHamerlyBounds(labels: Int32Array, b: HamerlyBounds, drift: Float64Array, moved: number[]): void {
  const { upper, lower } = b;
  const k = drift.length;
  let j1 = 0;
  for (let j = 1; j < k; j++) if (drift[j] > drift[j1]) j1 = j;
  let second = 0;
  for (let j = 0; j < k; j++) if (j !== j1 && drift[j] > second) second = drift[j];
  const first = drift[j1];
  for (let i = 0; i < labels.length; i++) {
    const a = labels[i];
    const u = upper[i];
    const du = drift[a];
    upper[i] = u + du + E * (u + du);
    const l = lower[i];
    const dl = a === j1 ? second : first;
    const v = l - dl - E * (l + dl);
    lower[i] = v > 0 ? v : 0;
  }
  for (const i of moved) {
    upper[i] = Infinity;
    lower[i] = 0;
  }
}

/**
 * Per-centre variant (Elkan's bounds): u_i += drift_{z_i} (with the safety margin) and
 * D_j += drift_j, which lowers every stored l_ij = L_ij − D_j by its centre's drift at once;
 * points moved into empty clusters lose their bounds.
 */
export function updateCentreBounds(labels: Int32Array, b: CentreBounds, drift: Float64Array, moved: number[]): void {
  const { upper, lower, offset } = b;
  const k = drift.length;
  for (let j = 0; j < k; j++) offset[j] += drift[j];
  for (let i = 0; i < labels.length; i++) {
    const u = upper[i];
    const du = drift[labels[i]];
    upper[i] = u + du + E * (u + du);
  }
  for (const i of moved) {
    upper[i] = Infinity;
    lower.fill(0, i * k, (i + 1) * k); // l_ij = −D_j(1 + E) ≤ 0
  }
}
