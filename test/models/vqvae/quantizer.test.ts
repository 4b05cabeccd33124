/**
 * The vector quantizer: nearest codes equal a brute-force search (ties to the smallest k), the
 * straight-through output is C[z] forward and the identity backward, the softmax form selects the
 * same code and has softmax's gradient, and the dictionary loss has lecture 002's gradients.
 */
import { beforeAll, describe, expect, it } from "vitest";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../../src/runtime/backend";
import { Rng } from "../../../src/runtime/rng";
import {
  dictionaryGradientsByRule,
  dictionaryLoss,
  nearestCodes,
  quantizeSoftmaxStraightThrough,
  quantizeStraightThrough,
} from "../../../src/models/vqvae/quantizer";

beforeAll(async () => {
  await initBackend();
});

function bruteForce(z: Float32Array, C: Float32Array, I: number): Int32Array {
  const n = z.length / I;
  const K = C.length / I;
  const out = new Int32Array(n);
  for (let p = 0; p < n; p++) {
    let best = Infinity;
    for (let k = 0; k < K; k++) {
      let d = 0;
      for (let i = 0; i < I; i++) d += (Math.fround(z[p * I + i]) - C[k * I + i]) ** 2;
      if (d < best) {
        best = d;
        out[p] = k; // strict <: the first (smallest) k wins a tie
      }
    }
  }
  return out;
}

describe("nearest codes", () => {
  it("equal a brute-force search over the codebook, on [n, H, W, I] latents", () => {
    const r = new Rng(3);
    const I = 5, K = 37;
    const z = r.normals(new Float32Array(4 * 7 * 7 * I));
    const C = r.normals(new Float32Array(K * I));
    const codes = tf.tidy(() => nearestCodes(tf.tensor4d(z, [4, 7, 7, I]), tf.tensor2d(C, [K, I])));
    expect(codes.shape).toEqual([4, 7, 7]);
    expect(Array.from(codes.dataSync())).toEqual(Array.from(bruteForce(z, C, I)));
  });

  it("break ties towards the smallest index (a duplicated codeword)", () => {
    const C = Float32Array.of(5, 5, 1, 0, 0, 1, 1, 0); // codes 1 and 3 are the same point
    const z = Float32Array.of(0.9, 0.1, 1.2, -0.3, 0.1, 0.8);
    const codes = tf.tidy(() => nearestCodes(tf.tensor2d(z, [3, 2]), tf.tensor2d(C, [4, 2])).dataSync());
    expect(Array.from(codes)).toEqual([1, 1, 2]);
    expect(Array.from(codes)).toEqual(Array.from(bruteForce(z, C, 2)));
  });

  it("refuse a codebook of the wrong shape, K < 2, or another dimension", () => {
    const z = tf.zeros([3, 2]);
    expect(() => nearestCodes(z, tf.zeros([4]) as unknown as tf.Tensor2D)).toThrow(/shape \[K, I\]/);
    expect(() => nearestCodes(z, tf.zeros([1, 2]) as tf.Tensor2D)).toThrow(/K ≥ 2/);
    expect(() => nearestCodes(z, tf.zeros([4, 3]) as tf.Tensor2D)).toThrow(/dimension I = 3 but the latents have 2/);
  });
});

describe("straight-through quantization", () => {
  it("forward: the value is C[z]; backward: the gradient reaches L unchanged and C not at all", () => {
    const r = new Rng(4);
    const I = 3, K = 6, n = 10;
    const z = tf.tensor2d(r.normals(new Float32Array(n * I)), [n, I]);
    const C = tf.tensor2d(r.normals(new Float32Array(K * I)), [K, I]);
    const w = tf.tensor2d(r.normals(new Float32Array(n * I)), [n, I]);
    const q = quantizeStraightThrough(z, C);
    const codes = q.codes.dataSync();
    const Cv = C.dataSync();
    const expected = Array.from(codes).flatMap((k) => Array.from(Cv.slice(k * I, k * I + I)));
    const st = Array.from(q.straightThrough.dataSync());
    st.forEach((v, t) => expect(Math.abs(v - expected[t])).toBeLessThan(1e-6)); // L + (C[z] − L) rounds once
    const f = (a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(w, quantizeStraightThrough(a, b as tf.Tensor2D).straightThrough));
    const [gz, gC] = tf.grads(f)([z, C]);
    expect(Array.from(gz.dataSync())).toEqual(Array.from(w.dataSync())); // ∂/∂L = identity: L.grad += L̂.grad
    expect(Array.from(gC.dataSync()).every((v) => v === 0)).toBe(true);
  });

  it("the softmax form: forward the nearest codeword, backward (to L) the gradient of softmax(y) C", () => {
    const r = new Rng(5);
    const I = 2, K = 5, n = 7, tau = 0.7;
    const z = tf.tensor2d(r.normals(new Float32Array(n * I)), [n, I]);
    const C = tf.tensor2d(r.normals(new Float32Array(K * I)), [K, I]);
    const w = tf.tensor2d(r.normals(new Float32Array(n * I)), [n, I]);
    const hard = quantizeStraightThrough(z, C).selected.dataSync();
    const soft = quantizeSoftmaxStraightThrough(z, C, tau).dataSync();
    for (let t = 0; t < hard.length; t++) expect(Math.abs(soft[t] - hard[t])).toBeLessThan(1e-5);
    const relaxed = (a: tf.Tensor, b: tf.Tensor) => {
      const d2 = tf.add(tf.sub(tf.sum(tf.square(a), 1, true), tf.mul(2, tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D, false, true))), tf.reshape(tf.sum(tf.square(b), 1), [1, -1]));
      return tf.sum(tf.mul(w, tf.matMul(tf.softmax(tf.div(tf.neg(d2), tau)), b as tf.Tensor2D)));
    };
    const st = (a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(w, quantizeSoftmaxStraightThrough(a as tf.Tensor2D, b as tf.Tensor2D, tau)));
    const g1 = tf.grads(st)([z, C]);
    const g2 = tf.grads(relaxed)([z, C]);
    const a = g1[0].dataSync(), b = g2[0].dataSync();
    for (let t = 0; t < a.length; t++) expect(Math.abs(a[t] - b[t])).toBeLessThan(1e-5);
    expect(Math.max(...Array.from(a, Math.abs))).toBeGreaterThan(1e-3); // a real, non-zero gradient
  });
});

describe("the dictionary loss has lecture 002's gradients", () => {
  it("C.grad += 2(C[z] − L), L.grad += 2β(L − C[z]) (sum form), and the mean form is the same divided by n·I", () => {
    const r = new Rng(6);
    const I = 4, K = 9, n = 2 * 7 * 7, beta = 0.25;
    const zv = r.normals(new Float32Array(n * I));
    const Cv = r.normals(new Float32Array(K * I));
    const z = tf.tensor2d(zv, [n, I]);
    const C = tf.tensor2d(Cv, [K, I]);
    const codes = quantizeStraightThrough(z, C).codes.dataSync();
    const rule = dictionaryGradientsByRule(zv, Cv, codes, I, beta);
    const loss = (reduction: "sum" | "mean") => (a: tf.Tensor, b: tf.Tensor) => dictionaryLoss(a, quantizeStraightThrough(a, b as tf.Tensor2D).selected, beta, reduction).total;
    const [gz, gC] = tf.grads(loss("sum"))([z, C]).map((t) => t.dataSync());
    const scale = Math.max(...Array.from(rule.codebookGrad, Math.abs));
    for (let t = 0; t < gz.length; t++) expect(Math.abs(gz[t] - rule.latentGrad[t])).toBeLessThan(1e-5);
    for (let t = 0; t < gC.length; t++) expect(Math.abs(gC[t] - rule.codebookGrad[t])).toBeLessThan(1e-5 * scale);
    const [mz, mC] = tf.grads(loss("mean"))([z, C]).map((t) => t.dataSync());
    for (let t = 0; t < mz.length; t++) expect(Math.abs(mz[t] * n * I - rule.latentGrad[t])).toBeLessThan(1e-4);
    for (let t = 0; t < mC.length; t++) expect(Math.abs(mC[t] * n * I - rule.codebookGrad[t])).toBeLessThan(1e-5 * scale);
  });

  it("at the codebook's stationary point each code is the mean of its latents (the codebook gradient vanishes)", () => {
    const r = new Rng(7);
    const I = 3, n = 60;
    const zv = r.normals(new Float32Array(n * I));
    const codes = Int32Array.from({ length: n }, (_, p) => p % 4);
    const means = new Float64Array(4 * I);
    for (let p = 0; p < n; p++) for (let i = 0; i < I; i++) means[codes[p] * I + i] += zv[p * I + i] / (n / 4);
    const g = dictionaryGradientsByRule(zv, means, codes, I);
    for (const v of g.codebookGrad) expect(Math.abs(v)).toBeLessThan(1e-12);
  });
});
