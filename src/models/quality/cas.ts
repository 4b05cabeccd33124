/**
 * Classification accuracy score (lecture 002, "Quantitative evaluation"; Ravuri & Vinyals 2019,
 * reported by the VQ-VAE-2 paper): generate image–class pairs from the model, train a classifier
 * on the generated pairs only, and report its accuracy on the real test set,
 *
 *   CAS = (1/|T|) Σ_{(x, y) ∈ T_real} 1[ argmax_c p_ψ(c | x) = y ],   ψ trained on (x̃, ỹ) ~ model.
 *
 * A model whose samples miss a class, or whose samples of a class do not look like it, scores
 * low; real training data gives the ceiling. For unconditional models (all of the arc's) the
 * classes ỹ of the samples come from a reference classifier (the notebook says so).
 */
import { Rng } from "../../runtime/rng";
import { MlpClassifier, toLabels, trainClassifier, ClassifierConfig } from "./classifier";

export interface CasOptions {
  trainImages: Float32Array;
  trainLabels: ArrayLike<number>;
  testImages: Float32Array;
  testLabels: ArrayLike<number>;
  /** Epochs of the fresh classifier (default 10). */
  epochs?: number;
  rng?: Rng;
  /** Architecture of the fresh classifier (default: the reference classifier's, 784-256-64-10). */
  config?: Partial<ClassifierConfig>;
  showProgress?: boolean;
  signal?: AbortSignal;
}

export interface CasResult {
  /** Accuracy on the real test set of a classifier trained on the given (generated) pairs. */
  accuracy: number;
  /** Per-class accuracy on the test set (NaN for a class absent from the test set). */
  perClass: number[];
  /** How many training pairs of each class were given (a missing class shows as 0). */
  trainClassCounts: number[];
  trainCount: number;
  testCount: number;
  epochs: number;
  seconds: number;
}

/** Train a fresh classifier on (trainImages, trainLabels) and score it on (testImages, testLabels). */
export async function classificationAccuracyScore(opts: CasOptions): Promise<CasResult> {
  if (!opts || typeof opts !== "object") throw new TypeError("classificationAccuracyScore: pass { trainImages, trainLabels, testImages, testLabels, epochs?, rng? }.");
  const { trainImages, testImages } = opts;
  for (const [k, v] of [["trainImages", trainImages], ["testImages", testImages]] as const) {
    if (!(v instanceof Float32Array)) throw new TypeError(`classificationAccuracyScore: ${k} must be a Float32Array of n × 784 grey values, got ${Object.prototype.toString.call(v)}.`);
  }
  const inputDim = opts.config?.inputDim ?? 784;
  const classes = opts.config?.classes ?? 10;
  const nTrain = trainImages.length / inputDim;
  const nTest = testImages.length / inputDim;
  if (!Number.isInteger(nTrain) || !Number.isInteger(nTest) || nTrain === 0 || nTest === 0) {
    throw new RangeError(`classificationAccuracyScore: trainImages (${trainImages.length}) and testImages (${testImages.length}) must hold a positive whole number of ${inputDim}-pixel images.`);
  }
  const yTrain = toLabels(opts.trainLabels, nTrain, classes, "classificationAccuracyScore (trainLabels)");
  const yTest = toLabels(opts.testLabels, nTest, classes, "classificationAccuracyScore (testLabels)");
  const epochs = opts.epochs ?? 10;
  const t0 = performance.now();
  const { model } = await trainClassifier(trainImages, yTrain, {
    epochs,
    rng: opts.rng ?? new Rng(),
    config: opts.config,
    showProgress: opts.showProgress ?? false,
    signal: opts.signal,
    label: "CAS classifier",
  });
  let pred: Int32Array;
  try {
    pred = (model as MlpClassifier).predict(testImages);
  } finally {
    model.dispose();
  }
  const hit = new Array<number>(classes).fill(0);
  const tot = new Array<number>(classes).fill(0);
  let ok = 0;
  for (let i = 0; i < nTest; i++) {
    tot[yTest[i]]++;
    if (pred[i] === yTest[i]) {
      ok++;
      hit[yTest[i]]++;
    }
  }
  const trainClassCounts = new Array<number>(classes).fill(0);
  for (let i = 0; i < nTrain; i++) trainClassCounts[yTrain[i]]++;
  return {
    accuracy: ok / nTest,
    perClass: hit.map((h, c) => (tot[c] ? h / tot[c] : NaN)),
    trainClassCounts,
    trainCount: nTrain,
    testCount: nTest,
    epochs,
    seconds: (performance.now() - t0) / 1000,
  };
}
