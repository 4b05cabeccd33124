/**
 * Training loop for the VAE and the autoencoder (lecture 002, "training of VAEs"): maximise
 * the ELBO over minibatches with Adam,
 *
 *   θ, φ ← θ, φ − η ∇ (1/B) Σ_i [ −log p_θ(x_i | z_i) + β_t KL(q_φ(z|x_i) ‖ p(z)) ],
 *
 * where each minibatch is binarized afresh (dynamic binarization x ~ Bernoulli(pixel)),
 * β_t follows the KL-annealing schedule β·min(1, t / warm-up) and z_i = μ + σ ⊙ ε_i.
 * Interruptible (kernel interrupt or `signal`), leak-free (tf.memory() stable across
 * epochs), and a NaN/Inf loss stops training before the bad update, naming the step and
 * the term that diverged.
 */
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../runtime/backend";
import { Rng } from "../runtime/rng";
import { binarizeDynamic } from "../data/binarize";
import { DivergenceError, EpochRecord, fit, FitOptionsError, Trainable } from "../train/loop";
import { KlMode, vaeLoss, vaeTerms } from "./objective";
import { Vae, VaeConfig } from "./vae";
import { evaluateVae } from "./evaluate";
import { saveVae } from "./checkpoint";

export interface TrainVaeOptions {
  epochs: number;
  /** Minibatch size B (default 128). */
  batchSize?: number;
  /** Adam learning rate (default 1e-3). */
  learningRate?: number;
  /** KL weight β (β-VAE; default 1). */
  beta?: number;
  /** KL annealing: β rises linearly from 0 to β over this many epochs (default 0: off). */
  klWarmupEpochs?: number;
  /** Free bits λ per latent dimension (default 0: off). */
  freeBits?: number;
  /** Samples L of z per datapoint (default 1). */
  samples?: number;
  /** KL term in closed form (default) or by Monte Carlo with the same samples. */
  klMode?: KlMode;
  /** "dynamic": x ~ Bernoulli(pixel) afresh each batch (default for Bernoulli decoders); "none": use the values as given. */
  binarize?: "dynamic" | "none";
  /** Seeded generator for shuffling, binarization and ε (default: a new Rng()). */
  rng?: Rng;
  /** Extra abort signal (the kernel interrupt always works). */
  signal?: AbortSignal;
  /** Show a progress bar (default true). */
  showProgress?: boolean;
  /** Fixed evaluation images (already binarized) for the test ELBO after each epoch. */
  evalImages?: Float32Array;
  /** Save a checkpoint here after every epoch. */
  checkpointDir?: string;
  /** Stop each epoch after this many batches (smoke runs and tests). */
  maxBatchesPerEpoch?: number;
  /** Called after each epoch with its metrics. */
  onEpoch?: (m: EpochMetrics) => void;
  /** Threads computing each step's gradient (data-parallel, see `fit`; default 1; "auto": the machine's cores). */
  threads?: number | "auto";
}

export interface EpochMetrics {
  epoch: number;
  /** Mean training loss −recon + β·KL over the epoch (nats per datapoint). */
  loss: number;
  /** Mean −log p(x|z) (reconstruction term, nats). */
  reconstruction: number;
  /** Mean KL(q(z|x) ‖ p(z)) (nats). */
  kl: number;
  /** −(reconstruction + kl): the training ELBO (β = 1 value). */
  elbo: number;
  beta: number;
  seconds: number;
  imagesPerSec: number;
  /** tf.memory().numTensors at the end of the epoch (leak detector). */
  numTensors: number;
  testElbo?: number;
  testReconstruction?: number;
  testKl?: number;
}

export interface TrainVaeResult {
  history: EpochMetrics[];
  steps: number;
  /** Training throughput over all epochs (images/s, excluding evaluation). */
  imagesPerSec: number;
}

/** Thrown when a loss becomes NaN or infinite (the shared loop's error class). */
export { DivergenceError };

/** Whether this model can train on the active backend (conv layers need Conv2DBackpropFilter). */
export function assertTrainable(model: Vae): void {
  const backend = tf.getBackend();
  if (model.config.architecture === "conv" && !tf.getKernel("Conv2DBackpropFilter", backend)) {
    throw new Error(
      `The convolutional VAE cannot train on the "${backend}" backend: it has no Conv2DBackpropFilter kernel ` +
        `(the gradient of a convolution with respect to its filter). Use the MLP architecture, or run with ` +
        `LATENTLAB_BACKEND=cpu (works, but slowly). latentlab registers this kernel for wasm when it selects the ` +
        `wasm backend (src/kernels); if you unregistered it, call registerWasmKernels().`,
    );
  }
}

type Data = Float32Array | { images: Float32Array; height?: number; width?: number };

/**
 * Train `model` on images (n×D values in [0, 1]) through the shared loop (`fit`, src/train).
 * Returns the per-epoch metrics; the same history is appended to `model`'s record in
 * `trainingHistory(model)`. Each call starts a fresh Adam optimizer (its moment estimates are
 * not carried over between calls).
 */
export async function trainVae(model: Vae, data: Data, opts: TrainVaeOptions): Promise<TrainVaeResult> {
  if (!(model instanceof Vae)) throw new FitOptionsError("trainVae: the first argument must be a Vae (createVae or createAutoencoder).");
  if (opts === null || typeof opts !== "object") throw new FitOptionsError("trainVae: options must be an object like { epochs: 10 }.");
  await initBackend();
  assertTrainable(model);
  const images = data instanceof Float32Array ? data : data?.images;
  if (!(images instanceof Float32Array)) throw new FitOptionsError(`trainVae: data must be a Float32Array of n × ${model.dataDim} pixel values (or { images }), got ${Object.prototype.toString.call(images)}.`);
  const D = model.dataDim;
  const shape = data instanceof Float32Array ? null : (data as { height?: unknown; width?: unknown });
  if (shape && typeof shape.height === "number" && typeof shape.width === "number" && (shape.height !== model.config.height || shape.width !== model.config.width)) {
    throw new FitOptionsError(
      `trainVae: the data are ${shape.height}×${shape.width} images but this model was built for ${model.config.height}×${model.config.width}. ` +
        `Build the model for your image size (createVae({ height: ${shape.height}, width: ${shape.width}, … })) or resize the images.`,
    );
  }
  const n = images.length / D;
  if (!Number.isInteger(n) || n === 0) {
    throw new FitOptionsError(
      `trainVae: got ${images.length} numbers, not a positive multiple of D = ${D} (${model.config.height}×${model.config.width} images, the size this model was built for). ` +
        `Build the model for your image size (createVae({ height, width, … })) or pass images of that size.`,
    );
  }
  const L = opts.samples ?? 1;
  const betaMax = opts.beta ?? 1;
  const warm = opts.klWarmupEpochs ?? 0;
  const freeBits = opts.freeBits ?? 0;
  const klMode = opts.klMode ?? "analytic";
  const binarize = opts.binarize ?? (model.config.likelihood === "bernoulli" ? "dynamic" : "none");
  const r = opts.rng ?? new Rng();
  if (typeof L !== "number" || !Number.isInteger(L) || L < 1) throw new FitOptionsError(`trainVae: samples must be a positive integer (samples of z per datapoint), got ${String(L)}.`);
  if (typeof betaMax !== "number" || !(betaMax >= 0) || !Number.isFinite(betaMax)) throw new FitOptionsError(`trainVae: beta must be a finite number ≥ 0, got ${String(betaMax)}.`);
  if (typeof warm !== "number" || !(warm >= 0) || !Number.isFinite(warm)) throw new FitOptionsError(`trainVae: klWarmupEpochs must be a finite number ≥ 0, got ${String(warm)}.`);
  if (typeof freeBits !== "number" || !(freeBits >= 0) || !Number.isFinite(freeBits)) throw new FitOptionsError(`trainVae: freeBits must be a finite number ≥ 0 (nats per latent dimension), got ${String(freeBits)}.`);
  if (klMode !== "analytic" && klMode !== "mc") throw new FitOptionsError(`trainVae: klMode must be "analytic" or "mc", got ${JSON.stringify(klMode)}.`);
  if (binarize !== "dynamic" && binarize !== "none") throw new FitOptionsError(`trainVae: binarize must be "dynamic" or "none", got ${JSON.stringify(binarize)}.`);
  const settings: VaeStepSettings = { samples: L, beta: betaMax, klWarmupEpochs: warm, freeBits, klMode, binarize };
  const trainable = vaeTrainable(model, settings);
  const toMetrics = (rec: EpochRecord): EpochMetrics => ({
    epoch: rec.epoch,
    loss: rec.terms.loss,
    reconstruction: rec.terms.rec,
    kl: rec.terms.kl,
    elbo: -(rec.terms.rec + rec.terms.kl),
    beta: trainable.lastBeta,
    seconds: rec.seconds,
    imagesPerSec: rec.examplesPerSec,
    numTensors: rec.numTensors,
    ...(rec.eval ? { testElbo: rec.eval.elbo, testReconstruction: rec.eval.reconstruction, testKl: rec.eval.kl } : {}),
  });
  const history: EpochMetrics[] = [];
  const res = await fit(
    trainable,
    { x: images, rowSize: D },
    {
      epochs: opts.epochs,
      batchSize: opts.batchSize ?? 128,
      learningRate: opts.learningRate ?? 1e-3,
      rng: r,
      signal: opts.signal,
      showProgress: opts.showProgress,
      maxBatchesPerEpoch: opts.maxBatchesPerEpoch,
      threads: opts.threads,
      evaluate: opts.evalImages
        ? async () => {
            const ev = await evaluateVae(model, opts.evalImages!, { rng: r.fork(), signal: opts.signal });
            return { elbo: ev.elbo, reconstruction: ev.reconstruction, kl: ev.kl };
          }
        : undefined,
      checkpoint: async (_epoch, all) => {
        const metrics = toMetrics(all[all.length - 1]);
        history.push(metrics);
        recordHistory(model, metrics);
        if (opts.checkpointDir) await saveVae(model, opts.checkpointDir, { history: trainingHistory(model) });
        opts.onEpoch?.(metrics);
      },
    },
  );
  return { history, steps: res.steps, imagesPerSec: res.examplesPerSec };
}

/** What one VAE training step needs besides the model (everything trainVae's options set). */
export interface VaeStepSettings {
  samples: number;
  beta: number;
  klWarmupEpochs: number;
  freeBits: number;
  klMode: KlMode;
  binarize: "dynamic" | "none";
}

/**
 * The VAE (or autoencoder) as a `Trainable` for the shared loop: prepareBatch binarizes the
 * rows and draws ε (row i·L + s is sample s of datapoint i); the one phase minimises
 * −recon + β_t·KL with β_t = β·min(1, (epoch − 1 + batch / batches) / warm-up).
 */
export function vaeTrainable(model: Vae, s: VaeStepSettings): Trainable & { lastBeta: number } {
  const D = model.dataDim;
  const d = model.latentDim;
  const L = s.samples;
  const t: Trainable & { lastBeta: number } = {
    name: model.config.deterministic ? "autoencoder" : "VAE",
    rowSize: D,
    lastBeta: s.beta,
    prepareBatch(rows, ctx) {
      const x = rows.x as Float32Array;
      const m = rows.size;
      const xb = s.binarize === "dynamic" ? binarizeDynamic(x, ctx.rng) : x;
      const inputs: Record<string, tf.Tensor> = { x: tf.tensor2d(xb, [m, D]) };
      if (!model.config.deterministic) inputs.eps = tf.tensor2d(ctx.rng.normals(new Float32Array(m * L * d)), [m, L * d]);
      return inputs;
    },
    phases: () => [
      {
        name: "model",
        variables: () => [...model.params.values()],
        termLabels: { rec: "the reconstruction term −log p(x|z)", kl: "the KL term KL(q(z|x) ‖ p(z))", loss: "the total loss" },
        loss(inputs, ctx) {
          const beta = s.klWarmupEpochs > 0 ? s.beta * Math.min(1, (ctx.epoch - 1 + ctx.batch / ctx.batchesPerEpoch) / s.klWarmupEpochs) : s.beta;
          t.lastBeta = beta;
          const x = inputs.x as tf.Tensor2D;
          const eps = inputs.eps ? (tf.reshape(inputs.eps, [x.shape[0] * L, d]) as tf.Tensor2D) : null;
          const terms = vaeTerms(model, x, eps, L, s.klMode);
          return { loss: vaeLoss(terms, beta, s.freeBits), terms: { rec: tf.neg(tf.mean(terms.recon)) as tf.Scalar, kl: tf.mean(terms.kl) as tf.Scalar } };
        },
      },
    ],
    // Free bits clamp the batch-mean KL per dimension, which is not a mean over examples:
    // such a loss cannot be split across threads, so it trains on one.
    replica: s.freeBits > 0 ? undefined : () => ({ module: __filename, factory: "vaeReplica", args: [model.config, s] }),
  };
  return t;
}

/** A worker's copy of a VAE Trainable (data-parallel training rebuilds it from replica()). */
export function vaeReplica(config: VaeConfig, s: VaeStepSettings): Trainable {
  return vaeTrainable(new Vae(config, new Rng(0)), s);
}

const histories = new WeakMap<Vae, EpochMetrics[]>();

function recordHistory(model: Vae, m: EpochMetrics): void {
  const h = histories.get(model) ?? [];
  h.push({ ...m, epoch: h.length + 1 });
  histories.set(model, h);
}

/** All epochs this model has been trained for in this process (across trainVae calls). */
export function trainingHistory(model: Vae): EpochMetrics[] {
  return [...(histories.get(model) ?? [])];
}
