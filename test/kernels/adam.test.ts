/**
 * The fused Adam update (src/kernels/adam.ts) against tfjs's own AdamOptimizer on the same
 * backend, same gradients. tfjs rounds to float32 after each of its 13 operations; the fused
 * kernel computes in float64 and rounds once. Each update therefore differs by a few float32
 * roundings: |Δθ| ≲ 4u·|θ| + 8u·η per step (the step itself is at most ≈ η in size,
 * |m̂/(√v̂ + ε)| ≤ ~1 for Adam), and over T steps at most T times that (u = 2⁻²⁴).
 */
import { describe, expect, it } from "vitest";
import * as tf from "@tensorflow/tfjs";
import { Rng } from "../../src/runtime/rng";
import { initBackend, useBackend } from "../../src/runtime/backend";
import { registerWasmKernels, unregisterWasmKernels } from "../../src/kernels";
import { adamIsFused } from "../../src/kernels/adam";
import { U32, randn } from "./helpers";

let counter = 0;

function trainQuadratic(steps: number, lr: number): { theta: Float32Array; m: Float32Array } {
  const r = new Rng(21);
  const target = tf.tensor2d(randn(40 * 30, r), [40, 30]);
  const A = tf.tensor2d(randn(40 * 40, r), [40, 40]);
  const init = tf.tensor2d(randn(40 * 30, r), [40, 30]);
  const theta = tf.variable(init, true, `adamtest${++counter}`);
  init.dispose();
  const opt = tf.train.adam(lr);
  for (let t = 0; t < steps; t++) {
    opt.minimize(() => tf.mean(tf.square(tf.sub(tf.matMul(A, theta), target))) as tf.Scalar, false, [theta]);
  }
  const out = { theta: Float32Array.from(theta.dataSync()), m: Float32Array.from((opt as unknown as { accumulatedFirstMoment: { variable: tf.Variable }[] }).accumulatedFirstMoment[0].variable.dataSync()) };
  opt.dispose();
  tf.dispose([theta, target, A]);
  return out;
}

describe("fused Adam on wasm", () => {
  it("is on once the wasm backend is selected", async () => {
    await initBackend();
    await useBackend("wasm");
    expect(adamIsFused()).toBe(true);
    expect(tf.getKernel("LatentlabAdamUpdate", "wasm")).toBeTruthy();
  });

  it("matches tfjs's own Adam over 30 steps to float32 rounding", async () => {
    await useBackend("wasm");
    const T = 30;
    const lr = 1e-2;
    const fused = trainQuadratic(T, lr);
    unregisterWasmKernels();
    const plain = trainQuadratic(T, lr);
    registerWasmKernels();
    let moved = 0;
    for (let i = 0; i < fused.theta.length; i++) {
      const bound = T * (4 * U32 * Math.abs(plain.theta[i]) + 8 * U32 * lr) * 4; // ×4: the matMul and loss see the drift too
      expect(Math.abs(fused.theta[i] - plain.theta[i])).toBeLessThanOrEqual(bound);
      moved = Math.max(moved, Math.abs(fused.m[i]));
    }
    expect(moved).toBeGreaterThan(0); // the moments were really updated
    for (let i = 0; i < fused.m.length; i++) expect(Math.abs(fused.m[i] - plain.m[i])).toBeLessThanOrEqual(1e-4 * (Math.abs(plain.m[i]) + 1e-3));
  });

  it("leaks no tensors, and leaves the cpu backend's Adam untouched", async () => {
    await useBackend("wasm");
    const w0 = tf.memory().numTensors;
    trainQuadratic(3, 1e-2);
    expect(tf.memory().numTensors).toBe(w0);
    await useBackend("cpu");
    const before = tf.memory().numTensors;
    const a = trainQuadratic(3, 1e-2);
    expect(a.theta.every(Number.isFinite)).toBe(true);
    expect(tf.memory().numTensors).toBe(before);
    await useBackend("wasm");
  });
});
