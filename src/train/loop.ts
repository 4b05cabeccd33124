/**
 * One training loop for every model of the arc (VAE, VQ-VAE, PixelCNN, GAN), the way Keras'
 * `fit` serves every keras-io example. A model says what one step minimises; the loop does
 * the rest:
 *
 *   for epoch = 1 … E:   π ← a permutation of the n rows (from the run's Rng)
 *     for each minibatch B of π:
 *       inputs ← model.prepareBatch(rows of B)            (binarize, draw ε or z: all randomness here)
 *       for each phase p (one for most models; D then G for a GAN):
 *         θ_p ← θ_p − η ∇_{θ_p} L_p(inputs)               (L_p a mean over the batch)
 *       model.afterStep(inputs, afterStepRows(inputs))     (e.g. EMA codebook update)
 *     model.endEpoch(); evaluate(); checkpoint()
 *
 * The loop owns shuffling, batching, the progress bar, abort (the kernel interrupt and an
 * optional signal, checked between steps), divergence (a NaN or infinite loss or term stops
 * training before the bad update is applied, naming the epoch, batch, phase and term), the
 * leak detector (tf.memory().numTensors after every epoch), the per-epoch history,
 * evaluation and checkpoint callbacks, and the validation of its options.
 */
import * as os from "os";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../runtime/backend";
import { Rng } from "../runtime/rng";
import { loopSignal, throwIfAborted, yielder } from "../runtime/abort";
import { progress } from "../runtime/progress";
import { checkOptions as checkKnownKeys, InputError } from "../runtime/validate";
import { DataParallel, localGradients } from "./parallel";

/** n rows of rowSize numbers each: flattened images, code maps (indices), 2-D points. */
export interface TrainData {
  x: Float32Array | Int32Array;
  rowSize: number;
  /** Optional per-row integer labels (class conditioning, classifiers). */
  labels?: Int32Array;
}

/** One minibatch of rows, gathered in the epoch's shuffled order (copied, contiguous). */
export interface BatchRows {
  /** size × rowSize values. Reused between steps: copy what you keep. */
  x: Float32Array | Int32Array;
  /** size labels, when the data has labels. */
  labels?: Int32Array;
  size: number;
  rowSize: number;
}

export interface StepContext {
  /** 1-based epoch. */
  epoch: number;
  /** 0-based batch index within the epoch. */
  batch: number;
  batchesPerEpoch: number;
  /** Optimizer steps taken before this one (0-based, counted across the whole fit). */
  step: number;
  /** The run's generator: draw all of a step's randomness from it, in prepareBatch. */
  rng: Rng;
}

export interface TrainPhase {
  /** "model" for single-objective models; "discriminator" / "generator" for a GAN. */
  name: string;
  /** The variables this phase updates (the gradient is taken with respect to these only). */
  variables(): tf.Variable[];
  /**
   * The quantity to minimise, a mean over the batch's examples, and named scalar terms to
   * report (also means over the batch). Runs inside tf.tidy and tf.variableGrads: build
   * tensors freely, do not dispose `inputs`, do not read values back. A pure function of
   * `inputs` and the variables: put noise into prepareBatch.
   */
  loss(inputs: Record<string, tf.Tensor>, ctx: StepContext): { loss: tf.Scalar; terms?: Record<string, tf.Scalar> };
  /** How a divergence message names each term (and "loss"), e.g. { kl: "the KL term KL(q(z|x) ‖ p(z))" }. */
  termLabels?: Record<string, string>;
  /** This phase's optimizer (default tf.train.adam(learningRate)); called once per fit. */
  optimizer?(learningRate: number): tf.Optimizer;
}

export interface Trainable {
  /** Shown on the progress bar and in error messages, e.g. "VQ-VAE". */
  readonly name: string;
  /** Numbers per data row the model expects (checked against the data when given). */
  readonly rowSize?: number;
  /**
   * The tensors one step needs, built from the rows with ctx.rng. Every tensor has the batch
   * as its leading axis, so that a batch can be split across workers. The loop disposes them.
   */
  prepareBatch(rows: BatchRows, ctx: StepContext): Record<string, tf.Tensor>;
  /** The updates made on every batch, in order. */
  phases(): TrainPhase[];
  /**
   * After every step's phases, inside tf.tidy (e.g. EMA codebook updates). `rows` is what
   * `afterStepRows` gave for this batch under the updated variables (undefined without it); the
   * loop disposes it.
   */
  afterStep?(inputs: Record<string, tf.Tensor>, ctx: StepContext, rows?: Record<string, tf.Tensor>): void;
  /**
   * The row-wise part of afterStep: tensors with the batch as their leading axis, each row a
   * function of that row of the inputs and of the (updated) variables only, e.g. the VQ-VAE's
   * latents and codes under the updated encoder. Runs inside tf.tidy. With threads > 1 the loop
   * computes it shard by shard on every thread and hands afterStep the rows in batch order, so
   * the pass does not run on the main thread alone.
   */
  afterStepRows?(inputs: Record<string, tf.Tensor>, ctx: StepContext): Record<string, tf.Tensor>;
  /**
   * Variables the phases' losses read but do not train (an EMA codebook, which afterStep
   * assigns): data-parallel workers receive their new values before every step, like the trained
   * ones'. Other state a loss reads (a flag) must be fixed for the whole fit and carried by
   * `replica()`'s arguments.
   */
  state?(): tf.Variable[];
  /** End of every epoch, before evaluation (dead-code restarts, codebook usage): numbers go to `extra`. */
  endEpoch?(ctx: { epoch: number; rng: Rng }): Record<string, number> | void | Promise<Record<string, number> | void>;
  /** How a worker thread rebuilds this model for data-parallel training. */
  replica?(): { module: string; factory: string; args: unknown[] };
}

export interface FitOptions {
  /** Number of passes over the data (a non-negative integer). */
  epochs: number;
  /** Minibatch size (default 128). */
  batchSize?: number;
  /** Learning rate of every phase's optimizer (default 1e-3; finite and > 0). */
  learningRate?: number;
  /** The run's generator: shuffling and every draw in prepareBatch (default new Rng()). */
  rng?: Rng;
  /** Extra abort signal (the kernel interrupt always works). */
  signal?: AbortSignal;
  /** Show a progress bar (default true). */
  showProgress?: boolean;
  /** Progress-bar label (default model.name). */
  label?: string;
  /** Stop each epoch after this many batches (smoke runs and tests). */
  maxBatchesPerEpoch?: number;
  /**
   * Threads computing each step's gradient (data-parallel, src/train/parallel.ts): the batch
   * is split across worker threads holding replicas of the model (needs `model.replica()`).
   * Same results as one thread up to float summation order, and deterministic for a seed and
   * a thread count. `"auto"`: the machine's cores for a model with a replica, at most one
   * thread per 32 rows of a batch, else 1 (see `resolveThreads`) — results then depend on the
   * machine's core count at the float level.
   *
   * Default 1, on purpose. On an idle 2-core machine two threads step 1.0–1.25× faster for the
   * MLP VAE, 1.1–1.56× for the conv VAE, 1.3–1.84× for the VQ-VAE and 1.56–1.96× for the PixelCNN
   * (bench/README.md, 2026-12-05 and 12-06 runs), and a worker costs ~0.6 s to start (1–5 s under
   * load): worth asking for on long conv trainings. But a core-count default would make the same
   * seed give different numbers on machines with different core counts, and change the
   * float-level numbers of every smoke run and of every checkpoint retrained with
   * LATENTLAB_RETRAIN=1 (made with one thread, except the PixelCNN priors' recipes, which ask
   * for 2).
   */
  threads?: number | "auto";
  /** Number the epochs from here + 1 (continuing an earlier fit; default 0). */
  startEpoch?: number;
  /** After each epoch (after endEpoch): held-out metrics, stored in the record's `eval`. */
  evaluate?(epoch: number): Record<string, number> | Promise<Record<string, number>>;
  /** After each epoch (after evaluate): e.g. save a checkpoint to resume from. */
  checkpoint?(epoch: number, history: EpochRecord[]): void | Promise<void>;
  /** After each epoch, last. */
  onEpoch?(record: EpochRecord): void;
}

export interface EpochRecord {
  epoch: number;
  /** Training time of the epoch (excluding endEpoch, evaluate and checkpoint). */
  seconds: number;
  examplesPerSec: number;
  /** tf.memory().numTensors at the end of the epoch's steps (leak detector). */
  numTensors: number;
  /** Example-weighted epoch means: "loss" (one phase) or "<phase>.loss", and every term. */
  terms: Record<string, number>;
  /** What endEpoch returned. */
  extra: Record<string, number>;
  /** What evaluate returned. */
  eval?: Record<string, number>;
}

export interface FitResult {
  history: EpochRecord[];
  steps: number;
  /** Training throughput over all epochs (examples/s, excluding evaluation). */
  examplesPerSec: number;
  /**
   * Threads the last step ran on: the data-parallel engine's while it stayed active, 1 without
   * one or after it fell back (a warning then said why). Checkpoint provenance records it.
   */
  threads: number;
}

/** Thrown when a loss or term becomes NaN or infinite; the update was not applied. */
export class DivergenceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DivergenceError";
  }
}

/** Bad options or data given to fit: says which, and what to pass instead (an InputError). */
export class FitOptionsError extends InputError {
  constructor(message: string) {
    super(message, "fit");
    this.name = "FitOptionsError";
  }
}

const FIT_OPTIONS = [
  "epochs", "batchSize", "learningRate", "rng", "signal", "showProgress", "label", "maxBatchesPerEpoch",
  "startEpoch", "evaluate", "checkpoint", "onEpoch", "threads",
] as const;

function positiveInt(name: string, v: unknown, what: string): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v <= 0) {
    throw new FitOptionsError(`fit(${what}): ${name} must be a positive integer, got ${String(v)}.`);
  }
  return v;
}

/** Check the data against the model and the options; returns the number of rows. */
function checkData(model: Trainable, data: TrainData): number {
  const what = model.name;
  if (data === null || typeof data !== "object") throw new FitOptionsError(`fit(${what}): data must be { x, rowSize, labels? }, got ${data === null ? "null" : typeof data}.`);
  if (!(data.x instanceof Float32Array || data.x instanceof Int32Array)) {
    throw new FitOptionsError(`fit(${what}): data.x must be a Float32Array or an Int32Array of n × rowSize values, got ${Object.prototype.toString.call(data.x)}.`);
  }
  positiveInt("data.rowSize", data.rowSize, what);
  if (model.rowSize !== undefined && data.rowSize !== model.rowSize) {
    throw new FitOptionsError(
      `fit(${what}): the model expects rows of ${model.rowSize} numbers but the data has rows of ${data.rowSize} ` +
        `(e.g. images of another size). Build the model for this data, or resize the data.`,
    );
  }
  const n = data.x.length / data.rowSize;
  if (!Number.isInteger(n) || n === 0) {
    throw new FitOptionsError(`fit(${what}): data.x has ${data.x.length} values, not a positive multiple of rowSize = ${data.rowSize}.`);
  }
  if (data.labels !== undefined) {
    if (!(data.labels instanceof Int32Array) || data.labels.length !== n) {
      throw new FitOptionsError(`fit(${what}): data.labels must be an Int32Array with one label per row (${n}), got ${data.labels instanceof Int32Array ? data.labels.length + " labels" : typeof data.labels}.`);
    }
  }
  return n;
}

function checkOptions(model: Trainable, opts: FitOptions): void {
  const what = model.name;
  if (opts === null || typeof opts !== "object") throw new FitOptionsError(`fit(${what}): options must be an object like { epochs: 10 }.`);
  try {
    checkKnownKeys(`fit(${what})`, opts, FIT_OPTIONS);
  } catch (e) {
    throw new FitOptionsError((e as Error).message);
  }
  if (typeof opts.epochs !== "number" || !Number.isInteger(opts.epochs) || opts.epochs < 0) {
    throw new FitOptionsError(`fit(${what}): epochs must be a non-negative integer, got ${String(opts.epochs)}.`);
  }
  if (opts.batchSize !== undefined) positiveInt("batchSize", opts.batchSize, what);
  if (opts.maxBatchesPerEpoch !== undefined) positiveInt("maxBatchesPerEpoch", opts.maxBatchesPerEpoch, what);
  if (opts.threads !== undefined && opts.threads !== "auto") {
    if (typeof opts.threads !== "number" || !Number.isInteger(opts.threads) || opts.threads <= 0) {
      throw new FitOptionsError(`fit(${what}): threads must be a positive integer or "auto" (the machine's cores when the model has a replica), got ${typeof opts.threads === "string" ? JSON.stringify(opts.threads) : String(opts.threads)}.`);
    }
  }
  if (opts.startEpoch !== undefined && (!Number.isInteger(opts.startEpoch) || opts.startEpoch < 0)) {
    throw new FitOptionsError(`fit(${what}): startEpoch must be a non-negative integer, got ${String(opts.startEpoch)}.`);
  }
  const lr = opts.learningRate;
  if (lr !== undefined && (typeof lr !== "number" || !Number.isFinite(lr) || lr <= 0)) {
    throw new FitOptionsError(`fit(${what}): learningRate must be a finite number > 0 (e.g. 1e-3), got ${String(lr)}.`);
  }
  if (opts.rng !== undefined && !(opts.rng instanceof Rng)) throw new FitOptionsError(`fit(${what}): rng must be an Rng (latentlab's rng(seed)), got ${typeof opts.rng}.`);
}

/** Rows per thread below which "auto" adds no thread: a shard's fixed per-step costs would dominate. */
export const MIN_ROWS_PER_THREAD = 32;

/**
 * The thread count fit uses for `threads` (a positive integer is taken as given):
 * "auto" = min(cores, ⌊batchSize / MIN_ROWS_PER_THREAD⌋) for a model with `replica()`, at
 * least 1; 1 for a model without one (it cannot be split). `cores` defaults to the machine's
 * (os.availableParallelism).
 */
export function resolveThreads(model: Trainable, threads: number | "auto" | undefined, batchSize: number, cores = availableCores()): number {
  if (threads === undefined) return 1;
  if (threads !== "auto") return threads;
  if (typeof model.replica !== "function") return 1;
  return Math.max(1, Math.min(cores, Math.floor(batchSize / MIN_ROWS_PER_THREAD)));
}

function availableCores(): number {
  const o = os as unknown as { availableParallelism?: () => number };
  return typeof o.availableParallelism === "function" ? o.availableParallelism() : os.cpus().length;
}

const histories = new WeakMap<Trainable, EpochRecord[]>();

/** Every epoch this model has been trained for by fit in this process (across calls). */
export function fitHistory(model: Trainable): EpochRecord[] {
  return [...(histories.get(model) ?? [])];
}

/** Copy rows perm[start … start+m) of `src` (rowSize each) into `dst`. */
function gatherRows<T extends Float32Array | Int32Array>(src: T, rowSize: number, perm: Int32Array, start: number, m: number, dst: T): void {
  for (let i = 0; i < m; i++) {
    const r = perm[start + i];
    dst.set(src.subarray(r * rowSize, (r + 1) * rowSize), i * rowSize);
  }
}

/**
 * Train `model` on `data` with minibatch gradient descent (Adam by default), phase by phase.
 * Returns the per-epoch history (also kept in `fitHistory(model)`). Each call makes fresh
 * optimizers (their moment estimates are not carried over between calls).
 */
export async function fit(model: Trainable, data: TrainData, opts: FitOptions): Promise<FitResult> {
  if (model === null || typeof model !== "object" || typeof model.prepareBatch !== "function" || typeof model.phases !== "function") {
    throw new FitOptionsError("fit: the model must be a Trainable (an object with name, prepareBatch(rows, ctx) and phases()).");
  }
  checkOptions(model, opts);
  const n = checkData(model, data);
  await initBackend();
  const B = opts.batchSize ?? 128;
  const lr = opts.learningRate ?? 1e-3;
  const r = opts.rng ?? new Rng();
  const phases = model.phases();
  if (!Array.isArray(phases) || phases.length === 0) throw new FitOptionsError(`fit(${model.name}): phases() returned no phase: a model needs at least one loss to minimise.`);
  const lossKey = (p: TrainPhase) => (phases.length === 1 ? "loss" : `${p.name}.loss`);
  const optimizers = phases.map((p) => (p.optimizer ? p.optimizer(lr) : tf.train.adam(lr)));
  const batchesPerEpoch = Math.min(Math.ceil(n / B), opts.maxBatchesPerEpoch ?? Infinity);
  const signal = loopSignal(opts.signal);
  const maybeYield = yielder();
  const label = opts.label ?? model.name;
  const bar = opts.showProgress === false ? null : progress({ total: opts.epochs * batchesPerEpoch, label, unit: "batch" });
  const history: EpochRecord[] = [];
  const firstEpoch = (opts.startEpoch ?? 0) + 1;
  const rowBuf = data.x instanceof Float32Array ? new Float32Array(B * data.rowSize) : new Int32Array(B * data.rowSize);
  const labelBuf = data.labels ? new Int32Array(B) : undefined;
  const threads = resolveThreads(model, opts.threads, B);
  const engine = threads > 1 ? await DataParallel.create(model, threads) : null;
  let threadsUsed = engine ? engine.threads : 1;
  let steps = 0;
  let trainSeconds = 0;
  let trainExamples = 0;
  let finished = false;
  try {
    for (let epoch = firstEpoch; epoch < firstEpoch + opts.epochs; epoch++) {
      const t0 = performance.now();
      const perm = r.permutation(n);
      const sums: Record<string, number> = {};
      let seen = 0;
      for (let b = 0; b < batchesPerEpoch; b++) {
        throwIfAborted(signal, `training ${label} at epoch ${epoch}, batch ${b + 1} of ${batchesPerEpoch}; the model keeps the parameters of its last completed step`);
        const start = b * B;
        const m = Math.min(B, n - start);
        const x = rowBuf.subarray(0, m * data.rowSize);
        gatherRows(data.x, data.rowSize, perm, start, m, x);
        let labels: Int32Array | undefined;
        if (data.labels && labelBuf) {
          labels = labelBuf.subarray(0, m);
          for (let i = 0; i < m; i++) labels[i] = data.labels[perm[start + i]];
        }
        const ctx: StepContext = { epoch, batch: b, batchesPerEpoch, step: steps, rng: r };
        const inputs = tf.tidy(() => model.prepareBatch({ x, labels, size: m, rowSize: data.rowSize }, ctx));
        try {
          for (let pi = 0; pi < phases.length; pi++) {
            const g = engine ? await engine.gradients(pi, inputs, ctx) : localGradients(model, pi, inputs, ctx);
            const values = applyPhase(model, phases[pi], pi, phases.length, g, ctx, optimizers[pi], b, lossKey(phases[pi]));
            for (const [k, v] of values) sums[k] = (sums[k] ?? 0) + v * m;
          }
          await runAfterStep(model, engine, inputs, ctx);
        } finally {
          tf.dispose(Object.values(inputs));
        }
        steps++;
        seen += m;
        if (bar) {
          const shown: Record<string, number> = {};
          for (const k of Object.keys(sums)) shown[k] = sums[k] / seen;
          bar.tick(1, shown);
        }
        await maybeYield();
      }
      const seconds = (performance.now() - t0) / 1000;
      trainSeconds += seconds;
      trainExamples += seen;
      const terms: Record<string, number> = {};
      for (const k of Object.keys(sums)) terms[k] = sums[k] / seen;
      const record: EpochRecord = { epoch, seconds, examplesPerSec: seen / seconds, numTensors: tf.memory().numTensors, terms, extra: {} };
      if (model.endEpoch) Object.assign(record.extra, (await model.endEpoch({ epoch, rng: r })) ?? {});
      if (opts.evaluate) record.eval = await opts.evaluate(epoch);
      history.push(record);
      const all = histories.get(model) ?? [];
      all.push(record);
      histories.set(model, all);
      if (opts.checkpoint) await opts.checkpoint(epoch, [...all]);
      opts.onEpoch?.(record);
    }
    finished = true;
    threadsUsed = engine?.active ? engine.threads : 1;
  } finally {
    engine?.dispose();
    for (const o of optimizers) o.dispose();
    if (bar && finished) {
      const last = history[history.length - 1];
      bar.done(last ? last.terms : undefined);
    }
  }
  return { history, steps, examplesPerSec: trainExamples / Math.max(trainSeconds, 1e-9), threads: threadsUsed };
}

/**
 * The model's afterStep for one batch, as fit runs it: with `afterStepRows`, the rows first (shard
 * by shard on the engine's threads when there is an engine, else on this thread), then afterStep
 * with them; both inside tf.tidy, the rows disposed after.
 */
export async function runAfterStep(model: Trainable, engine: DataParallel | null, inputs: Record<string, tf.Tensor>, ctx: StepContext): Promise<void> {
  if (!model.afterStep) return;
  let rows: Record<string, tf.Tensor> | undefined;
  if (model.afterStepRows) rows = engine ? await engine.rows(inputs, ctx) : tf.tidy(() => model.afterStepRows!(inputs, ctx));
  try {
    tf.tidy(() => model.afterStep!(inputs, ctx, rows));
  } finally {
    if (rows) tf.dispose(Object.values(rows));
  }
}

/** One phase of one step, given its gradient: divergence check, update. Returns [name, value] pairs. */
function applyPhase(
  model: Trainable,
  phase: TrainPhase,
  index: number,
  count: number,
  g: { grads: Record<string, tf.Tensor>; loss: number; terms: Record<string, number> },
  ctx: StepContext,
  optimizer: tf.Optimizer,
  b: number,
  lossKey: string,
): [string, number][] {
  const { grads, loss } = g;
  const termNames = Object.keys(g.terms);
  const termValues = termNames.map((k) => g.terms[k]);
  const badTerm = termNames.findIndex((_, i) => !Number.isFinite(termValues[i]));
  if (badTerm >= 0 || !Number.isFinite(loss)) {
    tf.dispose(Object.values(grads));
    const name = badTerm >= 0 ? termNames[badTerm] : lossKey;
    const v = badTerm >= 0 ? termValues[badTerm] : loss;
    const said = phase.termLabels?.[badTerm >= 0 ? name : "loss"] ?? name;
    const where = `epoch ${ctx.epoch}, batch ${b + 1} (step ${ctx.step + 1})${count > 1 ? `, phase ${index + 1} "${phase.name}"` : ""}`;
    const all = [`${lossKey} ${loss}`, ...termNames.map((k, i) => `${k} ${termValues[i]}`)].join(", ");
    throw new DivergenceError(
      `Training ${model.name} diverged at ${where}: ${said} is ${v} (${all}). ` +
        `The update was not applied, so the model keeps its last finite parameters. Try a smaller learning rate, or check the data's range.`,
    );
  }
  optimizer.applyGradients(grads as unknown as Parameters<typeof optimizer.applyGradients>[0]);
  tf.dispose(Object.values(grads));
  return [[lossKey, loss], ...termNames.map((k, i) => [k, termValues[i]] as [string, number])];
}
