import { describe, expect, it } from "vitest";
import { binarizeDynamic, binarizeThreshold } from "../../src/data/binarize";
import { rng } from "../../src/runtime/rng";

describe("binarizeDynamic: x_i ~ Bernoulli(p_i)", () => {
  it("has mean p for each grey level, within 4 standard errors", () => {
    const levels = [0.05, 0.3, 0.5, 0.77, 0.99];
    const per = 40_000;
    const images = new Float32Array(levels.length * per);
    levels.forEach((p, k) => images.fill(p, k * per, (k + 1) * per));
    const x = binarizeDynamic(images, rng(1));
    levels.forEach((p, k) => {
      let s = 0;
      for (let i = k * per; i < (k + 1) * per; i++) s += x[i];
      const pf = Math.fround(p);
      const se = Math.sqrt((pf * (1 - pf)) / per);
      expect(Math.abs(s / per - pf)).toBeLessThan(4 * se);
    });
  });

  it("gives only 0/1, exactly 0 for p = 0 and 1 for p = 1", () => {
    const images = new Float32Array(2000);
    images.fill(1, 1000);
    const x = binarizeDynamic(images, rng(2));
    expect(x.subarray(0, 1000).every((v) => v === 0)).toBe(true);
    expect(x.subarray(1000).every((v) => v === 1)).toBe(true);
  });

  it("is reproducible per seed and fresh on every call", () => {
    const images = new Float32Array(5000).fill(0.5);
    const a = binarizeDynamic(images, rng(7));
    const b = binarizeDynamic(images, rng(7));
    expect(Array.from(a)).toEqual(Array.from(b));
    const r = rng(7);
    const c1 = binarizeDynamic(images, r);
    const c2 = binarizeDynamic(images, r);
    let diff = 0;
    for (let i = 0; i < images.length; i++) diff += c1[i] !== c2[i] ? 1 : 0;
    // two independent fair draws differ with probability 1/2: 2500 +- 4 * 35
    expect(Math.abs(diff - 2500)).toBeLessThan(4 * Math.sqrt(5000 * 0.25));
  });

  it("rejects pixels outside [0, 1] or NaN, and a missing rng", () => {
    expect(() => binarizeDynamic(new Float32Array([0.2, 255]), rng(0))).toThrow(/pixel 1 is 255, outside \[0, 1\]/);
    expect(() => binarizeDynamic(new Float32Array([NaN]), rng(0))).toThrow(/pixel 0 is NaN/);
    // @ts-expect-error deliberately missing
    expect(() => binarizeDynamic(new Float32Array([0.2]))).toThrow(/pass a seeded Rng/);
  });
});

describe("binarizeThreshold: x_i = [p_i > t]", () => {
  it("thresholds strictly", () => {
    const x = binarizeThreshold(new Float32Array([0, 0.49, 0.5, 0.51, 1]), 0.5);
    expect(Array.from(x)).toEqual([0, 0, 0, 1, 1]);
    expect(Array.from(binarizeThreshold(new Float32Array([0, 0.1]), 0))).toEqual([0, 1]);
    expect(() => binarizeThreshold(new Float32Array([0.1]), 1)).toThrow(/threshold t must be in \[0, 1\)/);
  });
});
