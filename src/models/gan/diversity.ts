/**
 * Is a generator's output diverse, and does it look like the data? The numbers notebook 12, the
 * GAN checkpoint's provenance and the GAN tests use to tell a working MNIST GAN from a collapsed one
 * (the same measures apply to real digits, which give the reference values):
 *
 *   pixel variance     (1/784) Σ_j Var_i[x_ij]: mean over pixels of the variance across the n images
 *                      (0 when every z gives the same image)
 *   pairwise distance  mean over pairs i < k of ‖x_i − x_k‖₂ among the first 64 images
 *   class histogram    the reference classifier's predicted class of every image; `classesSeen`
 *                      counts the classes holding at least 2% of the images, `classEntropy` is
 *                      H = −Σ_c p_c log p_c in nats (log 10 ≈ 2.30 for a uniform spread, 0 for one class)
 *   Fréchet distance   between Gaussians fitted to the classifier's features of the images and of
 *                      the reference (test) images (quality/frechet.ts)
 */
import { MlpClassifier, classifierFeatures } from "../quality/classifier";
import { frechetDistance } from "../quality/frechet";

export interface DiversityScores {
  /** Number of images scored. */
  n: number;
  pixelVariance: number;
  pairwiseDistance: number;
  classCounts: number[];
  classesSeen: number;
  classEntropy: number;
  /** Present when reference images were given. */
  frechet?: number;
}

function checkImages(images: unknown, what: string): number {
  if (!(images instanceof Float32Array) || images.length === 0 || images.length % 784 !== 0) {
    throw new TypeError(`${what}: images must be a Float32Array of n × 784 grey values (28×28 digits), got ${images instanceof Float32Array ? images.length + " numbers" : Object.prototype.toString.call(images)}.`);
  }
  return images.length / 784;
}

/** Mean over pixels of the variance across images (n × 784 values). */
export function pixelVarianceAcross(images: Float32Array): number {
  const n = checkImages(images, "pixelVarianceAcross");
  let tot = 0;
  for (let j = 0; j < 784; j++) {
    let m = 0;
    for (let i = 0; i < n; i++) m += images[i * 784 + j];
    m /= n;
    let v = 0;
    for (let i = 0; i < n; i++) v += (images[i * 784 + j] - m) ** 2;
    tot += v / n;
  }
  return tot / 784;
}

/** Mean Euclidean distance between the pairs of the first `count` images (at least 2 images). */
export function meanPairwiseDistance(images: Float32Array, count = 64): number {
  const n = Math.min(checkImages(images, "meanPairwiseDistance"), count);
  if (n < 2) throw new RangeError(`meanPairwiseDistance: needs at least 2 images, got ${n}.`);
  let tot = 0;
  let pairs = 0;
  for (let i = 0; i < n; i++) {
    for (let k = i + 1; k < n; k++) {
      let s = 0;
      for (let j = 0; j < 784; j++) s += (images[i * 784 + j] - images[k * 784 + j]) ** 2;
      tot += Math.sqrt(s);
      pairs++;
    }
  }
  return tot / pairs;
}

/** The scores of the module comment for n × 784 images; the Fréchet distance when `reference` images are given. */
export function diversityScores(images: Float32Array, classifier: MlpClassifier, reference?: Float32Array): DiversityScores {
  const n = checkImages(images, "diversityScores");
  if (!(classifier instanceof MlpClassifier)) throw new TypeError("diversityScores: classifier must be the reference MlpClassifier (loadOrTrainMnistClassifier()).");
  if (reference !== undefined) checkImages(reference, "diversityScores (reference)");
  const labels = classifier.predict(images);
  const classCounts = new Array<number>(10).fill(0);
  for (const l of labels) classCounts[l]++;
  const classEntropy = Math.max(0, -classCounts.reduce((s, c) => s + (c > 0 ? (c / n) * Math.log(c / n) : 0), 0));
  const out: DiversityScores = {
    n,
    pixelVariance: pixelVarianceAcross(images),
    pairwiseDistance: meanPairwiseDistance(images),
    classCounts,
    classesSeen: classCounts.filter((c) => c >= 0.02 * n).length,
    classEntropy,
  };
  if (reference) {
    const a = classifierFeatures(classifier, images);
    const b = classifierFeatures(classifier, reference);
    out.frechet = frechetDistance(a.features, b.features, a.dim);
  }
  return out;
}
