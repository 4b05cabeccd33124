/**
 * BatchMatMul / _FusedMatMul with transposed operands on wasm (src/kernels/matMul.ts): the
 * replacement materializes Aᵀ or Bᵀ and multiplies untransposed. Checked against a float64
 * product from the definition C_ij = Σ_k op(A)_ik op(B)_kj, entry by entry within
 * 2·γ_K·Σ_k |op(A)_ik op(B)_kj| (γ_K = K·u/(1 − K·u), u = 2⁻²⁴: the standard bound for a
 * float32 dot product of length K), and against the cpu backend.
 */
import { describe, expect, it } from "vitest";
import * as tf from "@tensorflow/tfjs";
import { Rng } from "../../src/runtime/rng";
import { useBackend } from "../../src/runtime/backend";
import { U32, maxRelDiff, onBackend, randn } from "./helpers";

const gamma = (n: number) => (n * U32) / (1 - n * U32);

function refMatMul(a: Float32Array, b: Float32Array, batch: number, m: number, k: number, n: number, tA: boolean, tB: boolean) {
  const c = new Float64Array(batch * m * n);
  const abs = new Float64Array(c.length);
  for (let q = 0; q < batch; q++)
    for (let i = 0; i < m; i++)
      for (let j = 0; j < n; j++) {
        let s = 0;
        let t = 0;
        for (let l = 0; l < k; l++) {
          const av = a[q * m * k + (tA ? l * m + i : i * k + l)];
          const bv = b[q * k * n + (tB ? j * k + l : l * n + j)];
          s += av * bv;
          t += Math.abs(av * bv);
        }
        c[(q * m + i) * n + j] = s;
        abs[(q * m + i) * n + j] = t;
      }
  return { c, abs };
}

describe("matMul with transposed operands on wasm", () => {
  // The last two shapes take the swapped route when B is transposed (swapIsCheaper).
  for (const [batch, m, k, n] of [[1, 13, 29, 7], [3, 5, 64, 9], [1, 128, 40, 20], [1, 16, 64, 48], [3, 8, 64, 40]]) {
    for (const tA of [false, true])
      for (const tB of [false, true]) {
        it(`batch ${batch}, ${m}×${k}·${k}×${n}, transposeA=${tA}, transposeB=${tB}`, async () => {
          const r = new Rng(batch * 1000 + m + (tA ? 1 : 0) + (tB ? 2 : 0));
          const a = randn(batch * m * k, r);
          const b = randn(batch * k * n, r);
          const shapeA = batch === 1 ? (tA ? [k, m] : [m, k]) : tA ? [batch, k, m] : [batch, m, k];
          const shapeB = batch === 1 ? (tB ? [n, k] : [k, n]) : tB ? [batch, n, k] : [batch, k, n];
          const run = () => tf.tidy(() => Float32Array.from(tf.matMul(tf.tensor(a, shapeA), tf.tensor(b, shapeB), tA, tB).dataSync()));
          const w = await onBackend("wasm", run);
          const ref = refMatMul(a, b, batch, m, k, n, tA, tB);
          for (let i = 0; i < w.length; i++) expect(Math.abs(w[i] - ref.c[i])).toBeLessThanOrEqual(2 * gamma(k) * ref.abs[i]);
        });
      }
  }

  it("fused matMul + bias + relu with transposes matches the cpu backend", async () => {
    const r = new Rng(3);
    const a = randn(20 * 30, r);
    const b = randn(30 * 10, r);
    const bias = randn(10, r);
    const run = () =>
      tf.tidy(() =>
        Float32Array.from(
          tf.fused.matMul({ a: tf.tensor2d(a, [30, 20]), b: tf.tensor2d(b, [10, 30]), transposeA: true, transposeB: true, bias: tf.tensor1d(bias), activation: "relu" }).dataSync(),
        ),
      );
    const w = await onBackend("wasm", run);
    const c = await onBackend("cpu", run);
    expect(maxRelDiff(w, c)).toBeLessThan(1e-5);
    await useBackend("wasm");
  });

  it("dense-layer gradients (∂W = xᵀ∂y, ∂x = ∂y Wᵀ) match the cpu backend", async () => {
    const r = new Rng(5);
    const x = randn(64 * 50, r);
    const W = randn(50 * 30, r);
    const R = randn(64 * 30, r);
    const run = () =>
      tf.tidy(() => {
        const f = (xx: tf.Tensor, ww: tf.Tensor) => tf.sum(tf.mul(tf.relu(tf.matMul(xx, ww)), tf.tensor2d(R, [64, 30])));
        return tf.grads(f)([tf.tensor2d(x, [64, 50]), tf.tensor2d(W, [50, 30])]).map((t) => Float32Array.from(t.dataSync()));
      });
    const [wx, ww] = await onBackend("wasm", run);
    const [cx, cw] = await onBackend("cpu", run);
    expect(maxRelDiff(wx, cx)).toBeLessThan(1e-5);
    expect(maxRelDiff(ww, cw)).toBeLessThan(1e-5);
    await useBackend("wasm");
  });
});

describe("the swapped product C = (op(B)ᵀ·op(A)ᵀ)ᵀ", () => {
  it("is chosen for ∂x = ∂y·Wᵀ with a big W, not for ∂W = xᵀ·∂y", async () => {
    const { swapIsCheaper } = await import("../../src/kernels/matMul");
    const info = (shape: number[]) => ({ shape, dtype: "float32", dataId: {} }) as unknown as tf.TensorInfo;
    expect(swapIsCheaper(info([128, 784]), info([400, 784]), false, true)).toBe(true);
    expect(swapIsCheaper(info([128, 400]), info([128, 784]), true, false)).toBe(false);
    expect(swapIsCheaper(info([128, 784]), info([784, 400]), false, false)).toBe(false);
  });
});

describe("broadcast batch dimensions with transposes", () => {
  for (const [sa, sb] of [[[1, 16, 64], [3, 48, 64]], [[3, 16, 64], [1, 48, 64]]]) {
    it(`[${sa}] · [${sb}]ᵀ matches the cpu backend`, async () => {
      const r = new Rng(61);
      const a = randn(sa.reduce((x, y) => x * y), r);
      const b = randn(sb.reduce((x, y) => x * y), r);
      const run = () => tf.tidy(() => Float32Array.from(tf.matMul(tf.tensor(a, sa), tf.tensor(b, sb), false, true).dataSync()));
      const w = await onBackend("wasm", run);
      const c = await onBackend("cpu", run);
      expect(maxRelDiff(w, c)).toBeLessThan(1e-5);
      await useBackend("wasm");
    });
  }
});
