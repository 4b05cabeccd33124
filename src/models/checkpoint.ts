/**
 * VAE checkpoints: the weights as a standard TensorFlow.js model.json + weights.bin (through
 * the project's model IO), the architecture in vae.json, and a provenance record (command,
 * seed, data split, epochs, scores) so that a shipped checkpoint says how it was made.
 */
import * as fs from "fs";
import * as path from "path";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../runtime/backend";
import { Rng } from "../runtime/rng";
import { loadWeights, saveWeights } from "../io/weights";
import { checkVaeConfig, DEFAULT_VAE_CONFIG, Vae, VaeConfig } from "./vae";
import { checkString, failInput, InputError } from "../runtime/validate";
import { ensureDir } from "../io/fileIO";

export interface VaeCheckpointInfo {
  config: VaeConfig;
  /** Anything that says how the weights were made (command, seed, split, epochs, scores). */
  provenance: Record<string, unknown>;
}

/**
 * Write `model` to `dir`: model.json + weights.bin (config and provenance in the model.json
 * metadata) and the same record, readable without TensorFlow.js, in vae.json.
 */
export async function saveVae(model: Vae, dir: string, provenance: Record<string, unknown> = {}): Promise<void> {
  if (!(model instanceof Vae)) failInput("saveVae", "model", "a Vae (from createVae or loadVae)", model);
  checkString("saveVae", "dir", dir, "the checkpoint folder, e.g. checkpoints/my-vae");
  if (provenance === null || typeof provenance !== "object" || Array.isArray(provenance)) {
    failInput("saveVae", "provenance", "an object (command, seed, data, scores, …)", provenance);
  }
  ensureDir(dir, "saveVae");
  const info: VaeCheckpointInfo = { config: model.config, provenance };
  const w = model.weights();
  try {
    await saveWeights(w, dir, { vae: info });
  } finally {
    tf.dispose(Object.values(w));
  }
  fs.writeFileSync(path.join(dir, "vae.json"), JSON.stringify(info, null, 2) + "\n");
}

/** True when `dir` holds a VAE checkpoint written by saveVae. */
export function hasVaeCheckpoint(dir: string): boolean {
  return fs.existsSync(path.join(dir, "vae.json")) && fs.existsSync(path.join(dir, "model.json"));
}

/**
 * Read the config and provenance of a checkpoint without loading weights. A vae.json that is
 * not JSON, or whose config is not a valid VAE config, is an InputError naming the file.
 */
export function readVaeCheckpointInfo(dir: string): VaeCheckpointInfo {
  checkString("readVaeCheckpointInfo", "dir", dir);
  const p = path.join(dir, "vae.json");
  if (!fs.existsSync(p)) throw new Error(`No VAE checkpoint in ${dir} (vae.json is missing). Train the model, or check the path.`);
  const fix = `Restore the checkpoint (git checkout ${dir}) or train it again (LATENTLAB_RETRAIN=1).`;
  let parsed: unknown;
  try {
    parsed = JSON.parse(fs.readFileSync(p, "utf8"));
  } catch (e) {
    throw new InputError(`${p} is not valid JSON (${(e as Error).message}). ${fix}`, p);
  }
  const info = parsed as Partial<VaeCheckpointInfo> | null;
  if (info === null || typeof info !== "object" || info.config === null || typeof info.config !== "object") {
    throw new InputError(`${p} has no "config" object (found ${JSON.stringify(parsed)?.slice(0, 80)}). ${fix}`, p);
  }
  try {
    checkVaeConfig(info.config, p);
  } catch (e) {
    throw new InputError(`${(e as Error).message} ${fix}`, p);
  }
  return { config: { ...DEFAULT_VAE_CONFIG, ...info.config }, provenance: (info.provenance ?? {}) as Record<string, unknown> };
}

/**
 * Load a VAE saved by saveVae; returns the model and its provenance. With `expect` (e.g. the
 * recipe's config), a checkpoint made for another config is an InputError that names every
 * differing setting, instead of a model that silently differs from the one asked for.
 */
export async function loadVae(dir: string, expect?: Partial<VaeConfig>): Promise<{ model: Vae; info: VaeCheckpointInfo }> {
  await initBackend();
  const info = readVaeCheckpointInfo(dir);
  if (expect !== undefined) {
    checkVaeConfig(expect, "loadVae: expect");
    const want: VaeConfig = { ...DEFAULT_VAE_CONFIG, ...expect };
    const diff = (Object.keys(want) as (keyof VaeConfig)[])
      .filter((k) => JSON.stringify(want[k]) !== JSON.stringify(info.config[k]))
      .map((k) => `${k}: checkpoint ${JSON.stringify(info.config[k])}, wanted ${JSON.stringify(want[k])}`);
    if (diff.length > 0) {
      throw new InputError(
        `loadVae: the checkpoint in ${dir} was made for another config (${diff.join("; ")}). ` +
          `Train it again for this config (LATENTLAB_RETRAIN=1), or load it without a config to use it as it is.`,
        `loadVae: ${dir}`,
      );
    }
  }
  const model = new Vae(info.config, new Rng(0));
  const { weights: w } = await loadWeights(dir);
  try {
    model.setWeights(w);
  } catch (e) {
    model.dispose();
    throw new Error(`Loading the VAE checkpoint in ${dir} failed: ${(e as Error).message}`);
  } finally {
    tf.dispose(Object.values(w));
  }
  return { model, info };
}
