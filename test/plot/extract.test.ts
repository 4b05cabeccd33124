import * as fs from "fs";
import * as path from "path";
import { describe, expect, it } from "vitest";
import { canonicalJson, extractFigures, specSha256 } from "../../src/plot/extract";
import { prepareFigure } from "../../src/plot/prepare";

const fixture = JSON.parse(fs.readFileSync(path.join(__dirname, "../fixtures/figures/fixture.ipynb"), "utf8"));

describe("prepareFigure", () => {
  it("turns string titles into {text} (plotly.js 3+ drops strings), fixes uids, copies typed arrays, leaves the input alone", () => {
    const input = { data: [{ type: "scatter", y: new Float32Array([1, 2]), marker: { colorbar: { title: "c" } } }], layout: { title: "T", xaxis: { title: "x" }, yaxis2: { title: "y2" } } };
    const out = prepareFigure(input, "fig");
    expect(out.layout).toEqual({ title: { text: "T" }, xaxis: { title: { text: "x" } }, yaxis2: { title: { text: "y2" } } });
    expect(out.data[0]).toEqual({ type: "scatter", y: [1, 2], marker: { colorbar: { title: { text: "c" } } }, uid: "fig-0" });
    expect(input.layout.title).toBe("T");
    expect(prepareFigure(out, "fig")).toEqual(out); // idempotent: the exporter re-applies it
  });
});

describe("extractFigures", () => {
  it("finds the outputs show() marked, in order, with their specs", () => {
    const { figures, problems } = extractFigures(fixture, "fixture");
    expect(problems).toEqual([]);
    expect(figures.map((f) => [f.name, f.cell])).toEqual([["elbo-curve", 1], ["tiny-grid", 3]]);
    expect(figures[0].spec.data[0].y).toEqual([-3, -2, -1.5, -1.25]);
  });
  it("reports duplicate names and marked outputs without a spec, and keeps the rest", () => {
    const nb = JSON.parse(JSON.stringify(fixture));
    nb.cells[3].outputs[0].metadata.latentlab.figure = "elbo-curve";
    nb.cells[2].outputs[1].metadata = { latentlab: { figure: "lost" } };
    const { figures, problems } = extractFigures(nb, "fixture");
    expect(figures.map((f) => f.name)).toEqual(["elbo-curve"]);
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(/"lost" has no application\/vnd.plotly.v1\+json spec/);
    expect(problems[1]).toMatch(/"elbo-curve" is used twice \(cells 1 and 3\)/);
  });
  it("hashes specs independently of key order", () => {
    expect(canonicalJson({ b: 1, a: [{ d: 2, c: 3 }] })).toBe('{"a":[{"c":3,"d":2}],"b":1}');
    expect(specSha256({ data: [], layout: { a: 1, b: 2 } })).toBe(specSha256({ layout: { b: 2, a: 1 }, data: [] }));
    expect(specSha256({ data: [], layout: { a: 1 } })).not.toBe(specSha256({ data: [], layout: { a: 2 } }));
  });
});
