/**
 * Rate and neighbour dependence: the uniform-prior rate, VQ-VAE-2's ratios, and the plug-in
 * mutual information on code maps whose answer is known (copies: I = H; independent codes:
 * I ≈ its bias, within a few standard deviations of repeated draws).
 */
import { describe, expect, it } from "vitest";
import { Rng } from "../../../src/runtime/rng";
import { bitsFromPriorNats, codeBitsUniform, compressionFactor, neighbourMutualInformation, rawImageBits, vqvae2LatentRatios } from "../../../src/models/vqvae/rate";

describe("rate", () => {
  it("49 log2 K bits per 7×7 map; 784·8 raw bits; VQ-VAE-2's 3072×, 768×, 192×", () => {
    expect(codeBitsUniform(128, 7, 7)).toBe(343);
    expect(codeBitsUniform(512, 7, 7)).toBe(441);
    expect(rawImageBits(28, 28)).toBe(6272);
    expect(compressionFactor(6272, 343)).toBeCloseTo(18.286, 3);
    expect(vqvae2LatentRatios()).toEqual([3072, 768, 192]);
    expect(bitsFromPriorNats([Math.LN2 * 10, Math.LN2 * 20])).toBeCloseTo(15, 12);
    expect(() => codeBitsUniform(1, 7, 7)).toThrow(/K ≥ 2/);
    expect(() => codeBitsUniform(16, 0, 7)).toThrow(/h must be a positive integer/);
    expect(() => bitsFromPriorNats([-1])).toThrow(/≥ 0/);
  });
});

describe("neighbour mutual information", () => {
  it("equals the code entropy when each code repeats along rows (horizontal), ~0 vertically for independent rows", () => {
    const r = new Rng(21);
    const n = 400, h = 7, w = 7, K = 4;
    const codes = new Int32Array(n * h * w);
    for (let i = 0; i < n; i++) for (let y = 0; y < h; y++) {
      const c = r.int(K);
      for (let x = 0; x < w; x++) codes[(i * h + y) * w + x] = c;
    }
    const mi = neighbourMutualInformation(codes, K, h, w);
    expect(mi.horizontal.nats).toBeCloseTo(mi.codeEntropyNats, 10);
    expect(mi.horizontal.bits).toBeCloseTo(mi.horizontal.nats / Math.LN2, 12);
    expect(mi.codeEntropyNats).toBeLessThanOrEqual(Math.log(K) + 1e-12);
    // rows are independent: the vertical MI is only the estimator's bias, (16 − 4 − 4 + 1)/(2N) ≈ 9/(2·2400)
    expect(mi.vertical.nats).toBeLessThan(10 * mi.biasEstimate.vertical);
    expect(mi.pairs).toEqual({ horizontal: n * 7 * 6, vertical: n * 6 * 7 });
  });

  it("independent uniform codes: the plug-in MI is its bias (mean over draws within 3 SE of (K−1)²/(2N))", () => {
    const K = 8, h = 7, w = 7, n = 200;
    const vals: number[] = [];
    const r = new Rng(22);
    for (let rep = 0; rep < 20; rep++) {
      const codes = Int32Array.from({ length: n * h * w }, () => r.int(K));
      const mi = neighbourMutualInformation(codes, K, h, w);
      vals.push(mi.horizontal.nats);
      expect(mi.baseline.horizontal.nats).toBeLessThan(0.02);
    }
    const mean = vals.reduce((a, b) => a + b, 0) / vals.length;
    const sd = Math.sqrt(vals.reduce((a, b) => a + (b - mean) ** 2, 0) / (vals.length - 1));
    const bias = (K - 1) ** 2 / (2 * n * h * (w - 1));
    expect(Math.abs(mean - bias)).toBeLessThan(3 * sd / Math.sqrt(vals.length) + 1e-4);
  });

  it("rejects maps of the wrong shape and codes out of range", () => {
    expect(() => neighbourMutualInformation(new Int32Array(50), 4, 7, 7)).toThrow(/multiple/);
    expect(() => neighbourMutualInformation(Int32Array.of(...new Array(98).fill(0), ), 4, 7, 7)).not.toThrow();
    expect(() => neighbourMutualInformation(new Int32Array(98).fill(5), 4, 7, 7)).toThrow(/not in \[0, 4\)/);
    expect(() => neighbourMutualInformation([0, 1] as unknown as Int32Array, 4, 1, 2)).toThrow(/Int32Array/);
  });
});
