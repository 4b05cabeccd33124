/**
 * denseFused (src/models/fusedDense.ts): one _FusedMatMul kernel forward and the registered,
 * lazy gradient, against the same layer written as separate matMul + add (+ relu) ops, on the
 * active backend: values and gradients agree to float32 rounding of a k = 60 product.
 */
import { beforeAll, describe, expect, it } from "vitest";
import * as tf from "@tensorflow/tfjs";
import { Rng } from "../../src/runtime/rng";
import { initBackend, useBackend } from "../../src/runtime/backend";
import { denseFused } from "../../src/models/fusedDense";
import { maxRelDiff as maxRel } from "../kernels/helpers";

beforeAll(async () => {
  await initBackend();
});

// float32 products of length 60: relative error ≲ 60 · 2⁻²⁴ ≈ 4e-6 of the largest term; 2e-5 leaves room.
const TOL = 2e-5;

for (const [backend, activation] of [["wasm", "relu"], ["wasm", "linear"], ["cpu", "relu"]] as const) {
  describe(`denseFused ${activation} on ${backend}`, () => {
    beforeAll(async () => {
      await useBackend(backend);
    });
    const r = new Rng(activation === "relu" ? 5 : 6);
    // Made lazily, on the backend under test.
    let x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D, wts: tf.Tensor2D;
    const make = () => {
      x = tf.tensor2d(r.normals(new Float32Array(33 * 60)), [33, 60]);
      w = tf.tensor2d(r.normals(new Float32Array(60 * 17)), [60, 17]);
      b = tf.tensor1d(r.normals(new Float32Array(17)));
      wts = tf.tensor2d(r.normals(new Float32Array(33 * 17)), [33, 17]);
    };
    beforeAll(make);
    type Layer = (xx: tf.Tensor, ww: tf.Tensor, bb: tf.Tensor) => tf.Tensor;
    const reference: Layer = (xx, ww, bb) => {
      const y = tf.add(tf.matMul(xx as tf.Tensor2D, ww as tf.Tensor2D), bb);
      return activation === "relu" ? tf.relu(y) : y;
    };
    const fused: Layer = (xx, ww, bb) => denseFused(xx as tf.Tensor2D, ww as tf.Tensor2D, bb as tf.Tensor1D, activation);

    it("forward equals act(x W + b)", () => {
      const got = tf.tidy(() => fused(x, w, b).dataSync());
      const want = tf.tidy(() => reference(x, w, b).dataSync());
      expect(maxRel(got, want)).toBeLessThan(TOL);
      if (activation === "relu") {
        // The test exercises the mask: some pre-activations are negative, some positive.
        const zeros = Array.from(want).filter((v) => v === 0).length;
        expect(zeros).toBeGreaterThan(50);
        expect(zeros).toBeLessThan(want.length - 50);
      }
    });

    it("∂x, ∂W, ∂b of Σ y ⊙ c equal those of the unfused layer", () => {
      const loss = (f: Layer) => (xx: tf.Tensor, ww: tf.Tensor, bb: tf.Tensor) => tf.sum(tf.mul(f(xx, ww, bb), wts));
      const got = tf.tidy(() => tf.grads(loss(fused))([x, w, b]).map((g) => Float32Array.from(g.dataSync())));
      const want = tf.tidy(() => tf.grads(loss(reference))([x, w, b]).map((g) => Float32Array.from(g.dataSync())));
      for (let i = 0; i < 3; i++) expect(maxRel(got[i], want[i])).toBeLessThan(TOL);
    });

    it("gradients with respect to W and b only (x is data) are the same and leak no tensors", () => {
      const vw = tf.variable(w, true, `fusedDenseW_${backend}_${activation}`);
      const vb = tf.variable(b, true, `fusedDenseB_${backend}_${activation}`);
      const run = (f: Layer) => {
        const { grads, value } = tf.variableGrads(() => tf.sum(tf.mul(f(x, vw, vb), wts)) as tf.Scalar, [vw, vb]);
        const out = [value.dataSync()[0], Float32Array.from(grads[vw.name].dataSync()), Float32Array.from(grads[vb.name].dataSync())] as const;
        tf.dispose([value, grads[vw.name], grads[vb.name]]);
        return out;
      };
      run(fused);
      const before = tf.memory().numTensors;
      const got = run(fused);
      expect(tf.memory().numTensors).toBe(before);
      const want = run(reference);
      expect(Math.abs(got[0] - want[0])).toBeLessThan(TOL * Math.abs(want[0]) + 1e-4);
      expect(maxRel(got[1], want[1])).toBeLessThan(TOL);
      expect(maxRel(got[2], want[2])).toBeLessThan(TOL);
      tf.dispose([vw, vb]);
    });
  });
}

describe("denseFused input checks", () => {
  it("says which shapes do not fit", () => {
    const x = tf.zeros([2, 3]) as tf.Tensor2D;
    const w = tf.zeros([4, 5]) as tf.Tensor2D;
    const b = tf.zeros([5]) as tf.Tensor1D;
    expect(() => denseFused(x, w, b, "relu")).toThrow(/x \[2,3\], W \[4,5\]/);
    tf.dispose([x, w, b]);
  });
});
