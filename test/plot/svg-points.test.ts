/**
 * Exported SVGs write each scatter marker's shape and style once (`compactSvgPoints`): the
 * figures/ folder of the arc went from 31.7 MB to about 26.5 MB with it (issue 16: under 30 MB).
 * The rewrite must be lossless (its inverse gives back plotly's SVG byte for byte) and must draw
 * the same pixels (Chromium renders both to identical screenshots).
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compactSvgPoints, expandSvgPoints, FigureRenderer, findChromium } from "../../scripts/figure-renderer";
import type { Figure, Trace } from "../../src/plot/figure";
import { rng } from "../../src/runtime/rng";

const chromium = findChromium().path;

function pointSvg(n: number): string {
  // plotly's own marker styles
  const styles = ["opacity: 0.3; stroke-width: 0px; fill: rgb(31, 119, 180); fill-opacity: 1;", "opacity: 0.6; stroke-width: 0px; fill: rgb(214, 39, 40); fill-opacity: 1;"];
  const pts = Array.from({ length: n }, (_, i) =>
    `<path class="point" d="M1,0A1,1 0 1,1 0,-1A1,1 0 0,1 1,0Z" style="${styles[i % 2]}" transform="translate(${(i * 7) % 400}.5,${(i * 13) % 300})"/>`,
  );
  return `<svg height="300" width="400" xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"><g class="points">${pts.join("")}</g><text x="5" y="20">t</text></svg>`;
}

describe("compactSvgPoints", () => {
  it("writes each (shape, style) once and every marker as a <use>; expandSvgPoints gives the original back byte for byte", () => {
    const svg = pointSvg(500);
    const c = compactSvgPoints(svg);
    expect(c.match(/<use class="point"/g)?.length).toBe(500);
    expect(c.match(/<path d="[^"]*" id="p\d+"/g)?.length).toBe(2);
    expect(c.length).toBeLessThan(svg.length / 2);
    expect(expandSvgPoints(c)).toBe(svg);
    expect(compactSvgPoints(c)).toBe(c); // idempotent
  });

  it("leaves an SVG with few markers, or none, unchanged", () => {
    const few = pointSvg(10);
    expect(compactSvgPoints(few)).toBe(few);
    expect(compactSvgPoints("<svg></svg>")).toBe("<svg></svg>");
  });

  it("refuses to expand a marker whose definition is missing", () => {
    const c = compactSvgPoints(pointSvg(100)).replace('id="p1"', 'id="q1"');
    expect(() => expandSvgPoints(c)).toThrow(/no marker definition #p1/);
  });
});

describe.skipIf(!chromium)("an exported scatter draws the same pixels as plotly's own SVG (needs Chromium)", () => {
  let renderer: FigureRenderer | undefined;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "latentlab-svg-points-"));
  beforeAll(async () => {
    renderer = await FigureRenderer.launch(chromium!);
  }, 120_000);
  afterAll(async () => {
    await renderer?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("the compact SVG and its expansion render to identical screenshots; the compact one is under half the size", async () => {
    const r = rng(5);
    const data: Trace[] = [0, 1, 2].map((k) => ({
      type: "scatter", mode: "markers", name: `cloud ${k}`,
      x: Array.from({ length: 1500 }, () => k + r.normal()), y: Array.from({ length: 1500 }, () => r.normal()),
      marker: { size: 4, opacity: 0.35 },
    }));
    const fig: Figure = { data, layout: { title: { text: "three clouds" }, xaxis: { title: { text: "x" } }, yaxis: { title: { text: "y" } } } };
    const { svg } = await renderer!.render(fig, "test/svg-points", { width: 640, height: 400, scale: 1 });
    const full = expandSvgPoints(svg);
    expect(svg).toContain('<use class="point"');
    expect(full.match(/<path class="point"/g)?.length).toBe(4500);
    expect(svg.length).toBeLessThan(full.length / 2);
    const shots = [svg, full].map((s, i) => {
      const file = path.join(dir, `${i}.svg`);
      const png = path.join(dir, `${i}.png`);
      fs.writeFileSync(file, s);
      const p = spawnSync(chromium!, ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--window-size=640,400", `--screenshot=${png}`, `file://${file}`], { encoding: "utf8", timeout: 60_000 });
      if (!fs.existsSync(png)) throw new Error(`chromium wrote no screenshot: ${p.stderr}`);
      return fs.readFileSync(png);
    });
    expect(shots[0].equals(shots[1])).toBe(true);
  }, 180_000);
});
