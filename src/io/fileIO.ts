/**
 * A TensorFlow.js IOHandler that reads and writes the standard on-disk model format in Node
 * without tfjs-node (plain @tensorflow/tfjs has no file:// handler in Node):
 *
 *   <dir>/model.json   { modelTopology, format, generatedBy, convertedBy, userDefinedMetadata,
 *                        weightsManifest: [{ paths: ["weights.bin"], weights: [specs...] }] }
 *   <dir>/weights.bin  the weights' bytes, concatenated in the order of the specs
 *
 * The same files load in the browser with tf.loadLayersModel("…/model.json") and in Python
 * with tensorflowjs. `model.save(fileIO(dir))` and `tf.loadLayersModel(fileIO(dir))` work.
 */
import * as tf from "@tensorflow/tfjs";
import * as fs from "fs";
import * as path from "path";
import { ensureDir } from "./ensureDir";

export { ensureDir };

export const MODEL_JSON = "model.json";
export const WEIGHTS_BIN = "weights.bin";

/** Provenance and anything else worth keeping next to the weights (must be JSON). */
export type ModelMetadata = Record<string, unknown>;

export interface FileIOOptions {
  /** Merged into model.json's userDefinedMetadata on save (e.g. { command, seed, data, score }). */
  metadata?: ModelMetadata;
}

const DTYPE_BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1, complex64: 8, uint8: 1, uint16: 2, float16: 2 };

/** Bytes one weight takes in weights.bin (null if not computable, e.g. string tensors). */
export function weightSpecBytes(spec: tf.io.WeightsManifestEntry): number | null {
  const n = spec.shape.reduce((a, b) => a * b, 1);
  const dtype = spec.quantization ? spec.quantization.dtype : spec.dtype;
  const per = DTYPE_BYTES[dtype];
  return per === undefined ? null : n * per;
}

function joinWeightData(data: tf.io.WeightData | undefined): ArrayBuffer {
  if (data === undefined) return new ArrayBuffer(0);
  return tf.io.CompositeArrayBuffer.join(data);
}

/** Write `bytes` to `file` through a temporary file and a rename, so readers never see half a file. */
function writeAtomic(file: string, bytes: Uint8Array | string): void {
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    fs.writeFileSync(tmp, bytes);
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw new Error(`Cannot write ${file}: ${(e as Error).message}. Check that the folder is writable and the disk is not full.`);
  }
}

function toJSONText(obj: unknown, dir: string): string {
  try {
    return JSON.stringify(obj, null, 1);
  } catch (e) {
    throw new Error(
      `Saving to ${dir}: model.json cannot be written: ${(e as Error).message}. ` +
        `Metadata must be plain JSON (numbers, strings, booleans, arrays, objects; no BigInt or cycles).`,
    );
  }
}

/** Write model.json + weights.bin for the given artifacts (used by fileIO and saveWeights). */
export function writeArtifacts(dir: string, artifacts: tf.io.ModelArtifacts, metadata?: ModelMetadata): tf.io.SaveResult {
  if (artifacts.modelTopology instanceof ArrayBuffer) {
    throw new Error(`Saving to ${dir}: binary (GraphDef) model topologies are not supported; save a tf.LayersModel.`);
  }
  const weightData = joinWeightData(artifacts.weightData);
  const weightSpecs = artifacts.weightSpecs ?? [];
  const userDefinedMetadata = { ...(artifacts.userDefinedMetadata ?? {}), ...(metadata ?? {}) };
  const modelJSON: Record<string, unknown> = {
    format: artifacts.format,
    generatedBy: artifacts.generatedBy,
    convertedBy: artifacts.convertedBy ?? null,
    modelTopology: artifacts.modelTopology,
    trainingConfig: artifacts.trainingConfig,
    signature: artifacts.signature,
    modelInitializer: artifacts.modelInitializer,
    initializerSignature: artifacts.initializerSignature,
    userDefinedMetadata: Object.keys(userDefinedMetadata).length ? userDefinedMetadata : undefined,
    weightsManifest: [{ paths: [WEIGHTS_BIN], weights: weightSpecs }],
  };
  const text = toJSONText(modelJSON, dir);
  ensureDir(dir, `Saving a model to ${dir}`);
  // weights first, then the manifest that points at them
  writeAtomic(path.join(dir, WEIGHTS_BIN), new Uint8Array(weightData));
  writeAtomic(path.join(dir, MODEL_JSON), text);
  return {
    modelArtifactsInfo: {
      dateSaved: new Date(),
      modelTopologyType: "JSON",
      modelTopologyBytes: artifacts.modelTopology ? JSON.stringify(artifacts.modelTopology).length : 0,
      weightSpecsBytes: JSON.stringify(weightSpecs).length,
      weightDataBytes: weightData.byteLength,
    },
  };
}

/** Read and check model.json + its weight files; throws with a clear message on any problem. */
export function readArtifacts(dir: string): tf.io.ModelArtifacts {
  const jsonPath = path.join(dir, MODEL_JSON);
  if (!fs.existsSync(jsonPath)) {
    const why = fs.existsSync(dir) ? `the folder exists but has no ${MODEL_JSON}` : "the folder does not exist";
    throw new Error(
      `Loading a model from ${dir}: ${why}. Save one first (saveModel(model, dir) or saveWeights(weights, dir)), ` +
        `or check the path.`,
    );
  }
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(fs.readFileSync(jsonPath, "utf8")) as Record<string, unknown>;
  } catch (e) {
    throw new Error(
      `${jsonPath} is not valid JSON (${(e as Error).message}). The file is damaged or was cut short: ` +
        `save the model again, or restore the checkpoint (git checkout, or re-download it).`,
    );
  }
  const manifest = json.weightsManifest as tf.io.WeightsManifestConfig | undefined;
  if (!Array.isArray(manifest) || manifest.some((g) => !Array.isArray(g?.paths) || !Array.isArray(g?.weights))) {
    throw new Error(
      `${jsonPath} has no valid "weightsManifest" (expected [{ paths: ["weights.bin"], weights: [...] }]). ` +
        `It is not a TensorFlow.js model.json, or it is damaged: save the model again.`,
    );
  }
  const specs: tf.io.WeightsManifestEntry[] = [];
  const buffers: Uint8Array[] = [];
  for (const group of manifest) {
    const parts: Uint8Array[] = [];
    for (const p of group.paths) {
      const f = path.join(dir, p);
      if (!fs.existsSync(f)) {
        throw new Error(`${jsonPath} lists weight file "${p}", but ${f} is missing. Copy it next to model.json, or save the model again.`);
      }
      parts.push(fs.readFileSync(f));
    }
    const got = parts.reduce((a, b) => a + b.byteLength, 0);
    const sizes = group.weights.map(weightSpecBytes);
    if (sizes.every((s) => s !== null)) {
      const expected = (sizes as number[]).reduce((a, b) => a + b, 0);
      if (got !== expected) {
        throw new Error(
          `${path.join(dir, group.paths.join(" + "))}: ${got} bytes, but ${MODEL_JSON} describes ${group.weights.length} ` +
            `weights totalling ${expected} bytes. The weight file is ${got < expected ? "truncated" : "too long"} or ` +
            `belongs to another model: save the model again, or restore both files together.`,
        );
      }
    }
    specs.push(...group.weights);
    buffers.push(...parts);
  }
  const total = buffers.reduce((a, b) => a + b.byteLength, 0);
  const weightData = new Uint8Array(total);
  let off = 0;
  for (const b of buffers) {
    weightData.set(b, off);
    off += b.byteLength;
  }
  const artifacts: tf.io.ModelArtifacts = {
    modelTopology: json.modelTopology as {},
    weightSpecs: specs,
    weightData: weightData.buffer,
    format: json.format as string | undefined,
    generatedBy: json.generatedBy as string | undefined,
    convertedBy: json.convertedBy as string | null | undefined,
  };
  if (json.trainingConfig) artifacts.trainingConfig = json.trainingConfig as tf.io.TrainingConfig;
  if (json.signature) artifacts.signature = json.signature as {};
  if (json.userDefinedMetadata) artifacts.userDefinedMetadata = json.userDefinedMetadata as { [key: string]: {} };
  if (json.modelInitializer) artifacts.modelInitializer = json.modelInitializer as {};
  if (json.initializerSignature) artifacts.initializerSignature = json.initializerSignature as {};
  return artifacts;
}

/**
 * An IOHandler for `dir`: `await model.save(fileIO(dir))`, `await tf.loadLayersModel(fileIO(dir))`.
 * `opts.metadata` is stored in model.json's userDefinedMetadata (provenance of a checkpoint).
 */
export function fileIO(dir: string, opts: FileIOOptions = {}): tf.io.IOHandler {
  if (typeof dir !== "string" || dir === "") throw new Error("fileIO(dir): dir must be a non-empty folder path.");
  const abs = path.resolve(dir);
  return {
    save: async (artifacts: tf.io.ModelArtifacts) => writeArtifacts(abs, artifacts, opts.metadata),
    load: async () => readArtifacts(abs),
  };
}
