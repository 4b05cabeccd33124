/**
 * Measuring disentanglement (lecture 002, "measuring disentanglement"; Higgins et al. 2017).
 *
 * The BetaVAE metric, exactly as the lecture describes it. For each training point:
 *   pick a ground-truth factor k uniformly from [K];
 *   B times: draw factor vectors v₁, v₂ with (v₁)_k = (v₂)_k and the other coordinates
 *   independent; render x₁, x₂; infer z₁, z₂ with the encoder (means);
 *   z_diff = (1/B) Σ |z₁ − z₂|;  add (z_diff, k) to the set.
 * Train a linear (softmax) classifier on such points; the score is its accuracy on fresh ones.
 * Averaging makes the coordinates that do not encode k large and the one that does small,
 * so a disentangled code makes k linearly readable.
 */
import { Rng } from "../runtime/rng";

export interface BetaVaeMetricOptions {
  /** Encoder: images (n×P) → codes (n×d), e.g. (x) => model.encodeMeans(x). */
  encode: (images: Float32Array) => Float32Array;
  latentDim: number;
  /** Number of values of each ground-truth factor. */
  factorSizes: number[];
  /** Render images from factor index vectors (n×K) → n×P pixels. */
  render: (factors: Int32Array) => Float32Array;
  rng: Rng;
  /** Pairs per point B (default 64). */
  batchSize?: number;
  trainPoints?: number;
  testPoints?: number;
  /** Gradient steps of the classifier (default 2000). */
  classifierSteps?: number;
}

export interface BetaVaeMetricResult {
  trainAccuracy: number;
  testAccuracy: number;
  /** Mean z_diff per factor: rows k, columns latent units (K×d). */
  meanZDiff: Float64Array;
  /** Chance level 1/K. */
  chance: number;
}

/** Generate n (z_diff, k) points. */
export function betaVaePoints(o: BetaVaeMetricOptions, n: number): { x: Float64Array; y: Int32Array } {
  const K = o.factorSizes.length;
  const B = o.batchSize ?? 64;
  const d = o.latentDim;
  const x = new Float64Array(n * d);
  const y = new Int32Array(n);
  const f1 = new Int32Array(B * K);
  const f2 = new Int32Array(B * K);
  for (let p = 0; p < n; p++) {
    const k = o.rng.int(K);
    y[p] = k;
    for (let b = 0; b < B; b++) {
      for (let j = 0; j < K; j++) {
        f1[b * K + j] = o.rng.int(o.factorSizes[j]);
        f2[b * K + j] = j === k ? f1[b * K + j] : o.rng.int(o.factorSizes[j]);
      }
    }
    const z1 = o.encode(o.render(f1));
    const z2 = o.encode(o.render(f2));
    if (z1.length !== B * d) throw new Error(`betaVaeMetric: encode returned ${z1.length} numbers for ${B} images, expected ${B}×${d}.`);
    for (let b = 0; b < B; b++) for (let j = 0; j < d; j++) x[p * d + j] += Math.abs(z1[b * d + j] - z2[b * d + j]) / B;
  }
  return { x, y };
}

/**
 * Multinomial logistic regression p(k|x) = softmax(W x + c)_k, fit by full-batch gradient
 * descent on the mean cross-entropy (features standardised first). Returns a predictor.
 */
export function fitLinearSoftmax(x: Float64Array, y: Int32Array, d: number, K: number, steps = 2000, lr = 0.5): (x: Float64Array) => Int32Array {
  const n = y.length;
  const mean = new Float64Array(d);
  const sd = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j] += x[i * d + j] / n;
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) sd[j] += (x[i * d + j] - mean[j]) ** 2 / n;
  for (let j = 0; j < d; j++) sd[j] = Math.sqrt(sd[j]) || 1;
  const W = new Float64Array(K * d);
  const c = new Float64Array(K);
  const gW = new Float64Array(K * d);
  const gc = new Float64Array(K);
  const p = new Float64Array(K);
  const xs = new Float64Array(d);
  const logits = (xi: Float64Array) => {
    let mx = -Infinity;
    for (let k = 0; k < K; k++) {
      let s = c[k];
      for (let j = 0; j < d; j++) s += W[k * d + j] * xi[j];
      p[k] = s;
      if (s > mx) mx = s;
    }
    let z = 0;
    for (let k = 0; k < K; k++) z += p[k] = Math.exp(p[k] - mx);
    for (let k = 0; k < K; k++) p[k] /= z;
  };
  for (let t = 0; t < steps; t++) {
    gW.fill(0);
    gc.fill(0);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < d; j++) xs[j] = (x[i * d + j] - mean[j]) / sd[j];
      logits(xs);
      for (let k = 0; k < K; k++) {
        const g = (p[k] - (y[i] === k ? 1 : 0)) / n;
        gc[k] += g;
        for (let j = 0; j < d; j++) gW[k * d + j] += g * xs[j];
      }
    }
    for (let i = 0; i < K * d; i++) W[i] -= lr * (gW[i] + 1e-4 * W[i]);
    for (let k = 0; k < K; k++) c[k] -= lr * gc[k];
  }
  return (xt: Float64Array) => {
    const m = xt.length / d;
    const out = new Int32Array(m);
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < d; j++) xs[j] = (xt[i * d + j] - mean[j]) / sd[j];
      logits(xs);
      let best = 0;
      for (let k = 1; k < K; k++) if (p[k] > p[best]) best = k;
      out[i] = best;
    }
    return out;
  };
}

function accuracy(pred: Int32Array, y: Int32Array): number {
  let ok = 0;
  for (let i = 0; i < y.length; i++) if (pred[i] === y[i]) ok++;
  return ok / y.length;
}

/** The BetaVAE disentanglement score (test accuracy of the linear classifier; chance = 1/K). */
export function betaVaeMetric(o: BetaVaeMetricOptions): BetaVaeMetricResult {
  const K = o.factorSizes.length;
  const d = o.latentDim;
  const train = betaVaePoints(o, o.trainPoints ?? 300);
  const test = betaVaePoints(o, o.testPoints ?? 200);
  const predict = fitLinearSoftmax(train.x, train.y, d, K, o.classifierSteps ?? 2000);
  const meanZDiff = new Float64Array(K * d);
  const counts = new Float64Array(K);
  for (let i = 0; i < train.y.length; i++) {
    counts[train.y[i]]++;
    for (let j = 0; j < d; j++) meanZDiff[train.y[i] * d + j] += train.x[i * d + j];
  }
  for (let k = 0; k < K; k++) for (let j = 0; j < d; j++) meanZDiff[k * d + j] /= Math.max(1, counts[k]);
  return { trainAccuracy: accuracy(predict(train.x), train.y), testAccuracy: accuracy(predict(test.x), test.y), meanZDiff, chance: 1 / K };
}

/**
 * Axis alignment of a code, from the BetaVAE metric's mean z_diff table Z (K×d): holding
 * factor k fixed should silence the unit that carries it. For each factor take the unit with
 * the deepest relative dip,
 *   a_k = max_j ( 1 − Z[k, j] / mean_{k' ≠ k} Z[k', j] ),
 * over units that move at all (dead units, Z ≈ 0 for every factor, are skipped). a_k = 1 when
 * one unit carries factor k alone, small when k is spread over many units. The BetaVAE score's
 * linear classifier can partly see through a rotation of the code; this number cannot.
 */
export function axisAlignment(meanZDiff: Float64Array, K: number, d: number): { perFactor: number[]; mean: number } {
  const unitMean = Array.from({ length: d }, (_, j) => {
    let s = 0;
    for (let k = 0; k < K; k++) s += meanZDiff[k * d + j] / K;
    return s;
  });
  const alive = Math.max(...unitMean) * 1e-2;
  const perFactor: number[] = [];
  for (let k = 0; k < K; k++) {
    let best = 0;
    for (let j = 0; j < d; j++) {
      if (!(unitMean[j] > alive)) continue;
      let other = 0;
      for (let k2 = 0; k2 < K; k2++) if (k2 !== k) other += meanZDiff[k2 * d + j] / (K - 1);
      if (other > 0) best = Math.max(best, 1 - meanZDiff[k * d + j] / other);
    }
    perFactor.push(best);
  }
  return { perFactor, mean: perFactor.reduce((a, b) => a + b, 0) / K };
}

/**
 * A uniformly random d×d rotation (orthogonal, det +1): Gram–Schmidt on a Gaussian matrix.
 * Lecture 002's ill-posedness argument: z' = U z has the same N(0, I) prior as z, so the
 * ELBO cannot prefer the axis-aligned code over the rotated one.
 */
export function randomRotation(d: number, r: Rng): Float64Array {
  const U = new Float64Array(d * d);
  for (let i = 0; i < d * d; i++) U[i] = r.normal();
  for (let i = 0; i < d; i++) {
    for (let k = 0; k < i; k++) {
      let dot = 0;
      for (let j = 0; j < d; j++) dot += U[i * d + j] * U[k * d + j];
      for (let j = 0; j < d; j++) U[i * d + j] -= dot * U[k * d + j];
    }
    let nrm = 0;
    for (let j = 0; j < d; j++) nrm += U[i * d + j] ** 2;
    nrm = Math.sqrt(nrm);
    for (let j = 0; j < d; j++) U[i * d + j] /= nrm;
  }
  // det sign: flip the first row if needed (det of an orthogonal matrix is ±1)
  if (d > 1 && determinantSign(U, d) < 0) for (let j = 0; j < d; j++) U[j] = -U[j];
  return U;
}

function determinantSign(A: Float64Array, d: number): number {
  const M = Float64Array.from(A);
  let sign = 1;
  for (let c = 0; c < d; c++) {
    let piv = c;
    for (let r = c + 1; r < d; r++) if (Math.abs(M[r * d + c]) > Math.abs(M[piv * d + c])) piv = r;
    if (M[piv * d + c] === 0) return 0;
    if (piv !== c) {
      sign = -sign;
      for (let j = 0; j < d; j++) [M[c * d + j], M[piv * d + j]] = [M[piv * d + j], M[c * d + j]];
    }
    if (M[c * d + c] < 0) sign = -sign;
    for (let r = c + 1; r < d; r++) {
      const f = M[r * d + c] / M[c * d + c];
      for (let j = c; j < d; j++) M[r * d + j] -= f * M[c * d + j];
    }
  }
  return sign;
}

/** Apply z' = U z to n codes (n×d). */
export function rotateCodes(codes: Float32Array, U: Float64Array, d: number): Float32Array {
  const n = codes.length / d;
  const out = new Float32Array(codes.length);
  for (let i = 0; i < n; i++) for (let a = 0; a < d; a++) {
    let s = 0;
    for (let b = 0; b < d; b++) s += U[a * d + b] * codes[i * d + b];
    out[i * d + a] = s;
  }
  return out;
}
