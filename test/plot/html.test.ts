import { describe, expect, it } from "vitest";
import { heatmapFigure } from "../../src/plot/builders";
import { figureDivId, figureHtml, scriptJson, standaloneFigurePage } from "../../src/plot/html";
import { prepareFigure } from "../../src/plot/prepare";

const spec = () => prepareFigure(heatmapFigure({ z: [[0, 1], [2, 3]], title: "p(x|z)" }), "cpt");

describe("figure HTML", () => {
  it("is deterministic: same figure and name give the same bytes, ids come from the names", () => {
    const a = figureHtml(spec(), "cpt", { includePlotly: false, notebook: "02-bayes" });
    const b = figureHtml(spec(), "cpt", { includePlotly: false, notebook: "02-bayes" });
    expect(a).toBe(b);
    expect(figureDivId("cpt", "02-bayes")).toBe("latentlab-02-bayes-cpt");
    expect(a).toContain('<div id="latentlab-02-bayes-cpt"');
    expect(figureHtml(spec(), "cpt", { includePlotly: false, notebook: "03-vae" })).not.toBe(a);
    expect(a).not.toMatch(/Math\.random|Date\.now/);
  });

  it("embeds the spec as JSON that cannot close the <script> element", () => {
    const evil = prepareFigure({ data: [{ type: "scatter", y: [1], name: "</script><b>x</b>\u2028" }] }, "evil");
    const html = figureHtml(evil, "evil", { includePlotly: false });
    expect(html.match(/<\/script>/g)?.length).toBe(1); // only the element's own end tag
    expect(JSON.parse(scriptJson({ s: "</script>\u2028" }))).toEqual({ s: "</script>\u2028" });
  });

  it("a standalone page inlines plotly.js once and references nothing external", () => {
    const page = standaloneFigurePage(spec(), "cpt", "02-bayes");
    expect(page.startsWith("<!DOCTYPE html>")).toBe(true);
    expect(page.split("plotly.js v").length - 1).toBe(1);
    expect(page).not.toMatch(/<script[^>]+src=/);
    expect(page).not.toMatch(/<link[^>]+href=/);
    expect(standaloneFigurePage(spec(), "cpt", "02-bayes")).toBe(page);
  });
});
