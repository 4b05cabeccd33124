import { describe, expect, it } from "vitest";
import { BayesNet, barCompareFigure, dagFigure, dagLayout } from "../../src/graphical";

describe("graphical figures", () => {
  const net = new BayesNet([
    { name: "A", cpt: [0.75, 0.25] },
    { name: "B", cpt: [0.33, 0.67] },
    { name: "C", parents: ["A", "B"], cpt: [[1, 0], [0.5, 0.5], [0.5, 0.5], [0, 1]] },
    { name: "D", parents: ["C"], cpt: [[0.9, 0.1], [0.2, 0.8]] },
  ]);
  it("lays out roots on top and draws one arrow per edge, shading observed nodes", () => {
    const pos = dagLayout(net);
    expect(pos.A[1]).toBeCloseTo(0, 14);
    expect(pos.C[1]).toBe(-1);
    expect(pos.D[1]).toBe(-2);
    const fig = dagFigure(net, { observed: ["D"] });
    const arrows = (fig.layout?.annotations as { showarrow: boolean }[]).filter((a) => a.showarrow);
    expect(arrows).toHaveLength(3);
    expect(fig.data[1].text).toEqual(["D"]);
  });
  it("bar comparison checks lengths", () => {
    expect(() => barCompareFigure({ categories: ["a", "b"], series: [{ name: "x", y: [1] }], title: "t" })).toThrow(/1 values for 2/);
  });
});
