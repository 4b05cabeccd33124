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

/** BatchMatMul for wasm: op(A)·op(B) via explicit transposes + XNNPACK's untransposed product. */
export function batchMatMulNoTranspose({ inputs, backend, attrs = {} }: KernelArgs): TensorInfo {
  const { a, b } = inputs;
  const tA = attrs.transposeA === true;
  const tB = attrs.transposeB === true;
  if (!tA && !tB) return runOriginal("BatchMatMul", backend, { a, b }, attrs);
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
  if (attrs.transposeA !== true && attrs.transposeB !== true) return runOriginal("_FusedMatMul", backend, inputs, attrs);
  const u = untransposed(backend, a, b, attrs);
  try {
    return runOriginal("_FusedMatMul", backend, { a: u.a2, b: u.b2, ...rest }, { ...attrs, transposeA: false, transposeB: false });
  } finally {
    u.done();
  }
}
