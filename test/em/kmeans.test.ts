import { describe, expect, it } from "vitest";
import { Rng } from "../../src/runtime/rng";
import { kMeans, kMeansPlusPlus, randomCentres, toPointSet, sqDist, type PointSet } from "../../src/em";
import { loadEmbeddedMnist } from "../../src/data/mnist";

/** Gaussian blobs: k centres in [−5, 5]^d, unit-variance noise. */
function blobs(r: Rng, n: number, d: number, k: number, spread = 1): PointSet {
  const c = Array.from({ length: k * d }, () => 10 * r.uniform() - 5);
  const data = new Float64Array(n * d);
  for (let i = 0; i < n; i++) {
    const j = r.int(k);
    for (let t = 0; t < d; t++) data[i * d + t] = c[j * d + t] + spread * r.normal();
  }
  return { data, n, d };
}

/** Independent brute-force nearest centre (ties to the smallest index). */
function nearest(ps: PointSet, centres: Float64Array, k: number): Int32Array {
  const z = new Int32Array(ps.n);
  for (let i = 0; i < ps.n; i++) {
    let best = Infinity;
    for (let j = 0; j < k; j++) {
      let s = 0;
      for (let t = 0; t < ps.d; t++) s += (ps.data[i * ps.d + t] - centres[j * ps.d + t]) ** 2;
      if (s < best) { best = s; z[i] = j; }
    }
  }
  return z;
}

const quiet = { onWarning: () => {} };

describe("K-means (Lloyd)", () => {
  it("inertia never increases, and at convergence each centre is the mean of its cluster and labels are nearest centres", async () => {
    for (let seed = 0; seed < 8; seed++) {
      const r = new Rng(seed);
      const ps = blobs(r, 400, 3, 6, 1.5);
      const res = await kMeans(ps, { k: 6, rng: r, algorithm: "lloyd", engine: "exact", tol: 0, ...quiet });
      const h = res.inertiaHistory;
      for (let t = 1; t < h.length; t++) expect(h[t]).toBeLessThanOrEqual(h[t - 1] * (1 + 1e-12));
      expect(res.stop).toBe("labels-unchanged");
      expect(res.inertia).toBeCloseTo(h[h.length - 1], 8);
      for (let j = 0; j < 6; j++) {
        const mean = new Float64Array(3);
        let c = 0;
        for (let i = 0; i < ps.n; i++) if (res.labels[i] === j) { c++; for (let t = 0; t < 3; t++) mean[t] += ps.data[i * 3 + t]; }
        expect(c).toBe(res.counts[j]);
        for (let t = 0; t < 3; t++) expect(res.centres[j * 3 + t]).toBeCloseTo(mean[t] / c, 12);
      }
      expect(Array.from(res.labels)).toEqual(Array.from(nearest(ps, res.centres, 6)));
    }
  });

  it("Elkan's bounds give exactly plain Lloyd's labels, centres and iteration count", async () => {
    for (let seed = 0; seed < 6; seed++) {
      const r = new Rng(100 + seed);
      const ps = blobs(r, 600, 5, 8, 2.5);
      const init = kMeansPlusPlus(ps, 12, r);
      const a = await kMeans(ps, { k: 12, init, algorithm: "lloyd", engine: "exact", ...quiet });
      const b = await kMeans(ps, { k: 12, init, algorithm: "elkan", engine: "exact", ...quiet });
      const c = await kMeans(ps, { k: 12, init, algorithm: "elkan", engine: "js", ...quiet });
      for (const x of [b, c]) {
        expect(x.iterations).toBe(a.iterations);
        expect(Array.from(x.labels)).toEqual(Array.from(a.labels));
        expect(Array.from(x.centres)).toEqual(Array.from(a.centres));
        expect(x.inertiaHistory).toEqual(a.inertiaHistory);
      }
      const work = (x: typeof a) => x.log.reduce((s, l) => s + l.distanceComputations, 0);
      expect(work(b)).toBeLessThan(work(a));
    }
  });

  it("on MNIST digits the TensorFlow.js product with certified ties equals exact Lloyd", async () => {
    const ds = loadEmbeddedMnist();
    const r = new Rng(3);
    const idx = r.permutation(ds.count).subarray(0, 600);
    const data = new Float32Array(600 * 784);
    idx.forEach((i, p) => data.set(ds.images.subarray(i * 784, (i + 1) * 784), p * 784));
    const ps = { data, n: 600, d: 784 };
    const init = randomCentres(ps, 16, r);
    const a = await kMeans(ps, { k: 16, init, algorithm: "lloyd", engine: "exact", maxIterations: 15, ...quiet });
    const b = await kMeans(ps, { k: 16, init, algorithm: "elkan", engine: "tfjs", maxIterations: 15, ...quiet });
    expect(Array.from(b.labels)).toEqual(Array.from(a.labels));
    expect(Array.from(b.centres)).toEqual(Array.from(a.centres));
  });

  it("Hamerly's and batched Elkan's bounds give exactly plain Lloyd's labels every iteration, centres, iteration count and inertia", async () => {
    for (let seed = 0; seed < 6; seed++) {
      const r = new Rng(200 + seed);
      const ps = blobs(r, 600, 5, 8, 2.5);
      const init = kMeansPlusPlus(ps, 12, r);
      const a = await kMeans(ps, { k: 12, init, algorithm: "lloyd", engine: "exact", recordHistory: true, ...quiet });
      const b = await kMeans(ps, { k: 12, init, algorithm: "hamerly", engine: "exact", recordHistory: true, ...quiet });
      const c = await kMeans(ps, { k: 12, init, algorithm: "hamerly", engine: "js", recordHistory: true, ...quiet });
      const e = await kMeans(ps, { k: 12, init, algorithm: "elkan-batched", engine: "exact", recordHistory: true, ...quiet });
      const f = await kMeans(ps, { k: 12, init, algorithm: "elkan-batched", engine: "js", recordHistory: true, ...quiet });
      for (const x of [b, c, e, f]) {
        expect(x.iterations).toBe(a.iterations);
        expect(x.stop).toBe(a.stop);
        expect(x.history!.map((h) => Array.from(h.labels))).toEqual(a.history!.map((h) => Array.from(h.labels)));
        expect(Array.from(x.labels)).toEqual(Array.from(a.labels));
        expect(Array.from(x.centres)).toEqual(Array.from(a.centres));
        expect(x.inertiaHistory).toEqual(a.inertiaHistory);
        expect(Math.abs(x.inertia - a.inertia)).toBeLessThanOrEqual(1e-12 * a.inertia);
      }
      const work = (x: typeof a) => x.log.reduce((s, l) => s + l.distanceComputations, 0);
      expect(work(b)).toBeLessThan(work(a));
      expect(work(e)).toBeLessThan(work(a));
    }
  });

  it("on 600 MNIST digits Hamerly and batched Elkan with the certified TensorFlow.js product equals exact Lloyd every iteration", async () => {
    const ds = loadEmbeddedMnist();
    const r = new Rng(4);
    const idx = r.permutation(ds.count).subarray(0, 600);
    const data = new Float32Array(600 * 784);
    idx.forEach((i, p) => data.set(ds.images.subarray(i * 784, (i + 1) * 784), p * 784));
    const ps = { data, n: 600, d: 784 };
    const init = kMeansPlusPlus(ps, 16, r);
    const a = await kMeans(ps, { k: 16, init, algorithm: "lloyd", engine: "exact", recordHistory: true, ...quiet });
    for (const algorithm of ["hamerly", "elkan-batched"] as const) {
      const b = await kMeans(ps, { k: 16, init, algorithm, engine: "tfjs", recordHistory: true, ...quiet });
      expect(b.iterations).toBe(a.iterations);
      expect(b.history!.map((h) => Array.from(h.labels))).toEqual(a.history!.map((h) => Array.from(h.labels)));
      expect(Array.from(b.centres)).toEqual(Array.from(a.centres));
      expect(Math.abs(b.inertia - a.inertia)).toBeLessThanOrEqual(1e-12 * a.inertia);
    }
  });

  it("k-means++ is seeded and reproducible, and picks data points", () => {
    const ps = blobs(new Rng(1), 300, 2, 4);
    const a = kMeansPlusPlus(ps, 5, new Rng(7));
    const b = kMeansPlusPlus(ps, 5, new Rng(7));
    const c = kMeansPlusPlus(ps, 5, new Rng(8));
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(Array.from(a)).not.toEqual(Array.from(c));
    for (let j = 0; j < 5; j++) {
      let found = false;
      for (let i = 0; i < ps.n && !found; i++) found = sqDist(ps.data, i * 2, a, j * 2, 2) === 0;
      expect(found).toBe(true);
    }
  });

  it("restarts return the best of several runs, deterministically", async () => {
    const ps = blobs(new Rng(5), 300, 2, 7, 1.2);
    const a = await kMeans(ps, { k: 7, restarts: 4, rng: new Rng(11), ...quiet });
    const b = await kMeans(ps, { k: 7, restarts: 4, rng: new Rng(11), ...quiet });
    expect(a.restartInertias).toHaveLength(4);
    expect(a.inertia).toBe(Math.min(...a.restartInertias));
    expect(Array.from(a.centres)).toEqual(Array.from(b.centres));
    // Every restart starts from fresh bounds: the accelerated variants still equal plain Lloyd run by run.
    const lloyd = await kMeans(ps, { k: 7, restarts: 4, rng: new Rng(11), algorithm: "lloyd", engine: "exact", ...quiet });
    for (const algorithm of ["elkan", "elkan-batched", "hamerly"] as const) {
      const x = await kMeans(ps, { k: 7, restarts: 4, rng: new Rng(11), algorithm, engine: "js", ...quiet });
      expect(x.restartInertias).toEqual(lloyd.restartInertias);
      expect(Array.from(x.labels)).toEqual(Array.from(lloyd.labels));
    }
    // Each restart equals a single run from that restart's k-means++ centres (the same draws of
    // the generator): no run inherits the previous one's cluster sums.
    const r = new Rng(11);
    for (let s = 0; s < 4; s++) {
      const single = await kMeans(ps, { k: 7, init: kMeansPlusPlus(ps, 7, r), algorithm: "lloyd", engine: "exact", ...quiet });
      expect(lloyd.restartInertias![s]).toBeCloseTo(single.inertia, 9);
    }
  });

  it("degenerate inputs: clear errors or documented behaviour", async () => {
    await expect(kMeans([[0, 0], [1, 1]], { k: 3 })).rejects.toThrow(/k = 3 clusters for only n = 2 points/);
    await expect(kMeans([[0, 0], [NaN, 1], [2, 2]], { k: 2 })).rejects.toThrow(/coordinate 0 of point 1 is NaN/);
    expect(() => toPointSet([[0, 0], [1]])).toThrow(/point 1 has 1 coordinates/);
    // All points identical: duplicate centres, empty clusters reported, inertia 0, no NaN.
    const warnings: string[] = [];
    const same = await kMeans(Array.from({ length: 10 }, () => [1, 2]), { k: 3, rng: new Rng(1), onWarning: (m) => warnings.push(m) });
    expect(same.inertia).toBe(0);
    expect(Array.from(same.centres).every(Number.isFinite)).toBe(true);
    expect(warnings.length).toBeGreaterThan(0);
    // A zero-variance dimension is harmless for K-means.
    const zv = await kMeans(Array.from({ length: 40 }, (_, i) => [i % 7, 3]), { k: 3, rng: new Rng(2), ...quiet });
    for (let j = 0; j < 3; j++) expect(zv.centres[j * 2 + 1]).toBe(3);
  });

  it("an empty cluster is re-seeded at the worst-explained point with a warning, and inertia still never increases", async () => {
    const ps = blobs(new Rng(9), 200, 2, 3);
    const init = new Float64Array([...randomCentres(ps, 3, new Rng(1)), 1000, 1000]);
    const warnings: string[] = [];
    const res = await kMeans(ps, { k: 4, init, algorithm: "lloyd", engine: "exact", onWarning: (m) => warnings.push(m) });
    expect(warnings[0]).toMatch(/cluster 3 became empty at iteration 0/);
    expect(res.counts[3]).toBeGreaterThan(0);
    const h = res.inertiaHistory;
    for (let t = 1; t < h.length; t++) expect(h[t]).toBeLessThanOrEqual(h[t - 1] * (1 + 1e-12));
    const e = await kMeans(ps, { k: 4, init, algorithm: "elkan", engine: "exact", onWarning: () => {} });
    expect(Array.from(e.labels)).toEqual(Array.from(res.labels));
    for (const algorithm of ["hamerly", "elkan-batched"] as const) {
      const hm = await kMeans(ps, { k: 4, init, algorithm, engine: "exact", onWarning: () => {} });
      expect(Array.from(hm.labels)).toEqual(Array.from(res.labels));
      expect(hm.iterations).toBe(res.iterations);
    }
  });
});
