/**
 * Looking at a latent space (lecture 000 "something-like-a-VAE"; lecture 002 "AE latent
 * space", "traversing the latent space", "semantic clustering", "linear interpolation";
 * Kingma & Welling 2014, figure 4).
 */
import { Rng } from "../runtime/rng";
import { normalInvCdf } from "../math/special";

/**
 * Lecture 000's "something-like-a-VAE" model without parameters: z ~ N(0, I₂) and
 * x = z/10 + z/‖z‖, which maps the Gaussian blob onto a ring of radius ≈ 1.
 * Returns n×2 arrays z and x.
 */
export function ringModelSample(n: number, r: Rng): { z: Float64Array; x: Float64Array } {
  if (!Number.isInteger(n) || n < 1) throw new Error(`ringModelSample: n must be a positive integer, got ${n}.`);
  const z = r.normals(new Float64Array(2 * n));
  const x = new Float64Array(2 * n);
  for (let i = 0; i < n; i++) {
    const a = z[2 * i];
    const b = z[2 * i + 1];
    const norm = Math.hypot(a, b);
    x[2 * i] = a / 10 + a / norm;
    x[2 * i + 1] = b / 10 + b / norm;
  }
  return { z, x };
}

/**
 * Kingma & Welling's figure-4 grid: n×n points whose coordinates are Φ⁻¹ of linearly spaced
 * probabilities p_i = (i + ½)/n, so each cell carries equal prior mass. Rows go from high
 * z₂ (top) to low; returns n²×2 numbers.
 */
export function inverseCdfGrid(n: number): Float64Array {
  if (!Number.isInteger(n) || n < 2) throw new Error(`inverseCdfGrid: n must be an integer ≥ 2, got ${n}.`);
  const q = Array.from({ length: n }, (_, i) => normalInvCdf((i + 0.5) / n));
  const g = new Float64Array(2 * n * n);
  for (let row = 0; row < n; row++) {
    for (let col = 0; col < n; col++) {
      const k = row * n + col;
      g[2 * k] = q[col];
      g[2 * k + 1] = q[n - 1 - row];
    }
  }
  return g;
}

/** Points (1 − t) z₁ + t z₂ for t = 0, 1/(steps−1), …, 1: steps×d numbers. */
export function interpolateLinear(z1: ArrayLike<number>, z2: ArrayLike<number>, steps: number): Float64Array {
  if (z1.length !== z2.length) throw new Error(`interpolateLinear: endpoints have ${z1.length} and ${z2.length} coordinates.`);
  if (!Number.isInteger(steps) || steps < 2) throw new Error(`interpolateLinear: steps must be an integer ≥ 2, got ${steps}.`);
  const d = z1.length;
  const out = new Float64Array(steps * d);
  for (let s = 0; s < steps; s++) {
    const t = s / (steps - 1);
    for (let j = 0; j < d; j++) out[s * d + j] = (1 - t) * z1[j] + t * z2[j];
  }
  return out;
}

/**
 * Projection of n codes (n×d) on their top principal directions (power iteration with
 * deflation on the covariance). Returns n×k scores and the fraction of variance explained.
 */
export function pcaProject(codes: ArrayLike<number>, d: number, k = 2, r: Rng = new Rng(0)): { scores: Float64Array; explained: number[] } {
  const n = codes.length / d;
  if (!Number.isInteger(n) || n < 2) throw new Error(`pcaProject: ${codes.length} numbers is not n ≥ 2 codes of dimension ${d}.`);
  if (k > d) throw new Error(`pcaProject: k = ${k} components but codes have only d = ${d} dimensions.`);
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j] += codes[i * d + j] / n;
  const C = new Float64Array(d * d);
  for (let i = 0; i < n; i++) for (let a = 0; a < d; a++) {
    const xa = codes[i * d + a] - mean[a];
    for (let b = 0; b < d; b++) C[a * d + b] += (xa * (codes[i * d + b] - mean[b])) / (n - 1);
  }
  let total = 0;
  for (let j = 0; j < d; j++) total += C[j * d + j];
  const vecs: Float64Array[] = [];
  const explained: number[] = [];
  for (let c = 0; c < k; c++) {
    let v = r.normals(new Float64Array(d));
    let lambda = 0;
    for (let it = 0; it < 500; it++) {
      const w = new Float64Array(d);
      for (let a = 0; a < d; a++) for (let b = 0; b < d; b++) w[a] += C[a * d + b] * v[b];
      const nrm = Math.hypot(...w) || 1;
      lambda = nrm;
      v = w.map((x) => x / nrm);
    }
    vecs.push(v);
    explained.push(total > 0 ? lambda / total : 0);
    for (let a = 0; a < d; a++) for (let b = 0; b < d; b++) C[a * d + b] -= lambda * v[a] * v[b];
  }
  const scores = new Float64Array(n * k);
  for (let i = 0; i < n; i++) for (let c = 0; c < k; c++) {
    let s = 0;
    for (let j = 0; j < d; j++) s += (codes[i * d + j] - mean[j]) * vecs[c][j];
    scores[i * k + c] = s;
  }
  return { scores, explained };
}

/**
 * Leave-one-out k-nearest-neighbour accuracy of the labels from the codes (Euclidean):
 * a simple "semantic clustering" score (lecture 002).
 */
export function knnAccuracy(codes: ArrayLike<number>, labels: ArrayLike<number>, d: number, k = 5): number {
  const n = labels.length;
  if (codes.length !== n * d) throw new Error(`knnAccuracy: ${codes.length} numbers for ${n} labels of dimension ${d}.`);
  let ok = 0;
  const dist = new Float64Array(n);
  const idx = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let t = 0; t < d; t++) s += (codes[i * d + t] - codes[j * d + t]) ** 2;
      dist[j] = j === i ? Infinity : s;
      idx[j] = j;
    }
    const order = Array.from(idx).sort((a, b) => dist[a] - dist[b]).slice(0, k);
    const votes = new Map<number, number>();
    for (const j of order) votes.set(labels[j], (votes.get(labels[j]) ?? 0) + 1);
    let best = -1;
    let bestV = -1;
    for (const [lab, v] of votes) if (v > bestV) [best, bestV] = [lab, v];
    if (best === labels[i]) ok++;
  }
  return ok / n;
}

/**
 * "Gaps in the latent space" (lecture 002): draw m points from a Gaussian with the codes'
 * own mean and per-dimension spread and measure each one's distance to the nearest code,
 * relative to the codes' typical nearest-neighbour distance. Large values = empty regions
 * a sampler would land in.
 */
export function latentGapScore(codes: ArrayLike<number>, d: number, m: number, r: Rng): number {
  const n = codes.length / d;
  const mean = new Float64Array(d);
  const sd = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j] += codes[i * d + j] / n;
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) sd[j] += (codes[i * d + j] - mean[j]) ** 2 / n;
  for (let j = 0; j < d; j++) sd[j] = Math.sqrt(sd[j]);
  const nearest = (p: ArrayLike<number>, skip: number) => {
    let best = Infinity;
    for (let i = 0; i < n; i++) {
      if (i === skip) continue;
      let s = 0;
      for (let j = 0; j < d; j++) s += (codes[i * d + j] - p[j]) ** 2;
      if (s < best) best = s;
    }
    return Math.sqrt(best);
  };
  const nn: number[] = [];
  for (let i = 0; i < Math.min(n, m); i++) {
    const at = r.int(n);
    nn.push(nearest(Array.prototype.slice.call(codes, at * d, at * d + d), at));
  }
  nn.sort((a, b) => a - b);
  const typical = nn[Math.floor(nn.length / 2)] || 1;
  let sum = 0;
  const p = new Float64Array(d);
  for (let t = 0; t < m; t++) {
    for (let j = 0; j < d; j++) p[j] = mean[j] + sd[j] * r.normal();
    sum += nearest(p, -1);
  }
  return sum / m / typical;
}
