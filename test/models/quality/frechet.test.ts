/**
 * The Fréchet distance: exact linear algebra (eigendecomposition, symmetric square root), the
 * closed form for Gaussians with commuting covariances, zero for a set against itself, symmetry,
 * and the sample estimate against the closed form within its Monte Carlo standard error.
 */
import { describe, expect, it } from "vitest";
import { Rng } from "../../../src/runtime/rng";
import { meanAndSE } from "../../../src/runtime/check";
import {
  frechetDistance,
  frechetGaussian,
  gaussianStats,
  sqrtmPsd,
  symmetricEigen,
  traceSqrtProduct,
} from "../../../src/models/quality/frechet";

function randomSpd(d: number, r: Rng, ridge = 0.1): Float64Array {
  const a = new Float64Array(d * d);
  for (let i = 0; i < d * d; i++) a[i] = r.normal();
  const s = new Float64Array(d * d);
  for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) {
    let v = 0;
    for (let k = 0; k < d; k++) v += a[i * d + k] * a[j * d + k];
    s[i * d + j] = v / d + (i === j ? ridge : 0);
  }
  return s;
}

function mul(a: ArrayLike<number>, b: ArrayLike<number>, d: number): Float64Array {
  const o = new Float64Array(d * d);
  for (let i = 0; i < d; i++) for (let k = 0; k < d; k++) for (let j = 0; j < d; j++) o[i * d + j] += a[i * d + k] * b[k * d + j];
  return o;
}

/** n samples of N(mean, L Lᵀ) with L the Cholesky factor given. */
function sampleGaussian(n: number, mean: number[], L: number[][], r: Rng): Float32Array {
  const d = mean.length;
  const x = new Float32Array(n * d);
  const e = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) e[j] = r.normal();
    for (let j = 0; j < d; j++) {
      let v = mean[j];
      for (let k = 0; k <= j; k++) v += L[j][k] * e[k];
      x[i * d + j] = v;
    }
  }
  return x;
}

describe("linear algebra behind the Fréchet distance", () => {
  it("symmetricEigen reconstructs A = V Λ Vᵀ with orthonormal V", () => {
    const d = 12;
    const A = randomSpd(d, new Rng(1));
    const { values, vectors: V } = symmetricEigen(A, d);
    let worst = 0;
    let worstOrtho = 0;
    for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) {
      let v = 0;
      let o = 0;
      for (let k = 0; k < d; k++) {
        v += V[i * d + k] * values[k] * V[j * d + k];
        o += V[k * d + i] * V[k * d + j];
      }
      worst = Math.max(worst, Math.abs(v - A[i * d + j]));
      worstOrtho = Math.max(worstOrtho, Math.abs(o - (i === j ? 1 : 0)));
    }
    expect(worst).toBeLessThan(1e-12);
    expect(worstOrtho).toBeLessThan(1e-12);
  });

  it("sqrtmPsd gives the symmetric S with S S = A, also for a singular A", () => {
    const d = 10;
    const r = new Rng(2);
    const full = randomSpd(d, r);
    // Rank 3: B Bᵀ with B 10×3.
    const B = Array.from({ length: d * 3 }, () => r.normal());
    const low = new Float64Array(d * d);
    for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) for (let k = 0; k < 3; k++) low[i * d + j] += B[i * 3 + k] * B[j * 3 + k];
    for (const A of [full, low]) {
      const S = sqrtmPsd(A, d);
      const SS = mul(S, S, d);
      let worst = 0;
      let asym = 0;
      for (let i = 0; i < d * d; i++) worst = Math.max(worst, Math.abs(SS[i] - A[i]));
      for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) asym = Math.max(asym, Math.abs(S[i * d + j] - S[j * d + i]));
      expect(worst).toBeLessThan(1e-9);
      expect(asym).toBeLessThan(1e-14);
    }
  });

  it("tr (Σa^½ Σb Σa^½)^½ matches commuting (diagonal) covariances: Σ √(a_i b_i)", () => {
    const a = [0.5, 2, 3, 0.1];
    const b = [4, 0.25, 1, 9];
    const d = 4;
    const A = new Float64Array(d * d);
    const Bm = new Float64Array(d * d);
    a.forEach((v, i) => (A[i * d + i] = v));
    b.forEach((v, i) => (Bm[i * d + i] = v));
    const exact = a.reduce((s, v, i) => s + Math.sqrt(v * b[i]), 0);
    expect(Math.abs(traceSqrtProduct(A, Bm, d) - exact)).toBeLessThan(1e-12);
    // The Fréchet distance of two diagonal Gaussians: ‖Δμ‖² + Σ (√a_i − √b_i)².
    const ma = [0, 1, 2, 3];
    const mb = [1, 1, 0, 3];
    const fd = ma.reduce((s, v, i) => s + (v - mb[i]) ** 2, 0) + a.reduce((s, v, i) => s + (Math.sqrt(v) - Math.sqrt(b[i])) ** 2, 0);
    expect(Math.abs(frechetGaussian(ma, A, mb, Bm) - fd)).toBeLessThan(1e-12);
  });

  it("for a rotated, non-commuting pair it equals the 2-D formula tr Σa + tr Σb − 2 √(tr(ΣaΣb) + 2 √det(ΣaΣb))", () => {
    // For 2×2 PSD M = Σa Σb (similar to a PSD matrix), tr M^½ = √(tr M + 2 √det M).
    const A = [2, 0.7, 0.7, 1];
    const Bm = [0.5, -0.2, -0.2, 3];
    const M = mul(A, Bm, 2);
    const detM = M[0] * M[3] - M[1] * M[2];
    const exact = Math.sqrt(M[0] + M[3] + 2 * Math.sqrt(detM));
    expect(Math.abs(traceSqrtProduct(A, Bm, 2) - exact)).toBeLessThan(1e-12);
    expect(Math.abs(traceSqrtProduct(Bm, A, 2) - exact)).toBeLessThan(1e-12);
  });
});

describe("frechetDistance on samples", () => {
  it("is 0 for a set against itself and symmetric", () => {
    const r = new Rng(3);
    const dim = 16;
    const a = new Float32Array(500 * dim).map(() => r.normal());
    const b = new Float32Array(400 * dim).map(() => 0.5 + 1.3 * r.normal());
    expect(frechetDistance(a, a, dim)).toBeLessThan(1e-9);
    const ab = frechetDistance(a, b, dim);
    const ba = frechetDistance(b, a, dim);
    expect(ab).toBeGreaterThan(1);
    expect(Math.abs(ab - ba)).toBeLessThan(1e-10 * ab);
  });

  it("matches the closed form between two Gaussians within its standard error", () => {
    // Σa = La Laᵀ, Σb = Lb Lbᵀ (not commuting). The estimator's bias is O(d/n) ≈ 1e-4 here,
    // far below the standard error of the mean of the replicates.
    const La = [[1, 0, 0], [0.5, 0.8, 0], [-0.3, 0.2, 0.6]];
    const Lb = [[0.7, 0, 0], [-0.4, 1.1, 0], [0.1, 0.5, 0.9]];
    const ma = [0, 0, 0];
    const mb = [0.3, -0.2, 0.1];
    const cov = (L: number[][]) => {
      const c = new Float64Array(9);
      for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) for (let k = 0; k < 3; k++) c[i * 3 + j] += L[i][k] * L[j][k];
      return c;
    };
    const exact = frechetGaussian(ma, cov(La), mb, cov(Lb));
    const r = new Rng(4);
    const reps: number[] = [];
    for (let t = 0; t < 20; t++) reps.push(frechetDistance(sampleGaussian(20000, ma, La, r), sampleGaussian(20000, mb, Lb, r), 3));
    const { mean, se } = meanAndSE(reps);
    expect(Math.abs(mean - exact)).toBeLessThan(4 * se);
    // The test has power: forgetting the mean term ‖μa − μb‖² = 0.14 would be many SE off.
    expect(0.14).toBeGreaterThan(10 * se);
  });

  it("says what is wrong with bad input", () => {
    expect(() => frechetDistance(new Float32Array(10), new Float32Array(12), 4)).toThrow(/not a multiple of dim = 4/);
    expect(() => frechetDistance(new Float32Array(4), new Float32Array(8), 4)).toThrow(/at least 2 rows/);
    expect(() => frechetDistance(new Float32Array([1, NaN, 0, 0]), new Float32Array(4), 2)).toThrow(/finite/);
    expect(() => gaussianStats(new Float32Array(8), 0)).toThrow(/positive integer/);
  });
});
