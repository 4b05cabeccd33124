/**
 * The wasm Identity (shared, reference-counted data instead of a copy) and Softplus
 * (max(x, 0) − log σ(|x|) on the backend's vectorized kernels) replacements.
 */
import { beforeAll, describe, expect, it } from "vitest";
import * as tf from "@tensorflow/tfjs";
import { Rng } from "../../src/runtime/rng";
import { initBackend, useBackend } from "../../src/runtime/backend";
import { registerWasmKernels } from "../../src/kernels";
import { U32 } from "./helpers";

beforeAll(async () => {
  await initBackend();
  await useBackend("wasm");
  registerWasmKernels();
});

/** softplus in double: log1p(e^x) for x ≤ 0, x + log1p(e^−x) otherwise. */
const softplus64 = (x: number) => (x <= 0 ? Math.log1p(Math.exp(x)) : x + Math.log1p(Math.exp(-x)));

describe("wasm Softplus", () => {
  it("matches log(1 + e^x) in double to ~2⁻²⁴ absolute plus float32 rounding of the result, over ±100", () => {
    const r = new Rng(3);
    const xs = new Float32Array(20000);
    for (let i = 0; i < xs.length; i++) xs[i] = (r.uniform() * 2 - 1) * (i % 2 ? 100 : 8);
    xs.set([0, -17, 17, -30, 30, 88, 89, -88, -89, 1e4, -1e4, 1e-8, -1e-8], 0);
    const ys = tf.tidy(() => tf.softplus(tf.tensor1d(xs)).dataSync());
    let worst = 0;
    for (let i = 0; i < xs.length; i++) {
      const exact = softplus64(xs[i]);
      // Float32 rounding of x itself is exact (x is float32); allowed: a few ulps of the result + the log σ(|x|) floor.
      const tol = 4 * U32 * Math.abs(exact) + 2 * U32;
      worst = Math.max(worst, Math.abs(ys[i] - exact) / tol);
      expect(Number.isFinite(ys[i])).toBe(true);
    }
    expect(worst).toBeLessThanOrEqual(1);
  });

  it("keeps tfjs's gradient σ(x)", () => {
    const xs = [-20, -3, -0.5, 0, 0.5, 3, 20];
    const g = tf.tidy(() => tf.grad((x: tf.Tensor) => tf.sum(tf.softplus(x)))(tf.tensor1d(xs)).dataSync());
    xs.forEach((x, i) => expect(g[i]).toBeCloseTo(1 / (1 + Math.exp(-x)), 6));
  });
});

describe("wasm Identity", () => {
  it("a clone survives disposing the original, holds the same values, and frees memory when both are gone", () => {
    const before = tf.memory().numBytes;
    const a = tf.tensor1d([1, 2, 3, 4.5]);
    const b = a.clone();
    a.dispose();
    expect(Array.from(b.dataSync())).toEqual([1, 2, 3, 4.5]);
    b.dispose();
    expect(tf.memory().numBytes).toBe(before);
  });

  it("a variable assigned from a clone keeps its value when the clone's source is disposed", () => {
    const a = tf.tensor1d([7, 8]);
    const v = tf.variable(tf.zeros([2]), true, "identitySharedTest");
    v.assign(a.clone());
    a.dispose();
    expect(Array.from(v.dataSync())).toEqual([7, 8]);
    v.dispose();
  });
});
