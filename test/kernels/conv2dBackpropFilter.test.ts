/**
 * Conv2DBackpropFilter on wasm (src/kernels/conv2dBackpropFilter.ts), checked three ways:
 *
 * 1. Against a float64 reference written from the definition
 *    ∂W[i,j,c,o] = Σ_{b,h,w} x[b, h·s − p_t + i, w·s − p_l + j, c] · ∂y[b,h,w,o].
 *    Tolerance: a float32 sum of n products has error ≤ γ_n Σ|terms|, γ_n = n·u/(1 − n·u),
 *    u = 2⁻²⁴ (Higham, Accuracy and Stability, §3.1); we allow 2·γ_n for the two roundings of
 *    the matmul's blocked sum, entry by entry, with Σ|terms| computed in float64.
 * 2. Against the cpu backend's kernel, on random shapes (same bound, doubled: both err).
 * 3. Against central finite differences of L(W) = Σ conv2d(x, W) ⊙ R. L is linear in W, so
 *    the difference quotient has no truncation error; what is left is L's float32 rounding,
 *    |δL| ≤ γ_m Σ|terms of L|, which the quotient divides by h.
 */
import { afterAll, describe, expect, it } from "vitest";
import * as tf from "@tensorflow/tfjs";
import { Rng } from "../../src/runtime/rng";
import { initBackend, useBackend } from "../../src/runtime/backend";
import { type Im2colGeometry, im2col, im2colConfig, im2colT, swapIsCheaperForFilter } from "../../src/kernels/conv2dBackpropFilter";
import { U32, maxRelDiff, onBackend, randn } from "./helpers";

type Pad = "same" | "valid" | [[number, number], [number, number], [number, number], [number, number]];
interface Case { x: [number, number, number, number]; f: [number, number, number, number]; s: number | [number, number]; pad: Pad }

const gamma = (n: number) => (n * U32) / (1 - n * U32);

/** float64 ∂W and Σ|terms| per entry, straight from the definition. */
function reference(x: Float32Array, dy: Float32Array, c: Case, oh: number, ow: number, top: number, left: number) {
  const [B, H, W, C] = c.x;
  const [FH, FW, , O] = c.f;
  const [sh, sw] = typeof c.s === "number" ? [c.s, c.s] : c.s;
  const dw = new Float64Array(FH * FW * C * O);
  const abs = new Float64Array(dw.length);
  for (let i = 0; i < FH; i++) for (let j = 0; j < FW; j++) for (let ci = 0; ci < C; ci++) for (let o = 0; o < O; o++) {
    let s = 0;
    let a = 0;
    for (let b = 0; b < B; b++) for (let h = 0; h < oh; h++) for (let w = 0; w < ow; w++) {
      const ih = h * sh - top + i;
      const iw = w * sw - left + j;
      if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
      const t = x[((b * H + ih) * W + iw) * C + ci] * dy[((b * oh + h) * ow + w) * O + o];
      s += t;
      a += Math.abs(t);
    }
    const k = ((i * FW + j) * C + ci) * O + o;
    dw[k] = s;
    abs[k] = a;
  }
  return { dw, abs };
}

function geometry(c: Case) {
  const info = tf.backend_util.computeConv2DInfo(c.x, c.f, c.s, 1, c.pad as "same", undefined, false, "channelsLast");
  return { oh: info.outHeight, ow: info.outWidth, top: info.padInfo.top, left: info.padInfo.left };
}

function backpropFilter(x: Float32Array, dy: Float32Array, c: Case, g: { oh: number; ow: number }): Float32Array {
  return tf.tidy(() => {
    const dyShape: [number, number, number, number] = [c.x[0], g.oh, g.ow, c.f[3]];
    const out = tf.engine().runKernel(
      "Conv2DBackpropFilter",
      { x: tf.tensor4d(x, c.x), dy: tf.tensor4d(dy, dyShape) },
      { strides: c.s, pad: c.pad, dataFormat: "NHWC", filterShape: c.f } as unknown as tf.NamedAttrMap,
    ) as tf.Tensor;
    return Float32Array.from(out.dataSync());
  });
}

const CASES: Case[] = [
  { x: [2, 9, 9, 3], f: [3, 3, 3, 4], s: 1, pad: "same" },
  { x: [4, 28, 28, 1], f: [4, 4, 1, 16], s: 2, pad: "same" }, // conv VAE, layer 1
  { x: [4, 14, 14, 16], f: [4, 4, 16, 32], s: 2, pad: "same" }, // conv VAE, layer 2
  { x: [3, 8, 7, 5], f: [5, 5, 5, 2], s: 2, pad: "valid" },
  { x: [2, 6, 6, 4], f: [1, 1, 4, 3], s: 1, pad: "valid" }, // 1×1
  { x: [2, 10, 10, 3], f: [7, 7, 3, 4], s: 1, pad: "same" }, // PixelCNN 7×7
  { x: [1, 7, 7, 2], f: [3, 3, 2, 2], s: [1, 2], pad: [[0, 0], [1, 2], [2, 0], [0, 0]] }, // explicit, anisotropic
  { x: [4, 28, 28, 1], f: [3, 3, 1, 32], s: 2, pad: "same" }, // VQ-VAE, layer 1: ∂Wᵀ = ∂Yᵀ·P (swapped)
  { x: [2, 12, 11, 1], f: [3, 3, 1, 32], s: 1, pad: "same" }, // VQ-VAE's last layer, stride 1: swapped
  { x: [2, 9, 9, 3], f: [2, 2, 3, 24], s: 1, pad: "valid" }, // swapped, 3 channels
];

afterAll(() => {
  im2colConfig.chunkFloats = im2colConfig.defaultChunkFloats;
  im2colConfig.swap = true;
});

describe("Conv2DBackpropFilter on wasm", () => {
  it("is registered once the wasm backend is selected", async () => {
    await initBackend();
    await useBackend("wasm");
    expect(tf.getKernel("Conv2DBackpropFilter", "wasm")).toBeTruthy();
  });

  for (const [k, c] of CASES.entries()) {
    it(`matches the float64 definition and the cpu kernel: x [${c.x}], W [${c.f}], stride ${c.s}, pad ${JSON.stringify(c.pad)}`, async () => {
      const r = new Rng(100 + k);
      const g = geometry(c);
      const x = randn(c.x.reduce((a, b) => a * b), r);
      const dy = randn(c.x[0] * g.oh * g.ow * c.f[3], r);
      const ref = reference(x, dy, c, g.oh, g.ow, g.top, g.left);
      const wasm = await onBackend("wasm", () => backpropFilter(x, dy, c, g));
      const cpu = await onBackend("cpu", () => backpropFilter(x, dy, c, g));
      const n = c.x[0] * g.oh * g.ow;
      for (let i = 0; i < ref.dw.length; i++) {
        const bound = 2 * gamma(n) * ref.abs[i] + 1e-30;
        expect(Math.abs(wasm[i] - ref.dw[i])).toBeLessThanOrEqual(bound);
        expect(Math.abs(wasm[i] - cpu[i])).toBeLessThanOrEqual(2 * bound);
      }
      await useBackend("wasm");
    });
  }

  it("gives the same answer when the im2col matrix is built in batch chunks", async () => {
    const c = CASES[2];
    const r = new Rng(7);
    const g = geometry(c);
    const x = randn(c.x.reduce((a, b) => a * b), r);
    const dy = randn(c.x[0] * g.oh * g.ow * c.f[3], r);
    const whole = await onBackend("wasm", () => backpropFilter(x, dy, c, g));
    im2colConfig.chunkFloats = 4 * 4 * 16 * 7 * 7; // exactly one image per chunk
    const chunked = backpropFilter(x, dy, c, g);
    im2colConfig.chunkFloats = im2colConfig.defaultChunkFloats;
    expect(maxRelDiff(chunked, whole)).toBeLessThan(1e-5);
  });

  it("takes the product the other way round only when that packs fewer numbers, with the same answer", async () => {
    expect(swapIsCheaperForFilter(9, 32)).toBe(true); // VQ-VAE one-channel 3×3 layers
    expect(swapIsCheaperForFilter(16, 16)).toBe(false); // conv VAE one-channel 4×4 layers
    expect(swapIsCheaperForFilter(49, 64)).toBe(false); // PixelCNN 7×7 one-channel layer
    for (const [k, c] of ([[0, CASES[7]], [1, CASES[8]], [2, CASES[9]]] as const)) {
      const r = new Rng(500 + k);
      const g = geometry(c);
      const x = randn(c.x.reduce((a, b) => a * b), r);
      const dy = randn(c.x[0] * g.oh * g.ow * c.f[3], r);
      const swapped = await onBackend("wasm", () => backpropFilter(x, dy, c, g));
      im2colConfig.swap = false;
      const direct = backpropFilter(x, dy, c, g);
      // and in batch chunks (one image each): chunk results are added in the transposed layout
      im2colConfig.swap = true;
      im2colConfig.chunkFloats = c.f[0] * c.f[1] * c.f[2] * g.oh * g.ow;
      const chunked = backpropFilter(x, dy, c, g);
      im2colConfig.chunkFloats = im2colConfig.defaultChunkFloats;
      const ref = reference(x, dy, c, g.oh, g.ow, g.top, g.left);
      const n = c.x[0] * g.oh * g.ow;
      for (let i = 0; i < ref.dw.length; i++) {
        const bound = 2 * gamma(n) * ref.abs[i] + 1e-30;
        expect(Math.abs(direct[i] - ref.dw[i])).toBeLessThanOrEqual(bound);
        expect(Math.abs(swapped[i] - ref.dw[i])).toBeLessThanOrEqual(bound);
        expect(Math.abs(chunked[i] - ref.dw[i])).toBeLessThanOrEqual(bound);
      }
    }
  });

  it("agrees with central finite differences of a loss linear in W", async () => {
    await useBackend("wasm");
    const c: Case = { x: [2, 8, 8, 3], f: [3, 3, 3, 4], s: 2, pad: "same" };
    const r = new Rng(11);
    const g = geometry(c);
    const x = tf.tensor4d(randn(2 * 8 * 8 * 3, r), c.x);
    const R = tf.tensor4d(randn(2 * g.oh * g.ow * 4, r), [2, g.oh, g.ow, 4]);
    const w0 = randn(3 * 3 * 3 * 4, r);
    const L = (w: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(x, w as tf.Tensor4D, c.s, c.pad as "same"), R));
    const grad = tf.tidy(() => tf.grad(L)(tf.tensor4d(w0, c.f)).dataSync());
    // Σ|terms| of L at any W within h of w0 (entrywise) bounds L's float32 rounding there, and
    // bounds h·Σ|terms| of any gradient entry, so |fd − grad| ≤ 2·γ_m·absL/h.
    const h = 0.5;
    const absL = tf.tidy(() => tf.sum(tf.mul(tf.conv2d(tf.abs(x), tf.add(tf.abs(tf.tensor4d(w0, c.f)), h) as tf.Tensor4D, c.s, c.pad as "same"), tf.abs(R))).dataSync()[0]);
    const m = 3 * 3 * 3 + 2 * g.oh * g.ow * 4;
    for (const idx of [0, 17, 40, 63, 88, 107]) {
      const evalAt = (delta: number) => {
        const w = Float32Array.from(w0);
        w[idx] += delta;
        return tf.tidy(() => L(tf.tensor4d(w, c.f)).dataSync()[0]);
      };
      const fd = (evalAt(h) - evalAt(-h)) / (2 * h);
      const bound = (2 * gamma(m) * absL) / h;
      expect(Math.abs(fd - grad[idx])).toBeLessThanOrEqual(bound);
    }
    tf.dispose([x, R]);
  });

  it("trains through conv2dTranspose too (its filter gradient is Conv2DBackpropFilter)", async () => {
    const r = new Rng(13);
    const dyIn = randn(2 * 7 * 7 * 8, r);
    const wv = randn(4 * 4 * 4 * 8, r);
    const proj = randn(2 * 14 * 14 * 4, r);
    const run = () =>
      tf.tidy(() => {
        const h = tf.tensor4d(dyIn, [2, 7, 7, 8]);
        const P = tf.tensor4d(proj, [2, 14, 14, 4]);
        const f = (a: tf.Tensor, w: tf.Tensor) => tf.sum(tf.mul(tf.conv2dTranspose(a as tf.Tensor4D, w as tf.Tensor4D, [2, 14, 14, 4], 2, "same"), P));
        return tf.grads(f)([h, tf.tensor4d(wv, [4, 4, 4, 8])]).map((t) => Float32Array.from(t.dataSync()));
      });
    const [wa, ww] = await onBackend("wasm", run);
    const [ca, cw] = await onBackend("cpu", run);
    expect(maxRelDiff(wa, ca)).toBeLessThan(1e-5);
    expect(maxRelDiff(ww, cw)).toBeLessThan(1e-5);
    await useBackend("wasm");
  });
});

describe("im2colT (the im2col matrix written transposed)", () => {
  const geometries: { name: string; B: number; g: Im2colGeometry }[] = [
    { name: "conv VAE layer 1 (4×4/2, 1 channel)", B: 3, g: { inHeight: 28, inWidth: 28, inChannels: 1, outHeight: 14, outWidth: 14, filterHeight: 4, filterWidth: 4, strideHeight: 2, strideWidth: 2, dilationHeight: 1, dilationWidth: 1, padTop: 1, padLeft: 1 } },
    { name: "PixelCNN 7×7, 1 channel", B: 2, g: { inHeight: 28, inWidth: 28, inChannels: 1, outHeight: 28, outWidth: 28, filterHeight: 7, filterWidth: 7, strideHeight: 1, strideWidth: 1, dilationHeight: 1, dilationWidth: 1, padTop: 3, padLeft: 3 } },
    { name: "3 channels, anisotropic stride, dilation 2", B: 2, g: { inHeight: 11, inWidth: 9, inChannels: 3, outHeight: 5, outWidth: 4, filterHeight: 3, filterWidth: 2, strideHeight: 2, strideWidth: 3, dilationHeight: 2, dilationWidth: 2, padTop: 1, padLeft: 2 } },
    { name: "filter wider than the image", B: 2, g: { inHeight: 4, inWidth: 3, inChannels: 2, outHeight: 4, outWidth: 3, filterHeight: 7, filterWidth: 7, strideHeight: 1, strideWidth: 1, dilationHeight: 1, dilationWidth: 1, padTop: 3, padLeft: 3 } },
    { name: "valid, no padding", B: 2, g: { inHeight: 8, inWidth: 7, inChannels: 5, outHeight: 2, outWidth: 2, filterHeight: 5, filterWidth: 5, strideHeight: 2, strideWidth: 2, dilationHeight: 1, dilationWidth: 1, padTop: 0, padLeft: 0 } },
  ];
  for (const [k, { name, B, g }] of geometries.entries()) {
    it(`is exactly the transpose of im2col's matrix: ${name}`, () => {
      const r = new Rng(400 + k);
      const x = randn(B * g.inHeight * g.inWidth * g.inChannels, r);
      const K = g.filterHeight * g.filterWidth * g.inChannels;
      for (const [b0, nb] of [[0, B], [1, B - 1]]) {
        const rows = nb * g.outHeight * g.outWidth;
        const p = new Float32Array(rows * K);
        im2col(x, b0, nb, g, p);
        // Stale numbers in the output buffer must all be overwritten (padding taps included).
        const pt = new Float32Array(rows * K).fill(Number.NaN);
        im2colT(x, b0, nb, g, pt);
        for (let row = 0; row < rows; row++) {
          for (let kk = 0; kk < K; kk++) {
            if (!Object.is(pt[kk * rows + row], p[row * K + kk])) {
              throw new Error(`Pᵀ[${kk}, ${row}] = ${pt[kk * rows + row]}, P[${row}, ${kk}] = ${p[row * K + kk]} (images ${b0}…${b0 + nb - 1})`);
            }
          }
        }
      }
    });
  }
});
