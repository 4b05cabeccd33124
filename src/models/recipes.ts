/**
 * The models the VAE notebooks use, each as a recipe (architecture, data, seed, training),
 * so that a notebook and `npx tsx scripts/train-vae-checkpoints.ts` build the same thing and
 * a shipped checkpoint under checkpoints/<name>/ can stand in for training.
 *
 * loadOrTrainVae: in smoke mode always trains (tiny data, 1 epoch, nothing saved); otherwise
 * loads checkpoints/<name> when present (printing its provenance) unless LATENTLAB_RETRAIN=1,
 * and trains and saves otherwise.
 */
import * as fs from "fs";
import * as path from "path";
import { Rng } from "../runtime/rng";
import { envRetrain, isSmoke } from "../runtime/env";
import { initBackend } from "../runtime/backend";
import { loadEmbeddedMnist, ImageDataset } from "../data/mnist";
import { stratifiedSplit } from "../data/split";
import { binarizeDynamic } from "../data/binarize";
import { makeDsprites, DspritesDataset } from "../data/dsprites";
import { Vae, VaeConfig, createVae } from "./vae";
import { trainVae, TrainVaeOptions, EpochMetrics } from "./train";
import { hasVaeCheckpoint, loadVae, saveVae } from "./checkpoint";
import { evaluateVae } from "./evaluate";

export interface VaeRecipe {
  name: string;
  config: Partial<VaeConfig>;
  data: "mnist" | "dsprites";
  seed: number;
  train: Omit<TrainVaeOptions, "rng" | "evalImages" | "signal">;
}

const K_AND_W = { hidden: [400], activation: "relu" as const };

export const VAE_RECIPES: Record<string, VaeRecipe> = {
  "ae-mnist-2d": { name: "ae-mnist-2d", data: "mnist", seed: 0, config: { ...K_AND_W, latentDim: 2, deterministic: true }, train: { epochs: 10 } },
  "vae-mnist-2d": { name: "vae-mnist-2d", data: "mnist", seed: 0, config: { ...K_AND_W, latentDim: 2 }, train: { epochs: 15 } },
  "vae-mnist-5d": { name: "vae-mnist-5d", data: "mnist", seed: 0, config: { ...K_AND_W, latentDim: 5 }, train: { epochs: 10 } },
  "vae-mnist-10d": { name: "vae-mnist-10d", data: "mnist", seed: 0, config: { ...K_AND_W, latentDim: 10 }, train: { epochs: 10 } },
  "vae-mnist-784-400-20": { name: "vae-mnist-784-400-20", data: "mnist", seed: 0, config: { ...K_AND_W, latentDim: 20 }, train: { epochs: 30 } },
  "vae-dsprites-beta1": { name: "vae-dsprites-beta1", data: "dsprites", seed: 0, config: { height: 32, width: 32, hidden: [256], latentDim: 10 }, train: { epochs: 15, beta: 1 } },
  "vae-dsprites-beta4": { name: "vae-dsprites-beta4", data: "dsprites", seed: 0, config: { height: 32, width: 32, hidden: [256], latentDim: 10 }, train: { epochs: 15, beta: 4 } },
};

/** The project's checkpoints/ folder (next to src/ and lib/). */
export function checkpointDir(name: string): string {
  return path.join(__dirname, "..", "..", "checkpoints", name);
}

export interface MnistSplitData {
  train: ImageDataset;
  test: ImageDataset;
  /** The test images binarized once with the seed (fixed evaluation set). */
  testBinary: Float32Array;
  seed: number;
  description: string;
}

/** Embedded MNIST, stratified 90/10 per class with Rng(seed).fork() (as bench/workloads/vae.ts). */
export function mnistSplitForVae(seed = 0): MnistSplitData {
  const ds = loadEmbeddedMnist();
  const r = new Rng(seed);
  const split = stratifiedSplit(ds, { testFraction: 0.1, rng: r.fork() });
  const testBinary = binarizeDynamic(split.test.images, r.fork());
  return {
    train: split.train,
    test: split.test,
    testBinary,
    seed,
    description: `embedded MNIST (${ds.count} digits), stratified 90/10 per class, seed ${seed}; test binarized once`,
  };
}

/** The dSprites-like set of the disentanglement notebook: n sprites (32×32) from Rng(seed). */
export function dspritesForVae(n = 10000, seed = 0): DspritesDataset {
  return makeDsprites(n, new Rng(seed + 1000));
}

export interface LoadOrTrainResult {
  model: Vae;
  source: "checkpoint" | "trained";
  history: EpochMetrics[];
  provenance: Record<string, unknown>;
}

/**
 * Load checkpoints/<recipe.name> if present (full mode, LATENTLAB_RETRAIN unset, `force`
 * false), else train on `images` and save (full mode only). Prints what it did.
 */
export async function loadOrTrainVae(
  recipe: VaeRecipe,
  images: Float32Array,
  opts: { force?: boolean; evalImages?: Float32Array; dataDescription?: string; save?: boolean; signal?: AbortSignal; epochs?: number } = {},
): Promise<LoadOrTrainResult> {
  await initBackend();
  const dir = checkpointDir(recipe.name);
  const retrain = opts.force || envRetrain();
  if (!isSmoke() && !retrain && hasVaeCheckpoint(dir)) {
    const { model, info } = await loadVae(dir, recipe.config); // a checkpoint made for another config is an error
    const p = info.provenance as Record<string, unknown>;
    console.log(
      `Loaded checkpoint ${recipe.name} (${p.epochs ?? "?"} epochs, seed ${p.seed ?? "?"}; made by: ${p.command ?? "?"}; ` +
        `scores: ${JSON.stringify(p.scores ?? {})}). Set LATENTLAB_RETRAIN=1 to train it again.`,
    );
    return { model, source: "checkpoint", history: (p.history as EpochMetrics[]) ?? [], provenance: p };
  }
  const model = createVae(recipe.config, new Rng(recipe.seed).fork());
  const epochs = opts.epochs ?? (isSmoke() ? 1 : recipe.train.epochs);
  const t0 = Date.now();
  const res = await trainVae(model, images, { ...recipe.train, epochs, rng: new Rng(recipe.seed + 1), signal: opts.signal });
  const seconds = (Date.now() - t0) / 1000;
  const scores: Record<string, number> = {};
  if (opts.evalImages && !recipe.config.deterministic) {
    const ev = await evaluateVae(model, opts.evalImages, { rng: new Rng(recipe.seed + 2) });
    Object.assign(scores, { testElbo: ev.elbo, testReconstruction: ev.reconstruction, testKl: ev.kl });
  }
  const provenance = {
    name: recipe.name,
    command: `npx tsx scripts/train-vae-checkpoints.ts ${recipe.name}  (or the notebook with LATENTLAB_RETRAIN=1)`,
    seed: recipe.seed,
    epochs,
    training: recipe.train,
    data: opts.dataDescription ?? `${images.length / model.dataDim} images`,
    scores,
    trainSeconds: seconds,
    imagesPerSec: res.imagesPerSec,
    history: res.history,
    date: new Date().toISOString(),
  };
  if (!isSmoke() && opts.save !== false) {
    fs.mkdirSync(dir, { recursive: true });
    await saveVae(model, dir, provenance);
    console.log(`Trained ${recipe.name} in ${seconds.toFixed(0)} s and saved it to ${dir}.`);
  }
  return { model, source: "trained", history: res.history, provenance };
}
