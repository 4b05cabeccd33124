/**
 * The GAN game in closed form: D* maximises V pointwise, V(D*, G) = −log 4 + 2 JSD by quadrature
 * (1-D and 2-D), JSD against a closed form, and the two generator losses share their fixed point.
 */
import { describe, expect, it } from "vitest";
import {
  gaussianMixture1d,
  ganValue,
  ganValue2d,
  generatorObjective,
  generatorShiftGradient,
  integrate2d,
  jensenShannon,
  jensenShannon2d,
  klDivergence1d,
  normalPdf,
  optimalDiscriminator,
  optimalDiscriminator2d,
} from "../../../src/models/gan/theory";
import { ringDensity, RING8 } from "../../../src/models/gan/mixture";

const LOG4 = Math.log(4);

describe("the optimal discriminator and the value of the game", () => {
  const pData = gaussianMixture1d([0.3, 0.7], [-1, 1.5], [0.5, 0.8]);
  const pG = gaussianMixture1d([1], [0.5], [1.2]);
  const box = { range: [-12, 12] as [number, number], panels: 400 };

  it("V(D*, G) = −log 4 + 2 JSD(p_data ‖ p_g) in 1-D, to 1e-8", () => {
    const Dstar = optimalDiscriminator(pData, pG);
    const v = ganValue(Dstar, pData, pG, box);
    const jsd = jensenShannon(pData, pG, box);
    expect(jsd).toBeGreaterThan(0.01);
    expect(Math.abs(v - (-LOG4 + 2 * jsd))).toBeLessThan(1e-8);
    // JSD through its definition ½ KL(p‖m) + ½ KL(q‖m), with KL by quadrature.
    const m = (x: number) => 0.5 * (pData(x) + pG(x));
    expect(Math.abs(jsd - (0.5 * klDivergence1d(pData, m, box) + 0.5 * klDivergence1d(pG, m, box)))).toBeLessThan(1e-10);
  });

  it("D* is the best response: any other discriminator scores lower, and D* = p_data / (p_data + p_g) pointwise", () => {
    const Dstar = optimalDiscriminator(pData, pG);
    const v = ganValue(Dstar, pData, pG, box);
    for (const eps of [0.2, 0.05, -0.05]) {
      const D = (x: number) => Math.min(1 - 1e-9, Math.max(1e-9, Dstar(x) + eps * Math.sin(3 * x) * Dstar(x) * (1 - Dstar(x))));
      expect(ganValue(D, pData, pG, box)).toBeLessThan(v);
    }
    // Pointwise: a log D + b log(1 − D) has zero derivative a/D − b/(1 − D) at D*.
    for (const x of [-2, 0, 1, 3]) {
      const d = Dstar(x);
      expect(Math.abs(pData(x) / d - pG(x) / (1 - d))).toBeLessThan(1e-12 * (pData(x) / d));
    }
  });

  it("at p_g = p_data: D* ≡ ½ and V = −log 4 (the game's minimum)", () => {
    const Dstar = optimalDiscriminator(pData, pData);
    expect(Dstar(0.3)).toBe(0.5);
    expect(Math.abs(ganValue(Dstar, pData, pData, box) + LOG4)).toBeLessThan(1e-10);
  });

  it("JSD of two half-overlapping uniforms is a · log 2 (closed form)", () => {
    const a = 0.5;
    const p = (x: number) => (x >= 0 && x < 1 ? 1 : 0);
    const q = (x: number) => (x >= a && x < 1 + a ? 1 : 0);
    // Panels of width 0.05 put every discontinuity on a panel boundary.
    const jsd = jensenShannon(p, q, { range: [0, 1.5], panels: 30 });
    expect(Math.abs(jsd - a * Math.log(2))).toBeLessThan(1e-12);
    expect(Math.abs(jensenShannon(q, p, { range: [0, 1.5], panels: 30 }) - jsd)).toBeLessThan(1e-15);
  });

  it("V(D*, G) = −log 4 + 2 JSD in 2-D: the eight-Gaussian ring against a broad Gaussian, to 1e-8", () => {
    const m = { ...RING8, sigma: 0.3 };
    const pData = ringDensity(m);
    const pG = (x: number, y: number) => normalPdf(x, 0, 1.5) * normalPdf(y, 0, 1.5);
    const box = { xRange: [-9, 9] as [number, number], yRange: [-9, 9] as [number, number], panels: 120 };
    expect(Math.abs(integrate2d(pData, box) - 1)).toBeLessThan(1e-10);
    const v = ganValue2d(optimalDiscriminator2d(pData, pG), pData, pG, box);
    const jsd = jensenShannon2d(pData, pG, box);
    expect(jsd).toBeGreaterThan(0.05);
    expect(jsd).toBeLessThan(Math.log(2));
    expect(Math.abs(v - (-LOG4 + 2 * jsd))).toBeLessThan(1e-8);
  });
});

describe("the two generator losses", () => {
  // p_data = N(0, 1), p_g = N(θ, 1); the generator moves θ. Hold D = D*_θ fixed and differentiate
  // the generator's objective E_{x∼N(θ',1)}[L(D(x))] at θ' = θ (central differences of quadrature).
  const pData = (x: number) => normalPdf(x, 0, 1);
  const box = { range: [-14, 14] as [number, number], panels: 400 };
  const grad = (kind: "saturating" | "non-saturating", theta: number) => generatorShiftGradient(kind, pData, 1, theta, box);

  it("share the fixed point p_g = p_data (gradient 0) and both point towards it elsewhere", () => {
    for (const kind of ["saturating", "non-saturating"] as const) {
      expect(Math.abs(grad(kind, 0))).toBeLessThan(1e-8);
      for (const theta of [-2, -0.5, 0.5, 2]) {
        const g = grad(kind, theta);
        // Gradient descent θ ← θ − η g moves θ towards 0.
        expect(Math.sign(g)).toBe(Math.sign(theta));
        expect(Math.abs(g)).toBeGreaterThan(1e-3);
      }
    }
  });

  it("at D*, the non-saturating objective is KL(p_g ‖ p_data) − KL(p_g ‖ m) + log 2 (to 1e-8)", () => {
    const pG = (x: number) => normalPdf(x, 1.3, 0.7);
    const D = optimalDiscriminator(pData, pG);
    const m = (x: number) => 0.5 * (pData(x) + pG(x));
    const lhs = generatorObjective("non-saturating", D, pG, box);
    const rhs = klDivergence1d(pG, pData, box) - klDivergence1d(pG, m, box) + Math.log(2);
    expect(Math.abs(lhs - rhs)).toBeLessThan(1e-8);
  });
});
