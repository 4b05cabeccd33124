/**
 * The helper thread that computes half of K-means' big products on the wasm backend
 * (src/em/productHelper.ts): split products must equal single-thread products bit for bit, so
 * K-means' results and logs do not depend on whether (or when) the helper was ready.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { useBackend } from "../../src/runtime/backend";
import { Rng } from "../../src/runtime/rng";
import { loadEmbeddedMnist } from "../../src/data/mnist";
import { kMeans, kMeansPlusPlus, pointsFromImages, type PointSet } from "../../src/em";
import { GemmDistances } from "../../src/em/kmeansDistances";
import { pointStats } from "../../src/em/points";
import { ProductHelper } from "../../src/em/productHelper";

let ps: PointSet;
beforeAll(async () => {
  await useBackend("wasm");
  ps = pointsFromImages(loadEmbeddedMnist(), 5000);
  expect(await ProductHelper.whenReady()).toBe(true);
});
afterAll(() => ProductHelper.shutdown());

describe("K-means products on two threads (wasm)", () => {
  it("split products, over all points and over gathered rows, equal the single-thread products bit for bit", () => {
    const r = new Rng(6);
    const k = 24;
    const centres = kMeansPlusPlus(ps, k, r);
    const stats = pointStats(ps);
    const one = new GemmDistances(ps, "tfjs", stats, { threads: 1 });
    const two = new GemmDistances(ps, "tfjs", stats, { threads: 2 });
    const rows = Int32Array.from(r.permutation(ps.n).subarray(0, 3001)).sort();
    for (let rep = 0; rep < 2; rep++) {
      const a = one.inner(centres, k);
      const b = two.inner(centres, k);
      expect(b.length).toBe(ps.n * k);
      expect(Buffer.from(b.buffer, b.byteOffset, b.byteLength).equals(Buffer.from(a.buffer, a.byteOffset, a.byteLength))).toBe(true);
      const c = one.innerOf(rows, centres, k);
      const d = two.innerOf(rows, centres, k);
      expect(d.length).toBe(rows.length * k);
      expect(Buffer.from(d.buffer, d.byteOffset, d.byteLength).equals(Buffer.from(c.buffer, c.byteOffset, c.byteLength))).toBe(true);
      // Sanity: the product is X·Cᵀ (float32 accumulation error ≪ 1e-3 relative here).
      const i = rows[17];
      let dot = 0;
      for (let t = 0; t < ps.d; t++) dot += ps.data[i * ps.d + t] * centres[3 * ps.d + t];
      expect(Math.abs(d[17 * k + 3] - dot)).toBeLessThanOrEqual(1e-4 * Math.abs(dot) + 1e-6);
      centres.reverse();
    }
    one.dispose();
    two.dispose();
  });

  it("K-means gives the same labels, centres and per-iteration work with one or two threads, and after the helper stops", async () => {
    const init = kMeansPlusPlus(ps, 32, new Rng(9));
    const run = (threads: 1 | 2) => kMeans(ps, { k: 32, init, threads, engine: "tfjs", maxIterations: 25, onWarning: () => {} });
    const a = await run(1);
    const b = await run(2);
    await ProductHelper.shutdown();
    const c = await run(2); // a new helper is starting: products run here until it is ready
    for (const x of [b, c]) {
      expect(x.iterations).toBe(a.iterations);
      expect(Array.from(x.labels)).toEqual(Array.from(a.labels));
      expect(Array.from(x.centres)).toEqual(Array.from(a.centres));
      expect(x.log.map((l) => l.distanceComputations)).toEqual(a.log.map((l) => l.distanceComputations));
    }
  });
});
