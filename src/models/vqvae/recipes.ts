/**
 * VQ-VAE recipes (architecture, data, seed, training) and their checkpoints, so that notebooks
 * 09 and 11, `npx tsx scripts/train-vqvae-checkpoint.ts` and the benchmark build the same
 * models, and a shipped checkpoint under checkpoints/<name>/ stands in for training.
 *
 * All train on `mnistSplitForVae(0)` (embedded MNIST, 90/10 stratified, seed 0: the split
 * every notebook shares), grey values in [0, 1].
 *
 * loadOrTrainVqVae: in smoke mode trains 2 × 4 batches (nothing saved); otherwise loads
 * checkpoints/<name> unless LATENTLAB_RETRAIN=1, and trains and saves when it is missing.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as tf from "@tensorflow/tfjs";
import { Rng } from "../../runtime/rng";
import { isSmoke } from "../../runtime/env";
import { initBackend } from "../../runtime/backend";
import { loadWeights, saveWeights } from "../../io/weights";
import type { EpochRecord } from "../../train";
import { checkpointDir, mnistSplitForVae } from "../recipes";
import { VqVae, VqVaeConfig } from "./model";
import { trainVqVae } from "./train";
import { evaluateVqVae, pixelVariance } from "./codes";

export interface VqVaeRecipe {
  name: string;
  /** The config; dataVariance is filled in from the training pixels. */
  config: Partial<VqVaeConfig>;
  seed: number;
  epochs: number;
  batchSize: number;
  learningRate: number;
  /** What it is for (shown in provenance and the checkpoints README). */
  purpose: string;
  /** Train on this many of the training digits, evenly spaced through the split (default all). */
  trainImages?: number;
  /** Training digits whose encoder outputs K-means clusters for the initial codebook (default 1,000). */
  kMeansImages?: number;
}

const KERAS = { channels: [32, 64] as [number, number], latentDim: 16, beta: 0.25 };
const LIGHT = { channels: [16, 32] as [number, number], latentDim: 16, beta: 0.25 };

function recipe(name: string, config: Partial<VqVaeConfig>, epochs: number, purpose: string, trainImages?: number): VqVaeRecipe {
  return { name, config, seed: 0, epochs, batchSize: 128, learningRate: 1e-3, purpose, ...(trainImages ? { trainImages, kMeansImages: 300 } : {}) };
}

/** m of the n images (D pixels each), evenly spaced (the split is ordered by class: every class keeps its share). */
export function evenlySpaced(images: Float32Array, D: number, m: number): Float32Array {
  const n = images.length / D;
  if (m >= n) return images;
  const out = new Float32Array(m * D);
  for (let i = 0; i < m; i++) {
    const j = Math.floor((i * n) / m);
    out.set(images.subarray(j * D, (j + 1) * D), i * D);
  }
  return out;
}

/** Rate–distortion sweep sizes (the light network, EMA codebook, K-means init, dead-code restarts). */
export const VQVAE_SWEEP_K = [16, 64, 128, 512];

/**
 * The short runs (sweep, ablations), sized to train while the 2 cores were shared by eight jobs:
 * light network, 4 epochs (1 warm-up when K-means) on 1,500 training digits, K-means on 300.
 */
const SHORT = { epochs: 4, trainImages: 1500 };

const HEALTHY = { init: "kmeans" as const, warmupEpochs: 1, restartDeadCodes: true };

export const VQVAE_RECIPES: Record<string, VqVaeRecipe> = {
  "vqvae-mnist": recipe("vqvae-mnist", { ...KERAS, numCodes: 128, ...HEALTHY, codebookLearning: "ema" }, 8,
    "the default: keras-io's network and K = 128; 1 warm-up epoch as an autoencoder, K-means codebook, EMA updates (γ = 0.99), dead-code restarts (notebooks 09, 11)"),
  "vqvae-keras-io": recipe("vqvae-keras-io", { ...KERAS, numCodes: 128, init: "uniform", warmupEpochs: 0, restartDeadCodes: false, codebookLearning: "loss" }, 8,
    "keras-io's configuration as published (random codebook learnt by the loss, no restarts): the codebook-collapse baseline"),
  ...Object.fromEntries(
    VQVAE_SWEEP_K.map((K) => [
      `vqvae-sweep-k${K}`,
      recipe(`vqvae-sweep-k${K}`, { ...LIGHT, numCodes: K, ...HEALTHY, codebookLearning: "ema" }, SHORT.epochs, `rate–distortion sweep, K = ${K} (light network 16→32, EMA, 4 epochs of which 1 warm-up, 1,500 digits)`, SHORT.trainImages),
    ]),
  ),
  "vqvae-ablation-uniform": recipe("vqvae-ablation-uniform", { ...LIGHT, numCodes: 128, init: "uniform", warmupEpochs: 0, restartDeadCodes: false, codebookLearning: "loss" }, SHORT.epochs,
    "usage ablation: keras-io's codebook handling (random codebook learnt by the loss, no restarts) on the light network", SHORT.trainImages),
  "vqvae-ablation-kmeans": recipe("vqvae-ablation-kmeans", { ...LIGHT, numCodes: 128, ...HEALTHY, restartDeadCodes: false, codebookLearning: "ema" }, SHORT.epochs,
    "usage ablation: K-means initialization and EMA, no restarts", SHORT.trainImages),
  "vqvae-ablation-loss": recipe("vqvae-ablation-loss", { ...LIGHT, numCodes: 128, ...HEALTHY, codebookLearning: "loss" }, SHORT.epochs,
    "codebook learnt by the loss ‖sg[L] − L̂‖² (Adam) with K-means init and restarts, against vqvae-sweep-k128 (EMA)", SHORT.trainImages),
};

function resolveRecipe(r: string | VqVaeRecipe | undefined, where: string): VqVaeRecipe {
  if (r === undefined) return VQVAE_RECIPES["vqvae-mnist"];
  if (typeof r === "string") {
    const found = VQVAE_RECIPES[r];
    if (!found) throw new RangeError(`${where}: no VQ-VAE recipe "${r}"; known: ${Object.keys(VQVAE_RECIPES).join(", ")}.`);
    return found;
  }
  if (r === null || typeof r !== "object" || typeof r.name !== "string") throw new TypeError(`${where}: recipe must be a name or a VqVaeRecipe.`);
  return r;
}

export interface VqVaeCheckpointInfo {
  config: VqVaeConfig;
  provenance: Record<string, unknown>;
}

/** Write the weights (model.json + weights.bin) and vqvae.json (config and provenance). */
export async function saveVqVae(model: VqVae, dir: string, provenance: Record<string, unknown> = {}): Promise<void> {
  const info: VqVaeCheckpointInfo = { config: model.config, provenance };
  fs.mkdirSync(dir, { recursive: true });
  const w = model.weights();
  try {
    await saveWeights(w, dir, { vqvae: info });
  } finally {
    tf.dispose(Object.values(w));
  }
  fs.writeFileSync(path.join(dir, "vqvae.json"), JSON.stringify(info, null, 1) + "\n");
}

export function hasVqVaeCheckpoint(dir: string): boolean {
  return fs.existsSync(path.join(dir, "vqvae.json")) && fs.existsSync(path.join(dir, "model.json"));
}

/** Config and provenance of a checkpoint, without loading weights. */
export function readVqVaeCheckpointInfo(dir: string): VqVaeCheckpointInfo {
  const p = path.join(dir, "vqvae.json");
  if (!fs.existsSync(p)) throw new Error(`No VQ-VAE checkpoint in ${dir} (vqvae.json is missing). Train it (npx tsx scripts/train-vqvae-checkpoint.ts) or check the path.`);
  return JSON.parse(fs.readFileSync(p, "utf8")) as VqVaeCheckpointInfo;
}

/**
 * Load a checkpoint written by saveVqVae. `expect.numCodes`: the K the caller's code maps use;
 * a checkpoint with another K is refused (its codes would mean other things).
 */
export async function loadVqVae(dir: string, expect: { numCodes?: number } = {}): Promise<{ model: VqVae; info: VqVaeCheckpointInfo }> {
  await initBackend();
  const info = readVqVaeCheckpointInfo(dir);
  if (expect.numCodes !== undefined && info.config.numCodes !== expect.numCodes) {
    throw new RangeError(
      `loadVqVae: the checkpoint in ${dir} has K = ${info.config.numCodes} codes but K = ${expect.numCodes} was expected; ` +
        `code maps of one K mean nothing to a model of another. Load the checkpoint made with K = ${expect.numCodes}, or retrain.`,
    );
  }
  const model = new VqVae(info.config, new Rng(0));
  const { weights } = await loadWeights(dir);
  try {
    model.setWeights(weights);
  } catch (e) {
    model.dispose();
    throw new Error(`Loading the VQ-VAE checkpoint in ${dir} failed: ${(e as Error).message}`);
  } finally {
    tf.dispose(Object.values(weights));
  }
  return { model, info };
}

export interface LoadOrTrainVqVaeOptions {
  /** A name from VQVAE_RECIPES (default "vqvae-mnist") or a recipe. */
  recipe?: string | VqVaeRecipe;
  /** Train even if a checkpoint exists (as LATENTLAB_RETRAIN=1). */
  force?: boolean;
  /** Override the recipe's epochs. */
  epochs?: number;
  /** Save after training in full mode (default true). */
  save?: boolean;
  signal?: AbortSignal;
  showProgress?: boolean;
  /**
   * Threads to train on when training (fit's `threads`; default 1). Two threads step the VQ-VAE
   * 1.3–1.84× faster on an idle 2-core machine (usually 1.6–1.8×), with the same numbers up to
   * float summation order; the provenance of a saved checkpoint records the count used.
   */
  threads?: number | "auto";
}

export interface LoadOrTrainVqVaeResult {
  model: VqVae;
  source: "checkpoint" | "trained";
  provenance: Record<string, unknown>;
  /** Per-epoch records of the training (from the provenance when loaded). */
  history: EpochRecord[];
}

function loadavg(): number[] {
  return os.loadavg().map((v) => Math.round(v * 100) / 100);
}

/**
 * The VQ-VAE of a recipe: checkpoints/<name> when present (full mode, no LATENTLAB_RETRAIN,
 * not `force`), else trained on mnistSplitForVae(0)'s training digits and saved (full mode).
 * Smoke mode trains 2 epochs of 4 batches and saves nothing.
 */
export async function loadOrTrainVqVae(opts: LoadOrTrainVqVaeOptions = {}): Promise<LoadOrTrainVqVaeResult> {
  if (opts === null || typeof opts !== "object") throw new TypeError("loadOrTrainVqVae: options must be an object, e.g. { recipe: \"vqvae-mnist\" }.");
  const rec = resolveRecipe(opts.recipe, "loadOrTrainVqVae");
  await initBackend();
  const dir = checkpointDir(rec.name);
  const retrain = opts.force || (process.env.LATENTLAB_RETRAIN ?? "") === "1";
  if (!isSmoke() && !retrain && hasVqVaeCheckpoint(dir)) {
    const { model, info } = await loadVqVae(dir, rec.config.numCodes !== undefined ? { numCodes: rec.config.numCodes } : {});
    const p = info.provenance;
    console.log(
      `Loaded checkpoint ${rec.name} (K = ${model.numCodes}, ${p.epochs ?? "?"} epochs, seed ${p.seed ?? "?"}; made by: ${p.command ?? "?"}; ` +
        `scores: ${JSON.stringify(p.scores ?? {})}). Set LATENTLAB_RETRAIN=1 to train it again.`,
    );
    return { model, source: "checkpoint", provenance: p, history: (p.history as EpochRecord[]) ?? [] };
  }
  const split = mnistSplitForVae(0);
  const train = rec.trainImages ? evenlySpaced(split.train.images, 784, rec.trainImages) : split.train.images;
  const test = split.test.images;
  const config = { ...rec.config, dataVariance: pixelVariance(train) };
  const model = new VqVae(config, new Rng(rec.seed).fork());
  const smoke = isSmoke();
  // smoke: 2 epochs of 4 batches (the first is the warm-up when the recipe has one)
  const epochs = opts.epochs ?? (smoke ? 2 : rec.epochs);
  const load0 = loadavg();
  const t0 = Date.now();
  const res = await trainVqVae(model, train, {
    epochs,
    batchSize: rec.batchSize,
    learningRate: rec.learningRate,
    rng: new Rng(rec.seed + 1),
    signal: opts.signal,
    showProgress: opts.showProgress,
    maxBatchesPerEpoch: smoke ? 4 : undefined,
    kMeansImages: smoke ? 100 : rec.kMeansImages ?? 1000,
    label: rec.name,
    threads: opts.threads,
  });
  const seconds = (Date.now() - t0) / 1000;
  const evTest = evaluateVqVae(model, smoke ? evenlySpaced(test, 784, 200) : test);
  const evTrain = evaluateVqVae(model, evenlySpaced(train, 784, smoke ? 200 : 2000));
  const provenance: Record<string, unknown> = {
    name: rec.name,
    purpose: rec.purpose,
    command: `npx tsx scripts/train-vqvae-checkpoint.ts ${rec.name}  (or loadOrTrainVqVae with LATENTLAB_RETRAIN=1)`,
    seed: rec.seed,
    epochs,
    threads: res.threads,
    batchSize: rec.batchSize,
    learningRate: rec.learningRate,
    data: split.description + (rec.trainImages ? `; trained on ${rec.trainImages} training digits, evenly spaced through the split` : ""),
    trainImages: train.length / 784,
    testImages: test.length / 784,
    scores: {
      testMse: evTest.mse,
      testMseOverVariance: evTest.mseOverVariance,
      testCodesUsed: evTest.codesUsed,
      testPerplexity: evTest.perplexity,
      trainMse: evTrain.mse,
      trainMseOverVariance: evTrain.mseOverVariance,
      trainImagesScored: evTrain.images,
    },
    trainSeconds: seconds,
    kMeansInitSeconds: res.initSeconds,
    examplesPerSec: res.examplesPerSec,
    backend: tf.getBackend(),
    loadAverage: { start: load0, end: loadavg(), cores: os.cpus().length },
    history: res.history,
    date: new Date().toISOString(),
  };
  if (!smoke && opts.save !== false) {
    await saveVqVae(model, dir, provenance);
    console.log(`Trained ${rec.name} in ${seconds.toFixed(0)} s and saved it to ${dir}.`);
  }
  return { model, source: "trained", provenance, history: res.history };
}
