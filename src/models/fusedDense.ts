/**
 * Dense layers as one kernel each, in training too (internal to src/models):
 *
 *   forward   y = act(x W + b),  act ∈ {identity, relu}      one _FusedMatMul kernel
 *   backward  g = ∂y ⊙ act'(y)    (relu: 1[y > 0] = 1[xW + b > 0], ReLU's own gradient)
 *             ∂x = g Wᵀ,   ∂W = xᵀ g,   ∂b = Σ_rows g         each computed only if needed
 *
 * Why not tf.fused.matMul? TensorFlow.js fuses a non-linear activation only outside gradient
 * recording (shouldFuse: gradientDepth === 0 || linear), so inside tf.variableGrads — every
 * training step — relu layers fall back to matMul + add + relu; and its gradient is a
 * tf.customGrad that computes ∂x, ∂W and ∂b eagerly, including ∂x of the first layer, whose
 * input is the data: an unused 128×400×784 product per step (measured: the fused step was
 * slower than the unfused one). Here the kernel is called directly and its gradient is
 * registered for the _FusedMatMul kernel, lazily per input, like tfjs's own MatMul gradient.
 */
import * as tf from "@tensorflow/tfjs";

const KERNEL = "_FusedMatMul";

type Activation = "linear" | "relu";

/**
 * Gradient of _FusedMatMul for the cases denseFused emits (no transposes, rank-1 bias,
 * linear or relu). Registered once; tfjs's own fused ops use tf.customGrad and never reach it.
 */
function registerFusedMatMulGradient(): void {
  if (tf.getGradient(KERNEL)) return;
  tf.registerGradient({
    kernelName: KERNEL,
    inputsToSave: ["a", "b"],
    outputsToSave: [true],
    gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[], attrs: tf.NamedAttrMap) => {
      const [a, b, y] = saved;
      const { transposeA, transposeB, activation } = attrs as unknown as { transposeA: boolean; transposeB: boolean; activation: string };
      if (transposeA || transposeB || (activation !== "linear" && activation !== "relu")) {
        throw new Error(`latentlab: the _FusedMatMul gradient handles untransposed linear/relu products only (got transposeA ${transposeA}, transposeB ${transposeB}, activation ${activation}).`);
      }
      // g is shared by the three closures, each of which tfjs runs in its own tidy: made here,
      // in backprop's enclosing scope (W always needs it), not memoized inside one of them.
      const g = (activation === "relu" ? tf.mul(dy as tf.Tensor, tf.step(y)) : dy) as tf.Tensor3D;
      return {
        a: () => tf.matMul(g, b as tf.Tensor3D, false, true),
        b: () => tf.matMul(a as tf.Tensor3D, g, true, false),
        bias: () => tf.sum(g, [0, 1]),
      };
    },
  });
}

/** y = act(x W + b) for x [m, k], W [k, n], b [n] → [m, n]: one fused kernel forward, lazy gradients. */
export function denseFused(x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D, activation: Activation): tf.Tensor2D {
  if (x.rank !== 2 || w.rank !== 2 || b.rank !== 1 || x.shape[1] !== w.shape[0] || b.shape[0] !== w.shape[1]) {
    throw new Error(`denseFused: shapes x [${x.shape}], W [${w.shape}], b [${b.shape}] do not fit x [m, k], W [k, n], b [n].`);
  }
  registerFusedMatMulGradient();
  const [m, k] = x.shape;
  const n = w.shape[1];
  return tf.tidy(() => {
    const y3 = tf.engine().runKernel(
      KERNEL,
      { a: tf.reshape(x, [1, m, k]), b: tf.reshape(w, [1, k, n]), bias: b } as unknown as tf.NamedTensorMap,
      { transposeA: false, transposeB: false, activation } as unknown as tf.NamedAttrMap,
    ) as tf.Tensor3D;
    return tf.reshape(y3, [m, n]) as tf.Tensor2D;
  });
}
