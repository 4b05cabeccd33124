/**
 * Named-tensor checkpoints for custom models that are not tf.LayersModels (a VAE built from
 * tf.variables, a codebook, ...), in the same model.json + weights.bin layout
 * (model.json has format "latentlab-weights" and no modelTopology).
 */
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../runtime/backend";
import { ModelMetadata, readArtifacts, writeArtifacts } from "./fileIO";

/** A list of named tensors, as tf.io.encodeWeights accepts. */
export type NamedTensorList = { name: string; tensor: tf.Tensor }[];

export const WEIGHTS_FORMAT = "latentlab-weights";

function tfjsVersion(): string {
  return tf.version.tfjs;
}

/**
 * Save named tensors (a Record, tf.NamedTensorMap or NamedTensorList) bit-exactly with
 * tf.io.encodeWeights, plus `metadata` (provenance: command, seed, data, score, ...).
 */
export async function saveWeights(
  named: Record<string, tf.Tensor> | tf.NamedTensorMap | NamedTensorList,
  dir: string,
  metadata?: ModelMetadata,
): Promise<tf.io.SaveResult> {
  const entries = Array.isArray(named) ? named.map((x) => [x.name, x.tensor] as const) : Object.entries(named);
  if (entries.length === 0) throw new Error(`saveWeights(…, "${dir}"): no tensors to save.`);
  for (const [name, t] of entries) {
    if (!(t instanceof tf.Tensor)) throw new Error(`saveWeights: "${name}" is not a tf.Tensor (got ${typeof t}).`);
    if (t.isDisposed) throw new Error(`saveWeights: tensor "${name}" was already disposed; save before disposing it.`);
  }
  await initBackend();
  const { data, specs } = await tf.io.encodeWeights(named as tf.NamedTensorMap | NamedTensorList);
  return writeArtifacts(
    dir,
    {
      format: WEIGHTS_FORMAT,
      generatedBy: `latentlab saveWeights (TensorFlow.js ${tfjsVersion()})`,
      convertedBy: null,
      weightSpecs: specs,
      weightData: data,
    },
    metadata,
  );
}

export interface LoadedWeights {
  /** New tensors (the caller owns them: dispose them, or assign them into variables and dispose). */
  weights: tf.NamedTensorMap;
  metadata: ModelMetadata;
}

/**
 * Load the named tensors saved by saveWeights (or the weights of any TensorFlow.js model.json).
 * Sizes are checked against the manifest before decoding.
 */
export async function loadWeights(dir: string): Promise<LoadedWeights> {
  await initBackend();
  const a = readArtifacts(dir);
  const weights = tf.io.decodeWeights(a.weightData ?? new ArrayBuffer(0), a.weightSpecs ?? []);
  return { weights, metadata: (a.userDefinedMetadata ?? {}) as ModelMetadata };
}
