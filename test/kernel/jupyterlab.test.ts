/**
 * An executed notebook's figure outputs rendered by JupyterLab's own rendering packages
 * (@jupyterlab/rendermime 3.6 with its default renderers, in @jupyterlab/outputarea output
 * areas), in headless Chromium, as JupyterLab shows a notebook:
 *
 * - UNTRUSTED (cloned, downloaded, written by `npm run figures`): JupyterLab's sanitizer
 *   removes the scripts; every figure must still show its static image (loaded, non-zero
 *   size) and the plain-text note saying how to get the interactive version;
 * - TRUSTED: the scripts run as JupyterLab runs them; every figure is drawn by plotly.js,
 *   which the first figure output carries (nothing loads from outside the page).
 *
 * JupyterLab itself is not packaged in Debian; its rendering packages come from the npm
 * registry (devDependencies) and are bundled for the browser with esbuild once, into
 * build/frontends-lab/ (rebuilt when the page source or a package version changes).
 * The notebook is the figure fixture plus one large image grid (an `image` trace with a PNG
 * source after prepareFigure), with static images made exactly as `npm run figures` makes them.
 */
import { spawnSync } from "child_process";
import { createHash } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { embedStaticImages, pickStaticImage } from "../../scripts/figures";
import { FigureRenderer, findChromium, CHROMIUM_FLAGS } from "../../scripts/figure-renderer";
import { extractFigures } from "../../src/plot/extract";
import { FIGURE_NOTE_CLASS, type StaticImage } from "../../src/plot/html";
import { imageGrid } from "../../src/plot/imageGrid";
import { figureBundle } from "../../src/plot/show";
import { rng } from "../../src/runtime/rng";
import { ROOT } from "./helpers";

const chromium = findChromium().path;
const FIXTURE = path.join(ROOT, "test", "fixtures", "figures", "fixture.ipynb");
const PAGE_SOURCE = path.join(ROOT, "test", "frontends-lab", "page.js");
const ORIGIN = "http://jupyterlab.test";

function version(pkg: string): string {
  return (JSON.parse(fs.readFileSync(require.resolve(`${pkg}/package.json`, { paths: [ROOT] }), "utf8")) as { version: string }).version;
}

/**
 * The browser bundle of test/frontends-lab/page.js, built with esbuild on first use and cached
 * under build/frontends-lab/, keyed by the page source and the package versions.
 */
async function labBundle(): Promise<string> {
  const pkgs = ["@jupyterlab/rendermime", "@jupyterlab/outputarea", "@lumino/widgets", "esbuild"];
  const key = createHash("sha256")
    .update(fs.readFileSync(PAGE_SOURCE))
    .update(pkgs.map((p) => `${p}@${version(p)}`).join(","))
    .digest("hex")
    .slice(0, 16);
  const dir = path.join(ROOT, "build", "frontends-lab");
  const file = path.join(dir, `jupyterlab-outputs-${key}.js`);
  if (fs.existsSync(file)) return fs.readFileSync(file, "utf8");
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const esbuild = require("esbuild") as { build(o: object): Promise<{ outputFiles: { text: string }[] }> };
  const r = await esbuild.build({
    entryPoints: [PAGE_SOURCE],
    bundle: true,
    write: false,
    format: "iife",
    platform: "browser",
    target: "es2019",
    minify: true,
    logLevel: "silent",
    // JupyterLab 3 imports its icons as SVG text and its styles as CSS (not needed to render outputs).
    loader: { ".svg": "text", ".css": "empty" },
    define: { "process.env.NODE_ENV": '"production"', global: "window" },
  });
  const code = r.outputFiles[0].text;
  fs.mkdirSync(dir, { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, code);
  fs.renameSync(tmp, file);
  return code;
}

interface PwRoute {
  request(): { url(): string };
  abort(): Promise<void>;
  continue(): Promise<void>;
  fulfill(o: { status?: number; contentType?: string; body: string }): Promise<void>;
}
interface PwPage {
  goto(url: string, o?: object): Promise<unknown>;
  waitForFunction(fn: string, arg?: unknown, o?: object): Promise<unknown>;
  evaluate<R>(fn: string): Promise<R>;
  route(url: string, handler: (route: PwRoute) => Promise<void>): Promise<void>;
  on(event: "pageerror", fn: (e: Error) => void): void;
  close(): Promise<void>;
}
interface PwBrowser {
  newPage(): Promise<PwPage>;
  close(): Promise<void>;
}

type Output = Record<string, unknown> & { metadata?: { latentlab?: { figure?: string } } };

describe.skipIf(!chromium)("an executed notebook's figures in JupyterLab's renderers (@jupyterlab/rendermime + outputarea 3.6, needs Chromium)", () => {
  let browser: PwBrowser | undefined;
  let bundle = "";
  let cells: Output[][] = [];
  let names: string[] = [];
  const offsite: string[] = [];

  beforeAll(async () => {
    const bundleDone = labBundle();
    // The figure fixture plus a large image grid (random grey levels, so nothing compresses it away).
    const nb = JSON.parse(fs.readFileSync(FIXTURE, "utf8")) as { cells: { cell_type: string; outputs?: Output[] }[] };
    const r = rng(16);
    const pixels = Float32Array.from({ length: 64 * 28 * 28 }, () => (r.uniform() < 0.7 ? 0 : r.uniform()));
    const big = figureBundle(imageGrid(pixels, { count: 64, height: 28, width: 28, cols: 8, title: "64 noisy tiles" }), "big-grid", { includePlotly: false, notebook: "fixture" });
    nb.cells.push({ cell_type: "code", id: "big-grid", metadata: {}, execution_count: 9, source: 'show(imageGrid(pixels, { count: 64, … }), "big-grid");', outputs: [{ output_type: "display_data", data: big.data, metadata: big.metadata }] } as never);
    const figs = extractFigures(nb, "fixture").figures;
    names = figs.map((f) => f.name);
    expect(names).toEqual(["elbo-curve", "tiny-grid", "big-grid"]);
    expect(figs[2].spec.data[0].type).toBe("image");
    const renderer = await FigureRenderer.launch(chromium!);
    const images = new Map<string, StaticImage>();
    try {
      for (const f of figs) {
        const { svg, png } = await renderer.render(f.spec, `fixture/${f.name}`);
        images.set(f.name, pickStaticImage(svg, png, 800, 500));
      }
    } finally {
      await renderer.close();
    }
    expect(embedStaticImages(nb, "fixture", images)).toBe(3);
    // What the Jupyter server sends JupyterLab: the notebook as nbformat reads it (multiline
    // strings rejoined), with the same Python nbformat jupyter_server uses.
    const file = path.join(os.tmpdir(), `latentlab-lab-${process.pid}.ipynb`);
    fs.writeFileSync(file, JSON.stringify(nb, null, 1));
    try {
      const read = spawnSync("/usr/bin/python3", ["-c", "import sys, json, nbformat; json.dump(nbformat.read(sys.argv[1], 4), sys.stdout)", file], { encoding: "utf8", maxBuffer: 1 << 28 });
      if (read.status !== 0) throw new Error(`nbformat could not read the notebook: ${read.stderr}`);
      const served = JSON.parse(read.stdout) as typeof nb;
      cells = served.cells.filter((c) => c.cell_type === "code").map((c) => c.outputs ?? []);
    } finally {
      fs.rmSync(file, { force: true });
    }
    expect(typeof cells[0][0].data).toBe("object");
    bundle = await bundleDone;
    const { chromium: pw } = require("playwright-core") as { chromium: { launch(o: object): Promise<PwBrowser> } };
    browser = await pw.launch({ executablePath: chromium!, args: CHROMIUM_FLAGS, headless: true });
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
  });

  /** A page at ORIGIN with the bundle, the outputs rendered (trusted or not); anything else is refused and recorded. */
  async function render(trusted: boolean): Promise<{ page: PwPage; errors: string[] }> {
    const page = await browser!.newPage();
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(e.message));
    await page.route("**/*", async (route) => {
      const url = route.request().url();
      if (url === `${ORIGIN}/`) return route.fulfill({ contentType: "text/html", body: `<!DOCTYPE html><html><head><meta charset="utf-8"><title>outputs</title></head><body><script src="/lab.js"></script></body></html>` });
      if (url === `${ORIGIN}/lab.js`) return route.fulfill({ contentType: "text/javascript", body: bundle });
      if (url.startsWith("data:") || url.startsWith("blob:")) return route.continue();
      offsite.push(url);
      return route.abort();
    });
    await page.goto(`${ORIGIN}/`, { waitUntil: "load", timeout: 60_000 });
    const areas = await page.evaluate<number>(`window.latentlabLab.render(${JSON.stringify(cells)}, ${trusted})`);
    expect(areas).toBe(cells.length);
    return { page, errors };
  }

  it("untrusted: the sanitizer keeps every figure's static image and the note; no plot is drawn", async () => {
    const { page, errors } = await render(false);
    try {
      await page.waitForFunction(
        `(() => { const imgs = [...document.querySelectorAll(".jp-OutputArea-output img")]; return imgs.length >= ${names.length} && imgs.every((i) => i.complete); })()`,
        undefined,
        { timeout: 60_000 },
      );
      const seen = await page.evaluate<{ alt: string | null; w: number; h: number; shown: number; note: string }[]>(`[...document.querySelectorAll(".jp-OutputArea-output")]
        .filter((o) => o.querySelector("img") || /trust this notebook/.test(o.textContent))
        .map((o) => { const img = o.querySelector("img"); const note = [...o.querySelectorAll("p")].find((p) => /trust this notebook/.test(p.textContent));
          return { alt: img && img.getAttribute("alt"), w: img ? img.naturalWidth : 0, h: img ? img.naturalHeight : 0, shown: img ? img.getBoundingClientRect().height : 0, note: note ? note.textContent : "" }; })`);
      expect(seen.map((s) => s.alt)).toEqual(names.map((n) => `figure ${n}`));
      for (const s of seen) {
        expect(s.w).toBeGreaterThan(0); // decoded: a broken or stripped image has no natural size
        expect(s.h).toBeGreaterThan(0);
        expect(s.shown).toBeGreaterThan(20); // laid out on the page, not collapsed
        expect(s.note).toMatch(/^Static image of figure ".*"\. For the interactive version, trust this notebook \(classic Notebook: File → Trust Notebook; JupyterLab: the command "Trust Notebook"\) or re-run this cell\.$/);
      }
      // Sanitized: no script survived, nothing was drawn, plotly.js never ran.
      expect(await page.evaluate<number>(`document.querySelectorAll(".jp-OutputArea-output script").length`)).toBe(0);
      expect(await page.evaluate<number>(`document.querySelectorAll(".js-plotly-plot").length`)).toBe(0);
      expect(await page.evaluate<boolean>(`typeof window.Plotly === "undefined"`)).toBe(true);
      expect(errors).toEqual([]);
    } finally {
      await page.close();
    }
  }, 120_000);

  it("trusted: every figure is drawn by plotly.js from the notebook itself; nothing loads from outside", async () => {
    const { page, errors } = await render(true);
    try {
      await page.waitForFunction(
        `document.querySelectorAll(".jp-OutputArea-output .js-plotly-plot").length >= ${names.length} && [...document.querySelectorAll(".js-plotly-plot")].every((p) => p.querySelector(".main-svg"))`,
        undefined,
        { timeout: 90_000 },
      );
      const plots = await page.evaluate<{ id: string; traces: string[]; images: number }[]>(`[...document.querySelectorAll(".js-plotly-plot")].map((p) => ({ id: p.id, traces: p.data.map((t) => t.type || "scatter"), images: p.querySelectorAll(".layer-above image, .imagelayer image, g.im image").length }))`);
      expect(plots.map((p) => p.id)).toEqual(names.map((n) => `latentlab-fixture-${n}`));
      expect(plots[0].traces).toContain("scatter");
      expect(plots[1].traces).toEqual(["heatmap"]);
      expect(plots[2].traces).toEqual(["image"]);
      expect(plots[2].images).toBe(1); // the PNG source drawn as one image
      // The interactive figures replaced the static images and notes.
      expect(await page.evaluate<number>(`document.querySelectorAll(".${FIGURE_NOTE_CLASS}").length`)).toBe(0);
      expect(await page.evaluate<number>(`document.querySelectorAll(".jp-OutputArea-output img").length`)).toBe(0);
      expect(offsite).toEqual([]);
      expect(errors).toEqual([]);
    } finally {
      await page.close();
    }
  }, 120_000);
});
