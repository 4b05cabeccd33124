/**
 * Workload: one training step of the convolutional VAE (the shape src/models builds with
 * architecture "conv"), in plain TensorFlow.js:
 *
 *   encoder  conv 4×4/2 "same" 1→16, relu; conv 4×4/2 "same" 16→32, relu; dense 1568→20 (μ), 1568→20 (log σ²)
 *   decoder  dense 20→1568, relu; conv2dTranspose 4×4/2 32→16, relu; conv2dTranspose 4×4/2 16→1 (logits)
 *   loss     Bernoulli BCE with logits + analytic KL, Adam 1e-3, batch B = 128, 28×28 digits
 *
 * On wasm this needs Conv2DBackpropFilter, which only latentlab's kernels provide (tfjs alone
 * throws). The bench compares wasm + latentlab kernels with the same network in PyTorch on 1
 * and 2 threads (bench/peers/conv_vae_step_torch.py: same initial weights, batches and ε; its
 * losses at the initial weights and after one Adam step are checked against ours), alternated; the cpu backend is opt-in (CONV_BENCH_CPU=1).
 * Stand-alone, PROFILE=1 prints the kernel table.
 *
 * In the bench harness: `npm run bench -- conv-vae-step` (exports `workloads`). Stand-alone:
 * `npx tsx bench/workloads/conv-step.ts` (env: STEPS=5 per round, ROUNDS=3, PROFILE=1).
 * CONV_BENCH_CPU=1 includes the cpu backend in both (~1 minute per step here: off by default).
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as tf from "@tensorflow/tfjs";
import { initBackend, useBackend, describeBackend, BackendName } from "../../src/runtime/backend";
import { Rng } from "../../src/runtime/rng";
import { loadEmbeddedMnist } from "../../src/data/mnist";
import { registerWasmKernels, unregisterWasmKernels } from "../../src/kernels";
import { type Implementation, type Workload, PythonPeer, Skip } from "../harness";

const B = 128;
const Z = 20;

/** Matmul-equivalent FLOPs of one step (forward ×3: each conv/dense has two backward products). */
export const CONV_VAE_STEP_FLOPS = (() => {
  const conv1 = 2 * B * 14 * 14 * 16 * (4 * 4 * 1);
  const conv2 = 2 * B * 7 * 7 * 32 * (4 * 4 * 16);
  const dense = 2 * B * (1568 * Z * 2 + Z * 1568);
  const deconv1 = 2 * B * 7 * 7 * 32 * (4 * 4 * 16);
  const deconv2 = 2 * B * 14 * 14 * 16 * (4 * 4 * 1);
  return 3 * (conv1 + conv2 + dense + deconv1 + deconv2);
})();

/** Initial values by the peer's names (c1, c1b, c2, c2b, mu, mub, lv, lvb, d, db, t1, t1b, t2, t2b), TensorFlow.js layouts. */
export type Init = Record<string, { shape: number[]; values: Float32Array }>;

function initParams(r: Rng): Init {
  const p: Init = {};
  const u = (name: string, shape: number[], fanIn: number) => {
    const n = shape.reduce((a, b) => a * b, 1);
    const a = 1 / Math.sqrt(fanIn);
    p[name] = { shape, values: Float32Array.from({ length: n }, () => (2 * r.uniform() - 1) * a) };
  };
  u("c1", [4, 4, 1, 16], 16); u("c1b", [16], 16);
  u("c2", [4, 4, 16, 32], 256); u("c2b", [32], 256);
  u("mu", [1568, Z], 1568); u("mub", [Z], 1568);
  u("lv", [1568, Z], 1568); u("lvb", [Z], 1568);
  u("d", [Z, 1568], Z); u("db", [1568], Z);
  u("t1", [4, 4, 16, 32], 512); u("t1b", [16], 512);
  u("t2", [4, 4, 1, 16], 256); u("t2b", [1], 256);
  return p;
}

let counter = 0;
function makeVars(init: Init): Record<string, tf.Variable> {
  counter++;
  const v: Record<string, tf.Variable> = {};
  for (const [k, { shape, values }] of Object.entries(init)) v[k] = tf.variable(tf.tensor(values, shape), true, `convstep${counter}/${k}`);
  return v;
}

function loss(p: Record<string, tf.Variable>, x: tf.Tensor2D, eps: tf.Tensor2D): tf.Scalar {
  const img = tf.reshape(x, [B, 28, 28, 1]) as tf.Tensor4D;
  const a = tf.relu(tf.add(tf.conv2d(img, p.c1 as tf.Tensor4D, 2, "same"), p.c1b)) as tf.Tensor4D;
  const b = tf.relu(tf.add(tf.conv2d(a, p.c2 as tf.Tensor4D, 2, "same"), p.c2b));
  const h = tf.reshape(b, [B, 1568]) as tf.Tensor2D;
  const mu = tf.add(tf.matMul(h, p.mu as tf.Tensor2D), p.mub);
  const lv = tf.add(tf.matMul(h, p.lv as tf.Tensor2D), p.lvb);
  const z = tf.add(mu, tf.mul(tf.exp(tf.mul(lv, 0.5)), eps)) as tf.Tensor2D;
  const d = tf.reshape(tf.relu(tf.add(tf.matMul(z, p.d as tf.Tensor2D), p.db)), [B, 7, 7, 32]) as tf.Tensor4D;
  const t1 = tf.relu(tf.add(tf.conv2dTranspose(d, p.t1 as tf.Tensor4D, [B, 14, 14, 16], 2, "same"), p.t1b)) as tf.Tensor4D;
  const logits = tf.reshape(tf.add(tf.conv2dTranspose(t1, p.t2 as tf.Tensor4D, [B, 28, 28, 1], 2, "same"), p.t2b), [B, 784]);
  const rec = tf.sum(tf.sub(tf.softplus(logits), tf.mul(x, logits)), 1);
  const kl = tf.mul(tf.sum(tf.sub(tf.add(tf.exp(lv), tf.square(mu)), tf.add(lv, 1)), 1), 0.5);
  return tf.mean(tf.add(rec, kl)) as tf.Scalar;
}

function step(p: Record<string, tf.Variable>, opt: tf.Optimizer, bt: { x: Float32Array; eps: Float32Array }): number {
  const { value, grads } = tf.tidy(() => tf.variableGrads(() => loss(p, tf.tensor2d(bt.x, [B, 784]), tf.tensor2d(bt.eps, [B, Z])), Object.values(p)));
  opt.applyGradients(grads);
  const l = value.dataSync()[0];
  tf.dispose([value, ...Object.values(grads)]);
  return l;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Four fixed batches of binarized digits and their noise ε (seeded). */
function makeBatches(): { x: Float32Array; eps: Float32Array }[] {
  const r = new Rng(0);
  const ds = loadEmbeddedMnist();
  return Array.from({ length: 4 }, () => {
    const x = new Float32Array(B * 784);
    for (let i = 0; i < B; i++) {
      const j = r.int(ds.count);
      for (let t = 0; t < 784; t++) x[i * 784 + t] = r.uniform() < ds.images[j * 784 + t] ? 1 : 0;
    }
    return { x, eps: r.normals(new Float32Array(B * Z)) };
  });
}

export async function runConvStepBench(): Promise<Record<string, unknown>> {
  const info = await initBackend();
  console.log(describeBackend(info));
  const steps = Number(process.env.STEPS ?? 5);
  const rounds = Number(process.env.ROUNDS ?? 3);
  const batches = makeBatches();
  const init = initParams(new Rng(1));
  // The cpu backend needs about a minute per step here: opt in with CONV_BENCH_CPU=1.
  const backends: BackendName[] = process.env.CONV_BENCH_CPU === "1" ? ["wasm", "cpu"] : ["wasm"];
  const state: Record<string, { ms: number[]; losses: number[]; p?: Record<string, tf.Variable>; opt?: tf.Optimizer }> = {};
  for (const be of backends) state[be] = { ms: [], losses: [] };
  // Same start on both backends: the first losses must agree to float32 tolerance.
  for (const be of backends) {
    await useBackend(be);
    const s = state[be];
    s.p = makeVars(init);
    s.opt = tf.train.adam(1e-3);
    for (let i = 0; i < 3; i++) s.losses.push(step(s.p, s.opt, batches[i]));
  }
  for (let round = 0; round < rounds; round++) {
    for (const be of backends) {
      await useBackend(be);
      const s = state[be];
      const n = be === "cpu" ? Math.max(1, Math.ceil(steps / 5)) : steps;
      const t0 = performance.now();
      for (let i = 0; i < n; i++) step(s.p!, s.opt!, batches[i % batches.length]);
      s.ms.push((performance.now() - t0) / n);
    }
    console.log(`round ${round + 1}/${rounds}: ` + backends.map((be) => `${be} ${(B / (state[be].ms[round] / 1000)).toFixed(0)} img/s`).join(", "));
  }
  const result: Record<string, unknown> = { workload: "conv-vae-step (28×28, conv 16/32, z 20, B=128, Adam)", command: "npx tsx bench/workloads/conv-step.ts", flopsPerStep: CONV_VAE_STEP_FLOPS };
  for (const be of backends) {
    const ms = median(state[be].ms);
    result[be] = { msPerStep: ms, imagesPerSec: B / (ms / 1000), firstLosses: state[be].losses, roundsMs: state[be].ms };
  }
  if (process.env.PROFILE === "1") {
    await useBackend("wasm");
    const s = state.wasm;
    const prof = await tf.profile(() => {
      step(s.p!, s.opt!, batches[0]);
    });
    const table = new Map<string, { count: number; ms: number }>();
    for (const k of prof.kernels) {
      const e = table.get(k.name) ?? { count: 0, ms: 0 };
      e.count++;
      e.ms += (await k.kernelTimeMs) as number;
      table.set(k.name, e);
    }
    console.log(`profile (wasm): ${prof.kernels.length} kernels per step`);
    for (const [name, e] of [...table.entries()].sort((a, b) => b[1].ms - a[1].ms).slice(0, 15)) console.log(`  ${name.padEnd(28)} ${String(e.count).padStart(4)}  ${e.ms.toFixed(2).padStart(8)} ms`);
  }
  for (const be of backends) {
    await useBackend(be);
    state[be].opt!.dispose();
    tf.dispose(Object.values(state[be].p!));
  }
  await useBackend(info.name);
  return result;
}

function implementation(name: string, backend: BackendName, steps: number, repetitions?: number): Implementation {
  let p: Record<string, tf.Variable> | null = null;
  let opt: tf.Optimizer | null = null;
  let batches: { x: Float32Array; eps: Float32Array }[] = [];
  return {
    name,
    backend: `tfjs ${backend}`,
    repetitions,
    rooflineBackend: backend,
    async setup() {
      await initBackend();
      if (backend === "cpu" && process.env.CONV_BENCH_CPU !== "1") throw new Skip("the cpu backend needs about a minute per conv step here; set CONV_BENCH_CPU=1 to include it");
      await useBackend(backend);
      this.backend = backend === "wasm" ? "tfjs wasm, latentlab kernels (registerWasmKernels)" : "tfjs cpu, stock kernels";
      batches = makeBatches();
      p = makeVars(initParams(new Rng(1)));
      opt = tf.train.adam(1e-3);
      step(p, opt, batches[0]);
    },
    async run() {
      await useBackend(backend);
      let loss = 0;
      const t0 = performance.now();
      for (let i = 0; i < steps; i++) loss = step(p!, opt!, batches[i % batches.length]);
      const ms = performance.now() - t0;
      return { ms, units: steps * B, metrics: { msPerStep: +(ms / steps).toFixed(1), loss: +loss.toFixed(3) } };
    },
    async teardown() {
      opt?.dispose();
      if (p) tf.dispose(Object.values(p));
      await useBackend((await initBackend()).name);
    },
  };
}

/** What the PyTorch peer gets (batches, initial weights) and what it must reproduce (our losses). */
export interface ConvVaePeerData {
  batches: { x: Float32Array; eps: Float32Array }[];
  init: Init;
  /** Our loss of batch 0 at the initial weights. */
  initialLoss: number;
  /** Our loss of batch 1 after one tf.train.adam(1e-3) step on batch 0. */
  lossAfterStep: number;
}

/**
 * The same conv VAE in PyTorch (bench/peers/conv_vae_step_torch.py, a long-lived
 * /usr/bin/python3 process, `threads` intra-op threads) on the same batches and noise, from the
 * same initial weights. Before timing, the peer's loss of batch 0 at the initial weights and its
 * loss of batch 1 after one Adam step on batch 0 must equal ours to 1e-5 relative (float32 sums
 * of ~10⁵ terms in another order agree to ~1e-6; the step's check sees every gradient, which the
 * initial loss alone barely does: a flatten in the wrong order moved it by only 2.4e-5): a row
 * that compares another network fails instead of being reported.
 */
export function convVaeTorchImplementation(
  threads: number,
  steps: number,
  prepare: () => Promise<ConvVaePeerData>,
): Implementation {
  let peer: PythonPeer | null = null;
  let dir = "";
  return {
    name: `PyTorch ${threads} thread${threads > 1 ? "s" : ""}`,
    backend: `PyTorch (python3-torch), torch.set_num_threads(${threads})`,
    external: true,
    async setup() {
      const missing = await PythonPeer.missing(["torch", "numpy"]);
      if (missing) throw new Skip(missing.replace("python3-sklearn", "python3-torch"));
      const { batches, init, initialLoss, lossAfterStep } = await prepare();
      dir = fs.mkdtempSync(path.join(os.tmpdir(), "latentlab-conv-vae-step-"));
      const params = Object.entries(init).map(([name, { shape }]) => ({ name, shape }));
      fs.writeFileSync(path.join(dir, "meta.json"), JSON.stringify({ batch: B, Z, batches: batches.length, params }));
      fs.writeFileSync(path.join(dir, "x_f32.bin"), Buffer.concat(batches.map((b) => Buffer.from(b.x.buffer, b.x.byteOffset, b.x.byteLength))));
      fs.writeFileSync(path.join(dir, "eps_f32.bin"), Buffer.concat(batches.map((b) => Buffer.from(b.eps.buffer, b.eps.byteOffset, b.eps.byteLength))));
      fs.writeFileSync(path.join(dir, "params_f32.bin"), Buffer.concat(Object.values(init).map(({ values: v }) => Buffer.from(v.buffer, v.byteOffset, v.byteLength))));
      peer = new PythonPeer(path.join(__dirname, "..", "peers", "conv_vae_step_torch.py"), ["--data", dir, "--threads", String(threads)]);
      const ready = await peer.start();
      const rel = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);
      for (const [what, theirs, ours] of [
        ["loss of batch 0 at the initial weights", ready.initialLoss as number, initialLoss],
        ["loss of batch 1 after one Adam step on batch 0", ready.lossAfterStep as number, lossAfterStep],
      ] as [string, number, number][]) {
        if (!(rel(theirs, ours) <= 1e-5)) {
          await peer.stop();
          peer = null;
          throw new Error(`the PyTorch conv VAE is not our network: its ${what} is ${theirs}, ours ${ours} (relative difference ${rel(theirs, ours)} > 1e-5)`);
        }
      }
      this.backend += `; losses at init ${(ready.initialLoss as number).toFixed(4)} vs ours ${initialLoss.toFixed(4)}, after a step ${(ready.lossAfterStep as number).toFixed(4)} vs ${lossAfterStep.toFixed(4)}`;
    },
    async run() {
      const r = await peer!.request({ steps });
      const ms = r.ms as number;
      return { ms, units: steps * B, peakRssMB: r.peakRssMB as number, metrics: { msPerStep: +(ms / steps).toFixed(2), loss: +(r.loss as number).toFixed(3) } };
    },
    async teardown() {
      await peer?.stop();
      if (dir) fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** conv-step's own network at Rng(1)'s initial weights: its loss on batch 0 (wasm). */
async function convStepPrepare(): Promise<ConvVaePeerData> {
  await initBackend();
  const batches = makeBatches();
  const init = initParams(new Rng(1));
  const p = makeVars(init);
  const opt = tf.train.adam(1e-3);
  const initialLoss = step(p, opt, batches[0]); // the loss before the update
  const lossAfterStep = tf.tidy(() => loss(p, tf.tensor2d(batches[1].x, [B, 784]), tf.tensor2d(batches[1].eps, [B, Z])).dataSync()[0]);
  opt.dispose();
  tf.dispose(Object.values(p));
  return { batches, init, initialLoss, lossAfterStep };
}

/** Stock tfjs-backend-wasm: reported as skipped with the reason (it cannot train a convolution). */
const stockWasm: Implementation = {
  name: "tfjs wasm (stock kernels)",
  backend: "tfjs wasm, stock tfjs kernels",
  async setup() {
    await initBackend();
    unregisterWasmKernels();
    const missing = !tf.getKernel("Conv2DBackpropFilter", "wasm");
    registerWasmKernels();
    if (missing) throw new Skip("tfjs-backend-wasm 4.22 has no Conv2DBackpropFilter kernel: a conv model cannot train on stock wasm");
    throw new Skip("stock tfjs now provides Conv2DBackpropFilter: compare it here");
  },
  async run() {
    throw new Error("unreachable");
  },
};

/** The harness registry entry (bench/run.ts). */
export const workloads: Workload[] = [
  {
    name: "conv-vae-step",
    description: "conv VAE train step: conv 4×4/2 1→16→32, dense z 20, conv2dTranspose 32→16→1, 28×28, batch 128, Adam",
    flopsPerUnit: CONV_VAE_STEP_FLOPS / B,
    unit: "images",
    repetitions: 5,
    reference: "PyTorch 1 thread",
    async implementations() {
      return [
        implementation("latentlab wasm kernels", "wasm", 5),
        convVaeTorchImplementation(1, 5, convStepPrepare),
        convVaeTorchImplementation(2, 5, convStepPrepare),
        stockWasm,
        implementation("tfjs cpu", "cpu", 1, 1),
      ];
    },
    notes: [
      `FLOPs per step: ${CONV_VAE_STEP_FLOPS} (3 × forward: each conv, transposed conv and dense layer has two backward products).`,
      "latentlab kernels: the conv routes of src/kernels/conv2d.ts (XNNPACK convolutions for ∂x and ∂W, sub-pixel phases for strided ∂x), SIMD Adam.",
      "PyTorch rows: bench/peers/conv_vae_step_torch.py, the same network from the same initial weights on the same batches and ε (its loss at the initial weights and after one Adam step must equal ours to 1e-5 relative); 1 and 2 intra-op threads.",
    ],
  },
];

if (require.main === module) {
  runConvStepBench().then(
    (r) => console.log(JSON.stringify(r, null, 2)),
    (e) => {
      console.error(e);
      process.exit(1);
    },
  );
}
