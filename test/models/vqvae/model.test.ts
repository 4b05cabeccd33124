/**
 * The VQ-VAE model on wasm: the gradient of every convolution shape the model uses matches
 * finite differences, a brief training through the shared loop lowers the reconstruction error
 * and uses more than one code, and bad inputs (code maps of the wrong shape, NaN encoder
 * outputs, K < 2, a checkpoint of another K) get clear errors.
 */
import { beforeAll, describe, expect, it } from "vitest";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as tf from "@tensorflow/tfjs";
import { initBackend, useBackend } from "../../../src/runtime/backend";
import { Rng } from "../../../src/runtime/rng";
import { loadEmbeddedMnist } from "../../../src/data/mnist";
import { maxRelDiff } from "../../kernels/helpers";
import {
  VqVae,
  evaluateVqVae,
  loadVqVae,
  pixelVariance,
  saveVqVae,
  trainVqVae,
  vqDecodeCodes,
  vqEncode,
} from "../../../src/models/vqvae";

beforeAll(async () => {
  await initBackend();
  await useBackend("wasm");
});

/**
 * f(W, x) = Σ r ⊙ conv(x, W) is linear in W and in x, so a central difference with a large step
 * h = 0.5 has no truncation error: (f(W + h e) − f(W − h e)) / 2h = ∂f/∂W_e up to float32 rounding
 * of the sums (|f| ≲ 50 here, u ≈ 6e-8: ≲ 1e-5 absolute).
 */
function checkConvGrads(kind: "conv" | "transpose", inShape: [number, number, number, number], filter: [number, number, number, number], stride: number, outShape: [number, number, number, number]) {
  const r = new Rng(31 + filter[2] + filter[3]);
  const x = tf.tensor4d(r.normals(new Float32Array(inShape.reduce((a, b) => a * b, 1))), inShape);
  const w = tf.tensor4d(r.normals(new Float32Array(filter.reduce((a, b) => a * b, 1))).map((v) => v * 0.3), filter);
  const rw = tf.tensor4d(r.normals(new Float32Array(outShape.reduce((a, b) => a * b, 1))), outShape);
  const op = (a: tf.Tensor4D, b: tf.Tensor4D) => (kind === "conv" ? tf.conv2d(a, b, stride, "same") : tf.conv2dTranspose(a, b, outShape, stride, "same"));
  const f = (a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(rw, op(a as tf.Tensor4D, b as tf.Tensor4D)));
  const out = op(x, w);
  expect(out.shape).toEqual(outShape);
  const [gx, gw] = tf.grads(f)([x, w]).map((t) => t.dataSync());
  const h = 0.5;
  for (const [which, g, t] of [["x", gx, x], ["w", gw, w]] as const) {
    const base = t.dataSync();
    for (let s = 0; s < 12; s++) {
      const e = (s * 7919 + 13) % base.length;
      const plus = Float32Array.from(base); plus[e] += h;
      const minus = Float32Array.from(base); minus[e] -= h;
      const ev = (v: Float32Array) => tf.tidy(() => (which === "x" ? f(tf.tensor4d(v, inShape), w) : f(x, tf.tensor4d(v, filter))).dataSync()[0]);
      const fd = (ev(plus) - ev(minus)) / (2 * h);
      expect(Math.abs(fd - g[e])).toBeLessThan(2e-4 + 1e-4 * Math.abs(fd));
    }
  }
}

describe("convolution gradients on wasm, every layer shape of the model", () => {
  const [c1, c2, I, n] = [4, 6, 3, 2];
  it("backend is wasm with latentlab's Conv2DBackpropFilter", () => {
    expect(tf.getBackend()).toBe("wasm");
    expect(tf.getKernel("Conv2DBackpropFilter", "wasm")).toBeTruthy();
  });
  it("encoder conv 3×3/2 28×28×1 → 14×14×c₁", () => checkConvGrads("conv", [n, 28, 28, 1], [3, 3, 1, c1], 2, [n, 14, 14, c1]));
  it("encoder conv 3×3/2 14×14×c₁ → 7×7×c₂", () => checkConvGrads("conv", [n, 14, 14, c1], [3, 3, c1, c2], 2, [n, 7, 7, c2]));
  it("encoder conv 1×1 7×7×c₂ → 7×7×I", () => checkConvGrads("conv", [n, 7, 7, c2], [1, 1, c2, I], 1, [n, 7, 7, I]));
  it("decoder transpose 3×3/2 7×7×I → 14×14×c₂", () => checkConvGrads("transpose", [n, 7, 7, I], [3, 3, c2, I], 2, [n, 14, 14, c2]));
  it("decoder transpose 3×3/2 14×14×c₂ → 28×28×c₁", () => checkConvGrads("transpose", [n, 14, 14, c2], [3, 3, c1, c2], 2, [n, 28, 28, c1]));
  it("decoder transpose 3×3/1 28×28×c₁ → 28×28×1", () => checkConvGrads("transpose", [n, 28, 28, c1], [3, 3, 1, c1], 1, [n, 28, 28, 1]));
});

function someDigits(count: number): Float32Array {
  const ds = loadEmbeddedMnist();
  const out = new Float32Array(count * 784);
  // every class: take images spread over the class-ordered set
  for (let i = 0; i < count; i++) {
    const j = Math.floor((i * ds.count) / count);
    out.set(ds.images.subarray(j * 784, (j + 1) * 784), i * 784);
  }
  return out;
}

describe("VQ-VAE", () => {
  const small = { channels: [8, 16] as [number, number], latentDim: 4, numCodes: 16 };

  it("maps 28×28 images to 7×7 codes and back", () => {
    const m = new VqVae(small, new Rng(1));
    expect([m.numCodes, m.codeHeight, m.codeWidth]).toEqual([16, 7, 7]);
    const x = someDigits(3);
    const codes = vqEncode(m, x);
    expect(codes.length).toBe(3 * 49);
    expect(codes.every((k) => k >= 0 && k < 16)).toBe(true);
    expect(vqDecodeCodes(m, codes).length).toBe(3 * 784);
    m.dispose();
  });

  it("a brief training through fit lowers the reconstruction error and uses more than one code, without leaking tensors", async () => {
    const images = someDigits(384);
    const m = new VqVae({ ...small, dataVariance: pixelVariance(images), warmupEpochs: 1 }, new Rng(2));
    const before = evaluateVqVae(m, images);
    const res = await trainVqVae(m, images, { epochs: 4, batchSize: 64, rng: new Rng(3), showProgress: false, kMeansImages: 100 });
    const after = evaluateVqVae(m, images);
    expect(res.history.length).toBe(4);
    expect(res.history[0].extra).toEqual({}); // the warm-up epoch (quantizer bypassed)
    expect(res.history[3].extra.codesUsed).toBeGreaterThan(1);
    expect(after.mse).toBeLessThan(0.7 * before.mse);
    expect(after.codesUsed).toBeGreaterThan(1);
    const tensors = res.history.map((h) => h.numTensors);
    expect(tensors[3]).toBe(tensors[2]);
    m.dispose();
  });

  it("the EMA variant moves the codebook without a codebook gradient", async () => {
    const images = someDigits(128);
    const m = new VqVae({ ...small, dataVariance: pixelVariance(images), codebookLearning: "ema", warmupEpochs: 0 }, new Rng(4));
    const res = await trainVqVae(m, images, { epochs: 2, batchSize: 64, rng: new Rng(5), showProgress: false, kMeansImages: 64 });
    const vars = m.phases()[0].variables();
    expect(vars.includes(m.codebook)).toBe(false);
    expect(res.history[1].terms.codebook).toBeGreaterThanOrEqual(0);
    m.dispose();
  });
});

describe("data-parallel training (threads: 2)", () => {
  const small = { channels: [8, 16] as [number, number], latentDim: 4, numCodes: 16 };
  // One thread against two (a worker holding a replica: the warm-up switch from replica()'s
  // arguments, the codebook synced as state(), the re-encoding after each step sharded): the
  // same losses, code counts and weights up to float32 summation order over 8 Adam steps (the
  // sums have ≤ 10³ terms: ~10⁻⁶ relative per step; 10⁻³ leaves room for Adam's division by
  // √v̂ of small gradients, and a stale codebook or an unswitched warm-up is off by far more).
  for (const learning of ["loss", "ema"] as const) {
    it(`codebook by ${learning === "loss" ? "loss, after a K-means warm-up epoch" : "EMA"}: the one-thread run up to summation order`, async () => {
      const images = someDigits(96);
      const run = async (threads: number) => {
        const m = new VqVae({ ...small, dataVariance: pixelVariance(images), codebookLearning: learning, warmupEpochs: learning === "loss" ? 1 : 0, init: "kmeans", restartDeadCodes: false }, new Rng(6));
        const res = await trainVqVae(m, images, { epochs: 3, batchSize: 32, maxBatchesPerEpoch: 3, rng: new Rng(7), showProgress: false, kMeansImages: 64, threads });
        const w = m.weights();
        const out = { history: res.history, w: Object.fromEntries(Object.entries(w).map(([k, t]) => [k, Float32Array.from(t.dataSync())])) };
        tf.dispose(Object.values(w));
        m.dispose();
        return out;
      };
      const one = await run(1);
      const two = await run(2);
      for (let e = 0; e < 3; e++) {
        expect(two.history[e].extra).toEqual(one.history[e].extra); // codes used, perplexity: the same counts
        for (const k of Object.keys(one.history[e].terms)) expect(Math.abs(two.history[e].terms[k] - one.history[e].terms[k])).toBeLessThanOrEqual(1e-4 * Math.abs(one.history[e].terms[k]) + 1e-7);
      }
      expect(one.history[2].extra.codesUsed).toBeGreaterThan(1);
      for (const k of Object.keys(one.w)) expect(maxRelDiff(two.w[k], one.w[k])).toBeLessThan(1e-3);
    });
  }
});

describe("bad input", () => {
  it("K < 2, a code map of the wrong shape, codes out of range, NaN encoder outputs", () => {
    expect(() => new VqVae({ numCodes: 1 })).toThrow(/numCodes K must be an integer in \[2, 4096\]/);
    const m = new VqVae({ channels: [4, 4], latentDim: 2, numCodes: 8 }, new Rng(1));
    expect(() => vqDecodeCodes(m, new Int32Array(50))).toThrow(/not a positive multiple of 7 × 7 = 49/);
    expect(() => vqDecodeCodes(m, new Int32Array(49).fill(8))).toThrow(/code 8 at position 0 .* not in \[0, 8\)/);
    expect(() => vqDecodeCodes(m, [1, 2] as unknown as Int32Array)).toThrow(/Int32Array/);
    const nanImage = new Float32Array(784).fill(0.5);
    nanImage[100] = NaN;
    expect(() => vqEncode(m, nanImage)).toThrow(/non-finite value .* Check the images/);
    expect(() => vqEncode(m, new Float32Array(100))).toThrow(/multiple of 784/);
    m.dispose();
  });

  it("a checkpoint of another K is refused, by loadVqVae and by setWeights", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "vqvae-test-"));
    const m16 = new VqVae({ channels: [4, 4], latentDim: 2, numCodes: 16 }, new Rng(1));
    await saveVqVae(m16, dir, { test: true });
    await expect(loadVqVae(dir, { numCodes: 32 })).rejects.toThrow(/K = 16 codes but K = 32 was expected/);
    const { model, info } = await loadVqVae(dir, { numCodes: 16 });
    expect(info.provenance).toEqual({ test: true });
    expect(Array.from(model.codebook.dataSync())).toEqual(Array.from(m16.codebook.dataSync()));
    const m32 = new VqVae({ channels: [4, 4], latentDim: 2, numCodes: 32 }, new Rng(1));
    const w = m16.weights();
    expect(() => m32.setWeights(w)).toThrow(/another K/);
    tf.dispose(Object.values(w));
    [m16, m32, model].forEach((x) => x.dispose());
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
