/**
 * The convolution routes of src/kernels/conv2d.ts (Conv2D forward: XNNPACK / 1×1 GEMM /
 * zero-tap cropping of masked filters; Conv2DBackpropInput for stride 1 as a convolution with
 * the flipped filter; Conv2DBackpropFilter as a convolution of xᵀ with ∂yᵀ, or a 1×1 GEMM),
 * checked against float64 sums written from the definitions:
 *
 *   y[b,h,w,o]  = Σ_{i,j,c} x[b, h·s_h − p_t + i·d_h, w·s_w − p_l + j·d_w, c] · W[i,j,c,o]
 *   ∂x[b,u,v,c] = Σ_{h,w,i,j,o : u = h·s_h − p_t + i, v = w·s_w − p_l + j} ∂y[b,h,w,o] · W[i,j,c,o]
 *   ∂W[i,j,c,o] = Σ_{b,h,w} x[b, h·s_h − p_t + i, w·s_w − p_l + j, c] · ∂y[b,h,w,o]
 *
 * Tolerance, entry by entry: a float32 sum of n products in any order has error
 * ≤ γ_n Σ|terms|, γ_n = n·u/(1 − n·u), u = 2⁻²⁴ (Higham, Accuracy and Stability, §3.1); we
 * allow 2·γ_n (the inputs are exact float32 numbers, the products are rounded too).
 * Finite differences: L(W) = Σ conv2d(x, W ⊙ M) ⊙ R is linear in W, so its central difference
 * quotient has no truncation error, only L's float32 rounding divided by the step.
 */
import { describe, expect, it } from "vitest";
import * as tf from "@tensorflow/tfjs";
import { Rng } from "../../src/runtime/rng";
import { initBackend, useBackend } from "../../src/runtime/backend";
import { convConfig, gemmChunk, zeroTapCrop, geomFromInfo } from "../../src/kernels/conv2d";
import { U32, randn } from "./helpers";

type Pad = "same" | "valid" | [[number, number], [number, number], [number, number], [number, number]];
interface Case { name: string; x: [number, number, number, number]; f: [number, number, number, number]; s: number; d?: number; pad: Pad; mask?: "A" | "B" }

const gamma = (n: number) => (n * U32) / (1 - n * U32);

/** PixelCNN spatial mask (rows above the centre, and the centre row left of / up to the centre). */
function spatialMask(k: number, type: "A" | "B"): number[] {
  const m: number[] = [];
  const c = (k - 1) / 2;
  for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) m.push(i < c || (i === c && (j < c || (type === "B" && j === c))) ? 1 : 0);
  return m;
}

function makeFilter(c: Case, r: Rng): Float32Array {
  const w = randn(c.f.reduce((a, b) => a * b, 1), r);
  if (c.mask) {
    const m = spatialMask(c.f[0], c.mask);
    const per = c.f[2] * c.f[3];
    for (let t = 0; t < m.length; t++) if (!m[t]) w.fill(0, t * per, (t + 1) * per);
  }
  return w;
}

function info(c: Case) {
  return tf.backend_util.computeConv2DInfo(c.x, c.f, c.s, c.d ?? 1, c.pad as "same", undefined, false, "channelsLast");
}

/** float64 forward, ∂x, ∂W with Σ|terms| for each entry. */
function reference(c: Case, x: Float32Array, w: Float32Array, dy: Float32Array) {
  const I = info(c);
  const [B, H, W, C] = c.x;
  const [kh, kw, , O] = c.f;
  const { outHeight: OH, outWidth: OW, strideHeight: sh, strideWidth: sw, dilationHeight: dh, dilationWidth: dw } = I;
  const { top, left } = I.padInfo;
  const y = new Float64Array(B * OH * OW * O), ya = new Float64Array(y.length);
  const dx = new Float64Array(x.length), dxa = new Float64Array(x.length);
  const dW = new Float64Array(w.length), dWa = new Float64Array(w.length);
  for (let b = 0; b < B; b++) for (let h = 0; h < OH; h++) for (let q = 0; q < OW; q++) for (let i = 0; i < kh; i++) for (let j = 0; j < kw; j++) {
    const ih = h * sh - top + i * dh;
    const iw = q * sw - left + j * dw;
    if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
    for (let ci = 0; ci < C; ci++) {
      const xv = x[((b * H + ih) * W + iw) * C + ci];
      for (let o = 0; o < O; o++) {
        const wv = w[((i * kw + j) * C + ci) * O + o];
        const g = dy[((b * OH + h) * OW + q) * O + o];
        const yi = ((b * OH + h) * OW + q) * O + o;
        y[yi] += xv * wv; ya[yi] += Math.abs(xv * wv);
        const xi = ((b * H + ih) * W + iw) * C + ci;
        dx[xi] += g * wv; dxa[xi] += Math.abs(g * wv);
        const wi = ((i * kw + j) * C + ci) * O + o;
        dW[wi] += xv * g; dWa[wi] += Math.abs(xv * g);
      }
    }
  }
  return { y, ya, dx, dxa, dW, dWa, OH, OW, nY: kh * kw * C, nX: kh * kw * O, nW: B * OH * OW };
}

function within(got: ArrayLike<number>, want: Float64Array, abs: Float64Array, n: number): number {
  // Largest error as a fraction of the allowed bound (≤ 1 passes).
  let worst = 0;
  const g = 2 * gamma(n);
  for (let k = 0; k < want.length; k++) {
    const err = Math.abs(got[k] - want[k]);
    const bound = g * abs[k] + 1e-30;
    worst = Math.max(worst, err / bound);
  }
  return worst;
}

function runAll(c: Case, x: Float32Array, w: Float32Array, dy: Float32Array, OH: number, OW: number) {
  return tf.tidy(() => {
    const xt = tf.tensor4d(x, c.x);
    const wt = tf.tensor4d(w, c.f);
    const dyt = tf.tensor4d(dy, [c.x[0], OH, OW, c.f[3]]);
    const y = tf.conv2d(xt, wt, c.s, c.pad as "same", "NHWC", c.d ?? 1);
    const attrs = { strides: c.s, pad: c.pad, dataFormat: "NHWC", inputShape: c.x, filterShape: c.f } as unknown as tf.NamedAttrMap;
    const dx = (c.d ?? 1) === 1 ? (tf.engine().runKernel("Conv2DBackpropInput", { dy: dyt, filter: wt }, attrs) as tf.Tensor) : null;
    const dW = (c.d ?? 1) === 1 ? (tf.engine().runKernel("Conv2DBackpropFilter", { x: xt, dy: dyt }, attrs) as tf.Tensor) : null;
    return { y: y.dataSync(), yShape: y.shape, dx: dx?.dataSync(), dW: dW?.dataSync() };
  });
}

const CASES: Case[] = [
  { name: "3×3 stride 1, 16→12 channels (∂x and ∂W as convolutions)", x: [2, 9, 8, 16], f: [3, 3, 16, 12], s: 1, pad: "same" },
  { name: "3×3 mask B, 16→16 (zero taps cropped: a 2×3 kernel)", x: [2, 8, 8, 16], f: [3, 3, 16, 16], s: 1, pad: "same", mask: "B" },
  { name: "7×7 mask A, 1→16 (PixelCNN's first layer, 4×7 after cropping)", x: [2, 10, 9, 1], f: [7, 7, 1, 16], s: 1, pad: "same", mask: "A" },
  { name: "7×7 mask A, 9→8, valid (padding too small to crop)", x: [1, 12, 11, 9], f: [7, 7, 9, 8], s: 1, pad: "valid", mask: "A" },
  { name: "1×1, 24→10 (one GEMM each way)", x: [3, 5, 6, 24], f: [1, 1, 24, 10], s: 1, pad: "valid" },
  { name: "4×4 stride 2, 16→32 (conv VAE layer 2; ∂W with the stride as dilation)", x: [3, 14, 14, 16], f: [4, 4, 16, 32], s: 2, pad: "same" },
  { name: "3×3 stride 2 valid, 9→5 (the forward pass never reads x's last row)", x: [2, 10, 10, 9], f: [3, 3, 9, 5], s: 2, pad: "valid" },
  { name: "3×3 explicit uneven padding, 10→6", x: [2, 7, 6, 10], f: [3, 3, 10, 6], s: 1, pad: [[0, 0], [2, 0], [0, 1], [0, 0]] },
  { name: "5×3 stride 3, 8→4 (∂x in 9 sub-pixel phases, some rows of taps empty)", x: [2, 11, 10, 8], f: [5, 3, 8, 4], s: 3, pad: "same" },
  { name: "1×1 stride 2, 8→3 (∂x: three of four phases have no taps)", x: [2, 7, 7, 8], f: [1, 1, 8, 3], s: 2, pad: "valid" },
  { name: "4×4 stride 2 same, 32→16 at 7×7 (conv VAE decoder's transposed layer, backwards)", x: [2, 14, 14, 32], f: [4, 4, 32, 16], s: 2, pad: "same" },
  { name: "1×1, 16→24 over 5 chunks of rows (∂W summed chunk by chunk)", x: [3, 9, 10, 16], f: [1, 1, 16, 24], s: 1, pad: "valid" },
  { name: "3×3 dilation 2 forward, 8→4", x: [2, 9, 9, 8], f: [3, 3, 8, 4], s: 1, d: 2, pad: "same" },
];

describe("conv2d routes on wasm (src/kernels/conv2d.ts) against float64 definitions", () => {
  for (const c of CASES) {
    it(c.name, async () => {
      // small chunks for the chunked case: 3·9·10 = 270 rows in chunks of 64
      gemmChunk.maxFloats = c.name.includes("chunks") ? 64 * 24 : 1 << 17;
      gemmChunk.singleRows = c.name.includes("chunks") ? 0 : 16384;
      await initBackend();
      await useBackend("wasm");
      const r = new Rng(7);
      const x = randn(c.x.reduce((a, b) => a * b, 1), r);
      const w = makeFilter(c, r);
      const I = info(c);
      const dy = randn(c.x[0] * I.outHeight * I.outWidth * c.f[3], r);
      const ref = reference(c, x, w, dy);
      const got = runAll(c, x, w, dy, ref.OH, ref.OW);
      expect(got.yShape).toEqual([c.x[0], ref.OH, ref.OW, c.f[3]]);
      expect(within(got.y, ref.y, ref.ya, ref.nY)).toBeLessThanOrEqual(1);
      if (got.dx) expect(within(got.dx, ref.dx, ref.dxa, ref.nX)).toBeLessThanOrEqual(1);
      if (got.dW) expect(within(got.dW, ref.dW, ref.dWa, ref.nW)).toBeLessThanOrEqual(1);
    });
  }

  it("crops exactly the zero border taps the padding allows", () => {
    const c = CASES[1];
    const w = makeFilter(c, new Rng(1));
    const g = geomFromInfo(info(c));
    expect(zeroTapCrop(w, g)).toEqual({ i0: 0, i1: 2, j0: 0, j1: 3 });
    const a = makeFilter(CASES[2], new Rng(1));
    expect(zeroTapCrop(a, geomFromInfo(info(CASES[2])))).toEqual({ i0: 0, i1: 4, j0: 0, j1: 7 });
    // "valid": no bottom padding to absorb the crop.
    expect(zeroTapCrop(makeFilter(CASES[3], new Rng(1)), geomFromInfo(info(CASES[3])))).toBeNull();
    // all-zero filter: left alone.
    expect(zeroTapCrop(new Float32Array(w.length), g)).toBeNull();
    // a full filter: nothing to crop.
    expect(zeroTapCrop(randn(w.length, new Rng(2)), g)).toBeNull();
  });

  it("the masked convolution's gradient (through W ⊙ M) matches central finite differences", async () => {
    await initBackend();
    await useBackend("wasm");
    const c: Case = { name: "fd", x: [2, 8, 8, 16], f: [3, 3, 16, 8], s: 1, pad: "same", mask: "B" };
    const r = new Rng(3);
    const x = tf.tensor4d(randn(c.x.reduce((a, b) => a * b, 1), r), c.x);
    const mask = tf.tensor4d(makeFilter({ ...c }, new Rng(9)).map((v) => (v === 0 ? 0 : 1)), c.f);
    const R = tf.tensor4d(randn(2 * 8 * 8 * 8, r), [2, 8, 8, 8]);
    const w0 = randn(c.f.reduce((a, b) => a * b, 1), r);
    const L = (w: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(x, tf.mul(w, mask) as tf.Tensor4D, 1, "same"), R)) as tf.Scalar;
    const g = tf.grad(L)(tf.tensor4d(w0, c.f)).dataSync();
    const h = 0.5;
    // |δL| ≤ γ_m Σ|terms| with m = 9·16 (each output) + the final sum over 2·8·8·8 outputs.
    const sumAbs = tf.sum(tf.mul(tf.conv2d(tf.abs(x), tf.abs(tf.mul(tf.tensor4d(w0, c.f), mask)) as tf.Tensor4D, 1, "same"), tf.abs(R))).dataSync()[0];
    const tol = (2 * gamma(9 * 16 + 1024) * (sumAbs + 100)) / h;
    const rr = new Rng(11);
    for (let t = 0; t < 12; t++) {
      const k = rr.int(w0.length);
      const wp = Float32Array.from(w0); wp[k] += h;
      const wm = Float32Array.from(w0); wm[k] -= h;
      const fd = (L(tf.tensor4d(wp, c.f)).dataSync()[0] - L(tf.tensor4d(wm, c.f)).dataSync()[0]) / (2 * h);
      expect(Math.abs(fd - g[k])).toBeLessThanOrEqual(tol);
    }
  });

  it("every route switched off gives the same numbers to float32 summation order", async () => {
    await initBackend();
    await useBackend("wasm");
    const c = CASES[1];
    const r = new Rng(5);
    const x = randn(c.x.reduce((a, b) => a * b, 1), r);
    const w = makeFilter(c, r);
    const dy = randn(2 * 8 * 8 * 16, r);
    const ref = reference(c, x, w, dy);
    const saved = { ...convConfig };
    try {
      convConfig.cropZeroTaps = false;
      convConfig.gemm1x1 = false;
      convConfig.minGradChannels = 1 << 30;
      const got = runAll(c, x, w, dy, 8, 8);
      expect(within(got.y, ref.y, ref.ya, ref.nY)).toBeLessThanOrEqual(1);
      expect(within(got.dx!, ref.dx, ref.dxa, ref.nX)).toBeLessThanOrEqual(1);
      expect(within(got.dW!, ref.dW, ref.dWa, ref.nW)).toBeLessThanOrEqual(1);
    } finally {
      Object.assign(convConfig, saved);
    }
  });
});
