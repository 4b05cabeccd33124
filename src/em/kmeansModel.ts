/**
 * K-means as an autoencoder and as a generative model (lecture 003):
 *   encode  x ↦ z = argmin_j ‖x − c_j‖²  (a one-hot vector of length k)
 *   decode  z ↦ x' = c_z                  (the codeword: the centre)
 *   sample  z ~ U[0, k) (or z ~ Cat(n_j / n)), x = decode(z)
 * "A valid generative model, but not a good one": it can only ever output k images.
 */
import type { Rng } from "../runtime/rng";
import { type PointsLike, sqDist, toPointSet } from "./points";
import type { KMeansResult } from "./kmeans";

/** A codebook: k centres of dimension d (e.g. a K-means result). */
export interface Codebook {
  k: number;
  d: number;
  centres: Float64Array;
}

/** Encode each point as the index of its nearest centre (ties to the smallest index). */
export function kMeansEncode(cb: Codebook, points: PointsLike): Int32Array {
  const ps = toPointSet(points, "kMeansEncode");
  if (ps.d !== cb.d) throw new RangeError(`kMeansEncode: points have dimension ${ps.d}, the codebook ${cb.d}.`);
  const z = new Int32Array(ps.n);
  for (let i = 0; i < ps.n; i++) {
    let best = Infinity;
    for (let j = 0; j < cb.k; j++) {
      const e = sqDist(ps.data, i * ps.d, cb.centres, j * cb.d, cb.d);
      if (e < best) {
        best = e;
        z[i] = j;
      }
    }
  }
  return z;
}

/** One-hot codes (n × k) from indices. */
export function kMeansOneHot(z: ArrayLike<number>, k: number): Float32Array {
  const out = new Float32Array(z.length * k);
  for (let i = 0; i < z.length; i++) {
    if (!(z[i] >= 0 && z[i] < k && Number.isInteger(z[i]))) throw new RangeError(`kMeansOneHot: code ${z[i]} at ${i} is not in [0, ${k}).`);
    out[i * k + z[i]] = 1;
  }
  return out;
}

/** Decode indices to their centres (n × d, Float32 so it can feed imageGrid directly). */
export function kMeansDecode(cb: Codebook, z: ArrayLike<number>): Float32Array {
  const out = new Float32Array(z.length * cb.d);
  for (let i = 0; i < z.length; i++) {
    const j = z[i];
    if (!(j >= 0 && j < cb.k && Number.isInteger(j))) throw new RangeError(`kMeansDecode: code ${j} at ${i} is not in [0, ${cb.k}).`);
    for (let t = 0; t < cb.d; t++) out[i * cb.d + t] = cb.centres[j * cb.d + t];
  }
  return out;
}

/** Reconstruction x' = decode(encode(x)). */
export function kMeansReconstruct(cb: Codebook, points: PointsLike): Float32Array {
  return kMeansDecode(cb, kMeansEncode(cb, points));
}

/**
 * Generate `count` samples: z ~ U[0, k) (`prior: "uniform"`, as in the lecture) or
 * z ~ Cat(n_j / n) (`prior: "frequency"`, the cluster frequencies of a K-means fit).
 */
export function kMeansSample(
  model: Codebook & Partial<Pick<KMeansResult, "counts">>,
  count: number,
  r: Rng,
  prior: "uniform" | "frequency" = "uniform",
): { codes: Int32Array; images: Float32Array } {
  const codes = new Int32Array(count);
  if (prior === "frequency") {
    const counts = model.counts;
    if (!counts) throw new RangeError('kMeansSample: prior "frequency" needs the cluster counts (pass a K-means result).');
    let total = 0;
    for (let j = 0; j < model.k; j++) total += counts[j];
    for (let i = 0; i < count; i++) {
      let u = r.uniform() * total;
      let j = 0;
      while (j < model.k - 1 && u >= counts[j]) u -= counts[j++];
      codes[i] = j;
    }
  } else for (let i = 0; i < count; i++) codes[i] = r.int(model.k);
  return { codes, images: kMeansDecode(model, codes) };
}

/**
 * Log-likelihood of binary images under a mixture of k product-Bernoulli distributions
 * whose means are the centres (clipped to [eps, 1 − eps]):
 *   log p(x) = log Σ_j π_j Π_t μ_jt^{x_t} (1 − μ_jt)^{1 − x_t},
 * returned per image (nats). The centres of K-means on grey MNIST are such pixel means.
 */
export function bernoulliMixtureLogLikelihood(
  cb: Codebook,
  binaryImages: ArrayLike<number>,
  weights?: ArrayLike<number>,
  eps = 1e-3,
): Float64Array {
  const { k, d } = cb;
  if (binaryImages.length % d !== 0) throw new RangeError(`bernoulliMixtureLogLikelihood: ${binaryImages.length} values is not a multiple of d = ${d}.`);
  const n = binaryImages.length / d;
  const pi = weights ? Float64Array.from(weights) : new Float64Array(k).fill(1 / k);
  if (pi.length !== k) throw new RangeError(`bernoulliMixtureLogLikelihood: ${pi.length} weights for k = ${k} centres.`);
  const logMu = new Float64Array(k * d);
  const log1mMu = new Float64Array(k * d);
  for (let t = 0; t < k * d; t++) {
    const m = Math.min(1 - eps, Math.max(eps, cb.centres[t]));
    logMu[t] = Math.log(m);
    log1mMu[t] = Math.log1p(-m);
  }
  const out = new Float64Array(n);
  const lj = new Float64Array(k);
  for (let i = 0; i < n; i++) {
    let m = -Infinity;
    for (let j = 0; j < k; j++) {
      let s = Math.log(pi[j]);
      for (let t = 0; t < d; t++) {
        const x = binaryImages[i * d + t];
        if (x !== 0 && x !== 1) throw new RangeError(`bernoulliMixtureLogLikelihood: pixel ${t} of image ${i} is ${x}; binarize the images first.`);
        s += x === 1 ? logMu[j * d + t] : log1mMu[j * d + t];
      }
      lj[j] = s;
      if (s > m) m = s;
    }
    let s = 0;
    for (let j = 0; j < k; j++) s += Math.exp(lj[j] - m);
    out[i] = m + Math.log(s);
  }
  return out;
}

/**
 * Log-density (nats) of points under an equal-weight mixture of isotropic Gaussians
 * N(c_j, σ² I): log p(x) = log (1/k) Σ_j N(x | c_j, σ² I). With σ² = inertia / (n d) this is
 * the Gaussian mixture whose hard-EM limit K-means fits.
 */
export function isotropicMixtureLogDensity(cb: Codebook, points: PointsLike, sigma2: number, weights?: ArrayLike<number>): Float64Array {
  const ps = toPointSet(points, "isotropicMixtureLogDensity");
  if (!(sigma2 > 0)) throw new RangeError(`isotropicMixtureLogDensity: σ² = ${sigma2} must be positive.`);
  const { k, d } = cb;
  const pi = weights ? Float64Array.from(weights) : new Float64Array(k).fill(1 / k);
  const c = -0.5 * d * Math.log(2 * Math.PI * sigma2);
  const out = new Float64Array(ps.n);
  const lj = new Float64Array(k);
  for (let i = 0; i < ps.n; i++) {
    let m = -Infinity;
    for (let j = 0; j < k; j++) {
      lj[j] = Math.log(pi[j]) + c - sqDist(ps.data, i * d, cb.centres, j * d, d) / (2 * sigma2);
      if (lj[j] > m) m = lj[j];
    }
    let s = 0;
    for (let j = 0; j < k; j++) s += Math.exp(lj[j] - m);
    out[i] = m + Math.log(s);
  }
  return out;
}
