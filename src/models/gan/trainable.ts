/**
 * The GAN on the shared loop `fit`: two phases per minibatch, in order (Goodfellow et al. 2014,
 * Algorithm 1 with k = 1; lecture 001's two gradients):
 *
 *   discriminator  φ ← φ − η ∇_φ L_D   on real rows x and fresh fakes G(z_D)
 *   generator      θ ← θ − η ∇_θ L_G   on fresh fakes G(z_G), L_G saturating or non-saturating
 *
 * Both noise batches z_D, z_G ∼ N(0, I) are drawn in prepareBatch from the run's Rng, so a run is
 * determined by its seed. Adam with β₁ = 0.5 (Radford et al. 2016) for both players. A generator
 * with batchNorm normalises with the batch statistics in both phases, and gets its population
 * statistics (for sampling) after every epoch, from fixed draws of z.
 */
import * as tf from "@tensorflow/tfjs";
import { Rng } from "../../runtime/rng";
import { BatchRows, EpochRecord, fit, FitOptions, StepContext, Trainable, TrainData, TrainPhase } from "../../train/loop";
import { Gan } from "./networks";
import { discriminatorLoss, generatorLoss } from "./losses";
import type { GeneratorLossKind } from "./theory";

export interface GanTrainingConfig {
  generatorLoss: GeneratorLossKind;
  /** Adam's β₁ for both players (0.5 as in DCGAN). */
  beta1: number;
  /** Multiplies the learning rate of the discriminator (1: both players use fit's rate). */
  discriminatorLrScale: number;
  /** Target of real samples in the discriminator loss (1; 0.9 is one-sided label smoothing). */
  realLabel: number;
}

export const DEFAULT_GAN_TRAINING: GanTrainingConfig = { generatorLoss: "non-saturating", beta1: 0.5, discriminatorLrScale: 1, realLabel: 1 };

/** Rows to use from a batch of `size`: a multiple of pack (the rest of the batch is dropped). */
function packedRows(size: number, pack: number): number {
  return size - (size % pack);
}

export class GanTrainable implements Trainable {
  readonly name: string;
  /**
   * Seed of the z draws that set the generator's population statistics after each epoch (batchNorm
   * only): fixed, so that they do not depend on, nor change, the run's random stream.
   */
  static readonly STATISTICS_SEED = 20160101;
  readonly rowSize: number;
  readonly training: GanTrainingConfig;

  constructor(
    readonly gan: Gan,
    training: Partial<GanTrainingConfig> = {},
  ) {
    this.training = { ...DEFAULT_GAN_TRAINING, ...training };
    const k = this.training.generatorLoss;
    if (k !== "saturating" && k !== "non-saturating") throw new Error(`GanTrainable: generatorLoss must be "saturating" or "non-saturating", got ${String(k)}.`);
    this.rowSize = gan.dataDim;
    this.name = gan.config.pack > 1 ? `GAN (pack ${gan.config.pack})` : "GAN";
  }

  prepareBatch(rows: BatchRows, ctx: StepContext): Record<string, tf.Tensor> {
    const m = rows.size;
    const d = this.gan.latentDim;
    return {
      x: tf.tensor2d(rows.x as Float32Array, [m, rows.rowSize]),
      zD: tf.tensor2d(ctx.rng.normals(new Float32Array(m * d)), [m, d]),
      zG: tf.tensor2d(ctx.rng.normals(new Float32Array(m * d)), [m, d]),
    };
  }

  /** With batchNorm: the generator's population statistics for sampling (see Gan.updateGeneratorStatistics). */
  endEpoch(): void {
    this.gan.updateGeneratorStatistics(new Rng(GanTrainable.STATISTICS_SEED));
  }

  phases(): TrainPhase[] {
    const gan = this.gan;
    const pack = gan.config.pack;
    const { beta1, discriminatorLrScale, realLabel } = this.training;
    const kind = this.training.generatorLoss;
    const take = (t: tf.Tensor) => {
      const m = packedRows(t.shape[0], pack);
      if (m === 0) throw new Error(`GAN: a batch of ${t.shape[0]} rows has no complete pack of ${pack}; use a batch size ≥ pack.`);
      return (m === t.shape[0] ? t : tf.slice(t, [0, 0], [m, t.shape[1]!])) as tf.Tensor2D;
    };
    return [
      {
        name: "discriminator",
        variables: () => gan.discriminatorVariables(),
        loss: (inp) => {
          const real = gan.discriminate(take(inp.x));
          const fake = gan.discriminate(gan.generate(take(inp.zD), "train"));
          return {
            loss: discriminatorLoss(real, fake, realLabel),
            terms: { dReal: tf.mean(tf.sigmoid(real)) as tf.Scalar, dFake: tf.mean(tf.sigmoid(fake)) as tf.Scalar },
          };
        },
        termLabels: { loss: "the discriminator loss −[log D(x) + log(1 − D(G(z)))]" },
        optimizer: (lr) => tf.train.adam(lr * discriminatorLrScale, beta1, 0.999),
      },
      {
        name: "generator",
        variables: () => gan.generatorVariables(),
        loss: (inp) => ({ loss: generatorLoss(kind, gan.discriminate(gan.generate(take(inp.zG), "train"))) }),
        termLabels: { loss: kind === "saturating" ? "the saturating generator loss log(1 − D(G(z)))" : "the non-saturating generator loss −log D(G(z))" },
        optimizer: (lr) => tf.train.adam(lr, beta1, 0.999),
      },
    ];
  }
}

export interface TrainGanOptions extends Omit<FitOptions, "rng"> {
  rng?: Rng;
  training?: Partial<GanTrainingConfig>;
}

/** Train `gan` on n × dataDim rows with fit (D then G per batch). */
export async function trainGan(gan: Gan, data: Float32Array, opts: TrainGanOptions): Promise<{ history: EpochRecord[]; steps: number; examplesPerSec: number }> {
  if (!(data instanceof Float32Array)) throw new TypeError(`trainGan: data must be a Float32Array of n × ${gan.dataDim} numbers, got ${Object.prototype.toString.call(data)}.`);
  const { training, ...rest } = opts;
  const td: TrainData = { x: data, rowSize: gan.dataDim };
  return fit(new GanTrainable(gan, training), td, { ...rest, rng: opts.rng ?? new Rng() });
}

/**
 * A discriminator alone, trained to tell fixed real rows from fixed generated rows (the inner
 * max of the game for a frozen generator): its optimum is D*(x) = p_data / (p_data + p_g).
 * Data rows are [real row, generated row] pairs (2 · dataDim numbers).
 */
export class DiscriminatorTrainable implements Trainable {
  readonly name = "discriminator";
  readonly rowSize: number;
  constructor(readonly gan: Gan) {
    if (gan.config.pack !== 1) throw new Error("DiscriminatorTrainable: pack must be 1.");
    this.rowSize = 2 * gan.dataDim;
  }
  prepareBatch(rows: BatchRows): Record<string, tf.Tensor> {
    const D = this.gan.dataDim;
    const xy = tf.tensor2d(rows.x as Float32Array, [rows.size, 2 * D]);
    return { real: tf.slice(xy, [0, 0], [rows.size, D]), fake: tf.slice(xy, [0, D], [rows.size, D]) };
  }
  phases(): TrainPhase[] {
    return [
      {
        name: "discriminator",
        variables: () => this.gan.discriminatorVariables(),
        loss: (inp) => ({ loss: discriminatorLoss(this.gan.discriminate(inp.real as tf.Tensor2D), this.gan.discriminate(inp.fake as tf.Tensor2D)) }),
        optimizer: (lr) => tf.train.adam(lr, 0.5, 0.999),
      },
    ];
  }
}

/** Train only the discriminator of `gan` on real vs generated rows (equal counts, n × dataDim each). */
export async function trainDiscriminator(gan: Gan, real: Float32Array, fake: Float32Array, opts: Omit<FitOptions, "rng"> & { rng?: Rng }): Promise<EpochRecord[]> {
  const D = gan.dataDim;
  if (real.length !== fake.length || real.length % D !== 0) throw new RangeError(`trainDiscriminator: real (${real.length}) and fake (${fake.length}) must both hold n × ${D} numbers for the same n.`);
  const n = real.length / D;
  const x = new Float32Array(n * 2 * D);
  for (let i = 0; i < n; i++) {
    x.set(real.subarray(i * D, (i + 1) * D), i * 2 * D);
    x.set(fake.subarray(i * D, (i + 1) * D), i * 2 * D + D);
  }
  const res = await fit(new DiscriminatorTrainable(gan), { x, rowSize: 2 * D }, { ...opts, rng: opts.rng ?? new Rng() });
  return res.history;
}
