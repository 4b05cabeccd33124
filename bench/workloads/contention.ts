/**
 * Probe (stand-alone, not a registered workload): how much two gradient computations slow each
 * other when they run at the same time — as two threads of one process (what DataParallel does)
 * and as two processes — with the time of every wasm kernel, so that a 2-worker step's shortfall
 * can be told apart from what the machine's shared hardware (caches, memory, clocks) takes.
 *
 *   npx tsx bench/workloads/contention.ts [mlp-vae|conv-vae|vqvae|pixelcnn] [--rows N] [--steps N] [--rounds N]
 *   npx tsx bench/workloads/contention.ts conv-vae --profile [--rows 128]
 *
 * --profile: one thread only, ms per gradient in each kernel by input shapes, and the sha256 of
 * the first gradient (to check that a kernel change keeps every bit; −0 is hashed as +0).
 *
 * Each runner (the main thread, a worker thread, two child processes) holds the train-step
 * model (bench/workloads/trainables.ts, seed 7) and computes the gradient of its loss on the same
 * N rows (default: half of train-step's batch, one 2-worker shard). Every round runs, in turn:
 * each thread alone, both threads together, each process alone, both processes together; the
 * table gives the medians over rounds of ms per gradient and together/alone.
 */
import { spawn, type ChildProcess } from "child_process";
import { createHash } from "crypto";
import { Worker, isMainThread, parentPort, workerData } from "worker_threads";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../src/runtime/backend";
import { Rng } from "../../src/runtime/rng";
import type { StepContext, Trainable } from "../../src/train/loop";
import { pixelCnnTrainable, vaeTrainable, vqvaeTrainable } from "./trainables";

const MODELS: Record<string, { rows: number; make(): Trainable }> = {
  "mlp-vae": { rows: 64, make: () => vaeTrainable("mlp", 7) },
  "conv-vae": { rows: 64, make: () => vaeTrainable("conv", 7) },
  vqvae: { rows: 64, make: () => vqvaeTrainable(7) },
  pixelcnn: { rows: 32, make: () => pixelCnnTrainable(7) },
};

interface Options { model: string; rows: number; steps: number; rounds: number; profile: boolean }
/** One timed run: ms per gradient, and ms per gradient spent in each wasm kernel. */
interface Timed { ms: number; kernels: Record<string, number> }

function usage(why: string): never {
  console.error(`contention: ${why}\nusage: npx tsx bench/workloads/contention.ts [${Object.keys(MODELS).join("|")}] [--rows N] [--steps N] [--rounds N] [--profile]`);
  process.exit(2);
}

function parseArgs(argv: string[]): Options {
  const o: Options = { model: "conv-vae", rows: 0, steps: 20, rounds: 5, profile: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--rows" || a === "--steps" || a === "--rounds") {
      const v = Number(argv[++i]);
      if (!Number.isInteger(v) || v < 1) usage(`${a} needs a positive integer, got ${JSON.stringify(argv[i] ?? "")}`);
      o[a.slice(2) as "rows" | "steps" | "rounds"] = v;
    } else if (a === "--profile") o.profile = true;
    else if (a in MODELS) o.model = a;
    else usage(`unknown argument ${JSON.stringify(a)}`);
  }
  if (o.rows === 0) o.rows = MODELS[o.model].rows;
  if (o.rows > 128) usage(`--rows is at most 128 (the probe's batch of digits), got ${o.rows}`);
  return o;
}

/**
 * Time every wasm kernel (re-registered with a wrapper; the time includes the wrapper's call),
 * by kernel name, or by name and input shapes when `byShape`.
 */
function wrapKernels(acc: Map<string, number>, byShape = false): void {
  for (const k of tf.getKernelsForBackend("wasm")) {
    const f = k.kernelFunc;
    tf.unregisterKernel(k.kernelName, "wasm");
    tf.registerKernel({
      ...k,
      kernelFunc: (args) => {
        const t = performance.now();
        const r = f(args);
        const key = byShape ? `${k.kernelName} ${Object.entries(args.inputs).map(([n, v]) => `${n} [${(v as { shape: number[] }).shape}]`).join(", ")}` : k.kernelName;
        acc.set(key, (acc.get(key) ?? 0) + performance.now() - t);
        return r;
      },
    });
  }
}

/** A runner: the model's phase-0 gradient on `rows` fixed rows, timed over `steps` repetitions. */
async function runner(o: Options): Promise<(steps: number) => Timed> {
  return (await gradientRunner(o)).run;
}

/** The runner, and a sha256 of the first gradient (every variable's, by name) to compare builds bit for bit. */
async function gradientRunner(o: Options): Promise<{ run: (steps: number) => Timed; digest: string }> {
  await initBackend();
  const acc = new Map<string, number>();
  wrapKernels(acc, o.profile);
  const model = MODELS[o.model].make();
  const rng = new Rng(1);
  const D = 784;
  const x = new Float32Array(128 * D).map((_, i) => ((i * 7919) % 1000) / 1000);
  const phase = model.phases()[0];
  const first = tf.tidy(() => {
    const ctx: StepContext = { epoch: 1, batch: 0, batchesPerEpoch: 10, step: 0, rng: new Rng(1) };
    const inputs = model.prepareBatch({ x: x.subarray(0, o.rows * D), size: o.rows, rowSize: D }, ctx);
    return tf.variableGrads(() => phase.loss(inputs, ctx).loss, phase.variables()).grads;
  });
  const hash = createHash("sha256");
  // −0 counted as +0: a masked tap's zero gradient may change sign with the route that computes it.
  for (const name of Object.keys(first).sort()) hash.update(name).update(new Uint8Array(Float32Array.from(first[name].dataSync(), (v) => v + 0).buffer));
  tf.dispose(Object.values(first));
  const digest = hash.digest("hex");
  const one = () => {
    const ctx: StepContext = { epoch: 1, batch: 0, batchesPerEpoch: 10, step: 0, rng };
    const inputs = tf.tidy(() => model.prepareBatch({ x: x.subarray(0, o.rows * D), size: o.rows, rowSize: D }, ctx));
    const g = tf.variableGrads(() => phase.loss(inputs, ctx).loss, phase.variables());
    g.value.dataSync();
    tf.dispose([g.value, ...Object.values(g.grads), ...Object.values(inputs)]);
  };
  for (let i = 0; i < 5; i++) one();
  const run = (steps: number): Timed => {
    acc.clear();
    const t = performance.now();
    for (let i = 0; i < steps; i++) one();
    const ms = (performance.now() - t) / steps;
    const kernels: Record<string, number> = {};
    for (const [k, v] of acc) kernels[k] = v / steps;
    return { ms, kernels };
  };
  return { run, digest };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/** Ask a worker or child process for a timed run. */
function ask(peer: Worker | ChildProcess, steps: number): Promise<Timed> {
  return new Promise((resolve, reject) => {
    const onExit = (code: number) => reject(new Error(`a runner exited (code ${code}) before answering`));
    peer.once("exit", onExit);
    peer.once("message", (m: Timed) => {
      peer.off("exit", onExit);
      resolve(m);
    });
    if (peer instanceof Worker) peer.postMessage(steps);
    else peer.send(steps);
  });
}

/** One thread, no pairing: ms per gradient in each kernel call site (name and input shapes). */
async function profile(o: Options): Promise<void> {
  const { run, digest } = await gradientRunner(o);
  const runs = Array.from({ length: o.rounds }, () => run(o.steps));
  const ms = median(runs.map((t) => t.ms));
  const names = Object.keys(runs[0].kernels);
  const k = (n: string) => median(runs.map((t) => t.kernels[n] ?? 0));
  names.sort((a, b) => k(b) - k(a));
  console.log(`${o.model}: gradient of ${o.rows} rows on one thread, ${o.steps} steps × ${o.rounds} rounds: ${ms.toFixed(2)} ms (median)`);
  console.log(`sha256 of the first gradient (compare two builds bit for bit): ${digest}`);
  console.log(`| kernel and inputs | ms per gradient | share |`);
  console.log(`|---|---|---|`);
  for (const n of names) if (k(n) >= 0.05) console.log(`| ${n} | ${k(n).toFixed(2)} | ${((100 * k(n)) / ms).toFixed(1)}% |`);
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  if (o.profile) return profile(o);
  const args = [o.model, "--rows", String(o.rows)];
  const worker = new Worker(`require("tsx/cjs/api").register(); require(${JSON.stringify(__filename)});`, {
    eval: true,
    workerData: { role: "worker", args },
  });
  const kids = [0, 1].map(() => spawn(process.execPath, ["--import", "tsx", __filename, ...args], {
    stdio: ["ignore", "ignore", "inherit", "ipc"],
    env: { ...process.env, LATENTLAB_CONTENTION_CHILD: "1" },
  }));
  const stop = () => {
    void worker.terminate();
    for (const k of kids) k.kill();
  };
  try {
    const run = await runner(o);
    await Promise.all([worker, ...kids].map((p) => new Promise((r, j) => {
      p.once("message", r);
      p.once("exit", (c: number) => j(new Error(`a runner exited (code ${c}) while starting`)));
    })));
    const rec: Record<string, Timed[]> = { tA: [], tB: [], tAB_A: [], tAB_B: [], pA: [], pB: [], pAB_A: [], pAB_B: [] };
    for (let r = 0; r < o.rounds; r++) {
      rec.tA.push(run(o.steps));
      rec.tB.push(await ask(worker, o.steps));
      const w = ask(worker, o.steps);
      rec.tAB_A.push(run(o.steps));
      rec.tAB_B.push(await w);
      rec.pA.push(await ask(kids[0], o.steps));
      rec.pB.push(await ask(kids[1], o.steps));
      const [a, b] = await Promise.all([ask(kids[0], o.steps), ask(kids[1], o.steps)]);
      rec.pAB_A.push(a);
      rec.pAB_B.push(b);
    }
    const ms = (k: string) => median(rec[k].map((t) => t.ms));
    const f = (v: number) => v.toFixed(2);
    console.log(`${o.model}: gradient of ${o.rows} rows, ${o.steps} steps × ${o.rounds} rounds; medians of ms per gradient`);
    console.log(`| runners | A alone | B alone | A together | B together | A slowdown | B slowdown |`);
    console.log(`|---|---|---|---|---|---|---|`);
    console.log(`| 2 threads of one process (A main, B worker) | ${f(ms("tA"))} | ${f(ms("tB"))} | ${f(ms("tAB_A"))} | ${f(ms("tAB_B"))} | ${(ms("tAB_A") / ms("tA")).toFixed(2)}× | ${(ms("tAB_B") / ms("tB")).toFixed(2)}× |`);
    console.log(`| 2 processes | ${f(ms("pA"))} | ${f(ms("pB"))} | ${f(ms("pAB_A"))} | ${f(ms("pAB_B"))} | ${(ms("pAB_A") / ms("pA")).toFixed(2)}× | ${(ms("pAB_B") / ms("pB")).toFixed(2)}× |`);
    const kern = (k: string, name: string) => median(rec[k].map((t) => t.kernels[name] ?? 0));
    const names = Object.keys(rec.tA[0].kernels).sort((a, b) => kern("tA", b) - kern("tA", a)).filter((n) => kern("tA", n) >= 0.1);
    console.log(`\nper kernel, main thread (ms per gradient): alone → together with the worker; the same for process A`);
    console.log(`| kernel | thread alone | together | ratio | process alone | together | ratio |`);
    console.log(`|---|---|---|---|---|---|---|`);
    for (const n of names) {
      console.log(`| ${n} | ${f(kern("tA", n))} | ${f(kern("tAB_A", n))} | ${(kern("tAB_A", n) / kern("tA", n)).toFixed(2)} | ${f(kern("pA", n))} | ${f(kern("pAB_A", n))} | ${(kern("pAB_A", n) / kern("pA", n)).toFixed(2)} |`);
    }
    const sumK = (k: string) => median(rec[k].map((t) => Object.values(t.kernels).reduce((s, v) => s + v, 0)));
    console.log(`| (all kernels) | ${f(sumK("tA"))} | ${f(sumK("tAB_A"))} | ${(sumK("tAB_A") / sumK("tA")).toFixed(2)} | ${f(sumK("pA"))} | ${f(sumK("pAB_A"))} | ${(sumK("pAB_A") / sumK("pA")).toFixed(2)} |`);
  } finally {
    stop();
  }
}

/** A worker thread or child process: answer each request for `steps` with a timed run. */
async function serve(argv: string[], send: (m: Timed | string) => void, on: (f: (steps: number) => void) => void): Promise<void> {
  const run = await runner(parseArgs(argv));
  on((steps) => send(run(steps)));
  send("ready");
}

if (!isMainThread && workerData?.role === "worker") {
  void serve(workerData.args, (m) => parentPort!.postMessage(m), (f) => parentPort!.on("message", f));
} else if (process.env.LATENTLAB_CONTENTION_CHILD === "1" && process.send) {
  process.on("disconnect", () => process.exit(0));
  void serve(process.argv.slice(2), (m) => process.send!(m), (f) => process.on("message", (s: number) => f(s)));
} else if (require.main === module) {
  main().then(() => process.exit(0), (e) => {
    console.error(`contention: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  });
}
