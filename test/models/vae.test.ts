import { beforeAll, describe, expect, it } from "vitest";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../src/runtime/backend";
import { Rng } from "../../src/runtime/rng";
import { AbortError } from "../../src/runtime/abort";
import { loadEmbeddedMnist } from "../../src/data/mnist";
import { binarizeDynamic } from "../../src/data/binarize";
import { createVae, createAutoencoder, Vae } from "../../src/models/vae";
import { trainVae, DivergenceError } from "../../src/models/train";
import { evaluateVae, iwaeLogLikelihood, activeUnits, aggregatePosterior } from "../../src/models/evaluate";
import { saveVae, loadVae } from "../../src/models/checkpoint";
import { gridPosterior2d } from "../../src/mcmc/vaePosterior";

// A tiny set: 300 digits (30 per class), 14×14 would change D; keep 28×28 but small nets.
let train: Float32Array;
let test: Float32Array;
let model: Vae;
let history: Awaited<ReturnType<typeof trainVae>>["history"];
const small = { hidden: [64], latentDim: 4 };

beforeAll(async () => {
  await initBackend();
  const ds = loadEmbeddedMnist();
  const r = new Rng(11);
  const perm = r.permutation(ds.count);
  const pick = (from: number, n: number) => {
    const out = new Float32Array(n * 784);
    for (let i = 0; i < n; i++) out.set(ds.images.subarray(perm[from + i] * 784, perm[from + i] * 784 + 784), i * 784);
    return out;
  };
  train = pick(0, 400);
  test = binarizeDynamic(pick(400, 100), new Rng(12));
  model = createVae(small, new Rng(13));
  history = (await trainVae(model, train, { epochs: 6, batchSize: 32, learningRate: 3e-3, rng: new Rng(14), showProgress: false })).history;
}, 120_000);

describe("VAE training", () => {
  it("lowers its loss and reconstructs better than the mean image", () => {
    expect(history[history.length - 1].loss).toBeLessThan(history[0].loss - 30);
    // reconstruction term vs the best input-independent Bernoulli model (per-pixel mean)
    const D = 784;
    const n = test.length / D;
    const p = new Float64Array(D);
    for (let i = 0; i < n; i++) for (let j = 0; j < D; j++) p[j] += test[i * D + j] / n;
    let meanModelNll = 0;
    for (let i = 0; i < n; i++) for (let j = 0; j < D; j++) {
      const q = Math.min(Math.max(p[j], 1e-3), 1 - 1e-3);
      meanModelNll -= (test[i * D + j] ? Math.log(q) : Math.log(1 - q)) / n;
    }
    return evaluateVae(model, test, { rng: new Rng(1) }).then((ev) => {
      expect(ev.reconstruction).toBeLessThan(meanModelNll - 10);
      expect(ev.kl).toBeGreaterThan(0);
      expect(ev.elbo).toBeCloseTo(-(ev.reconstruction + ev.kl), 6);
    });
  });

  it("does not leak tensors across epochs", async () => {
    const counts = history.map((h) => h.numTensors);
    expect(new Set(counts).size).toBe(1);
    const before = tf.memory().numTensors;
    await trainVae(model, train.subarray(0, 64 * 784), { epochs: 2, batchSize: 32, rng: new Rng(2), showProgress: false });
    await evaluateVae(model, test, { rng: new Rng(3) });
    await iwaeLogLikelihood(model, test.subarray(0, 10 * 784), { k: 7, rng: new Rng(4) });
    expect(tf.memory().numTensors).toBe(before);
  });

  it("IWAE with k = 1 equals the single-sample ELBO for the same samples, and rises with k", async () => {
    const e = await evaluateVae(model, test, { rng: new Rng(5), klMode: "mc" });
    const i1 = await iwaeLogLikelihood(model, test, { k: 1, rng: new Rng(5), batchSize: 500 });
    for (let i = 0; i < 100; i++) expect(i1.perImage[i]).toBeCloseTo(e.perImage[i], 2);
    const i10 = await iwaeLogLikelihood(model, test, { k: 10, rng: new Rng(6) });
    const i100 = await iwaeLogLikelihood(model, test, { k: 100, rng: new Rng(7) });
    // paired per-image differences, each mean must be positive beyond 3 standard errors
    for (const [lo, hi] of [[i1, i10], [i10, i100]] as const) {
      const dlt = hi.perImage.map((v, i) => v - lo.perImage[i]);
      const m = dlt.reduce((a, b) => a + b, 0) / dlt.length;
      const sd = Math.sqrt(dlt.reduce((a, b) => a + (b - m) ** 2, 0) / (dlt.length - 1));
      expect(m).toBeGreaterThan(3 * (sd / Math.sqrt(dlt.length)));
    }
  });

  it("active units and aggregate posterior obey their definitions", () => {
    const au = activeUnits(model, test);
    const { mu, variance } = model.encodeGaussian(test);
    const n = 100;
    const d = 4;
    for (let j = 0; j < d; j++) {
      let m = 0;
      for (let i = 0; i < n; i++) m += mu[i * d + j] / n;
      let v = 0;
      for (let i = 0; i < n; i++) v += (mu[i * d + j] - m) ** 2 / (n - 1);
      expect(au.activity[j]).toBeCloseTo(v, 4);
      expect(au.active[j]).toBe(v > 0.01);
      // total variance of q(z) = Var(μ) + E[σ²] (population normalisation)
      const agg = aggregatePosterior(model, test);
      let ev = 0;
      for (let i = 0; i < n; i++) ev += variance[i * d + j] / n;
      expect(agg.covariance[j * d + j]).toBeCloseTo((v * (n - 1)) / n + ev, 4);
      expect(agg.gaussianKlToPrior).toBeGreaterThanOrEqual(0);
    }
  });

  it("save → load gives identical outputs", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "vae-ckpt-"));
    await saveVae(model, dir, { test: true });
    const { model: back, info } = await loadVae(dir);
    expect(info.provenance.test).toBe(true);
    const z = new Float32Array([0.1, -0.3, 1.2, 0.5, -1, 0, 0.2, 0.9]);
    expect(Array.from(back.decodeLatents(z))).toEqual(Array.from(model.decodeLatents(z)));
    expect(Array.from(back.encodeMeans(test.subarray(0, 784 * 3)))).toEqual(Array.from(model.encodeMeans(test.subarray(0, 784 * 3))));
    back.dispose();
    fs.rmSync(dir, { recursive: true });
  });

  it("stops on a NaN or Inf loss, naming the step and the term, without applying the update", async () => {
    const bad = createVae(small, new Rng(20));
    const bias = bad.params.get("dec/out/bias")!;
    bias.assign(tf.fill(bias.shape, NaN));
    await expect(trainVae(bad, train.subarray(0, 64 * 784), { epochs: 1, batchSize: 32, rng: new Rng(1), showProgress: false })).rejects.toThrow(
      /epoch 1, batch 1 \(step 1\): the reconstruction term/,
    );
    const bad2 = createVae(small, new Rng(21));
    const lv = bad2.params.get("enc/logvar/bias")!;
    lv.assign(tf.fill(lv.shape, 1e4));
    const err = await trainVae(bad2, train.subarray(0, 64 * 784), { epochs: 1, batchSize: 32, rng: new Rng(1), showProgress: false }).catch((e) => e);
    expect(err).toBeInstanceOf(DivergenceError);
    expect(String(err.message)).toMatch(/KL term|reconstruction term/);
    expect(lv.dataSync()[0]).toBe(1e4); // not updated
    bad.dispose();
    bad2.dispose();
  });

  it("stops on an abort signal and leaves the model usable", async () => {
    const ac = new AbortController();
    ac.abort();
    const m = createAutoencoder(small, new Rng(30));
    await expect(trainVae(m, train, { epochs: 1, signal: ac.signal, rng: new Rng(1), showProgress: false })).rejects.toBeInstanceOf(AbortError);
    expect(m.reconstruct(test.subarray(0, 784)).length).toBe(784);
    m.dispose();
  });

  it("the autoencoder trains on reconstruction alone; bad configs explain themselves", async () => {
    const ae = createAutoencoder(small, new Rng(31));
    const h = (await trainVae(ae, train, { epochs: 3, batchSize: 32, learningRate: 3e-3, rng: new Rng(2), showProgress: false })).history;
    expect(h[2].kl).toBe(0);
    expect(h[2].loss).toBeLessThan(h[0].loss);
    ae.dispose();
    expect(() => createVae({ latentDim: 0 })).toThrow(/latentDim/);
    expect(() => createVae({ architecture: "conv", height: 30, width: 30 })).toThrow(/divisible by 4/);
    expect(() => model.decode(tf.zeros([2, 3]) as tf.Tensor2D)).toThrow(/expected a \[n, 4\] tensor/);
  });

  it("for a 2-D latent, quadrature log p(x) bounds the ELBO and the IWAE estimate converges to it", async () => {
    const m2 = createVae({ hidden: [32], latentDim: 2 }, new Rng(40));
    await trainVae(m2, train, { epochs: 2, batchSize: 32, learningRate: 3e-3, rng: new Rng(41), showProgress: false });
    const x = test.subarray(0, 784);
    const g = gridPosterior2d(m2, x, { x0: -6, x1: 6, y0: -6, y1: 6 }, 160);
    const elbo = (await evaluateVae(m2, x, { rng: new Rng(42), samples: 500 })).elbo;
    const iw = await iwaeLogLikelihood(m2, x, { k: 5000, rng: new Rng(43) });
    expect(elbo).toBeLessThan(g.logEvidence);
    expect(iw.logLikelihood).toBeLessThanOrEqual(g.logEvidence + 0.05);
    expect(iw.logLikelihood).toBeGreaterThan(g.logEvidence - 0.5);
    m2.dispose();
  });
});
