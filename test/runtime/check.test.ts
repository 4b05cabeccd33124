import { describe, expect, it } from "vitest";
import { assertClose, assertThat, assertWithinSE, meanAndSE, CheckError } from "../../src/runtime/check";

describe("notebook checks", () => {
  it("assertClose passes within tolerance and fails with the numbers outside it", () => {
    expect(assertClose("pi", Math.PI, 3.14159265358979, { tol: 1e-12, print: false })).toMatch(/^✓ pi/);
    expect(() => assertClose("pi", Math.PI, 3.14, { tol: 1e-3, print: false })).toThrow(CheckError);
    expect(() => assertClose("pi", Math.PI, 3.14, { tol: 1e-3, print: false })).toThrow(/✗ pi: 3\.141592654 vs expected 3\.14/);
    expect(() => assertClose("vec", [1, 2, 3], [1, 2, 3.1], { tol: 1e-6, print: false })).toThrow(/at index 2/);
    expect(() => assertClose("len", [1, 2], [1], { print: false })).toThrow(/got 2 numbers, expected 1/);
    expect(() => assertClose("nan", NaN, 0, { tol: 1, print: false })).toThrow(CheckError);
    expect(assertClose("rel", 1000.001, 1000, { tol: 0, rtol: 1e-5, print: false })).toMatch(/^✓/);
  });

  it("assertThat and assertWithinSE", () => {
    expect(() => assertThat("ELBO ≤ log p(x)", false, "-3 > -4", { print: false })).toThrow(/✗ ELBO ≤ log p\(x\): -3 > -4/);
    expect(assertThat("ok", true, "", { print: false })).toBe("✓ ok");
    expect(() => assertWithinSE("mean", 1.5, 0.1, 1, { print: false })).toThrow(/5 standard errors/);
    expect(assertWithinSE("mean", 1.3, 0.1, 1, { print: false })).toMatch(/z = 3\.00/);
  });

  it("meanAndSE is the sample mean and s/√n", () => {
    const m = meanAndSE([1, 2, 3, 4]);
    expect(m.mean).toBe(2.5);
    // s² = ((1.5)²+(0.5)²+(0.5)²+(1.5)²)/3 = 5/3
    expect(Math.abs(m.se - Math.sqrt(5 / 3 / 4))).toBeLessThan(1e-15);
    expect(() => meanAndSE([1])).toThrow(/at least 2/);
  });
});
