/**
 * Initial centres for K-means (and GMM means): k-means++ (Arthur & Vassilvitskii 2007) or k
 * distinct random points. Both draw only from the `Rng` passed in, so a seed fixes them.
 */
import type { Rng } from "../runtime/rng";
import { type PointSet, sqDist } from "./points";
import { SqDistKernel } from "./sqDistKernel";

/** Validate k against the number of points (k > n is an error: a centre would have no point). */
export function checkK(k: number, n: number, where: string): void {
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`${where}: k = ${k} must be a positive integer.`);
  if (k > n) {
    throw new RangeError(
      `${where}: k = ${k} clusters for only n = ${n} points. Every cluster needs at least one point: use k ≤ n.`,
    );
  }
}

/**
 * k-means++ seeding: the first centre is a uniformly chosen point; each next centre is point
 * x_i with probability D(x_i)² / Σ_j D(x_j)², where D(x) is the distance to the nearest centre
 * chosen so far. If every remaining point coincides with a chosen centre (fewer than k distinct
 * points) the next centre is a uniform draw, i.e. a duplicate centre (documented behaviour:
 * K-means then reports the resulting empty clusters).
 *
 * The n·k distances are `sqDist`'s numbers; for large problems they come from a `SqDistKernel`
 * (the caller's `kern`, holding these points with room for k centres, or one made here), which
 * gives the same numbers about 6× faster on MNIST, so the centres do not depend on it.
 */
export function kMeansPlusPlus(ps: PointSet, k: number, rng: Rng, kern?: SqDistKernel): Float64Array {
  const { data, n, d } = ps;
  checkK(k, n, "kMeansPlusPlus");
  const own = !kern && n * k * d >= 4e6 ? new SqDistKernel(ps, k) : null;
  const K = kern ?? own;
  const centres = new Float64Array(k * d);
  const copy = (j: number, i: number) => {
    for (let t = 0; t < d; t++) centres[j * d + t] = data[i * d + t];
    K?.setCentres(centres);
  };
  const dist = (i: number, j: number) => (K ? K.pc(i, j) : sqDist(data, i * d, centres, j * d, d));
  try {
    copy(0, rng.int(n));
    const d2 = new Float64Array(n);
    for (let i = 0; i < n; i++) d2[i] = dist(i, 0);
    seedRest(d2, k, n, rng, copy, dist);
    return centres;
  } finally {
    own?.dispose();
  }
}

/** Centres 1..k−1 of k-means++, given D² to centre 0. */
function seedRest(
  d2: Float64Array,
  k: number,
  n: number,
  rng: Rng,
  copy: (j: number, i: number) => void,
  dist: (i: number, j: number) => number,
): void {
  for (let j = 1; j < k; j++) {
    let total = 0;
    for (let i = 0; i < n; i++) total += d2[i];
    let pick = -1;
    if (total > 0) {
      let u = rng.uniform() * total;
      for (let i = 0; i < n; i++) {
        if (d2[i] === 0) continue;
        u -= d2[i];
        pick = i;
        if (u < 0) break;
      }
    }
    if (pick < 0) pick = rng.int(n);
    copy(j, pick);
    for (let i = 0; i < n; i++) {
      const e = dist(i, j);
      if (e < d2[i]) d2[i] = e;
    }
  }
}

/** k distinct points chosen uniformly at random (Forgy initialization). */
export function randomCentres(ps: PointSet, k: number, rng: Rng): Float64Array {
  const { data, n, d } = ps;
  checkK(k, n, "randomCentres");
  const perm = rng.permutation(n);
  const centres = new Float64Array(k * d);
  for (let j = 0; j < k; j++) for (let t = 0; t < d; t++) centres[j * d + t] = data[perm[j] * d + t];
  return centres;
}
