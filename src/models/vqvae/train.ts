/**
 * Training a VQ-VAE through the shared loop `fit` (src/train). With `init: "kmeans"` the first
 * `warmupEpochs` train the encoder and decoder as a plain autoencoder (quantizer bypassed), then
 * the codebook is initialized by K-means on the trained encoder's outputs (lecture 003: VQ-VAE is
 * "deep K-means"): the codes start where the latents are, instead of at random points that the
 * latents, growing fast in the first steps, leave behind (measured: without the warm-up the codes
 * initialized on the untrained encoder collapse to a handful within 100 steps).
 */
import * as tf from "@tensorflow/tfjs";
import { Rng } from "../../runtime/rng";
import { initBackend } from "../../runtime/backend";
import { fit, type EpochRecord } from "../../train";
import { VqVae } from "./model";
import { kMeansCodebook } from "./codebook";
import { evaluateVqVae, vqLatents } from "./codes";

export interface TrainVqVaeOptions {
  epochs: number;
  batchSize?: number;
  learningRate?: number;
  /** The run's generator: K-means seeding, shuffling, dead-code restarts (default new Rng()). */
  rng?: Rng;
  signal?: AbortSignal;
  showProgress?: boolean;
  maxBatchesPerEpoch?: number;
  /** Held-out images: MSE, MSE / Var, codes used and perplexity after every epoch (record.eval). */
  evalImages?: Float32Array;
  /** Images whose encoder outputs K-means clusters for the initial codebook (default 1,000). */
  kMeansImages?: number;
  onEpoch?: (record: EpochRecord) => void;
  label?: string;
  /**
   * fit's data-parallel threads (default 1; "auto": the machine's cores, see fit): each step's
   * gradient and the re-encoding after it are split across worker threads holding replicas.
   * Same numbers up to float summation order.
   */
  threads?: number | "auto";
}

export interface TrainVqVaeResult {
  history: EpochRecord[];
  steps: number;
  examplesPerSec: number;
  /** Seconds spent on the K-means initialization (0 when none). */
  initSeconds: number;
  /** Threads the last step ran on (FitResult.threads). */
  threads: number;
}

/**
 * Initialize the codebook by K-means on the current encoder's outputs of `count` training
 * images chosen with `rng` (count × 49 latent vectors; K-means++ seeding and Lloyd iterations).
 */
export async function initCodebookByKMeans(model: VqVae, images: Float32Array, rng: Rng, count = 1000): Promise<void> {
  const D = model.rowSize;
  const n = images.length / D;
  const m = Math.min(count, n);
  const pick = rng.permutation(n).subarray(0, m);
  const sub = new Float32Array(m * D);
  pick.forEach((r, i) => sub.set(images.subarray(r * D, (r + 1) * D), i * D));
  const lat = vqLatents(model, sub);
  model.setCodebook(await kMeansCodebook(lat, model.latentDim, model.numCodes, rng));
}

/** Train `model` on images (n × H·W pixels in [0, 1]); see TrainVqVaeOptions. */
export async function trainVqVae(model: VqVae, images: Float32Array, opts: TrainVqVaeOptions): Promise<TrainVqVaeResult> {
  await initBackend();
  if (!(model instanceof VqVae)) throw new TypeError("trainVqVae: the model must be a VqVae (createVqVae).");
  if (!(images instanceof Float32Array)) throw new TypeError(`trainVqVae: images must be a Float32Array of n × ${model.rowSize} pixels, got ${Object.prototype.toString.call(images)}.`);
  if (tf.getBackend() === "wasm" && !tf.getKernel("Conv2DBackpropFilter", "wasm")) {
    throw new Error("trainVqVae: the wasm backend has no Conv2DBackpropFilter kernel; latentlab registers it in initBackend (src/kernels). Call registerWasmKernels().");
  }
  const r = opts.rng ?? new Rng();
  const common = {
    batchSize: opts.batchSize,
    learningRate: opts.learningRate,
    rng: r,
    signal: opts.signal,
    showProgress: opts.showProgress,
    maxBatchesPerEpoch: opts.maxBatchesPerEpoch,
    threads: opts.threads,
    label: opts.label,
    onEpoch: opts.onEpoch,
    evaluate: opts.evalImages
      ? (): Record<string, number> => {
          if (model.bypassQuantizer) return {};
          const ev = evaluateVqVae(model, opts.evalImages!);
          return { mse: ev.mse, mseOverVariance: ev.mseOverVariance, codesUsed: ev.codesUsed, perplexity: ev.perplexity };
        }
      : undefined,
  };
  let initSeconds = 0;
  let done = 0;
  const history: EpochRecord[] = [];
  let steps = 0;
  let seconds = 0;
  let examples = 0;
  let threads = 1;
  const run = async (epochs: number) => {
    if (epochs <= 0) return;
    const res = await fit(model, { x: images, rowSize: model.rowSize }, { ...common, epochs, startEpoch: done });
    history.push(...res.history);
    steps += res.steps;
    threads = res.threads;
    for (const h of res.history) {
      seconds += h.seconds;
      examples += h.examplesPerSec * h.seconds;
    }
    done += epochs;
  };
  if (!model.codebookInitialized) {
    if (model.config.init === "kmeans") {
      const warm = Math.min(model.config.warmupEpochs, opts.epochs);
      model.bypassQuantizer = true;
      try {
        await run(warm);
      } finally {
        model.bypassQuantizer = false;
      }
      const t0 = performance.now();
      await initCodebookByKMeans(model, images, r.fork(), opts.kMeansImages ?? 1000);
      initSeconds = (performance.now() - t0) / 1000;
    }
    model.codebookInitialized = true;
  }
  await run(opts.epochs - done);
  const res = { history, steps, examplesPerSec: examples / Math.max(seconds, 1e-9) };
  return { ...res, initSeconds, threads };
}
