/**
 * The generator's normalisations and the discriminator's minibatch standard deviation:
 * batch norm trains on batch statistics and samples with population statistics (each row then
 * depends only on its own z, and the population statistics normalise fresh draws to mean 0,
 * variance 1 within their Monte Carlo error); pixel norm makes a hidden layer scale-invariant;
 * the DCGAN discriminator's output depends on its batch's spread; checkpoints keep the statistics.
 */
import { beforeAll, describe, expect, it } from "vitest";
import * as os from "os";
import * as path from "path";
import * as fs from "fs";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../../src/runtime/backend";
import { Rng } from "../../../src/runtime/rng";
import { Gan } from "../../../src/models/gan/networks";
import { trainGan } from "../../../src/models/gan/trainable";
import { loadGan, saveGan } from "../../../src/models/gan/recipes";

beforeAll(async () => {
  await initBackend();
});

const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let w = 0;
  for (let i = 0; i < a.length; i++) w = Math.max(w, Math.abs(a[i] - b[i]));
  return w;
};

describe("generator batch norm", () => {
  const mlp = { architecture: "mlp" as const, dataDim: 784, latentDim: 8, generatorHidden: [16, 24], discriminatorHidden: [16], batchNorm: true };
  const dcgan = { architecture: "dcgan" as const, dataDim: 784, latentDim: 8, channels: [8, 4] as [number, number], batchNorm: true };

  for (const config of [mlp, dcgan]) {
    it(`${config.architecture}: population statistics normalise fresh z to mean 0, variance 1 (within 4 standard errors), and a sample depends only on its z`, async () => {
      const gan = new Gan(config, new Rng(0));
      // Move γ, β and the weights away from their initial values first.
      const x = new Float32Array(64 * 784).map((_, i) => ((i * 7919) % 13) / 13);
      await trainGan(gan, x, { epochs: 1, batchSize: 32, learningRate: 1e-2, rng: new Rng(1), showProgress: false });
      gan.updateGeneratorStatistics(new Rng(2), 4096);
      // Layer 0's pre-activation on 4,096 fresh draws, normalised by the stored statistics.
      const n = 4096;
      const z = tf.tensor2d(new Rng(3).normals(new Float32Array(n * 8)), [n, 8]);
      const g = gan as unknown as { forward(z: tf.Tensor2D, mode: string, stopAt?: number): tf.Tensor };
      for (const layer of [0, 1]) {
        const a = g.forward(z, "sample", layer);
        const width = a.shape[a.rank - 1]!;
        const flat = tf.reshape(a, [-1, width]);
        const mean = gan.ps.get(`stats/bn${layer}/mean`);
        const variance = gan.ps.get(`stats/bn${layer}/variance`);
        const u = tf.div(tf.sub(flat, mean), tf.sqrt(variance));
        const m = tf.moments(u, 0);
        const mu = m.mean.dataSync();
        const v = m.variance.dataSync();
        // For the DCGAN the positions of one image are correlated: the standard error is taken over
        // images (per-image means), an upper bound for the pooled one.
        const perImage = tf.mean(tf.reshape(u, [n, -1, width]), 1);
        const seMean = Array.from(tf.moments(perImage, 0).variance.dataSync(), (s) => Math.sqrt(s / n));
        for (let k = 0; k < width; k++) {
          expect(Math.abs(mu[k])).toBeLessThan(4 * seMean[k] + 1e-6);
          // Var of the sample variance ≈ (κ₄ − 1)/n' with κ₄ ≤ 10 here; n' ≥ n draws.
          expect(Math.abs(v[k] - 1)).toBeLessThan(4 * Math.sqrt(10 / n));
        }
        tf.dispose([a, flat, u, m.mean, m.variance, perImage]);
      }
      z.dispose();
      // Sampling: one row alone and the same row inside a batch give the same image.
      const zs = new Rng(4).normals(new Float32Array(5 * 8));
      const batch = gan.generateFrom(zs);
      const alone = gan.generateFrom(zs.subarray(2 * 8, 3 * 8));
      expect(maxAbsDiff(alone, batch.subarray(2 * 784, 3 * 784))).toBeLessThan(1e-5);
      // Training mode uses the batch's statistics: a row's image then depends on the batch, and
      // for a large batch it is close to the population-statistics image.
      const big = new Rng(5).normals(new Float32Array(2048 * 8));
      const zt = tf.tensor2d(big, [2048, 8]);
      const train = gan.generate(zt, "train");
      const sample = gan.generate(zt, "sample");
      const gap = tf.mean(tf.abs(tf.sub(train, sample))).dataSync()[0];
      const spread = tf.mean(tf.abs(tf.sub(sample, tf.mean(sample, 0)))).dataSync()[0];
      expect(gap).toBeLessThan(0.1 * spread);
      const small = gan.generate(tf.slice(zt, [0, 0], [3, 8]), "train");
      expect(maxAbsDiff(small.dataSync(), train.dataSync().subarray(0, 3 * 784))).toBeGreaterThan(1e-3);
      tf.dispose([zt, train, sample, small]);
      gan.dispose();
    }, 60_000);
  }

  it("keeps its trainable parameters apart from the statistics, and checkpoints both", async () => {
    const gan = new Gan(mlp, new Rng(0));
    const gv = gan.generatorVariables().map((v) => v.name);
    expect(gv.some((n) => n.includes("bn0/gamma"))).toBe(true);
    expect(gv.some((n) => n.includes("stats/"))).toBe(false);
    expect(gan.discriminatorVariables().some((v) => v.name.includes("stats/"))).toBe(false);
    const x = new Float32Array(32 * 784).map((_, i) => (i % 5) / 5);
    await trainGan(gan, x, { epochs: 1, batchSize: 16, learningRate: 1e-2, rng: new Rng(1), showProgress: false });
    // The training loop set the statistics after the epoch (they are no longer μ = 0, σ² = 1).
    expect(Array.from(gan.ps.get("stats/bn0/variance").dataSync()).some((v) => Math.abs(v - 1) > 1e-3)).toBe(true);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "gan-bn-"));
    await saveGan(gan, dir, {}, { seed: 0 });
    const { gan: back } = await loadGan(dir);
    expect(Array.from(back.sample(4, new Rng(9)))).toEqual(Array.from(gan.sample(4, new Rng(9))));
    gan.dispose();
    back.dispose();
  }, 60_000);

  it("says what is wrong with bad input", () => {
    expect(() => new Gan({ ...mlp, batchNorm: "yes" as never })).toThrow(/batchNorm must be true or false/);
    const gan = new Gan(mlp, new Rng(0));
    expect(() => gan.generate(tf.zeros([2, 8]) as tf.Tensor2D, "eval" as never)).toThrow(/"train" or "sample"/);
    expect(() => gan.updateGeneratorStatistics(new Rng(0), 1)).toThrow(/≥ 2/);
    gan.dispose();
  });
});

describe("pixel norm and minibatch standard deviation", () => {
  it("pixel norm: scaling the first generator layer by c > 0 leaves G(z) unchanged (and changes it without pixel norm)", () => {
    for (const pixelNorm of [true, false]) {
      for (const architecture of ["mlp", "dcgan"] as const) {
        const gan = new Gan({ architecture, dataDim: 784, latentDim: 8, generatorHidden: [16, 16], channels: [8, 4], pixelNorm }, new Rng(0));
        const z = new Rng(1).normals(new Float32Array(4 * 8));
        const before = gan.generateFrom(z);
        for (const k of ["g/h0/kernel", "g/h0/bias"]) {
          const v = gan.ps.get(k);
          v.assign(tf.mul(v, 3.7));
        }
        const after = gan.generateFrom(z);
        if (pixelNorm) expect(maxAbsDiff(before, after)).toBeLessThan(1e-5);
        else expect(maxAbsDiff(before, after)).toBeGreaterThan(1e-3);
        gan.dispose();
      }
    }
  });

  it("minibatch std: the DCGAN discriminator scores a row differently in a batch of copies than in a varied batch", () => {
    const gan = new Gan({ architecture: "dcgan", dataDim: 784, latentDim: 8, channels: [8, 4], minibatchStd: true }, new Rng(0));
    const r = new Rng(1);
    const varied = r.uniforms(new Float32Array(6 * 784));
    const copies = new Float32Array(6 * 784);
    for (let i = 0; i < 6; i++) copies.set(varied.subarray(0, 784), i * 784);
    const lv = tf.tidy(() => gan.discriminate(tf.tensor2d(varied, [6, 784])).dataSync());
    const lc = tf.tidy(() => gan.discriminate(tf.tensor2d(copies, [6, 784])).dataSync());
    // Same image, same logit within the batch of copies; a different logit than in the varied batch.
    expect(maxAbsDiff(lc, new Float32Array(6).fill(lc[0]))).toBeLessThan(1e-5);
    expect(Math.abs(lc[0] - lv[0])).toBeGreaterThan(1e-4);
    // Without the feature the logit of a row does not depend on its batch.
    const plain = new Gan({ architecture: "dcgan", dataDim: 784, latentDim: 8, channels: [8, 4] }, new Rng(0));
    const pv = tf.tidy(() => plain.discriminate(tf.tensor2d(varied, [6, 784])).dataSync());
    const pc = tf.tidy(() => plain.discriminate(tf.tensor2d(copies, [6, 784])).dataSync());
    expect(Math.abs(pc[0] - pv[0])).toBeLessThan(1e-5);
    gan.dispose();
    plain.dispose();
  });
});
