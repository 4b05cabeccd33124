/**
 * A small MNIST classifier whose hidden features measure sample quality (the role Inception
 * plays for FID), trained once on the shared split and shipped in checkpoints/mnist-classifier:
 *
 *   h₁ = relu(x W₁ + b₁),  h₂ = relu(h₁ W₂ + b₂)  (the features φ(x)),  p(y|x) = softmax(h₂ W₃ + b₃)
 *
 * trained by minimising the cross-entropy −(1/m) Σ_i log p(y_i | x_i) through the shared loop
 * `fit` (one phase). Inputs are grey values in [0, 1] (the embedded MNIST digits, or a model's
 * pixel means).
 */
import * as fs from "fs";
import * as path from "path";
import * as tf from "@tensorflow/tfjs";
import { Rng } from "../../runtime/rng";
import { isSmoke } from "../../runtime/env";
import { initBackend } from "../../runtime/backend";
import { fit, EpochRecord, Trainable, BatchRows, TrainPhase } from "../../train/loop";
import { denseFused } from "../fusedDense";
import { loadWeights, saveWeights } from "../../io/weights";
import { checkpointDir, mnistSplitForVae } from "../recipes";
import { ParamSet } from "./params";
import { subset } from "../../data/split";
import type { ImageDataset } from "../../data/mnist";

/**
 * n images and labels drawn without replacement from `ds` (in random order). The embedded
 * digits, and the shared split's parts, are ordered by class: never take a prefix.
 */
export function randomSubset(ds: ImageDataset, n: number, r: Rng): { images: Float32Array; labels: Int32Array } {
  if (!Number.isInteger(n) || n <= 0 || n > ds.count) throw new RangeError(`randomSubset: n must be an integer in [1, ${ds.count}], got ${n}.`);
  const idx = r.permutation(ds.count).subarray(0, n);
  const sub = subset(ds, idx);
  return { images: sub.images, labels: Int32Array.from(sub.labels) };
}

export interface ClassifierConfig {
  /** Numbers per input row (784 for 28×28). */
  inputDim: number;
  /** Hidden layer sizes; the last one is the feature dimension. */
  hidden: number[];
  classes: number;
}

export const DEFAULT_CLASSIFIER_CONFIG: ClassifierConfig = { inputDim: 784, hidden: [256, 64], classes: 10 };

export class MlpClassifier {
  readonly config: ClassifierConfig;
  readonly ps: ParamSet;

  constructor(config: Partial<ClassifierConfig> = {}, r: Rng = new Rng()) {
    const c: ClassifierConfig = { ...DEFAULT_CLASSIFIER_CONFIG, ...config, hidden: [...(config.hidden ?? DEFAULT_CLASSIFIER_CONFIG.hidden)] };
    if (!Number.isInteger(c.inputDim) || c.inputDim <= 0) throw new Error(`MlpClassifier: inputDim must be a positive integer, got ${c.inputDim}.`);
    if (!Number.isInteger(c.classes) || c.classes < 2) throw new Error(`MlpClassifier: classes must be an integer ≥ 2, got ${c.classes}.`);
    if (!Array.isArray(c.hidden) || c.hidden.length === 0 || c.hidden.some((h) => !Number.isInteger(h) || h <= 0)) {
      throw new Error(`MlpClassifier: hidden must be a non-empty array of positive integers, got ${JSON.stringify(c.hidden)}.`);
    }
    this.config = c;
    this.ps = new ParamSet("MlpClassifier", "clf");
    let fin = c.inputDim;
    c.hidden.forEach((h, i) => {
      this.ps.dense(`h${i}`, fin, h, r);
      fin = h;
    });
    this.ps.dense("out", fin, c.classes, r);
  }

  /** Feature dimension (the last hidden layer). */
  get featureDim(): number {
    return this.config.hidden[this.config.hidden.length - 1];
  }

  private layer(name: string, x: tf.Tensor, act: "relu" | "linear"): tf.Tensor2D {
    return denseFused(x as tf.Tensor2D, this.ps.get(`${name}/kernel`) as tf.Tensor2D, this.ps.get(`${name}/bias`) as tf.Tensor1D, act);
  }

  /** Features φ(x): the last hidden layer's activations. [n, inputDim] → [n, featureDim]. */
  featuresOf(x: tf.Tensor2D): tf.Tensor2D {
    if (x.rank !== 2 || x.shape[1] !== this.config.inputDim) throw new Error(`MlpClassifier: expected a [n, ${this.config.inputDim}] tensor, got [${x.shape}].`);
    let h: tf.Tensor2D = x;
    for (let i = 0; i < this.config.hidden.length; i++) h = this.layer(`h${i}`, h, "relu");
    return h;
  }

  /** Class logits. [n, inputDim] → [n, classes]. */
  logits(x: tf.Tensor2D): tf.Tensor2D {
    return this.layer("out", this.featuresOf(x), "linear");
  }

  /** Predicted classes (argmax of the logits) for n × inputDim numbers. */
  predict(images: Float32Array, batchSize = 1000): Int32Array {
    const D = this.config.inputDim;
    const n = checkImages(images, D, "MlpClassifier.predict");
    const out = new Int32Array(n);
    for (let s = 0; s < n; s += batchSize) {
      const m = Math.min(batchSize, n - s);
      const t = tf.tidy(() => tf.argMax(this.logits(tf.tensor2d(images.subarray(s * D, (s + m) * D), [m, D])), 1));
      out.set(t.dataSync() as Int32Array, s);
      t.dispose();
    }
    return out;
  }

  /** Fraction of `images` whose predicted class equals the label. */
  accuracy(images: Float32Array, labels: ArrayLike<number>): number {
    const pred = this.predict(images);
    if (labels.length !== pred.length) throw new Error(`MlpClassifier.accuracy: ${pred.length} images but ${labels.length} labels.`);
    let ok = 0;
    for (let i = 0; i < pred.length; i++) if (pred[i] === labels[i]) ok++;
    return ok / pred.length;
  }

  dispose(): void {
    this.ps.dispose();
  }
}

function checkImages(images: unknown, D: number, what: string): number {
  if (!(images instanceof Float32Array)) throw new TypeError(`${what}: images must be a Float32Array of n × ${D} grey values, got ${Object.prototype.toString.call(images)}.`);
  const n = images.length / D;
  if (!Number.isInteger(n) || n === 0) throw new RangeError(`${what}: ${images.length} numbers is not a positive multiple of ${D} (one row per image).`);
  return n;
}

/** Labels as an Int32Array in [0, classes), checked. */
export function toLabels(labels: unknown, n: number, classes: number, what: string): Int32Array {
  if (!labels || typeof (labels as ArrayLike<number>).length !== "number") throw new TypeError(`${what}: labels must be an array of class indices, got ${typeof labels}.`);
  const l = labels as ArrayLike<number>;
  if (l.length !== n) throw new RangeError(`${what}: ${n} images but ${l.length} labels; give one label per image.`);
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const v = l[i];
    if (!Number.isInteger(v) || v < 0 || v >= classes) throw new RangeError(`${what}: label ${i} is ${v}, not a class index in [0, ${classes}).`);
    out[i] = v;
  }
  return out;
}

/** The classifier as a Trainable for `fit`: one phase, the mean cross-entropy. */
export class ClassifierTrainable implements Trainable {
  readonly name = "MNIST classifier";
  readonly rowSize: number;
  constructor(readonly clf: MlpClassifier) {
    this.rowSize = clf.config.inputDim;
  }
  prepareBatch(rows: BatchRows): Record<string, tf.Tensor> {
    if (!rows.labels) throw new Error("ClassifierTrainable: the training data needs labels (TrainData.labels).");
    return {
      x: tf.tensor2d(rows.x as Float32Array, [rows.size, rows.rowSize]),
      y: tf.oneHot(tf.tensor1d(rows.labels, "int32"), this.clf.config.classes).toFloat(),
    };
  }
  phases(): TrainPhase[] {
    return [
      {
        name: "model",
        variables: () => this.clf.ps.variables(),
        loss: (inp) => {
          const logp = tf.logSoftmax(this.clf.logits(inp.x as tf.Tensor2D));
          const loss = tf.neg(tf.mean(tf.sum(tf.mul(inp.y, logp), 1))) as tf.Scalar;
          return { loss };
        },
        termLabels: { loss: "the cross-entropy −log p(y|x)" },
      },
    ];
  }
}

export interface TrainClassifierOptions {
  epochs?: number;
  batchSize?: number;
  learningRate?: number;
  rng?: Rng;
  config?: Partial<ClassifierConfig>;
  showProgress?: boolean;
  signal?: AbortSignal;
  label?: string;
}

/** Train a fresh MlpClassifier on images (n × inputDim in [0, 1]) and labels; returns it and its history. */
export async function trainClassifier(
  images: Float32Array,
  labels: ArrayLike<number>,
  opts: TrainClassifierOptions = {},
): Promise<{ model: MlpClassifier; history: EpochRecord[]; seconds: number }> {
  await initBackend();
  const config = { ...DEFAULT_CLASSIFIER_CONFIG, ...(opts.config ?? {}) };
  const n = checkImages(images, config.inputDim, "trainClassifier");
  const y = toLabels(labels, n, config.classes, "trainClassifier");
  const r = opts.rng ?? new Rng();
  const model = new MlpClassifier(config, r.fork());
  const t0 = performance.now();
  const res = await fit(new ClassifierTrainable(model), { x: images, rowSize: config.inputDim, labels: y }, {
    epochs: opts.epochs ?? 10,
    batchSize: opts.batchSize ?? 128,
    learningRate: opts.learningRate ?? 1e-3,
    rng: r.fork(),
    showProgress: opts.showProgress,
    signal: opts.signal,
    label: opts.label,
  });
  return { model, history: res.history, seconds: (performance.now() - t0) / 1000 };
}

/** Features φ(x) of a trained classifier for n images: n × dim numbers. */
export function classifierFeatures(clf: MlpClassifier, images: Float32Array, batchSize = 1000): { features: Float32Array; dim: number } {
  if (!(clf instanceof MlpClassifier)) throw new TypeError("classifierFeatures: the first argument must be an MlpClassifier (loadOrTrainMnistClassifier()).");
  const D = clf.config.inputDim;
  const n = checkImages(images, D, "classifierFeatures");
  const dim = clf.featureDim;
  const out = new Float32Array(n * dim);
  for (let s = 0; s < n; s += batchSize) {
    const m = Math.min(batchSize, n - s);
    const t = tf.tidy(() => clf.featuresOf(tf.tensor2d(images.subarray(s * D, (s + m) * D), [m, D])));
    out.set(t.dataSync() as Float32Array, s * dim);
    t.dispose();
  }
  return { features: out, dim };
}

// ---- the shipped checkpoint --------------------------------------------------------------------

export const MNIST_CLASSIFIER_NAME = "mnist-classifier";
/** The recipe of the shipped classifier: seed and epochs (data: mnistSplitForVae(0).train). */
export const MNIST_CLASSIFIER_RECIPE = { seed: 0, epochs: 20, batchSize: 128, learningRate: 1e-3, config: DEFAULT_CLASSIFIER_CONFIG };

export interface ClassifierCheckpointInfo {
  config: ClassifierConfig;
  provenance: Record<string, unknown>;
}

export async function saveClassifier(clf: MlpClassifier, dir: string, provenance: Record<string, unknown>): Promise<void> {
  const info: ClassifierCheckpointInfo = { config: clf.config, provenance };
  const w = clf.ps.weights();
  try {
    await saveWeights(w, dir, { classifier: info });
  } finally {
    tf.dispose(Object.values(w));
  }
  fs.writeFileSync(path.join(dir, "classifier.json"), JSON.stringify(info, null, 2) + "\n");
}

export function hasClassifierCheckpoint(dir: string): boolean {
  return fs.existsSync(path.join(dir, "classifier.json")) && fs.existsSync(path.join(dir, "model.json"));
}

export async function loadClassifier(dir: string): Promise<{ model: MlpClassifier; info: ClassifierCheckpointInfo }> {
  await initBackend();
  const p = path.join(dir, "classifier.json");
  if (!fs.existsSync(p)) throw new Error(`No classifier checkpoint in ${dir} (classifier.json is missing). Train one with loadOrTrainMnistClassifier({ force: true }).`);
  const info = JSON.parse(fs.readFileSync(p, "utf8")) as ClassifierCheckpointInfo;
  const model = new MlpClassifier(info.config, new Rng(0));
  const { weights } = await loadWeights(dir);
  try {
    model.ps.setWeights(weights);
  } catch (e) {
    model.dispose();
    throw new Error(`Loading the classifier checkpoint in ${dir} failed: ${(e as Error).message}`);
  } finally {
    tf.dispose(Object.values(weights));
  }
  return { model, info };
}

export interface LoadedClassifier {
  model: MlpClassifier;
  source: "checkpoint" | "trained";
  provenance: Record<string, unknown>;
  /** Accuracy on the held-out part of the shared split (mnistSplitForVae(0).test). */
  testAccuracy: number;
}

/**
 * The reference MNIST classifier of the sample-quality measures. Full mode: loads
 * checkpoints/mnist-classifier (unless LATENTLAB_RETRAIN=1 or `force`), else trains it on the
 * shared split's 9,001 training digits (MNIST_CLASSIFIER_RECIPE) and saves it. Smoke mode:
 * trains a small one (2,000 digits, 2 epochs), nothing saved.
 */
export async function loadOrTrainMnistClassifier(opts: { force?: boolean; signal?: AbortSignal; showProgress?: boolean } = {}): Promise<LoadedClassifier> {
  await initBackend();
  const dir = checkpointDir(MNIST_CLASSIFIER_NAME);
  const split = mnistSplitForVae(0);
  const retrain = opts.force || (process.env.LATENTLAB_RETRAIN ?? "") === "1";
  if (!isSmoke() && !retrain && hasClassifierCheckpoint(dir)) {
    const { model, info } = await loadClassifier(dir);
    const testAccuracy = model.accuracy(split.test.images, split.test.labels);
    const p = info.provenance;
    console.log(`Loaded checkpoint ${MNIST_CLASSIFIER_NAME} (${p.epochs} epochs, seed ${p.seed}; test accuracy ${(testAccuracy * 100).toFixed(2)}%). Set LATENTLAB_RETRAIN=1 to train it again.`);
    return { model, source: "checkpoint", provenance: p, testAccuracy };
  }
  const R = MNIST_CLASSIFIER_RECIPE;
  const nTrain = isSmoke() ? 2000 : split.train.count;
  const epochs = isSmoke() ? 2 : R.epochs;
  const data = isSmoke() ? randomSubset(split.train, nTrain, new Rng(R.seed + 1)) : { images: split.train.images, labels: split.train.labels };
  const { model, history, seconds } = await trainClassifier(data.images, data.labels, {
    epochs,
    batchSize: R.batchSize,
    learningRate: R.learningRate,
    rng: new Rng(R.seed),
    config: R.config,
    signal: opts.signal,
    showProgress: opts.showProgress,
    label: "MNIST classifier",
  });
  const testAccuracy = model.accuracy(split.test.images, split.test.labels);
  const provenance = {
    name: MNIST_CLASSIFIER_NAME,
    command: `LATENTLAB_RETRAIN=1 npm run notebooks -- 12  (or: npx tsx -e 'require("./src/models/quality").loadOrTrainMnistClassifier({ force: true })')`,
    seed: R.seed,
    epochs,
    batchSize: R.batchSize,
    learningRate: R.learningRate,
    data: `${split.description}; trained on the ${nTrain} training digits (grey values)`,
    scores: { testAccuracy },
    trainSeconds: seconds,
    history: history.map((h) => ({ epoch: h.epoch, loss: h.terms.loss, seconds: h.seconds })),
    date: new Date().toISOString(),
  };
  if (!isSmoke()) {
    fs.mkdirSync(dir, { recursive: true });
    await saveClassifier(model, dir, provenance);
    console.log(`Trained ${MNIST_CLASSIFIER_NAME} in ${seconds.toFixed(0)} s (test accuracy ${(testAccuracy * 100).toFixed(2)}%) and saved it to ${dir}.`);
  }
  return { model, source: "trained", provenance, testAccuracy };
}
