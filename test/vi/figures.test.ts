import { describe, expect, it } from "vitest";
import {
  elboGapPath, elboGapFigure, isingMagnetizationCurves, isingMagnetizationFigure, timeExactEvidence, enumerationFigure,
  klFitFigure, emElboFigure,
} from "../../src/vi/figures";
import { GaussianLatentModel } from "../../src/vi/elbo";
import { meanFieldIsing, onsagerMagnetization } from "../../src/vi/meanFieldIsing";
import { isingExact } from "../../src/graphical/ising";
import { fitGaussianKL } from "../../src/vi/klFit";
import { emElboTrace } from "../../src/vi/emView";
import { rng } from "../../src/runtime/rng";

describe("the numbers behind the notebook figures", () => {
  it("elbo-gap-closing: ELBO + KL = log p(x) on the path, the gap reaches 0 at t = 1", () => {
    const m = new GaussianLatentModel(0.8);
    const rows = elboGapPath(m, 1.1, { mu: -2, sigma: 2 }, 11);
    for (const r of rows) expect(Math.abs(r.elbo + r.klToPosterior - r.logEvidence)).toBeLessThan(1e-10);
    expect(rows[0].m).toBe(-2);
    expect(rows[10].m).toBeCloseTo(m.posterior(1.1).mu, 14);
    expect(Math.abs(rows[10].klToPosterior)).toBeLessThan(1e-12);
    expect(elboGapFigure(rows).data).toHaveLength(4);
    // One shared axis: the gap curve's height is the distance between log p(x) and the ELBO.
    expect(elboGapFigure(rows).data.every((d) => !("yaxis" in d))).toBe(true);
  });
  it("ising-magnetization-vs-beta: each curve is the quantity it claims", () => {
    const c = isingMagnetizationCurves({ betas: [0.2, 0.3, 0.5], exactSpec: { rows: 3, cols: 3, periodic: true }, gibbsSpec: { rows: 4, cols: 4, periodic: true }, rng: rng(5), sweeps: 50, burnIn: 10 });
    c.betas.forEach((b, i) => {
      expect(c.meanField[i]).toBeCloseTo(meanFieldIsing({}, b).m, 10);
      expect(c.onsager[i]).toBe(onsagerMagnetization(b));
      expect(c.exact[i]).toBeCloseTo(isingExact(c.exactSpec, b).meanAbsMagnetization, 14);
      expect(c.gibbs[i]).toBeGreaterThanOrEqual(0);
      expect(c.gibbs[i]).toBeLessThanOrEqual(1);
    });
    const fig = isingMagnetizationFigure(c);
    const shapes = (fig.layout as { shapes: { x0: number }[] }).shapes;
    expect(shapes.map((s) => s.x0)).toEqual([0.25, Math.log(1 + Math.SQRT2) / 2]);
  });
  it("exact-evidence-cost: Kⁿ assignments per n", () => {
    const rows = timeExactEvidence([0.1, -0.4, 1.2, 2.0, -1.1], 3, 4, [2, 3, 5]);
    expect(rows.map((r) => r.assignments)).toEqual([9, 27, 243]);
    expect((enumerationFigure(rows, 3).data[0] as { y: number[] }).y).toEqual([9, 27, 243]);
  });
  it("forward-vs-reverse-kl and em-elbo-staircase build from their inputs", () => {
    const target = { weights: [0.5, 0.5], means: [-2, 2], sds: [0.6, 0.6] };
    const fig = klFitFigure(target, [{ label: "forward", fit: fitGaussianKL(target, "forward") }]);
    expect(fig.data).toHaveLength(2);
    expect((fig.data[1] as { name: string }).name).not.toMatch(/-0\.00/); // m ≈ 0 prints as 0.00
    const { rows } = emElboTrace([-2, -1.5, 2, 2.5], { weights: [0.5, 0.5], means: [-1, 1], sds: [1, 1] }, 2);
    expect((emElboFigure(rows).data[1] as { y: number[] }).y).toEqual(rows.map((r) => r.elbo));
    // 30 iterations (61 updates): at most ~13 tick labels, start and E-steps only, so they never overlap
    const long = emElboTrace([-2, -1.5, 2, 2.5], { weights: [0.5, 0.5], means: [-1, 1], sds: [1, 1] }, 30).rows;
    const ticks = ((emElboFigure(long).layout as { xaxis: { ticktext: string[] } }).xaxis).ticktext;
    expect(ticks.length).toBeLessThanOrEqual(13);
    expect(ticks[0]).toBe("start");
    expect(ticks.slice(1).every((t) => /^E\d+$/.test(t))).toBe(true);
  });
});
