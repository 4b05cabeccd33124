import { describe, expect, it } from "vitest";
import { derivation, stepsHold, symbolicDerivative } from "../../src/vi/derivation";
import { rng } from "../../src/runtime/rng";

const square = () =>
  derivation({
    name: "square",
    params: { x: [-3, 3], t: [-2, 2] },
    steps: [
      { expr: "(x + 1)^2" },
      { expr: "x^2 + 2*x + 1", why: "expand" },
      { expr: "2*x", relation: "≥", why: "x² + 1 ≥ 0" },
      { expr: "2*x + t^2", relation: "≤", why: "t² ≥ 0" },
    ],
  });

describe("Derivation.check: the numeric checker", () => {
  it("passes a correct chain of =, ≥ and ≤ steps", () => {
    const r = square().check({ rng: rng(1), draws: 30 });
    expect(r.ok).toBe(true);
    expect(r.firstFailure).toBeNull();
    expect(r.steps.map((s) => s.ok)).toEqual([true, true, true, true]);
    expect(r.steps[1].worst).toBeLessThan(1e-14);
  });

  it("names the first failing step, its parameters and both sides when a sign is flipped", () => {
    const broken = square().withStep(1, { expr: "x^2 - 2*x + 1" });
    const r = broken.check({ rng: rng(2), draws: 30 });
    expect(r.ok).toBe(false);
    const f = r.firstFailure!;
    expect(f.index).toBe(1);
    expect(f.why).toBe("expand");
    expect(Object.keys(f.params).sort()).toEqual(["t", "x"]);
    const x = f.params.x as number;
    expect(f.lhs).toBeCloseTo((x + 1) ** 2, 12);
    expect(f.rhs).toBeCloseTo(x * x - 2 * x + 1, 12);
    expect(f.message).toMatch(/step 1 \(=, "expand"\) fails at x = /);
  });

  it("catches a reversed inequality", () => {
    const r = square().withStep(2, { relation: "≤" }).check({ rng: rng(3), draws: 10 });
    expect(r.firstFailure?.index).toBe(2);
    expect(r.firstFailure?.message).toMatch(/previous step is larger/);
  });

  it("accepts equality-within-tolerance and rejects a relative error of 1e-6", () => {
    const mk = (eps: string) =>
      derivation({ name: "tol", params: { a: [1, 10] }, steps: [{ expr: "a" }, { expr: `a * (1 + ${eps})` }] });
    expect(mk("1e-12").check({ rng: rng(4), draws: 5 }).ok).toBe(true);
    expect(mk("1e-6").check({ rng: rng(4), draws: 5 }).ok).toBe(false);
  });

  it('"=c" accepts dropping a term constant in the listed parameters and rejects one that is not', () => {
    const good = derivation({
      name: "const",
      params: { th: [-2, 2], c: [0, 5] },
      steps: [{ expr: "(th - 1)^2 + c" }, { expr: "(th - 1)^2", relation: "=c", constIn: ["th"], why: "c does not depend on θ" }],
    });
    expect(good.check({ rng: rng(5), draws: 10 }).ok).toBe(true);
    const bad = good.withStep(1, { expr: "th^2" });
    const r = bad.check({ rng: rng(5), draws: 10 });
    expect(r.firstFailure?.index).toBe(1);
    expect(r.firstFailure?.message).toMatch(/depends on th/);
  });

  it("reports a step that evaluates to NaN or throws", () => {
    const d = derivation({ name: "nan", params: { a: [1, 2] }, steps: [{ expr: "a" }, { expr: "a" }, { expr: "log(-a)", relation: "≤" }] });
    const r = d.check({ rng: rng(6), draws: 3 });
    expect(r.firstFailure?.index).toBe(2);
  });

  it("refuses malformed specs with a message that says where", () => {
    expect(() => derivation({ name: "p", params: { a: [0, 1] }, steps: [{ expr: "a" }, { expr: "a +* 2" }] })).toThrow(/step 1/);
    expect(() => derivation({ name: "r", params: { a: [0, 1] }, steps: [{ expr: "a" }, { expr: "a", relation: "=c" }] })).toThrow(/constIn/);
    expect(() => derivation({ name: "h", params: { EN: [0, 1] }, steps: [{ expr: "EN" }, { expr: "EN" }] })).toThrow(/reserved/);
    expect(() => derivation({ name: "one", params: { a: [0, 1] }, steps: [{ expr: "a" }] })).toThrow(/two steps/);
  });

  it("renders an aligned block with one mark per checked step", () => {
    const d = square().withStep(3, { expr: "2*x - t^2" });
    const tex = d.toLatex({ report: d.check({ rng: rng(7), draws: 10 }) });
    expect(tex.startsWith("\\begin{aligned}")).toBe(true);
    expect(tex.match(/\\checkmark/g)?.length).toBe(2);
    expect(tex.match(/\\times/g)?.length).toBe(1);
    expect(tex).toContain("\\text{(x² + 1 ≥ 0)}");
  });

  it("sets a trailing number as a subscript and never a parameter upright as a unit", () => {
    // mathjs alone gives " m1" for m1 and "\mathrm{m2}" for m2 (square metre), "\mathrm{s}" for s (second)
    const d = derivation({
      name: "kl",
      params: { m1: [-2, 2], s1: [0.3, 2], m2: [-2, 2], s2: [0.3, 2] },
      steps: [{ expr: "klnormal(m1, s1, m2, s2)" }, { expr: "EN(lognormal(z, m1, s1) - lognormal(z, m2, s2), z, m1, s1)" }],
    });
    expect(d.stepTex(0)).toBe("\\mathrm{KL}\\left(\\mathcal{N}( m_{1}, s_{1}^2)\\,\\|\\,\\mathcal{N}( m_{2}, s_{2}^2)\\right)");
    expect(d.stepTex(1)).not.toContain("mathrm{m2}");
    const g = derivation({ name: "g", params: { m: [0, 1], s: [1, 2], sigma0: [1, 2] }, steps: [{ expr: "m + s * sigma0" }, { expr: "s * sigma0 + m" }] });
    expect(g.stepTex(0)).toBe(" m+ s\\cdot \\sigma_{0}");
    expect(symbolicDerivative("m2 * y^2", "y").tex).toContain("m_{2}");
  });

  it("counts the checked relations as steps 1–n, the numbering of its failure messages", () => {
    expect(stepsHold(square().steps.length)).toBe("steps 1–3 hold");
    expect(stepsHold(2)).toBe("step 1 holds");
    expect(stepsHold(5, "checked")).toBe("steps 1–4 checked");
  });
});

describe("derivation helpers (exact quadrature and sums)", () => {
  const value = (expr: string, params: Record<string, [number, number]>) => {
    const d = derivation({ name: "h", params, steps: [{ expr }, { expr }] });
    const p = d.drawParams(rng(8));
    return { v: d.evaluate(p).values[0], p: p as Record<string, number> };
  };
  it("EN(z^2, z, m, s) = m² + s² and EN(z^4) = m⁴ + 6m²s² + 3s⁴", () => {
    const { v, p } = value("EN(z^2, z, m, s)", { m: [-2, 2], s: [0.1, 3] });
    expect(v).toBeCloseTo(p.m ** 2 + p.s ** 2, 12);
    const r = value("EN(z^4, z, m, s)", { m: [-2, 2], s: [0.1, 3] });
    expect(r.v).toBeCloseTo(r.p.m ** 4 + 6 * r.p.m ** 2 * r.p.s ** 2 + 3 * r.p.s ** 4, 10);
  });
  it("integral(exp(-z^2), z, -10, 10) = √π; sumk(k, k, n) = n(n+1)/2; ENdiag of a quadratic", () => {
    expect(value("integral(exp(-z^2), z, -10, 10)", {}).v).toBeCloseTo(Math.sqrt(Math.PI), 13);
    expect(value("sumk(k, k, 10)", {}).v).toBe(55);
    const d = derivation({
      name: "diag",
      params: { mu: { min: -1, max: 1, size: 3 }, sg: { min: 0.5, max: 2, size: 3 } },
      steps: [{ expr: "ENdiag(z[1]^2 + z[2]*z[3], z, mu, sg)" }, { expr: "mu[1]^2 + sg[1]^2 + mu[2]*mu[3]" }],
    });
    expect(d.check({ rng: rng(9), draws: 5 }).ok).toBe(true);
  });
  it("Ecat(body, z, q) = Σ_z q_z body(z)", () => {
    const d = derivation({
      name: "cat",
      params: { q: { simplex: 4 } },
      steps: [{ expr: "Ecat(z^2, z, q)" }, { expr: "q[1] + 4*q[2] + 9*q[3] + 16*q[4]" }],
    });
    expect(d.check({ rng: rng(10), draws: 5 }).ok).toBe(true);
  });
});
