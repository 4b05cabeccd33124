/**
 * Named trainable parameters (tf.Variables) with PyTorch's default initialisation, and the
 * name → tensor maps a checkpoint stores. Shared by the MNIST classifier and the GAN networks.
 */
import * as tf from "@tensorflow/tfjs";
import { Rng } from "../../runtime/rng";

let counter = 0;

/** Uniform(−1/√fanIn, 1/√fanIn) values (PyTorch's nn.Linear / Conv2d default), from `r`. */
export function uniformInit(shape: number[], fanIn: number, r: Rng): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const v = new Float32Array(n);
  const a = 1 / Math.sqrt(fanIn);
  for (let i = 0; i < n; i++) v[i] = (2 * r.uniform() - 1) * a;
  return tf.tensor(v, shape);
}

export class ParamSet {
  readonly params = new Map<string, tf.Variable>();
  private readonly prefix: string;

  constructor(
    private readonly owner: string,
    tag: string,
  ) {
    this.prefix = `${tag}${++counter}/`;
  }

  /** Add a trainable variable initialised with `init` (which is disposed). */
  add(name: string, init: tf.Tensor): tf.Variable {
    const v = tf.variable(init, true, this.prefix + name);
    init.dispose();
    this.params.set(name, v);
    return v;
  }

  /** A dense layer's kernel [fin, fout] and bias [fout], PyTorch-initialised. */
  dense(name: string, fin: number, fout: number, r: Rng): void {
    this.add(`${name}/kernel`, uniformInit([fin, fout], fin, r));
    this.add(`${name}/bias`, uniformInit([fout], fin, r));
  }

  get(name: string): tf.Variable {
    const v = this.params.get(name);
    if (!v) throw new Error(`${this.owner}: no parameter "${name}" (was the model disposed?).`);
    return v;
  }

  /** The variables whose names start with `prefix` (all when omitted), in creation order. */
  variables(prefix = ""): tf.Variable[] {
    return [...this.params].filter(([k]) => k.startsWith(prefix)).map(([, v]) => v);
  }

  get numParams(): number {
    let n = 0;
    for (const v of this.params.values()) n += v.size;
    return n;
  }

  /** Copies of the parameters by name (for saving; the caller disposes them). */
  weights(): Record<string, tf.Tensor> {
    const out: Record<string, tf.Tensor> = {};
    for (const [k, v] of this.params) out[k] = v.clone();
    return out;
  }

  /** Assign parameters from a name → tensor map; every name and shape must match. */
  setWeights(map: Record<string, tf.Tensor>): void {
    for (const [k, v] of this.params) {
      const t = map[k];
      if (!t) throw new Error(`${this.owner}.setWeights: the weights have no "${k}" (they are for another architecture: ${Object.keys(map).slice(0, 8).join(", ")}…).`);
      if (t.shape.join(",") !== v.shape.join(",")) {
        throw new Error(`${this.owner}.setWeights: "${k}" has shape [${t.shape}] but the model needs [${v.shape}]; check the config.`);
      }
      v.assign(t);
    }
  }

  dispose(): void {
    for (const v of this.params.values()) v.dispose();
    this.params.clear();
  }
}
