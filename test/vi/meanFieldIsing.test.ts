import { describe, expect, it } from "vitest";
import {
  meanFieldIsing,
  meanFieldIsingLattice,
  meanFieldIsingElbo,
  onsagerMagnetization,
  ISING_BETA_C_EXACT_2D,
  meanFieldCriticalBeta,
} from "../../src/vi/meanFieldIsing";
import { isingExact } from "../../src/graphical/ising";
import { rng } from "../../src/runtime/rng";

describe("homogeneous mean field m = tanh(β(zJm + h))", () => {
  it("matches the reference values m(0.3) = 0.6586, m(0.5) = 0.9575 (z = 4, J = 1, h = 0)", () => {
    const a = meanFieldIsing({ z: 4, J: 1, h: 0 }, 0.3);
    const b = meanFieldIsing({ z: 4, J: 1, h: 0 }, 0.5);
    expect(a.converged && b.converged).toBe(true);
    expect(a.m.toFixed(4)).toBe("0.6586");
    expect(b.m.toFixed(4)).toBe("0.9575");
    for (const [beta, m] of [[0.3, a.m], [0.5, b.m]]) expect(Math.abs(m - Math.tanh(4 * beta * m))).toBeLessThan(1e-12);
  });
  it("has only m = 0 below β_c = 1/4 and a non-zero branch above it", () => {
    expect(meanFieldCriticalBeta(4, 1)).toBe(0.25);
    expect(Math.abs(meanFieldIsing({}, 0.2).m)).toBeLessThan(1e-10);
    // Near β_c, m ≈ √(3(4β − 1)) (expansion of tanh): at β = 0.2505 that is 0.0775.
    const m = meanFieldIsing({}, 0.2505, { maxIter: 1e7 }).m;
    expect(m).toBeGreaterThan(0.07);
    expect(m).toBeLessThan(0.08);
  });
  it("a field h > 0 gives m > 0 at any β", () => {
    expect(meanFieldIsing({ h: 0.1 }, 0.1).m).toBeGreaterThan(0);
  });
});

describe("exact 2-D values", () => {
  it("β_c = ln(1+√2)/2 = 0.44069 with sinh(2β_c) = 1; Onsager/Yang M(0.5) = 0.9113", () => {
    expect(ISING_BETA_C_EXACT_2D.toFixed(5)).toBe("0.44069");
    expect(Math.sinh(2 * ISING_BETA_C_EXACT_2D)).toBeCloseTo(1, 14);
    expect(onsagerMagnetization(0.5).toFixed(4)).toBe("0.9113");
    expect(onsagerMagnetization(0.44)).toBe(0);
  });
});

describe("exact enumeration on a 2×2 grid, by hand", () => {
  // Free boundary 2×2 = a ring of 4 spins: 2 states with all bonds satisfied (weight e^{4K}),
  // 12 with two broken bonds (weight 1; 8 of them with |m| = 1/2, 4 with m = 0),
  // 2 alternating states (weight e^{−4K}, m = 0).  K = βJ.
  it.each([0.1, 0.3, 0.7])("β = %f: Z = 2e^{4K} + 12 + 2e^{−4K}, E|m| = (2e^{4K} + 4)/Z", (beta) => {
    const Z = 2 * Math.exp(4 * beta) + 12 + 2 * Math.exp(-4 * beta);
    const r = isingExact({ rows: 2, cols: 2 }, beta);
    expect(r.logZ).toBeCloseTo(Math.log(Z), 12);
    expect(r.meanAbsMagnetization).toBeCloseTo((2 * Math.exp(4 * beta) + 4) / Z, 12);
  });
});

describe("site-wise mean field on a finite lattice", () => {
  it("on a periodic 4×4 torus every site solves the homogeneous equation", () => {
    const r = meanFieldIsingLattice({ rows: 4, cols: 4, periodic: true }, 0.3);
    const m = meanFieldIsing({}, 0.3).m;
    for (const v of r.m) expect(v).toBeCloseTo(m, 10);
  });
  it("its ELBO never decreases and stays below the exact log Z (3×3, random starts)", () => {
    const g = rng(12);
    for (const spec of [{ rows: 3, cols: 3 }, { rows: 3, cols: 3, periodic: true }, { rows: 2, cols: 4, h: 0.3 }]) {
      for (const beta of [0.1, 0.3, 0.45, 0.8]) {
        const r = meanFieldIsingLattice(spec, beta, { rng: g });
        for (let t = 1; t < r.elboTrace.length; t++) expect(r.elboTrace[t]).toBeGreaterThanOrEqual(r.elboTrace[t - 1] - 1e-12);
        expect(r.elbo).toBeLessThanOrEqual(isingExact(spec, beta).logZ + 1e-12);
      }
    }
  });
  it("at β = 0 the ELBO equals log Z = N log 2 (q = p exactly)", () => {
    const r = meanFieldIsingLattice({ rows: 3, cols: 3 }, 0, { init: 0.4 });
    expect(r.elbo).toBeCloseTo(9 * Math.log(2), 12);
    expect(meanFieldIsingElbo({ rows: 1, cols: 2 }, 1, [1, 1])).toBe(1);
  });
});
