/**
 * The shared training loop `fit`: it minimises what the model says (least squares reaches
 * the normal-equations solution), updates each phase's variables only with its own loss,
 * stops before a diverging update, aborts between steps, validates its inputs, does not leak
 * tensors, and gives the VAE exactly the losses of the loop it replaced.
 */
import { beforeAll, describe, expect, it } from "vitest";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../src/runtime/backend";
import { Rng } from "../../src/runtime/rng";
import { AbortError } from "../../src/runtime/abort";
import { loadEmbeddedMnist } from "../../src/data/mnist";
import { binarizeDynamic } from "../../src/data/binarize";
import { createVae } from "../../src/models/vae";
import { vaeLoss, vaeTerms } from "../../src/models/objective";
import { trainVae } from "../../src/models/train";
import { DivergenceError, fit, fitHistory, FitOptionsError, MIN_ROWS_PER_THREAD, resolveThreads, Trainable } from "../../src/train/loop";
import { cholesky, choleskySolve } from "../../src/math/linalg";

beforeAll(async () => {
  await initBackend();
});

/** y = X w + b + noise, rows [x1, x2, x3, y]. */
function regressionData(n: number, r: Rng) {
  const w = [1.5, -2, 0.5];
  const b = 0.3;
  const x = new Float32Array(n * 4);
  for (let i = 0; i < n; i++) {
    let y = b;
    for (let j = 0; j < 3; j++) {
      const v = r.normal();
      x[i * 4 + j] = v;
      y += w[j] * v;
    }
    x[i * 4 + 3] = y + 0.1 * r.normal();
  }
  return x;
}

/** Least squares with intercept via the normal equations (float64). */
function leastSquares(rows: Float32Array): number[] {
  const n = rows.length / 4;
  const A = new Float64Array(16);
  const c = new Array(4).fill(0);
  for (let i = 0; i < n; i++) {
    const f = [rows[i * 4], rows[i * 4 + 1], rows[i * 4 + 2], 1];
    for (let a = 0; a < 4; a++) {
      c[a] += f[a] * rows[i * 4 + 3];
      for (let bb = 0; bb < 4; bb++) A[a * 4 + bb] += f[a] * f[bb];
    }
  }
  return Array.from(choleskySolve(cholesky(A), c));
}

function linearModel(): Trainable & { w: tf.Variable; b: tf.Variable } {
  const w = tf.variable(tf.zeros([3, 1]), true, "lin/w");
  const b = tf.variable(tf.zeros([1]), true, "lin/b");
  return {
    name: "linear regression",
    rowSize: 4,
    w,
    b,
    prepareBatch(rows) {
      const t = tf.tensor2d(rows.x as Float32Array, [rows.size, 4]);
      return { x: tf.slice(t, [0, 0], [rows.size, 3]), y: tf.slice(t, [0, 3], [rows.size, 1]) };
    },
    phases: () => [
      {
        name: "model",
        variables: () => [w, b],
        loss(inputs) {
          const pred = tf.add(tf.matMul(inputs.x as tf.Tensor2D, w as unknown as tf.Tensor2D), b);
          const mse = tf.mean(tf.square(tf.sub(pred, inputs.y))) as tf.Scalar;
          return { loss: mse, terms: { mae: tf.mean(tf.abs(tf.sub(pred, inputs.y))) as tf.Scalar } };
        },
      },
    ],
  };
}

describe("fit", () => {
  it("minimises the model's loss: least squares reaches the normal-equations solution", async () => {
    const data = regressionData(512, new Rng(1));
    const exact = leastSquares(data);
    const m = linearModel();
    const res = await fit(m, { x: data, rowSize: 4 }, { epochs: 60, batchSize: 64, learningRate: 0.05, rng: new Rng(2), showProgress: false });
    const got = [...m.w.dataSync(), ...m.b.dataSync()];
    // Adam with a constant step keeps jittering around the optimum by about lr·(gradient noise);
    // 0.02 is far below the coefficients' separation (0.3 … 2) yet well above that jitter.
    for (let j = 0; j < 4; j++) expect(Math.abs(got[j] - exact[j])).toBeLessThan(0.02);
    expect(res.history.length).toBe(60);
    expect(res.steps).toBe(60 * 8);
    // The epoch's loss is the example-weighted mean of the batch losses, and it falls.
    expect(res.history[59].terms.loss).toBeLessThan(res.history[0].terms.loss / 10);
    expect(res.history[59].terms.mae).toBeGreaterThan(0);
    expect(fitHistory(m).length).toBe(60);
    tf.dispose([m.w, m.b]);
  });

  it("the same seed gives the same run; labels travel with their rows", async () => {
    const data = regressionData(100, new Rng(3));
    const labels = new Int32Array(100).map((_, i) => i);
    const runs: number[][] = [];
    for (let k = 0; k < 2; k++) {
      const m = linearModel();
      const seenRows: number[] = [];
      const checking: Trainable = {
        ...m,
        prepareBatch(rows, ctx) {
          // Every label must be the index of the row it came with.
          for (let i = 0; i < rows.size; i++) {
            const row = labels[rows.labels![i]];
            expect(rows.x[i * 4]).toBe(data[row * 4]);
            seenRows.push(row);
          }
          return m.prepareBatch(rows, ctx);
        },
      };
      const res = await fit(checking, { x: data, rowSize: 4, labels }, { epochs: 3, batchSize: 32, rng: new Rng(4), showProgress: false });
      // Each epoch visits every row exactly once.
      expect([...seenRows.slice(0, 100)].sort((a, b) => a - b)).toEqual([...labels]);
      runs.push([...res.history.map((h) => h.terms.loss), ...m.w.dataSync()]);
      tf.dispose([m.w, m.b]);
    }
    expect(runs[0]).toEqual(runs[1]);
  });

  it("updates each phase's variables only with its own loss, in order (two-player models)", async () => {
    const a = tf.variable(tf.scalar(0), true, "p/a");
    const b = tf.variable(tf.scalar(0), true, "p/b");
    const seenA: number[] = [];
    const model: Trainable = {
      name: "two phases",
      prepareBatch: (rows) => ({ x: tf.tensor1d(rows.x as Float32Array) }),
      phases: () => [
        // Phase 1 pulls a towards 3; phase 2 pulls b towards a (read after phase 1's update).
        { name: "first", variables: () => [a], loss: () => ({ loss: tf.square(tf.sub(a, 3)) as tf.Scalar, terms: { a: tf.clone(a) as tf.Scalar } }), optimizer: (lr) => tf.train.sgd(lr) },
        { name: "second", variables: () => [b], loss: () => ({ loss: tf.square(tf.sub(b, a)) as tf.Scalar }), optimizer: (lr) => tf.train.sgd(lr) },
      ],
      afterStep: () => {
        seenA.push(a.dataSync()[0]);
      },
    };
    const res = await fit(model, { x: new Float32Array(4), rowSize: 1 }, { epochs: 1, batchSize: 1, learningRate: 0.25, rng: new Rng(5), showProgress: false });
    // SGD on (a − 3)²: a_{t+1} = a_t − 0.25·2(a_t − 3) = a_t/2 + 1.5; b follows a after it moved.
    let ea = 0;
    let eb = 0;
    for (let t = 0; t < 4; t++) {
      ea = ea / 2 + 1.5;
      eb = eb - 0.25 * 2 * (eb - ea);
      expect(seenA[t]).toBeCloseTo(ea, 6);
    }
    expect(a.dataSync()[0]).toBeCloseTo(ea, 6);
    expect(b.dataSync()[0]).toBeCloseTo(eb, 6);
    expect(Object.keys(res.history[0].terms).sort()).toEqual(["a", "first.loss", "second.loss"]);
    tf.dispose([a, b]);
  });

  it("stops before a diverging update, naming epoch, batch, phase and term", async () => {
    const m = linearModel();
    const data = regressionData(64, new Rng(6));
    data[5 * 4 + 3] = NaN; // one bad target
    const err = await fit(m, { x: data, rowSize: 4 }, { epochs: 1, batchSize: 64, rng: new Rng(7), showProgress: false }).catch((e) => e);
    expect(err).toBeInstanceOf(DivergenceError);
    expect(String(err.message)).toMatch(/epoch 1, batch 1 \(step 1\): mae is NaN/);
    expect(Array.from(m.w.dataSync())).toEqual([0, 0, 0]); // not updated
    tf.dispose([m.w, m.b]);
  });

  it("stops between steps on abort, keeping the last completed step", async () => {
    const m = linearModel();
    const ac = new AbortController();
    const data = regressionData(256, new Rng(8));
    let steps = 0;
    const counted: Trainable = {
      ...m,
      prepareBatch(rows, ctx) {
        if (++steps === 3) ac.abort();
        return m.prepareBatch(rows, ctx);
      },
    };
    const err = await fit(counted, { x: data, rowSize: 4 }, { epochs: 2, batchSize: 32, rng: new Rng(9), signal: ac.signal, showProgress: false }).catch((e) => e);
    expect(err).toBeInstanceOf(AbortError);
    expect(String(err.message)).toMatch(/epoch 1, batch 4 of 8/);
    expect(steps).toBe(3); // the third step finished; the fourth never started
    tf.dispose([m.w, m.b]);
  });

  it("rejects bad options and data with errors that say what to pass", async () => {
    const m = linearModel();
    const data = { x: regressionData(10, new Rng(10)), rowSize: 4 };
    const bad = async (o: object, d: object = data) => (await fit(m, d as never, o as never).catch((e) => e)) as Error;
    for (const [opts, re] of [
      [{ epochs: -1 }, /epochs must be a non-negative integer/],
      [{ epochs: 1.5 }, /epochs must be a non-negative integer/],
      [{ epochs: 1, learningRate: -1e-3 }, /learningRate must be a finite number > 0/],
      [{ epochs: 1, learningRate: NaN }, /learningRate must be a finite number > 0/],
      [{ epochs: 1, batchSize: 0 }, /batchSize must be a positive integer/],
      [{ epochs: 1, batchSize: "64" }, /batchSize must be a positive integer/],
      [{ epochs: 1, learningrate: 1e-3 }, /unknown option "learningrate". Did you mean "learningRate"\?/],
      [{ epochs: 1, threads: 0 }, /threads must be a positive integer or "auto"/],
      [{ epochs: 1, threads: 1.5 }, /threads must be a positive integer or "auto"/],
      [{ epochs: 1, threads: "two" }, /threads must be a positive integer or "auto".*got "two"/],
    ] as [object, RegExp][]) {
      const e = await bad(opts);
      expect(e).toBeInstanceOf(FitOptionsError);
      expect(e.message).toMatch(re);
    }
    expect((await bad({ epochs: 1 }, { x: new Float32Array(10 * 3), rowSize: 3 })).message).toMatch(/expects rows of 4 numbers but the data has rows of 3/);
    expect((await bad({ epochs: 1 }, { x: new Float32Array(10), rowSize: 4 })).message).toMatch(/not a positive multiple of rowSize/);
    expect((await bad({ epochs: 1 }, { x: [1, 2, 3, 4], rowSize: 4 })).message).toMatch(/Float32Array or an Int32Array/);
    expect((await bad({ epochs: 1 }, { ...data, labels: new Int32Array(3) })).message).toMatch(/one label per row \(10\)/);
    tf.dispose([m.w, m.b]);
  });

  it('threads: "auto" is the cores for a model with a replica, one thread per 32 rows at most, else 1', async () => {
    const m = linearModel();
    const withReplica: Trainable = { ...m, phases: m.phases, prepareBatch: m.prepareBatch, replica: () => ({ module: "x", factory: "y", args: [] }) };
    expect(MIN_ROWS_PER_THREAD).toBe(32);
    expect(resolveThreads(m, undefined, 128, 8)).toBe(1); // the default
    expect(resolveThreads(m, 3, 128, 8)).toBe(3); // a number is taken as given
    expect(resolveThreads(m, "auto", 128, 8)).toBe(1); // no replica: cannot be split
    expect(resolveThreads(withReplica, "auto", 128, 2)).toBe(2); // the cores
    expect(resolveThreads(withReplica, "auto", 128, 8)).toBe(4); // 128 rows: at most 4 shards of 32
    expect(resolveThreads(withReplica, "auto", 63, 8)).toBe(1); // < 2 × 32 rows: one thread
    expect(resolveThreads(withReplica, "auto", 64, 8)).toBe(2);
    expect(resolveThreads(withReplica, "auto", 128, 1)).toBe(1); // one core
    tf.dispose([m.w, m.b]);
    // fit with "auto" on a model without a replica trains on one thread, like the default, with the same numbers
    const data = { x: regressionData(64, new Rng(20)), rowSize: 4 };
    const runs: number[][] = [];
    for (const threads of [undefined, "auto"] as const) {
      const lm = linearModel();
      const res = await fit(lm, data, { epochs: 2, batchSize: 32, rng: new Rng(21), showProgress: false, threads });
      runs.push([...res.history.map((h) => h.terms.loss), ...lm.w.dataSync()]);
      tf.dispose([lm.w, lm.b]);
    }
    expect(runs[1]).toEqual(runs[0]);
  });

  it("does not leak tensors across epochs", async () => {
    const m = linearModel();
    const data = regressionData(128, new Rng(11));
    const res = await fit(m, { x: data, rowSize: 4 }, { epochs: 4, batchSize: 32, rng: new Rng(12), showProgress: false });
    const counts = res.history.map((h) => h.numTensors);
    expect(new Set(counts).size).toBe(1);
    tf.dispose([m.w, m.b]);
  });
});

describe("trainVae on fit", () => {
  it("gives exactly the losses of the loop it replaced (same seed): a direct transcription of that loop", async () => {
    const ds = loadEmbeddedMnist();
    const images = ds.images.subarray(0, 200 * 784);
    const cfg = { hidden: [32], latentDim: 3 };
    const B = 64;
    const warm = 2;
    const lr = 2e-3;
    // The loop before `fit`: one permutation per epoch, binarize, ε, variableGrads, Adam.
    const ref = createVae(cfg, new Rng(3));
    const r = new Rng(5);
    const opt = tf.train.adam(lr);
    const vars = [...ref.params.values()];
    const want: number[][] = [];
    const n = 200;
    for (let epoch = 1; epoch <= 2; epoch++) {
      const perm = r.permutation(n);
      let sl = 0;
      let sr = 0;
      let sk = 0;
      const nb = Math.ceil(n / B);
      for (let b = 0; b < nb; b++) {
        const m = Math.min(B, n - b * B);
        const x = new Float32Array(m * 784);
        for (let i = 0; i < m; i++) x.set(images.subarray(perm[b * B + i] * 784, (perm[b * B + i] + 1) * 784), i * 784);
        const xb = binarizeDynamic(x, r);
        const beta = Math.min(1, (epoch - 1 + b / nb) / warm);
        const eps = r.normals(new Float32Array(m * 3));
        let terms: tf.Tensor | null = null;
        const { grads, value } = tf.tidy(() => {
          const g = tf.variableGrads(() => {
            const t = vaeTerms(ref, tf.tensor2d(xb, [m, 784]), tf.tensor2d(eps, [m, 3]), 1, "analytic");
            terms = tf.keep(tf.stack([tf.neg(tf.mean(t.recon)), tf.mean(t.kl)]));
            return vaeLoss(t, beta, 0);
          }, vars);
          return { grads: g.grads, value: tf.reshape(g.value, [1]) };
        });
        const [loss] = value.dataSync();
        const [rec, kl] = (terms as unknown as tf.Tensor).dataSync();
        tf.dispose([value, terms as unknown as tf.Tensor]);
        opt.applyGradients(grads as never);
        tf.dispose(grads);
        sl += loss * m;
        sr += rec * m;
        sk += kl * m;
      }
      want.push([sl / n, sr / n, sk / n]);
    }
    opt.dispose();
    const model = createVae(cfg, new Rng(3));
    const got = (await trainVae(model, images, { epochs: 2, batchSize: B, learningRate: lr, klWarmupEpochs: warm, rng: new Rng(5), showProgress: false })).history;
    expect(got.map((h) => [h.loss, h.reconstruction, h.kl])).toEqual(want);
    const wRef = ref.weights();
    const wGot = model.weights();
    for (const k of Object.keys(wRef)) expect(Array.from(wGot[k].dataSync())).toEqual(Array.from(wRef[k].dataSync()));
    tf.dispose([...Object.values(wRef), ...Object.values(wGot)]);
    ref.dispose();
    model.dispose();
  }, 60_000);

  it("with 2 threads gives the one-thread losses and weights up to float summation order", async () => {
    const images = loadEmbeddedMnist().images.subarray(0, 256 * 784);
    const cfg = { hidden: [32], latentDim: 3 };
    const runs: { losses: number[]; w: number[] }[] = [];
    const warnings: string[] = [];
    const warn = console.warn;
    console.warn = (...a: unknown[]) => void warnings.push(a.join(" "));
    for (const threads of [1, 2]) {
      const model = createVae(cfg, new Rng(3));
      const h = (await trainVae(model, images, { epochs: 2, batchSize: 64, rng: new Rng(5), showProgress: false, threads })).history;
      const w = model.weights();
      runs.push({ losses: h.map((e) => [e.loss, e.reconstruction, e.kl]).flat(), w: Array.from(w["dec/out/bias"].dataSync()) });
      tf.dispose(Object.values(w));
      model.dispose();
    }
    console.warn = warn;
    // The workers really ran: DataParallel warns whenever it falls back to one thread.
    expect(warnings).toEqual([]);
    // float32 sums in another order: relative differences of a few ulps per step, compounded
    // over 8 Adam steps; 1e-4 is far below what a wrong shard weighting would give (≥ 1e-2).
    runs[1].losses.forEach((v, i) => expect(Math.abs(v - runs[0].losses[i]) / Math.abs(runs[0].losses[i])).toBeLessThan(1e-4));
    runs[1].w.forEach((v, i) => expect(Math.abs(v - runs[0].w[i])).toBeLessThan(1e-3));
  }, 180_000);

  it("refuses data of another image size instead of training on scrambled rows", async () => {
    const model = createVae({ hidden: [8], latentDim: 2 }, new Rng(1));
    await expect(trainVae(model, new Float32Array(14 * 14 * 3), { epochs: 1, showProgress: false })).rejects.toThrow(/not a positive multiple of D = 784/);
    // 4 images of 14×14 are 784 numbers: only the dataset's own size can tell them apart.
    await expect(trainVae(model, { images: new Float32Array(14 * 14 * 4), height: 14, width: 14 }, { epochs: 1, showProgress: false })).rejects.toThrow(
      /14×14 images but this model was built for 28×28/,
    );
    await expect(trainVae(model, new Float32Array(784 * 4), { epochs: 1, learningRate: -1, showProgress: false })).rejects.toThrow(/learningRate must be a finite number > 0/);
    await expect(trainVae(model, new Float32Array(784 * 4), { epochs: 1, samples: 0, showProgress: false })).rejects.toThrow(/samples must be a positive integer/);
    model.dispose();
  });
});
