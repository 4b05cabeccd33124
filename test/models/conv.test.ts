import { describe, expect, it } from "vitest";
import * as tf from "@tensorflow/tfjs";
import { useBackend } from "../../src/runtime/backend";
import { Rng } from "../../src/runtime/rng";
import { createVae } from "../../src/models/vae";
import { trainVae } from "../../src/models/train";
import { makeDsprites } from "../../src/data/dsprites";
import { registerWasmKernels, unregisterWasmKernels } from "../../src/kernels";

describe("convolutional VAE", () => {
  it("trains on wasm with latentlab's Conv2DBackpropFilter kernel", async () => {
    await useBackend("wasm");
    expect(tf.getKernel("Conv2DBackpropFilter", "wasm")).toBeDefined();
    const ds = makeDsprites(64, new Rng(3), { size: 16 });
    const m = createVae({ architecture: "conv", height: 16, width: 16, latentDim: 2, convChannels: [4, 8] }, new Rng(4));
    const h = (await trainVae(m, ds, { epochs: 4, batchSize: 16, learningRate: 3e-3, rng: new Rng(5), showProgress: false })).history;
    expect(h[3].loss).toBeLessThan(h[0].loss);
    m.dispose();
  }, 60_000);

  it("without that kernel, refuses to train with a message that names the fix", async () => {
    await useBackend("wasm");
    unregisterWasmKernels();
    try {
      expect(tf.getKernel("Conv2DBackpropFilter", "wasm")).toBeUndefined();
      const m = createVae({ architecture: "conv", height: 16, width: 16, latentDim: 2, convChannels: [4, 8] }, new Rng(1));
      await expect(trainVae(m, new Float32Array(256 * 2), { epochs: 1, showProgress: false })).rejects.toThrow(/Conv2DBackpropFilter.*LATENTLAB_BACKEND=cpu/s);
      // the forward pass still works
      expect(m.sample(3, new Rng(2)).length).toBe(3 * 256);
      m.dispose();
    } finally {
      registerWasmKernels();
    }
  });

  it("trains on the cpu backend at a tiny size", async () => {
    await useBackend("cpu");
    const ds = makeDsprites(64, new Rng(3), { size: 16 });
    const m = createVae({ architecture: "conv", height: 16, width: 16, latentDim: 2, convChannels: [4, 8] }, new Rng(4));
    const h = (await trainVae(m, ds, { epochs: 4, batchSize: 16, learningRate: 3e-3, rng: new Rng(5), showProgress: false })).history;
    expect(h[3].loss).toBeLessThan(h[0].loss);
    m.dispose();
  }, 60_000);
});
