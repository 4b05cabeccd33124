import { describe, expect, it } from "vitest";
import * as tf from "@tensorflow/tfjs";
import { initBackend, useBackend } from "../../src/runtime/backend";
import { Rng } from "../../src/runtime/rng";
import { createVae } from "../../src/models/vae";
import { trainVae } from "../../src/models/train";
import { makeDsprites } from "../../src/data/dsprites";

describe("convolutional VAE", () => {
  it("refuses to train on wasm (no Conv2DBackpropFilter) with a message that names the fix", async () => {
    const info = await initBackend();
    if (info.name !== "wasm" || tf.getKernel("Conv2DBackpropFilter", "wasm")) return;
    const m = createVae({ architecture: "conv", height: 16, width: 16, latentDim: 2, convChannels: [4, 8] }, new Rng(1));
    await expect(trainVae(m, new Float32Array(256 * 2), { epochs: 1, showProgress: false })).rejects.toThrow(/Conv2DBackpropFilter.*LATENTLAB_BACKEND=cpu/s);
    // the forward pass works on wasm
    expect(m.sample(3, new Rng(2)).length).toBe(3 * 256);
    m.dispose();
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
