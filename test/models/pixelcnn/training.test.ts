import { beforeAll, describe, expect, it } from "vitest";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../../src/runtime/backend";
import { Rng } from "../../../src/runtime/rng";
import { PixelCnn } from "../../../src/models/pixelcnn/network";
import { pixelCnnNll } from "../../../src/models/pixelcnn/likelihood";
import { trainPixelCnn } from "../../../src/models/pixelcnn/recipes";
import { checkPriorMatchesVq, loadPixelCnn, readPixelCnnCheckpointInfo, savePixelCnn, VqIdentity } from "../../../src/models/pixelcnn/checkpoint";
import { PixelCnnTrainable } from "../../../src/models/pixelcnn/trainable";

beforeAll(async () => {
  await initBackend();
});

/** Code maps with spatial structure: each code is its left neighbour + 1 (mod K) with probability 0.9, else uniform. */
function markovCodes(n: number, K: number, r: Rng): Int32Array {
  const x = new Int32Array(n * 49);
  for (let s = 0; s < n; s++) {
    for (let p = 0; p < 49; p++) {
      const c = p % 7;
      x[s * 49 + p] = c > 0 && r.uniform() < 0.9 ? (x[s * 49 + p - 1] + 1) % K : r.int(K);
    }
  }
  return x;
}

describe("PixelCNN training through fit", () => {
  it("a prior over structured 7×7 code maps gets its held-out cross-entropy well below log K per code after brief training", async () => {
    const K = 8;
    const r = new Rng(1);
    const train = markovCodes(384, K, r);
    const test = markovCodes(128, K, r);
    const m = new PixelCnn({ height: 7, width: 7, output: "categorical", numCategories: K, channels: 16, blocks: 2, firstKernel: 5 }, new Rng(2));
    const before = pixelCnnNll(m, test).natsPerDim;
    const res = await trainPixelCnn(m, train, { epochs: 6, batchSize: 32, learningRate: 3e-3, rng: new Rng(3), evalData: test, showProgress: false });
    const after = pixelCnnNll(m, test);
    // The data's own entropy per code: first column log K, others H(0.9 + 0.1/K, …) — far below log K.
    const pStay = 0.9 + 0.1 / K;
    const hRest = -(pStay * Math.log(pStay) + (K - 1) * (0.1 / K) * Math.log(0.1 / K));
    const entropy = (7 * Math.log(K) + 42 * hRest) / 49;
    expect(after.natsPerDim).toBeLessThan(Math.log(K) - 0.5);
    expect(after.natsPerDim).toBeGreaterThan(entropy - 4 * after.se / 49); // cannot beat the true entropy (up to noise)
    expect(after.natsPerDim).toBeLessThan(before);
    expect(res.history[res.history.length - 1].eval!.nll).toBeCloseTo(after.nats, 3);
    // no leak across epochs
    const nt = res.history.map((h) => h.numTensors);
    expect(nt[nt.length - 1]).toBe(nt[0]);
    m.dispose();
  }, 120_000);

  it("a Bernoulli PixelCNN binarizes grey images dynamically from the run's Rng and refuses a wrong binarization setting", async () => {
    const m = new PixelCnn({ height: 4, width: 4, channels: 4, blocks: 1, firstKernel: 3 }, new Rng(1));
    const t = new PixelCnnTrainable(m);
    expect(t.binarize).toBe("dynamic");
    const grey = new Float32Array(16).fill(0.5);
    const ctx = { epoch: 1, batch: 0, batchesPerEpoch: 1, step: 0, rng: new Rng(4) };
    const a = t.prepareBatch({ x: grey, size: 1, rowSize: 16 }, ctx);
    const v = Array.from(a.input.dataSync());
    expect(v.every((u) => u === 0 || u === 1)).toBe(true);
    expect(new Set(v).size).toBe(2);
    tf.dispose(Object.values(a));
    const codes = new PixelCnn({ height: 4, width: 4, channels: 4, blocks: 1, output: "categorical", numCategories: 3 }, new Rng(1));
    expect(() => new PixelCnnTrainable(codes, { binarize: "dynamic" })).toThrow(/already discrete/);
    const tc = new PixelCnnTrainable(codes);
    expect(() => tc.prepareBatch({ x: new Int32Array(16).fill(3), size: 1, rowSize: 16 }, ctx)).toThrow(/code 3 .*K = 3/);
    m.dispose();
    codes.dispose();
  });
});

describe("PixelCNN checkpoints", () => {
  it("round-trips weights, config and the VQ-VAE identity; a prior is refused next to a different VQ-VAE", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pixelcnn-"));
    const m = new PixelCnn({ height: 7, width: 7, output: "categorical", numCategories: 6, channels: 8, blocks: 1, numLabels: 2 }, new Rng(5));
    const r = new Rng(6);
    const probe = Array.from({ length: 98 }, () => r.int(6));
    const vq: VqIdentity = { numCodes: 6, codeHeight: 7, codeWidth: 7, probeCodes: probe, probeCount: 2, source: "test" };
    await savePixelCnn(m, dir, { seed: 5 }, vq);
    const { model, info } = await loadPixelCnn(dir);
    expect(info.provenance.seed).toBe(5);
    expect(readPixelCnnCheckpointInfo(dir).vq!.probeCodes).toEqual(probe);
    const x = Int32Array.from({ length: 49 }, () => r.int(6));
    expect(pixelCnnNll(model, x, { labels: 1 }).nats).toBe(pixelCnnNll(m, x, { labels: 1 }).nats);
    expect(checkPriorMatchesVq(info.vq, { ...vq, source: "same" }, "here")).toBe(1);
    expect(() => checkPriorMatchesVq(info.vq, { ...vq, numCodes: 8 }, "here")).toThrow(/K = 6 codes, this VQ-VAE has K = 8.*LATENTLAB_RETRAIN=1/);
    expect(() => checkPriorMatchesVq(info.vq, { ...vq, codeHeight: 4, codeWidth: 4 }, "here")).toThrow(/7×7 code maps, this VQ-VAE makes 4×4/);
    const shuffled = probe.map((c) => (c + 1) % 6);
    expect(() => checkPriorMatchesVq(info.vq, { ...vq, probeCodes: shuffled }, "here")).toThrow(/does not match this VQ-VAE: only 0.0%/);
    expect(() => checkPriorMatchesVq(undefined, vq, "here")).toThrow(/not a prior over VQ-VAE codes/);
    // a checkpoint of another architecture is refused with the names that differ
    const other = new PixelCnn({ height: 7, width: 7, output: "categorical", numCategories: 6, channels: 8, blocks: 2, numLabels: 2 }, new Rng(5));
    expect(() => other.setWeights(model.weights())).toThrow(/missing: block1/);
    [m, model, other].forEach((x) => x.dispose());
    fs.rmSync(dir, { recursive: true, force: true });
  });
});

describe("PixelCNN data-parallel training", () => {
  it("trains on 2 threads through fit's replicas with the same result as 1 thread up to float32 summation order", async () => {
    const K = 5;
    const r = new Rng(11);
    const codes = markovCodes(128, K, r);
    const cfg = { height: 7, width: 7, output: "categorical" as const, numCategories: K, channels: 8, blocks: 1, firstKernel: 3, embedding: 4 };
    const warnings: string[] = [];
    const orig = console.warn;
    console.warn = (m: string) => void warnings.push(String(m));
    try {
      const a = new PixelCnn(cfg, new Rng(2));
      const b = new PixelCnn(cfg, new Rng(2));
      await trainPixelCnn(a, codes, { epochs: 1, batchSize: 32, rng: new Rng(3), showProgress: false });
      await trainPixelCnn(b, codes, { epochs: 1, batchSize: 32, rng: new Rng(3), showProgress: false, threads: 2 });
      expect(warnings.filter((w) => /worker|thread/i.test(w))).toEqual([]);
      const na = pixelCnnNll(a, codes).nats;
      const nb = pixelCnnNll(b, codes).nats;
      expect(Math.abs(na - nb)).toBeLessThan(1e-3 * na);
      a.dispose();
      b.dispose();
    } finally {
      console.warn = orig;
    }
  }, 180_000);
});
