/**
 * A PixelCNN prior over VQ-VAE code maps (lectures 000, 002, 003): "spatial tokens are not
 * independent; we can't sample from an i.i.d. prior". The VQ-VAE turns a 28×28 digit into a
 * 7×7 map of code indices z ∈ {0 … K−1}; a categorical PixelCNN models
 *
 *   P_Φ(z) = Π_{i=1}^{49} P_Φ(z_i | z_<i),
 *
 * which makes the VQ-VAE a generative model (two-stage generation: z ~ P_Φ, x = decoder(z))
 * and measures its rate: −log2 P_Φ(z) bits per image against 49·log2 K for the uniform prior.
 */
import { Rng } from "../../runtime/rng";
import type { VqVae } from "../vqvae/model";
import { vqEncode } from "../vqvae/codes";
import { PIXELCNN_RECIPES, PixelCnnRecipe, loadOrTrainPixelCnn, LoadOrTrainPixelCnnResult } from "./recipes";
import { VqIdentity } from "./checkpoint";

/** The identity of a VQ-VAE as a prior checkpoint records it: K, map size, codes of probe images. */
export function vqIdentity(vq: VqVae, probeImages: Float32Array, source?: string): VqIdentity {
  if (!vq || typeof vq.numCodes !== "number") throw new Error("vqIdentity(vq, probeImages): vq must be a VqVae (from loadOrTrainVqVae).");
  const probeCodes = Array.from(vqEncode(vq, probeImages));
  return { numCodes: vq.numCodes, codeHeight: vq.codeHeight, codeWidth: vq.codeWidth, probeCodes, probeCount: probeImages.length / 784, source };
}

/**
 * Cross-entropy (nats per code) of held-out codes under the best prior that treats codes as
 * i.i.d.: the marginal code frequencies of the training maps, with add-`alpha` smoothing so
 * that unseen codes keep a probability. The uniform prior gives log K; the marginal gives at
 * most that (its entropy); a PixelCNN prior beats the marginal only by using the neighbours.
 */
export function iidCrossEntropy(trainCodes: Int32Array, testCodes: Int32Array, K: number, alpha = 1): number {
  if (!(Number.isInteger(K) && K >= 2)) throw new Error(`iidCrossEntropy: K must be an integer ≥ 2, got ${K}.`);
  if (!(alpha > 0)) throw new Error(`iidCrossEntropy: the smoothing alpha must be > 0, got ${alpha}.`);
  if (testCodes.length === 0) throw new Error("iidCrossEntropy: no test codes.");
  const counts = new Float64Array(K).fill(alpha);
  for (const c of trainCodes) {
    if (!(c >= 0 && c < K)) throw new Error(`iidCrossEntropy: training code ${c} is outside 0 … ${K - 1}.`);
    counts[c]++;
  }
  const total = trainCodes.length + alpha * K;
  let h = 0;
  for (const c of testCodes) {
    if (!(c >= 0 && c < K)) throw new Error(`iidCrossEntropy: test code ${c} is outside 0 … ${K - 1}.`);
    h -= Math.log(counts[c] / total);
  }
  return h / testCodes.length;
}

/** n code maps of h×w codes drawn i.i.d. uniformly from {0 … K−1}: the prior that ignores structure. */
export function uniformCodeMaps(n: number, K: number, h: number, w: number, r: Rng): Int32Array {
  if (!(r instanceof Rng)) throw new Error("uniformCodeMaps: pass a seeded Rng, e.g. rng(0).");
  const out = new Int32Array(n * h * w);
  for (let i = 0; i < out.length; i++) out[i] = r.int(K);
  return out;
}

/**
 * Load or train a PixelCNN prior (recipe "pixelcnn-prior", or "pixelcnn-prior-class" with
 * labels) for the codes of `vq`; a loaded checkpoint must match `vq` (see checkPriorMatchesVq).
 */
export async function loadOrTrainPixelCnnPrior(
  vq: VqVae,
  trainCodes: Int32Array,
  opts: { recipe?: PixelCnnRecipe; labels?: ArrayLike<number>; testCodes?: Int32Array; testLabels?: ArrayLike<number>; probeImages: Float32Array; vqSource?: string; dataDescription?: string },
): Promise<LoadOrTrainPixelCnnResult> {
  const recipe = opts.recipe ?? PIXELCNN_RECIPES["pixelcnn-prior"];
  if (!(opts.probeImages instanceof Float32Array)) throw new Error("loadOrTrainPixelCnnPrior: pass probeImages (a few fixed test digits) to identify the VQ-VAE.");
  const id = vqIdentity(vq, opts.probeImages, opts.vqSource);
  return loadOrTrainPixelCnn(recipe, trainCodes, {
    labels: opts.labels,
    evalData: opts.testCodes,
    evalLabels: opts.testLabels,
    config: { numCategories: vq.numCodes, height: vq.codeHeight, width: vq.codeWidth },
    vq: id,
    dataDescription: opts.dataDescription,
  });
}

/** Decoder outputs clipped to [0, 1] (the VQ-VAE decoder is not clipped), for figures and classifiers. */
export function clipImages(images: Float32Array): Float32Array {
  const out = new Float32Array(images.length);
  for (let i = 0; i < images.length; i++) {
    const v = images[i];
    out[i] = v < 0 ? 0 : v > 1 ? 1 : Number.isNaN(v) ? 0 : v;
  }
  return out;
}
