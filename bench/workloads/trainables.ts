/**
 * Trainables the train-step benchmark (train-step.ts) runs on one thread and data-parallel:
 * the arc's VAEs built with `createVae` and stepped with `vaeTerms`/`vaeLoss` exactly as
 * `trainVae` does (analytic KL, β = 1, one sample), each with a `replica()` so that
 * DataParallel can rebuild it in a worker.
 */
import * as tf from "@tensorflow/tfjs";
import { Rng } from "../../src/runtime/rng";
import { createVae } from "../../src/models/vae";
import { vaeLoss, vaeTerms } from "../../src/models/objective";
import type { Trainable } from "../../src/train/loop";

/** The MLP VAE 784-400-20 ("mlp") or the conv VAE (conv 16/32, z 20) ("conv"), Bernoulli, analytic KL. */
export function vaeTrainable(architecture: "mlp" | "conv", seed: number): Trainable {
  const model = createVae({ architecture }, new Rng(seed));
  const D = model.dataDim;
  const d = model.latentDim;
  return {
    name: `${architecture} VAE`,
    rowSize: D,
    prepareBatch(rows, ctx) {
      return { x: tf.tensor2d(rows.x as Float32Array, [rows.size, D]), eps: tf.tensor2d(ctx.rng.normals(new Float32Array(rows.size * d)), [rows.size, d]) };
    },
    phases: () => [
      {
        name: "model",
        variables: () => [...model.params.values()],
        loss(inputs) {
          const t = vaeTerms(model, inputs.x as tf.Tensor2D, inputs.eps as tf.Tensor2D, 1, "analytic");
          return { loss: vaeLoss(t, 1, 0), terms: { rec: tf.neg(tf.mean(t.recon)) as tf.Scalar, kl: tf.mean(t.kl) as tf.Scalar } };
        },
      },
    ],
    replica: () => ({ module: __filename, factory: "vaeTrainable", args: [architecture, seed] }),
  };
}

/** The VQ-VAE of src/models/vqvae (keras-io's network: conv 3×3/2 1→32→64, 1×1 →16, K = 128, transposed back), uniform codebook start; its own replica(). */
export function vqvaeTrainable(seed: number): Trainable {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { createVqVae } = require("../../src/models/vqvae/model") as typeof import("../../src/models/vqvae/model");
  return createVqVae({ init: "uniform", restartDeadCodes: false, warmupEpochs: 0 }, new Rng(seed));
}

/** The PixelCNN of src/models/pixelcnn (defaults: 7×7 mask A 1→64, 4 residual blocks [1×1 64→32, 3×3 mask B 32→32, 1×1 32→64], 1×1 heads), Bernoulli. */
export function pixelCnnTrainable(seed: number): Trainable {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { createPixelCnn } = require("../../src/models/pixelcnn/network") as typeof import("../../src/models/pixelcnn/network");
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { PixelCnnTrainable } = require("../../src/models/pixelcnn/trainable") as typeof import("../../src/models/pixelcnn/trainable");
  const t = new PixelCnnTrainable(createPixelCnn({}, new Rng(seed)));
  (t as unknown as { replica: Trainable["replica"] }).replica = () => ({ module: __filename, factory: "pixelCnnTrainable", args: [seed] });
  return t;
}
