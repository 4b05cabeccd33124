/**
 * The PixelCNNs the notebooks use, as recipes (architecture, seed, training), so that a
 * notebook run with LATENTLAB_RETRAIN=1 and a plain run build the same thing and a shipped
 * checkpoint under checkpoints/<name>/ can stand in for training.
 *
 * loadOrTrainPixelCnn: in smoke mode always trains (1 epoch of a few batches, nothing saved);
 * otherwise loads checkpoints/<name> when present (printing its provenance) unless
 * LATENTLAB_RETRAIN=1, and trains and saves otherwise. Sizes were chosen to train in under
 * 10 minutes on 2 cores with the wasm backend (see checkpoints/README.md for the measured times).
 */
import * as fs from "fs";
import { Rng } from "../../runtime/rng";
import { isSmoke } from "../../runtime/env";
import { initBackend } from "../../runtime/backend";
import { fit, EpochRecord } from "../../train/loop";
import { checkpointDir } from "../recipes";
import { PixelCnn, PixelCnnConfig } from "./network";
import { PixelCnnTrainable, Binarization } from "./trainable";
import { checkPixelCnnLabels, pixelCnnNll, PixelData } from "./likelihood";
import { checkPriorMatchesVq, hasPixelCnnCheckpoint, loadPixelCnn, savePixelCnn, VqIdentity } from "./checkpoint";

export interface PixelCnnRecipe {
  name: string;
  config: Partial<PixelCnnConfig>;
  seed: number;
  /** threads: fit's data-parallel worker threads (1: none). */
  train: { epochs: number; batchSize: number; learningRate: number; threads?: number };
  binarize: Binarization;
  /** The command that remakes the checkpoint. */
  command: string;
}

export const PIXELCNN_RECIPES: Record<string, PixelCnnRecipe> = {
  "pixelcnn-mnist": {
    name: "pixelcnn-mnist",
    config: { height: 28, width: 28, output: "bernoulli", architecture: "pixelcnn", channels: 32, blocks: 4 },
    seed: 0,
    train: { epochs: 4, batchSize: 64, learningRate: 2e-3 },
    binarize: "dynamic",
    command: "LATENTLAB_RETRAIN=1 npm run notebooks -- 10",
  },
  /** The prior over a VQ-VAE's 7×7 code maps; numCategories is set to the VQ-VAE's K. */
  "pixelcnn-prior": {
    name: "pixelcnn-prior",
    config: { height: 7, width: 7, output: "categorical", architecture: "pixelcnn", channels: 32, blocks: 3, firstKernel: 7, blockKernel: 3, embedding: 16 },
    seed: 0,
    train: { epochs: 3, batchSize: 64, learningRate: 2e-3, threads: 2 },
    binarize: "none",
    command: "LATENTLAB_RETRAIN=1 npm run notebooks -- 11",
  },
  /** The class-conditional prior (digit label → code map) for CAS. */
  "pixelcnn-prior-class": {
    name: "pixelcnn-prior-class",
    config: { height: 7, width: 7, output: "categorical", architecture: "pixelcnn", channels: 32, blocks: 3, firstKernel: 7, blockKernel: 3, embedding: 16, numLabels: 10 },
    seed: 0,
    train: { epochs: 3, batchSize: 64, learningRate: 2e-3, threads: 2 },
    binarize: "none",
    command: "LATENTLAB_RETRAIN=1 npm run notebooks -- 11",
  },
};

export interface TrainPixelCnnOptions {
  epochs: number;
  batchSize?: number;
  learningRate?: number;
  rng?: Rng;
  binarize?: Binarization;
  labels?: ArrayLike<number>;
  /** Held-out data (binary images or codes) scored after every epoch: eval.nll in nats. */
  evalData?: PixelData;
  evalLabels?: ArrayLike<number>;
  maxBatchesPerEpoch?: number;
  /** Data-parallel worker threads of fit (default 1; "auto": the machine's cores, see fit). */
  threads?: number | "auto";
  showProgress?: boolean;
  signal?: AbortSignal;
}

/** Train through the shared loop `fit`; held-out NLL (nats per image) in each record's eval. */
export async function trainPixelCnn(model: PixelCnn, x: PixelData, opts: TrainPixelCnnOptions) {
  const t = new PixelCnnTrainable(model, { binarize: opts.binarize });
  const labels = opts.labels === undefined ? undefined : checkPixelCnnLabels(model, opts.labels, x.length / model.numPixels, "trainPixelCnn");
  return fit(t, labels ? { x, rowSize: model.numPixels, labels } : { x, rowSize: model.numPixels }, {
    epochs: opts.epochs,
    batchSize: opts.batchSize,
    learningRate: opts.learningRate,
    rng: opts.rng,
    signal: opts.signal,
    showProgress: opts.showProgress,
    maxBatchesPerEpoch: opts.maxBatchesPerEpoch,
    threads: opts.threads,
    evaluate: opts.evalData
      ? () => {
          const r = pixelCnnNll(model, opts.evalData!, { labels: opts.evalLabels });
          return { nll: r.nats, bitsPerDim: r.bitsPerDim };
        }
      : undefined,
  });
}

export interface LoadOrTrainPixelCnnResult {
  model: PixelCnn;
  source: "checkpoint" | "trained";
  history: EpochRecord[];
  provenance: Record<string, unknown>;
}

export interface LoadOrTrainPixelCnnOptions {
  labels?: ArrayLike<number>;
  evalData?: PixelData;
  evalLabels?: ArrayLike<number>;
  dataDescription?: string;
  /** Config fields set at run time (e.g. numCategories = the VQ-VAE's K). */
  config?: Partial<PixelCnnConfig>;
  /** For a prior over codes: the VQ-VAE the codes come from (checked against a loaded checkpoint). */
  vq?: VqIdentity;
  force?: boolean;
  save?: boolean;
  epochs?: number;
  signal?: AbortSignal;
  /**
   * Threads to train on when training (fit's `threads`), instead of the recipe's (1 for the
   * image models, 2 for the priors; 1 in smoke mode). Two threads step the PixelCNN 1.56–1.96×
   * faster on an idle 2-core machine, with the same numbers up to float summation order; the
   * provenance of a saved checkpoint records the count used (`training.threads`).
   */
  threads?: number | "auto";
}

function loadavg(): string {
  try {
    return fs.readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
  } catch {
    return "?";
  }
}

/**
 * Load checkpoints/<recipe.name> (full mode, LATENTLAB_RETRAIN unset, `force` false) or train
 * on `x` and save it (full mode only). A prior's checkpoint must match `opts.vq`.
 */
export async function loadOrTrainPixelCnn(recipe: PixelCnnRecipe, x: PixelData, opts: LoadOrTrainPixelCnnOptions = {}): Promise<LoadOrTrainPixelCnnResult> {
  if (!recipe || typeof recipe.name !== "string" || !recipe.train) throw new Error("loadOrTrainPixelCnn(recipe, x): recipe must be one of PIXELCNN_RECIPES.");
  await initBackend();
  const dir = checkpointDir(recipe.name);
  const retrain = opts.force || (process.env.LATENTLAB_RETRAIN ?? "") === "1";
  const config = { ...recipe.config, ...(opts.config ?? {}) };
  if (!isSmoke() && !retrain && hasPixelCnnCheckpoint(dir)) {
    const { model, info } = await loadPixelCnn(dir);
    if (opts.vq) {
      try {
        checkPriorMatchesVq(info.vq, opts.vq, `checkpoints/${recipe.name}`);
      } catch (e) {
        model.dispose();
        throw e;
      }
    }
    for (const [k, v] of Object.entries(config)) {
      if ((model.config as unknown as Record<string, unknown>)[k] !== v) {
        model.dispose();
        throw new Error(`checkpoints/${recipe.name} was made with ${k} = ${JSON.stringify((model.config as unknown as Record<string, unknown>)[k])}, the recipe asks for ${JSON.stringify(v)}. Retrain it with LATENTLAB_RETRAIN=1.`);
      }
    }
    const p = info.provenance;
    console.log(
      `Loaded checkpoint ${recipe.name} (${p.epochs ?? "?"} epochs, seed ${p.seed ?? "?"}, ${p.trainSeconds !== undefined ? `${Number(p.trainSeconds).toFixed(0)} s` : "?"} to train; ` +
        `made by: ${p.command ?? "?"}; scores: ${JSON.stringify(p.scores ?? {})}). Set LATENTLAB_RETRAIN=1 to train it again.`,
    );
    return { model, source: "checkpoint", history: (p.history as EpochRecord[]) ?? [], provenance: p };
  }
  const model = new PixelCnn(config, new Rng(recipe.seed).fork());
  const epochs = opts.epochs ?? (isSmoke() ? 1 : recipe.train.epochs);
  const t0 = Date.now();
  const res = await trainPixelCnn(model, x, {
    ...recipe.train,
    epochs,
    binarize: recipe.binarize,
    rng: new Rng(recipe.seed + 1),
    labels: opts.labels,
    evalData: opts.evalData,
    evalLabels: opts.evalLabels,
    maxBatchesPerEpoch: isSmoke() ? 3 : undefined,
    threads: opts.threads ?? (isSmoke() ? 1 : recipe.train.threads),
    signal: opts.signal,
  });
  const seconds = (Date.now() - t0) / 1000;
  const last = res.history[res.history.length - 1];
  const scores: Record<string, number> = {};
  if (last?.eval) Object.assign(scores, { testNll: last.eval.nll, testBitsPerDim: last.eval.bitsPerDim });
  const provenance: Record<string, unknown> = {
    name: recipe.name,
    command: recipe.command,
    seed: recipe.seed,
    epochs,
    training: { ...recipe.train, threads: res.threads, binarize: recipe.binarize },
    data: opts.dataDescription ?? `${x.length / model.numPixels} examples`,
    parameters: model.numParameters,
    scores,
    trainSeconds: seconds,
    examplesPerSec: res.examplesPerSec,
    loadavgAfter: loadavg(),
    history: res.history,
    date: new Date().toISOString(),
  };
  if (!isSmoke() && opts.save !== false) {
    await savePixelCnn(model, dir, provenance, opts.vq);
    console.log(`Trained ${recipe.name} in ${seconds.toFixed(0)} s and saved it to ${dir}.`);
  }
  return { model, source: "trained", history: res.history, provenance };
}
