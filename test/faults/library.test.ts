/**
 * Fault suite, the library's edges: bad input from JavaScript (where TypeScript's types do not
 * protect) gets one error class, InputError, whose message says what, where and what to do —
 * never a wrong result, a raw Node/tfjs/JSON error, or a silently ignored option.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { afterAll, describe, expect, it } from "vitest";
import { ensureFile } from "../../src/data/download";
import { fitGmm } from "../../src/em/gmm";
import { kMeans } from "../../src/em/kmeans";
import { loadVae, readVaeCheckpointInfo, saveVae } from "../../src/models/checkpoint";
import { evaluateVae } from "../../src/models/evaluate";
import { createVae } from "../../src/models/vae";
import { Rng } from "../../src/runtime/rng";
import { InputError } from "../../src/runtime/validate";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "latentlab-inputs-"));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
// JavaScript callers: no types to stop them.
const js = <T>(x: unknown) => x as T;

async function rejectsWith(p: Promise<unknown> | (() => unknown), re: RegExp): Promise<void> {
  let err: unknown;
  try {
    await (typeof p === "function" ? p() : p);
  } catch (e) {
    err = e;
  }
  expect(err, "expected an InputError").toBeInstanceOf(InputError);
  expect((err as Error).message).toMatch(re);
}

const small = { height: 4, width: 4, hidden: [8], latentDim: 2 };
const points = Array.from({ length: 20 }, (_, i) => [i % 5, Math.floor(i / 5)]);

describe("VAE models", () => {
  it("unknown activations, likelihoods, architectures and config keys are errors, not silently accepted", async () => {
    await rejectsWith(() => createVae(js({ activation: "sigmoid" })), /createVae|new Vae: config: activation must be one of "relu", "tanh", got "sigmoid"/);
    await rejectsWith(() => createVae(js({ likelihood: "poisson" })), /likelihood must be one of "bernoulli", "gaussian", got "poisson"/);
    await rejectsWith(() => createVae(js({ architecture: "transformer" })), /architecture must be one of "mlp", "conv"/);
    await rejectsWith(() => createVae(js({ latentDims: 2 })), /unknown key in config "latentDims"\. Did you mean "latentDim"\?/);
    await rejectsWith(() => createVae(js({ hidden: "400" })), /hidden must be an array of positive integers/);
    await rejectsWith(() => createVae(small, js(42)), /the second argument must be an Rng/);
  });

  it("images of another size than the model's, or not a Float32Array, are errors", async () => {
    const m = createVae(small, new Rng(1));
    try {
      // 16 numbers is one 4×4 image, but also four 2×2 images: the shape, when known, decides.
      await rejectsWith(() => m.checkImages("trainVae", new Float32Array(16), { height: 2, width: 2 }), /must be 4×4 images \(the model's size\), got 2×2 images/);
      await rejectsWith(() => m.encodeMeans(js(new Float64Array(16))), /Vae\.encodeMeans: images must be a Float32Array/);
      await rejectsWith(() => m.encodeMeans(new Float32Array(10)), /multiple of 16.*built for 4×4 images/);
      await rejectsWith(() => m.sample(0, new Rng(1)), /Vae\.sample: n must be a positive integer, got 0/);
      await rejectsWith(evaluateVae(m, new Float32Array(32), { samples: 0 }), /evaluateVae: options\.samples must be a positive integer, got 0/);
      await rejectsWith(evaluateVae(m, new Float32Array(32), js({ klMode: "exact" })), /options\.klMode must be one of "analytic", "mc"/);
      await rejectsWith(evaluateVae(m, new Float32Array(32), js({ sample: 3 })), /unknown option "sample"\. Did you mean "samples"\?/);
    } finally {
      m.dispose();
    }
  });

  it("checkpoints: saved under a file, an invalid vae.json, and a checkpoint made for another config", async () => {
    const m = createVae(small, new Rng(2));
    try {
      const file = path.join(dir, "a-file");
      fs.writeFileSync(file, "x");
      await rejectsWith(saveVae(m, path.join(file, "ckpt")), /saveVae: cannot use .*a-file\/ckpt as a folder: .*a-file is a file, not a folder/);
      const ck = path.join(dir, "ckpt");
      await saveVae(m, ck, { seed: 2 });
      const ok = await loadVae(ck, small);
      ok.model.dispose();
      await rejectsWith(loadVae(ck, { ...small, latentDim: 3 }), /was made for another config \(latentDim: checkpoint 2, wanted 3\)\. Train it again .*LATENTLAB_RETRAIN=1/);
      const vaeJson = path.join(ck, "vae.json");
      fs.writeFileSync(vaeJson, "{ not json");
      await rejectsWith(() => readVaeCheckpointInfo(ck), /vae\.json is not valid JSON .*Restore the checkpoint .* or train it again/);
      fs.writeFileSync(vaeJson, JSON.stringify({ config: { ...small, activation: "sigmoid" }, provenance: {} }));
      await rejectsWith(() => readVaeCheckpointInfo(ck), /vae\.json: config: activation must be one of "relu", "tanh"/);
      fs.writeFileSync(vaeJson, "[]");
      await rejectsWith(() => readVaeCheckpointInfo(ck), /has no "config" object/);
    } finally {
      m.dispose();
    }
  });
});

describe("K-means and Gaussian mixtures", () => {
  it("unknown engines, algorithms, inits and options are errors (an unknown engine used to return labels of -1)", async () => {
    await rejectsWith(kMeans(points, js({ k: 2, engine: "gpu" })), /kMeans: options\.engine must be one of "auto", "tfjs", "js", "exact", got "gpu"/);
    await rejectsWith(kMeans(points, js({ k: 2, algorithm: "fast" })), /options\.algorithm must be one of "elkan-batched", "hamerly", "elkan", "lloyd"/);
    await rejectsWith(kMeans(points, js({ k: 2, init: "kmeans++" })), /options\.init must be one of "k-means\+\+", "random", got "kmeans\+\+"/);
    await rejectsWith(kMeans(points, js({ k: 2, iterations: 10 })), /unknown option "iterations"/);
    await rejectsWith(kMeans(points, js({ k: 2, rng: 42 })), /options\.rng must be an Rng/);
    await rejectsWith(kMeans(points, js(undefined)), /kMeans: options must be an object with at least k/);
    await rejectsWith(fitGmm(points, js({ k: 2, covarianceType: "tied" })), /fitGmm: options\.covarianceType must be one of "full", "diag", "spherical"/);
  });

  it("a flat array of numbers is an error that says how to pass points", async () => {
    await rejectsWith(kMeans(js([1, 2, 3, 4, 5, 6]), { k: 2 }), /kMeans: points must be rows of numbers, not a flat array of numbers.*PointSet \{ data, n, d \}/);
    await rejectsWith(kMeans(js(new Float32Array(6)), { k: 2 }), /not a flat typed array, got a Float32Array of length 6/);
    await rejectsWith(kMeans(js({ data: [1, 2], n: 1, d: 2 }), { k: 1 }), /points\.data must be a Float64Array or Float32Array/);
    const res = await kMeans(points, { k: 2, rng: new Rng(3), engine: "exact" });
    expect(Array.from(res.labels).every((l) => l === 0 || l === 1)).toBe(true);
  });
});

describe("data", () => {
  it("a data cache that cannot be a folder names LATENTLAB_DATA_DIR", async () => {
    const file = path.join(dir, "not-a-dir");
    fs.writeFileSync(file, "");
    const entry = { name: "x.bin", urls: ["http://127.0.0.1:9/x.bin"], bytes: 1, sha256: "0".repeat(64), split: "train" };
    await rejectsWith(ensureFile(js(entry), { cacheDir: path.join(file, "mnist") }), /not-a-dir is a file, not a folder\. Set LATENTLAB_DATA_DIR to a writable folder/);
  });
});
