/**
 * VQ-VAE for 28×28 images with a 7×7 map of discrete codes (lecture 002, "VQ-VAE
 * encoder-decoder"; van den Oord et al. 2017), the network of keras-io's vq_vae.py:
 *
 *   L[X, Y, I] = Enc(s):   conv 3×3/2 "same" 1→c₁, ReLU; conv 3×3/2 c₁→c₂, ReLU; conv 1×1 c₂→I
 *   z[x, y]    = argmin_k ‖L[x, y, I] − C[k, I]‖²          (the symbolic image, 7×7)
 *   L̂[x, y, I] = C[z[x, y], I]                            (straight-through to the encoder)
 *   ŝ = Dec(L̂): conv2dTranspose 3×3/2 I→c₂, ReLU; 3×3/2 c₂→c₁, ReLU; 3×3/1 c₁→1 (linear)
 *
 * Pixels are centred (s − 0.5, as keras-io's [−0.5, 0.5]) before the encoder and the decoder's
 * output is shifted back, so reconstructions are in pixel units. The loss per batch is
 *
 *   ‖s − ŝ‖² / Var(s)  +  ‖sg[L] − L̂‖²  +  β ‖L − sg[L̂]‖²        (means over numbers)
 *
 * (lecture 002's β‖L − L̂‖² + ‖s − ŝ‖², with the codebook and commitment parts separated, as
 * lecture 003's footnote gives them). With `codebookLearning: "ema"` the codebook term is
 * dropped and C follows the EMA update instead (codebook.ts). The model is a `Trainable` for
 * the shared loop `fit`: afterStep counts code usage (and makes the EMA update), endEpoch
 * reports codes used and perplexity and restarts dead codes.
 */
import * as tf from "@tensorflow/tfjs";
import { Rng } from "../../runtime/rng";
import type { BatchRows, StepContext, Trainable, TrainPhase } from "../../train";
import { checkCodebook, dictionaryLoss, nearestCodes, quantizeStraightThrough } from "./quantizer";
import { codebookPerplexity, codesUsed, emaCodebookUpdate, emaStateFrom, EmaState, restartDeadCodes } from "./codebook";

export interface VqVaeConfig {
  height: number;
  width: number;
  /** Channels c₁, c₂ of the two strided convolutions (keras-io: 32, 64). */
  channels: [number, number];
  /** I: the dimension of a latent vector and of a code (keras-io: 16). */
  latentDim: number;
  /** K: the number of codes (2 … 4096). */
  numCodes: number;
  /** Commitment weight β (0.25). */
  beta: number;
  /** "loss": C learns from ‖sg[L] − L̂‖² with Adam; "ema": C follows the EMA update. */
  codebookLearning: "loss" | "ema";
  emaDecay: number;
  emaEpsilon: number;
  /** How C starts: K-means on encoder outputs (before training) or Uniform(−1/K, 1/K). */
  init: "kmeans" | "uniform";
  /**
   * Move codes no latent chose during an epoch onto recent encoder outputs (endEpoch), drawn
   * k-means++-style (∝ squared distance to the nearest live code).
   */
  restartDeadCodes: boolean;
  /**
   * With init "kmeans": epochs trained as a plain autoencoder (quantizer bypassed) before
   * K-means places the codes on the trained encoder's outputs (counted in the epochs).
   */
  warmupEpochs: number;
  /** Var(s) of the training pixels, the reconstruction loss's scale (keras-io's data_variance). */
  dataVariance: number;
}

export const DEFAULT_VQVAE_CONFIG: VqVaeConfig = {
  height: 28,
  width: 28,
  channels: [32, 64],
  latentDim: 16,
  numCodes: 128,
  beta: 0.25,
  codebookLearning: "loss",
  emaDecay: 0.99,
  emaEpsilon: 1e-5,
  init: "kmeans",
  restartDeadCodes: true,
  warmupEpochs: 1,
  dataVariance: 1,
};

function checkConfig(c: VqVaeConfig): void {
  const bad = (m: string) => {
    throw new RangeError(`VqVae config: ${m}.`);
  };
  if (!Number.isInteger(c.height) || !Number.isInteger(c.width) || c.height < 4 || c.width < 4 || c.height % 4 || c.width % 4) bad(`height and width must be positive multiples of 4 (two stride-2 layers), got ${c.height}×${c.width}`);
  if (!Array.isArray(c.channels) || c.channels.length !== 2 || c.channels.some((v) => !Number.isInteger(v) || v < 1)) bad(`channels must be two positive integers, got ${JSON.stringify(c.channels)}`);
  if (!Number.isInteger(c.latentDim) || c.latentDim < 1) bad(`latentDim must be a positive integer, got ${c.latentDim}`);
  if (!Number.isInteger(c.numCodes) || c.numCodes < 2 || c.numCodes > 4096) bad(`numCodes K must be an integer in [2, 4096] (with K = 1 every latent is the same code), got ${c.numCodes}`);
  if (!(c.beta >= 0) || !Number.isFinite(c.beta)) bad(`beta must be a finite number ≥ 0, got ${c.beta}`);
  if (c.codebookLearning !== "loss" && c.codebookLearning !== "ema") bad(`codebookLearning must be "loss" or "ema", got ${c.codebookLearning}`);
  if (!(c.emaDecay >= 0 && c.emaDecay < 1)) bad(`emaDecay must be in [0, 1), got ${c.emaDecay}`);
  if (!(c.emaEpsilon > 0)) bad(`emaEpsilon must be > 0, got ${c.emaEpsilon}`);
  if (c.init !== "kmeans" && c.init !== "uniform") bad(`init must be "kmeans" or "uniform", got ${c.init}`);
  if (!Number.isInteger(c.warmupEpochs) || c.warmupEpochs < 0) bad(`warmupEpochs must be a non-negative integer, got ${c.warmupEpochs}`);
  if (!(c.dataVariance > 0) || !Number.isFinite(c.dataVariance)) bad(`dataVariance must be a finite number > 0, got ${c.dataVariance}`);
}

/** Uniform(−a, a) numbers as a tensor (a = 1/√fanIn: PyTorch's Conv2d default). */
function uniform(shape: number[], a: number, r: Rng): tf.Tensor {
  const n = shape.reduce((x, y) => x * y, 1);
  const v = new Float32Array(n);
  for (let i = 0; i < n; i++) v[i] = (2 * r.uniform() - 1) * a;
  return tf.tensor(v, shape);
}

let variableCounter = 0;

/** Per-epoch codebook bookkeeping (not part of the weights). */
interface CodebookTracker {
  counts: Int32Array;
  /** The most recent batch's encoder outputs (candidates for dead-code restarts). */
  recent: Float32Array | null;
  ema: EmaState | null;
}

export class VqVae implements Trainable {
  readonly name = "VQ-VAE";
  readonly config: VqVaeConfig;
  readonly params: Map<string, tf.Variable> = new Map();
  /** C[K, I]. */
  readonly codebook: tf.Variable;
  /** False until the codebook was set by K-means, loaded, or training started with "uniform". */
  codebookInitialized: boolean;
  /**
   * Warm-up switch: while true the decoder sees the encoder's outputs L directly (a plain
   * autoencoder; the codebook terms are reported but not minimised), so that K-means can then
   * place the codes where trained features are. trainVqVae sets it during `warmupEpochs`.
   */
  bypassQuantizer = false;
  private tracker: CodebookTracker;

  constructor(config: Partial<VqVaeConfig> = {}, r: Rng = new Rng()) {
    if (config === null || typeof config !== "object") throw new TypeError(`VqVae: config must be an object, got ${config === null ? "null" : typeof config}.`);
    this.config = { ...DEFAULT_VQVAE_CONFIG, ...config, channels: [...(config.channels ?? DEFAULT_VQVAE_CONFIG.channels)] as [number, number] };
    checkConfig(this.config);
    if (!(r instanceof Rng)) throw new TypeError("VqVae: the generator must be an Rng (latentlab's rng(seed)).");
    const { channels: [c1, c2], latentDim: I, numCodes: K } = this.config;
    const add = (name: string, shape: number[], fanIn: number) => {
      const t = uniform(shape, 1 / Math.sqrt(fanIn), r);
      this.params.set(name, tf.variable(t, true, `vqvae${++variableCounter}/${name}`));
      t.dispose();
    };
    add("enc/conv0/kernel", [3, 3, 1, c1], 9);
    add("enc/conv0/bias", [c1], 9);
    add("enc/conv1/kernel", [3, 3, c1, c2], 9 * c1);
    add("enc/conv1/bias", [c2], 9 * c1);
    add("enc/proj/kernel", [1, 1, c2, I], c2);
    add("enc/proj/bias", [I], c2);
    // conv2dTranspose filters are [h, w, outChannels, inChannels]
    add("dec/deconv0/kernel", [3, 3, c2, I], 9 * I);
    add("dec/deconv0/bias", [c2], 9 * I);
    add("dec/deconv1/kernel", [3, 3, c1, c2], 9 * c2);
    add("dec/deconv1/bias", [c1], 9 * c2);
    add("dec/out/kernel", [3, 3, 1, c1], 9 * c1);
    add("dec/out/bias", [1], 9 * c1);
    const c0 = uniform([K, I], 1 / K, r);
    this.codebook = tf.variable(c0, true, `vqvae${variableCounter}/codebook`);
    c0.dispose();
    this.codebookInitialized = false;
    this.tracker = { counts: new Int32Array(K), recent: null, ema: null };
  }

  /** K. */
  get numCodes(): number {
    return this.config.numCodes;
  }
  /** Height of the code map (image height / 4). */
  get codeHeight(): number {
    return this.config.height / 4;
  }
  /** Width of the code map (image width / 4). */
  get codeWidth(): number {
    return this.config.width / 4;
  }
  /** I. */
  get latentDim(): number {
    return this.config.latentDim;
  }
  /** Pixels per image (the row size of the training data). */
  get rowSize(): number {
    return this.config.height * this.config.width;
  }
  /** Number of trainable numbers (networks and codebook). */
  get numParams(): number {
    let n = this.codebook.size;
    for (const v of this.params.values()) n += v.size;
    return n;
  }

  private p(name: string): tf.Variable {
    const v = this.params.get(name);
    if (!v || v.isDisposed) throw new Error(`VqVae: parameter "${name}" is gone (was the model disposed?).`);
    return v;
  }

  private checkImages(x: tf.Tensor, where: string): void {
    if (!(x instanceof tf.Tensor) || x.rank !== 2 || x.shape[1] !== this.rowSize) {
      throw new RangeError(`VqVae.${where}: expected images as a [n, ${this.rowSize}] tensor (pixels in [0, 1]), got ${x instanceof tf.Tensor ? `shape [${x.shape}]` : typeof x}.`);
    }
  }

  /** L = Enc(s): images [n, H·W] in [0, 1] → latents [n, H/4, W/4, I]. */
  encodeLatents(x: tf.Tensor2D): tf.Tensor4D {
    this.checkImages(x, "encodeLatents");
    const { height: H, width: W } = this.config;
    return tf.tidy(() => {
      const img = tf.reshape(tf.sub(x, 0.5), [-1, H, W, 1]) as tf.Tensor4D;
      const a = tf.relu(tf.add(tf.conv2d(img, this.p("enc/conv0/kernel") as tf.Tensor4D, 2, "same"), this.p("enc/conv0/bias"))) as tf.Tensor4D;
      const b = tf.relu(tf.add(tf.conv2d(a, this.p("enc/conv1/kernel") as tf.Tensor4D, 2, "same"), this.p("enc/conv1/bias"))) as tf.Tensor4D;
      return tf.add(tf.conv2d(b, this.p("enc/proj/kernel") as tf.Tensor4D, 1, "same"), this.p("enc/proj/bias")) as tf.Tensor4D;
    });
  }

  /** ŝ = Dec(L̂): (quantized) latents [n, H/4, W/4, I] → images [n, H·W] (pixel units, not clipped). */
  decodeLatents(q: tf.Tensor4D): tf.Tensor2D {
    const { height: H, width: W, channels: [c1, c2], latentDim: I } = this.config;
    if (!(q instanceof tf.Tensor) || q.rank !== 4 || q.shape[1] !== H / 4 || q.shape[2] !== W / 4 || q.shape[3] !== I) {
      throw new RangeError(`VqVae.decodeLatents: expected latents [n, ${H / 4}, ${W / 4}, ${I}], got ${q instanceof tf.Tensor ? `[${q.shape}]` : typeof q}.`);
    }
    const n = q.shape[0];
    return tf.tidy(() => {
      const a = tf.relu(tf.add(tf.conv2dTranspose(q, this.p("dec/deconv0/kernel") as tf.Tensor4D, [n, H / 2, W / 2, c2], 2, "same"), this.p("dec/deconv0/bias"))) as tf.Tensor4D;
      const b = tf.relu(tf.add(tf.conv2dTranspose(a, this.p("dec/deconv1/kernel") as tf.Tensor4D, [n, H, W, c1], 2, "same"), this.p("dec/deconv1/bias"))) as tf.Tensor4D;
      const o = tf.add(tf.conv2dTranspose(b, this.p("dec/out/kernel") as tf.Tensor4D, [n, H, W, 1], 1, "same"), this.p("dec/out/bias"));
      return tf.add(tf.reshape(o, [n, H * W]), 0.5) as tf.Tensor2D;
    });
  }

  /**
   * One forward pass: latents L, codes z, quantized L̂ (straight-through) and the
   * reconstruction ŝ, with the loss terms. Call inside tf.tidy.
   */
  forward(x: tf.Tensor2D): {
    latents: tf.Tensor4D;
    codes: tf.Tensor;
    reconstruction: tf.Tensor2D;
    terms: { reconstruction: tf.Scalar; codebook: tf.Scalar; commitment: tf.Scalar };
    loss: tf.Scalar;
  } {
    const latents = this.encodeLatents(x);
    const q = quantizeStraightThrough(latents, this.codebook as tf.Tensor2D);
    const reconstruction = this.decodeLatents((this.bypassQuantizer ? latents : q.straightThrough) as tf.Tensor4D);
    const rec = tf.div(tf.mean(tf.square(tf.sub(reconstruction, x))), this.config.dataVariance) as tf.Scalar;
    const d = dictionaryLoss(latents, q.selected, this.config.beta);
    const vq = this.bypassQuantizer ? tf.scalar(0) : this.config.codebookLearning === "ema" ? (tf.mul(this.config.beta, d.commitment) as tf.Scalar) : d.total;
    return { latents, codes: q.codes, reconstruction, terms: { reconstruction: rec, codebook: d.codebook, commitment: d.commitment }, loss: tf.add(rec, vq) as tf.Scalar };
  }

  // ---- Trainable (the shared loop `fit`) ----

  prepareBatch(rows: BatchRows, _ctx: StepContext): Record<string, tf.Tensor> {
    if (rows.rowSize !== this.rowSize) throw new RangeError(`VqVae: rows of ${rows.rowSize} numbers, the model needs ${this.rowSize} pixels per image.`);
    return { x: tf.tensor2d(Float32Array.from(rows.x), [rows.size, rows.rowSize]) };
  }

  phases(): TrainPhase[] {
    return [
      {
        name: "model",
        variables: () => [...this.params.values(), ...(this.config.codebookLearning === "loss" ? [this.codebook] : [])],
        loss: (inputs) => {
          const f = this.forward(inputs.x as tf.Tensor2D);
          return { loss: f.loss, terms: f.terms };
        },
        termLabels: {
          reconstruction: "the reconstruction term ‖s − ŝ‖² / Var(s)",
          codebook: "the codebook term ‖sg[L] − L̂‖²",
          commitment: "the commitment term ‖L − sg[L̂]‖²",
        },
      },
    ];
  }

  /**
   * The batch's latents L and codes z under the updated encoder (what afterStep counts and the EMA
   * update averages): row-wise, so that data-parallel training computes them on every thread.
   */
  afterStepRows(inputs: Record<string, tf.Tensor>, _ctx: StepContext): Record<string, tf.Tensor> {
    if (this.bypassQuantizer) return {};
    const latents = this.encodeLatents(inputs.x as tf.Tensor2D);
    return { latents, codes: nearestCodes(latents, this.codebook as tf.Tensor2D) };
  }

  /**
   * Count this batch's codes (under the updated encoder) and make the EMA update if enabled.
   * `rows` is afterStepRows(inputs) when the loop computed it (sharded over threads); without it
   * the rows are computed here.
   */
  afterStep(inputs: Record<string, tf.Tensor>, ctx: StepContext, rows?: Record<string, tf.Tensor>): void {
    if (this.bypassQuantizer) return;
    const r = rows?.latents && rows.codes ? rows : this.afterStepRows(inputs, ctx);
    const flat = Float32Array.from(r.latents.dataSync());
    const codes = r.codes.dataSync();
    const t = this.tracker;
    for (let p = 0; p < codes.length; p++) t.counts[codes[p]]++;
    t.recent = flat;
    if (this.config.codebookLearning === "ema") {
      if (!t.ema) t.ema = emaStateFrom(this.codebook.dataSync(), this.latentDim);
      const c = emaCodebookUpdate(t.ema, flat, codes, this.config.emaDecay, this.config.emaEpsilon);
      this.codebook.assign(tf.tensor2d(c, [this.numCodes, this.latentDim]));
    }
  }

  /** The codebook: read by the loss, trained by it ("loss") or assigned by afterStep ("ema"). */
  state(): tf.Variable[] {
    return [this.codebook];
  }

  /**
   * How a data-parallel worker rebuilds this model: the same config and the warm-up switch as it
   * is now (fit starts its workers at the start of every call, and trainVqVae flips the switch
   * between calls); the loop copies the weights and the codebook.
   */
  replica(): { module: string; factory: string; args: unknown[] } {
    return { module: __filename, factory: "vqVaeReplica", args: [this.config, this.bypassQuantizer] };
  }

  /** Codes used and perplexity of the epoch's assignments; dead-code restarts (if enabled). */
  endEpoch(ctx: { epoch: number; rng: Rng }): Record<string, number> {
    if (this.bypassQuantizer) return {};
    const t = this.tracker;
    const used = codesUsed(t.counts);
    const total = t.counts.reduce((a, b) => a + b, 0);
    const out: Record<string, number> = { codesUsed: used, perplexity: total > 0 ? codebookPerplexity(t.counts) : 0, restarted: 0 };
    if (this.config.restartDeadCodes && used < this.numCodes && t.recent && total > 0) {
      const res = restartDeadCodes(this.codebook.dataSync(), t.counts, t.recent, this.latentDim, ctx.rng, { pick: "d2" });
      this.codebook.assign(tf.tensor2d(res.codebook, [this.numCodes, this.latentDim]));
      if (t.ema) for (const k of res.restarted) {
        t.ema.clusterSize[k] = 1;
        for (let i = 0; i < this.latentDim; i++) t.ema.embedSum[k * this.latentDim + i] = res.codebook[k * this.latentDim + i];
      }
      out.restarted = res.restarted.length;
    }
    t.counts.fill(0);
    return out;
  }

  /** Forget the EMA statistics (call after replacing the codebook from outside). */
  resetCodebookState(): void {
    this.tracker = { counts: new Int32Array(this.numCodes), recent: null, ema: null };
  }

  /** Replace C (K×I numbers). */
  setCodebook(values: ArrayLike<number>): void {
    if (values.length !== this.numCodes * this.latentDim) throw new RangeError(`VqVae.setCodebook: ${values.length} numbers, expected K × I = ${this.numCodes} × ${this.latentDim}.`);
    this.codebook.assign(tf.tensor2d(Float32Array.from(values), [this.numCodes, this.latentDim]));
    this.codebookInitialized = true;
    this.resetCodebookState();
  }

  /** Copies of every parameter by name, the codebook as "codebook". */
  weights(): Record<string, tf.Tensor> {
    const out: Record<string, tf.Tensor> = {};
    for (const [k, v] of this.params) out[k] = v.clone();
    out.codebook = this.codebook.clone();
    return out;
  }

  /** Assign parameters from a name → tensor map; every name and shape must match. */
  setWeights(map: Record<string, tf.Tensor>): void {
    const cb = map.codebook;
    if (!cb) throw new Error(`VqVae.setWeights: the weights have no "codebook" (names: ${Object.keys(map).join(", ")}).`);
    checkCodebook(cb, "VqVae.setWeights");
    if (cb.shape[0] !== this.numCodes || cb.shape[1] !== this.latentDim) {
      throw new RangeError(
        `VqVae.setWeights: the weights' codebook is [${cb.shape}] (K = ${cb.shape[0]}, I = ${cb.shape[1]}) but the model has K = ${this.numCodes}, I = ${this.latentDim}: ` +
          `these weights belong to a model with another K. Build the model with numCodes: ${cb.shape[0]}, or load the matching checkpoint.`,
      );
    }
    for (const [k, v] of this.params) {
      const t = map[k];
      if (!t) throw new Error(`VqVae.setWeights: the weights have no "${k}" (they are for a different architecture: ${Object.keys(map).join(", ")}).`);
      if (t.shape.join(",") !== v.shape.join(",")) throw new RangeError(`VqVae.setWeights: "${k}" has shape [${t.shape}] but the model needs [${v.shape}]; check channels and latentDim.`);
    }
    for (const [k, v] of this.params) v.assign(map[k]);
    this.codebook.assign(cb);
    this.codebookInitialized = true;
    this.resetCodebookState();
  }

  dispose(): void {
    for (const v of this.params.values()) v.dispose();
    this.params.clear();
    this.codebook.dispose();
  }
}

/** A VQ-VAE (keras-io's network by default: 32→64 channels, I = 16, K = 128, β = 0.25). */
export function createVqVae(config: Partial<VqVaeConfig> = {}, r: Rng = new Rng()): VqVae {
  return new VqVae(config, r);
}

/** The replica factory of VqVae.replica(): the architecture and the warm-up switch (the loop copies the weights). */
export function vqVaeReplica(config: VqVaeConfig, bypassQuantizer: boolean): VqVae {
  const m = new VqVae(config, new Rng(0));
  m.bypassQuantizer = bypassQuantizer;
  return m;
}
