import { describe, expect, it } from "vitest";
import * as tf from "@tensorflow/tfjs";
import {
  assertClose,
  assertThat,
  assertWithinSE,
  meanAndSE,
  CheckError,
  assertShape,
  assertDtype,
  shapeOf,
  dtypeOf,
  assertForSeeds,
  partialCredit,
  GRADER_HOOK,
} from "../../src/runtime/check";
import { rng } from "../../src/runtime/rng";

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

  it("assertClose says how many values are out of tolerance, the relative tolerance and NaN", () => {
    expect(() => assertClose("v", [1, 5, 9], [1, 2, 3], { tol: 0.5, print: false })).toThrow(/at index 1 \(2 of 3 values out of tolerance\): 5 vs expected 2/);
    expect(() => assertClose("r", 110, 100, { tol: 1, rtol: 0.05, print: false })).toThrow(/tolerance 1 \+ 0\.05·\|expected\| = 6\)/);
    expect(() => assertClose("n", NaN, 0, { tol: 1, print: false })).toThrow(/Got NaN/);
  });

  it("shapeOf / assertShape on tensors, nested arrays, typed arrays; wildcards and ragged rows", () => {
    const t = tf.zeros([2, 3, 4]);
    expect(shapeOf(t)).toEqual([2, 3, 4]);
    expect(assertShape("t", t, [2, null, 4], { print: false })).toBe("✓ t: shape [2, 3, 4]");
    expect(() => assertShape("t", t, [2, 4, 4], { print: false })).toThrow(/expected shape \[2, 4, 4\], got \[2, 3, 4\] \(dimension 1 is 3, expected 4\)/);
    expect(() => assertShape("t", t, [2, 3], { print: false })).toThrow(/rank 2\), got \[2, 3, 4\] \(rank 3\)/);
    t.dispose();
    expect(shapeOf([[1, 2], [3, 4], [5, 6]])).toEqual([3, 2]);
    expect(shapeOf(new Float64Array(5))).toEqual([5]);
    expect(shapeOf(7)).toEqual([]);
    expect(() => shapeOf([[1, 2], [3]], "m")).toThrow(/ragged array — row 0 has shape \[2\] but row 1 has shape \[1\]/);
    expect(() => assertShape("o", { a: 1 }, [1], { print: false })).toThrow(/has no shape/);
    expect(() => assertShape("bad", [1], [1.5] as number[])).toThrow(TypeError);
  });

  it("dtypeOf / assertDtype", () => {
    const t = tf.tensor1d([1, 2], "int32");
    expect(dtypeOf(t)).toBe("int32");
    expect(assertDtype("ids", t, ["int32", "float32"], { print: false })).toBe("✓ ids: dtype int32");
    t.dispose();
    expect(dtypeOf(new Float64Array(2))).toBe("float64");
    expect(dtypeOf(new Uint8Array(2))).toBe("uint8");
    expect(dtypeOf([1, 2])).toBe("number");
    expect(() => dtypeOf([1, "a"], "xs")).toThrow(/mixed element types number, string/);
    expect(() => assertDtype("p", new Float32Array(1), "float64", { print: false })).toThrow(/expected dtype float64, got float32/);
  });

  it("assertForSeeds names the first failing seed and the inner message; async properties", async () => {
    // The mean of 1000 uniforms is within 4 SE of 1/2 for every seed tried (SE = 1/sqrt(12·1000)).
    const line = assertForSeeds("mean of U(0,1)", 5, (seed) => {
      const r = rng(seed);
      const xs = Array.from({ length: 1000 }, () => r.uniform());
      const { mean, se } = meanAndSE(xs);
      assertWithinSE("mean", mean, se, 0.5, { print: false });
    }, { print: false });
    expect(line).toBe("✓ mean of U(0,1): holds for all 5 seeds (0, 1, 2, 3, 4)");
    expect(() => assertForSeeds("even", [2, 4, 5, 6], (s) => s % 2 === 0, { print: false })).toThrow(/fails for seed 5 \(seeds tried: 2, 4, 5, 6\): the property returned false/);
    expect(() =>
      assertForSeeds("close", [0, 1], (s) => { assertClose("x", s, 0, { print: false }); }, { print: false }),
    ).toThrow(/fails for seed 1 .*x: 1 vs expected 0/);
    await expect(assertForSeeds("async", 3, async (s) => s < 2, { print: false })).rejects.toThrow(/fails for seed 2/);
    await expect(assertForSeeds("async ok", 3, async () => true, { print: false })).resolves.toMatch(/^✓ async ok/);
    expect(() => assertForSeeds("none", [], () => true)).toThrow(TypeError);
  });

  it("partialCredit runs every part, reports to the grader hook and throws unless all passed", () => {
    const reports: Array<[number, number]> = [];
    const g = globalThis as Record<symbol, unknown>;
    g[GRADER_HOOK] = { credit: (e: number, t: number) => reports.push([e, t]) };
    try {
      expect(() =>
        partialCredit("q", [
          { what: "a", points: 2, check: () => assertClose("a", 1, 1, { print: false }) },
          { what: "b", points: 3, check: () => assertClose("b", 1, 2, { tol: 0.1, print: false }) },
          { what: "c", points: 1, check: () => false },
        ], { print: false }),
      ).toThrow(/q: 2 of 6 points\. Failed: b: b: 1 vs expected 2 .*; c: the check returned false/);
      const all = partialCredit("r", [{ what: "a", points: 1, check: () => true }], { print: false });
      expect(all.earned).toBe(1);
      expect(reports).toEqual([[2, 6], [1, 1]]);
    } finally {
      delete g[GRADER_HOOK];
    }
    expect(() => partialCredit("x", [])).toThrow(TypeError);
    expect(() => partialCredit("x", [{ what: "p", points: 1, check: (async () => true) as () => unknown }], { print: false })).toThrow(/must be synchronous/);
  });
});
