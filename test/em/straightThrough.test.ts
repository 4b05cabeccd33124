import { beforeAll, describe, expect, it } from "vitest";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../src/runtime/backend";
import { Rng } from "../../src/runtime/rng";
import { hardmax, stopGradient, straightThroughOneHot, straightThroughQuantize } from "../../src/em/straightThrough";

beforeAll(async () => {
  await initBackend();
});

describe("straight-through trick", () => {
  it("stop_grad is the identity forward and has zero gradient", () => {
    const x = tf.tensor1d([1, -2, 3]);
    expect(Array.from(stopGradient(x).dataSync())).toEqual([1, -2, 3]);
    // d/dx Σ (x² + stop_grad(x)³) = 2x only
    const g = tf.grad((a: tf.Tensor) => tf.sum(tf.add(tf.square(a), tf.pow(stopGradient(a), 3))))(x);
    expect(Array.from(g.dataSync())).toEqual([2, -4, 6]);
  });

  it("one-hot: value is hardmax(y), gradient is softmax's gradient (Jacobian diag(s) − s sᵀ)", () => {
    const r = new Rng(5);
    const y = tf.tensor2d(r.normals(new Float32Array(4 * 6)), [4, 6]);
    const w = tf.tensor2d(r.normals(new Float32Array(4 * 6)), [4, 6]);
    const st = straightThroughOneHot(y);
    expect(Array.from(st.dataSync())).toEqual(Array.from(hardmax(y).dataSync()));
    const rows = st.arraySync();
    for (const row of rows) expect(row.reduce((a, b) => a + b, 0)).toBe(1);
    const gSt = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(w, straightThroughOneHot(a as tf.Tensor2D))))(y).arraySync() as number[][];
    // closed form: ∂/∂y_j Σ_i w_i s_i = s_j (w_j − Σ_i w_i s_i)
    const s = tf.softmax(y).arraySync();
    const wa = w.arraySync();
    for (let n = 0; n < 4; n++) {
      const ws = wa[n].reduce((a, wi, i) => a + wi * s[n][i], 0);
      for (let j = 0; j < 6; j++) expect(gSt[n][j]).toBeCloseTo(s[n][j] * (wa[n][j] - ws), 5);
    }
  });

  it("VQ: value is the nearest codeword (the K-means assignment), gradient w.r.t. z_e is the identity", () => {
    const codebook = tf.tensor2d([[0, 0], [5, 0], [0, 5]]);
    const ze = tf.tensor2d([[0.4, -0.3], [4.0, 1.0], [1.0, 3.5], [6, 6]]);
    const { zq, indices } = straightThroughQuantize(ze, codebook);
    expect(Array.from(indices.dataSync())).toEqual([0, 1, 2, 1]);
    expect(zq.arraySync()).toEqual([[0, 0], [5, 0], [0, 5], [5, 0]]);
    const w = tf.tensor2d([[1, 2], [3, 4], [5, 6], [7, 8]]);
    const g = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(w, straightThroughQuantize(a as tf.Tensor2D, codebook).zq)))(ze);
    expect(g.arraySync()).toEqual(w.arraySync());
  });

  it("rejects mismatched shapes", () => {
    expect(() => straightThroughQuantize(tf.zeros([2, 3]) as tf.Tensor2D, tf.zeros([4, 2]) as tf.Tensor2D)).toThrow(/same d/);
  });
});
