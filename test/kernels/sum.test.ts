/**
 * Sum over leading axes on wasm (src/kernels/sum.ts) against float64 sums: the kernel rounds a
 * float64 accumulator once, so each entry is within one float32 rounding (2⁻²⁴ relative) of the
 * float64 sum of the same float32 inputs, plus the float64 error n·2⁻⁵³·Σ|x|. Other reductions
 * (inner axes, all axes, int32) go to tfjs's kernel and must agree with the cpu backend.
 */
import { describe, expect, it } from "vitest";
import * as tf from "@tensorflow/tfjs";
import { Rng } from "../../src/runtime/rng";
import { initBackend, useBackend } from "../../src/runtime/backend";
import { randn } from "./helpers";
import { columnSums } from "../../src/kernels/sum";

describe("Sum over leading axes (wasm)", () => {
  for (const [shape, axis, keepDims] of [
    [[4, 6, 5, 3], [0, 1, 2], false],
    [[4, 6, 5, 3], [2, 0, 1], true],
    [[7, 9], 0, false],
    [[3, 2, 8], [0], true],
  ] as [number[], number | number[], boolean][]) {
    it(`shape [${shape}], axis ${JSON.stringify(axis)}, keepDims ${keepDims}`, async () => {
      await initBackend();
      await useBackend("wasm");
      const n = shape.reduce((a, b) => a * b, 1);
      const x = randn(n, new Rng(n));
      const got = tf.tidy(() => tf.sum(tf.tensor(x, shape), axis, keepDims));
      const axes = (Array.isArray(axis) ? axis : [axis]).length;
      const cols = shape.slice(axes).reduce((a, b) => a * b, 1);
      const rows = n / cols;
      expect(got.shape).toEqual(keepDims ? [...shape.slice(0, axes).map(() => 1), ...shape.slice(axes)] : shape.slice(axes));
      const v = got.dataSync();
      for (let c = 0; c < cols; c++) {
        let s = 0;
        let a = 0;
        for (let r = 0; r < rows; r++) {
          s += x[r * cols + c];
          a += Math.abs(x[r * cols + c]);
        }
        expect(Math.abs(v[c] - s)).toBeLessThanOrEqual(2 ** -24 * Math.abs(s) + rows * 2 ** -53 * a + 1e-45);
      }
      got.dispose();
    });
  }

  it("leaves other reductions to tfjs (inner axes, all axes, int32)", async () => {
    await initBackend();
    const x = randn(60, new Rng(3));
    const run = () => tf.tidy(() => [tf.sum(tf.tensor(x, [3, 4, 5]), 2), tf.sum(tf.tensor(x, [3, 4, 5])), tf.sum(tf.tensor(Int32Array.from(x, (v) => Math.round(10 * v)), [3, 4, 5], "int32"), [0, 1])].map((t) => Array.from(t.dataSync())));
    await useBackend("cpu");
    const cpu = run();
    await useBackend("wasm");
    const wasm = run();
    expect(wasm[2]).toEqual(cpu[2]);
    for (let i = 0; i < 2; i++) for (let k = 0; k < cpu[i].length; k++) expect(Math.abs(wasm[i][k] - cpu[i][k])).toBeLessThan(1e-4);
  });
});

describe("columnSums", () => {
  for (const [rows, cols] of [[1000, 16], [513, 3], [257, 1], [256, 64], [5, 70], [300, 6], [1, 1]]) {
    it(`[${rows}, ${cols}]: the float64 sum of each column, rounded once (bit for bit)`, () => {
      // Every number added once across the blocks of rows (none skipped or repeated), and the
      // float64 sum rounded to float32 once. (The order of the float64 additions does not show
      // here: their error is far below one float32 rounding.)
      const x = randn(rows * cols, new Rng(rows * 131 + cols));
      const got = new Float32Array(cols);
      columnSums(x, rows, cols, got);
      for (let c = 0; c < cols; c++) {
        let s = 0;
        for (let r = 0; r < rows; r++) s += x[r * cols + c];
        expect(Object.is(got[c], Math.fround(s))).toBe(true);
      }
    });
  }
});
