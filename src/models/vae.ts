/**
 * The variational autoencoder as two networks (lecture 000, "neural network perspective";
 * lecture 002, "mechanics of VAEs"):
 *
 *   encoder  q_φ(z|x) = N(z; μ_φ(x), diag σ_φ²(x))      (an MLP, or a small CNN)
 *   decoder  p_θ(x|z) = Π_j Bernoulli(x_j; sigmoid ℓ_θ(z)_j)   or   N(x; m_θ(z), s² I)
 *   prior    p(z)     = N(0, I)
 *
 * and, with `deterministic: true`, the plain autoencoder z = μ_φ(x) that lecture 002 starts
 * from. The MLP default is the Kingma & Welling shape (one hidden layer). Parameters are
 * plain tf.Variables with stable names ("enc/h0/kernel", ...), so a checkpoint is just the
 * name → tensor map (see saveVae / loadVae).
 */
import * as tf from "@tensorflow/tfjs";
import { denseFused } from "./fusedDense";
import { Rng } from "../runtime/rng";
import { bernoulliLogLikelihood, gaussianLogLikelihood } from "./likelihood";
import {
  checkBoolean,
  checkFloat32Array,
  checkNumberArray,
  checkOneOf,
  checkOptions,
  checkPositive,
  checkPositiveInt,
  failInput,
  InputError,
} from "../runtime/validate";

let variableCounter = 0;

export type Likelihood = "bernoulli" | "gaussian";

export interface VaeConfig {
  /** Image height and width; the data dimension is D = height · width. */
  height: number;
  width: number;
  /** Latent dimension d. */
  latentDim: number;
  /** MLP hidden layer sizes of the encoder (the decoder mirrors them). K&W: [400] or [500]. */
  hidden: number[];
  activation: "relu" | "tanh";
  /** Decoder likelihood: Bernoulli on binary pixels, or Gaussian with fixed σ = gaussianSigma. */
  likelihood: Likelihood;
  gaussianSigma: number;
  /** "mlp" (default) or "conv": two stride-2 4×4 convolutions (height, width divisible by 4). */
  architecture: "mlp" | "conv";
  /** Channels of the two convolutions of the conv variant. */
  convChannels: [number, number];
  /** true: a plain autoencoder (z = μ(x), no KL term, no sampling). */
  deterministic: boolean;
}

export const DEFAULT_VAE_CONFIG: VaeConfig = {
  height: 28,
  width: 28,
  latentDim: 20,
  hidden: [400],
  activation: "relu",
  likelihood: "bernoulli",
  gaussianSigma: 0.1,
  architecture: "mlp",
  convChannels: [16, 32],
  deterministic: false,
};

const CONFIG_KEYS = Object.keys(DEFAULT_VAE_CONFIG);

/**
 * Check a (partial) config as given by the caller: known keys only, types from JavaScript too,
 * enumerations, positive sizes. Every problem is an InputError naming the key and the fix.
 */
export function checkVaeConfig(config: unknown, where = "createVae"): void {
  const c = checkOptions<Partial<VaeConfig>>(where, config, CONFIG_KEYS, "config");
  const w = `${where}: config`;
  if (c.height !== undefined) checkPositiveInt(w, "height", c.height);
  if (c.width !== undefined) checkPositiveInt(w, "width", c.width);
  if (c.latentDim !== undefined) checkPositiveInt(w, "latentDim", c.latentDim, "e.g. latentDim: 20");
  if (c.hidden !== undefined) {
    if (!Array.isArray(c.hidden)) failInput(w, "hidden", "an array of positive integers (hidden layer sizes, e.g. [400])", c.hidden);
    c.hidden.forEach((h, i) => checkPositiveInt(w, `hidden[${i}]`, h));
  }
  if (c.activation !== undefined) checkOneOf(w, "activation", c.activation, ["relu", "tanh"] as const);
  if (c.likelihood !== undefined) checkOneOf(w, "likelihood", c.likelihood, ["bernoulli", "gaussian"] as const);
  if (c.gaussianSigma !== undefined) checkPositive(w, "gaussianSigma", c.gaussianSigma);
  if (c.architecture !== undefined) checkOneOf(w, "architecture", c.architecture, ["mlp", "conv"] as const);
  if (c.convChannels !== undefined) {
    if (!Array.isArray(c.convChannels) || c.convChannels.length !== 2) failInput(w, "convChannels", "two positive integers, e.g. [16, 32]", c.convChannels);
    c.convChannels.forEach((h, i) => checkPositiveInt(w, `convChannels[${i}]`, h));
  }
  if (c.deterministic !== undefined) checkBoolean(w, "deterministic", c.deterministic);
}

function checkConfig(c: VaeConfig, where: string): void {
  if (c.architecture === "conv" && (c.height % 4 !== 0 || c.width % 4 !== 0)) {
    failInput(`${where}: config`, "height × width", "divisible by 4 for the conv variant", `${c.height}×${c.width}`, 'use architecture: "mlp", or pad the images');
  }
}

/** Uniform(−1/√fanIn, 1/√fanIn) initial values (PyTorch's nn.Linear / Conv2d default). */
function uniformInit(shape: number[], fanIn: number, r: Rng): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const v = new Float32Array(n);
  const a = 1 / Math.sqrt(fanIn);
  for (let i = 0; i < n; i++) v[i] = (2 * r.uniform() - 1) * a;
  return tf.tensor(v, shape);
}

export class Vae {
  readonly config: VaeConfig;
  /** Trainable parameters by name, in creation order. */
  readonly params: Map<string, tf.Variable> = new Map();

  constructor(config: Partial<VaeConfig> = {}, r: Rng = new Rng()) {
    checkVaeConfig(config, "new Vae");
    if (!(r instanceof Rng)) failInput("new Vae", "the second argument", "an Rng (e.g. rng(0))", r);
    this.config = { ...DEFAULT_VAE_CONFIG, ...config, hidden: [...(config.hidden ?? DEFAULT_VAE_CONFIG.hidden)] };
    checkConfig(this.config, "new Vae");
    const c = this.config;
    const D = c.height * c.width;
    const d = c.latentDim;
    const dense = (name: string, fin: number, fout: number) => {
      this.add(`${name}/kernel`, uniformInit([fin, fout], fin, r));
      this.add(`${name}/bias`, uniformInit([fout], fin, r));
    };
    if (c.architecture === "mlp") {
      let fin = D;
      c.hidden.forEach((h, i) => {
        dense(`enc/h${i}`, fin, h);
        fin = h;
      });
      dense("enc/mu", fin, d);
      if (!c.deterministic) dense("enc/logvar", fin, d);
      const rev = [...c.hidden].reverse();
      fin = d;
      rev.forEach((h, i) => {
        dense(`dec/h${i}`, fin, h);
        fin = h;
      });
      dense("dec/out", fin, D);
    } else {
      const [c1, c2] = c.convChannels;
      const flat = (c.height / 4) * (c.width / 4) * c2;
      this.add("enc/conv0/kernel", uniformInit([4, 4, 1, c1], 16, r));
      this.add("enc/conv0/bias", uniformInit([c1], 16, r));
      this.add("enc/conv1/kernel", uniformInit([4, 4, c1, c2], 16 * c1, r));
      this.add("enc/conv1/bias", uniformInit([c2], 16 * c1, r));
      dense("enc/mu", flat, d);
      if (!c.deterministic) dense("enc/logvar", flat, d);
      dense("dec/h0", d, flat);
      // conv2dTranspose filters are [h, w, outChannels, inChannels].
      this.add("dec/deconv0/kernel", uniformInit([4, 4, c1, c2], 16 * c2, r));
      this.add("dec/deconv0/bias", uniformInit([c1], 16 * c2, r));
      this.add("dec/deconv1/kernel", uniformInit([4, 4, 1, c1], 16 * c1, r));
      this.add("dec/deconv1/bias", uniformInit([1], 16 * c1, r));
    }
  }

  private add(name: string, init: tf.Tensor): void {
    this.params.set(name, tf.variable(init, true, `vae${++variableCounter}/${name}`));
    init.dispose();
  }

  private p(name: string): tf.Variable {
    const v = this.params.get(name);
    if (!v) throw new Error(`Vae: no parameter "${name}" (was the model disposed?).`);
    return v;
  }

  /** Data dimension D = height · width. */
  get dataDim(): number {
    return this.config.height * this.config.width;
  }

  get latentDim(): number {
    return this.config.latentDim;
  }

  /** Number of trainable numbers. */
  get numParams(): number {
    let n = 0;
    for (const v of this.params.values()) n += v.size;
    return n;
  }

  private act(t: tf.Tensor): tf.Tensor {
    return this.config.activation === "relu" ? tf.relu(t) : tf.tanh(t);
  }

  /**
   * Affine layer y = x W + b as one fused kernel (the bias is added inside the product, not as
   * a separate pass over y; see fusedDense.ts for why this is not tf.fused.matMul).
   */
  private dense(name: string, x: tf.Tensor): tf.Tensor2D {
    return denseFused(x as tf.Tensor2D, this.p(`${name}/kernel`) as tf.Tensor2D, this.p(`${name}/bias`) as tf.Tensor1D, "linear");
  }

  /**
   * Hidden layer h = act(x W + b). With ReLU the activation is fused into the product as well,
   * also while training (one kernel forward; backward ∂(xW+b) = ∂h ⊙ 1[h > 0], identical to
   * relu's gradient); tanh is not a fused activation in TensorFlow.js, so it follows.
   */
  private denseAct(name: string, x: tf.Tensor): tf.Tensor2D {
    if (this.config.activation !== "relu") return this.act(this.dense(name, x)) as tf.Tensor2D;
    return denseFused(x as tf.Tensor2D, this.p(`${name}/kernel`) as tf.Tensor2D, this.p(`${name}/bias`) as tf.Tensor1D, "relu");
  }

  private checkInput(x: tf.Tensor, what: string, dim: number): void {
    if (!(x instanceof tf.Tensor)) failInput(`Vae.${what}`, "the input", `a [n, ${dim}] tf.Tensor`, x);
    if (x.rank !== 2 || x.shape[1] !== dim) {
      throw new InputError(`Vae.${what}: expected a [n, ${dim}] tensor, got shape [${x.shape.join(", ")}]; ${this.shapeHint(dim)}.`, `Vae.${what}`);
    }
  }

  private shapeHint(dim: number): string {
    const c = this.config;
    return dim === this.dataDim
      ? `this model was built for ${c.height}×${c.width} images (D = ${this.dataDim}): flatten each image to ${this.dataDim} numbers, or build the model for your image size`
      : `this model has latentDim ${this.latentDim}`;
  }

  /**
   * Check a batch of flat images against the model: a Float32Array holding n ≥ 1 images of
   * D = height·width numbers each. When the images' own size is known (`imageShape`, e.g. from
   * the data loader), it must be the model's: a 28×28 model given 14×14 images is an error,
   * not scrambled data. Returns n.
   */
  checkImages(where: string, images: unknown, imageShape?: { height: number; width: number }): number {
    const D = this.dataDim;
    const c = this.config;
    const x = checkFloat32Array(where, "images", images, { multipleOf: D, minLength: D }, this.shapeHint(D));
    if (imageShape && (imageShape.height !== c.height || imageShape.width !== c.width)) {
      throw new InputError(
        `${where}: images must be ${c.height}×${c.width} images (the model's size), got ${imageShape.height}×${imageShape.width} images. ` +
          `Build the model with the data's height and width (createVae({ height: ${imageShape.height}, width: ${imageShape.width}, … })), or resize the images.`,
        where,
      );
    }
    return x.length / D;
  }

  /**
   * Encoder: x [n, D] → μ [n, d] and log σ² [n, d] (log σ² is null for the autoencoder).
   * Call inside tf.tidy (or dispose the results).
   */
  encode(x: tf.Tensor2D): { mu: tf.Tensor2D; logvar: tf.Tensor2D | null } {
    this.checkInput(x, "encode", this.dataDim);
    const c = this.config;
    let h: tf.Tensor;
    if (c.architecture === "mlp") {
      h = x;
      for (let i = 0; i < c.hidden.length; i++) h = this.denseAct(`enc/h${i}`, h);
    } else {
      const img = tf.reshape(x, [-1, c.height, c.width, 1]) as tf.Tensor4D;
      const a = this.act(tf.add(tf.conv2d(img, this.p("enc/conv0/kernel") as tf.Tensor4D, 2, "same"), this.p("enc/conv0/bias")));
      const b = this.act(tf.add(tf.conv2d(a as tf.Tensor4D, this.p("enc/conv1/kernel") as tf.Tensor4D, 2, "same"), this.p("enc/conv1/bias")));
      h = tf.reshape(b, [x.shape[0], -1]);
    }
    const mu = this.dense("enc/mu", h);
    const logvar = c.deterministic ? null : this.dense("enc/logvar", h);
    return { mu, logvar };
  }

  /**
   * Decoder output before the likelihood: Bernoulli logits ℓ(z), or the Gaussian mean m(z)
   * (a sigmoid, so means stay in [0, 1]). z [n, d] → [n, D].
   */
  decode(z: tf.Tensor2D): tf.Tensor2D {
    this.checkInput(z, "decode", this.latentDim);
    const c = this.config;
    let out: tf.Tensor2D;
    if (c.architecture === "mlp") {
      let h: tf.Tensor = z;
      for (let i = 0; i < c.hidden.length; i++) h = this.denseAct(`dec/h${i}`, h);
      out = this.dense("dec/out", h);
    } else {
      const [c1, c2] = c.convChannels;
      const n = z.shape[0];
      const h4 = c.height / 4;
      const w4 = c.width / 4;
      const h = tf.reshape(this.denseAct("dec/h0", z), [n, h4, w4, c2]) as tf.Tensor4D;
      const a = this.act(
        tf.add(tf.conv2dTranspose(h, this.p("dec/deconv0/kernel") as tf.Tensor4D, [n, h4 * 2, w4 * 2, c1], 2, "same"), this.p("dec/deconv0/bias")),
      ) as tf.Tensor4D;
      const b = tf.add(tf.conv2dTranspose(a, this.p("dec/deconv1/kernel") as tf.Tensor4D, [n, c.height, c.width, 1], 2, "same"), this.p("dec/deconv1/bias"));
      out = tf.reshape(b, [n, this.dataDim]) as tf.Tensor2D;
    }
    return c.likelihood === "gaussian" ? tf.sigmoid(out) : out;
  }

  /** Mean of p(x|z): sigmoid(ℓ) for Bernoulli, m(z) for Gaussian. [n, d] → [n, D]. */
  decodeMean(z: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => {
      const o = this.decode(z);
      return this.config.likelihood === "bernoulli" ? tf.sigmoid(o) : o;
    });
  }

  /** log p(x|z) per row from the decoder output `out` = decode(z). [n, D] → [n]. */
  logLikelihood(out: tf.Tensor2D, x: tf.Tensor2D): tf.Tensor1D {
    return this.config.likelihood === "bernoulli"
      ? bernoulliLogLikelihood(out, x)
      : gaussianLogLikelihood(out, x, this.config.gaussianSigma);
  }

  /**
   * Reparameterized sample z = μ + σ ⊙ ε with ε given (lecture 000 "reparameterization":
   * z_s(φ) = μ_φ(x) + σ_φ(x) ⊙ ε, ε ~ N(0, I)). For the autoencoder z = μ.
   */
  reparameterize(mu: tf.Tensor2D, logvar: tf.Tensor2D | null, eps: tf.Tensor2D | null): tf.Tensor2D {
    if (!logvar || !eps) return mu;
    return tf.add(mu, tf.mul(tf.exp(tf.mul(logvar, 0.5)), eps)) as tf.Tensor2D;
  }

  /** Fresh samples from the model: z ~ N(0, I), x̂ = E[x|z]. Returns n×D numbers. */
  sample(n: number, r: Rng): Float32Array {
    checkPositiveInt("Vae.sample", "n", n, "the number of samples to draw");
    if (!(r instanceof Rng)) failInput("Vae.sample", "r", "an Rng (e.g. rng(0))", r);
    const eps = r.normals(new Float32Array(n * this.latentDim));
    return tf.tidy(() => this.decodeMean(tf.tensor2d(eps, [n, this.latentDim]))).dataSync() as Float32Array;
  }

  /** The encoder means μ(x) for a batch of images (n×D numbers) → n×d numbers. */
  encodeMeans(images: Float32Array, batchSize = 500): Float32Array {
    const D = this.dataDim;
    const n = this.checkImages("Vae.encodeMeans", images);
    checkPositiveInt("Vae.encodeMeans", "batchSize", batchSize);
    const out = new Float32Array(n * this.latentDim);
    for (let s = 0; s < n; s += batchSize) {
      const m = Math.min(batchSize, n - s);
      const mu = tf.tidy(() => this.encode(tf.tensor2d(images.subarray(s * D, (s + m) * D), [m, D])).mu);
      out.set(mu.dataSync(), s * this.latentDim);
      mu.dispose();
    }
    return out;
  }

  /** Encoder means and variances σ² for a batch of images: two n×d arrays. */
  encodeGaussian(images: Float32Array, batchSize = 500): { mu: Float32Array; variance: Float32Array } {
    const D = this.dataDim;
    const d = this.latentDim;
    const n = this.checkImages("Vae.encodeGaussian", images);
    checkPositiveInt("Vae.encodeGaussian", "batchSize", batchSize);
    const mu = new Float32Array(n * d);
    const variance = new Float32Array(n * d);
    for (let s = 0; s < n; s += batchSize) {
      const m = Math.min(batchSize, n - s);
      const [a, b] = tf.tidy(() => {
        const q = this.encode(tf.tensor2d(images.subarray(s * D, (s + m) * D), [m, D]));
        return [q.mu, q.logvar ? tf.exp(q.logvar) : tf.zerosLike(q.mu)];
      });
      mu.set(a.dataSync(), s * d);
      variance.set(b.dataSync(), s * d);
      a.dispose();
      b.dispose();
    }
    return { mu, variance };
  }

  /** Decoder means E[x|z] for n×d latent points → n×D numbers. */
  decodeLatents(z: Float32Array | Float64Array | number[]): Float32Array {
    const d = this.latentDim;
    checkNumberArray("Vae.decodeLatents", "z", z, { multipleOf: d, minLength: d }, `n latent points of d = ${d} numbers each`);
    const n = z.length / d;
    return tf.tidy(() => this.decodeMean(tf.tensor2d(Float32Array.from(z), [n, d]))).dataSync() as Float32Array;
  }

  /** Reconstructions E[x | z = μ(x)] (the mean code, no sampling) → n×D numbers. */
  reconstruct(images: Float32Array): Float32Array {
    return this.decodeLatents(this.encodeMeans(images));
  }

  /** Copies of the parameters by name (for saving). */
  weights(): Record<string, tf.Tensor> {
    const out: Record<string, tf.Tensor> = {};
    for (const [k, v] of this.params) out[k] = v.clone();
    return out;
  }

  /** Assign parameters from a name → tensor map; every name and shape must match. */
  setWeights(map: Record<string, tf.Tensor>): void {
    if (map === null || typeof map !== "object") failInput("Vae.setWeights", "map", "an object of named tf.Tensors (from weights() or loadWeights)", map);
    for (const [k, v] of this.params) {
      const t = map[k];
      if (t !== undefined && !(t instanceof tf.Tensor)) failInput("Vae.setWeights", `map["${k}"]`, "a tf.Tensor", t);
      if (!t) throw new Error(`Vae.setWeights: the weights have no "${k}" (they are for a different architecture: ${Object.keys(map).join(", ")}).`);
      if (t.shape.join(",") !== v.shape.join(",")) {
        throw new Error(`Vae.setWeights: "${k}" has shape [${t.shape}] but the model needs [${v.shape}]; check latentDim/hidden in the config.`);
      }
      v.assign(t);
    }
  }

  /** Free the parameters. */
  dispose(): void {
    for (const v of this.params.values()) v.dispose();
    this.params.clear();
  }
}

/** A variational autoencoder (Kingma & Welling shape by default: 784-400-20, ReLU, Bernoulli). */
export function createVae(config: Partial<VaeConfig> = {}, r: Rng = new Rng()): Vae {
  return new Vae(config, r);
}

/** A plain (deterministic) autoencoder with the same networks: z = μ(x), loss −log p(x|z). */
export function createAutoencoder(config: Partial<VaeConfig> = {}, r: Rng = new Rng()): Vae {
  return new Vae({ ...config, deterministic: true }, r);
}
