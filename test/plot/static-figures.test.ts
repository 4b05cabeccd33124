/**
 * Figures that survive saving (no browser needed here; test/kernel/frontends.test.ts opens the
 * result in real front ends): the HTML of a figure carries its static image and a plain-text
 * note; an executed notebook carries plotly.js once; a failed export keeps the last good
 * figures; `npm run figures` shares one plotly.js and knows the size presets.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { describe, expect, it } from "vitest";
import { embedStaticImages, exportFigures, parseFigureArgs, pickStaticImage, type Manifest } from "../../scripts/figures";
import { FIGURE_NOTE_CLASS, figureHtml, figureNote, packTrace, UNPACK_SOURCE } from "../../src/plot/html";
import { prepareFigure } from "../../src/plot/prepare";
import { lineFigure } from "../../src/plot/builders";

const FIXTURE = path.join(__dirname, "../fixtures/figures/fixture.ipynb");
const tmp = (tag: string) => fs.mkdtempSync(path.join(os.tmpdir(), `latentlab-static-${tag}-`));
const quiet = () => {};
const spec = () => prepareFigure(lineFigure({ ys: [{ name: "ELBO", y: [3, 1, 2] }], title: "ELBO per epoch" }), "elbo");

/** What an HTML sanitizer leaves of a figure: no scripts (their text too), no style. */
function sanitized(html: string): string {
  return html.replace(/<script[\s\S]*?<\/script>/g, "").replace(/ style="[^"]*"/g, "");
}

describe("figure HTML without scripts", () => {
  it("keeps the static image and a note that says how to see the interactive figure", () => {
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47]);
    const img = pickStaticImage("<svg xmlns='http://www.w3.org/2000/svg'>" + "x".repeat(100) + "</svg>", png, 800, 500);
    expect(img.mime).toBe("image/png"); // the smaller one
    const html = figureHtml(spec(), "elbo", { includePlotly: false, notebook: "05-vae", staticImage: img });
    const left = sanitized(html);
    expect(left).toContain(`<img src="data:image/png;base64,${png.toString("base64")}" alt="figure elbo" width="800" height="500">`);
    expect(left).toContain(`<p class="${FIGURE_NOTE_CLASS}">${figureNote("elbo", true).replace(/"/g, "&quot;")}</p>`);
    expect(figureNote("elbo", true)).toMatch(/Static image of figure "elbo"\. For the interactive version, trust this notebook .* or re-run this cell\./);
    // A live session's output has no image yet, but the note still says what to do.
    const live = sanitized(figureHtml(spec(), "elbo", { includePlotly: false }));
    expect(live).not.toContain("<img");
    expect(live).toContain("Interactive figure &quot;elbo&quot; (Plotly) is not drawn here.");
    // The script, where it runs, replaces image and note with the plot.
    expect(html).toMatch(/el\.innerHTML = "";\n\s+el\.style\.height = "450px";\n\s+window\.Plotly\.newPlot/);
  });

  it("an executed notebook gets its images and carries plotly.js in its first figure only", () => {
    const nb = JSON.parse(fs.readFileSync(FIXTURE, "utf8"));
    // As if two outputs had carried plotly.js (a re-run cell): both are rewritten.
    const n = embedStaticImages(nb, "fixture", new Map([["tiny-grid", { mime: "image/svg+xml" as const, base64: "PHN2Zy8+", width: 10, height: 20 }]]));
    expect(n).toBe(2);
    const htmls = nb.cells.flatMap((c: { outputs?: { data?: Record<string, string | string[]> }[] }) =>
      (c.outputs ?? []).map((o) => o.data?.["text/html"]).filter((h): h is string[] => Array.isArray(h)).map((h) => h.join("")),
    );
    expect(htmls.length).toBe(2);
    expect(htmls.map((h: string) => h.split("plotly.js v").length - 1)).toEqual([1, 0]);
    expect(htmls[0]).not.toContain("<img");
    expect(htmls[1]).toContain('<img src="data:image/svg+xml;base64,PHN2Zy8+" alt="figure tiny-grid" width="10" height="20"');
  });
});

describe("npm run figures keeps the last good figures", () => {
  it("an unreadable executed notebook leaves its figures, manifest entries and index in place", async () => {
    const out = tmp("keep");
    const r1 = await exportFigures({ notebooks: [FIXTURE], outDir: out, chromium: null, htmlPlotly: "shared", log: quiet });
    expect(r1.problems).toEqual([]);
    const before = fs.readFileSync(path.join(out, "fixture", "elbo-curve.html"), "utf8");
    const broken = path.join(tmp("broken"), "fixture.ipynb");
    fs.writeFileSync(broken, "{ not json");
    const r2 = await exportFigures({ notebooks: [broken], outDir: out, chromium: null, htmlPlotly: "shared", log: quiet });
    expect(r2.problems.join("\n")).toMatch(/cannot read the executed notebook .*its previous figures are kept/);
    expect(fs.readFileSync(path.join(out, "fixture", "elbo-curve.html"), "utf8")).toBe(before);
    const manifest = JSON.parse(fs.readFileSync(path.join(out, "manifest.json"), "utf8")) as Manifest;
    expect(manifest.figures.map((e) => e.name)).toEqual(["elbo-curve", "tiny-grid"]);
    expect(fs.readFileSync(path.join(out, "index.html"), "utf8")).toContain("<code>tiny-grid</code>");
    expect(fs.readdirSync(out).filter((f) => f.startsWith(".staging"))).toEqual([]);
    // Shared plotly.js: the figure pages are small.
    expect(before.length).toBeLessThan(50_000);
    fs.rmSync(out, { recursive: true, force: true });
  });

  it("shares one plotly.js by default; --inline-plotly and --size presets parse; bad sizes are refused", () => {
    expect(parseFigureArgs([]).sharedPlotly).toBe(true);
    expect(parseFigureArgs(["--inline-plotly"]).sharedPlotly).toBe(false);
    expect(parseFigureArgs(["--size", "slide"]).size).toBe("slide");
    expect(parseFigureArgs(["--size=paper"]).size).toBe("paper");
    expect(() => parseFigureArgs(["--size", "poster"])).toThrow(/--size must be "slide" or "paper", got "poster"/);
  });
});

describe("image grids stay small in notebooks", () => {
  it("a large heatmap is stored to 1/1000 of its largest value, idempotently; small ones stay exact", () => {
    const z = Array.from({ length: 64 }, (_, r) => Array.from({ length: 64 }, (_, c) => ((r * 64 + c) % 97) / 97 + 1e-9));
    const big = prepareFigure({ data: [{ type: "heatmap", z }] }, "grid");
    const zz = big.data[0].z as number[][];
    // Largest value 96/97 ≈ 0.99: a step of 0.99/1000 needs 4 decimals.
    expect(zz[0][1]).toBe(0.0103); // 1/97 + 1e-9 = 0.010309…
    expect(zz[1][0]).toBe(Number((64 / 97).toFixed(4)));
    let worst = 0;
    z.forEach((row, r) => row.forEach((v, c) => (worst = Math.max(worst, Math.abs(v - zz[r][c])))));
    expect(worst).toBeLessThanOrEqual(0.00005 + 1e-12);
    expect(prepareFigure(big, "grid")).toEqual(big);
    expect(JSON.stringify(zz).length).toBeLessThan(JSON.stringify(z).length / 2.5);
    const small = prepareFigure({ data: [{ type: "heatmap", z: [[0.123456789, 1]] }] }, "cpt");
    expect((small.data[0].z as number[][])[0][0]).toBe(0.123456789);
  });
});

describe("image grids in a figure's script", () => {
  it("a 0…255 heatmap travels as base64 bytes and the page restores exactly the same numbers", () => {
    const z = Array.from({ length: 70 }, (_, r) => Array.from({ length: 90 }, (_, c) => (r * 7 + c * 13) % 256));
    const t = { type: "heatmap", z, zmin: 0, zmax: 255 };
    const packed = packTrace(t);
    expect(JSON.stringify(packed).length).toBeLessThan(JSON.stringify(t).length / 2.5);
    const unpack = new Function(`${UNPACK_SOURCE}; return unpackTrace;`)() as (t: unknown) => { z: number[][] };
    expect(unpack(JSON.parse(JSON.stringify(packed)))).toEqual(t);
    // Anything else is left as it is: fractions, small grids, other traces.
    const frac = { type: "heatmap", z: z.map((r) => r.map((v) => v / 2)) };
    expect(packTrace(frac)).toBe(frac);
    const small = { type: "heatmap", z: [[1, 2]] };
    expect(packTrace(small)).toBe(small);
    const html = figureHtml({ data: [t] }, "grid", { includePlotly: false });
    expect(html).toContain('"latentlabBytes":"');
    expect(html).toContain("fig.data = fig.data.map(unpackTrace);");
  });
});
