import { describe, expect, it } from "vitest";
import * as la from "../../src/math/linalg";
import { rng } from "../../src/runtime/rng";

function randomSpd(d: number, seed: number): Float64Array {
  const r = rng(seed);
  const a = r.normals(new Float64Array(d * d));
  const s = la.matMul(a, la.transpose(a, d, d), d, d, d);
  for (let i = 0; i < d; i++) s[i * d + i] += d; // well conditioned
  return s;
}

describe("dense linear algebra", () => {
  it("Cholesky reconstructs A = L Lᵀ and gives log det", () => {
    for (const d of [1, 2, 5, 12]) {
      const a = randomSpd(d, d);
      const L = la.cholesky(a);
      const back = la.matMul(L, la.transpose(L, d, d), d, d, d);
      for (let i = 0; i < d * d; i++) expect(Math.abs(back[i] - a[i])).toBeLessThan(1e-12 * d * d);
      if (d === 2) {
        const det = a[0] * a[3] - a[1] * a[2];
        expect(Math.abs(la.logDetFromCholesky(L) - Math.log(det))).toBeLessThan(1e-13);
      }
    }
  });

  it("solves and inverts", () => {
    const d = 6;
    const a = randomSpd(d, 99);
    const L = la.cholesky(a);
    const b = rng(5).normals(new Float64Array(d));
    const x = la.choleskySolve(L, b);
    const ax = la.matVec(a, x);
    for (let i = 0; i < d; i++) expect(Math.abs(ax[i] - b[i])).toBeLessThan(1e-12);
    const inv = la.spdInverse(a);
    const eye = la.matMul(a, inv, d, d, d);
    const I = la.identity(d);
    for (let i = 0; i < d * d; i++) expect(Math.abs(eye[i] - I[i])).toBeLessThan(1e-12);
    // Mahalanobis: bᵀ A⁻¹ b
    expect(Math.abs(la.mahalanobis2(L, b) - la.dot(b, la.matVec(inv, b)))).toBeLessThan(1e-12);
  });

  it("rejects matrices that are not symmetric positive definite, saying why", () => {
    expect(() => la.cholesky(la.fromRows([[1, 2], [2, 1]]), "covariance")).toThrow(/covariance is not positive definite.*pivot 1/);
    expect(() => la.cholesky(la.fromRows([[1, 0.5], [0, 1]]))).toThrow(/not symmetric/);
    expect(() => la.cholesky(new Float64Array(3))).toThrow(/not a square matrix/);
    expect(() => la.fromRows([[1, 2], [3]])).toThrow(/row 1 has 1 entries/);
  });

  it("eigSym2 diagonalizes a 2x2 covariance", () => {
    const a = la.fromRows([[2, 0.6], [0.6, 1]]);
    const { values, vectors } = la.eigSym2(a);
    for (let k = 0; k < 2; k++) {
      const av = la.matVec(a, vectors[k]);
      expect(Math.abs(av[0] - values[k] * vectors[k][0])).toBeLessThan(1e-14);
      expect(Math.abs(av[1] - values[k] * vectors[k][1])).toBeLessThan(1e-14);
    }
    expect(Math.abs(values[0] + values[1] - 3)).toBeLessThan(1e-14);
  });
});
