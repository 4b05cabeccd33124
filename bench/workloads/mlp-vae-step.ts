/**
 * Workload: one training step of the Kingma & Welling MLP VAE on the active tfjs backend,
 * written out in plain TensorFlow.js (a faithful stand-alone copy of the step that
 * src/models trains, so that kernel changes can be measured in isolation):
 *
 *   encoder   h = relu(x W₁ + b₁)                      784 → 400
 *             μ = h W_μ + b_μ,  log σ² = h W_σ + b_σ    400 → 20, 400 → 20
 *   sample    z = μ + exp(½ log σ²) ⊙ ε,  ε ~ N(0, I)
 *   decoder   g = relu(z W₃ + b₃),  ℓ = g W₄ + b₄       20 → 400 → 784 (Bernoulli logits)
 *   loss      (1/B) Σ_i [ Σ_j softplus(ℓ_ij) − x_ij ℓ_ij  +  ½ Σ_k (σ²_ik + μ²_ik − 1 − log σ²_ik) ]
 *   update    Adam, η = 1e-3;   batch B = 128 dynamically binarized MNIST digits
 *
 * Each step reads the loss back (as trainVae does). Modes, alternated round by round in one
 * process so that the machine's load affects both alike:
 *   "tfjs"       tfjs-backend-wasm's own kernels and optimizer
 *   "latentlab"  after registerWasmKernels() (src/kernels)
 * plus the 512×512 matmul roofline measured in the same rounds, and (LATENTLAB_BENCH_MODELS=1,
 * default) trainVae from src/models for a few batches in each mode.
 *
 * In the bench harness: `npm run bench -- mlp-vae-step` (exports `workloads`).
 * Stand-alone, with the per-round roofline, the loss agreement and the kernel profile:
 * `npx tsx bench/workloads/mlp-vae-step.ts` (env: STEPS=20 per round, ROUNDS=5,
 * PROFILE=1 prints tf.profile's kernel table for one step of each mode).
 */
import * as tf from "@tensorflow/tfjs";
import { initBackend, describeBackend, useBackend, type BackendName } from "../../src/runtime/backend";
import { type Implementation, type Workload, nodePeakRssMB } from "../harness";
import { Rng } from "../../src/runtime/rng";
import { loadEmbeddedMnist } from "../../src/data/mnist";
import { registerWasmKernels, unregisterWasmKernels } from "../../src/kernels";

const D = 784;
const H = 400;
const Z = 20;
const B = 128;

/** Matmul FLOPs of one step: forward, plus ∂W of every layer and ∂input of all but the first. */
export const MLP_VAE_STEP_FLOPS = (() => {
  const fwd = 2 * B * (D * H + 2 * H * Z + Z * H + H * D);
  const dW = fwd;
  const dX = 2 * B * (2 * H * Z + Z * H + H * D);
  return fwd + dW + dX;
})();

interface Params {
  [k: string]: tf.Variable;
}

function uniform(shape: number[], fanIn: number, r: Rng, name: string): tf.Variable {
  const n = shape.reduce((a, b) => a * b, 1);
  const v = new Float32Array(n);
  const a = 1 / Math.sqrt(fanIn);
  for (let i = 0; i < n; i++) v[i] = (2 * r.uniform() - 1) * a;
  return tf.variable(tf.tensor(v, shape), true, name);
}

let counter = 0;
function makeParams(r: Rng): Params {
  const p: Params = {};
  const dense = (n: string, fin: number, fout: number) => {
    p[`${n}W`] = uniform([fin, fout], fin, r, `mlpvae${counter}/${n}W`);
    p[`${n}b`] = uniform([fout], fin, r, `mlpvae${counter}/${n}b`);
  };
  counter++;
  dense("e1", D, H);
  dense("mu", H, Z);
  dense("lv", H, Z);
  dense("d1", Z, H);
  dense("d2", H, D);
  return p;
}

function loss(p: Params, x: tf.Tensor2D, eps: tf.Tensor2D): tf.Scalar {
  const dense = (n: string, t: tf.Tensor) => tf.add(tf.matMul(t as tf.Tensor2D, p[`${n}W`] as tf.Tensor2D), p[`${n}b`]);
  const h = tf.relu(dense("e1", x));
  const mu = dense("mu", h);
  const lv = dense("lv", h);
  const z = tf.add(mu, tf.mul(tf.exp(tf.mul(lv, 0.5)), eps));
  const logits = dense("d2", tf.relu(dense("d1", z)));
  const rec = tf.sum(tf.sub(tf.softplus(logits), tf.mul(x, logits)), 1);
  const kl = tf.mul(tf.sum(tf.sub(tf.add(tf.exp(lv), tf.square(mu)), tf.add(lv, 1)), 1), 0.5);
  return tf.mean(tf.add(rec, kl)) as tf.Scalar;
}

/** Fixed batches of binarized real digits and noise (generated once, shared by all modes). */
function makeBatches(count: number, r: Rng): { x: Float32Array; eps: Float32Array }[] {
  const ds = loadEmbeddedMnist();
  const out: { x: Float32Array; eps: Float32Array }[] = [];
  for (let k = 0; k < count; k++) {
    const x = new Float32Array(B * D);
    for (let i = 0; i < B; i++) {
      const j = r.int(ds.count);
      for (let t = 0; t < D; t++) x[i * D + t] = r.uniform() < ds.images[j * D + t] ? 1 : 0;
    }
    out.push({ x, eps: r.normals(new Float32Array(B * Z)) });
  }
  return out;
}

/** One Adam step; returns the loss (read back, as the training loop does). */
function step(p: Params, opt: tf.Optimizer, batch: { x: Float32Array; eps: Float32Array }): number {
  const vars = Object.values(p);
  const { value, grads } = tf.tidy(() => {
    const x = tf.tensor2d(batch.x, [B, D]);
    const e = tf.tensor2d(batch.eps, [B, Z]);
    return tf.variableGrads(() => loss(p, x, e), vars);
  });
  opt.applyGradients(grads);
  const l = value.dataSync()[0];
  tf.dispose([value, grads as unknown as tf.Tensor[]]);
  return l;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** GFLOPS of a 512×512 float32 matmul on the active backend (median of `reps`). */
export function matmulRoofline(reps = 10): number {
  const a = tf.randomNormal([512, 512], 0, 1, "float32", 1);
  const b = tf.randomNormal([512, 512], 0, 1, "float32", 2);
  const times: number[] = [];
  for (let i = 0; i < reps + 2; i++) {
    const t0 = performance.now();
    const c = tf.matMul(a, b);
    c.dataSync();
    const ms = performance.now() - t0;
    c.dispose();
    if (i >= 2) times.push(ms);
  }
  tf.dispose([a, b]);
  return (2 * 512 ** 3) / (median(times) * 1e6);
}

type Mode = "tfjs" | "latentlab";

function setMode(mode: Mode): void {
  if (mode === "latentlab") registerWasmKernels();
  else unregisterWasmKernels();
}

/** Kernel table of one step: name → [count, ms]. */
async function profileStep(p: Params, opt: tf.Optimizer, batch: { x: Float32Array; eps: Float32Array }) {
  const prof = await tf.profile(() => {
    step(p, opt, batch);
  });
  const table = new Map<string, { count: number; ms: number }>();
  for (const k of prof.kernels) {
    const e = table.get(k.name) ?? { count: 0, ms: 0 };
    e.count++;
    e.ms += (await k.kernelTimeMs) as number;
    table.set(k.name, e);
  }
  return { kernels: prof.kernels.length, table: [...table.entries()].sort((a, b) => b[1].ms - a[1].ms) };
}

async function trainVaeImagesPerSec(batches: number): Promise<number> {
  const { createVae } = await import("../../src/models/vae");
  const { trainVae } = await import("../../src/models/train");
  const ds = loadEmbeddedMnist();
  const model = createVae({ latentDim: Z, hidden: [H] }, new Rng(5));
  const res = await trainVae(model, ds.images.subarray(0, 4096 * D), { epochs: 1, batchSize: B, maxBatchesPerEpoch: batches, rng: new Rng(6), showProgress: false });
  model.dispose();
  return res.imagesPerSec;
}

export async function runMlpVaeStepBench(): Promise<Record<string, unknown>> {
  const info = await initBackend();
  const steps = Number(process.env.STEPS ?? 20);
  const rounds = Number(process.env.ROUNDS ?? 5);
  const withModels = (process.env.LATENTLAB_BENCH_MODELS ?? "1") !== "0";
  console.log(describeBackend(info));
  const r = new Rng(0);
  const batches = makeBatches(8, r);
  const modes: Mode[] = info.name === "wasm" ? ["tfjs", "latentlab"] : ["tfjs"];

  // Same initial parameters in both modes: check the losses agree over the first steps.
  const agree: Record<string, number[]> = {};
  for (const mode of modes) {
    setMode(mode);
    const p = makeParams(new Rng(1));
    const opt = tf.train.adam(1e-3);
    agree[mode] = batches.map((bt) => step(p, opt, bt));
    opt.dispose();
    tf.dispose(Object.values(p));
  }

  const perMode: Record<string, { ms: number[]; models: number[]; p: Params; opt: tf.Optimizer }> = {};
  for (const mode of modes) perMode[mode] = { ms: [], models: [], p: makeParams(new Rng(1)), opt: tf.train.adam(1e-3) };
  // Per round: roofline, then each mode, then roofline again; a round's fraction uses the mean
  // of its two roofline readings, so load from other processes hits numerator and denominator alike.
  const roofline: number[] = [];
  const fractions: Record<string, number[]> = Object.fromEntries(modes.map((md) => [md, []]));
  for (let round = 0; round < rounds; round++) {
    setMode("latentlab");
    const before = matmulRoofline();
    for (const mode of modes) {
      setMode(mode);
      const m = perMode[mode];
      for (let i = 0; i < 2; i++) step(m.p, m.opt, batches[i]); // warm-up
      const t0 = performance.now();
      for (let i = 0; i < steps; i++) step(m.p, m.opt, batches[i % batches.length]);
      m.ms.push((performance.now() - t0) / steps);
      if (withModels) m.models.push(await trainVaeImagesPerSec(12));
    }
    setMode("latentlab");
    const gf = (before + matmulRoofline()) / 2;
    roofline.push(gf);
    for (const md of modes) fractions[md].push(MLP_VAE_STEP_FLOPS / (perMode[md].ms[round] / 1000) / (gf * 1e9));
    console.log(`round ${round + 1}/${rounds}: ` + modes.map((md) => `${md} ${(B / (perMode[md].ms[round] / 1000)).toFixed(0)} img/s (${(100 * fractions[md][round]).toFixed(0)}%)`).join(", ") + `, roofline ${gf.toFixed(1)} GFLOPS`);
  }
  const gflops = median(roofline);
  const result: Record<string, unknown> = {
    workload: "mlp-vae-step (784-400-20, B=128, Adam)",
    command: "npx tsx bench/workloads/mlp-vae-step.ts",
    backend: describeBackend(info),
    flopsPerStep: MLP_VAE_STEP_FLOPS,
    rooflineGflops512: gflops,
    rounds,
    stepsPerRound: steps,
    lossAgreement: agree,
  };
  for (const mode of modes) {
    const m = perMode[mode];
    const ms = median(m.ms);
    result[mode] = {
      msPerStep: ms,
      imagesPerSec: B / (ms / 1000),
      /** Median over rounds of (step FLOPs / step time) / (that round's 512×512 matmul GFLOPS). */
      fractionOfRoofline: median(fractions[mode]),
      /** Against DESIGN.md's measured 19.7 GFLOPS wasm matmul roofline. */
      fractionOfDesignRoofline: MLP_VAE_STEP_FLOPS / (ms / 1000) / 19.7e9,
      roundsMs: m.ms,
      trainVaeImagesPerSec: m.models.length ? median(m.models) : null,
    };
  }
  if (process.env.PROFILE === "1") {
    for (const mode of modes) {
      setMode(mode);
      const m = perMode[mode];
      const prof = await profileStep(m.p, m.opt, batches[0]);
      console.log(`\nprofile (${mode}): ${prof.kernels} kernels per step`);
      for (const [name, e] of prof.table) console.log(`  ${name.padEnd(28)} ${String(e.count).padStart(4)}  ${e.ms.toFixed(2).padStart(8)} ms`);
      result[`profile_${mode}`] = { kernels: prof.kernels, table: Object.fromEntries(prof.table) };
    }
  }
  for (const mode of modes) {
    perMode[mode].opt.dispose();
    tf.dispose(Object.values(perMode[mode].p));
  }
  setMode("latentlab");
  return result;
}

/** One implementation for the harness: `mode` kernels on `backend`, `steps` Adam steps per repetition. */
function implementation(name: string, backend: BackendName, mode: Mode, steps: number, repetitions?: number): Implementation {
  let p: Params | null = null;
  let opt: tf.Optimizer | null = null;
  let batches: { x: Float32Array; eps: Float32Array }[] = [];
  const enter = async () => {
    await useBackend(backend);
    if (backend === "wasm") setMode(mode);
  };
  return {
    name,
    backend: `tfjs ${backend}`,
    repetitions,
    async setup() {
      await initBackend();
      await enter();
      this.backend = `tfjs ${backend}, ${mode === "latentlab" ? "latentlab kernels (registerWasmKernels)" : "stock tfjs kernels"}`;
      batches = makeBatches(4, new Rng(0));
      p = makeParams(new Rng(1));
      opt = tf.train.adam(1e-3);
      step(p, opt, batches[0]); // first step: Adam's moments, kernels warmed up
    },
    async run() {
      await enter();
      step(p!, opt!, batches[1]);
      let loss = 0;
      const t0 = performance.now();
      for (let i = 0; i < steps; i++) loss = step(p!, opt!, batches[i % batches.length]);
      const ms = performance.now() - t0;
      return { ms, units: steps * B, metrics: { msPerStep: +(ms / steps).toFixed(2), loss: +loss.toFixed(3) }, peakRssMB: nodePeakRssMB() };
    },
    async teardown() {
      opt?.dispose();
      if (p) tf.dispose(Object.values(p));
      await useBackend((await initBackend()).name);
      registerWasmKernels();
    },
  };
}

/** The harness registry entry (bench/run.ts). */
export const workloads: Workload[] = [
  {
    name: "mlp-vae-step",
    description: "MLP VAE train step 784-400-20 ReLU, batch 128, Bernoulli BCE + analytic KL, Adam 1e-3 (plain tfjs copy of src/models' step)",
    flopsPerUnit: MLP_VAE_STEP_FLOPS / B,
    unit: "images",
    repetitions: 7,
    reference: "tfjs wasm (stock kernels)",
    async implementations() {
      const info = await initBackend();
      // The same 10 steps per repetition everywhere, so that times compare directly (the cpu
      // backend, ~0.8 s per step, gets fewer repetitions).
      const impls = [implementation("latentlab wasm kernels", "wasm", "latentlab", 10), implementation("tfjs wasm (stock kernels)", "wasm", "tfjs", 10)];
      if (info.name === "wasm") impls.push(implementation("tfjs cpu", "cpu", "tfjs", 10, 2));
      return impls;
    },
    notes: [
      `FLOPs per step: ${MLP_VAE_STEP_FLOPS} (matmuls: forward, ∂W of all layers, ∂input of all but the first).`,
      "latentlab kernels: untransposed matMul (transposes materialized, or the product swapped), one SIMD Adam kernel per variable.",
      "Same initial parameters and batches in every implementation; losses agree to float32 rounding (see the stand-alone run).",
    ],
  },
];

if (require.main === module) {
  runMlpVaeStepBench().then(
    (r) => console.log(JSON.stringify(r, null, 2)),
    (e) => {
      console.error(e);
      process.exit(1);
    },
  );
}
