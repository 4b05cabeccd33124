/**
 * End to end: a small conv net (conv 3×3 stride 2 → relu → conv 3×3 "same" → relu → dense)
 * trains on wasm, where tfjs alone has no Conv2DBackpropFilter. Its gradients equal the cpu
 * backend's from the same float32 parameters (relative 1e-4: float32 sums in different orders
 * through three layers and a relu; u ≈ 6e-8 leaves ~1000 roundings of headroom), and Adam
 * lowers the loss on a fixed batch.
 */
import { describe, expect, it } from "vitest";
import * as tf from "@tensorflow/tfjs";
import { Rng } from "../../src/runtime/rng";
import { useBackend } from "../../src/runtime/backend";
import { maxRelDiff, onBackend, randn } from "./helpers";

interface Net { w1: Float32Array; w2: Float32Array; w3: Float32Array; b3: Float32Array }

function init(r: Rng): Net {
  const scale = (a: Float32Array, s: number) => a.map((v) => v * s);
  return { w1: scale(randn(3 * 3 * 1 * 8, r), 1 / 3), w2: scale(randn(3 * 3 * 8 * 8, r), 1 / Math.sqrt(72)), w3: scale(randn(7 * 7 * 8 * 10, r), 1 / Math.sqrt(392)), b3: new Float32Array(10) };
}

function lossFn(x: tf.Tensor4D, y: tf.Tensor2D) {
  return (w1: tf.Tensor4D, w2: tf.Tensor4D, w3: tf.Tensor2D, b3: tf.Tensor1D) => {
    const h1 = tf.relu(tf.conv2d(x, w1, 2, "same"));
    const h2 = tf.relu(tf.conv2d(h1, w2, 1, "same"));
    const logits = tf.add(tf.matMul(tf.reshape(h2, [x.shape[0], -1]) as tf.Tensor2D, w3), b3);
    return tf.losses.softmaxCrossEntropy(y, logits) as tf.Scalar;
  };
}

function batch(r: Rng) {
  const n = 16;
  const x = new Float32Array(n * 14 * 14);
  const y = new Float32Array(n * 10);
  for (let i = 0; i < n; i++) {
    const c = i % 10;
    y[i * 10 + c] = 1;
    for (let p = 0; p < 196; p++) x[i * 196 + p] = 0.3 * r.normal() + (p % 10 === c ? 1 : 0);
  }
  return { x, y, n };
}

describe("a conv net on wasm", () => {
  it("has the cpu backend's gradients", async () => {
    const r = new Rng(51);
    const net = init(r);
    const b = batch(r);
    const grads = () =>
      tf.tidy(() => {
        const f = lossFn(tf.tensor4d(b.x, [b.n, 14, 14, 1]), tf.tensor2d(b.y, [b.n, 10]));
        const ps = [tf.tensor4d(net.w1, [3, 3, 1, 8]), tf.tensor4d(net.w2, [3, 3, 8, 8]), tf.tensor2d(net.w3, [392, 10]), tf.tensor1d(net.b3)];
        return tf.grads(f as (...a: tf.Tensor[]) => tf.Tensor)(ps).map((t) => Float32Array.from(t.dataSync()));
      });
    const w = await onBackend("wasm", grads);
    const c = await onBackend("cpu", grads);
    for (let i = 0; i < 4; i++) expect(maxRelDiff(w[i], c[i])).toBeLessThan(1e-4);
    await useBackend("wasm");
  });

  it("trains (the loss falls) without leaking tensors", async () => {
    await useBackend("wasm");
    const r = new Rng(52);
    const net = init(r);
    const b = batch(r);
    const v = [tf.variable(tf.tensor4d(net.w1, [3, 3, 1, 8])), tf.variable(tf.tensor4d(net.w2, [3, 3, 8, 8])), tf.variable(tf.tensor2d(net.w3, [392, 10])), tf.variable(tf.tensor1d(net.b3))];
    const x = tf.tensor4d(b.x, [b.n, 14, 14, 1]);
    const y = tf.tensor2d(b.y, [b.n, 10]);
    const f = lossFn(x, y);
    const opt = tf.train.adam(1e-2);
    const before = tf.memory().numTensors;
    const losses: number[] = [];
    for (let t = 0; t < 30; t++) {
      const l = opt.minimize(() => f(v[0] as unknown as tf.Tensor4D, v[1] as unknown as tf.Tensor4D, v[2] as unknown as tf.Tensor2D, v[3] as unknown as tf.Tensor1D), true, v) as tf.Scalar;
      losses.push(l.dataSync()[0]);
      l.dispose();
      if (t === 0) expect(tf.memory().numTensors).toBeGreaterThanOrEqual(before); // moments created once
    }
    const after1 = tf.memory().numTensors;
    opt.minimize(() => f(v[0] as unknown as tf.Tensor4D, v[1] as unknown as tf.Tensor4D, v[2] as unknown as tf.Tensor2D, v[3] as unknown as tf.Tensor1D), false, v);
    expect(tf.memory().numTensors).toBe(after1);
    expect(losses[0]).toBeGreaterThan(Math.log(10) * 0.8); // untrained: about log 10
    expect(losses[29]).toBeLessThan(0.25 * losses[0]);
    opt.dispose();
    tf.dispose([...v, x, y]);
  });
});

describe("the library's convolutional VAE on wasm", () => {
  it("trains with the registered kernels (it could not before: no Conv2DBackpropFilter)", async () => {
    const { createVae } = await import("../../src/models/vae");
    const { trainVae } = await import("../../src/models/train");
    const { makeDsprites } = await import("../../src/data/dsprites");
    await useBackend("wasm");
    const ds = makeDsprites(64, new Rng(3), { size: 16 });
    const m = createVae({ architecture: "conv", height: 16, width: 16, latentDim: 2, convChannels: [4, 8] }, new Rng(4));
    const h = (await trainVae(m, ds, { epochs: 4, batchSize: 16, learningRate: 3e-3, rng: new Rng(5), showProgress: false })).history;
    expect(h[3].loss).toBeLessThan(h[0].loss);
    expect(h[3].numTensors).toBe(h[1].numTensors);
    m.dispose();
  });
});
