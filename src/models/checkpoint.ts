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
import { Vae, VaeConfig } from "./vae";

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

/** Read the config and provenance of a checkpoint without loading weights. */
export function readVaeCheckpointInfo(dir: string): VaeCheckpointInfo {
  const p = path.join(dir, "vae.json");
  if (!fs.existsSync(p)) throw new Error(`No VAE checkpoint in ${dir} (vae.json is missing). Train the model, or check the path.`);
  return JSON.parse(fs.readFileSync(p, "utf8")) as VaeCheckpointInfo;
}

/** Load a VAE saved by saveVae; returns the model and its provenance. */
export async function loadVae(dir: string): Promise<{ model: Vae; info: VaeCheckpointInfo }> {
  await initBackend();
  const info = readVaeCheckpointInfo(dir);
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
