/**
 * The vector quantizer of VQ-VAE (lecture 002, "VQ-VAE encoder-decoder"): a dictionary
 * C[K, I] of K code vectors of dimension I, and for every spatial position (x, y) of the
 * encoder output L[X, Y, I] = Enc(s)
 *
 *   z[x, y]      = argmin_k ‖L[x, y, I] − C[k, I]‖²        (the "symbolic image")
 *   L̂[x, y, I]  = C[z[x, y], I]                            (the quantized latents)
 *
 * with the squared distances computed as ‖a‖² − 2 a·b + ‖b‖² (one matrix product), and ties
 * broken towards the smallest k (deterministic). It is K-means' assignment step (lecture 003:
 * "it's deep K-means"), the same as `kMeansEncode` / `straightThroughQuantize` of src/em; the
 * versions here never read values back, so they can run inside a training step's tape.
 *
 * Gradients (lecture 002, "parameter-specific learning rates"): the straight-through copy
 * L.grad += L̂.grad (`quantizeStraightThrough`), and the dictionary loss
 * β‖L − sg[L̂]‖² + ‖sg[L] − L̂‖², whose gradients are the lecture's update rules
 *   L[x, y, I].grad        += 2β (L[x, y, I] − C[z[x, y], I])
 *   C[z[x, y], I].grad     += 2 (C[z[x, y], I] − L[x, y, I])
 * (`dictionaryLoss`; the rules written out as loops are `dictionaryGradientsByRule`).
 */
import * as tf from "@tensorflow/tfjs";
import { stopGradient, straightThroughOneHot } from "../../em/straightThrough";

/** Throws unless `codebook` is a [K, I] tensor with K ≥ 2 (and I = `dim` when given). */
export function checkCodebook(codebook: tf.Tensor, where: string, dim?: number): void {
  if (!(codebook instanceof tf.Tensor)) throw new TypeError(`${where}: the codebook must be a tf.Tensor of shape [K, I], got ${typeof codebook}.`);
  if (codebook.rank !== 2) throw new RangeError(`${where}: the codebook must have shape [K, I] (K codes of dimension I), got shape [${codebook.shape}].`);
  if (codebook.shape[0] < 2) throw new RangeError(`${where}: the codebook has K = ${codebook.shape[0]} code(s); a quantizer needs K ≥ 2 (with one code every latent is the same).`);
  if (dim !== undefined && codebook.shape[1] !== dim) {
    throw new RangeError(`${where}: the codebook has code dimension I = ${codebook.shape[1]} but the latents have ${dim}; build the codebook as [K, ${dim}].`);
  }
}

function flatLatents(z: tf.Tensor, where: string): tf.Tensor2D {
  if (!(z instanceof tf.Tensor)) throw new TypeError(`${where}: the latents must be a tf.Tensor of shape [..., I], got ${typeof z}.`);
  if (z.rank < 2) throw new RangeError(`${where}: the latents must have shape [n, I] or [n, H, W, I], got shape [${z.shape}].`);
  return tf.reshape(z, [-1, z.shape[z.rank - 1]]) as tf.Tensor2D;
}

/** All squared distances ‖z_i − c_k‖² = ‖z_i‖² − 2 z_i·c_k + ‖c_k‖²: [n, I] × [K, I] → [n, K]. */
export function squaredDistances(z: tf.Tensor2D, codebook: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() =>
    tf.add(tf.sub(tf.sum(tf.square(z), 1, true), tf.mul(2, tf.matMul(z, codebook, false, true))), tf.reshape(tf.sum(tf.square(codebook), 1), [1, -1])),
  ) as tf.Tensor2D;
}

/**
 * z = argmin_k ‖L − C[k]‖² for every latent vector (the last axis is I): [..., I] → int32 [...].
 * Ties go to the smallest k. No gradient flows through the choice (it is discrete).
 */
export function nearestCodes(latents: tf.Tensor, codebook: tf.Tensor2D): tf.Tensor {
  checkCodebook(codebook, "nearestCodes", latents.shape[latents.rank - 1]);
  return tf.tidy(() => {
    const flat = flatLatents(latents, "nearestCodes");
    const d2 = squaredDistances(stopGradient(flat), stopGradient(codebook));
    return tf.reshape(tf.argMin(d2, 1), latents.shape.slice(0, -1));
  });
}

export interface Quantized {
  /** z[x, y]: int32 code indices, the latents' shape without the last axis. */
  codes: tf.Tensor;
  /** L̂ = C[z] as a function of the codebook (gradients reach C through the gather). */
  selected: tf.Tensor;
  /** The straight-through output L + sg[L̂ − L]: the value of L̂, the gradient of L. */
  straightThrough: tf.Tensor;
}

/**
 * Quantize `latents` [..., I] with the codebook [K, I]. `selected` carries the codebook's
 * gradient (for the dictionary loss), `straightThrough` carries the encoder's:
 * forward L̂ = C[z], backward L.grad += L̂.grad (lecture 002, "straight-through gradients").
 */
export function quantizeStraightThrough(latents: tf.Tensor, codebook: tf.Tensor2D): Quantized {
  checkCodebook(codebook, "quantizeStraightThrough", latents.shape[latents.rank - 1]);
  return tf.tidy(() => {
    const codes = nearestCodes(latents, codebook);
    // C[z] as a one-hot product (not tf.gather): the same numbers, and the tape's gradient with
    // respect to the integer codes is a float zero (gather's would be an int32 zero, which tfjs rejects)
    const oneHot = tf.oneHot(tf.reshape(codes, [-1]) as tf.Tensor1D, codebook.shape[0]);
    const selected = tf.reshape(tf.matMul(oneHot, codebook), latents.shape);
    const straightThrough = tf.add(latents, stopGradient(tf.sub(selected, latents)));
    return { codes, selected, straightThrough };
  });
}

/**
 * The other straight-through form (lecture 003: `stop_grad(hardmax(y) − softmax(y)) + softmax(y)`)
 * applied to the quantizer: y = −‖L − C[k]‖² / τ, one-hot y_st, L̂ = y_st C. Forward: exactly the
 * nearest codeword (the one-hot row selects it; ties aside). Backward to L: the gradient of the
 * soft assignment softmax(y) C (as in Gumbel-softmax VQ models, without the noise); backward to C:
 * the selected code's gradient (y_stᵀ ∂L̂, the product's forward value is one-hot) plus the path
 * through y. `latents` [n, I] → [n, I].
 */
export function quantizeSoftmaxStraightThrough(latents: tf.Tensor2D, codebook: tf.Tensor2D, temperature = 1): tf.Tensor2D {
  checkCodebook(codebook, "quantizeSoftmaxStraightThrough", latents.shape[1]);
  if (!(temperature > 0) || !Number.isFinite(temperature)) throw new RangeError(`quantizeSoftmaxStraightThrough: temperature must be a finite number > 0, got ${temperature}.`);
  return tf.tidy(() => {
    const y = tf.div(tf.neg(squaredDistances(latents, codebook)), temperature) as tf.Tensor2D;
    return tf.matMul(straightThroughOneHot(y), codebook);
  });
}

export interface DictionaryLoss {
  /** ‖sg[L] − L̂‖²: moves the codes towards the latents assigned to them. */
  codebook: tf.Scalar;
  /** ‖L − sg[L̂]‖²: keeps the encoder's outputs near their codes (weighted by β in the loss). */
  commitment: tf.Scalar;
  /** codebook + β · commitment. */
  total: tf.Scalar;
}

/**
 * The dictionary part of the VQ-VAE loss (lecture 002, "VQ-VAE training loss"; van den Oord
 * et al. 2017, eq. 3): ‖sg[L] − L̂‖² + β‖L − sg[L̂]‖². `reduction: "sum"` is the lecture's
 * Σ_{x,y} (gradients exactly 2(C − L) and 2β(L − C)); "mean" (default, as keras-io) divides both
 * by the number of latent numbers, which rescales the gradients and not the stationary points.
 * `selected` must be L̂ = C[z] with its gradient path to the codebook (from quantizeStraightThrough).
 */
export function dictionaryLoss(latents: tf.Tensor, selected: tf.Tensor, beta = 0.25, reduction: "mean" | "sum" = "mean"): DictionaryLoss {
  if (!(beta >= 0) || !Number.isFinite(beta)) throw new RangeError(`dictionaryLoss: β must be a finite number ≥ 0, got ${beta}.`);
  if (latents.shape.join(",") !== selected.shape.join(",")) {
    throw new RangeError(`dictionaryLoss: the latents [${latents.shape}] and the selected codes [${selected.shape}] must have the same shape.`);
  }
  return tf.tidy(() => {
    const red = (t: tf.Tensor) => (reduction === "sum" ? tf.sum(t) : tf.mean(t)) as tf.Scalar;
    const codebook = red(tf.square(tf.sub(stopGradient(latents), selected)));
    const commitment = red(tf.square(tf.sub(latents, stopGradient(selected))));
    return { codebook, commitment, total: tf.add(codebook, tf.mul(beta, commitment)) as tf.Scalar };
  });
}

/**
 * Lecture 002's update rules, written out as loops over positions (plain numbers, no autodiff):
 *   for x, y:  L[x, y, I].grad += 2β (L[x, y, I] − C[z[x, y], I])
 *   for x, y:  C[z[x, y], I].grad += 2 (C[z[x, y], I] − L[x, y, I])
 * `latents` n×I (all positions of all images, row-major), `codebook` K×I, `codes` n.
 * These are the gradients of dictionaryLoss(…, "sum").
 */
export function dictionaryGradientsByRule(
  latents: ArrayLike<number>,
  codebook: ArrayLike<number>,
  codes: ArrayLike<number>,
  dim: number,
  beta = 0.25,
): { latentGrad: Float64Array; codebookGrad: Float64Array } {
  const n = codes.length;
  if (latents.length !== n * dim) throw new RangeError(`dictionaryGradientsByRule: ${latents.length} latent numbers for ${n} codes of dimension ${dim}.`);
  if (codebook.length % dim !== 0) throw new RangeError(`dictionaryGradientsByRule: ${codebook.length} codebook numbers is not a multiple of I = ${dim}.`);
  const K = codebook.length / dim;
  const latentGrad = new Float64Array(n * dim);
  const codebookGrad = new Float64Array(K * dim);
  for (let p = 0; p < n; p++) {
    const k = codes[p];
    if (!Number.isInteger(k) || k < 0 || k >= K) throw new RangeError(`dictionaryGradientsByRule: code ${k} at position ${p} is not in [0, ${K}).`);
    for (let i = 0; i < dim; i++) {
      const diff = latents[p * dim + i] - codebook[k * dim + i];
      latentGrad[p * dim + i] += 2 * beta * diff;
      codebookGrad[k * dim + i] += -2 * diff;
    }
  }
  return { latentGrad, codebookGrad };
}
