/**
 * GAN recipes (architecture, seed, training) and their checkpoints, as for the VAEs
 * (src/models/recipes.ts): a notebook and a retraining command build the same model, and a
 * shipped checkpoint under checkpoints/<name>/ (model.json + weights.bin + gan.json with the
 * provenance: command, seed, data, epochs, per-epoch history, training time) stands in for training.
 */
import * as fs from "fs";
import * as path from "path";
import * as os from "os";
import * as tf from "@tensorflow/tfjs";
import { Rng } from "../../runtime/rng";
import { isSmoke } from "../../runtime/env";
import { initBackend } from "../../runtime/backend";
import { loadWeights, saveWeights } from "../../io/weights";
import { checkpointDir, mnistSplitForVae } from "../recipes";
import { EpochRecord } from "../../train/loop";
import { Gan, GanConfig } from "./networks";
import { GanTrainingConfig, trainGan } from "./trainable";
import { loadOrTrainMnistClassifier } from "../quality/classifier";
import { diversityScores } from "./diversity";

export interface GanRecipe {
  name: string;
  config: Partial<GanConfig>;
  training: Partial<GanTrainingConfig>;
  seed: number;
  epochs: number;
  batchSize: number;
  learningRate: number;
}

export const GAN_RECIPES: Record<string, GanRecipe> = {
  "gan-mnist-mlp": {
    name: "gan-mnist-mlp",
    config: { architecture: "mlp", dataDim: 784, latentDim: 32, generatorHidden: [128, 256], discriminatorHidden: [256, 128], output: "sigmoid" },
    training: { generatorLoss: "non-saturating", beta1: 0.5, realLabel: 0.9, discriminatorLrScale: 0.5 },
    seed: 0,
    epochs: 12,
    batchSize: 64,
    learningRate: 2e-4,
  },
  "gan-mnist-bn": {
    name: "gan-mnist-bn",
    config: { architecture: "mlp", dataDim: 784, latentDim: 32, generatorHidden: [128, 256], discriminatorHidden: [256, 128], output: "sigmoid", batchNorm: true },
    training: { generatorLoss: "non-saturating", beta1: 0.5, discriminatorLrScale: 0.5 },
    seed: 0,
    epochs: 30,
    batchSize: 64,
    learningRate: 2e-4,
  },
  "gan-mnist-dcgan": {
    name: "gan-mnist-dcgan",
    config: { architecture: "dcgan", dataDim: 784, latentDim: 64, channels: [64, 32], output: "sigmoid" },
    training: { generatorLoss: "non-saturating", beta1: 0.5 },
    seed: 0,
    epochs: 15,
    batchSize: 64,
    learningRate: 2e-4,
  },
};

/** Seed of the 1,000 samples scored into a trained checkpoint's provenance (`scores`). */
export const GAN_SCORE_SEED = 2024;

export interface GanCheckpointInfo {
  config: GanConfig;
  training: GanTrainingConfig | Partial<GanTrainingConfig>;
  provenance: Record<string, unknown>;
}

/** Write the GAN's parameters (model.json + weights.bin) and gan.json (config + provenance). */
export async function saveGan(gan: Gan, dir: string, training: Partial<GanTrainingConfig>, provenance: Record<string, unknown>): Promise<void> {
  const info: GanCheckpointInfo = { config: gan.config, training, provenance };
  fs.mkdirSync(dir, { recursive: true });
  const w = gan.ps.weights();
  try {
    await saveWeights(w, dir, { gan: info });
  } finally {
    tf.dispose(Object.values(w));
  }
  fs.writeFileSync(path.join(dir, "gan.json"), JSON.stringify(info, null, 2) + "\n");
}

export function hasGanCheckpoint(dir: string): boolean {
  return fs.existsSync(path.join(dir, "gan.json")) && fs.existsSync(path.join(dir, "model.json"));
}

export function readGanCheckpointInfo(dir: string): GanCheckpointInfo {
  const p = path.join(dir, "gan.json");
  if (!fs.existsSync(p)) throw new Error(`No GAN checkpoint in ${dir} (gan.json is missing). Train it with loadOrTrainGan, or check the path.`);
  return JSON.parse(fs.readFileSync(p, "utf8")) as GanCheckpointInfo;
}

export async function loadGan(dir: string): Promise<{ gan: Gan; info: GanCheckpointInfo }> {
  await initBackend();
  const info = readGanCheckpointInfo(dir);
  const gan = new Gan(info.config, new Rng(0));
  const { weights } = await loadWeights(dir);
  try {
    gan.ps.setWeights(weights);
  } catch (e) {
    gan.dispose();
    throw new Error(`Loading the GAN checkpoint in ${dir} failed: ${(e as Error).message}`);
  } finally {
    tf.dispose(Object.values(weights));
  }
  return { gan, info };
}

export interface LoadOrTrainGanResult {
  gan: Gan;
  source: "checkpoint" | "trained";
  history: EpochRecord[];
  provenance: Record<string, unknown>;
}

/**
 * The GAN of `recipe` trained on the shared MNIST split's training digits (grey values in
 * [0, 1]). Full mode: loads checkpoints/<name> unless LATENTLAB_RETRAIN=1 or `force`; else
 * trains (recipe epochs) and saves. Smoke mode: trains 1 epoch of at most 20 batches, saves nothing.
 */
export async function loadOrTrainGan(
  recipe: GanRecipe,
  opts: { force?: boolean; signal?: AbortSignal; showProgress?: boolean; epochs?: number; save?: boolean; onEpoch?: (record: EpochRecord) => void } = {},
): Promise<LoadOrTrainGanResult> {
  if (!recipe || typeof recipe !== "object" || typeof recipe.name !== "string") throw new TypeError(`loadOrTrainGan: pass a recipe, e.g. GAN_RECIPES["gan-mnist-bn"] (known: ${Object.keys(GAN_RECIPES).join(", ")}).`);
  await initBackend();
  const dir = checkpointDir(recipe.name);
  const retrain = opts.force || (process.env.LATENTLAB_RETRAIN ?? "") === "1";
  if (!isSmoke() && !retrain && hasGanCheckpoint(dir)) {
    const { gan, info } = await loadGan(dir);
    const p = info.provenance;
    console.log(
      `Loaded checkpoint ${recipe.name} (${p.epochs} epochs, seed ${p.seed}, trained in ${Number(p.trainSeconds).toFixed(0)} s; made by: ${p.command}). ` +
        `Set LATENTLAB_RETRAIN=1 to train it again.`,
    );
    return { gan, source: "checkpoint", history: (p.history as EpochRecord[]) ?? [], provenance: p };
  }
  const split = mnistSplitForVae(0);
  const gan = new Gan(recipe.config, new Rng(recipe.seed).fork());
  const epochs = opts.epochs ?? (isSmoke() ? 1 : recipe.epochs);
  const t0 = performance.now();
  const res = await trainGan(gan, split.train.images, {
    epochs,
    batchSize: recipe.batchSize,
    learningRate: recipe.learningRate,
    rng: new Rng(recipe.seed + 1),
    training: recipe.training,
    signal: opts.signal,
    showProgress: opts.showProgress,
    maxBatchesPerEpoch: isSmoke() ? 20 : undefined,
    label: recipe.name,
    onEpoch: opts.onEpoch,
  });
  const seconds = (performance.now() - t0) / 1000;
  const provenance: Record<string, unknown> = {
    name: recipe.name,
    command: `nice -n 5 npx tsx scripts/train-gan-checkpoint.ts ${recipe.name}  (or: LATENTLAB_RETRAIN=1 npm run notebooks -- 12)`,
    seed: recipe.seed,
    epochs,
    batchSize: recipe.batchSize,
    learningRate: recipe.learningRate,
    training: recipe.training,
    data: `${split.description}; the ${split.train.count} training digits, grey values in [0, 1]`,
    trainSeconds: seconds,
    examplesPerSec: res.examplesPerSec,
    loadAverage: { end: os.loadavg().map((v) => Math.round(v * 100) / 100), cores: os.cpus().length },
    history: res.history,
    date: new Date().toISOString(),
  };
  if (!isSmoke()) {
    // What the checkpoint's samples look like, on the scale of the module comment of diversity.ts.
    const { model: clf } = await loadOrTrainMnistClassifier({ showProgress: false });
    const sc = diversityScores(gan.sample(1000, new Rng(GAN_SCORE_SEED)), clf, split.test.images);
    clf.dispose();
    provenance.scores = { samples: sc.n, seed: GAN_SCORE_SEED, frechet: sc.frechet, classesSeen: sc.classesSeen, classEntropy: sc.classEntropy, classCounts: sc.classCounts, pixelVariance: sc.pixelVariance, pairwiseDistance: sc.pairwiseDistance };
  }
  if (!isSmoke() && opts.save !== false) {
    await saveGan(gan, dir, recipe.training, provenance);
    console.log(`Trained ${recipe.name} in ${seconds.toFixed(0)} s and saved it to ${dir}.`);
  }
  return { gan, source: "trained", history: res.history, provenance };
}
