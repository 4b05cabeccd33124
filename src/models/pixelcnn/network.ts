/**
 * PixelCNN (van den Oord et al. 2016; lecture 001) and the gated PixelCNN, as plain
 * tf.Variables with stable names, so that a checkpoint is the name → tensor map.
 *
 * The network maps an image x (or a code map) to, at every pixel i, the parameters of
 * p(x_i | x_<i): one logit (Bernoulli, binarized images) or K logits (categorical, VQ-VAE
 * code maps). The autoregressive property — output i depends on inputs j < i only — comes
 * from the masks (masks.ts):
 *
 *   "pixelcnn": 7×7 mask-A convolution → L residual blocks
 *               [ReLU, 1×1 C→C/2, ReLU, 3×3 mask-B C/2→C/2, ReLU, 1×1 C/2→C] + skip
 *               → ReLU, 1×1 C→C, ReLU, 1×1 C→outputs
 *   "gated":    vertical and horizontal stacks (first layer k×k with the centre row / pixel
 *               excluded), L gated layers y = tanh(W_f ∗ x) ⊙ σ(W_g ∗ x), the vertical
 *               stack feeding the horizontal one through a 1×1 convolution, a residual
 *               1×1 on the horizontal stack, and the same 1×1 heads.
 *
 * Stacked masked convolutions have a blind spot: pixels up and to the right of i that no
 * chain of mask-B 3×3 taps reaches. The gated variant's two stacks remove it.
 *
 * Optional class conditioning (Conditional PixelCNN): a learned vector per class added to the
 * features before every block, h ← h + V y.
 */
import * as tf from "@tensorflow/tfjs";
import { Rng } from "../../runtime/rng";
import { zeroTapCrop } from "../../kernels/conv2d";
import { convMask, expandSpatialMask, gatedStackMask } from "./masks";

let variableCounter = 0;

export type PixelCnnArchitecture = "pixelcnn" | "gated";
export type PixelCnnOutput = "bernoulli" | "categorical";

export interface PixelCnnConfig {
  height: number;
  width: number;
  /** "bernoulli": pixels in {0, 1}, one logit each; "categorical": values in {0 … K−1}. */
  output: PixelCnnOutput;
  /** K, the number of values of a categorical pixel (a VQ-VAE's codebook size). Ignored for Bernoulli. */
  numCategories: number;
  architecture: PixelCnnArchitecture;
  /** C, the channels of the residual stream (the paper's 2h). */
  channels: number;
  /** L, residual blocks ("pixelcnn") or gated layers ("gated"). */
  blocks: number;
  /** Kernel of the first (mask-A) layer: 7 in the paper. */
  firstKernel: number;
  /** Kernel of the masked convolution inside each block: 3. */
  blockKernel: number;
  /** Number of classes for class conditioning (0: unconditional). */
  numLabels: number;
  /**
   * Categorical inputs only: E > 0 maps each one-hot code to a learned E-vector (a 1×1
   * convolution, position by position, so no mask is needed) before the first masked layer,
   * which then costs k²·E·C instead of k²·K·C multiplications per position. 0: one-hot input.
   */
  embedding: number;
}

export const DEFAULT_PIXELCNN_CONFIG: PixelCnnConfig = {
  height: 28,
  width: 28,
  output: "bernoulli",
  numCategories: 2,
  architecture: "pixelcnn",
  channels: 64,
  blocks: 4,
  firstKernel: 7,
  blockKernel: 3,
  numLabels: 0,
  embedding: 0,
};

function checkConfig(c: PixelCnnConfig): void {
  const bad = (what: string) => {
    throw new Error(`PixelCnn config: ${what}.`);
  };
  const posInt = (v: unknown) => typeof v === "number" && Number.isInteger(v) && v > 0;
  if (!posInt(c.height) || !posInt(c.width)) bad(`height and width must be positive integers, got ${c.height}×${c.width}`);
  if (c.output !== "bernoulli" && c.output !== "categorical") bad(`output must be "bernoulli" or "categorical", got ${JSON.stringify(c.output)}`);
  if (c.output === "categorical" && !(posInt(c.numCategories) && c.numCategories >= 2)) bad(`numCategories must be an integer ≥ 2 for categorical outputs, got ${c.numCategories}`);
  if (c.architecture !== "pixelcnn" && c.architecture !== "gated") bad(`architecture must be "pixelcnn" or "gated", got ${JSON.stringify(c.architecture)}`);
  if (!posInt(c.channels) || (c.architecture === "pixelcnn" && c.channels % 2 !== 0)) bad(`channels must be a positive (for "pixelcnn": even) integer, got ${c.channels}`);
  if (!(Number.isInteger(c.blocks) && c.blocks >= 0)) bad(`blocks must be a non-negative integer, got ${c.blocks}`);
  for (const [k, v] of [["firstKernel", c.firstKernel], ["blockKernel", c.blockKernel]] as const) {
    if (!posInt(v) || v % 2 !== 1) bad(`${k} must be an odd positive integer, got ${v}`);
  }
  if (!(Number.isInteger(c.embedding) && c.embedding >= 0)) bad(`embedding must be a non-negative integer (0: one-hot input), got ${c.embedding}`);
  if (c.embedding > 0 && c.output !== "categorical") bad("embedding is for categorical inputs (code maps) only");
  if (!(Number.isInteger(c.numLabels) && c.numLabels >= 0)) bad(`numLabels must be a non-negative integer (0: unconditional), got ${c.numLabels}`);
}

/** Uniform(−1/√fanIn, 1/√fanIn), PyTorch's Conv2d default (fanIn counts the whole k×k×cin kernel). */
function uniformInit(shape: number[], fanIn: number, r: Rng): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const v = new Float32Array(n);
  const a = 1 / Math.sqrt(fanIn);
  for (let i = 0; i < n; i++) v[i] = (2 * r.uniform() - 1) * a;
  return tf.tensor(v, shape);
}

/** The parameters one forward pass uses: masked kernels (kernel ⊙ mask) and biases, by name. */
export type PixelCnnWeights = Map<string, tf.Tensor>;

/**
 * The taps a masked k×k convolution can use: rows [i0, i1) × columns [j0, j1), the bounding box
 * of the mask's non-zero taps, shrunk on each side by at most the "same" padding (k−1)/2 (so
 * that the convolution with the cropped kernel and the padding moved keeps the output size),
 * and that padding as conv2d's explicit padding.
 */
export interface MaskCrop {
  i0: number;
  i1: number;
  j0: number;
  j1: number;
  pad: [[0, 0], [number, number], [number, number], [0, 0]];
}

/**
 * The crop of a [k, k, cin, cout] mask (conv2d filter layout, flattened), or null when it would
 * keep every tap: the kernels' own zero-tap crop (`zeroTapCrop`, src/kernels/conv2d.ts) applied
 * to the mask, for a stride-1 "same" convolution. A tap counts as used when any of its
 * cin·cout entries is non-zero.
 */
export function maskCrop(mask: Float32Array, k: number, inChannels: number, outChannels: number): MaskCrop | null {
  if (mask.length !== k * k * inChannels * outChannels) throw new Error(`maskCrop: the mask has ${mask.length} numbers, expected ${k}·${k}·${inChannels}·${outChannels} = ${k * k * inChannels * outChannels}.`);
  const p = (k - 1) / 2;
  const c = zeroTapCrop(mask, {
    batch: 1, inHeight: k, inWidth: k, inChannels, outChannels, filterHeight: k, filterWidth: k,
    strideHeight: 1, strideWidth: 1, dilationHeight: 1, dilationWidth: 1, padTop: p, padBottom: p, padLeft: p, padRight: p,
  });
  if (!c) return null;
  return { ...c, pad: [[0, 0], [p - c.i0, p - (k - c.i1)], [p - c.j0, p - (k - c.j1)], [0, 0]] };
}

export class PixelCnn {
  readonly config: PixelCnnConfig;
  /** Trainable parameters by name, in creation order. */
  readonly params: Map<string, tf.Variable> = new Map();
  /** Constant masks of the masked kernels, by kernel name. */
  readonly masks: Map<string, tf.Tensor> = new Map();
  /**
   * The taps each masked kernel can use (maskCrop), by kernel name. The forward pass convolves
   * with that part of the masked kernel only, so the filter gradient is not computed for taps
   * the mask zeroes (the kernels already skip them in the forward pass and ∂x).
   */
  readonly crops: Map<string, MaskCrop> = new Map();
  private disposed = false;

  constructor(config: Partial<PixelCnnConfig> = {}, r: Rng = new Rng()) {
    if (config === null || typeof config !== "object") throw new Error("PixelCnn(config, rng): config must be an object, e.g. { height: 28, width: 28 }.");
    if (!(r instanceof Rng)) throw new Error("PixelCnn(config, rng): rng must be an Rng, e.g. rng(0).");
    this.config = { ...DEFAULT_PIXELCNN_CONFIG, ...config };
    if (this.config.output === "bernoulli") this.config.numCategories = 2;
    checkConfig(this.config);
    const c = this.config;
    const C = c.channels;
    const k0 = c.firstKernel;
    const kb = c.blockKernel;
    const conv = (name: string, k: number, fin: number, fout: number, mask?: Float32Array) => {
      this.add(`${name}/kernel`, uniformInit([k, k, fin, fout], k * k * fin, r));
      this.add(`${name}/bias`, uniformInit([fout], k * k * fin, r));
      if (mask) {
        this.masks.set(`${name}/kernel`, tf.keep(tf.tensor4d(mask, [k, k, fin, fout])));
        const crop = maskCrop(mask, k, fin, fout);
        if (crop) this.crops.set(`${name}/kernel`, crop);
      }
    };
    if (c.embedding > 0) conv("embed", 1, this.inputChannels, c.embedding);
    const cin = c.embedding > 0 ? c.embedding : this.inputChannels;
    if (c.architecture === "pixelcnn") {
      conv("conv0", k0, cin, C, convMask(k0, "A", { inChannels: cin, outChannels: C }));
      for (let b = 0; b < c.blocks; b++) {
        conv(`block${b}/in`, 1, C, C / 2);
        conv(`block${b}/masked`, kb, C / 2, C / 2, convMask(kb, "B", { inChannels: C / 2, outChannels: C / 2 }));
        conv(`block${b}/out`, 1, C / 2, C);
      }
    } else {
      conv("vstack0", k0, cin, C, expandSpatialMask(gatedStackMask(k0, "vertical", true), cin, C));
      conv("hstack0", k0, cin, C, expandSpatialMask(gatedStackMask(k0, "horizontal", true), cin, C));
      for (let b = 0; b < c.blocks; b++) {
        conv(`gated${b}/v`, kb, C, 2 * C, expandSpatialMask(gatedStackMask(kb, "vertical", false), C, 2 * C));
        conv(`gated${b}/h`, kb, C, 2 * C, expandSpatialMask(gatedStackMask(kb, "horizontal", false), C, 2 * C));
        conv(`gated${b}/v2h`, 1, 2 * C, 2 * C);
        conv(`gated${b}/hout`, 1, C, C);
      }
    }
    conv("head0", 1, C, C);
    conv("head1", 1, C, this.outputChannels);
    if (c.numLabels > 0) {
      const width = c.architecture === "pixelcnn" ? C : 2 * C;
      for (let b = 0; b <= c.blocks; b++) this.add(`label${b}/embedding`, uniformInit([c.numLabels, width], c.numLabels, r));
    }
  }

  private add(name: string, init: tf.Tensor): void {
    this.params.set(name, tf.variable(init, true, `pixelcnn${++variableCounter}/${name}`));
    init.dispose();
  }

  /** Channels of the network's input: 1 for binary images, K (one-hot) for code maps. */
  get inputChannels(): number {
    return this.config.output === "bernoulli" ? 1 : this.config.numCategories;
  }

  /** Logits per pixel: 1 (Bernoulli) or K (categorical). */
  get outputChannels(): number {
    return this.config.output === "bernoulli" ? 1 : this.config.numCategories;
  }

  /** D = H·W, the number of pixels (dimensions) of one image. */
  get numPixels(): number {
    return this.config.height * this.config.width;
  }

  /** Number of trainable numbers (masked-out kernel taps included, as PyTorch counts them). */
  get numParameters(): number {
    let n = 0;
    for (const v of this.params.values()) n += v.size;
    return n;
  }

  /**
   * How far the output at pixel (r, c) can see: input rows r − up … r and columns
   * c − side … c + side. Every k×k layer adds ⌊k/2⌋ to both (1×1 layers add nothing).
   * The fast sampler recomputes only this window.
   */
  reach(): { up: number; side: number } {
    const c = this.config;
    const d = Math.floor(c.firstKernel / 2) + c.blocks * Math.floor(c.blockKernel / 2);
    return { up: d, side: d };
  }

  variables(): tf.Variable[] {
    this.checkAlive();
    return [...this.params.values()];
  }

  /**
   * Masked kernels and biases for one or many forward passes. Inside tf.tidy (training) the
   * products are cleaned up with the step; outside, release them with releaseWeights(w).
   */
  maskedWeights(): PixelCnnWeights {
    this.checkAlive();
    const w: PixelCnnWeights = new Map();
    for (const [name, v] of this.params) {
      const m = this.masks.get(name);
      w.set(name, m ? tf.mul(v, m) : v);
    }
    return w;
  }

  /** Dispose the masked kernels made by maskedWeights() (the variables themselves stay). */
  releaseWeights(w: PixelCnnWeights): void {
    for (const [name, t] of w) if (this.masks.has(name)) t.dispose();
  }

  /**
   * The network's input tensor [n, H, W, inputChannels] from n images (Bernoulli: values in
   * {0, 1}; categorical: integer codes in {0 … K−1}), with the height and width given
   * (default: the config's; the fast sampler passes a window).
   */
  inputTensor(x: Float32Array | Int32Array, n: number, height = this.config.height, width = this.config.width): tf.Tensor4D {
    if (this.config.output === "bernoulli") return tf.tensor4d(x instanceof Float32Array ? x : Float32Array.from(x), [n, height, width, 1]);
    return tf.tidy(() => {
      const idx = tf.tensor1d(x instanceof Int32Array ? x : Int32Array.from(x), "int32");
      return tf.reshape(tf.cast(tf.oneHot(idx, this.config.numCategories), "float32"), [n, height, width, this.config.numCategories]) as tf.Tensor4D;
    });
  }

  /**
   * Logits of p(x_i | x_<i) at every pixel: [n, H', W', outputChannels] for an input
   * [n, H', W', inputChannels] (any H', W'; the training and evaluation passes use H × W).
   * `labels` [n] (int32) is required when the model is class-conditional.
   */
  logits(input: tf.Tensor4D, labels?: tf.Tensor1D, weights?: PixelCnnWeights): tf.Tensor4D {
    this.checkAlive();
    const c = this.config;
    if (input.rank !== 4 || input.shape[3] !== this.inputChannels) {
      throw new Error(`PixelCnn.logits: input must be [n, height, width, ${this.inputChannels}], got [${input.shape.join(", ")}].`);
    }
    if (c.numLabels > 0 && !labels) throw new Error(`PixelCnn.logits: this model is class-conditional (${c.numLabels} classes): pass the labels.`);
    if (c.numLabels === 0 && labels) throw new Error("PixelCnn.logits: this model is unconditional; do not pass labels (build it with numLabels > 0 for class conditioning).");
    return tf.tidy(() => {
      const w = weights ?? this.maskedWeights();
      const get = (name: string) => w.get(name)!;
      // A masked kernel convolves with its usable taps only (this.crops): the same sums as the
      // whole masked kernel with "same" padding, without the filter gradient of masked taps.
      const conv = (x: tf.Tensor4D, name: string) => {
        const kernel = get(`${name}/kernel`) as tf.Tensor4D;
        const crop = this.crops.get(`${name}/kernel`);
        const y = crop
          ? tf.conv2d(x, tf.slice(kernel, [crop.i0, crop.j0, 0, 0], [crop.i1 - crop.i0, crop.j1 - crop.j0, -1, -1]), 1, crop.pad)
          : tf.conv2d(x, kernel, 1, "same");
        return tf.add(y, get(`${name}/bias`)) as tf.Tensor4D;
      };
      const n = input.shape[0];
      const cond = (b: number, x: tf.Tensor4D) => {
        if (!labels) return x;
        const e = tf.gather(get(`label${b}/embedding`), labels);
        return tf.add(x, tf.reshape(e, [n, 1, 1, e.shape[1]!])) as tf.Tensor4D;
      };
      if (c.embedding > 0) input = conv(input, "embed");
      let h: tf.Tensor4D;
      if (c.architecture === "pixelcnn") {
        h = cond(0, conv(input, "conv0"));
        for (let b = 0; b < c.blocks; b++) {
          let y = conv(tf.relu(h), `block${b}/in`);
          y = conv(tf.relu(y), `block${b}/masked`);
          y = conv(tf.relu(y), `block${b}/out`);
          h = cond(b + 1, tf.add(h, y) as tf.Tensor4D);
        }
      } else {
        const C = c.channels;
        let v = conv(input, "vstack0");
        h = conv(input, "hstack0");
        for (let b = 0; b < c.blocks; b++) {
          const vf = cond(b, conv(v, `gated${b}/v`));
          const hf = cond(b, tf.add(conv(h, `gated${b}/h`), conv(vf, `gated${b}/v2h`)) as tf.Tensor4D);
          const gate = (f: tf.Tensor4D) => {
            const [a, g] = tf.split(f, [C, C], 3);
            return tf.mul(tf.tanh(a), tf.sigmoid(g)) as tf.Tensor4D;
          };
          v = gate(vf);
          h = tf.add(h, conv(gate(hf), `gated${b}/hout`)) as tf.Tensor4D;
        }
      }
      const y = conv(tf.relu(h), "head0");
      return conv(tf.relu(y), "head1");
    });
  }

  /** Copies of the parameters by name (the caller owns them). */
  weights(): Record<string, tf.Tensor> {
    this.checkAlive();
    const out: Record<string, tf.Tensor> = {};
    for (const [name, v] of this.params) out[name] = tf.clone(v);
    return out;
  }

  /** Assign parameters by name; names and shapes must match this architecture exactly. */
  setWeights(w: Record<string, tf.Tensor> | tf.NamedTensorMap): void {
    this.checkAlive();
    const names = Object.keys(w);
    const missing = [...this.params.keys()].filter((k) => !(k in w));
    const extra = names.filter((k) => !this.params.has(k));
    if (missing.length || extra.length) {
      throw new Error(
        `PixelCnn.setWeights: the weights do not fit this architecture (missing: ${missing.slice(0, 5).join(", ") || "none"}; ` +
          `unexpected: ${extra.slice(0, 5).join(", ") || "none"}). Build the model with the checkpoint's config.`,
      );
    }
    for (const [name, v] of this.params) {
      const t = w[name];
      if (t.shape.join("x") !== v.shape.join("x")) {
        throw new Error(`PixelCnn.setWeights: "${name}" has shape [${t.shape.join(", ")}], the model expects [${v.shape.join(", ")}].`);
      }
    }
    for (const [name, v] of this.params) v.assign(w[name]);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const v of this.params.values()) v.dispose();
    for (const m of this.masks.values()) m.dispose();
  }

  private checkAlive(): void {
    if (this.disposed) throw new Error("PixelCnn: this model was disposed; build or load it again.");
  }
}

/** A PixelCNN from a partial config and a seeded Rng (the initial weights depend only on the Rng). */
export function createPixelCnn(config: Partial<PixelCnnConfig> = {}, r: Rng = new Rng()): PixelCnn {
  return new PixelCnn(config, r);
}
