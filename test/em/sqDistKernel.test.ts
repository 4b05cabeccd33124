import { describe, expect, it } from "vitest";
import { Rng } from "../../src/runtime/rng";
import { meanVariance, pointStats, sqDist, type PointSet } from "../../src/em/points";
import { SqDistKernel } from "../../src/em/sqDistKernel";
import { kMeansPlusPlus } from "../../src/em/kmeansInit";
import { loadEmbeddedMnist } from "../../src/data/mnist";

function points(r: Rng, n: number, d: number, f32: boolean, offset = 0, scale = 1): PointSet {
  const data = f32 ? new Float32Array(n * d) : new Float64Array(n * d);
  for (let t = 0; t < data.length; t++) data[t] = offset + scale * r.normal();
  return { data, n, d };
}

/** Plain two-pass mean of the per-dimension population variances. */
function twoPassMeanVariance(ps: PointSet): number {
  const { data, n, d } = ps;
  let total = 0;
  for (let t = 0; t < d; t++) {
    let m = 0;
    for (let i = 0; i < n; i++) m += data[i * d + t];
    m /= n;
    let v = 0;
    for (let i = 0; i < n; i++) v += (data[i * d + t] - m) ** 2;
    total += v / n;
  }
  return total / d;
}

describe("exact squared distances (SqDistKernel)", () => {
  it("the WebAssembly SIMD kernel and its JavaScript path give sqDist's numbers bit for bit (float32 and float64 points, every tail length)", () => {
    const r = new Rng(17);
    for (const d of [1, 2, 3, 5, 7, 8, 9, 15, 16, 17, 63, 784, 785])
      for (const f32 of [true, false]) {
        const ps = points(r, 23, d, f32, 0.5, 3);
        const k = 5;
        const c = Float64Array.from({ length: k * d }, () => r.normal());
        for (const simd of [true, false]) {
          const kern = new SqDistKernel(ps, k, { simd });
          if (simd) expect(kern.simd).toBe(true); // Node 20 has WebAssembly SIMD
          kern.setCentres(c);
          for (let i = 0; i < ps.n; i++)
            for (let j = 0; j < k; j++) expect(Object.is(kern.pc(i, j), sqDist(ps.data, i * d, c, j * d, d))).toBe(true);
          for (let a = 0; a < k; a++) for (let b = 0; b < k; b++) expect(Object.is(kern.cc(a, b), sqDist(c, a * d, c, b * d, d))).toBe(true);
          kern.dispose();
        }
      }
  });

  it("sqDist is the sum of squared differences to within its rounding bound", () => {
    const r = new Rng(5);
    for (const d of [3, 8, 100, 784]) {
      const x = Float64Array.from({ length: d }, () => r.normal());
      const c = Float64Array.from({ length: d }, () => r.normal());
      // Reference in pairs of doubles summed exactly enough: Kahan-compensated.
      let s = 0;
      let comp = 0;
      for (let t = 0; t < d; t++) {
        const y = (x[t] - c[t]) ** 2 - comp;
        const u = s + y;
        comp = u - s - y;
        s = u;
      }
      expect(Math.abs(sqDist(x, 0, c, 0, d) - s)).toBeLessThanOrEqual((d + 2) * 2 ** -53 * s);
    }
  });

  it("a reused kernel memory serves the new points and centres, not the previous ones", () => {
    const r = new Rng(8);
    const a = points(r, 50, 12, true);
    const b = points(r, 80, 12, false, 2);
    const c = Float64Array.from({ length: 3 * 12 }, () => r.normal());
    const ka = new SqDistKernel(a, 3);
    ka.setCentres(c);
    const first = ka.pc(49, 2);
    ka.dispose();
    const kb = new SqDistKernel(b, 3);
    kb.setCentres(c);
    for (let i = 0; i < b.n; i++) expect(kb.pc(i, 1)).toBe(sqDist(b.data, i * 12, c, 12, 12));
    kb.dispose();
    expect(first).toBe(sqDist(a.data, 49 * 12, c, 24, 12));
  });

  it("countBelow counts the bounds under a threshold, the same in SIMD and JavaScript", () => {
    const r = new Rng(12);
    for (const k of [1, 2, 5, 64]) {
      const ps = points(r, 30, 3, true);
      const kerns = [new SqDistKernel(ps, k, { bounds: true }), new SqDistKernel(ps, k, { simd: false, bounds: true })];
      const L = Float64Array.from({ length: ps.n * k }, () => 10 * r.uniform());
      const S = Float64Array.from({ length: k }, () => r.uniform());
      for (const kern of kerns) {
        kern.lower.set(L);
        kern.shift.set(S);
      }
      for (let i = 0; i < ps.n; i++) {
        const thr = 10 * r.uniform();
        const f = 1 - 1e-9;
        let ref = 0;
        for (let j = 0; j < k; j++) if (L[i * k + j] * f - S[j] <= thr) ref++;
        for (const kern of kerns) expect(kern.countBelow(i, thr, f)).toBe(ref);
      }
      for (const kern of kerns) kern.dispose();
    }
  });

  it("k-means++ picks the same centres from the SIMD kernel as from JavaScript", () => {
    const ds = loadEmbeddedMnist();
    const ps = { data: ds.images.subarray(0, 2000 * 784), n: 2000, d: 784 }; // n·k·d ≥ 4e6: kernel path
    for (const seed of [1, 2, 3]) {
      const js = new SqDistKernel(ps, 16, { simd: false });
      const a = kMeansPlusPlus(ps, 16, new Rng(seed));
      const b = kMeansPlusPlus(ps, 16, new Rng(seed), js);
      expect(Array.from(a)).toEqual(Array.from(b));
      js.dispose();
    }
  });

  it("falls back to the JavaScript path when the points do not fit in a WebAssembly memory", () => {
    // 2^29 points × 16 float32 coordinates = 32 GB: over the 4 GB of a 32-bit memory.
    const huge = { data: new Float32Array(16), n: 2 ** 29, d: 16 };
    const kern = new SqDistKernel(huge, 2);
    expect(kern.simd).toBe(false);
    const small = new SqDistKernel({ data: new Float32Array(16), n: 1, d: 16 }, 2);
    expect(small.simd).toBe(true);
    small.dispose();
  });

  it("rejects more centres than it has room for", () => {
    const kern = new SqDistKernel(points(new Rng(1), 4, 3, false), 2);
    expect(() => kern.setCentres(new Float64Array(9))).toThrow(/3 centres, room for 2/);
    kern.dispose();
  });
});

describe("pointStats: one pass for norms, the mean variance and the finiteness check", () => {
  it("matches the two-pass variance and direct norms, also for data far from the origin", () => {
    const r = new Rng(3);
    for (const [offset, scale] of [[0, 1], [1e6, 1e-2], [-3e4, 5]] as const) {
      const ps = points(r, 300, 7, false, offset, scale);
      const st = pointStats(ps);
      const ref = twoPassMeanVariance(ps);
      // Two-pass: relative error ~ n·u; the shifted one-pass adds ~ u·(|x − x₀|/σ)² ≈ u·O(10).
      expect(Math.abs(st.meanVariance - ref)).toBeLessThanOrEqual(1e-10 * ref);
      expect(meanVariance(ps)).toBe(st.meanVariance);
      let sum = 0;
      for (let i = 0; i < ps.n; i++) {
        let q = 0;
        for (let t = 0; t < ps.d; t++) q += ps.data[i * ps.d + t] ** 2;
        expect(Math.abs(st.norms[i] - q)).toBeLessThanOrEqual(1e-15 * q * ps.d);
        sum += q;
      }
      expect(Math.abs(st.sumSq - sum)).toBeLessThanOrEqual(1e-14 * sum);
    }
  });

  it("names the first non-finite coordinate", () => {
    const ps = points(new Rng(2), 10, 4, true);
    ps.data[4 * 6 + 3] = Infinity;
    ps.data[4 * 8 + 1] = NaN;
    expect(() => pointStats(ps, "kMeans")).toThrow(/kMeans: coordinate 3 of point 6 is Infinity/);
  });
});

describe("cluster sums (SqDistKernel.movePoint)", () => {
  it("SIMD and JavaScript sums agree bit for bit and equal the cluster sums after a sequence of moves", () => {
    const r = new Rng(21);
    for (const f32 of [true, false])
      for (const d of [1, 6, 7, 784]) {
        const ps = points(r, 40, d, f32, 0.25, 2);
        const k = 4;
        const kerns = [new SqDistKernel(ps, k), new SqDistKernel(ps, k, { simd: false })];
        const label = new Int32Array(ps.n).fill(-1);
        for (let step = 0; step < 200; step++) {
          const i = r.int(ps.n);
          const to = r.int(k);
          if (to === label[i]) continue;
          for (const kern of kerns) kern.movePoint(i, label[i], to);
          label[i] = to;
        }
        const [a, b] = kerns;
        for (let t = 0; t < k * d; t++) expect(Object.is(a.sums[t], b.sums[t])).toBe(true);
        // Against the direct sums: equal up to the rounding of the add/subtract history.
        for (let j = 0; j < k; j++)
          for (let t = 0; t < d; t++) {
            let direct = 0;
            let mag = 0;
            for (let i = 0; i < ps.n; i++) if (label[i] === j) direct += ps.data[i * d + t];
            for (let i = 0; i < ps.n; i++) mag += Math.abs(ps.data[i * d + t]);
            expect(Math.abs(a.sums[j * d + t] - direct)).toBeLessThanOrEqual(400 * 2 ** -53 * mag);
          }
        for (const kern of kerns) kern.dispose();
      }
  });

  it("starts from zero sums even when the memory is reused", () => {
    const ps = points(new Rng(4), 10, 8, true);
    const first = new SqDistKernel(ps, 2);
    first.movePoint(3, -1, 1);
    first.dispose();
    const second = new SqDistKernel(ps, 2);
    expect(second.sums.every((v) => v === 0)).toBe(true);
    second.dispose();
  });
});
