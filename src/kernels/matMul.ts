/**
 * Matrix products without transposed operands on the wasm backend.
 *
 *   C = op(A) · op(B),   op(M) = Mᵀ if transposed else M,
 *
 * computed as C = A' · B' with A' = op(A), B' = op(B) materialized by the backend's Transpose
 * kernel first. Why: tfjs-backend-wasm 4.22 sends only the untransposed case to XNNPACK; with
 * transposeA or transposeB it runs a scalar loop, measured here at about 1 GFLOPS against
 * 10–19 GFLOPS for the same product untransposed. Backpropagation through y = x W needs exactly
 * those products (∂W = xᵀ ∂y, ∂x = ∂y Wᵀ), so every dense layer's gradient was paying it.
 * A transpose costs one pass over the operand (O(mk)) against the product's O(mkn); when it is
 * cheaper, the product is computed the other way round, C = (op(B)ᵀ·op(A)ᵀ)ᵀ (swapIsCheaper).
 */
import * as tf from "@tensorflow/tfjs";
import { KernelArgs, TensorInfo, release, runOriginal, transposeLast2 } from "./wasmBackend";

function untransposed(backend: unknown, a: TensorInfo, b: TensorInfo, attrs: Record<string, unknown>) {
  const tA = attrs.transposeA === true;
  const tB = attrs.transposeB === true;
  const a2 = tA ? transposeLast2(backend, a) : a;
  const b2 = tB ? transposeLast2(backend, b) : b;
  const done = () => {
    if (tA) release(backend as never, a2);
    if (tB) release(backend as never, b2);
  };
  return { a2, b2, done, any: tA || tB };
}

const size = (t: TensorInfo) => t.shape.reduce((a, b) => a * b, 1);

/**
 * Whether C = op(A)·op(B) is cheaper as C = (op(B)ᵀ·op(A)ᵀ)ᵀ. Cost counted in numbers moved:
 * each transpose materialized, plus XNNPACK's packing of the right-hand operand (it repacks
 * "weights" for every new tensor, and in training every operand is new). For ∂x = ∂y·Wᵀ with a
 * big W (784×400, B = 128) the swap moves 250k numbers instead of 630k: measured 3.4 ms
 * against 4.5 ms here.
 */
export function swapIsCheaper(a: TensorInfo, b: TensorInfo, tA: boolean, tB: boolean): boolean {
  const sa = size(a);
  const sb = size(b);
  const m = tA ? a.shape[a.shape.length - 1] : a.shape[a.shape.length - 2];
  const n = tB ? b.shape[b.shape.length - 2] : b.shape[b.shape.length - 1];
  const batch = Math.max(sa / (a.shape[a.shape.length - 1] * a.shape[a.shape.length - 2]), sb / (b.shape[b.shape.length - 1] * b.shape[b.shape.length - 2]));
  const direct = (tA ? sa : 0) + (tB ? sb : 0) + sb;
  const swapped = (tB ? 0 : sb) + (tA ? 0 : sa) + batch * m * n + sa;
  return swapped < direct;
}

/**
 * Right operands seen before. A B used twice is likely used again (inference over many
 * batches with fixed weights), and tfjs-backend-wasm caches XNNPACK's packed form per tensor:
 * from its second use on, B goes the direct way and is packed once for all later products.
 */
const packedRight = new WeakSet<object>();

/** Switches for tests and benchmarks. */
export const matMulConfig = { swapFreshRight: true };

/** Packing one number of B (XNNPACK, strided [k, n] reads) against transposing one: measured ~4 ns vs ~0.9 ns here. */
const PACK_COST = 4;

/**
 * Whether an untransposed C = A·B [m, n] (batch 1) is cheaper as C = (Bᵀ·Aᵀ)ᵀ. XNNPACK packs
 * its right operand before multiplying; when B is new (in training every weight matrix is new
 * after each update) and much larger than A — the forward x·W of a wide layer, B = 784×400
 * against A = 128×784 — packing Aᵀ after three cheap transposes costs less than packing B:
 *   direct  PACK·|B|        swapped  |A| + |B| + mn + PACK·|A| + extra
 * (extra: a separate bias add and activation when a fused product is swapped). Measured on the
 * two 784×400 layers of the MLP VAE: 3.7 → 3.5 ms and 3.7 → 3.4 ms per product.
 *
 * Only while gradients are being recorded (the forward pass of a training step, where the
 * weights are new every step): the swapped product sums in another order, so its last bits can
 * differ from the direct one, and inference (gradientDepth 0) keeps giving bit-identical
 * results for the same weights, e.g. before and after a save → load.
 */
export function freshRightSwapIsCheaper(a: TensorInfo, b: TensorInfo, extra = 0): boolean {
  if (!matMulConfig.swapFreshRight || packedRight.has(b.dataId)) return false;
  if ((tf.engine() as unknown as { state: { gradientDepth: number } }).state.gradientDepth === 0) return false;
  if (size(a) !== a.shape[a.shape.length - 1] * a.shape[a.shape.length - 2]) return false; // batch > 1
  if (size(b) !== b.shape[b.shape.length - 1] * b.shape[b.shape.length - 2]) return false;
  const m = a.shape[a.shape.length - 2];
  const n = b.shape[b.shape.length - 1];
  const swapped = size(a) + size(b) + m * n + PACK_COST * size(a) + extra;
  return swapped < 0.85 * PACK_COST * size(b);
}

/** C = (Bᵀ·Aᵀ)ᵀ with the backend's own kernels. */
function swappedProduct(backend: unknown, a: TensorInfo, b: TensorInfo): TensorInfo {
  const bt = transposeLast2(backend, b);
  const at = transposeLast2(backend, a);
  const ct = runOriginal("BatchMatMul", backend, { a: bt, b: at }, { transposeA: false, transposeB: false });
  const c = transposeLast2(backend, ct);
  release(backend as never, bt);
  release(backend as never, at);
  release(backend as never, ct);
  return c;
}

/** BatchMatMul for wasm: op(A)·op(B) via explicit transposes + XNNPACK's untransposed product. */
export function batchMatMulNoTranspose({ inputs, backend, attrs = {} }: KernelArgs): TensorInfo {
  const { a, b } = inputs;
  const tA = attrs.transposeA === true;
  const tB = attrs.transposeB === true;
  if (!tA && !tB) {
    const swap = freshRightSwapIsCheaper(a, b);
    packedRight.add(b.dataId);
    return swap ? swappedProduct(backend, a, b) : runOriginal("BatchMatMul", backend, { a, b }, attrs);
  }
  if (swapIsCheaper(a, b, tA, tB)) {
    // (op(B)ᵀ · op(A)ᵀ)ᵀ: op(B)ᵀ is B itself when tB, else Bᵀ; likewise for A.
    const bt = tB ? b : transposeLast2(backend, b);
    const at = tA ? a : transposeLast2(backend, a);
    const ct = runOriginal("BatchMatMul", backend, { a: bt, b: at }, { ...attrs, transposeA: false, transposeB: false });
    const c = transposeLast2(backend, ct);
    if (!tB) release(backend as never, bt);
    if (!tA) release(backend as never, at);
    release(backend as never, ct);
    return c;
  }
  const u = untransposed(backend, a, b, attrs);
  try {
    return runOriginal("BatchMatMul", backend, { a: u.a2, b: u.b2 }, { ...attrs, transposeA: false, transposeB: false });
  } finally {
    u.done();
  }
}

/** _FusedMatMul (matMul + bias + activation) for wasm, with the same transpose treatment. */
export function fusedMatMulNoTranspose({ inputs, backend, attrs = {} }: KernelArgs): TensorInfo {
  const { a, b, ...rest } = inputs;
  if (attrs.transposeA !== true && attrs.transposeB !== true) {
    const act = attrs.activation ?? "linear";
    const simple = rest.preluActivationWeights == null && (act === "linear" || act === "relu") && (rest.bias == null || rest.bias.shape.length === 1);
    const m = a.shape[a.shape.length - 2];
    const n = b.shape[b.shape.length - 1];
    const extra = (rest.bias ? m * n : 0) + (act === "relu" ? m * n : 0);
    const swap = simple && freshRightSwapIsCheaper(a, b, extra);
    packedRight.add(b.dataId);
    if (swap) {
      // The swapped product, then the bias and the activation as separate (cheap) passes.
      let c = swappedProduct(backend, a, b);
      if (rest.bias) {
        const cb = runOriginal("Add", backend, { a: c, b: rest.bias });
        release(backend as never, c);
        c = cb;
      }
      if (act === "relu") {
        const cr = runOriginal("Relu", backend, { x: c });
        release(backend as never, c);
        c = cr;
      }
      return c;
    }
    return runOriginal("_FusedMatMul", backend, inputs, attrs);
  }
  const u = untransposed(backend, a, b, attrs);
  try {
    return runOriginal("_FusedMatMul", backend, { a: u.a2, b: u.b2, ...rest }, { ...attrs, transposeA: false, transposeB: false });
  } finally {
    u.done();
  }
}
