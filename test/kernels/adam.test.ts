/**
 * The fused Adam update (src/kernels/adam.ts) against tfjs's own AdamOptimizer on the same
 * backend, same gradients. Both round to float32 after every operation, in the same order,
 * with correctly rounded IEEE add/mul/div/sqrt, so the parameters and moments must agree bit
 * for bit (tolerance 0), on the SIMD path, the JavaScript path, and a mix (n mod 4 ≠ 0).
 */
import { describe, expect, it } from "vitest";
import * as tf from "@tensorflow/tfjs";
import { Rng } from "../../src/runtime/rng";
import { initBackend, useBackend } from "../../src/runtime/backend";
import { registerWasmKernels, unregisterWasmKernels } from "../../src/kernels";
import { adamIsFused, adamSimdActive, simdConfig } from "../../src/kernels/adam";
import { randn } from "./helpers";

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
    expect(adamSimdActive()).toBe(true); // Node 20's V8 has WebAssembly SIMD
    expect(tf.getKernel("LatentlabAdamUpdate", "wasm")).toBeTruthy();
  });

  it("gives tfjs's own Adam bit for bit over 30 steps, on the SIMD and the JavaScript path", async () => {
    await useBackend("wasm");
    const T = 30;
    const lr = 1e-2;
    const fused = trainQuadratic(T, lr); // 1200 parameters: SIMD for all (1200 = 4·300)
    simdConfig.enabled = false;
    const js = trainQuadratic(T, lr);
    simdConfig.enabled = true;
    unregisterWasmKernels();
    const plain = trainQuadratic(T, lr);
    registerWasmKernels();
    expect(Math.max(...fused.m.map(Math.abs))).toBeGreaterThan(0); // the moments really moved
    expect(Array.from(fused.theta)).toEqual(Array.from(plain.theta));
    expect(Array.from(fused.m)).toEqual(Array.from(plain.m));
    expect(Array.from(js.theta)).toEqual(Array.from(plain.theta));
  });

  it("handles sizes that are not a multiple of 4 (SIMD body + scalar tail)", async () => {
    await useBackend("wasm");
    const run = () => {
      const r = new Rng(22);
      const init = tf.tensor1d(randn(4 * 25 + 3, r));
      const v = tf.variable(init, true, `adamtail${++counter}`);
      init.dispose();
      const target = tf.tensor1d(randn(103, r));
      const opt = tf.train.adam(0.05);
      for (let t = 0; t < 10; t++) opt.minimize(() => tf.sum(tf.square(tf.sub(v, target))) as tf.Scalar, false, [v]);
      const out = Array.from(v.dataSync());
      opt.dispose();
      tf.dispose([v, target]);
      return out;
    };
    const fused = run();
    unregisterWasmKernels();
    const plain = run();
    registerWasmKernels();
    expect(fused).toEqual(plain);
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
