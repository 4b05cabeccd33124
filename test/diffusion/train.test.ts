/**
 * The noise predictor on the shared loop: a brief run on the ring of eight Gaussians lowers the
 * noise-prediction error and moves the samples towards the data (the energy distance falls), leaks
 * no tensors, repeats exactly for a seed, and refuses a network built for another T.
 */
import { beforeAll, describe, expect, it } from "vitest";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../src/runtime/backend";
import { Rng } from "../../src/runtime/rng";
import { sampleRing } from "../../src/models/gan/mixture";
import { ancestralSample, DiffusionTrainable, energyDistance, NoisePredictor, noiseSchedule, stepEmbedding, trainDiffusion } from "../../src/models/diffusion";

beforeAll(async () => {
  await initBackend();
});

describe("training the noise predictor", () => {
  const T = 50;
  const s = noiseSchedule(T);
  const data = sampleRing(2000, new Rng(1)).points;
  const ref = sampleRing(500, new Rng(9)).points;

  it("lowers ‖ε − ε_θ‖² and brings the samples closer to the data; no tensor leak", async () => {
    const net = new NoisePredictor({ dim: 2, T, hidden: [64, 64] }, new Rng(2));
    const before = energyDistance(ancestralSample(s, net, 500, new Rng(3)).samples, ref);
    const res = await trainDiffusion(net, s, data, { epochs: 6, batchSize: 256, learningRate: 3e-3, rng: new Rng(4), showProgress: false });
    const h = res.history;
    expect(h[h.length - 1].terms.mse).toBeLessThan(0.8 * h[0].terms.mse);
    expect(h[h.length - 1].numTensors).toBe(h[0].numTensors);
    const after = energyDistance(ancestralSample(s, net, 500, new Rng(3)).samples, ref);
    expect(after).toBeLessThan(before / 3);
    const n0 = tf.memory().numTensors;
    net.predict(new Float64Array(20), 7);
    expect(tf.memory().numTensors).toBe(n0);
    net.dispose();
  }, 120_000);

  it("same seed, same network (two runs agree to the last bit)", async () => {
    const run = async () => {
      const net = new NoisePredictor({ dim: 2, T, hidden: [32] }, new Rng(5));
      await trainDiffusion(net, s, data.subarray(0, 512), { epochs: 1, batchSize: 128, rng: new Rng(6), showProgress: false });
      const out = net.predict(new Float64Array([0.5, -0.5, 2, 0]), 10);
      net.dispose();
      return Array.from(out);
    };
    expect(await run()).toEqual(await run());
  });

  it("the step embedding: sin/cos pairs on the unit circle, distinct for every t", () => {
    const e = stepEmbedding(T, 8);
    for (let t = 0; t <= T; t++) for (let k = 0; k < 8; k++) expect(Math.abs(e[t * 16 + k] ** 2 + e[t * 16 + 8 + k] ** 2 - 1)).toBeLessThan(1e-6);
    for (let t = 1; t <= T; t++) {
      let d = 0;
      for (let k = 0; k < 16; k++) d += (e[t * 16 + k] - e[(t - 1) * 16 + k]) ** 2;
      expect(d).toBeGreaterThan(1e-3);
    }
  });

  it("bad input: a network for another T, data of the wrong shape, unknown weighting", async () => {
    const net = new NoisePredictor({ dim: 2, T: 20, hidden: [8] }, new Rng(7));
    expect(() => new DiffusionTrainable(net, s)).toThrow(/conditioned on T = 20 steps but the schedule has T = 50/);
    const net50 = new NoisePredictor({ dim: 2, T, hidden: [8] }, new Rng(7));
    await expect(trainDiffusion(net50, s, new Float32Array(3), { epochs: 1 })).rejects.toThrow(/trainDiffusion: data must be .*multiple of 2/);
    expect(() => new DiffusionTrainable(net50, s, "vlb" as never)).toThrow(/weighting must be one of "simple", "elbo"/);
    expect(() => new NoisePredictor({ dim: 2, T, hidden: [] }, new Rng(1))).toThrow(/config.hidden must be a non-empty array/);
    expect(() => net50.predict(new Float64Array(2), 0)).toThrow(/t must be an integer step in \[1, 50\]/);
    net.dispose();
    net50.dispose();
  });
});
