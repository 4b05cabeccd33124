/**
 * The losses on lecture 001's GAN slide, written on the discriminator's logits ℓ (D = σ(ℓ))
 * so that they are finite for any ℓ: −log σ(ℓ) = softplus(−ℓ), −log(1 − σ(ℓ)) = softplus(ℓ).
 *
 *   discriminator  L_D = −(1/m) Σ_i [log D(x⁽ⁱ⁾) + log(1 − D(G(z⁽ⁱ⁾)))]     (ascend V ⇔ descend L_D)
 *   generator      L_G^sat = (1/m) Σ_i log(1 − D(G(z⁽ⁱ⁾)))                  (the slide's minimax loss)
 *                  L_G^ns  = −(1/m) Σ_i log D(G(z⁽ⁱ⁾))                        (non-saturating)
 *
 * ∂L_G^sat/∂ℓ_i = −D_i / m vanishes when D is sure a sample is fake (D → 0): early in training the
 * generator gets no signal. ∂L_G^ns/∂ℓ_i = −(1 − D_i) / m is largest there. Both losses fall as
 * D(G(z)) rises, so they share their fixed points (see theory.ts).
 */
import * as tf from "@tensorflow/tfjs";
import type { GeneratorLossKind } from "./theory";

/**
 * L_D from the logits of real and of generated samples (a mean over each). With `realLabel`
 * c < 1 (one-sided label smoothing, Salimans et al. 2016) the real samples' target is c:
 * −[c log D(x) + (1 − c) log(1 − D(x))] − log(1 − D(G(z))); c = 1 is the slide's loss.
 */
export function discriminatorLoss(realLogits: tf.Tensor, fakeLogits: tf.Tensor, realLabel = 1): tf.Scalar {
  if (!(realLabel > 0.5 && realLabel <= 1)) throw new RangeError(`discriminatorLoss: realLabel must be in (0.5, 1], got ${realLabel}.`);
  return tf.tidy(() => {
    const realTerm = realLabel === 1
      ? tf.softplus(tf.neg(realLogits))
      : tf.add(tf.mul(realLabel, tf.softplus(tf.neg(realLogits))), tf.mul(1 - realLabel, tf.softplus(realLogits)));
    return tf.add(tf.mean(realTerm), tf.mean(tf.softplus(fakeLogits))) as tf.Scalar;
  });
}

/** L_G^sat = mean log(1 − D(G(z))) = −mean softplus(ℓ). */
export function generatorLossSaturating(fakeLogits: tf.Tensor): tf.Scalar {
  return tf.tidy(() => tf.neg(tf.mean(tf.softplus(fakeLogits))) as tf.Scalar);
}

/** L_G^ns = −mean log D(G(z)) = mean softplus(−ℓ). */
export function generatorLossNonSaturating(fakeLogits: tf.Tensor): tf.Scalar {
  return tf.tidy(() => tf.mean(tf.softplus(tf.neg(fakeLogits))) as tf.Scalar);
}

/** The generator loss of the given kind. */
export function generatorLoss(kind: GeneratorLossKind, fakeLogits: tf.Tensor): tf.Scalar {
  if (kind === "saturating") return generatorLossSaturating(fakeLogits);
  if (kind === "non-saturating") return generatorLossNonSaturating(fakeLogits);
  throw new Error(`generatorLoss: kind must be "saturating" or "non-saturating", got ${String(kind)}.`);
}
