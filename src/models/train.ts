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
import { loopSignal, throwIfAborted, yielder } from "../runtime/abort";
import { binarizeDynamic } from "../data/binarize";
import { progress } from "../runtime/progress";
import { KlMode, sampleEps, vaeLoss, vaeTerms } from "./objective";
import { Vae } from "./vae";
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

/** Thrown when the loss becomes NaN or infinite; the model keeps its last finite parameters. */
export class DivergenceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DivergenceError";
  }
}

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

type Data = Float32Array | { images: Float32Array };

/**
 * Train `model` on images (n×D values in [0, 1]). Returns the per-epoch metrics; the same
 * history is appended to `model`'s record in `trainingHistory(model)`. Each call starts a
 * fresh Adam optimizer (its moment estimates are not carried over between calls).
 */
export async function trainVae(model: Vae, data: Data, opts: TrainVaeOptions): Promise<TrainVaeResult> {
  await initBackend();
  assertTrainable(model);
  const images = data instanceof Float32Array ? data : data.images;
  const D = model.dataDim;
  const n = images.length / D;
  if (!Number.isInteger(n) || n === 0) throw new Error(`trainVae: got ${images.length} numbers, not a positive multiple of D = ${D}.`);
  const B = opts.batchSize ?? 128;
  const L = opts.samples ?? 1;
  const betaMax = opts.beta ?? 1;
  const warm = opts.klWarmupEpochs ?? 0;
  const freeBits = opts.freeBits ?? 0;
  const klMode = opts.klMode ?? "analytic";
  const binarize = opts.binarize ?? (model.config.likelihood === "bernoulli" ? "dynamic" : "none");
  const r = opts.rng ?? new Rng();
  if (!(opts.epochs >= 0) || !Number.isInteger(opts.epochs)) throw new Error(`trainVae: epochs must be a non-negative integer, got ${opts.epochs}.`);
  if (!Number.isInteger(B) || B <= 0) throw new Error(`trainVae: batchSize must be a positive integer, got ${B}.`);
  if (!(betaMax >= 0)) throw new Error(`trainVae: beta must be ≥ 0, got ${betaMax}.`);
  const optimizer = tf.train.adam(opts.learningRate ?? 1e-3);
  const vars = [...model.params.values()];
  const d = model.latentDim;
  const batchesPerEpoch = Math.min(Math.ceil(n / B), opts.maxBatchesPerEpoch ?? Infinity);
  const signal = loopSignal(opts.signal);
  const maybeYield = yielder();
  const bar = opts.showProgress === false ? null : progress({ total: opts.epochs * batchesPerEpoch, label: model.config.deterministic ? "autoencoder" : "VAE", unit: "batch" });
  const history: EpochMetrics[] = [];
  let steps = 0;
  let trainSeconds = 0;
  let trainImages = 0;
  const buf = new Float32Array(B * D);
  try {
    for (let epoch = 1; epoch <= opts.epochs; epoch++) {
      const t0 = performance.now();
      const perm = r.permutation(n);
      let sumLoss = 0;
      let sumRec = 0;
      let sumKl = 0;
      let seen = 0;
      let beta = betaMax;
      for (let b = 0; b < batchesPerEpoch; b++) {
        throwIfAborted(signal, `at epoch ${epoch}, batch ${b + 1} of ${batchesPerEpoch}`);
        const start = b * B;
        const m = Math.min(B, n - start);
        const x = buf.subarray(0, m * D);
        for (let i = 0; i < m; i++) x.set(images.subarray(perm[start + i] * D, (perm[start + i] + 1) * D), i * D);
        const xb = binarize === "dynamic" ? binarizeDynamic(x, r) : x;
        beta = warm > 0 ? betaMax * Math.min(1, (epoch - 1 + b / batchesPerEpoch) / warm) : betaMax;
        const eps = model.config.deterministic ? null : r.normals(new Float32Array(m * L * d));
        // variableGrads disposes everything f makes except the loss: keep the two terms.
        let terms: tf.Tensor | null = null;
        const { grads, values } = tf.tidy(() => {
          const xt = tf.tensor2d(xb, [m, D]);
          const et = eps ? tf.tensor2d(eps, [m * L, d]) : null;
          const g = tf.variableGrads(() => {
            const t = vaeTerms(model, xt, et, L, klMode);
            terms = tf.keep(tf.stack([tf.neg(tf.mean(t.recon)), tf.mean(t.kl)]));
            return vaeLoss(t, beta, freeBits);
          }, vars);
          return { grads: g.grads, values: tf.reshape(g.value, [1]) };
        });
        const [loss] = values.dataSync();
        const [rec, kl] = (terms as unknown as tf.Tensor).dataSync();
        tf.dispose([values, terms as unknown as tf.Tensor]);
        steps++;
        if (!Number.isFinite(loss) || !Number.isFinite(rec) || !Number.isFinite(kl)) {
          tf.dispose(grads);
          const term = !Number.isFinite(rec) ? "the reconstruction term −log p(x|z)" : !Number.isFinite(kl) ? "the KL term KL(q(z|x) ‖ p(z))" : "the total loss";
          throw new DivergenceError(
            `Training diverged at epoch ${epoch}, batch ${b + 1} (step ${steps}): ${term} is ${!Number.isFinite(rec) ? rec : !Number.isFinite(kl) ? kl : loss} ` +
              `(reconstruction ${rec}, KL ${kl}). The update was not applied, so the model keeps its last finite parameters. ` +
              `Try a smaller learning rate, or check the data is in [0, 1].`,
          );
        }
        optimizer.applyGradients(grads as unknown as Parameters<typeof optimizer.applyGradients>[0]);
        tf.dispose(grads);
        sumLoss += loss * m;
        sumRec += rec * m;
        sumKl += kl * m;
        seen += m;
        bar?.tick(1, { loss: sumLoss / seen, rec: sumRec / seen, kl: sumKl / seen });
        await maybeYield();
      }
      const seconds = (performance.now() - t0) / 1000;
      trainSeconds += seconds;
      trainImages += seen;
      const metrics: EpochMetrics = {
        epoch,
        loss: sumLoss / seen,
        reconstruction: sumRec / seen,
        kl: sumKl / seen,
        elbo: -(sumRec + sumKl) / seen,
        beta,
        seconds,
        imagesPerSec: seen / seconds,
        numTensors: tf.memory().numTensors,
      };
      if (opts.evalImages) {
        const ev = await evaluateVae(model, opts.evalImages, { rng: r.fork(), signal: opts.signal });
        metrics.testElbo = ev.elbo;
        metrics.testReconstruction = ev.reconstruction;
        metrics.testKl = ev.kl;
      }
      history.push(metrics);
      recordHistory(model, metrics);
      if (opts.checkpointDir) await saveVae(model, opts.checkpointDir, { history: trainingHistory(model) });
      opts.onEpoch?.(metrics);
    }
  } finally {
    optimizer.dispose();
  }
  const last = history[history.length - 1];
  bar?.done(last ? { loss: last.loss, rec: last.reconstruction, kl: last.kl } : undefined);
  return { history, steps, imagesPerSec: trainImages / Math.max(trainSeconds, 1e-9) };
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
