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
 *   "dcgan"  (28×28 only; Radford et al. 2016 without batch norm)
 *            G: d → 7·7·c₁ (ReLU) → ConvT 4×4/2 → 14·14·c₂ (ReLU) → ConvT 4×4/2 → 28·28·1 (sigmoid);
 *            D: Conv 4×4/2 → 14·14·c₂ (LeakyReLU) → Conv 4×4/2 → 7·7·c₁ (LeakyReLU) → 1.
 *
 * `pack` > 1 is PacGAN (Lin et al. 2018), a remedy for mode collapse: the discriminator judges
 * `pack` samples at once (concatenated), all real or all generated, so a generator that puts
 * its samples on few modes produces tell-tale packs. `minibatchStd` (Karras et al. 2018) gives the
 * discriminator the batch's spread as an extra input, with the same aim. Parameters are named tf.Variables ("g/…",
 * "d/…"), so a checkpoint is the name → tensor map.
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
   * Minibatch standard deviation (Karras et al. 2018, MLP only): the discriminator also sees
   * s = mean over features of the standard deviation across the batch, a number a collapsed
   * generator cannot fake.
   */
  minibatchStd: boolean;
}

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
  if (c.minibatchStd && c.architecture !== "mlp") bad("minibatchStd is implemented for the MLP discriminator only");
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
      this.ps.add("d/conv0/kernel", uniformInit([4, 4, c.pack, c2], 16 * c.pack, dr));
      this.ps.add("d/conv0/bias", uniformInit([c2], 16 * c.pack, dr));
      this.ps.add("d/conv1/kernel", uniformInit([4, 4, c2, c1], 16 * c2, dr));
      this.ps.add("d/conv1/bias", uniformInit([c1], 16 * c2, dr));
      this.ps.dense("d/out", 7 * 7 * c1, 1, dr);
    }
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

  /** x̃ = G(z): [n, latentDim] → [n, dataDim]. */
  generate(z: tf.Tensor2D): tf.Tensor2D {
    const c = this.config;
    if (z.rank !== 2 || z.shape[1] !== c.latentDim) throw new Error(`Gan.generate: expected z of shape [n, ${c.latentDim}], got [${z.shape}].`);
    let out: tf.Tensor2D;
    if (c.architecture === "mlp") {
      let h: tf.Tensor2D = z;
      for (let i = 0; i < c.generatorHidden.length; i++) h = this.dense(`g/h${i}`, h, "relu");
      out = this.dense("g/out", h, "linear");
    } else {
      const [c1, c2] = c.channels;
      const n = z.shape[0];
      const h = tf.reshape(this.dense("g/h0", z, "relu"), [n, 7, 7, c1]) as tf.Tensor4D;
      const a = tf.relu(tf.add(tf.conv2dTranspose(h, this.ps.get("g/deconv0/kernel") as tf.Tensor4D, [n, 14, 14, c2], 2, "same"), this.ps.get("g/deconv0/bias"))) as tf.Tensor4D;
      const b = tf.add(tf.conv2dTranspose(a, this.ps.get("g/deconv1/kernel") as tf.Tensor4D, [n, 28, 28, 1], 2, "same"), this.ps.get("g/deconv1/bias"));
      out = tf.reshape(b, [n, 784]) as tf.Tensor2D;
    }
    return c.output === "sigmoid" ? tf.sigmoid(out) : out;
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
      if (c.minibatchStd) {
        const { variance } = tf.moments(h, 0);
        const s = tf.mean(tf.sqrt(tf.add(variance, 1e-8)));
        h = tf.concat([h, tf.mul(tf.ones([m, 1]), s)], 1) as tf.Tensor2D;
      }
      for (let i = 0; i < c.discriminatorHidden.length; i++) h = tf.leakyRelu(this.dense(`d/h${i}`, h, "linear"), 0.2) as tf.Tensor2D;
      logit = this.dense("d/out", h, "linear");
    } else {
      // Packs become channels: [m, pack, 28, 28] → [m, 28, 28, pack].
      const img = tf.transpose(tf.reshape(x, [m, c.pack, 28, 28]), [0, 2, 3, 1]) as tf.Tensor4D;
      const a = tf.leakyRelu(tf.add(tf.conv2d(img, this.ps.get("d/conv0/kernel") as tf.Tensor4D, 2, "same"), this.ps.get("d/conv0/bias")), 0.2) as tf.Tensor4D;
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
