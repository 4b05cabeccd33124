import { describe, expect, it } from "vitest";
import { heatmapFigure, histogramBins, histogramFigure, lineFigure, scatterFigure } from "../../src/plot/builders";
import { rng } from "../../src/runtime/rng";

describe("lineFigure", () => {
  it("makes one line trace per series, on shared or default x, with a log axis when asked", () => {
    const f = lineFigure({ x: [1, 2, 3], ys: [{ name: "train", y: [3, 2, 1] }, { name: "test", y: new Float32Array([4, 3, 2.5]), dash: "dash" }], title: "loss", xTitle: "epoch", yTitle: "nats", logY: true });
    expect(f.data.map((t) => [t.type, t.name, t.x, t.y])).toEqual([
      ["scatter", "train", [1, 2, 3], [3, 2, 1]],
      ["scatter", "test", [1, 2, 3], [4, 3, 2.5]],
    ]);
    expect(f.data[1].line).toEqual({ dash: "dash" });
    const l = f.layout as Record<string, Record<string, unknown>>;
    expect(l.yaxis).toEqual({ title: { text: "nats" }, type: "log" });
    expect(l.xaxis).toEqual({ title: { text: "epoch" } });
    expect(lineFigure({ ys: [{ name: "a", y: [5, 6] }], title: "t" }).data[0].x).toEqual([0, 1]);
  });
  it("says which series is wrong", () => {
    expect(() => lineFigure({ x: [1, 2], ys: [{ name: "elbo", y: [1, 2, 3] }], title: "t" })).toThrow(/"elbo" has 3 y values but 2 x values/);
    expect(() => lineFigure({ ys: [{ name: "kl", y: [1, NaN] }], title: "t" })).toThrow(/\("kl"\) y\[1\] is NaN/);
    expect(() => lineFigure({ ys: [{ name: "kl", y: [1, 0] }], title: "t", logY: true })).toThrow(/≤ 0/);
  });
});

describe("histogramFigure", () => {
  it("bins exactly: counts sum to n, the maximum lands in the last bin", () => {
    const { edges, counts } = histogramBins([0, 0.1, 0.5, 0.99, 1], 2);
    expect(edges).toEqual([0, 0.5, 1]);
    expect(counts).toEqual([2, 3]);
  });
  it("with density the bars integrate to the share inside the range and match a standard normal within Monte Carlo error", () => {
    const r = rng(7);
    const n = 20000;
    const xs = r.normals(new Float64Array(n));
    const f = histogramFigure({ values: xs, bins: 40, range: [-4, 4], density: true, title: "N(0,1)", overlay: { x: [0], y: [1 / Math.sqrt(2 * Math.PI)], name: "pdf" } });
    const bar = f.data[0];
    const y = bar.y as number[];
    const width = bar.width as number;
    const inRange = Array.from(xs).filter((x) => x >= -4 && x <= 4).length;
    // The bars integrate to the share of the values inside the range (values beyond ±4 are not renormalized away).
    expect(y.reduce((a, b) => a + b, 0) * width).toBeCloseTo(inRange / n, 12);
    const half = histogramFigure({ values: [0.1, 0.2, 0.3, 5], bins: 2, range: [0, 1], density: true, title: "truncated" });
    expect((half.data[0].y as number[]).reduce((a, b) => a + b, 0) * (half.data[0].width as number)).toBeCloseTo(0.75, 12);
    // Central bin [-0.2, 0): p = Φ(0) − Φ(−0.2) = 0.0792597; density SE = sqrt(p(1−p)/n)/width.
    const centers = bar.x as number[];
    const k = centers.findIndex((c) => Math.abs(c + 0.1) < 1e-9);
    const p = 0.07925970943910299;
    const se = Math.sqrt((p * (1 - p)) / inRange) / width;
    expect(Math.abs(y[k] - p / width)).toBeLessThan(4 * se);
    expect(f.data[1]).toMatchObject({ type: "scatter", name: "pdf" });
  });
});

describe("scatterFigure", () => {
  it("splits by group into one trace per group, in sorted order, keeping each point's coordinates", () => {
    const f = scatterFigure({ x: [0, 1, 2, 3], y: [10, 11, 12, 13], groups: [2, 0, 2, 10], title: "latent" });
    expect(f.data.map((t) => [t.name, t.x, t.y])).toEqual([
      ["0", [1], [11]],
      ["2", [0, 2], [10, 12]],
      ["10", [3], [13]],
    ]);
  });
  it("colours by value with a colour bar", () => {
    const f = scatterFigure({ x: [0, 1], y: [0, 1], color: [0.1, 0.9], colorTitle: "log p", title: "t", equalAxes: true });
    expect(f.data).toHaveLength(1);
    expect((f.data[0].marker as Record<string, unknown>).color).toEqual([0.1, 0.9]);
    expect((f.layout as Record<string, Record<string, unknown>>).yaxis.scaleanchor).toBe("x");
    expect(() => scatterFigure({ x: [0], y: [0, 1], title: "t" })).toThrow(/1 x values but 2 y values/);
  });
});

describe("heatmapFigure", () => {
  it("keeps the matrix as given (row i at y[i]) and checks it is rectangular", () => {
    const f = heatmapFigure({ z: [[0.9, 0.1], [0.2, 0.8]], x: ["a", "b"], y: ["s0", "s1"], title: "P(x_t | x_{t-1})", showValues: true });
    expect(f.data[0]).toMatchObject({ type: "heatmap", z: [[0.9, 0.1], [0.2, 0.8]], x: ["a", "b"], y: ["s0", "s1"] });
    expect(() => heatmapFigure({ z: [[1, 2], [3]], title: "t" })).toThrow(/row 1 has 1 values/);
    expect(() => heatmapFigure({ z: [[1, 2]], x: [0], title: "t" })).toThrow(/x has 1 entries but z has 2 columns/);
  });
});
