/**
 * Data-parallel gradients (src/train/parallel.ts) against the one-thread gradient.
 *
 * With uneven shards (7 rows → 4 + 3, 9 → 5 + 4) a wrong shard weighting (e.g. a plain mean of
 * the shard gradients, or a sum) is off by at least |4/7 − 1/2| = 1/14 of a shard's gradient,
 * while the one- and two-thread results differ only by float32 summation order: sums of at most
 * a few hundred products (|error| ≤ γ_m Σ|terms| ≈ m·2⁻²⁴ Σ|terms| ≤ 3·10⁻⁵ Σ|terms|), so 10⁻⁴ of
 * the largest gradient entry separates the two by orders of magnitude (the gradients here are
 * sums of terms of one sign per entry to within a small factor; measured differences are ~10⁻⁷).
 */
import { afterAll, describe, expect, it } from "vitest";
import * as path from "path";
import * as tf from "@tensorflow/tfjs";
import { initBackend, useBackend } from "../../src/runtime/backend";
import { Rng } from "../../src/runtime/rng";
import { DataParallel, shardSizes } from "../../src/train/parallel";
import { fit, type StepContext, type Trainable } from "../../src/train/loop";
import { makeConv, makeMlp, makeStateful } from "./parallelModels";
import { maxRelDiff } from "../kernels/helpers";

const open: DataParallel[] = [];
afterAll(() => open.forEach((d) => d.dispose()));

function ctx(step: number): StepContext {
  return { epoch: 1, batch: step, batchesPerEpoch: 10, step, rng: new Rng(0) };
}

function inputsFor(kind: "mlp" | "conv", n: number, seed: number): Record<string, tf.Tensor> {
  const r = new Rng(seed);
  if (kind === "mlp") {
    return { x: tf.tensor2d(r.normals(new Float32Array(n * 12)), [n, 12]), y: tf.tensor1d(Int32Array.from({ length: n }, () => r.int(3)), "int32") };
  }
  return { x: tf.tensor4d(r.normals(new Float32Array(n * 100)), [n, 10, 10, 1]), y: tf.tensor2d(r.normals(new Float32Array(n)), [n, 1]) };
}

function oneThread(model: Trainable, inputs: Record<string, tf.Tensor>, c: StepContext) {
  const phase = model.phases()[0];
  let terms: Record<string, tf.Scalar> = {};
  const g = tf.variableGrads(() => {
    const out = phase.loss(inputs, c);
    terms = Object.fromEntries(Object.entries(out.terms ?? {}).map(([k, v]) => [k, tf.keep(v)]));
    return out.loss;
  }, phase.variables());
  const t = Object.fromEntries(Object.entries(terms).map(([k, v]) => [k, v.dataSync()[0]]));
  tf.dispose(Object.values(terms));
  const loss = g.value.dataSync()[0];
  g.value.dispose();
  return { grads: g.grads, loss, terms: t };
}

async function setup(): Promise<void> {
  await initBackend();
  await useBackend("wasm");
}

describe("DataParallel", () => {
  it("splits a batch into contiguous shards differing by at most one row", () => {
    expect(shardSizes(7, 2)).toEqual([4, 3]);
    expect(shardSizes(128, 2)).toEqual([64, 64]);
    expect(shardSizes(10, 4)).toEqual([3, 3, 2, 2]);
  });

  for (const [kind, n] of [["mlp", 7], ["conv", 9]] as const) {
    it(`${kind}: two threads give the one-thread gradient, loss and terms up to float32 summation order`, async () => {
      await setup();
      const model = kind === "mlp" ? makeMlp(1) : makeConv(1);
      const warnings: string[] = [];
      const dp = await DataParallel.create(model, 2, { onWarning: (m) => warnings.push(m) });
      expect(warnings).toEqual([]);
      expect(dp).not.toBeNull();
      open.push(dp!);
      const inputs = inputsFor(kind, n, 5);
      const before = tf.memory().numTensors;
      const par = await dp!.gradients(0, inputs, ctx(0));
      const ref = oneThread(model, inputs, ctx(0));
      const names = model.phases()[0].variables().map((v) => v.name);
      expect(Object.keys(par.grads).sort()).toEqual([...names].sort());
      for (const k of names) {
        const a = par.grads[k].dataSync();
        const b = ref.grads[k].dataSync();
        expect(maxRelDiff(a, b)).toBeLessThan(1e-4);
        // a wrong weighting would be far off: the plain mean of the two shards' gradients.
      }
      expect(Math.abs(par.loss - ref.loss)).toBeLessThan(1e-5 * Math.abs(ref.loss) + 1e-6);
      expect(Object.keys(par.terms).sort()).toEqual(Object.keys(ref.terms).sort());
      for (const k of Object.keys(ref.terms)) expect(Math.abs(par.terms[k] - ref.terms[k])).toBeLessThan(1e-5 * Math.abs(ref.terms[k]) + 1e-6);
      tf.dispose([...Object.values(par.grads), ...Object.values(ref.grads)]);
      expect(tf.memory().numTensors).toBe(before);
      expect(dp!.active).toBe(true);
      tf.dispose(Object.values(inputs));
    });
  }

  it("trains like one thread over several Adam steps (the workers follow every update), deterministically", async () => {
    await setup();
    const run = async (threads: number) => {
      const model = makeConv(3);
      const dp = threads > 1 ? await DataParallel.create(model, threads) : null;
      if (threads > 1) expect(dp).not.toBeNull();
      const opt = tf.train.adam(1e-2);
      const losses: number[] = [];
      for (let s = 0; s < 4; s++) {
        const inputs = inputsFor("conv", 11, 100 + s);
        const g = dp ? await dp.gradients(0, inputs, ctx(s)) : oneThread(model, inputs, ctx(s));
        losses.push(g.loss);
        opt.applyGradients(g.grads as unknown as Parameters<typeof opt.applyGradients>[0]);
        tf.dispose([...Object.values(g.grads), ...Object.values(inputs)]);
      }
      const w = model.phases()[0].variables().map((v) => Float32Array.from(v.dataSync()));
      dp?.dispose();
      opt.dispose();
      return { losses, w };
    };
    const one = await run(1);
    const two = await run(2);
    const twoAgain = await run(2);
    for (let i = 0; i < one.w.length; i++) expect(maxRelDiff(two.w[i], one.w[i])).toBeLessThan(1e-4);
    for (let s = 0; s < 4; s++) expect(Math.abs(two.losses[s] - one.losses[s])).toBeLessThan(1e-4 * Math.abs(one.losses[s]));
    // the loss moved: the workers saw the updated weights (a stale replica would not match one thread)
    expect(one.losses[3]).not.toBe(one.losses[0]);
    // same seed, same thread count: bit for bit
    expect(twoAgain.losses).toEqual(two.losses);
    for (let i = 0; i < two.w.length; i++) expect(Array.from(twoAgain.w[i])).toEqual(Array.from(two.w[i]));
  });

  for (const behaviour of ["throw", "hang"] as const) {
    it(`a worker that ${behaviour === "throw" ? "throws" : "hangs"} mid-training: a warning, and the one-thread result`, async () => {
      await setup();
      const model = makeMlp(2);
      // The replica misbehaves, the main thread's model does not.
      (model as { replica?: () => { module: string; factory: string; args: unknown[] } }).replica = () => ({ module: path.join(__dirname, "parallelModels.ts"), factory: "makeMlp", args: [2, behaviour] });
      const warnings: string[] = [];
      const dp = await DataParallel.create(model, 2, { onWarning: (m) => warnings.push(m), minTimeoutMs: 1500 });
      expect(dp).not.toBeNull();
      open.push(dp!);
      const i0 = inputsFor("mlp", 8, 1);
      const g0 = await dp!.gradients(0, i0, ctx(0));
      expect(warnings).toEqual([]);
      const i1 = inputsFor("mlp", 8, 2);
      const g1 = await dp!.gradients(0, i1, ctx(1));
      expect(warnings.length).toBe(1);
      expect(warnings[0]).toMatch(behaviour === "throw" ? /fails on purpose/ : /no answer after/);
      expect(dp!.active).toBe(false);
      const ref = oneThread(model, i1, ctx(1));
      for (const k of Object.keys(ref.grads)) expect(Array.from(g1.grads[k].dataSync())).toEqual(Array.from(ref.grads[k].dataSync()));
      expect(g1.loss).toBe(ref.loss);
      tf.dispose([...Object.values(g0.grads), ...Object.values(g1.grads), ...Object.values(ref.grads), ...Object.values(i0), ...Object.values(i1)]);
    });
  }

  it("fit reports the threads its last step ran on: 1 after a worker failed and it fell back", async () => {
    await setup();
    const model = makeMlp(2);
    (model as { replica?: () => { module: string; factory: string; args: unknown[] } }).replica = () => ({ module: path.join(__dirname, "parallelModels.ts"), factory: "makeMlp", args: [2, "throw"] });
    const r = new Rng(6);
    const data = { x: r.normals(new Float32Array(40 * 12)), rowSize: 12, labels: Int32Array.from({ length: 40 }, () => r.int(3)) };
    const warn = console.warn;
    const warnings: string[] = [];
    console.warn = (m: string) => warnings.push(String(m));
    try {
      const res = await fit(model, data, { epochs: 1, batchSize: 10, rng: new Rng(7), showProgress: false, threads: 2 });
      expect(res.steps).toBe(4);
      expect(res.threads).toBe(1);
      expect(warnings.some((m) => /fails on purpose/.test(m))).toBe(true);
    } finally {
      console.warn = warn;
    }
  });

  it("is not started (null, with a warning saying why) when it cannot work", async () => {
    await setup();
    const warnings: string[] = [];
    const w = (m: string) => warnings.push(m);
    expect(await DataParallel.create(makeMlp(1), 1, { onWarning: w })).toBeNull();
    expect(warnings).toEqual([]);
    const noReplica = makeMlp(1);
    delete (noReplica as { replica?: unknown }).replica;
    expect(await DataParallel.create(noReplica, 2, { onWarning: w })).toBeNull();
    expect(warnings.pop()).toMatch(/no replica\(\)/);
    const wrong = makeMlp(1);
    (wrong as { replica?: () => { module: string; factory: string; args: unknown[] } }).replica = () => ({ module: path.join(__dirname, "parallelModels.ts"), factory: "makeConv", args: [1] });
    expect(await DataParallel.create(wrong, 2, { onWarning: w })).toBeNull();
    expect(warnings.pop()).toMatch(/does not have the model's variables/);
    const missing = makeMlp(1);
    (missing as { replica?: () => { module: string; factory: string; args: unknown[] } }).replica = () => ({ module: path.join(__dirname, "parallelModels.ts"), factory: "noSuchFactory", args: [] });
    expect(await DataParallel.create(missing, 2, { onWarning: w })).toBeNull();
    expect(warnings.pop()).toMatch(/failed to start/);
    await expect(DataParallel.create(makeMlp(1), 0)).rejects.toThrow(/positive integer/);
  });

  describe("state the loss reads, and afterStepRows", () => {
    // 45 rows in batches of 9 (shards of 5 + 4); c changes after every step from the rows.
    const data = () => {
      const r = new Rng(41);
      return { x: r.normals(new Float32Array(45 * 6)), rowSize: 6, labels: Int32Array.from({ length: 45 }, () => r.int(3)) };
    };
    const train = async (threads: number, withState = true) => {
      const model = makeStateful(8, withState);
      const res = await fit(model, data(), { epochs: 2, batchSize: 9, rng: new Rng(5), showProgress: false, threads });
      const [W, v] = model.phases()[0].variables().map((t) => Float32Array.from(t.dataSync()));
      return { losses: res.history.map((h) => h.terms.loss), W, v, c: Float32Array.from(model.c.dataSync()), counts: [...model.counts], threads: res.threads };
    };

    it("fit on 2 threads: the workers follow c (state()) and afterStep gets every row, as on one thread", async () => {
      await setup();
      const one = await train(1);
      const two = await train(2);
      expect([one.threads, two.threads]).toEqual([1, 2]); // FitResult.threads: what the last step ran on
      expect(one.counts.reduce((a, b) => a + b, 0)).toBe(90); // every row of both epochs counted once
      expect(two.counts).toEqual(one.counts);
      for (let e = 0; e < 2; e++) expect(Math.abs(two.losses[e] - one.losses[e])).toBeLessThan(1e-4 * one.losses[e]);
      for (const k of ["W", "v", "c"] as const) expect(maxRelDiff(two[k], one[k])).toBeLessThan(1e-4);
      // Without state() a worker keeps its first copy of c: the check above would fail.
      const stale = await train(2, false);
      expect(Math.abs(stale.losses[1] - one.losses[1])).toBeGreaterThan(1e-3 * one.losses[1]);
    });

    it("rows: every shard's rows in batch order (float32 and int32), the one-thread values", async () => {
      await setup();
      const model = makeStateful(9);
      const dp = await DataParallel.create(model, 2);
      expect(dp).not.toBeNull();
      open.push(dp!);
      const r = new Rng(7);
      const inputs = { x: tf.tensor2d(r.normals(new Float32Array(11 * 6)), [11, 6]), y: tf.tensor2d(new Float32Array(11), [11, 1]) };
      const c0 = ctx(0);
      // A gradient step first, so that the rows are computed under weights the worker must receive.
      const g = await dp!.gradients(0, inputs, c0);
      const opt = tf.train.adam(0.1);
      opt.applyGradients(g.grads as unknown as Parameters<typeof opt.applyGradients>[0]);
      const rows = await dp!.rows(inputs, c0);
      const ref = tf.tidy(() => model.afterStepRows!(inputs, c0));
      expect(Object.keys(rows)).toEqual(["h", "k"]);
      expect(rows.h.shape).toEqual([11, 4]);
      expect(rows.k.dtype).toBe("int32");
      expect(maxRelDiff(rows.h.dataSync() as Float32Array, ref.h.dataSync() as Float32Array)).toBeLessThan(1e-6);
      expect(Array.from(rows.k.dataSync())).toEqual(Array.from(ref.k.dataSync()));
      expect(dp!.timings.rowsCalls).toBe(1);
      tf.dispose([...Object.values(g.grads), ...Object.values(rows), ...Object.values(ref), ...Object.values(inputs)]);
      opt.dispose();
    });
  });
});
