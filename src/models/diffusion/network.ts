/**
 * A small noise predictor ε_θ(x_t, t) for low-dimensional data: an MLP on the point and an
 * embedding of the step,
 *
 *   e(t) = [sin(ω_k τ), cos(ω_k τ)]_{k=0…K−1},  τ = 1000 · t/T,  ω_k = 10000^{−k/K}
 *   (the sinusoidal embedding of Vaswani et al. 2017 that DDPM uses, with t rescaled to DDPM's 0…1000),
 *   ε_θ(x_t, t) = MLP([x_t, e(t)]),  hidden layers ReLU, linear output of the data's dimension.
 *
 * One network serves every t: it is the amortised regression of ε on x_t at each noise level.
 * Parameters are named tf.Variables (PyTorch's default initialisation, from the Rng passed in).
 */
import * as tf from "@tensorflow/tfjs";
import { Rng } from "../../runtime/rng";
import { checkPositiveInt, failInput } from "../../runtime/validate";
import { denseFused } from "../fusedDense";
import { ParamSet } from "../quality/params";
import type { EpsilonPredictor } from "./elbo";

export interface NoisePredictorConfig {
  /** Numbers per data point (2 for points in the plane). */
  dim: number;
  /** Number of diffusion steps T the network is conditioned on. */
  T: number;
  /** Hidden layer sizes (default [128, 128, 128]). */
  hidden: number[];
  /** Frequencies K of the step embedding (2K numbers; default 8). */
  frequencies: number;
}

const WHERE = "NoisePredictor";

/** The step embeddings e(t) for t = 0 … T, (T + 1) × 2K numbers. */
export function stepEmbedding(T: number, K: number): Float32Array {
  checkPositiveInt("stepEmbedding", "T", T);
  checkPositiveInt("stepEmbedding", "K", K);
  const out = new Float32Array((T + 1) * 2 * K);
  for (let t = 0; t <= T; t++) {
    const tau = (1000 * t) / T;
    for (let k = 0; k < K; k++) {
      const w = Math.pow(10000, -k / K);
      out[t * 2 * K + k] = Math.sin(w * tau);
      out[t * 2 * K + K + k] = Math.cos(w * tau);
    }
  }
  return out;
}

export class NoisePredictor implements EpsilonPredictor {
  readonly config: NoisePredictorConfig;
  readonly ps: ParamSet;
  /** e(t) for t = 0 … T. */
  readonly embeddings: Float32Array;

  constructor(config: Partial<NoisePredictorConfig> & { dim: number; T: number }, r: Rng) {
    if (config === null || typeof config !== "object") failInput(WHERE, "config", "an object like { dim: 2, T: 100 }", config);
    const c: NoisePredictorConfig = { hidden: [128, 128, 128], frequencies: 8, ...config };
    checkPositiveInt(WHERE, "config.dim", c.dim, "the number of coordinates per point, e.g. 2");
    checkPositiveInt(WHERE, "config.T", c.T, "the schedule's number of steps, schedule.T");
    checkPositiveInt(WHERE, "config.frequencies", c.frequencies);
    if (!Array.isArray(c.hidden) || c.hidden.length === 0) failInput(WHERE, "config.hidden", "a non-empty array of layer sizes", c.hidden, "e.g. [128, 128, 128]");
    c.hidden.forEach((h, i) => checkPositiveInt(WHERE, `config.hidden[${i}]`, h));
    if (!(r instanceof Rng)) failInput(WHERE, "rng", "an Rng", r, "pass rng(seed): the initial weights come from it");
    this.config = { ...c, hidden: [...c.hidden] };
    this.ps = new ParamSet(WHERE, "diffusion");
    let fin = c.dim + 2 * c.frequencies;
    c.hidden.forEach((h, i) => {
      this.ps.dense(`h${i}`, fin, h, r);
      fin = h;
    });
    this.ps.dense("out", fin, c.dim, r);
    this.embeddings = stepEmbedding(c.T, c.frequencies);
  }

  get dim(): number {
    return this.config.dim;
  }

  get T(): number {
    return this.config.T;
  }

  get numParams(): number {
    return this.ps.numParams;
  }

  variables(): tf.Variable[] {
    return this.ps.variables();
  }

  /** ε_θ for a batch: x [n, dim], emb [n, 2K] → [n, dim]. */
  apply(x: tf.Tensor2D, emb: tf.Tensor2D): tf.Tensor2D {
    let h = tf.concat([x, emb], 1) as tf.Tensor2D;
    const k = (name: string) => this.ps.get(`${name}/kernel`) as tf.Tensor2D;
    const b = (name: string) => this.ps.get(`${name}/bias`) as tf.Tensor1D;
    for (let i = 0; i < this.config.hidden.length; i++) h = denseFused(h, k(`h${i}`), b(`h${i}`), "relu");
    return denseFused(h, k("out"), b("out"), "linear");
  }

  /** The embedding rows of the steps ts (n × 2K numbers). */
  embeddingRows(ts: ArrayLike<number>): Float32Array {
    const K2 = 2 * this.config.frequencies;
    const out = new Float32Array(ts.length * K2);
    for (let i = 0; i < ts.length; i++) out.set(this.embeddings.subarray(ts[i] * K2, (ts[i] + 1) * K2), i * K2);
    return out;
  }

  /** ε_θ(x_t, t) for n points (n × dim numbers), all at step t. */
  predict(xt: Float64Array | Float32Array, t: number): Float64Array {
    const d = this.dim;
    if (!Number.isInteger(t) || t < 1 || t > this.T) failInput(`${WHERE}.predict`, "t", `an integer step in [1, ${this.T}]`, t);
    if (!(xt instanceof Float64Array || xt instanceof Float32Array) || xt.length % d !== 0 || xt.length === 0) {
      failInput(`${WHERE}.predict`, "xt", `a Float64Array of n × ${d} numbers`, xt);
    }
    const n = xt.length / d;
    const K2 = 2 * this.config.frequencies;
    const emb = new Float32Array(n * K2);
    const row = this.embeddings.subarray(t * K2, (t + 1) * K2);
    for (let i = 0; i < n; i++) emb.set(row, i * K2);
    const y = tf.tidy(() => this.apply(tf.tensor2d(Float32Array.from(xt), [n, d]), tf.tensor2d(emb, [n, K2])));
    const out = Float64Array.from(y.dataSync());
    y.dispose();
    return out;
  }

  dispose(): void {
    this.ps.dispose();
  }
}
