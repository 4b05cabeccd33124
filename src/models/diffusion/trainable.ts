/**
 * Training the noise predictor on the shared loop `fit` (Ho et al. 2020, Algorithm 1):
 *
 *   for each minibatch of data points x_0:
 *     t ∼ Uniform{1, …, T},  ε ∼ N(0, I)                                  (prepareBatch, from the run's Rng)
 *     x_t = √ᾱ_t x_0 + √(1 − ᾱ_t) ε                                       (the reparameterization of notebook 06)
 *     θ ← θ − η ∇_θ mean_i w_{t_i} ‖ε_i − ε_θ(x_t,i, t_i)‖²
 *
 * with w_t = 1 (L_simple, "simple", the default) or w_t = T·λ_t ("elbo": then the loss is an
 * unbiased estimate of Σ_t λ_t E‖ε − ε_θ‖², the θ-dependent part of −ELBO; src/models/diffusion/elbo.ts).
 */
import * as tf from "@tensorflow/tfjs";
import { Rng } from "../../runtime/rng";
import { checkOneOf, failInput } from "../../runtime/validate";
import { BatchRows, fit, FitOptions, FitResult, StepContext, Trainable, TrainPhase } from "../../train/loop";
import { elboWeights } from "./elbo";
import { NoisePredictor } from "./network";
import { checkDiffusionPoints } from "./process";
import { checkNoiseSchedule, NoiseSchedule } from "./schedule";

export type LossWeighting = "simple" | "elbo";

export class DiffusionTrainable implements Trainable {
  readonly name = "diffusion";
  readonly rowSize: number;
  private readonly w: Float64Array;

  constructor(
    readonly net: NoisePredictor,
    readonly schedule: NoiseSchedule,
    readonly weighting: LossWeighting = "simple",
  ) {
    if (!(net instanceof NoisePredictor)) failInput("DiffusionTrainable", "net", "a NoisePredictor", net);
    checkNoiseSchedule("DiffusionTrainable", schedule);
    if (schedule.T !== net.T) throw new RangeError(`DiffusionTrainable: the network is conditioned on T = ${net.T} steps but the schedule has T = ${schedule.T}; build both with the same T.`);
    checkOneOf("DiffusionTrainable", "weighting", weighting, ["simple", "elbo"] as const);
    this.rowSize = net.dim;
    const { lambda } = elboWeights(schedule, "beta");
    this.w = weighting === "simple" ? new Float64Array(schedule.T + 1).fill(1) : lambda.map((l) => schedule.T * l);
  }

  prepareBatch(rows: BatchRows, ctx: StepContext): Record<string, tf.Tensor> {
    const s = this.schedule;
    const m = rows.size;
    const d = rows.rowSize;
    const ts = new Int32Array(m);
    const eps = ctx.rng.normals(new Float32Array(m * d));
    const xt = new Float32Array(m * d);
    const w = new Float32Array(m);
    for (let i = 0; i < m; i++) {
      const t = 1 + ctx.rng.int(s.T);
      ts[i] = t;
      w[i] = this.w[t];
      const a = Math.sqrt(s.alphaBars[t]);
      const b = Math.sqrt(1 - s.alphaBars[t]);
      for (let j = 0; j < d; j++) xt[i * d + j] = a * rows.x[i * d + j] + b * eps[i * d + j];
    }
    const K2 = 2 * this.net.config.frequencies;
    return {
      xt: tf.tensor2d(xt, [m, d]),
      emb: tf.tensor2d(this.net.embeddingRows(ts), [m, K2]),
      eps: tf.tensor2d(eps, [m, d]),
      w: tf.tensor1d(w),
    };
  }

  phases(): TrainPhase[] {
    return [
      {
        name: "model",
        variables: () => this.net.variables(),
        loss: (inp) => {
          const err = tf.sum(tf.square(tf.sub(inp.eps, this.net.apply(inp.xt as tf.Tensor2D, inp.emb as tf.Tensor2D))), 1);
          return { loss: tf.mean(tf.mul(inp.w, err)) as tf.Scalar, terms: { mse: tf.mean(err) as tf.Scalar } };
        },
        termLabels: {
          loss: this.weighting === "simple" ? "the simplified loss ‖ε − ε_θ(x_t, t)‖²" : "the ELBO-weighted loss T·λ_t ‖ε − ε_θ(x_t, t)‖²",
          mse: "the noise-prediction error ‖ε − ε_θ(x_t, t)‖²",
        },
      },
    ];
  }
}

export interface TrainDiffusionOptions extends FitOptions {
  /** "simple" (L_simple, default) or "elbo" (weights T·λ_t). */
  weighting?: LossWeighting;
}

/** Train `net` on n points (n × dim numbers) with fit; returns fit's history. */
export async function trainDiffusion(net: NoisePredictor, schedule: NoiseSchedule, data: Float32Array, opts: TrainDiffusionOptions): Promise<FitResult> {
  if (!(data instanceof Float32Array)) failInput("trainDiffusion", "data", `a Float32Array of n × ${net?.dim} numbers`, data);
  checkDiffusionPoints("trainDiffusion", "data", data, net.dim);
  if (opts === null || typeof opts !== "object") failInput("trainDiffusion", "options", "an object like { epochs: 10 }", opts);
  const { weighting, ...rest } = opts;
  return fit(new DiffusionTrainable(net, schedule, weighting ?? "simple"), { x: data, rowSize: net.dim }, { ...rest, rng: opts.rng ?? new Rng() });
}
