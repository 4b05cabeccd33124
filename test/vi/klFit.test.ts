import { describe, expect, it } from "vitest";
import { forwardKL, reverseKL, fitGaussianKL, momentMatch } from "../../src/vi/klFit";
import { klNormalClosedForm } from "../../src/vi/mathScope";

describe("forward and reverse KL between a Gaussian mixture and one Gaussian", () => {
  it("reduce to the closed-form Gaussian KL when the target has one component", () => {
    const p = { weights: [1], means: [0.4], sds: [1.3] };
    expect(forwardKL(p, -0.5, 0.7)).toBeCloseTo(klNormalClosedForm(0.4, 1.3, -0.5, 0.7), 11);
    expect(reverseKL(p, -0.5, 0.7)).toBeCloseTo(klNormalClosedForm(-0.5, 0.7, 0.4, 1.3), 11);
  });
  const bimodal = { weights: [0.5, 0.5], means: [-2, 2], sds: [0.6, 0.6] };
  it("are non-negative and asymmetric", () => {
    const f = forwardKL(bimodal, 0, 1);
    const r = reverseKL(bimodal, 0, 1);
    expect(f).toBeGreaterThan(0);
    expect(r).toBeGreaterThan(0);
    expect(Math.abs(f - r)).toBeGreaterThan(0.1);
  });
  it("forward KL is minimized by moment matching (mode covering)", () => {
    const fit = fitGaussianKL(bimodal, "forward");
    const mm = momentMatch(bimodal);
    expect(mm.s).toBeCloseTo(Math.sqrt(0.36 + 4), 12);
    expect(fit.m).toBeCloseTo(mm.m, 5);
    expect(fit.s).toBeCloseTo(mm.s, 5);
  });
  it("reverse KL locks onto one mode (mode seeking), with a local optimum at each", () => {
    const left = fitGaussianKL(bimodal, "reverse", { init: { m: -1, s: 1 } });
    const right = fitGaussianKL(bimodal, "reverse", { init: { m: 1, s: 1 } });
    expect(left.m).toBeLessThan(-1.9);
    expect(right.m).toBeGreaterThan(1.9);
    expect(left.s).toBeLessThan(0.65);
    expect(left.kl).toBeCloseTo(right.kl, 8);
    // Near-perfect fit of one mode of an equal mixture costs about log 2.
    expect(left.kl).toBeGreaterThan(Math.log(2) - 0.01);
    expect(left.kl).toBeLessThan(Math.log(2) + 0.01);
    const global = fitGaussianKL(bimodal, "reverse");
    expect(global.kl).toBeLessThanOrEqual(left.kl + 1e-9);
    expect(reverseKL(bimodal, 0, momentMatch(bimodal).s)).toBeGreaterThan(global.kl);
  });
});
