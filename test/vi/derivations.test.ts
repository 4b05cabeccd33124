import { describe, expect, it } from "vitest";
import { lectureDerivations } from "../../src/vi/derivations";
import { rng } from "../../src/runtime/rng";

/** "Change a sign": the first binary minus becomes a plus, or, with none, negate the step. */
function flipSign(expr: string): string {
  return expr.includes(" - ") ? expr.replace(" - ", " + ") : `-(${expr})`;
}

const all = Object.entries(lectureDerivations());
const draws = (name: string) => (name === "klDiagonalGaussian" ? 6 : 20);

describe("every derivation notebook 04 shows passes check()", () => {
  it.each(all)("%s", (name, d) => {
    const r = d.check({ rng: rng(2024), draws: draws(name) });
    if (!r.ok) throw new Error(r.firstFailure!.message);
    expect(r.steps.every((s) => s.ok)).toBe(true);
    expect(d.toLatex({ report: r }).match(/\\checkmark/g)?.length).toBe(d.steps.length - 1);
  });
});

describe("a flipped sign in any step is caught at that step", () => {
  const cases: [string, number][] = [];
  for (const [name, d] of all) {
    d.steps.forEach((s, i) => {
      if (i > 0 && s.expr !== "0") cases.push([name, i]);
    });
  }
  it.each(cases)("%s, step %i", (name, i) => {
    const d = lectureDerivations()[name as keyof ReturnType<typeof lectureDerivations>];
    const broken = d.withStep(i, { expr: flipSign(d.steps[i].expr) });
    const r = broken.check({ rng: rng(7), draws: draws(name) });
    expect(r.ok).toBe(false);
    expect(r.firstFailure!.index).toBe(i);
    expect(r.firstFailure!.message).toContain(`step ${i}`);
    expect(Number.isFinite(r.firstFailure!.lhs)).toBe(true);
  });
});

describe("inequality steps are strict on random draws (a reversed relation is caught)", () => {
  for (const [name, d] of all) {
    d.steps.forEach((s, i) => {
      if (s.relation !== "≥") return;
      it(`${name}, step ${i}`, () => {
        const r = d.withStep(i, { relation: "≤" }).check({ rng: rng(11), draws: 10 });
        expect(r.firstFailure?.index).toBe(i);
      });
    });
  }
});
