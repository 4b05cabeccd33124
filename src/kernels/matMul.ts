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
 * A transpose costs one pass over the operand (O(mk)) against the product's O(mkn).
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

/** BatchMatMul for wasm: op(A)·op(B) via explicit transposes + XNNPACK's untransposed product. */
export function batchMatMulNoTranspose({ inputs, backend, attrs = {} }: KernelArgs): TensorInfo {
  const { a, b } = inputs;
  if (attrs.transposeA !== true && attrs.transposeB !== true) return runOriginal("BatchMatMul", backend, { a, b }, attrs);
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
