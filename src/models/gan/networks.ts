/**
 * Generator and discriminator networks (lecture 001: "input can be a vector with independent
 * Gaussian random numbers; we can use a CNN to generate images"):
 *
 *   generator      G_θ: z ∼ N(0, I_d) ↦ x̃ = G_θ(z)            (an implicit model: samples, no density)
 *   discriminator  D_φ: x ↦ ℓ = logit of P(x is real),  D = σ(ℓ)
 *
 * Two architectures:
 *   "mlp"    G: d → hidden… (ReLU) → D_data (sigmoid for images in [0, 1], linear for points);
 *            D: D_data·pack → hidden… (LeakyReLU 0.2) → 1.
 *   "dcgan"  (28×28 only; Radford et al. 2016, with the generator's batch norm optional: `batchNorm`)
 *            G: d → 7·7·c₁ (ReLU) → ConvT 4×4/2 → 14·14·c₂ (ReLU) → ConvT 4×4/2 → 28·28·1 (sigmoid);
 *            D: Conv 4×4/2 → 14·14·c₂ (LeakyReLU) → Conv 4×4/2 → 7·7·c₁ (LeakyReLU) → 1.
 *
 * `pack` > 1 is PacGAN (Lin et al. 2018), a remedy for mode collapse: the discriminator judges
 * `pack` samples at once (concatenated), all real or all generated, so a generator that puts
 * its samples on few modes produces tell-tale packs. `minibatchStd` (Karras et al. 2018) gives the
 * discriminator the batch's spread as an extra input, with the same aim:
 *
 *   s = mean over features f of sqrt(Var_batch[h_f] + 1e-8)
 *
 * where h is the MLP discriminator's input (the pixels), or the DCGAN discriminator's 14·14·c₂
 * feature map after its first convolution; s enters as one more input number (MLP) or as one more,
 * constant channel of that feature map (DCGAN), as in Progressive GAN. `pixelNorm` (Karras et al.
 * 2018) normalises every hidden activation vector of the generator per sample (per pixel, over
 * channels, for the DCGAN): a ↦ a / sqrt(mean_c a_c² + 1e-8). It keeps the generator's signal at
 * unit scale without batch statistics, so a sample depends only on its own z.
 *
 * `batchNorm` (Ioffe & Szegedy 2015; in the DCGAN generator since Radford et al. 2016) normalises
 * each hidden pre-activation a of the generator per feature (per channel for the DCGAN):
 *
 *   training   â = γ (a − μ_B) / sqrt(σ²_B + 1e-5) + β,   μ_B, σ²_B the mean and variance over the batch
 *   sampling   the same with μ, σ² the population statistics of a under z ∼ N(0, I)
 *
 * Normalising over the batch forces every feature to vary across the batch's z, which is what
 * keeps the generator from mapping every z to one image. The population statistics are computed,
 * layer by layer, from a fixed set of draws of z after training (`updateGeneratorStatistics`,
 * called by the training loop after every epoch) and saved with the weights, so that a sample
 * depends only on its own z and the same z gives the same image in any batch.
 *
 * Parameters are named tf.Variables ("g/…" generator, "d/…" discriminator, "stats/…" the
 * generator's population statistics, never trained), so a checkpoint is the name → tensor map.
 */
import * as tf from "@tensorflow/tfjs";
import { Rng } from "../../runtime/rng";
import { denseFused } from "../fusedDense";
import { ParamSet, uniformInit } from "../quality/params";

export interface GanConfig {
  architecture: "mlp" | "dcgan";
  /** Numbers per data row: 2 for points, 784 for 28×28 images. */
  dataDim: number;
  /** Latent dimension d of z ∼ N(0, I). */
  latentDim: number;
  /** MLP hidden sizes of the generator and the discriminator. */
  generatorHidden: number[];
  discriminatorHidden: number[];
  /** DCGAN channels [c₁, c₂] (c₁ at 7×7, c₂ at 14×14). */
  channels: [number, number];
  /** Generator output: "sigmoid" (pixels in [0, 1]) or "linear" (points in ℝ^D). */
  output: "sigmoid" | "linear";
  /** PacGAN packing degree (1 = the plain GAN). */
  pack: number;
  /**
   * Minibatch standard deviation (Karras et al. 2018): the discriminator also sees
   * s = mean over features of the standard deviation across the batch (of the pixels for the
   * MLP, of its first feature map for the DCGAN), a number a collapsed generator cannot fake.
   * The discriminator's output for a row then depends on the rest of its batch: judge real
   * and generated rows in separate calls, as training does.
   */
  minibatchStd: boolean;
  /** Pixel-wise feature normalisation of the generator's hidden activations (Karras et al. 2018). */
  pixelNorm: boolean;
  /** Batch normalisation of the generator's hidden pre-activations (see the module comment). */
  batchNorm: boolean;
}

/** How the generator normalises with batchNorm on: batch statistics (training) or population ones (sampling). */
export type GeneratorMode = "train" | "sample";

export const DEFAULT_GAN_CONFIG: GanConfig = {
  architecture: "mlp",
  dataDim: 784,
  latentDim: 64,
  generatorHidden: [256, 512],
  discriminatorHidden: [512, 256],
  channels: [64, 32],
  output: "sigmoid",
  pack: 1,
  minibatchStd: false,
  pixelNorm: false,
  batchNorm: false,
};

function checkConfig(c: GanConfig): void {
  const bad = (what: string) => {
    throw new Error(`Gan config: ${what}.`);
  };
  if (c.architecture !== "mlp" && c.architecture !== "dcgan") bad(`architecture must be "mlp" or "dcgan", got ${String(c.architecture)}`);
  if (!Number.isInteger(c.dataDim) || c.dataDim <= 0) bad(`dataDim must be a positive integer, got ${c.dataDim}`);
  if (!Number.isInteger(c.latentDim) || c.latentDim <= 0) bad(`latentDim must be a positive integer, got ${c.latentDim}`);
  for (const k of ["generatorHidden", "discriminatorHidden"] as const) {
    if (!Array.isArray(c[k]) || c[k].some((h) => !Number.isInteger(h) || h <= 0)) bad(`${k} must be an array of positive integers, got ${JSON.stringify(c[k])}`);
  }
  if (c.architecture === "dcgan" && c.dataDim !== 784) bad(`the DCGAN is for 28×28 images (dataDim 784), got dataDim ${c.dataDim}`);
  if (c.output !== "sigmoid" && c.output !== "linear") bad(`output must be "sigmoid" or "linear", got ${String(c.output)}`);
  if (!Number.isInteger(c.pack) || c.pack < 1) bad(`pack must be a positive integer, got ${c.pack}`);
  if (typeof c.minibatchStd !== "boolean") bad(`minibatchStd must be true or false, got ${String(c.minibatchStd)}`);
  if (typeof c.pixelNorm !== "boolean") bad(`pixelNorm must be true or false, got ${String(c.pixelNorm)}`);
  if (typeof c.batchNorm !== "boolean") bad(`batchNorm must be true or false, got ${String(c.batchNorm)}`);
}

export class Gan {
  readonly config: GanConfig;
  readonly ps: ParamSet;

  constructor(config: Partial<GanConfig> = {}, r: Rng = new Rng()) {
    const c: GanConfig = {
      ...DEFAULT_GAN_CONFIG,
      ...config,
      generatorHidden: [...(config.generatorHidden ?? DEFAULT_GAN_CONFIG.generatorHidden)],
      discriminatorHidden: [...(config.discriminatorHidden ?? DEFAULT_GAN_CONFIG.discriminatorHidden)],
      channels: [...(config.channels ?? DEFAULT_GAN_CONFIG.channels)] as [number, number],
    };
    checkConfig(c);
    this.config = c;
    this.ps = new ParamSet("Gan", "gan");
    const gr = r.fork();
    const dr = r.fork();
    if (c.architecture === "mlp") {
      let fin = c.latentDim;
      c.generatorHidden.forEach((h, i) => {
        this.ps.dense(`g/h${i}`, fin, h, gr);
        fin = h;
      });
      if (c.batchNorm) c.generatorHidden.forEach((h, i) => this.addBatchNorm(i, h));
      this.ps.dense("g/out", fin, c.dataDim, gr);
      fin = c.dataDim * c.pack + (c.minibatchStd ? 1 : 0);
      c.discriminatorHidden.forEach((h, i) => {
        this.ps.dense(`d/h${i}`, fin, h, dr);
        fin = h;
      });
      this.ps.dense("d/out", fin, 1, dr);
    } else {
      const [c1, c2] = c.channels;
      this.ps.dense("g/h0", c.latentDim, 7 * 7 * c1, gr);
      // conv2dTranspose filters are [h, w, outChannels, inChannels].
      this.ps.add("g/deconv0/kernel", uniformInit([4, 4, c2, c1], 16 * c1, gr));
      this.ps.add("g/deconv0/bias", uniformInit([c2], 16 * c1, gr));
      this.ps.add("g/deconv1/kernel", uniformInit([4, 4, 1, c2], 16 * c2, gr));
      this.ps.add("g/deconv1/bias", uniformInit([1], 16 * c2, gr));
      if (c.batchNorm) {
        this.addBatchNorm(0, c1);
        this.addBatchNorm(1, c2);
      }
      this.ps.add("d/conv0/kernel", uniformInit([4, 4, c.pack, c2], 16 * c.pack, dr));
      this.ps.add("d/conv0/bias", uniformInit([c2], 16 * c.pack, dr));
      const c2in = c2 + (c.minibatchStd ? 1 : 0);
      this.ps.add("d/conv1/kernel", uniformInit([4, 4, c2in, c1], 16 * c2in, dr));
      this.ps.add("d/conv1/bias", uniformInit([c1], 16 * c2in, dr));
      this.ps.dense("d/out", 7 * 7 * c1, 1, dr);
    }
  }

  /** γ = 1, β = 0 (trained) and the population statistics μ = 0, σ² = 1 (set after training) of BN layer i. */
  private addBatchNorm(i: number, width: number): void {
    this.ps.add(`g/bn${i}/gamma`, tf.ones([width]));
    this.ps.add(`g/bn${i}/beta`, tf.zeros([width]));
    this.ps.add(`stats/bn${i}/mean`, tf.zeros([width]));
    this.ps.add(`stats/bn${i}/variance`, tf.ones([width]));
  }

  /** Number of normalised generator layers (0 without batchNorm). */
  private get bnLayers(): number {
    if (!this.config.batchNorm) return 0;
    return this.config.architecture === "mlp" ? this.config.generatorHidden.length : 2;
  }

  get latentDim(): number {
    return this.config.latentDim;
  }

  get dataDim(): number {
    return this.config.dataDim;
  }

  /** The generator's parameters θ. */
  generatorVariables(): tf.Variable[] {
    return this.ps.variables("g/");
  }

  /** The discriminator's parameters φ. */
  discriminatorVariables(): tf.Variable[] {
    return this.ps.variables("d/");
  }

  private dense(name: string, x: tf.Tensor, act: "relu" | "linear"): tf.Tensor2D {
    return denseFused(x as tf.Tensor2D, this.ps.get(`${name}/kernel`) as tf.Tensor2D, this.ps.get(`${name}/bias`) as tf.Tensor1D, act);
  }

  /** a / sqrt(mean over the last axis of a² + 1e-8) when pixelNorm is on; else a. */
  private norm<T extends tf.Tensor>(a: T): T {
    if (!this.config.pixelNorm) return a;
    return tf.mul(a, tf.rsqrt(tf.add(tf.mean(tf.square(a), -1, true), 1e-8))) as T;
  }

  /** s = mean over features of the batch's standard deviation, as a [1] tensor (minibatchStd). */
  private static batchSpread(h: tf.Tensor): tf.Tensor {
    const { variance } = tf.moments(h, 0);
    return tf.reshape(tf.mean(tf.sqrt(tf.add(variance, 1e-8))), [1]);
  }

  /**
   * Hidden layer i of the generator from its pre-activation a (channels on the last axis):
   * batch norm (batchNorm), ReLU, pixel norm (pixelNorm).
   */
  private hidden(i: number, a: tf.Tensor, mode: GeneratorMode): tf.Tensor {
    if (this.config.batchNorm) {
      const axes = Array.from({ length: a.rank - 1 }, (_, k) => k);
      let mean: tf.Tensor, variance: tf.Tensor;
      if (mode === "train") ({ mean, variance } = tf.moments(a, axes));
      else [mean, variance] = [this.ps.get(`stats/bn${i}/mean`), this.ps.get(`stats/bn${i}/variance`)];
      a = tf.add(tf.mul(tf.mul(tf.sub(a, mean), tf.rsqrt(tf.add(variance, 1e-5))), this.ps.get(`g/bn${i}/gamma`)), this.ps.get(`g/bn${i}/beta`));
    }
    return this.norm(tf.relu(a));
  }

  /**
   * The generator up to hidden layer `stopAt`'s pre-activation (for the population statistics),
   * or to the output when stopAt is undefined.
   */
  private forward(z: tf.Tensor2D, mode: GeneratorMode, stopAt?: number): tf.Tensor {
    const c = this.config;
    const n = z.shape[0];
    let out: tf.Tensor2D;
    if (c.architecture === "mlp") {
      let h: tf.Tensor = z;
      for (let i = 0; i < c.generatorHidden.length; i++) {
        if (!c.batchNorm && stopAt === undefined) {
          h = this.norm(this.dense(`g/h${i}`, h, "relu"));
          continue;
        }
        const a = this.dense(`g/h${i}`, h, "linear");
        if (stopAt === i) return a;
        h = this.hidden(i, a, mode);
      }
      out = this.dense("g/out", h, "linear");
    } else {
      const [c1, c2] = c.channels;
      const a0 = tf.reshape(this.dense("g/h0", z, "linear"), [n, 7, 7, c1]);
      if (stopAt === 0) return a0;
      const h = this.hidden(0, a0, mode) as tf.Tensor4D;
      const a1 = tf.add(tf.conv2dTranspose(h, this.ps.get("g/deconv0/kernel") as tf.Tensor4D, [n, 14, 14, c2], 2, "same"), this.ps.get("g/deconv0/bias"));
      if (stopAt === 1) return a1;
      const a = this.hidden(1, a1, mode) as tf.Tensor4D;
      const b = tf.add(tf.conv2dTranspose(a, this.ps.get("g/deconv1/kernel") as tf.Tensor4D, [n, 28, 28, 1], 2, "same"), this.ps.get("g/deconv1/bias"));
      out = tf.reshape(b, [n, 784]) as tf.Tensor2D;
    }
    return c.output === "sigmoid" ? tf.sigmoid(out) : out;
  }

  /**
   * x̃ = G(z): [n, latentDim] → [n, dataDim]. `mode` matters only with batchNorm: "train"
   * normalises with the batch's statistics (as the training loop does), "sample" (the default)
   * with the population statistics, so each row depends only on its own z.
   */
  generate(z: tf.Tensor2D, mode: GeneratorMode = "sample"): tf.Tensor2D {
    const c = this.config;
    if (z.rank !== 2 || z.shape[1] !== c.latentDim) throw new Error(`Gan.generate: expected z of shape [n, ${c.latentDim}], got [${z.shape}].`);
    if (mode !== "train" && mode !== "sample") throw new Error(`Gan.generate: mode must be "train" or "sample", got ${String(mode)}.`);
    return this.forward(z, mode) as tf.Tensor2D;
  }

  /**
   * With batchNorm: set the population statistics μ, σ² of every normalised generator layer to
   * the mean and variance of its pre-activation over n draws z ∼ N(0, I) from `r`, layer by layer
   * (layer i's statistics are measured with layers < i already normalised by theirs). Without
   * batchNorm: nothing to do (returns at once, draws nothing).
   */
  updateGeneratorStatistics(r: Rng, n = 4096, batchSize = 512): void {
    const L = this.bnLayers;
    if (L === 0) return;
    if (!Number.isInteger(n) || n < 2) throw new RangeError(`Gan.updateGeneratorStatistics: n must be an integer ≥ 2, got ${n}.`);
    const d = this.latentDim;
    const z = r.normals(new Float32Array(n * d));
    for (let i = 0; i < L; i++) {
      const width = this.ps.get(`stats/bn${i}/mean`).shape[0];
      // Values per sample and feature: 1 (MLP), 7·7 or 14·14 positions (DCGAN).
      const rowsPerSample = this.config.architecture === "mlp" ? 1 : i === 0 ? 49 : 196;
      const sum = new Float64Array(width);
      const sumSq = new Float64Array(width);
      let count = 0;
      for (let s = 0; s < n; s += batchSize) {
        const m = Math.min(batchSize, n - s);
        const [t1, t2] = tf.tidy(() => {
          const a = this.forward(tf.tensor2d(z.subarray(s * d, (s + m) * d), [m, d]), "sample", i);
          const flat = tf.reshape(a, [-1, width]);
          return [tf.sum(flat, 0), tf.sum(tf.square(flat), 0)];
        });
        const v1 = t1.dataSync(), v2 = t2.dataSync();
        for (let k = 0; k < width; k++) {
          sum[k] += v1[k];
          sumSq[k] += v2[k];
        }
        count += m * rowsPerSample;
        tf.dispose([t1, t2]);
      }
      const mean = Float32Array.from(sum, (v) => v / count);
      const variance = Float32Array.from(sumSq, (v, k) => Math.max(v / count - mean[k] * mean[k], 0));
      tf.tidy(() => {
        this.ps.get(`stats/bn${i}/mean`).assign(tf.tensor1d(mean));
        this.ps.get(`stats/bn${i}/variance`).assign(tf.tensor1d(variance));
      });
    }
  }

  /**
   * Discriminator logits ℓ = logit D(x). x: [n, dataDim] with n a multiple of `pack`; rows
   * i·pack … i·pack + pack − 1 form pack i. Returns [n / pack] logits.
   */
  discriminate(x: tf.Tensor2D): tf.Tensor1D {
    const c = this.config;
    if (x.rank !== 2 || x.shape[1] !== c.dataDim) throw new Error(`Gan.discriminate: expected x of shape [n, ${c.dataDim}], got [${x.shape}].`);
    if (x.shape[0] % c.pack !== 0) throw new Error(`Gan.discriminate: ${x.shape[0]} rows is not a multiple of pack = ${c.pack}.`);
    const m = x.shape[0] / c.pack;
    let logit: tf.Tensor2D;
    if (c.architecture === "mlp") {
      let h: tf.Tensor2D = tf.reshape(x, [m, c.dataDim * c.pack]) as tf.Tensor2D;
      if (c.minibatchStd) h = tf.concat([h, tf.mul(tf.ones([m, 1]), Gan.batchSpread(h))], 1) as tf.Tensor2D;
      for (let i = 0; i < c.discriminatorHidden.length; i++) h = tf.leakyRelu(this.dense(`d/h${i}`, h, "linear"), 0.2) as tf.Tensor2D;
      logit = this.dense("d/out", h, "linear");
    } else {
      // Packs become channels: [m, pack, 28, 28] → [m, 28, 28, pack].
      const img = tf.transpose(tf.reshape(x, [m, c.pack, 28, 28]), [0, 2, 3, 1]) as tf.Tensor4D;
      let a = tf.leakyRelu(tf.add(tf.conv2d(img, this.ps.get("d/conv0/kernel") as tf.Tensor4D, 2, "same"), this.ps.get("d/conv0/bias")), 0.2) as tf.Tensor4D;
      if (c.minibatchStd) a = tf.concat([a, tf.mul(tf.ones([m, 14, 14, 1]), Gan.batchSpread(a))], 3) as tf.Tensor4D;
      const b = tf.leakyRelu(tf.add(tf.conv2d(a, this.ps.get("d/conv1/kernel") as tf.Tensor4D, 2, "same"), this.ps.get("d/conv1/bias")), 0.2);
      logit = this.dense("d/out", tf.reshape(b, [m, -1]), "linear");
    }
    return tf.reshape(logit, [m]) as tf.Tensor1D;
  }

  /** n samples x̃ = G(z), z ∼ N(0, I) drawn from `r`: n × dataDim numbers. */
  sample(n: number, r: Rng): Float32Array {
    if (!Number.isInteger(n) || n <= 0) throw new RangeError(`Gan.sample: n must be a positive integer, got ${n}.`);
    const z = r.normals(new Float32Array(n * this.latentDim));
    return this.generateFrom(z);
  }

  /** G(z) for n × latentDim given latent numbers (e.g. an interpolation path): n × dataDim numbers. */
  generateFrom(z: Float32Array | Float64Array | number[], batchSize = 500): Float32Array {
    const d = this.latentDim;
    const n = z.length / d;
    if (!Number.isInteger(n) || n === 0) throw new RangeError(`Gan.generateFrom: ${z.length} numbers is not a positive multiple of latentDim = ${d}.`);
    const zf = Float32Array.from(z);
    const out = new Float32Array(n * this.dataDim);
    for (let s = 0; s < n; s += batchSize) {
      const m = Math.min(batchSize, n - s);
      const t = tf.tidy(() => this.generate(tf.tensor2d(zf.subarray(s * d, (s + m) * d), [m, d])));
      out.set(t.dataSync() as Float32Array, s * this.dataDim);
      t.dispose();
    }
    return out;
  }

  /** D(x) = σ(ℓ(x)) for n × dataDim numbers (pack must be 1): n probabilities. */
  discriminatorProbabilities(x: Float32Array): Float32Array {
    if (this.config.pack !== 1) throw new Error("Gan.discriminatorProbabilities: only for pack = 1 (a packed D judges groups of samples).");
    const n = x.length / this.dataDim;
    if (!Number.isInteger(n) || n === 0) throw new RangeError(`Gan.discriminatorProbabilities: ${x.length} numbers is not a positive multiple of dataDim = ${this.dataDim}.`);
    const t = tf.tidy(() => tf.sigmoid(this.discriminate(tf.tensor2d(x, [n, this.dataDim]))));
    const out = t.dataSync() as Float32Array;
    t.dispose();
    return out;
  }

  get numParams(): number {
    return this.ps.numParams;
  }

  dispose(): void {
    this.ps.dispose();
  }
}
