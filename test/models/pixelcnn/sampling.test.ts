import { beforeAll, describe, expect, it } from "vitest";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../../src/runtime/backend";
import { Rng } from "../../../src/runtime/rng";
import { PixelCnn, PixelCnnConfig } from "../../../src/models/pixelcnn/network";
import { pixelCnnNll } from "../../../src/models/pixelcnn/likelihood";
import { completePixelCnn, samplePixelCnn } from "../../../src/models/pixelcnn/sampling";

beforeAll(async () => {
  await initBackend();
});

const q = { showProgress: false };

/** Random weights scaled up so that the conditionals are far from 0.5 and depend strongly on the context. */
function sharpen(m: PixelCnn, f: number): PixelCnn {
  for (const v of m.params.values()) v.assign(tf.mul(v, f));
  return m;
}

describe("PixelCNN sampling", () => {
  const cases: [string, Partial<PixelCnnConfig>, number | undefined][] = [
    ["Bernoulli 9×8", { height: 9, width: 8, channels: 8, blocks: 2 }, undefined],
    ["categorical K = 5, 7×7 codes", { height: 7, width: 7, channels: 8, blocks: 2, output: "categorical", numCategories: 5 }, undefined],
    ["gated, class-conditional, 8×8", { height: 8, width: 8, channels: 8, blocks: 3, firstKernel: 3, architecture: "gated", numLabels: 3 }, 2],
  ];
  for (const [name, c, labels] of cases) {
    it(`${name}: fast (window) sampling gives exactly the naive samples for the same seed`, async () => {
      const m = sharpen(new PixelCnn(c, new Rng(1)), 2);
      const fast = await samplePixelCnn(m, 4, { ...q, rng: new Rng(9), labels, method: "fast" });
      const naive = await samplePixelCnn(m, 4, { ...q, rng: new Rng(9), labels, method: "naive" });
      expect(Array.from(fast.samples)).toEqual(Array.from(naive.samples));
      // the same conditionals to the last bit: the window changes nothing the draws see
      expect(Array.from(fast.logProb)).toEqual(Array.from(naive.logProb));
      // and they are the model's: log p(x) of the samples, scored afresh in one pass
      const nll = pixelCnnNll(m, fast.samples, { labels }).perImage;
      for (let s = 0; s < 4; s++) expect(-fast.logProb[s]).toBeCloseTo(nll[s], 2);
      expect(fast.passes).toBe(m.numPixels);
      expect(fast.positions).toBeLessThan(naive.positions);
      // the samples are not degenerate (both values / several codes occur)
      expect(new Set(Array.from(fast.samples)).size).toBeGreaterThan(1);
      m.dispose();
    });
  }

  it("respects the raster order: changing the draws of later pixels never changes earlier samples", async () => {
    const m = sharpen(new PixelCnn({ height: 8, width: 8, channels: 8, blocks: 2 }, new Rng(2)), 2);
    const n = 3;
    const D = 64;
    const r = new Rng(4);
    const u = new Float64Array(n * D).map(() => r.uniform());
    const base = (await samplePixelCnn(m, n, { ...q, uniforms: u })).samples;
    for (const j of [5, 20, 40, 63]) {
      const u2 = u.slice();
      for (let s = 0; s < n; s++) for (let p = j; p < D; p++) u2[s * D + p] = r.uniform();
      const other = (await samplePixelCnn(m, n, { ...q, uniforms: u2 })).samples;
      for (let s = 0; s < n; s++) for (let p = 0; p < j; p++) expect(other[s * D + p], `image ${s}, pixel ${p} < ${j}`).toBe(base[s * D + p]);
    }
    m.dispose();
  });

  it("completion keeps observed pixels, ignores hidden inputs, and with an observed prefix reproduces the sample drawn with the same uniforms", async () => {
    const m = sharpen(new PixelCnn({ height: 8, width: 8, channels: 8, blocks: 2 }, new Rng(3)), 2);
    const n = 2;
    const D = 64;
    const r = new Rng(6);
    const u = new Float64Array(n * D).map(() => r.uniform());
    const full = (await samplePixelCnn(m, n, { ...q, uniforms: u })).samples as Float32Array;
    const observed = new Uint8Array(D).map((_, p) => (p < 32 ? 1 : 0)); // top half
    const garbage = full.slice();
    for (let s = 0; s < n; s++) for (let p = 32; p < D; p++) garbage[s * D + p] = 1 - garbage[s * D + p];
    const done = await completePixelCnn(m, garbage, observed, { ...q, uniforms: u });
    expect(Array.from(done.samples)).toEqual(Array.from(full));
    expect(done.passes).toBe(32);
    m.dispose();
  });

  it("samples follow the model's own p(x): frequencies of all 16 images of a 2×2 model within 4 standard errors", async () => {
    const m = sharpen(new PixelCnn({ height: 2, width: 2, channels: 8, blocks: 1, firstKernel: 3 }, new Rng(5)), 3);
    const all = new Float32Array(16 * 4).map((_, i) => (Math.floor(i / 4) >> (3 - (i % 4))) & 1);
    const p = Array.from(pixelCnnNll(m, all).perImage).map((v) => Math.exp(-v));
    expect(p.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5); // the chain rule normalizes
    const n = 4000;
    const s = (await samplePixelCnn(m, n, { ...q, rng: new Rng(8) })).samples;
    const counts = new Array(16).fill(0);
    for (let k = 0; k < n; k++) counts[s[4 * k] * 8 + s[4 * k + 1] * 4 + s[4 * k + 2] * 2 + s[4 * k + 3]]++;
    for (let c = 0; c < 16; c++) {
      const se = Math.sqrt((p[c] * (1 - p[c])) / n);
      expect(Math.abs(counts[c] / n - p[c]), `image ${c}: ${counts[c] / n} vs ${p[c]}`).toBeLessThanOrEqual(4 * se + 1e-9);
    }
    m.dispose();
  });

  it("gives clear errors for a completion mask hiding nothing or everything, a wrong size and bad options", async () => {
    const m = new PixelCnn({ height: 4, width: 4, channels: 4, blocks: 1 }, new Rng(1));
    const x = new Float32Array(16);
    await expect(completePixelCnn(m, x, new Uint8Array(16).fill(1), q)).rejects.toThrow(/hides nothing/);
    await expect(completePixelCnn(m, x, new Uint8Array(16), q)).rejects.toThrow(/hides every pixel.*samplePixelCnn/);
    await expect(completePixelCnn(m, new Float32Array(15), new Uint8Array(16), q)).rejects.toThrow(/4×4/);
    await expect(completePixelCnn(m, x, new Uint8Array(9), q)).rejects.toThrow(/D = 16/);
    await expect(samplePixelCnn(m, 0, q)).rejects.toThrow(/positive integer/);
    await expect(samplePixelCnn(m, 1, { ...q, method: "slow" as "fast" })).rejects.toThrow(/"fast" or "naive"/);
    await expect(samplePixelCnn(m, 1, { ...q, labels: 1 })).rejects.toThrow(/unconditional/);
    m.dispose();
  });
});
