/**
 * The fresh-right-operand swap (src/kernels/matMul.ts, freshRightSwapIsCheaper): an
 * untransposed C = A·B with a new, large B is computed as (Bᵀ·Aᵀ)ᵀ, for BatchMatMul and for
 * _FusedMatMul (then bias and ReLU as separate passes). Checked entry by entry against a
 * float64 product within 2·γ_K·Σ_k |A_ik B_kj| (+ the bias), as in matMul.test.ts, and the
 * swap is checked to be taken for the shapes used (while gradients are recorded, as in a
 * training step's forward pass) and not taken once B has been used, nor outside recording.
 */
import { beforeAll, describe, expect, it } from "vitest";
import * as tf from "@tensorflow/tfjs";
import { Rng } from "../../src/runtime/rng";
import { initBackend, useBackend } from "../../src/runtime/backend";
import { registerWasmKernels } from "../../src/kernels";
import { freshRightSwapIsCheaper } from "../../src/kernels/matMul";
import { U32, randn } from "./helpers";

const gamma = (n: number) => (n * U32) / (1 - n * U32);
const M = 24;
const K = 150;
const N = 90;

/** Run f while tfjs records gradients (gradientDepth > 0), as the forward pass of a training step. */
function recorded<T>(f: () => T): T {
  let out: T | undefined;
  tf.grads((x: tf.Tensor) => {
    out = f();
    return tf.sum(x);
  })([tf.scalar(0)]).forEach((g) => g.dispose());
  return out as T;
}

beforeAll(async () => {
  await initBackend();
  await useBackend("wasm");
  registerWasmKernels();
});

function check(c: ArrayLike<number>, a: Float32Array, b: Float32Array, bias: Float32Array | null, relu: boolean): void {
  let worst = 0;
  for (let i = 0; i < M; i++)
    for (let j = 0; j < N; j++) {
      let s = bias ? bias[j] : 0;
      let t = bias ? Math.abs(bias[j]) : 0;
      for (let l = 0; l < K; l++) {
        s += a[i * K + l] * b[l * N + j];
        t += Math.abs(a[i * K + l] * b[l * N + j]);
      }
      const want = relu ? Math.max(0, s) : s;
      worst = Math.max(worst, Math.abs(c[i * N + j] - want) / (2 * gamma(K + 1) * t + 1e-30));
    }
  expect(worst).toBeLessThanOrEqual(1);
}

describe("untransposed matMul with a fresh, large right operand on wasm", () => {
  const r = new Rng(8);
  const a = randn(M * K, r);
  const b = randn(K * N, r);
  const bias = randn(N, r);

  it("takes the swapped route for these shapes while recording, not for a small right operand, not in inference", () => {
    const info = (shape: number[]) => ({ shape, dataId: {}, dtype: "float32" as const });
    recorded(() => {
      expect(freshRightSwapIsCheaper(info([M, K]), info([K, N]))).toBe(true);
      expect(freshRightSwapIsCheaper(info([1, M, K]), info([1, K, N]), 2 * M * N)).toBe(true);
      expect(freshRightSwapIsCheaper(info([K, M]), info([M, 4]))).toBe(false);
    });
    expect(freshRightSwapIsCheaper(info([M, K]), info([K, N]))).toBe(false);
  });

  it("BatchMatMul: C = A·B entry by entry", () => {
    const c = recorded(() => tf.tidy(() => tf.matMul(tf.tensor2d(a, [M, K]), tf.tensor2d(b, [K, N])).dataSync()));
    check(c, a, b, null, false);
  });

  for (const activation of ["linear", "relu"] as const) {
    it(`_FusedMatMul with bias, ${activation}: act(A·B + bias) entry by entry`, () => {
      // tf.fused.matMul itself fuses relu only outside recording; call the kernel as src/models does.
      const c = recorded(() =>
        tf.tidy(() =>
          (tf.engine().runKernel("_FusedMatMul", { a: tf.tensor3d(a, [1, M, K]), b: tf.tensor3d(b, [1, K, N]), bias: tf.tensor1d(bias) }, { transposeA: false, transposeB: false, activation } as unknown as tf.NamedAttrMap) as tf.Tensor).dataSync(),
        ),
      );
      check(c, a, b, bias, activation === "relu");
    });
  }

  it("a right operand used before goes the direct route (packed once, cached), same values", () => {
    const bt = tf.tensor2d(b, [K, N]);
    const at = tf.tensor2d(a, [M, K]);
    const info = (t: tf.Tensor) => ({ shape: t.shape, dataId: t.dataId, dtype: t.dtype });
    const [c1, c2] = recorded(() => {
      expect(freshRightSwapIsCheaper(info(at), info(bt))).toBe(true);
      const first = tf.keep(tf.matMul(at, bt)); // first use: swapped
      expect(freshRightSwapIsCheaper(info(at), info(bt))).toBe(false);
      return [first, tf.keep(tf.matMul(at, bt))]; // second use: direct
    });
    check(c1.dataSync(), a, b, null, false);
    check(c2.dataSync(), a, b, null, false);
    tf.dispose([at, bt, c1, c2]);
  });
});
