/**
 * PixelCNN as a `Trainable` for the shared loop `fit` (src/train): maximum likelihood with
 * teacher forcing (lecture 001, "train similar to language models"), i.e. minimise the mean
 * over a batch of
 *
 *   −log p(x) = −Σ_i log p(x_i | x_<i),
 *
 * every conditional from one masked-network pass. Binary images are binarized in
 * prepareBatch: `binarize: "dynamic"` (default for grey images) draws x_i ~ Bernoulli(grey_i)
 * afresh for every batch from the run's Rng (stochastic binarization, as in the PixelRNN
 * paper's MNIST experiments and the VAE notebooks); `"none"` expects 0/1 pixels already.
 */
import * as tf from "@tensorflow/tfjs";
import type { BatchRows, StepContext, Trainable, TrainPhase, TrainData } from "../../train/loop";
import { binarizeDynamic } from "../../data/binarize";
import { Rng } from "../../runtime/rng";
import { PixelCnn, PixelCnnConfig } from "./network";
import { checkPixelData, nllFromLogits, PixelData } from "./likelihood";

export type Binarization = "dynamic" | "none";

export class PixelCnnTrainable implements Trainable {
  readonly name: string;
  readonly rowSize: number;
  readonly binarize: Binarization;

  constructor(readonly model: PixelCnn, opts: { binarize?: Binarization; name?: string } = {}) {
    if (!(model instanceof PixelCnn)) throw new Error("PixelCnnTrainable(model): model must be a PixelCnn.");
    this.binarize = opts.binarize ?? (model.config.output === "bernoulli" ? "dynamic" : "none");
    if (this.binarize !== "dynamic" && this.binarize !== "none") throw new Error(`PixelCnnTrainable: binarize must be "dynamic" or "none", got ${JSON.stringify(this.binarize)}.`);
    if (this.binarize === "dynamic" && model.config.output !== "bernoulli") throw new Error("PixelCnnTrainable: only a Bernoulli PixelCNN binarizes its data; code maps are already discrete (binarize: \"none\").");
    this.name = opts.name ?? (model.config.output === "bernoulli" ? "PixelCNN" : "PixelCNN prior");
    this.rowSize = model.numPixels;
  }

  prepareBatch(rows: BatchRows, ctx: StepContext): Record<string, tf.Tensor> {
    const m = this.model;
    const n = rows.size;
    let x: PixelData;
    if (this.binarize === "dynamic") x = binarizeDynamic(rows.x as Float32Array, ctx.rng);
    else {
      x = rows.x.slice() as PixelData;
      checkPixelData(m, x, `${this.name} training batch ${ctx.batch} of epoch ${ctx.epoch}`);
    }
    const out: Record<string, tf.Tensor> = { input: m.inputTensor(x, n) };
    if (m.config.output === "categorical") out.target = tf.tensor3d(x as Int32Array, [n, m.config.height, m.config.width], "int32");
    if (m.config.numLabels > 0) {
      if (!rows.labels) throw new Error(`${this.name}: the model is class-conditional; give the training data labels.`);
      out.labels = tf.tensor1d(rows.labels.slice(), "int32");
    }
    return out;
  }

  /** How fit's data-parallel workers rebuild this model (issue 18): same config, weights copied in by the loop. */
  replica(): { module: string; factory: string; args: unknown[] } {
    return { module: __filename, factory: "pixelCnnReplica", args: [this.model.config, this.binarize, this.name] };
  }

  phases(): TrainPhase[] {
    const m = this.model;
    const D = m.numPixels;
    return [
      {
        name: "model",
        variables: () => m.variables(),
        loss: (inputs) => {
          const logits = m.logits(inputs.input as tf.Tensor4D, inputs.labels as tf.Tensor1D | undefined);
          const target = m.config.output === "bernoulli" ? inputs.input : inputs.target;
          const nll = tf.mean(nllFromLogits(m, logits, target)) as tf.Scalar;
          return { loss: nll, terms: { nll, bitsPerDim: tf.div(nll, D * Math.LN2) as tf.Scalar } };
        },
        termLabels: { loss: "the NLL −log p(x) (nats per image)", nll: "the NLL −log p(x)", bitsPerDim: "bits per dimension" },
      },
    ];
  }
}

/** The TrainData for `fit`: n images (grey in [0, 1] or binary) or code maps, with optional labels. */
export function pixelCnnTrainData(model: PixelCnn, x: PixelData, labels?: Int32Array): TrainData {
  if (!(x instanceof Float32Array || x instanceof Int32Array)) throw new Error("pixelCnnTrainData: x must be a Float32Array (images) or Int32Array (code maps).");
  if (x.length % model.numPixels !== 0) throw new Error(`pixelCnnTrainData: ${x.length} values is not a whole number of ${model.config.height}×${model.config.width} images.`);
  return labels ? { x, rowSize: model.numPixels, labels } : { x, rowSize: model.numPixels };
}

/** The replica factory of PixelCnnTrainable.replica(): the same architecture (the loop copies the weights). */
export function pixelCnnReplica(config: PixelCnnConfig, binarize: Binarization, name: string): PixelCnnTrainable {
  return new PixelCnnTrainable(new PixelCnn(config, new Rng(0)), { binarize, name });
}
