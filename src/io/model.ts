/**
 * Save and load whole tf.LayersModels (topology + weights) in the standard TensorFlow.js
 * layout, from Node, without tfjs-node.
 */
import * as tf from "@tensorflow/tfjs";
import * as path from "path";
import { initBackend } from "../runtime/backend";
import { fileIO, MODEL_JSON, ModelMetadata, readArtifacts } from "./fileIO";

/**
 * `model.save(fileIO(dir))` with provenance: `metadata` (e.g. { command, seed, data, score })
 * is kept in model.json's userDefinedMetadata and returned by `readModelMetadata(dir)`.
 */
export async function saveModel(model: tf.LayersModel, dir: string, metadata?: ModelMetadata): Promise<tf.io.SaveResult> {
  if (!model || typeof (model as { save?: unknown }).save !== "function") {
    throw new Error(
      `saveModel(model, "${dir}"): model is not a tf.LayersModel. For custom models, save their tensors with saveWeights(map, dir).`,
    );
  }
  await initBackend();
  return model.save(fileIO(dir, { metadata }));
}

/** `tf.loadLayersModel(fileIO(dir))`: the model saved in `dir`, ready to predict. */
export async function loadLayersModel(dir: string): Promise<tf.LayersModel> {
  await initBackend();
  const handler = fileIO(dir);
  const artifacts = await handler.load!();
  if (!artifacts.modelTopology) {
    throw new Error(
      `${path.join(dir, MODEL_JSON)} has no modelTopology${artifacts.format ? ` (format "${artifacts.format}")` : ""}: ` +
        `it holds named weights, not a tf.LayersModel. Load it with loadWeights(dir), or save the model with saveModel(model, dir).`,
    );
  }
  return tf.loadLayersModel(tf.io.fromMemory(artifacts));
}

/** The userDefinedMetadata of the model.json in `dir` ({} if none). Reads the weights too, to check them. */
export function readModelMetadata(dir: string): ModelMetadata {
  const a = readArtifacts(dir);
  return (a.userDefinedMetadata ?? {}) as ModelMetadata;
}

export { MODEL_JSON };
