/**
 * Conv2DBackpropInput on wasm (src/kernels/conv2dBackpropInput.ts, replacing tfjs's scalar
 * loop), against a float64 reference from the definition
 *   ∂x[b, h·s − p_t + i, w·s − p_l + j, c] += Σ_o ∂y[b,h,w,o] W[i,j,c,o]
 * entry by entry within 2·γ_n·Σ|terms| (n = terms in the entry, γ_n = n·u/(1 − n·u), u = 2⁻²⁴),
 * and against the cpu backend's kernel; chunked and unchunked paths.
 */
import { afterAll, describe, expect, it } from "vitest";
import * as tf from "@tensorflow/tfjs";
import { Rng } from "../../src/runtime/rng";
import { useBackend } from "../../src/runtime/backend";
import { im2colConfig } from "../../src/kernels/conv2dBackpropFilter";
import { col2imAdd } from "../../src/kernels/conv2dBackpropInput";
import { U32, onBackend, randn } from "./helpers";

type Pad = "same" | "valid" | [[number, number], [number, number], [number, number], [number, number]];
interface Case { x: [number, number, number, number]; f: [number, number, number, number]; s: number | [number, number]; pad: Pad }

const gamma = (n: number) => (n * U32) / (1 - n * U32);

const CASES: Case[] = [
  { x: [2, 9, 9, 3], f: [3, 3, 3, 4], s: 1, pad: "same" },
  { x: [4, 14, 14, 16], f: [4, 4, 16, 32], s: 2, pad: "same" }, // conv VAE decoder (conv2dTranspose 32→16)
  { x: [3, 28, 28, 1], f: [4, 4, 1, 16], s: 2, pad: "same" }, // conv VAE output layer
  { x: [3, 8, 7, 5], f: [5, 5, 5, 2], s: 2, pad: "valid" },
  { x: [2, 6, 6, 4], f: [1, 1, 4, 3], s: 1, pad: "valid" },
  { x: [2, 10, 10, 3], f: [7, 7, 3, 4], s: 1, pad: "same" },
  { x: [1, 7, 7, 2], f: [3, 3, 2, 2], s: [1, 2], pad: [[0, 0], [1, 2], [2, 0], [0, 0]] },
];

afterAll(() => {
  im2colConfig.chunkFloats = im2colConfig.defaultChunkFloats;
});

describe("Conv2DBackpropInput on wasm", () => {
  for (const [k, c] of CASES.entries()) {
    for (const chunked of [false, true]) {
      it(`x [${c.x}], W [${c.f}], stride ${c.s}, pad ${JSON.stringify(c.pad)}${chunked ? ", one image per chunk" : ""}`, async () => {
        const info = tf.backend_util.computeConv2DInfo(c.x, c.f, c.s, 1, c.pad as "same", undefined, false, "channelsLast");
        const [B, H, W, C] = c.x;
        const [FH, FW, , O] = c.f;
        const OH = info.outHeight;
        const OW = info.outWidth;
        const r = new Rng(200 + k);
        const dy = randn(B * OH * OW * O, r);
        const w = randn(FH * FW * C * O, r);
        const run = () =>
          tf.tidy(() => {
            const out = tf.engine().runKernel(
              "Conv2DBackpropInput",
              { dy: tf.tensor4d(dy, [B, OH, OW, O]), filter: tf.tensor4d(w, c.f) },
              { strides: c.s, pad: c.pad, dataFormat: "NHWC", inputShape: c.x } as unknown as tf.NamedAttrMap,
            ) as tf.Tensor;
            return Float32Array.from(out.dataSync());
          });
        if (chunked) im2colConfig.chunkFloats = FH * FW * C * OH * OW;
        const wasm = await onBackend("wasm", run);
        im2colConfig.chunkFloats = im2colConfig.defaultChunkFloats;
        const cpu = await onBackend("cpu", run);
        const ref = new Float64Array(B * H * W * C);
        const abs = new Float64Array(ref.length);
        const [sh, sw] = typeof c.s === "number" ? [c.s, c.s] : c.s;
        for (let b = 0; b < B; b++) for (let h = 0; h < OH; h++) for (let x = 0; x < OW; x++) for (let i = 0; i < FH; i++) for (let j = 0; j < FW; j++) {
          const ih = h * sh - info.padInfo.top + i;
          const iw = x * sw - info.padInfo.left + j;
          if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
          for (let ci = 0; ci < C; ci++) for (let o = 0; o < O; o++) {
            const t = dy[((b * OH + h) * OW + x) * O + o] * w[((i * FW + j) * C + ci) * O + o];
            ref[((b * H + ih) * W + iw) * C + ci] += t;
            abs[((b * H + ih) * W + iw) * C + ci] += Math.abs(t);
          }
        }
        const n = FH * FW * O;
        for (let i = 0; i < ref.length; i++) {
          const bound = 2 * gamma(n) * abs[i];
          expect(Math.abs(wasm[i] - ref[i])).toBeLessThanOrEqual(bound);
          expect(Math.abs(wasm[i] - cpu[i])).toBeLessThanOrEqual(2 * bound);
        }
        await useBackend("wasm");
      });
    }
  }
});

/**
 * col2im as first written (every row, every tap tested against the image, every channel): the
 * order of additions that col2imAdd's one-channel path must keep, so that it gives the same bits.
 */
function col2imGeneric(cols: Float32Array, b0: number, nb: number, info: tf.backend_util.Conv2DInfo, dx: Float32Array): void {
  const { inHeight: H, inWidth: W, inChannels: C, outHeight: OH, outWidth: OW, filterHeight: FH, filterWidth: FW } = info;
  const K = FH * FW * C;
  let r = 0;
  for (let b = b0; b < b0 + nb; b++) {
    for (let h = 0; h < OH; h++) {
      for (let w = 0; w < OW; w++, r++) {
        for (let i = 0; i < FH; i++) {
          const ih = h * info.strideHeight - info.padInfo.top + i * info.dilationHeight;
          if (ih < 0 || ih >= H) continue;
          for (let j = 0; j < FW; j++) {
            const iw = w * info.strideWidth - info.padInfo.left + j * info.dilationWidth;
            if (iw < 0 || iw >= W) continue;
            for (let c = 0; c < C; c++) dx[((b * H + ih) * W + iw) * C + c] += cols[r * K + (i * FW + j) * C + c];
          }
        }
      }
    }
  }
}

describe("col2imAdd with one input channel", () => {
  const geometries: { x: [number, number, number, number]; f: [number, number, number, number]; s: number | [number, number]; pad: Pad; d?: number }[] = [
    { x: [3, 28, 28, 1], f: [4, 4, 1, 16], s: 2, pad: "same" }, // conv VAE output layer
    { x: [2, 28, 28, 1], f: [3, 3, 1, 32], s: 2, pad: "same" }, // VQ-VAE output layer
    { x: [3, 9, 8, 1], f: [5, 3, 1, 2], s: [2, 3], pad: "valid" },
    { x: [2, 11, 10, 1], f: [3, 3, 1, 2], s: 1, pad: "same", d: 2 },
    { x: [2, 7, 7, 1], f: [3, 3, 1, 2], s: [1, 2], pad: [[0, 0], [1, 2], [2, 0], [0, 0]] },
    { x: [2, 5, 6, 1], f: [7, 7, 1, 2], s: 1, pad: "same" }, // filter larger than the image
  ];
  for (const [k, c] of geometries.entries()) {
    it(`adds the same numbers in the same order as the generic loop: x [${c.x}], W [${c.f}], stride ${c.s}, dilation ${c.d ?? 1}`, () => {
      const info = tf.backend_util.computeConv2DInfo(c.x, c.f, c.s, c.d ?? 1, c.pad as "same", undefined, false, "channelsLast");
      const r = new Rng(300 + k);
      const B = c.x[0];
      const rowsPerImage = info.outHeight * info.outWidth;
      const cols = randn(B * rowsPerImage * c.f[0] * c.f[1], r);
      // Start from a non-zero dx with large and small entries, so that a changed order of
      // additions would show in the last bits.
      const start = randn(c.x.reduce((a, b) => a * b), r).map((v, i) => (i % 3 === 0 ? v * 1e3 : v));
      for (const [b0, nb] of [[0, B], [1, B - 1]]) {
        const want = Float32Array.from(start);
        const got = Float32Array.from(start);
        col2imGeneric(cols, b0, nb, info, want);
        col2imAdd(cols, b0, nb, info, got);
        expect(Buffer.from(got.buffer).equals(Buffer.from(want.buffer))).toBe(true);
      }
    });
  }
});
