import { describe, expect, it } from "vitest";
import { rng } from "../../src/runtime/rng";
import { isingEdges, isingEnergy, isingExact, isingGibbs } from "../../src/graphical/ising";

describe("Ising model, exact enumeration", () => {
  it("a periodic 1×L ring matches the transfer-matrix partition function, with a field", () => {
    const L = 7;
    const J = 0.8;
    const h = 0.3;
    const beta = 0.9;
    // Z = λ₊^L + λ₋^L, λ± = e^{βJ} cosh βh ± sqrt(e^{2βJ} sinh² βh + e^{−2βJ}).
    const a = Math.exp(beta * J) * Math.cosh(beta * h);
    const r = Math.sqrt(Math.exp(2 * beta * J) * Math.sinh(beta * h) ** 2 + Math.exp(-2 * beta * J));
    const logZ = Math.log((a + r) ** L + (a - r) ** L);
    const ex = isingExact({ rows: 1, cols: L, J, h, periodic: true }, beta);
    expect(ex.logZ).toBeCloseTo(logZ, 12);
    // E[m] = (1/(Nβ)) ∂ log Z / ∂h, by central differences.
    const eps = 1e-5;
    const dZ =
      (isingExact({ rows: 1, cols: L, J, h: h + eps, periodic: true }, beta).logZ -
        isingExact({ rows: 1, cols: L, J, h: h - eps, periodic: true }, beta).logZ) /
      (2 * eps);
    expect(ex.meanMagnetization).toBeCloseTo(dZ / (beta * L), 8);
  });

  it("2×2 free boundary is a 4-cycle: Z = (2 cosh βJ)^4 + (2 sinh βJ)^4; energy = −∂ log Z/∂β", () => {
    const beta = 0.6;
    const ex = isingExact({ rows: 2, cols: 2 }, beta);
    expect(isingEdges({ rows: 2, cols: 2 })).toHaveLength(4);
    expect(ex.logZ).toBeCloseTo(Math.log((2 * Math.cosh(beta)) ** 4 + (2 * Math.sinh(beta)) ** 4), 13);
    expect(ex.meanMagnetization).toBeCloseTo(0, 14);
    const eps = 1e-5;
    const dlogZ = (isingExact({ rows: 2, cols: 2 }, beta + eps).logZ - isingExact({ rows: 2, cols: 2 }, beta - eps).logZ) / (2 * eps);
    expect(ex.energy).toBeCloseTo(-dlogZ, 8);
    // β = 0: all 2^N states equally likely, log Z = N log 2.
    expect(isingExact({ rows: 3, cols: 3 }, 0).logZ).toBeCloseTo(9 * Math.log(2), 13);
  });

  it("periodic 3×3 has z = 4 neighbours per site and the all-up energy is −2NJ − Nh", () => {
    const spec = { rows: 3, cols: 3, J: 1, h: 0.5, periodic: true };
    expect(isingEdges(spec)).toHaveLength(18);
    expect(isingEnergy(spec, new Array(9).fill(1))).toBeCloseTo(-18 - 4.5, 14);
  });

  it("rejects grids too large to enumerate", () => {
    expect(() => isingExact({ rows: 5, cols: 5 }, 0.3)).toThrow(/limited to 24 sites/);
    expect(() => isingEnergy({ rows: 2, cols: 2 }, [1, 1])).toThrow(/expected 4 spins/);
  });
});

describe("Ising model, Gibbs sampling agrees with enumeration (within 4 batch-means SE)", () => {
  it("3×3 periodic grid at β = 0.3 and β = 0.5", () => {
    for (const [beta, seed] of [[0.3, 1], [0.5, 2]] as const) {
      const spec = { rows: 3, cols: 3, periodic: true };
      const ex = isingExact(spec, beta);
      const g = isingGibbs(spec, beta, rng(seed), { sweeps: 20000, burnIn: 500 });
      expect(Math.abs(g.meanAbsMagnetization - ex.meanAbsMagnetization)).toBeLessThan(4 * g.se);
      expect(Math.abs(g.energy - ex.energy)).toBeLessThan(4 * g.seEnergy);
    }
  });
});
