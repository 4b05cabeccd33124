/**
 * GAN losses and training: the gradients the slide implies (on the logits), a brief 2-D GAN run
 * that moves the generator's samples towards the data, no tensor leak, seeded runs that repeat,
 * a checkpoint round trip, and a discriminator trained towards D*.
 */
import { beforeAll, describe, expect, it } from "vitest";
import * as os from "os";
import * as path from "path";
import * as fs from "fs";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../../src/runtime/backend";
import { Rng } from "../../../src/runtime/rng";
import { discriminatorLoss, generatorLossNonSaturating, generatorLossSaturating } from "../../../src/models/gan/losses";
import { Gan } from "../../../src/models/gan/networks";
import { GanTrainable, trainDiscriminator, trainGan } from "../../../src/models/gan/trainable";
import { loadGan, saveGan } from "../../../src/models/gan/recipes";
import { sampleRing } from "../../../src/models/gan/mixture";
import { generatorLogitGradient, normalPdf, optimalDiscriminator } from "../../../src/models/gan/theory";
import { frechetDistance } from "../../../src/models/quality/frechet";

beforeAll(async () => {
  await initBackend();
});

const sigmoid = (l: number) => 1 / (1 + Math.exp(-l));

describe("the losses on the slide", () => {
  const logits = [-9.2, -3, -0.5, 0, 0.7, 2.5];
  const m = logits.length;

  it("have the slide's values: log(1 − D), −log D, −[log D(x) + log(1 − D(G(z)))]", () => {
    const l = tf.tensor1d(logits);
    const D = logits.map(sigmoid);
    const mean = (f: (d: number) => number) => D.reduce((s, d) => s + f(d), 0) / m;
    expect(generatorLossSaturating(l).dataSync()[0]).toBeCloseTo(mean((d) => Math.log(1 - d)), 5);
    expect(generatorLossNonSaturating(l).dataSync()[0]).toBeCloseTo(mean((d) => -Math.log(d)), 5);
    const real = tf.tensor1d([1, 2, -0.3]);
    const Dr = [1, 2, -0.3].map(sigmoid);
    const want = -Dr.reduce((s, d) => s + Math.log(d), 0) / 3 - D.reduce((s, d) => s + Math.log(1 - d), 0) / m;
    expect(discriminatorLoss(real, l).dataSync()[0]).toBeCloseTo(want, 5);
    // One-sided label smoothing: real target c = 0.9.
    const smoothed = -Dr.reduce((s, d) => s + 0.9 * Math.log(d) + 0.1 * Math.log(1 - d), 0) / 3 - D.reduce((s, d) => s + Math.log(1 - d), 0) / m;
    expect(discriminatorLoss(real, l, 0.9).dataSync()[0]).toBeCloseTo(smoothed, 5);
    expect(() => discriminatorLoss(real, l, 0.2)).toThrow(/realLabel/);
    tf.dispose([l, real]);
  });

  it("give the gradients the slide implies: ∂/∂ℓ = −D/m (saturating), −(1 − D)/m (non-saturating)", () => {
    const l = tf.tensor1d(logits);
    const gs = tf.grad((t: tf.Tensor) => generatorLossSaturating(t))(l).dataSync();
    const gn = tf.grad((t: tf.Tensor) => generatorLossNonSaturating(t))(l).dataSync();
    logits.forEach((li, i) => {
      const d = sigmoid(li);
      expect(Math.abs(gs[i] - generatorLogitGradient("saturating", d) / m)).toBeLessThan(1e-6);
      expect(Math.abs(gn[i] - generatorLogitGradient("non-saturating", d) / m)).toBeLessThan(1e-6);
    });
    // When D is confident a sample is fake (ℓ = −9.2, D ≈ 1e-4) the saturating gradient vanishes.
    expect(Math.abs(gs[0])).toBeLessThan(1e-4 / m * 1.1);
    expect(Math.abs(gn[0])).toBeGreaterThan(0.99 / m);
    // The discriminator's gradient: ∂L_D/∂ℓ_real = −(1 − D)/m_r, ∂L_D/∂ℓ_fake = D/m_f.
    const real = tf.tensor1d([1, -2]);
    const [gr, gf] = tf.grads((a: tf.Tensor, b: tf.Tensor) => discriminatorLoss(a, b))([real, l]).map((t) => t.dataSync());
    expect(Math.abs(gr[0] + (1 - sigmoid(1)) / 2)).toBeLessThan(1e-6);
    expect(Math.abs(gf[3] - sigmoid(0) / m)).toBeLessThan(1e-6);
    tf.dispose([l, real]);
  });
});

describe("training a GAN on the eight-Gaussian ring", () => {
  const config = { architecture: "mlp" as const, dataDim: 2, latentDim: 8, generatorHidden: [128, 128], discriminatorHidden: [128, 128], output: "linear" as const };

  it("moves the samples towards the data (Fréchet distance falls), without leaking tensors, repeatably", async () => {
    const data = sampleRing(4000, new Rng(1)).points;
    const ref = sampleRing(2000, new Rng(2)).points;
    const run = async (epochs: number, n: number) => {
      const gan = new Gan(config, new Rng(3));
      const before = frechetDistance(gan.sample(2000, new Rng(5)), ref, 2);
      const t0 = tf.memory().numTensors;
      const res = await trainGan(gan, data.subarray(0, 2 * n), { epochs, batchSize: 64, learningRate: 1e-3, rng: new Rng(4), showProgress: false });
      // The loop's leak detector: the same tensor count after every epoch, and nothing left after fit.
      expect(new Set(res.history.map((h) => h.numTensors)).size).toBe(1);
      expect(tf.memory().numTensors).toBe(t0);
      const s = gan.sample(2000, new Rng(5));
      const out = { before, after: frechetDistance(s, ref, 2), s };
      gan.dispose();
      return out;
    };
    const a = await run(6, 4000);
    console.log(`2-D GAN, 6 epochs: Fréchet distance ${a.before.toFixed(3)} → ${a.after.toFixed(3)}`);
    expect(a.after).toBeLessThan(0.5 * a.before);
    // Same seed, same samples.
    const b1 = await run(1, 640);
    const b2 = await run(1, 640);
    expect(Array.from(b2.s)).toEqual(Array.from(b1.s));
  }, 120_000);

  it("updates only the discriminator in phase 1 and only the generator in phase 2", async () => {
    const gan = new Gan(config, new Rng(7));
    const t = new GanTrainable(gan, { generatorLoss: "saturating" });
    const [pd, pg] = t.phases();
    const dv = pd.variables();
    const gv = pg.variables();
    expect(dv.length + gv.length).toBe(gan.ps.params.size);
    expect(dv.every((v) => !gv.includes(v))).toBe(true);
    gan.dispose();
  });

  it("saves and loads bit-exactly, and the DCGAN trains a step on 28×28 images", async () => {
    const gan = new Gan({ architecture: "dcgan", dataDim: 784, latentDim: 16, channels: [16, 8] }, new Rng(0));
    const x = new Float32Array(16 * 784).map((_, i) => (i % 7) / 7);
    await trainGan(gan, x, { epochs: 1, batchSize: 8, learningRate: 1e-3, rng: new Rng(1), showProgress: false });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "gan-"));
    await saveGan(gan, dir, { generatorLoss: "non-saturating" }, { seed: 0 });
    const { gan: back } = await loadGan(dir);
    expect(Array.from(back.sample(4, new Rng(9)))).toEqual(Array.from(gan.sample(4, new Rng(9))));
    const p = gan.sample(3, new Rng(2));
    expect(p.length).toBe(3 * 784);
    expect(p.every((v) => v >= 0 && v <= 1)).toBe(true);
    gan.dispose();
    back.dispose();
  }, 60_000);

  it("says what is wrong with bad input", () => {
    expect(() => new Gan({ architecture: "dcgan", dataDim: 2 })).toThrow(/28×28/);
    expect(() => new Gan({ pack: 0 })).toThrow(/pack/);
    const gan = new Gan(config, new Rng(0));
    expect(() => new GanTrainable(gan, { generatorLoss: "minimax" as never })).toThrow(/saturating/);
    expect(() => gan.sample(0, new Rng(0))).toThrow(/positive integer/);
    gan.dispose();
  });
});

describe("a discriminator trained on fixed samples", () => {
  it("approaches D*(x) = p_data / (p_data + p_g) (1-D)", async () => {
    const r = new Rng(11);
    const n = 8000;
    const real = new Float32Array(n).map(() => r.normal());
    const fake = new Float32Array(n).map(() => 1.5 + r.normal());
    const gan = new Gan({ architecture: "mlp", dataDim: 1, latentDim: 1, generatorHidden: [4], discriminatorHidden: [32, 32], output: "linear" }, new Rng(12));
    await trainDiscriminator(gan, real, fake, { epochs: 8, batchSize: 128, learningRate: 3e-3, rng: new Rng(13), showProgress: false });
    const Dstar = optimalDiscriminator((x) => normalPdf(x, 0, 1), (x) => normalPdf(x, 1.5, 1));
    const xs = Float32Array.from({ length: 21 }, (_, i) => -1.5 + (4.5 * i) / 20);
    const d = gan.discriminatorProbabilities(xs);
    let worst = 0;
    xs.forEach((x, i) => (worst = Math.max(worst, Math.abs(d[i] - Dstar(x)))));
    expect(worst).toBeLessThan(0.06);
    gan.dispose();
  }, 60_000);
});
