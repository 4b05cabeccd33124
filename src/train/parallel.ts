/**
 * Data-parallel gradients on worker threads (issue 18). TensorFlow.js's wasm backend computes
 * on one thread in Node; with T threads, a minibatch of n examples is split into T contiguous
 * shards of n_k rows (the main thread computes shard 0 on the model itself, worker k − 1 computes
 * shard k on a replica with its own wasm backend), and because every phase's loss is a mean over
 * the batch,
 *
 *   ∇θ L(batch) = Σ_k ∇θ [(n_k / n) L(shard k)],      L(batch) = Σ_k (n_k / n) L(shard k)
 *
 * (likewise for every reported term; each shard scales its loss by n_k / n before
 * backpropagating, so its gradient arrives weighted). The sum runs in the fixed order
 * k = 0, 1, …, T − 1, so a
 * run is deterministic for a seed and a thread count; it equals the one-thread gradient up to
 * float32 summation order. The optimizer step stays on the main thread (one update, as with one
 * thread), so the replicas hold no optimizer state: before each phase the main thread writes the
 * variables that changed since the last step (after Adam: all of the phase's; after an EMA or a
 * dead-code restart: those too) into shared memory, and each worker copies them into its replica.
 * The variables are the phases' and the model's `state()` (read by a loss, not trained: an EMA
 * codebook). Inputs go the same way (each worker's rows only), gradients come back through
 * shared memory.
 *
 * A model's `afterStepRows` (a row-wise pass after the update, e.g. the VQ-VAE re-encoding its
 * batch for the code counts) is sharded the same way by `rows`: each thread computes its rows
 * under the updated variables, and the main thread concatenates them in batch order.
 *
 * A replica is rebuilt in the worker from `model.replica()` = { module, factory, args }:
 * `require(module)[factory](...args)` (awaited) must give a Trainable whose phases have the same
 * variables in the same order and shapes (checked when the workers start). `module` should be an
 * absolute path (e.g. `__filename` of the model's file) or a package name; a `.ts` module is
 * loaded through tsx when tsx is installed (tests, benchmarks), compiled `.js` otherwise.
 *
 * Failure never gives a wrong result: a worker that throws, exits, or does not answer within the
 * timeout is stopped, a warning says why, the step is computed on the main thread alone, and so
 * is every later step (one thread).
 */
import * as fs from "fs";
import * as path from "path";
import * as tf from "@tensorflow/tfjs";
import { Worker } from "worker_threads";
import type { StepContext, Trainable } from "./loop";

export interface DataParallelOptions {
  /** Where warnings go (default console.warn). */
  onWarning?: (message: string) => void;
  /** Longest wait for a worker's first answer (default 120 s: start-up and compilation). */
  firstTimeoutMs?: number;
  /** Later steps: a worker is given max(minTimeoutMs, 50 × the main thread's own shard time) (default 10 s). */
  minTimeoutMs?: number;
}

export interface ShardedGradients {
  /** Gradients of the batch-mean loss, keyed by variable name (like tf.variableGrads). */
  grads: Record<string, tf.Tensor>;
  /** The batch-mean loss. */
  loss: number;
  /** The batch-mean terms. */
  terms: Record<string, number>;
}

interface VarInfo { shape: number[]; dtype: string; offset: number; length: number }

/**
 * Where a data-parallel step's time goes, summed over the `gradients` calls since the workers
 * started (or since `resetTimings()`), in milliseconds of wall time on the main thread: writing
 * changed variables to shared memory, copying the workers' rows and posting, the main thread's own
 * shard, waiting for the workers after it, and summing the shards' gradients; the first worker's
 * own split of its shard (copying variables and rows in, computing, copying gradients out); and
 * the whole of the `rows` calls. What `fit` does outside these (preparing the batch, the optimizer
 * step, afterStep without its rows) runs on the main thread alone, and the bench reports it as the
 * step's time minus these.
 */
export interface DataParallelTimings {
  steps: number;
  weightsMs: number;
  postMs: number;
  mainShardMs: number;
  waitMs: number;
  sumMs: number;
  workerInMs: number;
  workerComputeMs: number;
  workerOutMs: number;
  /** `rows` calls and their total wall time. */
  rowsCalls: number;
  rowsMs: number;
}

interface WorkerReply {
  type: "ready" | "done" | "fail" | "error";
  id?: number;
  message?: string;
  shapes?: number[][];
  dtypes?: string[];
  phases?: number[][];
  state?: number[];
  loss?: number;
  termNames?: string[];
  termValues?: number[];
  present?: number[];
  /** The worker's copy-in, compute and copy-out times (ms). */
  ms?: number[];
  /** A rows answer: each output's shape, dtype and values (in a shared buffer the worker reuses). */
  rows?: { name: string; shape: number[]; dtype: "float32" | "int32"; buffer: SharedArrayBuffer; length: number }[];
}

/** The worker's program (plain CommonJS, run with `eval`; module paths come in workerData). */
const WORKER = String.raw`
const { parentPort, workerData } = require("worker_threads");
const fail = (e) => String((e && e.stack) || e);
(async () => {
  if (workerData.tsx) require(workerData.tsx).register();
  const backend = require(workerData.backend);
  await backend.initBackend();
  const tf = require(workerData.tfjs);
  if (tf.getBackend() !== "wasm") throw new Error("the worker's backend is " + tf.getBackend() + ", not wasm");
  const { Rng } = require(workerData.rng);
  const rep = workerData.replica;
  const model = await require(rep.module)[rep.factory](...rep.args);
  const phases = model.phases();
  const union = [];
  const index = new Map();
  const add = (v) => {
    if (!index.has(v)) { index.set(v, union.length); union.push(v); }
    return index.get(v);
  };
  const phaseVars = phases.map((p) => p.variables().map(add));
  const stateVars = (typeof model.state === "function" ? model.state() : []).map(add);
  parentPort.postMessage({ type: "ready", shapes: union.map((v) => v.shape), dtypes: union.map((v) => v.dtype), phases: phaseVars, state: stateVars });
  let layout = null;
  const rng = new Rng(0);
  const be = tf.backend();
  const heap = (t) => (typeof be.typedArrayFromHeap === "function" ? be.typedArrayFromHeap(t) : t.dataSync());
  const rowBuffers = new Map();
  parentPort.on("message", (m) => {
    if (m.type === "layout") { layout = m; return; }
    if (m.type !== "step" && m.type !== "rows") return;
    let inputs = {};
    const t0 = performance.now();
    try {
      const w = new Float32Array(layout.weights);
      for (const i of m.dirty) {
        const v = union[i];
        const info = layout.vars[i];
        const t = tf.tensor(w.subarray(info.offset, info.offset + info.length), v.shape, "float32");
        v.assign(t);
        t.dispose();
      }
      for (const d of m.inputs) {
        const A = d.dtype === "int32" ? Int32Array : Float32Array;
        inputs[d.name] = tf.tensor(new A(m.inputBuffer, d.byteOffset, d.length), d.shape, d.dtype);
      }
      const ctx = Object.assign({}, m.ctx, { rng });
      if (m.type === "rows") {
        const t1 = performance.now();
        const out = tf.tidy(() => model.afterStepRows(inputs, ctx));
        const t2 = performance.now();
        const rows = [];
        try {
          for (const name of Object.keys(out)) {
            const t = out[name];
            if (t.dtype !== "float32" && t.dtype !== "int32") throw new Error("afterStepRows gave \"" + name + "\" as " + t.dtype + "; only float32 and int32 rows come back from workers");
            let buffer = rowBuffers.get(name);
            if (!buffer || buffer.byteLength < t.size * 4) rowBuffers.set(name, (buffer = new SharedArrayBuffer(Math.ceil(t.size * 4 * 1.25))));
            new (t.dtype === "int32" ? Int32Array : Float32Array)(buffer, 0, t.size).set(heap(t));
            rows.push({ name, shape: t.shape, dtype: t.dtype, buffer, length: t.size });
          }
        } finally {
          tf.dispose(Object.values(out));
        }
        parentPort.postMessage({ type: "done", id: m.id, rows, ms: [t1 - t0, t2 - t1, performance.now() - t2] });
        return;
      }
      const phase = phases[m.phase];
      const vars = phase.variables();
      const t1 = performance.now();
      let termNames = [];
      let termsT = null;
      const res = tf.tidy(() => {
        const g = tf.variableGrads(() => {
          const out = phase.loss(inputs, ctx);
          termNames = Object.keys(out.terms || {});
          if (termNames.length) termsT = tf.keep(tf.stack(termNames.map((k) => out.terms[k])));
          return m.scale === 1 ? out.loss : tf.mul(out.loss, m.scale);
        }, vars);
        return { grads: g.grads, value: tf.reshape(g.value, [1]) };
      });
      const loss = res.value.dataSync()[0];
      const termValues = termsT ? Array.from(termsT.dataSync()) : [];
      const t2 = performance.now();
      const out = new Float32Array(layout.grads);
      const present = [];
      for (const v of vars) {
        const g = res.grads[v.name];
        if (!g) continue;
        const i = index.get(v);
        const info = layout.vars[i];
        out.set(heap(g), info.offset);
        present.push(i);
      }
      tf.dispose([res.value, ...(termsT ? [termsT] : []), ...Object.values(res.grads)]);
      parentPort.postMessage({ type: "done", id: m.id, loss, termNames, termValues, present, ms: [t1 - t0, t2 - t1, performance.now() - t2] });
    } catch (e) {
      parentPort.postMessage({ type: "fail", id: m.id, message: fail(e) });
    } finally {
      tf.dispose(Object.values(inputs));
    }
  });
})().catch((e) => parentPort.postMessage({ type: "error", message: fail(e) }));
`;

/**
 * A module's file: an absolute (or this-file-relative) path with or without its extension, as
 * compiled JavaScript or as TypeScript (tests and benchmarks run the sources), else a package.
 */
function resolveModule(spec: string, base = __dirname): string {
  if (path.isAbsolute(spec) || spec.startsWith(".")) {
    const p = path.resolve(base, spec);
    for (const ext of ["", ".js", ".ts", "/index.js", "/index.ts"]) {
      if (fs.existsSync(p + ext) && fs.statSync(p + ext).isFile()) return p + ext;
    }
    throw new Error(`Cannot find module '${p}' (tried .js and .ts)`);
  }
  return require.resolve(spec);
}

function tsxHook(paths: string[]): string | null {
  if (!paths.some((p) => /\.[cm]?tsx?$/.test(p))) return null;
  try {
    return require.resolve("tsx/cjs/api");
  } catch {
    return null;
  }
}

/** One worker thread and its shared buffers. */
class Replica {
  readonly worker: Worker;
  grads!: SharedArrayBuffer;
  input = new SharedArrayBuffer(0);
  private waiting: { id: number; resolve: (r: WorkerReply) => void } | null = null;
  private readyResolve: ((r: WorkerReply) => void) | null = null;
  dead: string | null = null;

  constructor(workerData: Record<string, unknown>) {
    this.worker = new Worker(WORKER, { eval: true, workerData, env: { ...process.env, LATENTLAB_BACKEND: "wasm" } });
    this.worker.unref();
    this.worker.on("message", (m: WorkerReply) => {
      if (m.type === "ready" || m.type === "error") {
        if (m.type === "error") this.dead = m.message ?? "start-up failed";
        this.readyResolve?.(m);
        this.readyResolve = null;
        if (m.type === "error") this.settle({ type: "error", message: m.message });
        return;
      }
      if (this.waiting && m.id === this.waiting.id) this.settle(m);
    });
    this.worker.on("error", (e) => this.die(`the worker threw ${String((e as Error)?.stack ?? e)}`));
    this.worker.on("exit", (code) => this.die(`the worker exited (code ${code})`));
  }

  private settle(m: WorkerReply): void {
    const w = this.waiting;
    this.waiting = null;
    w?.resolve(m);
  }

  private die(why: string): void {
    if (!this.dead) this.dead = why;
    this.readyResolve?.({ type: "error", message: why });
    this.readyResolve = null;
    this.settle({ type: "error", message: why });
  }

  ready(timeoutMs: number): Promise<WorkerReply> {
    return withTimeout(new Promise<WorkerReply>((resolve) => (this.readyResolve = resolve)), timeoutMs, "starting");
  }

  /** Post a step and wait for its answer (or a failure, or the timeout). */
  run(msg: Record<string, unknown> & { id: number }, timeoutMs: number): Promise<WorkerReply> {
    if (this.dead) return Promise.resolve({ type: "error", message: this.dead });
    const p = new Promise<WorkerReply>((resolve) => (this.waiting = { id: msg.id, resolve }));
    this.worker.postMessage(msg);
    return withTimeout(p, timeoutMs, "computing its shard");
  }
}

function withTimeout(p: Promise<WorkerReply>, ms: number, what: string): Promise<WorkerReply> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<WorkerReply>((resolve) => {
    timer = setTimeout(() => resolve({ type: "error", message: `no answer after ${Math.round(ms)} ms ${what}` }), ms);
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

/** Split n rows into `parts` contiguous shards (sizes differ by at most one, larger first). */
export function shardSizes(n: number, parts: number): number[] {
  const base = Math.floor(n / parts);
  const extra = n % parts;
  return Array.from({ length: parts }, (_, k) => base + (k < extra ? 1 : 0));
}

/** A float32 / int32 copy source for a tensor: a view on the wasm heap when possible. */
function dataOf(t: tf.Tensor): Float32Array | Int32Array {
  const be = tf.backend() as unknown as { typedArrayFromHeap?: (t: tf.Tensor) => Float32Array | Int32Array };
  return typeof be.typedArrayFromHeap === "function" ? be.typedArrayFromHeap(t) : (t.dataSync() as Float32Array | Int32Array);
}

/**
 * The gradient of `scale` × one phase's loss on the main thread: grads, the scaled loss and the
 * scaled terms (values). scale = n_k / n for a shard, 1 for a whole batch.
 */
/** One thread: the gradient of phase `phaseIndex`'s loss (times `scale`) on `inputs`, with the loss and terms. */
export function localGradients(model: Trainable, phaseIndex: number, inputs: Record<string, tf.Tensor>, ctx: StepContext, scale = 1): ShardedGradients {
  const phase = model.phases()[phaseIndex];
  const vars = phase.variables();
  let termNames: string[] = [];
  let termsT: tf.Tensor | null = null;
  const { grads, value } = tf.tidy(() => {
    const g = tf.variableGrads(() => {
      const out = phase.loss(inputs, ctx);
      termNames = Object.keys(out.terms ?? {});
      if (termNames.length) termsT = tf.keep(tf.stack(termNames.map((k) => out.terms![k])));
      return scale === 1 ? out.loss : (tf.mul(out.loss, scale) as tf.Scalar);
    }, vars);
    return { grads: g.grads, value: tf.reshape(g.value, [1]) };
  });
  const loss = value.dataSync()[0];
  const termValues = termsT ? Array.from((termsT as tf.Tensor).dataSync()) : [];
  tf.dispose([value, ...(termsT ? [termsT as tf.Tensor] : [])]);
  const terms: Record<string, number> = {};
  termNames.forEach((k, i) => (terms[k] = termValues[i] * scale));
  return { grads, loss, terms };
}

let nextId = 1;

export class DataParallel {
  /** Threads in use (the main thread and threads − 1 workers). */
  readonly threads: number;
  private readonly model: Trainable;
  private readonly replicas: Replica[];
  private readonly union: tf.Variable[];
  private readonly vars: VarInfo[];
  private readonly weights: SharedArrayBuffer;
  private readonly sent = new Map<number, object>();
  private readonly warn: (m: string) => void;
  private readonly opts: DataParallelOptions;
  private firstStep = true;
  private broken = false;
  private lastMainMs = 0;
  private readonly sums: DataParallelTimings = { steps: 0, weightsMs: 0, postMs: 0, mainShardMs: 0, waitMs: 0, sumMs: 0, workerInMs: 0, workerComputeMs: 0, workerOutMs: 0, rowsCalls: 0, rowsMs: 0 };

  private constructor(model: Trainable, replicas: Replica[], union: tf.Variable[], vars: VarInfo[], weights: SharedArrayBuffer, opts: DataParallelOptions) {
    this.model = model;
    this.replicas = replicas;
    this.union = union;
    this.vars = vars;
    this.weights = weights;
    this.threads = replicas.length + 1;
    this.opts = opts;
    this.warn = opts.onWarning ?? console.warn;
  }

  /**
   * Start threads − 1 workers holding replicas of `model`. Resolves to null (with a warning
   * saying why, except for threads ≤ 1) when data parallelism is not possible here: one thread
   * asked for, no `replica()`, a backend other than wasm, no worker threads or shared memory,
   * a replica that fails to build or does not match the model.
   */
  static async create(model: Trainable, threads: number, opts: DataParallelOptions = {}): Promise<DataParallel | null> {
    const warn = opts.onWarning ?? console.warn;
    const what = `data-parallel training of ${model?.name ?? "the model"}`;
    if (typeof threads !== "number" || !Number.isInteger(threads) || threads < 1) {
      throw new Error(`DataParallel.create: threads must be a positive integer, got ${String(threads)}.`);
    }
    if (threads <= 1) return null;
    const no = (why: string) => {
      warn(`${what} on ${threads} threads is not possible: ${why}. Training continues on one thread.`);
      return null;
    };
    if (typeof model?.replica !== "function") return no(`the model has no replica() saying how a worker rebuilds it`);
    if (tf.getBackend() !== "wasm") return no(`the backend is "${tf.getBackend()}", and only the wasm backend runs on one thread (tensorflow already uses every core)`);
    if (typeof SharedArrayBuffer !== "function") return no("this JavaScript engine has no SharedArrayBuffer");
    const rep = model.replica();
    if (!rep || typeof rep.module !== "string" || typeof rep.factory !== "string" || !Array.isArray(rep.args)) {
      return no(`replica() must return { module: string, factory: string, args: unknown[] }, got ${JSON.stringify(rep)}`);
    }
    // The main thread's variables, phase by phase (their union, in first-seen order).
    const phases = model.phases();
    const union: tf.Variable[] = [];
    const index = new Map<tf.Variable, number>();
    const add = (v: tf.Variable) => {
      if (!index.has(v)) {
        index.set(v, union.length);
        union.push(v);
      }
      return index.get(v)!;
    };
    const phaseVars = phases.map((p) => p.variables().map(add));
    let stateVars: number[];
    try {
      stateVars = (typeof model.state === "function" ? model.state() : []).map(add);
    } catch (e) {
      return no(`its state() failed (${(e as Error).message})`);
    }
    const bad = union.find((v) => v.dtype !== "float32");
    if (bad) return no(`variable "${bad.name}" is ${bad.dtype}; only float32 variables are sent to workers`);
    const vars: VarInfo[] = [];
    let total = 0;
    for (const v of union) {
      vars.push({ shape: [...v.shape], dtype: v.dtype, offset: total, length: v.size });
      total += v.size;
    }
    let paths: Record<string, string>;
    try {
      paths = {
        backend: resolveModule("../runtime/backend"),
        rng: resolveModule("../runtime/rng"),
        tfjs: require.resolve("@tensorflow/tfjs"),
        module: resolveModule(rep.module, process.cwd()),
      };
    } catch (e) {
      return no(`a module cannot be resolved (${(e as Error).message.split("\n")[0]})`);
    }
    const tsx = tsxHook([paths.backend, paths.module]);
    const weights = new SharedArrayBuffer(total * 4);
    const replicas: Replica[] = [];
    try {
      for (let k = 1; k < threads; k++) {
        replicas.push(new Replica({ backend: paths.backend, rng: paths.rng, tfjs: paths.tfjs, tsx, replica: { module: paths.module, factory: rep.factory, args: rep.args } }));
      }
    } catch (e) {
      for (const r of replicas) void r.worker.terminate();
      return no(`a worker thread cannot start (${(e as Error).message})`);
    }
    const answers = await Promise.all(replicas.map((r) => r.ready(opts.firstTimeoutMs ?? 120_000)));
    const problem = answers.find((a) => a.type !== "ready");
    const mismatch = answers.find((a) => a.type === "ready" && (
      JSON.stringify(a.shapes) !== JSON.stringify(vars.map((v) => v.shape)) || JSON.stringify(a.phases) !== JSON.stringify(phaseVars) || JSON.stringify(a.state) !== JSON.stringify(stateVars)));
    if (problem || mismatch) {
      for (const r of replicas) void r.worker.terminate();
      if (problem) return no(`a worker failed to start: ${problem.message}`);
      return no(`the replica built by ${rep.module}#${rep.factory} does not have the model's variables (shapes ${JSON.stringify(mismatch!.shapes)} against ${JSON.stringify(vars.map((v) => v.shape))})`);
    }
    for (const r of replicas) {
      r.grads = new SharedArrayBuffer(total * 4);
      r.worker.postMessage({ type: "layout", weights, grads: r.grads, vars });
    }
    return new DataParallel(model, replicas, union, vars, weights, opts);
  }

  /** Time per phase of the sharded steps so far (a copy; see DataParallelTimings). */
  get timings(): DataParallelTimings {
    return { ...this.sums };
  }

  /** Start the timings afresh (e.g. after warm-up steps). */
  resetTimings(): void {
    for (const k of Object.keys(this.sums) as (keyof DataParallelTimings)[]) this.sums[k] = 0;
  }

  /** Whether the workers are still in use (false after a failure: one thread from then on). */
  get active(): boolean {
    return !this.broken;
  }

  /**
   * The inputs' names and batch size, after checking that every input can be split by rows: a
   * reason to stay on one thread (a string), or null for a batch too small to split.
   */
  private splittable(inputs: Record<string, tf.Tensor>): { names: string[]; n: number } | string | null {
    const names = Object.keys(inputs);
    const n = names.length ? inputs[names[0]].shape[0] : 0;
    if (this.broken || names.length === 0 || n < 2) return null;
    for (const k of names) {
      const t = inputs[k];
      if (t.rank === 0 || t.shape[0] !== n) {
        throw new Error(`DataParallel (${this.model.name}): input "${k}" has shape [${t.shape}], but every input must have the batch (${n} rows, from "${names[0]}") as its leading axis so that the batch can be split across threads.`);
      }
      if (t.dtype !== "float32" && t.dtype !== "int32") return `input "${k}" is ${t.dtype} (only float32 and int32 inputs are sent to workers)`;
    }
    return { names, n };
  }

  /** Write the variables that changed since they were last sent into shared memory; their indices. */
  private syncWeights(): number[] {
    const dirty: number[] = [];
    const w = new Float32Array(this.weights);
    this.union.forEach((v, i) => {
      const id = (v as unknown as { dataId: object }).dataId;
      if (this.sent.get(i) === id) return;
      w.set(dataOf(v) as Float32Array, this.vars[i].offset);
      this.sent.set(i, id);
      dirty.push(i);
    });
    return dirty;
  }

  /**
   * Copy each worker's rows into its input buffer and post it `msg` with its shard's weight
   * n_k / n (`scale`); the pending answers (null: a worker without rows).
   */
  private post(inputs: Record<string, tf.Tensor>, names: string[], n: number, sizes: number[], msg: Record<string, unknown> & { id: number }): (Promise<WorkerReply> | null)[] {
    const timeout = this.firstStep ? this.opts.firstTimeoutMs ?? 120_000 : Math.max(this.opts.minTimeoutMs ?? 10_000, 50 * this.lastMainMs);
    let start = sizes[0];
    return this.replicas.map((r, j) => {
      const k = j + 1;
      const first = start;
      start += sizes[k];
      if (sizes[k] === 0) return null;
      let bytes = 0;
      const descs = names.map((name) => {
        const t = inputs[name];
        const row = t.size / n;
        const d = { name, dtype: t.dtype, shape: [sizes[k], ...t.shape.slice(1)], byteOffset: bytes, length: sizes[k] * row };
        bytes += d.length * 4;
        return d;
      });
      if (r.input.byteLength < bytes) r.input = new SharedArrayBuffer(Math.ceil(bytes * 1.25));
      for (const d of descs) {
        const t = inputs[d.name];
        const row = t.size / n;
        const src = dataOf(t);
        const dst = t.dtype === "int32" ? new Int32Array(r.input, d.byteOffset, d.length) : new Float32Array(r.input, d.byteOffset, d.length);
        dst.set(src.subarray(first * row, (first + sizes[k]) * row));
      }
      return r.run({ ...msg, scale: sizes[k] / n, inputs: descs, inputBuffer: r.input }, timeout);
    });
  }

  /** The main thread's shard: the first `rows` rows of every input (new tensors). */
  private static head(inputs: Record<string, tf.Tensor>, names: string[], rows: number): Record<string, tf.Tensor> {
    return tf.tidy(() => {
      const o: Record<string, tf.Tensor> = {};
      for (const name of names) {
        const t = inputs[name];
        o[name] = tf.slice(t, [0, ...t.shape.slice(1).map(() => 0)], [rows, ...t.shape.slice(1)]);
      }
      return o;
    });
  }

  private static ctxOut(ctx: StepContext): Record<string, number> {
    return { epoch: ctx.epoch, batch: ctx.batch, batchesPerEpoch: ctx.batchesPerEpoch, step: ctx.step };
  }

  /**
   * Gradients of the batch-mean loss of phase `phaseIndex`, summed over the shards weighted by
   * shard size (fixed order), with the batch-mean loss and terms. `inputs` are not disposed.
   */
  async gradients(phaseIndex: number, inputs: Record<string, tf.Tensor>, ctx: StepContext): Promise<ShardedGradients> {
    const split = this.splittable(inputs);
    if (split === null) return localGradients(this.model, phaseIndex, inputs, ctx);
    if (typeof split === "string") {
      this.stop(split);
      return localGradients(this.model, phaseIndex, inputs, ctx);
    }
    const { names, n } = split;
    const tStart = performance.now();
    const sizes = shardSizes(n, this.threads);
    // 1. Variables that changed since they were last sent.
    const dirty = this.syncWeights();
    const tWeights = performance.now();
    // 2. Each worker's rows, then its step.
    const pending = this.post(inputs, names, n, sizes, { type: "step", id: nextId++, phase: phaseIndex, dirty, ctx: DataParallel.ctxOut(ctx) });
    // 3. The main thread's shard, meanwhile.
    const t0 = performance.now();
    const mine = DataParallel.head(inputs, names, sizes[0]);
    let local: ShardedGradients;
    try {
      local = localGradients(this.model, phaseIndex, mine, ctx, sizes[0] / n);
    } finally {
      tf.dispose(Object.values(mine));
    }
    this.lastMainMs = performance.now() - t0;
    // 4. The workers' answers.
    const replies = await Promise.all(pending);
    const tWait = performance.now();
    this.firstStep = false;
    const failed = replies.find((m) => m !== null && m.type !== "done");
    if (failed) {
      tf.dispose(Object.values(local.grads));
      this.stop(`a worker did not compute its shard: ${failed.message}`);
      return localGradients(this.model, phaseIndex, inputs, ctx);
    }
    // 5. Σ_k shard k's gradient of (n_k / n)·L_k, in the order k = 0, 1, … (each shard scaled
    //    its loss before backpropagating, so the shard gradients arrive weighted: one add each).
    const phaseVars = this.model.phases()[phaseIndex].variables();
    const grads = tf.tidy(() => {
      const out: Record<string, tf.Tensor> = {};
      for (const v of phaseVars) {
        const i = this.union.indexOf(v);
        const info = this.vars[i];
        let acc: tf.Tensor | null = local.grads[v.name] ?? null;
        replies.forEach((m, j) => {
          if (!m || !m.present!.includes(i)) return;
          const part = tf.tensor(new Float32Array(this.replicas[j].grads, info.offset * 4, info.length), info.shape, "float32");
          acc = acc ? tf.add(acc, part) : part;
        });
        if (acc) out[v.name] = acc;
      }
      return out;
    });
    tf.dispose(Object.values(local.grads));
    const t = this.sums;
    t.steps++;
    t.weightsMs += tWeights - tStart;
    t.postMs += t0 - tWeights;
    t.mainShardMs += this.lastMainMs;
    t.waitMs += tWait - t0 - this.lastMainMs;
    t.sumMs += performance.now() - tWait;
    const ms = replies[0]?.ms;
    if (ms) {
      t.workerInMs += ms[0];
      t.workerComputeMs += ms[1];
      t.workerOutMs += ms[2];
    }
    let loss = local.loss;
    const terms: Record<string, number> = { ...local.terms };
    replies.forEach((m, j) => {
      if (!m) return;
      const wk = sizes[j + 1] / n;
      loss += m.loss!;
      m.termNames!.forEach((k, t) => (terms[k] = (terms[k] ?? 0) + m.termValues![t] * wk));
    });
    return { grads, loss, terms };
  }

  /**
   * The model's `afterStepRows` for the whole batch under the current variables, computed shard by
   * shard (the main thread and every worker) and concatenated in batch order: the same rows as
   * one thread computes, up to float summation order. `inputs` are not disposed; the caller owns
   * the result.
   */
  async rows(inputs: Record<string, tf.Tensor>, ctx: StepContext): Promise<Record<string, tf.Tensor>> {
    if (typeof this.model.afterStepRows !== "function") throw new Error(`DataParallel.rows: ${this.model.name} has no afterStepRows.`);
    const whole = () => tf.tidy(() => this.model.afterStepRows!(inputs, ctx));
    const split = this.splittable(inputs);
    if (split === null) return whole();
    if (typeof split === "string") {
      this.stop(split);
      return whole();
    }
    const { names, n } = split;
    const tStart = performance.now();
    const sizes = shardSizes(n, this.threads);
    const dirty = this.syncWeights();
    const pending = this.post(inputs, names, n, sizes, { type: "rows", id: nextId++, dirty, ctx: DataParallel.ctxOut(ctx) });
    const mine = DataParallel.head(inputs, names, sizes[0]);
    let own: Record<string, tf.Tensor>;
    try {
      own = tf.tidy(() => this.model.afterStepRows!(mine, ctx));
    } finally {
      tf.dispose(Object.values(mine));
    }
    const replies = await Promise.all(pending);
    const failed = replies.find((m) => m !== null && m.type !== "done");
    const keys = Object.keys(own);
    const mismatch = failed ? null : replies.find((m) => m !== null && (
      m.rows!.length !== keys.length || m.rows!.some((d, i) => d.name !== keys[i] || d.dtype !== own[keys[i]].dtype || d.shape.slice(1).join() !== own[keys[i]].shape.slice(1).join())));
    if (failed || mismatch) {
      tf.dispose(Object.values(own));
      this.stop(failed ? `a worker did not compute its rows: ${failed.message}` : `a worker's afterStepRows gave ${JSON.stringify(mismatch!.rows!.map((d) => [d.name, d.dtype, d.shape]))}, the main thread's ${JSON.stringify(keys.map((k) => [k, own[k].dtype, own[k].shape]))}`);
      return whole();
    }
    const out = tf.tidy(() => {
      const o: Record<string, tf.Tensor> = {};
      keys.forEach((name, i) => {
        const parts = [own[name]];
        replies.forEach((m) => {
          if (!m) return;
          const d = m.rows![i];
          parts.push(tf.tensor(d.dtype === "int32" ? new Int32Array(d.buffer, 0, d.length) : new Float32Array(d.buffer, 0, d.length), d.shape, d.dtype));
        });
        o[name] = parts.length === 1 ? tf.clone(parts[0]) : tf.concat(parts, 0);
      });
      return o;
    });
    tf.dispose(Object.values(own));
    this.sums.rowsCalls++;
    this.sums.rowsMs += performance.now() - tStart;
    return out;
  }

  /** Stop using the workers for good (with a warning the first time): every later step runs on the main thread. */
  private stop(why: string): void {
    this.sent.clear();
    if (this.broken) return;
    this.broken = true;
    this.warn(`Data-parallel training of ${this.model.name} stopped using its ${this.replicas.length} worker thread(s): ${why}. This step and the rest run on one thread (the results are unaffected).`);
    for (const r of this.replicas) void r.worker.terminate();
  }

  /** Stop the workers (idempotent). Later calls compute on the main thread. */
  dispose(): void {
    this.broken = true;
    for (const r of this.replicas) void r.worker.terminate();
  }
}
