/**
 * PixelCNN checkpoints: the weights as model.json + weights.bin (the project's named-weights
 * IO), and the architecture and provenance (command, seed, data, epochs, scores, time) in
 * pixelcnn.json, readable without TensorFlow.js.
 *
 * A prior over VQ-VAE codes also records which VQ-VAE made its codes (`vq`: K, code-map size,
 * and the codes of a fixed set of probe images), so that loading it next to a different
 * VQ-VAE is refused with a clear message instead of silently scoring meaningless codes.
 */
import * as fs from "fs";
import * as path from "path";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../runtime/backend";
import { Rng } from "../../runtime/rng";
import { loadWeights, saveWeights } from "../../io/weights";
import { PixelCnn, PixelCnnConfig } from "./network";

/** Which VQ-VAE a prior was trained for: codebook size, code-map size, codes of probe images. */
export interface VqIdentity {
  numCodes: number;
  codeHeight: number;
  codeWidth: number;
  /** Codes of the probe images (the first `probeCount` test images) under that VQ-VAE. */
  probeCodes: number[];
  probeCount: number;
  /** Where the VQ-VAE came from (its checkpoint name or "trained"). */
  source?: string;
}

export interface PixelCnnCheckpointInfo {
  config: PixelCnnConfig;
  provenance: Record<string, unknown>;
  vq?: VqIdentity;
}

const INFO = "pixelcnn.json";

export async function savePixelCnn(model: PixelCnn, dir: string, provenance: Record<string, unknown> = {}, vq?: VqIdentity): Promise<void> {
  const info: PixelCnnCheckpointInfo = { config: model.config, provenance, ...(vq ? { vq } : {}) };
  const w = model.weights();
  fs.mkdirSync(dir, { recursive: true });
  try {
    await saveWeights(w, dir, { pixelcnn: { config: model.config } });
  } finally {
    tf.dispose(Object.values(w));
  }
  fs.writeFileSync(path.join(dir, INFO), JSON.stringify(info, null, 1) + "\n");
}

export function hasPixelCnnCheckpoint(dir: string): boolean {
  return fs.existsSync(path.join(dir, INFO)) && fs.existsSync(path.join(dir, "model.json"));
}

export function readPixelCnnCheckpointInfo(dir: string): PixelCnnCheckpointInfo {
  const p = path.join(dir, INFO);
  if (!fs.existsSync(p)) throw new Error(`No PixelCNN checkpoint in ${dir} (${INFO} is missing). Train the model, or check the path.`);
  return JSON.parse(fs.readFileSync(p, "utf8")) as PixelCnnCheckpointInfo;
}

export async function loadPixelCnn(dir: string): Promise<{ model: PixelCnn; info: PixelCnnCheckpointInfo }> {
  await initBackend();
  const info = readPixelCnnCheckpointInfo(dir);
  const model = new PixelCnn(info.config, new Rng(0));
  const { weights } = await loadWeights(dir);
  try {
    model.setWeights(weights);
  } catch (e) {
    model.dispose();
    throw new Error(`Loading the PixelCNN checkpoint in ${dir} failed: ${(e as Error).message}`);
  } finally {
    tf.dispose(Object.values(weights));
  }
  return { model, info };
}

/**
 * Check that a prior made for `saved` fits the VQ-VAE described by `current` (whose
 * probeCodes are the current VQ-VAE's codes of the same probe images): same K, same code-map
 * size, and at least `minAgreement` of the probe codes equal (a retrained VQ-VAE agrees on
 * about 1/K of them; the same one on all, up to rare float ties). Throws a message that says
 * what differs and what to do.
 */
export function checkPriorMatchesVq(saved: VqIdentity | undefined, current: VqIdentity, where: string, minAgreement = 0.95): number {
  const fix = "Retrain the prior for this VQ-VAE (LATENTLAB_RETRAIN=1 retrains both), or load the VQ-VAE checkpoint the prior was made with.";
  if (!saved) throw new Error(`${where}: this PixelCNN checkpoint is not a prior over VQ-VAE codes (it records no VQ-VAE). ${fix}`);
  if (saved.numCodes !== current.numCodes) throw new Error(`${where}: the prior was trained on codes of a VQ-VAE with K = ${saved.numCodes} codes, this VQ-VAE has K = ${current.numCodes}. ${fix}`);
  if (saved.codeHeight !== current.codeHeight || saved.codeWidth !== current.codeWidth) {
    throw new Error(`${where}: the prior models ${saved.codeHeight}×${saved.codeWidth} code maps, this VQ-VAE makes ${current.codeHeight}×${current.codeWidth}. ${fix}`);
  }
  if (saved.probeCodes.length !== current.probeCodes.length) throw new Error(`${where}: the probe sets differ in size (${saved.probeCodes.length} vs ${current.probeCodes.length} codes). ${fix}`);
  let same = 0;
  for (let i = 0; i < saved.probeCodes.length; i++) if (saved.probeCodes[i] === current.probeCodes[i]) same++;
  const agreement = same / saved.probeCodes.length;
  if (agreement < minAgreement) {
    throw new Error(
      `${where}: the prior does not match this VQ-VAE: only ${(100 * agreement).toFixed(1)}% of the probe images' codes agree ` +
        `(need ${(100 * minAgreement).toFixed(0)}%; saved from ${saved.source ?? "?"}, now ${current.source ?? "?"}). ${fix}`,
    );
  }
  return agreement;
}
