/**
 * The other kernels tfjs-backend-wasm 4.22 lacks, against the cpu backend's: depthwise
 * convolution gradients (∂x, ∂W) and UnsortedSegmentSum (the gradient of gather, used by
 * codebook lookups). Float32 sums of at most a few hundred terms in another order: relative
 * agreement 1e-5 is ~100 float32 roundings of headroom (u ≈ 6e-8).
 */
import { describe, expect, it } from "vitest";
import * as tf from "@tensorflow/tfjs";
import { Rng } from "../../src/runtime/rng";
import { useBackend } from "../../src/runtime/backend";
import { maxRelDiff, onBackend, randn } from "./helpers";

describe("depthwise convolution gradients on wasm", () => {
  for (const [s, pad, mult, dil] of [[1, "same", 1, 1], [2, "valid", 2, 1], [1, "same", 3, 1]] as const) {
    it(`stride ${s}, pad ${pad}, channel multiplier ${mult}, dilation ${dil} (tfjs has no gradient for dilation > 1)`, async () => {
      const r = new Rng(31 + mult);
      const x = randn(2 * 9 * 8 * 3, r);
      const w = randn(3 * 3 * 3 * mult, r);
      const run = () =>
        tf.tidy(() => {
          const X = tf.tensor4d(x, [2, 9, 8, 3]);
          const W = tf.tensor4d(w, [3, 3, 3, mult]);
          const y = tf.depthwiseConv2d(X, W, s, pad, "NHWC", dil);
          const R = tf.tensor(randn(y.size, new Rng(99)), y.shape);
          const f = (a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(tf.depthwiseConv2d(a as tf.Tensor4D, b as tf.Tensor4D, s, pad, "NHWC", dil), R));
          return tf.grads(f)([X, W]).map((t) => Float32Array.from(t.dataSync()));
        });
      const [wx, ww] = await onBackend("wasm", run);
      const [cx, cw] = await onBackend("cpu", run);
      expect(maxRelDiff(wx, cx)).toBeLessThan(1e-5);
      expect(maxRelDiff(ww, cw)).toBeLessThan(1e-5);
      await useBackend("wasm");
    });
  }
});

describe("UnsortedSegmentSum / gather gradient on wasm", () => {
  it("the gradient of a codebook lookup sums the rows that chose each code", async () => {
    const r = new Rng(41);
    const K = 16;
    const E = randn(K * 8, r);
    const ids = Int32Array.from({ length: 50 }, () => r.int(K));
    const R = randn(50 * 8, r);
    const run = () =>
      tf.tidy(() => {
        const f = (e: tf.Tensor) => tf.sum(tf.mul(tf.gather(e, tf.tensor1d(ids, "int32")), tf.tensor2d(R, [50, 8])));
        return Float32Array.from(tf.grad(f)(tf.tensor2d(E, [K, 8])).dataSync());
      });
    const w = await onBackend("wasm", run);
    const c = await onBackend("cpu", run);
    expect(maxRelDiff(w, c)).toBeLessThan(1e-6);
    // and from the definition: ∂E[k] = Σ_{i: ids[i] = k} R[i]
    const ref = new Float64Array(K * 8);
    ids.forEach((k, i) => {
      for (let j = 0; j < 8; j++) ref[k * 8 + j] += R[i * 8 + j];
    });
    expect(maxRelDiff(w, ref)).toBeLessThan(1e-6);
    await useBackend("wasm");
  });

  it("drops ids outside [0, numSegments) and handles int32 data", async () => {
    await useBackend("wasm");
    const out = tf.tidy(() => tf.unsortedSegmentSum(tf.tensor1d([1, 2, 3, 4], "int32"), tf.tensor1d([0, 2, -1, 2], "int32"), 3).dataSync());
    expect(Array.from(out)).toEqual([1, 0, 6]);
  });
});
