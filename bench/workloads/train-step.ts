/**
 * Workloads: one training step of each model of the arc as `fit` runs it (prepareBatch, the
 * gradient of every phase, Adam, afterStep), on one thread and data-parallel on two
 * (src/train/parallel.ts: the main thread and one worker each take half of the batch), on the
 * same fixed batches of binarized digits, alternated in one process.
 *
 *   train-step-mlp-vae    MLP VAE 784-400-20, batch 128 (the issue's 1.8× target)
 *   train-step-conv-vae   conv VAE (conv 4×4/2 1→16→32, z 20, transposed back), batch 128
 *   train-step-vqvae      VQ-VAE (3×3/2 1→32→64, 1×1 →16, K = 128, transposed back), batch 128
 *   train-step-pixelcnn   PixelCNN (7×7 mask A 1→64, 4 blocks with a 3×3 mask-B 32→32), batch 64
 *
 * Rows: "<model> 1 thread" (the reference), "<model> 2 threads (DataParallel)", and for the
 * conv VAE, VQ-VAE and PixelCNN the same network in PyTorch on 1 and 2 threads. Besides wall
 * time, each row reports the process CPU time per step (all threads): on this shared machine
 * CPU time is the steadier number, and 2-thread CPU / 1-thread CPU is the parallel overhead.
 * A third latentlab row steps one thread on half of each batch: the ceiling of the 2-worker speed-up.
 * Stand-alone: `npx tsx bench/workloads/train-step.ts [mlp-vae|conv-vae|vqvae|pixelcnn]`.
 */
import * as tf from "@tensorflow/tfjs";
import { initBackend, useBackend } from "../../src/runtime/backend";
import { Rng } from "../../src/runtime/rng";
import { loadEmbeddedMnist } from "../../src/data/mnist";
import { DataParallel } from "../../src/train/parallel";
import { runAfterStep, type StepContext, type Trainable } from "../../src/train/loop";
import { type Implementation, type Workload, Skip, median } from "../harness";
import { createVae } from "../../src/models/vae";
import { vaeLoss, vaeTerms } from "../../src/models/objective";
import { CONV_VAE_STEP_FLOPS, type ConvVaePeerData, type Init, convVaeTorchImplementation } from "./conv-step";
import { torchPeer as pixelCnnTorchPeer } from "./pixelcnn";
import { vqvaeTorchStep } from "./vqvae";
import { pixelCnnTrainable, vaeTrainable, vqvaeTrainable } from "./trainables";

interface ModelSpec {
  key: string;
  title: string;
  batch: number;
  steps: number;
  /** Matmul-equivalent FLOPs of one step per image (3 × the forward products, dense kernels). */
  flopsPerImage: number;
  make(seed: number): Trainable;
  /** The same network in PyTorch on `threads` threads (a row of the workload), if there is a peer. */
  peer?(threads: number): Implementation;
}

/** createVae's conv parameter names → the PyTorch peer's (bench/peers/conv_vae_step_torch.py). */
const CONV_VAE_NAMES: Record<string, string> = {
  "enc/conv0/kernel": "c1", "enc/conv0/bias": "c1b", "enc/conv1/kernel": "c2", "enc/conv1/bias": "c2b",
  "enc/mu/kernel": "mu", "enc/mu/bias": "mub", "enc/logvar/kernel": "lv", "enc/logvar/bias": "lvb",
  "dec/h0/kernel": "d", "dec/h0/bias": "db", "dec/deconv0/kernel": "t1", "dec/deconv0/bias": "t1b",
  "dec/deconv1/kernel": "t2", "dec/deconv1/bias": "t2b",
};

/**
 * The conv VAE of the latentlab rows (createVae conv at Rng(7), the weights vaeTrainable("conv", 7)
 * starts from) for the PyTorch peer: its initial weights, this workload's four digit batches with
 * ε ~ N(0, I) from Rng(1), our loss of batch 0 at the initial weights (vaeTerms + vaeLoss) and
 * of batch 1 after one Adam step on batch 0.
 */
async function convVaePeerData(): Promise<ConvVaePeerData> {
  await initBackend();
  const model = createVae({ architecture: "conv" }, new Rng(7));
  try {
    const init: Init = {};
    for (const [ours, theirs] of Object.entries(CONV_VAE_NAMES)) {
      const v = model.params.get(ours);
      if (!v) throw new Error(`train-step: createVae conv has no parameter ${ours} (was it renamed? update CONV_VAE_NAMES)`);
      init[theirs] = { shape: v.shape, values: Float32Array.from(v.dataSync() as Float32Array) };
    }
    if (model.params.size !== Object.keys(CONV_VAE_NAMES).length) throw new Error(`train-step: createVae conv has ${model.params.size} parameters, the PyTorch peer ${Object.keys(CONV_VAE_NAMES).length}`);
    const r = new Rng(1);
    const batches = makeBatches(128).map((x) => ({ x, eps: r.normals(new Float32Array(128 * model.latentDim)) }));
    const lossOf = (b: { x: Float32Array; eps: Float32Array }) => () =>
      vaeLoss(vaeTerms(model, tf.tensor2d(b.x, [128, 784]), tf.tensor2d(b.eps, [128, model.latentDim]), 1, "analytic"), 1, 0) as tf.Scalar;
    const opt = tf.train.adam(1e-3);
    const { value, grads } = tf.variableGrads(lossOf(batches[0]), [...model.params.values()]);
    const initialLoss = value.dataSync()[0];
    opt.applyGradients(grads as unknown as Record<string, tf.Variable>);
    tf.dispose([value, ...Object.values(grads)]);
    opt.dispose();
    const lossAfterStep = tf.tidy(() => lossOf(batches[1])().dataSync()[0]);
    return { batches, init, initialLoss, lossAfterStep };
  } finally {
    model.dispose();
  }
}

/** VQ-VAE forward FLOPs per image: the convolutions (dense kernels) and the 49×128 code distances. */
const VQVAE_FWD = 2 * (196 * 32 * 9 + 49 * 64 * 288 + 49 * 16 * 64 + 49 * 16 * 9 * 64 + 196 * 64 * 9 * 32 + 784 * 32 * 9 + 49 * 16 * 128);
/** PixelCNN forward FLOPs per image (dense 7×7 and 3×3 kernels, as PyTorch computes them). */
const PIXELCNN_FWD = 2 * 784 * (49 * 64 + 4 * (64 * 32 + 9 * 32 * 32 + 32 * 64) + 64 * 64 + 64);

export const MODELS: ModelSpec[] = [
  { key: "mlp-vae", title: "MLP VAE 784-400-20", batch: 128, steps: 20, flopsPerImage: 419_840_000 / 128, make: (s) => vaeTrainable("mlp", s) },
  {
    key: "conv-vae", title: "conv VAE", batch: 128, steps: 10, flopsPerImage: CONV_VAE_STEP_FLOPS / 128, make: (s) => vaeTrainable("conv", s),
    peer: (threads) => convVaeTorchImplementation(threads, 10, convVaePeerData),
  },
  { key: "vqvae", title: "VQ-VAE", batch: 128, steps: 10, flopsPerImage: 3 * VQVAE_FWD, make: (s) => vqvaeTrainable(s), peer: (threads) => vqvaeTorchStep(threads, 10, 4) },
  {
    key: "pixelcnn", title: "PixelCNN", batch: 64, steps: 4, flopsPerImage: 3 * PIXELCNN_FWD, make: (s) => pixelCnnTrainable(s),
    peer: (threads) =>
      pixelCnnTorchPeer(`PyTorch ${threads} thread${threads > 1 ? "s" : ""}`, "step", ["--steps", "4", "--batch", "64"], (r) => ({ ms: r.seconds * 1000, units: r.steps * 64, metrics: { msPerStep: +((r.seconds * 1000) / r.steps).toFixed(2) } }), { threads, channels: 64, blocks: 4 }),
  },
];

/** Four fixed batches of grey digits (prepareBatch binarizes them, as fit does). */
function makeBatches(B: number): Float32Array[] {
  const ds = loadEmbeddedMnist();
  const r = new Rng(0);
  return Array.from({ length: 4 }, () => {
    const x = new Float32Array(B * 784);
    for (let i = 0; i < B; i++) {
      const j = r.int(ds.count);
      x.set(ds.images.subarray(j * 784, (j + 1) * 784), i * 784);
    }
    return x;
  });
}

/** One step as fit takes it; returns the first phase's loss. */
async function step(model: Trainable, opts: tf.Optimizer[], dp: DataParallel | null, x: Float32Array, B: number, i: number, rng: Rng): Promise<number> {
  const ctx: StepContext = { epoch: 1, batch: i, batchesPerEpoch: 1000, step: i, rng };
  const inputs = tf.tidy(() => model.prepareBatch({ x, size: B, rowSize: 784 }, ctx));
  let first = NaN;
  try {
    const phases = model.phases();
    for (let p = 0; p < phases.length; p++) {
      let grads: Record<string, tf.Tensor>;
      let loss: number;
      if (dp) ({ grads, loss } = await dp.gradients(p, inputs, ctx));
      else {
        const g = tf.variableGrads(() => phases[p].loss(inputs, ctx).loss, phases[p].variables());
        grads = g.grads;
        loss = g.value.dataSync()[0];
        g.value.dispose();
      }
      if (p === 0) first = loss;
      opts[p].applyGradients(grads as unknown as Parameters<tf.Optimizer["applyGradients"]>[0]);
      tf.dispose(Object.values(grads));
    }
    await runAfterStep(model, dp, inputs, ctx);
  } finally {
    tf.dispose(Object.values(inputs));
  }
  return first;
}

/**
 * `threads` = 1 or 2 at the spec's batch; `half`: one thread on the first half of every batch
 * (B/2 rows, the main thread's shard), the ceiling of an even split: a 2-worker step computes at
 * least one half-batch gradient and the whole optimizer step, i.e. at least this row's time.
 */
function implementation(spec: ModelSpec, threads: number, half = false): Implementation {
  const B = half ? spec.batch / 2 : spec.batch;
  let model: Trainable | null = null;
  let dp: DataParallel | null = null;
  let opts: tf.Optimizer[] = [];
  let batches: Float32Array[] = [];
  const rng = new Rng(1);
  let i = 0;
  return {
    name: half ? `${spec.title}, 1 thread, half batch (${B}): the 2-worker ceiling` : threads === 1 ? `${spec.title}, 1 thread` : `${spec.title}, ${threads} threads (DataParallel)`,
    backend: "tfjs wasm, latentlab kernels",
    rooflineBackend: "wasm",
    async setup() {
      const info = await initBackend();
      if (info.name !== "wasm") throw new Skip(`the backend is ${info.name}; data-parallel training is for wasm`);
      await useBackend("wasm");
      batches = makeBatches(spec.batch);
      model = spec.make(7);
      opts = model.phases().map(() => tf.train.adam(1e-3));
      if (threads > 1) {
        const warnings: string[] = [];
        dp = await DataParallel.create(model, threads, { onWarning: (m) => warnings.push(m) });
        if (!dp) throw new Skip(`DataParallel.create returned null: ${warnings.join(" ")}`);
      }
      for (let k = 0; k < 2; k++) await step(model, opts, dp, batches[k].subarray(0, B * 784), B, i++, rng);
    },
    async run() {
      let loss = 0;
      dp?.resetTimings();
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      for (let k = 0; k < spec.steps; k++, i++) loss = await step(model!, opts, dp, batches[i % batches.length].subarray(0, B * 784), B, i, rng);
      const ms = performance.now() - t0;
      const c = process.cpuUsage(c0);
      const cpuMs = (c.user + c.system) / 1000;
      if (dp && !dp.active) throw new Error("DataParallel fell back to one thread during the run (see the warning above)");
      const metrics: Record<string, number> = { msPerStep: +(ms / spec.steps).toFixed(2), cpuMsPerStep: +(cpuMs / spec.steps).toFixed(2), loss: +loss.toFixed(3) };
      if (dp) {
        // Where the 2-thread step's time goes (ms per step): the sharded gradient's phases, and the
        // rest of the step, which runs on the main thread alone (batch, Adam, afterStep).
        const t = dp.timings;
        const per = (v: number) => +(v / t.steps).toFixed(2);
        const sharded = t.weightsMs + t.postMs + t.mainShardMs + t.waitMs + t.sumMs + t.rowsMs;
        Object.assign(metrics, { mainShardMs: per(t.mainShardMs), waitMs: per(t.waitMs), exchangeMs: per(t.weightsMs + t.postMs + t.sumMs), serialMs: +((ms - sharded) / spec.steps).toFixed(2) });
        for (const k of ["workerInMs", "workerComputeMs", "workerOutMs"] as const) metrics[k] = per(t[k]);
        if (t.rowsCalls) metrics.rowsMs = +(t.rowsMs / t.rowsCalls).toFixed(2);
      }
      return { ms, units: spec.steps * B, metrics };
    },
    async teardown() {
      dp?.dispose();
      for (const o of opts) o.dispose();
    },
  };
}

export const workloads: Workload[] = MODELS.map((spec) => ({
  name: `train-step-${spec.key}`,
  description: `${spec.title} train step (prepareBatch, gradient, Adam, afterStep) as fit runs it, batch ${spec.batch}: 1 thread and 2 threads (DataParallel)`,
  flopsPerUnit: spec.flopsPerImage,
  unit: "images",
  repetitions: 5,
  reference: `${spec.title}, 1 thread`,
  async implementations() {
    return [implementation(spec, 1), implementation(spec, 2), implementation(spec, 1, true), ...(spec.peer ? [spec.peer(1), spec.peer(2)] : [])];
  },
  notes: [
    `FLOPs per image: ${Math.round(spec.flopsPerImage)} (3 × the forward products with dense kernels; masked taps counted, as PyTorch computes them).`,
    "2 threads: the main thread computes half of each batch, a worker (own wasm backend, replica from model.replica()) the other half; gradients summed in a fixed order; one Adam step on the main thread.",
    "cpuMsPerStep: process CPU time (all threads) per step; 2-thread / 1-thread CPU time is the cost of parallelism.",
    `Half-batch row: one thread stepping on the first ${spec.batch / 2} rows of each batch (the main thread's shard). A 2-worker step computes at least one such gradient plus the whole Adam step, so 1-thread ms / half-batch ms is the ceiling of the 2-worker speed-up on this machine, in this run.`,
    "2-thread rows, ms per step: mainShardMs = the main thread's half of the gradient; waitMs = waiting for the worker after it; exchangeMs = weights to shared memory, rows posted, shard gradients summed; workerComputeMs = the worker's half of the gradient; rowsMs = afterStepRows sharded over both threads (VQ-VAE: re-encoding the batch); serialMs = the rest of the step, on the main thread alone (batch, Adam, afterStep without its rows).",
    ...(spec.peer
      ? [
          spec.key === "conv-vae"
            ? "PyTorch rows: bench/peers/conv_vae_step_torch.py, the same network from the same initial weights on the same digit batches (ε from Rng(1)); its losses at the initial weights and after one Adam step must equal ours to 1e-5 relative."
            : spec.key === "vqvae"
              ? "PyTorch rows: bench/peers/vqvae_torch.py --mode step (keras-io's network, the same as ours; PyTorch's default initialization), cycling the split's first 4 batches of 128."
              : "PyTorch rows: bench/peers/pixelcnn_torch.py --mode step --channels 64 --blocks 4 (the network of these rows; PyTorch's default initialization), one batch of 64 of the split, binarized afresh each step.",
        ]
      : []),
  ],
}));

/** CPU ms of every thread of this process (Linux /proc; clock ticks of 10 ms), by thread id. */
function threadCpuMs(): Map<number, number> {
  const fs = require("fs") as typeof import("fs");
  const out = new Map<number, number>();
  try {
    for (const tid of fs.readdirSync("/proc/self/task")) {
      const stat = fs.readFileSync(`/proc/self/task/${tid}/stat`, "utf8");
      const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      out.set(Number(tid), ((Number(f[11]) + Number(f[12])) * 1000) / 100);
    }
  } catch {
    /* not Linux */
  }
  return out;
}

/** Stand-alone: alternate 1 and 2 threads for the named models, print ms and CPU ms per step. */
async function main(): Promise<void> {
  const keys = process.argv.slice(2);
  const load = () => require("fs").readFileSync("/proc/loadavg", "utf8").trim();
  for (const spec of MODELS.filter((m) => keys.length === 0 || keys.includes(m.key))) {
    const impls = [implementation(spec, 1), implementation(spec, 2), implementation(spec, 1, true)];
    for (const im of impls) await im.setup!();
    const res: { ms: number[]; cpu: number[] }[] = impls.map(() => ({ ms: [], cpu: [] }));
    const start = load();
    const perThread: Map<number, number>[] = impls.map(() => new Map());
    const reps = Number(process.env.REPS ?? 5);
    let last: Record<string, number> = {};
    for (let r = 0; r < reps; r++) {
      for (let k = 0; k < impls.length; k++) {
        const before = threadCpuMs();
        const m = await impls[k].run(r);
        for (const [tid, ms] of threadCpuMs()) perThread[k].set(tid, (perThread[k].get(tid) ?? 0) + ms - (before.get(tid) ?? 0));
        res[k].ms.push(m.metrics!.msPerStep as number);
        res[k].cpu.push(m.metrics!.cpuMsPerStep as number);
        if (k === 1) last = m.metrics as Record<string, number>;
      }
    }
    const busiest = (k: number) => {
      const steps = reps * spec.steps;
      const main = (perThread[k].get(process.pid) ?? 0) / steps;
      const others = [...perThread[k].entries()].filter(([t]) => t !== process.pid).map(([, v]) => v / steps).sort((x, y) => y - x);
      return `main thread ${main.toFixed(1)} ms/step, busiest other threads ${others.slice(0, 3).map((v) => v.toFixed(1)).join(", ")}`;
    };
    console.log(`  CPU by thread: 1 thread: ${busiest(0)}; 2 threads: ${busiest(1)}`);
    for (const im of impls) await im.teardown!();
    const [a, b, h] = res.map((x) => ({ ms: median(x.ms), cpu: median(x.cpu) }));
    console.log(
      `${spec.title} (B ${spec.batch}): 1 thread ${a.ms.toFixed(1)} ms/step (CPU ${a.cpu.toFixed(1)}), 2 threads ${b.ms.toFixed(1)} ms/step (CPU ${b.cpu.toFixed(1)}); ` +
        `speed-up ${(a.ms / b.ms).toFixed(2)}×; half batch on 1 thread ${h.ms.toFixed(1)} ms/step: ceiling ${(a.ms / h.ms).toFixed(2)}×; load ${start} → ${load()}`,
    );
    console.log(`  runs 1t ${res[0].ms.join(" ")} | 2t ${res[1].ms.join(" ")} | half ${res[2].ms.join(" ")}`);
    console.log(`  2 threads, ms per step (last run): ${["mainShardMs", "waitMs", "exchangeMs", "serialMs", "workerInMs", "workerComputeMs", "workerOutMs", "rowsMs"].map((k) => `${k} ${last[k]}`).join(", ")}`);
  }
}

if (require.main === module) {
  main().then(
    () => process.exit(0),
    (e) => {
      console.error(e);
      process.exit(1);
    },
  );
}
