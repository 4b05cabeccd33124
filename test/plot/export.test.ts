import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { describe, expect, it } from "vitest";
import { findChromium } from "../../scripts/figure-renderer";
import { exportFigures, type Manifest } from "../../scripts/figures";
import { specSha256 } from "../../src/plot/extract";

const FIXTURE = path.join(__dirname, "../fixtures/figures/fixture.ipynb");
const chromium = findChromium().path;
const tmp = (tag: string) => fs.mkdtempSync(path.join(os.tmpdir(), `latentlab-figures-${tag}-`));
const quiet = () => {};

function listFiles(dir: string): string[] {
  return fs.readdirSync(dir, { recursive: true, encoding: "utf8" }).filter((f) => fs.statSync(path.join(dir, f)).isFile()).sort();
}

describe("npm run figures: exporter", () => {
  it("without a browser still writes self-contained HTML, index.html and manifest.json", async () => {
    const out = tmp("nobrowser");
    const r = await exportFigures({ notebooks: [FIXTURE], outDir: out, chromium: null, log: quiet });
    expect(r.problems).toEqual([]);
    expect(r.browserMissing).toMatch(/disabled/);
    expect(listFiles(out)).toEqual(["fixture/elbo-curve.html", "fixture/tiny-grid.html", "index.html", "manifest.json"]);
    const manifest = JSON.parse(fs.readFileSync(path.join(out, "manifest.json"), "utf8")) as Manifest;
    expect(manifest.figures.map((e) => [e.notebook, e.name, e.files])).toEqual([
      ["fixture", "elbo-curve", { html: "fixture/elbo-curve.html" }],
      ["fixture", "tiny-grid", { html: "fixture/tiny-grid.html" }],
    ]);
    const nb = JSON.parse(fs.readFileSync(FIXTURE, "utf8"));
    expect(manifest.figures[0].sha256).toBe(specSha256(nb.cells[1].outputs[0].data["application/vnd.plotly.v1+json"]));
    const html = fs.readFileSync(path.join(out, "fixture/elbo-curve.html"), "utf8");
    expect(html).toContain("plotly.js v");
    expect(html).not.toMatch(/<script[^>]+src=/);
    const index = fs.readFileSync(path.join(out, "index.html"), "utf8");
    expect(index).toContain("<h2 id=\"fixture\">fixture</h2>");
    expect(index).toContain("<code>tiny-grid</code>");
    fs.rmSync(out, { recursive: true, force: true });
  });

  it("--shared-plotly: one plotly.min.js, small .html files that load it relatively", async () => {
    const out = tmp("shared");
    await exportFigures({ notebooks: [FIXTURE], outDir: out, chromium: null, htmlPlotly: "shared", log: quiet });
    expect(fs.statSync(path.join(out, "plotly.min.js")).size).toBeGreaterThan(1_000_000);
    const html = fs.readFileSync(path.join(out, "fixture/tiny-grid.html"), "utf8");
    expect(html).toContain('<script type="text/javascript" src="../plotly.min.js"></script>');
    expect(html.length).toBeLessThan(20_000);
    fs.rmSync(out, { recursive: true, force: true });
  });

  // Skipped only when no Chromium/Chrome is installed (CI installs chromium): SVG/PNG need a browser.
  it.skipIf(!chromium)("writes valid SVG and PNG, byte-identical across two runs (needs Chromium)", async () => {
    const a = tmp("a");
    const b = tmp("b");
    const ra = await exportFigures({ notebooks: [FIXTURE], outDir: a, chromium, log: quiet });
    const rb = await exportFigures({ notebooks: [FIXTURE], outDir: b, chromium, log: quiet });
    expect(ra.problems).toEqual([]);
    expect(ra.browserMissing).toBeUndefined();
    const files = listFiles(a);
    expect(files).toEqual([
      "fixture/elbo-curve.html", "fixture/elbo-curve.png", "fixture/elbo-curve.svg",
      "fixture/tiny-grid.html", "fixture/tiny-grid.png", "fixture/tiny-grid.svg",
      "index.html", "manifest.json",
    ]);
    expect(listFiles(b)).toEqual(files);
    for (const f of files) expect(fs.readFileSync(path.join(b, f)).equals(fs.readFileSync(path.join(a, f))), f).toBe(true);

    const svg = fs.readFileSync(path.join(a, "fixture/elbo-curve.svg"), "utf8");
    expect(svg.startsWith("<svg")).toBe(true);
    expect(svg.trimEnd().endsWith("</svg>")).toBe(true);
    expect(svg).toMatch(/width="800"/);
    expect(svg).toContain("ELBO per epoch"); // the title
    expect(svg).toMatch(/class="scatterlayer/); // the trace layer …
    expect(svg).toMatch(/<path class="js-line"[^>]* d="M[\d.,LM ]+"/); // … with its line drawn
    const png = fs.readFileSync(path.join(a, "fixture/tiny-grid.png"));
    expect(png.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))).toBe(true);
    expect(png.length).toBeGreaterThan(2000);
    // PNG header: width and height are the figure's layout size × scale 2.
    const manifest = JSON.parse(fs.readFileSync(path.join(a, "manifest.json"), "utf8")) as Manifest;
    const grid = manifest.figures.find((e) => e.name === "tiny-grid")!;
    expect([png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual([2 * grid.width, 2 * grid.height]);
    fs.rmSync(a, { recursive: true, force: true });
    fs.rmSync(b, { recursive: true, force: true });
  }, 300_000); // two browser starts: ~3 s each when idle, much longer on a loaded machine
});
