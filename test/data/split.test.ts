import { describe, expect, it } from "vitest";
import { batches, stratifiedSplit, subset } from "../../src/data/split";
import { ImageDataset } from "../../src/data/mnist";
import { rng } from "../../src/runtime/rng";

/** Unbalanced toy set: class c has 10 + 7c examples; image i has all pixels = i / 1000. */
function toy(): ImageDataset {
  const labels: number[] = [];
  for (let c = 0; c < 5; c++) for (let k = 0; k < 10 + 7 * c; k++) labels.push(c);
  // interleave classes so the order is not sorted by class
  const perm = rng(99).permutation(labels.length);
  const lab = Uint8Array.from(perm, (p) => labels[p]);
  const n = lab.length;
  const images = new Float32Array(n * 4);
  for (let i = 0; i < n; i++) images.fill(i / 1000, 4 * i, 4 * i + 4);
  return { name: "toy", images, labels: lab, count: n, height: 2, width: 2, source: "test" };
}

describe("stratifiedSplit", () => {
  it("gives disjoint, complete index sets with per-class test counts round(f * n_c)", () => {
    const ds = toy();
    const f = 0.3;
    const { train, test, trainIndices, testIndices } = stratifiedSplit(ds, { testFraction: f, rng: rng(3) });
    const seen = new Uint8Array(ds.count);
    for (const i of trainIndices) seen[i]++;
    for (const i of testIndices) seen[i]++;
    expect(seen.every((v) => v === 1)).toBe(true); // disjoint and union complete
    expect(train.count + test.count).toBe(ds.count);
    for (let c = 0; c < 5; c++) {
      const nc = 10 + 7 * c;
      const inTest = test.labels.filter((l) => l === c).length;
      const inTrain = train.labels.filter((l) => l === c).length;
      expect(inTest).toBe(Math.round(f * nc));
      expect(inTrain).toBe(nc - Math.round(f * nc));
    }
    // images travel with their labels
    testIndices.forEach((i, k) => {
      expect(test.labels[k]).toBe(ds.labels[i]);
      expect(test.images[4 * k]).toBe(ds.images[4 * i]);
    });
  });

  it("is reproducible per seed and differs across seeds", () => {
    const ds = toy();
    const a = stratifiedSplit(ds, { testFraction: 0.25, rng: rng(5) }).testIndices;
    const b = stratifiedSplit(ds, { testFraction: 0.25, rng: rng(5) }).testIndices;
    const c = stratifiedSplit(ds, { testFraction: 0.25, rng: rng(6) }).testIndices;
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(Array.from(a)).not.toEqual(Array.from(c));
  });

  it("rejects a bad fraction", () => {
    expect(() => stratifiedSplit(toy(), { testFraction: 1, rng: rng(0) })).toThrow(/testFraction must be in \(0, 1\)/);
  });
});

describe("subset", () => {
  it("copies the chosen examples in order and checks indices", () => {
    const ds = toy();
    const s = subset(ds, [5, 0, 5]);
    expect(s.count).toBe(3);
    expect(Array.from(s.images.subarray(0, 4))).toEqual(Array.from(ds.images.subarray(20, 24)));
    expect(s.labels[2]).toBe(ds.labels[5]);
    expect(() => subset(ds, [ds.count])).toThrow(/index 120 \(position 0\) is outside 0\.\.119/);
  });
});

describe("batches", () => {
  it("covers every index exactly once per epoch; keeps or drops the partial last batch", () => {
    const kept = [...batches(103, 10, rng(1))];
    expect(kept.map((b) => b.length)).toEqual([...new Array(10).fill(10), 3]);
    const all = kept.flatMap((b) => Array.from(b)).sort((a, b) => a - b);
    expect(all).toEqual(Array.from({ length: 103 }, (_, i) => i));
    const dropped = [...batches(103, 10, rng(1), { dropLast: true })];
    expect(dropped.length).toBe(10);
    expect(new Set(dropped.flatMap((b) => Array.from(b))).size).toBe(100);
    // shuffled: the first batch is not 0..9
    expect(Array.from(kept[0])).not.toEqual(Array.from({ length: 10 }, (_, i) => i));
    expect(() => [...batches(10, 0, rng(1))]).toThrow(/batchSize must be a positive integer/);
  });
});
