/**
 * Codebook learning and health for VQ-VAE, on plain arrays (the codebook C is K×I numbers,
 * row-major; a batch of latents is n×I numbers with their codes z):
 *
 * - usage and perplexity: n_k = #{p : z_p = k}, p_k = n_k / Σ n, perplexity exp(−Σ p_k log p_k)
 *   (K when every code is used equally, 1 when one code takes everything: "codebook collapse");
 * - the EMA update (van den Oord et al. 2017, appendix A.1), instead of the codebook loss:
 *     N_k ← γ N_k + (1 − γ) n_k,      m_k ← γ m_k + (1 − γ) Σ_{p: z_p = k} L_p,
 *     Laplace smoothing  Ñ_k = (N_k + ε) / (Σ_j N_j + K ε) · Σ_j N_j,      C_k = m_k / Ñ_k;
 *   each code moves to a running mean of the latents assigned to it: K-means' M-step, online;
 * - K-means initialization of C from encoder outputs (notebook 08's `kMeans`, lecture 003);
 * - dead-code restart: a code no latent chose during an epoch gets no gradient and no EMA mass,
 *   so it stays dead; it is moved onto a randomly chosen recent encoder output.
 */
import { Rng } from "../../runtime/rng";
import { kMeans } from "../../em/kmeans";

function checkCodes(codes: ArrayLike<number>, K: number, where: string): void {
  if (!Number.isInteger(K) || K < 2) throw new RangeError(`${where}: K = ${K} must be an integer ≥ 2.`);
  for (let p = 0; p < codes.length; p++) {
    const k = codes[p];
    if (!Number.isInteger(k) || k < 0 || k >= K) throw new RangeError(`${where}: code ${k} at position ${p} is not an integer in [0, ${K}).`);
  }
}

/** n_k: how many positions chose each code. */
export function codeUsage(codes: ArrayLike<number>, K: number): Int32Array {
  checkCodes(codes, K, "codeUsage");
  const counts = new Int32Array(K);
  for (let p = 0; p < codes.length; p++) counts[codes[p]]++;
  return counts;
}

/** Number of codes with n_k > 0. */
export function codesUsed(counts: ArrayLike<number>): number {
  let u = 0;
  for (let k = 0; k < counts.length; k++) if (counts[k] > 0) u++;
  return u;
}

/** exp(H(p)) with p_k = n_k / Σ n: the effective number of codes (1 … K). */
export function codebookPerplexity(counts: ArrayLike<number>): number {
  let total = 0;
  for (let k = 0; k < counts.length; k++) total += counts[k];
  if (!(total > 0)) throw new RangeError("codebookPerplexity: all counts are zero (no positions were assigned).");
  let h = 0;
  for (let k = 0; k < counts.length; k++) if (counts[k] > 0) {
    const p = counts[k] / total;
    h -= p * Math.log(p);
  }
  return Math.exp(h);
}

/** The running statistics of the EMA codebook: N_k (cluster sizes) and m_k (sums), K and K×I. */
export interface EmaState {
  clusterSize: Float64Array;
  embedSum: Float64Array;
  dim: number;
}

/** EMA state that reproduces `codebook` (N_k = 1, m_k = C_k), as Sonnet's VectorQuantizerEMA starts. */
export function emaStateFrom(codebook: ArrayLike<number>, dim: number): EmaState {
  if (!Number.isInteger(dim) || dim < 1 || codebook.length % dim !== 0) throw new RangeError(`emaStateFrom: ${codebook.length} numbers is not K × I with I = ${dim}.`);
  const K = codebook.length / dim;
  return { clusterSize: new Float64Array(K).fill(1), embedSum: Float64Array.from(codebook), dim };
}

/**
 * One EMA step (see the file comment) from the batch's latents (n×I) and codes (n).
 * Updates `state` in place and returns the new codebook C_k = m_k / Ñ_k (K×I, float32).
 */
export function emaCodebookUpdate(state: EmaState, latents: ArrayLike<number>, codes: ArrayLike<number>, decay = 0.99, epsilon = 1e-5): Float32Array {
  const I = state.dim;
  const K = state.clusterSize.length;
  if (!(decay >= 0 && decay < 1)) throw new RangeError(`emaCodebookUpdate: decay γ = ${decay} must be in [0, 1).`);
  if (!(epsilon > 0)) throw new RangeError(`emaCodebookUpdate: the Laplace ε = ${epsilon} must be > 0.`);
  if (latents.length !== codes.length * I) throw new RangeError(`emaCodebookUpdate: ${latents.length} latent numbers for ${codes.length} codes of dimension ${I}.`);
  checkCodes(codes, K, "emaCodebookUpdate");
  const counts = new Float64Array(K);
  const sums = new Float64Array(K * I);
  for (let p = 0; p < codes.length; p++) {
    const k = codes[p];
    counts[k]++;
    for (let i = 0; i < I; i++) sums[k * I + i] += latents[p * I + i];
  }
  let total = 0;
  for (let k = 0; k < K; k++) {
    state.clusterSize[k] = decay * state.clusterSize[k] + (1 - decay) * counts[k];
    total += state.clusterSize[k];
  }
  for (let t = 0; t < K * I; t++) state.embedSum[t] = decay * state.embedSum[t] + (1 - decay) * sums[t];
  const out = new Float32Array(K * I);
  for (let k = 0; k < K; k++) {
    const smoothed = ((state.clusterSize[k] + epsilon) / (total + K * epsilon)) * total;
    for (let i = 0; i < I; i++) out[k * I + i] = state.embedSum[k * I + i] / smoothed;
  }
  return out;
}

export interface RestartResult {
  /** The new codebook (K×I); only the restarted rows differ from the input. */
  codebook: Float32Array;
  /** Indices of the codes that were moved (ascending). */
  restarted: number[];
}

/**
 * Dead-code restart: every code k with usage n_k ≤ `threshold` (default 0: never chosen) is
 * moved onto a candidate latent from `candidates` (m×I, e.g. recent encoder outputs), drawn with
 * `rng` without replacement; all other codes stay exactly as they were.
 *   pick "random": candidates equally likely;
 *   pick "d2" (k-means++ seeding, Arthur & Vassilvitskii 2007): probability ∝ the squared distance
 *     to the nearest live code, updated after each placement, so restarted codes land where the
 *     latents are worst explained (not in the dense background cluster every digit shares).
 */
export function restartDeadCodes(
  codebook: ArrayLike<number>,
  usage: ArrayLike<number>,
  candidates: ArrayLike<number>,
  dim: number,
  rng: Rng,
  opts: { threshold?: number; pick?: "random" | "d2" } = {},
): RestartResult {
  if (!Number.isInteger(dim) || dim < 1 || codebook.length % dim !== 0) throw new RangeError(`restartDeadCodes: ${codebook.length} codebook numbers is not K × I with I = ${dim}.`);
  const K = codebook.length / dim;
  if (usage.length !== K) throw new RangeError(`restartDeadCodes: ${usage.length} usage counts for K = ${K} codes.`);
  if (candidates.length % dim !== 0 || candidates.length === 0) throw new RangeError(`restartDeadCodes: ${candidates.length} candidate numbers is not a positive multiple of I = ${dim}.`);
  if (!(rng instanceof Rng)) throw new TypeError("restartDeadCodes: rng must be an Rng (latentlab's rng(seed)).");
  const threshold = opts.threshold ?? 0;
  const pick = opts.pick ?? "random";
  if (pick !== "random" && pick !== "d2") throw new RangeError(`restartDeadCodes: pick must be "random" or "d2", got ${String(pick)}.`);
  const m = candidates.length / dim;
  const out = Float32Array.from(codebook);
  const dead: number[] = [];
  for (let k = 0; k < K; k++) if (usage[k] <= threshold) dead.push(k);
  if (dead.length === 0) return { codebook: out, restarted: [] };
  // weights: 1 for "random"; squared distance to the nearest live code for "d2"
  const w = new Float64Array(m).fill(1);
  const sqTo = (c: number, src: ArrayLike<number>, k: number) => {
    let d = 0;
    for (let i = 0; i < dim; i++) d += (candidates[c * dim + i] - src[k * dim + i]) ** 2;
    return d;
  };
  if (pick === "d2") {
    w.fill(Infinity);
    for (let k = 0; k < K; k++) if (usage[k] > threshold) for (let c = 0; c < m; c++) w[c] = Math.min(w[c], sqTo(c, codebook, k));
    for (let c = 0; c < m; c++) if (!Number.isFinite(w[c])) w[c] = 1; // no live code at all: uniform
  }
  for (const k of dead) {
    let total = 0;
    for (let c = 0; c < m; c++) total += w[c];
    let c = 0;
    if (total > 0) {
      let u = rng.uniform() * total;
      while (c < m - 1 && (u -= w[c]) >= 0) c++;
      while (w[c] === 0 && c > 0) c--; // the rounding tail lands on a zero weight: step back
    } else c = rng.int(m); // more dead codes than distinct candidates: reuse
    for (let i = 0; i < dim; i++) out[k * dim + i] = candidates[c * dim + i];
    if (pick === "d2") for (let j = 0; j < m; j++) w[j] = Math.min(w[j], sqTo(j, out, k));
    else w[c] = 0; // without replacement
  }
  return { codebook: out, restarted: dead };
}

/**
 * A codebook from K-means (k-means++ seeding, Lloyd's iterations; notebook 08) on latent
 * vectors (n×I, e.g. encoder outputs of training images): C starts at the cluster means.
 */
export async function kMeansCodebook(latents: Float32Array | Float64Array, dim: number, K: number, rng: Rng, maxIterations = 25): Promise<Float32Array> {
  if (!Number.isInteger(K) || K < 2) throw new RangeError(`kMeansCodebook: K = ${K} must be an integer ≥ 2.`);
  const n = latents.length / dim;
  if (!Number.isInteger(n) || n < K) throw new RangeError(`kMeansCodebook: ${latents.length} numbers give ${n} latents of dimension ${dim}; K-means with K = ${K} needs at least K latents.`);
  const res = await kMeans({ data: latents, n, d: dim }, { k: K, rng, maxIterations, onWarning: () => undefined });
  return Float32Array.from(res.centres);
}
