/**
 * Initial centres for K-means (and GMM means): k-means++ (Arthur & Vassilvitskii 2007) or k
 * distinct random points. Both draw only from the `Rng` passed in, so a seed fixes them.
 */
import type { Rng } from "../runtime/rng";
import { type PointSet, sqDist } from "./points";

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
 */
export function kMeansPlusPlus(ps: PointSet, k: number, rng: Rng): Float64Array {
  const { data, n, d } = ps;
  checkK(k, n, "kMeansPlusPlus");
  const centres = new Float64Array(k * d);
  const copy = (j: number, i: number) => {
    for (let t = 0; t < d; t++) centres[j * d + t] = data[i * d + t];
  };
  copy(0, rng.int(n));
  const d2 = new Float64Array(n);
  for (let i = 0; i < n; i++) d2[i] = sqDist(data, i * d, centres, 0, d);
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
      const e = sqDist(data, i * d, centres, j * d, d);
      if (e < d2[i]) d2[i] = e;
    }
  }
  return centres;
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
