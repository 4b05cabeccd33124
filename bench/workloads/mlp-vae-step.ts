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
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { type Implementation, type Workload, PythonPeer, Skip } from "../harness";
import { Rng } from "../../src/runtime/rng";
import { loadEmbeddedMnist } from "../../src/data/mnist";
import { registerWasmKernels, unregisterWasmKernels } from "../../src/kernels";
import { useReplacedKernel } from "../../src/kernels/register";
import { matMulConfig } from "../../src/kernels/matMul";

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

/** One implementation for the harness: the plain-tfjs copy, `mode` kernels on `backend`, `steps` Adam steps per repetition. */
function implementation(name: string, backend: BackendName, mode: Mode, steps: number, repetitions?: number): Implementation {
  let p: Params | null = null;
  let opt: tf.Optimizer | null = null;
  let batches: { x: Float32Array; eps: Float32Array }[] = [];
  let original: BackendName = "wasm";
  const enter = async () => {
    await useBackend(backend);
    if (backend === "wasm") setMode(mode);
  };
  return {
    name,
    backend: `tfjs ${backend}`,
    repetitions,
    rooflineBackend: backend,
    async setup() {
      original = (await initBackend()).name;
      await enter();
      this.backend = `tfjs ${backend}, ${mode === "latentlab" ? "latentlab kernels (registerWasmKernels)" : "stock tfjs kernels"}, plain copy of the step`;
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
      return { ms, units: steps * B, metrics: { msPerStep: +(ms / steps).toFixed(2), loss: +loss.toFixed(3) } };
    },
    async teardown() {
      opt?.dispose();
      if (p) tf.dispose(Object.values(p));
      await useBackend(original);
      registerWasmKernels();
    },
  };
}

type VaeLike = import("../../src/models/vae").Vae;

/**
 * The dense layers as they were before tf.fused.matMul (matMul, then add, then relu as separate
 * kernels), patched onto Vae's prototype while the ablation runs, to measure the change in the
 * same run. The bench only; the library has no switch for it.
 */
function withUnfusedDense(VaeClass: { prototype: object }): () => void {
  const proto = VaeClass.prototype as Record<string, unknown>;
  const saved = { dense: proto.dense, denseAct: proto.denseAct };
  proto.dense = function (this: { p(n: string): tf.Variable }, name: string, x: tf.Tensor) {
    return tf.add(tf.matMul(x as tf.Tensor2D, this.p(`${name}/kernel`) as tf.Tensor2D), this.p(`${name}/bias`));
  };
  proto.denseAct = function (this: { dense(n: string, x: tf.Tensor): tf.Tensor; act(t: tf.Tensor): tf.Tensor }, name: string, x: tf.Tensor) {
    return this.act(this.dense(name, x));
  };
  return () => Object.assign(proto, saved);
}

/**
 * latentlab's own model: createVae (784-400-20 ReLU, Bernoulli) from src/models, one step exactly
 * as trainVae's inner loop runs it (vaeTerms + vaeLoss under tf.variableGrads, loss and both
 * terms read back, tf.train.adam's update), on fixed pre-binarized batches.
 */
/**
 * The kernels as they were before this round of work (bench ablation): XNNPACK always packs
 * the right operand (no fresh-operand swap), Identity copies, tfjs's scalar Softplus.
 */
function withPreviousKernels(): () => void {
  matMulConfig.swapFreshRight = false;
  useReplacedKernel("Identity", false);
  useReplacedKernel("Softplus", false);
  return () => {
    matMulConfig.swapFreshRight = true;
    useReplacedKernel("Identity", true);
    useReplacedKernel("Softplus", true);
  };
}

function libraryImplementation(name: string, backend: BackendName, steps: number, opts: { repetitions?: number; unfused?: boolean; previousKernels?: boolean } = {}): Implementation {
  let model: VaeLike | null = null;
  let opt: tf.Optimizer | null = null;
  let batches: { x: Float32Array; eps: Float32Array }[] = [];
  let original: BackendName = "wasm";
  let lib: { vaeTerms: typeof import("../../src/models/objective").vaeTerms; vaeLoss: typeof import("../../src/models/objective").vaeLoss; Vae: { prototype: object } } | null = null;
  const libStep = (batch: { x: Float32Array; eps: Float32Array }): number => {
    const { vaeTerms, vaeLoss } = lib!;
    const vars = [...model!.params.values()];
    let terms: tf.Tensor | null = null;
    const { grads, values } = tf.tidy(() => {
      const xt = tf.tensor2d(batch.x, [B, D]);
      const et = tf.tensor2d(batch.eps, [B, Z]);
      const g = tf.variableGrads(() => {
        const t = vaeTerms(model!, xt, et, 1, "analytic");
        terms = tf.keep(tf.stack([tf.neg(tf.mean(t.recon)), tf.mean(t.kl)]));
        return vaeLoss(t, 1, 0);
      }, vars);
      return { grads: g.grads, values: tf.reshape(g.value, [1]) };
    });
    const [loss] = values.dataSync();
    (terms as unknown as tf.Tensor).dataSync();
    tf.dispose([values, terms as unknown as tf.Tensor]);
    opt!.applyGradients(grads);
    tf.dispose(grads);
    return loss;
  };
  const timed = (fn: () => number): number => {
    const restore = opts.unfused ? withUnfusedDense(lib!.Vae) : null;
    const restoreKernels = opts.previousKernels ? withPreviousKernels() : null;
    try {
      return fn();
    } finally {
      restore?.();
      restoreKernels?.();
    }
  };
  return {
    name,
    backend: `tfjs ${backend}`,
    repetitions: opts.repetitions,
    rooflineBackend: backend,
    async setup() {
      original = (await initBackend()).name;
      await useBackend(backend);
      if (backend === "wasm") registerWasmKernels();
      const vaeMod = await import("../../src/models/vae");
      const obj = await import("../../src/models/objective");
      lib = { vaeTerms: obj.vaeTerms, vaeLoss: obj.vaeLoss, Vae: vaeMod.Vae };
      this.backend = `tfjs ${backend}${backend === "wasm" ? ", latentlab kernels" : ""}, src/models Vae${opts.unfused ? " with matMul + add + relu (before)" : " (fused dense layers)"}${opts.previousKernels ? ", kernels before (no operand swap, copying Identity, stock Softplus)" : ""}`;
      batches = makeBatches(4, new Rng(0));
      model = vaeMod.createVae({ latentDim: Z, hidden: [H] }, new Rng(1));
      opt = tf.train.adam(1e-3);
      timed(() => libStep(batches[0]));
    },
    async run() {
      await useBackend(backend);
      if (backend === "wasm") registerWasmKernels();
      let loss = 0;
      const ms = timed(() => {
        libStep(batches[1]);
        const t0 = performance.now();
        for (let i = 0; i < steps; i++) loss = libStep(batches[i % batches.length]);
        return performance.now() - t0;
      });
      return { ms, units: steps * B, metrics: { msPerStep: +(ms / steps).toFixed(2), loss: +loss.toFixed(3) } };
    },
    async teardown() {
      opt?.dispose();
      model?.dispose();
      await useBackend(original);
    },
  };
}

/** PyTorch on the same batches (a long-lived /usr/bin/python3 process, bench/peers/vae_step_torch.py). */
function torchImplementation(threads: number, steps: number): Implementation {
  let peer: PythonPeer | null = null;
  return {
    name: `PyTorch ${threads} thread${threads > 1 ? "s" : ""}`,
    backend: `PyTorch (python3-torch), torch.set_num_threads(${threads})`,
    external: true,
    async setup() {
      const missing = await PythonPeer.missing(["torch", "numpy"]);
      if (missing) throw new Skip(missing.replace("python3-sklearn", "python3-torch"));
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "latentlab-vae-step-"));
      const batches = makeBatches(4, new Rng(0));
      fs.writeFileSync(path.join(dir, "meta.json"), JSON.stringify({ batch: B, D, H, Z, batches: batches.length }));
      fs.writeFileSync(path.join(dir, "x_f32.bin"), Buffer.concat(batches.map((b) => Buffer.from(b.x.buffer))));
      fs.writeFileSync(path.join(dir, "eps_f32.bin"), Buffer.concat(batches.map((b) => Buffer.from(b.eps.buffer))));
      peer = new PythonPeer(path.join(__dirname, "..", "peers", "vae_step_torch.py"), ["--data", dir, "--threads", String(threads)]);
      await peer.start();
    },
    async run() {
      const r = await peer!.request({ steps });
      const ms = r.ms as number;
      return { ms, units: steps * B, peakRssMB: r.peakRssMB as number, metrics: { msPerStep: +(ms / steps).toFixed(2), loss: +(r.loss as number).toFixed(3) } };
    },
    async teardown() {
      await peer?.stop();
    },
  };
}

/** The harness registry entry (bench/run.ts). */
export const workloads: Workload[] = [
  {
    name: "mlp-vae-step",
    description: "MLP VAE train step 784-400-20 ReLU, batch 128, Bernoulli BCE + analytic KL, Adam 1e-3: src/models' Vae, a plain-tfjs copy on stock kernels, PyTorch",
    flopsPerUnit: MLP_VAE_STEP_FLOPS / B,
    unit: "images",
    repetitions: 7,
    reference: "PyTorch 1 thread",
    async implementations() {
      const info = await initBackend();
      // 20 steps per repetition (10 for the slow stock-kernel copy and the cpu backend, ~0.8 s
      // per step, which also gets only 2 repetitions); throughput is per image, so rows compare.
      const impls: Implementation[] = [];
      if (info.name === "wasm") {
        impls.push(
          libraryImplementation("latentlab Vae", "wasm", 20),
          torchImplementation(1, 20),
          libraryImplementation("latentlab Vae, unfused dense (before)", "wasm", 20, { unfused: true }),
          libraryImplementation("latentlab Vae, unfused dense + kernels before", "wasm", 20, { unfused: true, previousKernels: true }),
          implementation("tfjs wasm (stock kernels)", "wasm", "tfjs", 10),
          torchImplementation(2, 20),
          libraryImplementation("latentlab Vae, cpu backend", "cpu", 10, { repetitions: 2 }),
        );
      } else {
        impls.push(libraryImplementation(`latentlab Vae, ${info.name} backend`, info.name, 20), torchImplementation(1, 20), torchImplementation(2, 20));
      }
      return impls;
    },
    notes: [
      `FLOPs per step: ${MLP_VAE_STEP_FLOPS} (matmuls: forward, ∂W of all layers, ∂input of all but the first); roofline = FLOPs / time / the same-run 512² matmul GFLOPS of that backend.`,
      "latentlab Vae = createVae + vaeTerms/vaeLoss + tf.train.adam exactly as trainVae steps (pre-binarized batches); on wasm with latentlab kernels: untransposed matMul, SIMD fused Adam, dense layers as tf.fused.matMul (bias + ReLU in the product).",
      "'unfused dense (before)' patches the Vae's dense layers back to matMul + add + relu in this run: the fused-matMul change, measured.",
      "'unfused dense + kernels before' also puts back the kernels as they were before this change: no fresh-right-operand swap in matMul, copying Identity, tfjs's scalar Softplus (the state measured at 5,092–5,229 images/s).",
      "tfjs wasm (stock kernels) = plain-tfjs copy of the step with tfjs's own wasm kernels and optimizer (what the step cost before src/kernels).",
      "Same batches and noise ε for every implementation (PyTorch reads them from a temp file); PyTorch initializes its own weights.",
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
