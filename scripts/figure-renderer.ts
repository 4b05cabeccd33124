/**
 * Plotly figure -> SVG and PNG, in one headless Chromium (playwright-core, no download: a
 * browser already on the machine). plotly.js is put into a blank page from node_modules;
 * every network request is refused, so nothing can come from a CDN.
 *
 * Deterministic output: plotly names clip paths and other ids with Lib.randstr(), which uses
 * Math.random. Before each figure, Math.random in the page is replaced by a small PRNG seeded
 * from the figure's notebook and name, so the same spec gives the same SVG bytes, whatever
 * the order of figures.
 */
import * as fs from "fs";
import { createHash } from "crypto";
import type { Figure } from "../src/plot/figure";
import { plotlySource } from "../src/plot/plotlyBundle";

/** Chromium flags, as measured in DESIGN.md (plus what playwright adds itself). */
export const CHROMIUM_FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];

/** Where we look for a browser, in order (LATENTLAB_CHROMIUM first, when set). */
export function chromiumCandidates(env: NodeJS.ProcessEnv = process.env): string[] {
  const list = [
    "/usr/bin/chromium",
    "/usr/bin/chromium-browser",
    "/usr/bin/google-chrome",
    "/usr/bin/google-chrome-stable",
    "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome",
    "/Applications/Chromium.app/Contents/MacOS/Chromium",
  ];
  return env.LATENTLAB_CHROMIUM ? [env.LATENTLAB_CHROMIUM, ...list] : list;
}

/** The first existing browser executable, or null with the list of paths tried. */
export function findChromium(env: NodeJS.ProcessEnv = process.env): { path: string | null; tried: string[] } {
  const tried = chromiumCandidates(env);
  if (env.LATENTLAB_CHROMIUM && !fs.existsSync(env.LATENTLAB_CHROMIUM)) {
    // An explicit choice that does not exist is an error in the setting, not a reason to pick another browser.
    return { path: null, tried: [env.LATENTLAB_CHROMIUM] };
  }
  for (const p of tried) if (fs.existsSync(p)) return { path: p, tried };
  return { path: null, tried };
}

export function noBrowserMessage(tried: string[], env: NodeJS.ProcessEnv = process.env): string {
  const what = env.LATENTLAB_CHROMIUM && tried.length === 1 ? `LATENTLAB_CHROMIUM=${env.LATENTLAB_CHROMIUM} does not exist` : `No Chromium/Chrome found (tried: ${tried.join(", ")})`;
  return (
    `${what}, so figures get no SVG/PNG.\n` +
    `Install one (Debian/Ubuntu: apt-get install chromium) or point LATENTLAB_CHROMIUM at a Chrome/Chromium executable.`
  );
}

export interface RenderSize {
  width: number;
  height: number;
  /** PNG pixel ratio (SVG ignores it). */
  scale: number;
}

export const DEFAULT_SIZE: RenderSize = { width: 800, height: 500, scale: 2 };

/**
 * Export presets (`npm run figures -- --size slide|paper`): every figure drawn at one size,
 * whatever its layout says, with a font size that reads at that size.
 *  - slide: 1280×720 (16:9, a full lecture slide), PNG at 1× (1280×720 pixels), 18 px text;
 *  - paper: 700×440 (one text column), PNG at 3× (about 300 dpi at 7 inches), 12 px text.
 */
export type SizePreset = "slide" | "paper";
export const SIZE_PRESETS: Record<SizePreset, RenderSize & { fontSize: number }> = {
  slide: { width: 1280, height: 720, scale: 1, fontSize: 18 },
  paper: { width: 700, height: 440, scale: 3, fontSize: 12 },
};

/** Export size: the preset's when given, else the layout's width/height when set (image grids set both), else 800x500. */
export function renderSize(fig: Figure, preset?: SizePreset): RenderSize {
  if (preset !== undefined) {
    const p = SIZE_PRESETS[preset];
    if (!p) throw new Error(`Unknown figure size preset ${JSON.stringify(preset)}: use "slide" (1280×720) or "paper" (700×440).`);
    return { width: p.width, height: p.height, scale: p.scale };
  }
  const l = (fig.layout ?? {}) as { width?: unknown; height?: unknown };
  return {
    width: typeof l.width === "number" ? l.width : DEFAULT_SIZE.width,
    height: typeof l.height === "number" ? l.height : DEFAULT_SIZE.height,
    scale: DEFAULT_SIZE.scale,
  };
}

/**
 * The spec as drawn for a preset: the preset's font size unless the figure set its own, and
 * the figure's width/height replaced by the preset's (toImage and the fit check set them).
 */
export function specForPreset(fig: Figure, preset?: SizePreset): Figure {
  if (preset === undefined) return fig;
  const p = SIZE_PRESETS[preset];
  const layout = { ...(fig.layout ?? {}) } as Record<string, unknown>;
  const font = { ...((layout.font as Record<string, unknown> | undefined) ?? {}) };
  if (font.size === undefined) font.size = p.fontSize;
  layout.font = font;
  delete layout.width;
  delete layout.height;
  return { ...fig, layout };
}

/** One text element of a drawn figure that does not fit inside the canvas. */
export interface FitProblem {
  /** What it is: "title", "x-axis title", "legend", "colorbar title", "annotation" (or "A overlapping B …"). */
  what: string;
  text: string;
  /** Its bounding box in canvas pixels. */
  box: { left: number; top: number; right: number; bottom: number };
}

function seedOf(key: string): number {
  return createHash("sha256").update(key).digest().readUInt32LE(0);
}

/**
 * The same SVG with every element's attributes in name order. plotly sets attributes in an
 * order that depends on what the page drew before (e.g. a legend's background rect), so two
 * renders of one spec can differ only in attribute order; this removes that difference.
 * XMLSerializer output escapes quotes inside values, so the regex sees whole attributes.
 */
export function canonicalSvg(svg: string): string {
  return svg.replace(/<([A-Za-z][\w:.-]*)((?:\s+[\w:.-]+="[^"]*")+)\s*(\/?)>/g, (_m, tag: string, attrs: string, close: string) => {
    const list = attrs.match(/[\w:.-]+="[^"]*"/g) ?? [];
    list.sort((a, b) => {
      const ka = a.slice(0, a.indexOf("="));
      const kb = b.slice(0, b.indexOf("="));
      return ka < kb ? -1 : ka > kb ? 1 : 0;
    });
    return `<${tag} ${list.join(" ")}${close}>`;
  });
}

const POINT = /<path class="point" d="([^"]*)" style="([^"]*)" transform="(translate\([^"()]*\))"\/>/g;

/**
 * The same drawing with scatter markers written once: plotly writes every marker as a full
 * `<path class="point" d style transform>` (about 180 bytes; a 7,680-point scatter is a 1.4 MB
 * SVG), and every marker of a trace has the same shape and style. Each distinct (d, style) becomes
 * one `<path id="pN">` in a `<defs>` after the opening tag, and each marker a
 * `<use class="point" transform xlink:href="#pN">` (about 60 bytes), which SVG draws exactly as
 * the path itself. Expects `canonicalSvg`'s attribute order; SVGs with fewer than `minPoints`
 * markers are returned unchanged. `expandSvgPoints` is the exact inverse.
 */
export function compactSvgPoints(svg: string, minPoints = 64): string {
  const count = svg.match(POINT)?.length ?? 0;
  if (count < minPoints || /<use class="point"/.test(svg)) return svg;
  const ids = new Map<string, string>();
  const body = svg.replace(POINT, (_m, d: string, style: string, transform: string) => {
    const key = `${d}\u0000${style}`;
    let id = ids.get(key);
    if (id === undefined) ids.set(key, (id = `p${ids.size}`));
    return `<use class="point" transform="${transform}" xlink:href="#${id}"/>`;
  });
  const defs = [...ids].map(([key, id]) => {
    const [d, style] = key.split("\u0000");
    return `<path d="${d}" id="${id}" style="${style}"/>`;
  });
  const open = body.indexOf(">", body.indexOf("<svg")) + 1;
  return `${body.slice(0, open)}<defs class="points">${defs.join("")}</defs>${body.slice(open)}`;
}

/** The inverse of `compactSvgPoints`: every marker written out in full again. */
export function expandSvgPoints(svg: string): string {
  const m = /<defs class="points">(.*?)<\/defs>/.exec(svg);
  if (!m) return svg;
  const defs = new Map<string, { d: string; style: string }>();
  for (const p of m[1].matchAll(/<path d="([^"]*)" id="([^"]*)" style="([^"]*)"\/>/g)) defs.set(p[2], { d: p[1], style: p[3] });
  return svg.replace(m[0], "").replace(/<use class="point" transform="([^"]*)" xlink:href="#([^"]*)"\/>/g, (_u, transform: string, id: string) => {
    const p = defs.get(id);
    if (!p) throw new Error(`expandSvgPoints: no marker definition #${id}`);
    return `<path class="point" d="${p.d}" style="${p.style}" transform="${transform}"/>`;
  });
}

// Minimal interfaces of the playwright objects we use, so this file type-checks on its own.
interface PwPage {
  setContent(html: string): Promise<void>;
  addScriptTag(o: { content: string }): Promise<unknown>;
  evaluate<R, A>(fn: (arg: A) => R | Promise<R>, arg: A): Promise<R>;
  route(url: string, handler: (route: { abort(): Promise<void> }) => Promise<void>): Promise<void>;
}
interface PwBrowser {
  newPage(): Promise<PwPage>;
  close(): Promise<void>;
}

/** One browser and one page with plotly.js loaded; render figures one after another. */
export class FigureRenderer {
  private constructor(
    private readonly browser: PwBrowser,
    private readonly page: PwPage,
  ) {}

  /**
   * Launch `executablePath` headless and load plotly.js into a blank page. playwright's
   * launch() gives the browser a fresh temporary profile (user-data-dir) and removes it on close.
   */
  static async launch(executablePath: string): Promise<FigureRenderer> {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { chromium } = require("playwright-core") as {
      chromium: {
        launch(o: { executablePath: string; args: string[]; headless: boolean }): Promise<PwBrowser>;
      };
    };
    const browser = await chromium.launch({ executablePath, args: CHROMIUM_FLAGS, headless: true });
    try {
      const page = await browser.newPage();
      await page.route("**/*", async (route) => route.abort());
      await page.setContent(`<!DOCTYPE html><html><head><meta charset="utf-8"></head><body></body></html>`);
      // Functions passed to page.evaluate may have been compiled by tsx/esbuild with keepNames,
      // which wraps named inner functions in __name(...): give the page that helper.
      await page.addScriptTag({ content: "window.__name = function (f) { return f; };" });
      await page.addScriptTag({ content: plotlySource() });
      const ok = await page.evaluate(() => typeof (window as unknown as { Plotly?: unknown }).Plotly === "object", undefined);
      if (!ok) throw new Error("plotly.js did not define window.Plotly in the headless page.");
      return new FigureRenderer(browser, page);
    } catch (e) {
      await browser.close();
      throw e;
    }
  }

  /** SVG text and PNG bytes of `fig`, drawn at `size`; `key` seeds plotly's ids (use "notebook/name"). */
  async render(fig: Figure, key: string, size: RenderSize = renderSize(fig)): Promise<{ svg: string; png: Buffer }> {
    const arg = { fig, seed: seedOf(key), size };
    const out = await this.page.evaluate(async ({ fig, seed, size }) => {
      const w = window as unknown as {
        Plotly: {
          toImage(gd: unknown, o: object): Promise<string>;
        };
      };
      // mulberry32: plotly's Math.random calls (ids of clip paths, gradients) become a fixed sequence.
      let a = seed >>> 0;
      Math.random = () => {
        a = (a + 0x6d2b79f5) >>> 0;
        let t = a;
        t = Math.imul(t ^ (t >>> 15), t | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
      };
      const spec = { data: fig.data, layout: { ...(fig.layout ?? {}), width: size.width, height: size.height }, config: { ...(fig.config ?? {}), staticPlot: true } };
      const svg = await w.Plotly.toImage(spec, { format: "svg", width: size.width, height: size.height, imageDataOnly: true });
      a = seed >>> 0;
      const png = await w.Plotly.toImage(spec, { format: "png", width: size.width, height: size.height, scale: size.scale, imageDataOnly: true });
      return { svg, png };
    }, arg);
    const svg = compactSvgPoints(canonicalSvg(out.svg.startsWith("<svg") ? out.svg : decodeURIComponent(out.svg)));
    return { svg, png: Buffer.from(out.png, "base64") };
  }

  /**
   * PNG bytes of `fig` alone, at `size` (e.g. a 1× rendering for a notebook's static image when
   * the 2× one is large). Same seeding as `render`, so the same spec gives the same bytes.
   */
  async png(fig: Figure, key: string, size: RenderSize): Promise<Buffer> {
    const arg = { fig, seed: seedOf(key), size };
    const out = await this.page.evaluate(async ({ fig, seed, size }) => {
      const w = window as unknown as { Plotly: { toImage(gd: unknown, o: object): Promise<string> } };
      let a = seed >>> 0;
      Math.random = () => {
        a = (a + 0x6d2b79f5) >>> 0;
        let t = a;
        t = Math.imul(t ^ (t >>> 15), t | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
      };
      const spec = { data: fig.data, layout: { ...(fig.layout ?? {}), width: size.width, height: size.height }, config: { ...(fig.config ?? {}), staticPlot: true } };
      return w.Plotly.toImage(spec, { format: "png", width: size.width, height: size.height, scale: size.scale, imageDataOnly: true });
    }, arg);
    return Buffer.from(out, "base64");
  }

  /**
   * Draw `fig` at `size` in the page (as a user would see it, not toImage) and list the titles,
   * axis titles, colorbar titles, legend and annotations whose boxes leave the canvas (by more
   * than half a pixel) or overlap one another (by more than 4 px each way). An empty list:
   * everything fits.
   */
  async checkFit(fig: Figure, key: string, size: { width: number; height: number }): Promise<FitProblem[]> {
    const arg = { fig, seed: seedOf(key), size };
    return this.page.evaluate(async ({ fig, seed, size }) => {
      const w = window as unknown as { Plotly: { newPlot(el: unknown, d: unknown, l: unknown, c: unknown): Promise<unknown>; purge(el: unknown): void } };
      let a = seed >>> 0;
      Math.random = () => {
        a = (a + 0x6d2b79f5) >>> 0;
        let t = a;
        t = Math.imul(t ^ (t >>> 15), t | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
      };
      const el = document.createElement("div");
      el.style.cssText = `position:absolute;left:0;top:0;width:${size.width}px;height:${size.height}px;`;
      document.body.appendChild(el);
      try {
        await w.Plotly.newPlot(el, fig.data, { ...(fig.layout ?? {}), width: size.width, height: size.height }, { ...(fig.config ?? {}), staticPlot: true, responsive: false });
        const canvas = (el.querySelector(".main-svg") as Element).getBoundingClientRect();
        const out: { what: string; text: string; box: { left: number; top: number; right: number; bottom: number } }[] = [];
        const drawn: { what: string; text: string; box: { left: number; top: number; right: number; bottom: number } }[] = [];
        const round = (b: { left: number; top: number; right: number; bottom: number }) => ({ left: Math.round(b.left), top: Math.round(b.top), right: Math.round(b.right), bottom: Math.round(b.bottom) });
        const check = (node: Element, what: string) => {
          const r = node.getBoundingClientRect();
          const text = (node.textContent ?? "").trim();
          if (r.width === 0 && r.height === 0) return; // not drawn (e.g. an empty title)
          const box = { left: r.left - canvas.left, top: r.top - canvas.top, right: r.right - canvas.left, bottom: r.bottom - canvas.top };
          drawn.push({ what, text, box });
          const tol = 0.5;
          if (box.left < -tol || box.top < -tol || box.right > size.width + tol || box.bottom > size.height + tol) {
            out.push({ what, text, box: round(box) });
          }
        };
        // Titles are drawn in the top-level SVG that holds infolayer (one per figure).
        el.querySelectorAll("text.gtitle").forEach((n) => check(n, "title"));
        el.querySelectorAll("text").forEach((n) => {
          const cls = n.getAttribute("class") ?? "";
          const m = /^([xy])(\d*)title$/.exec(cls);
          if (m) check(n, `${m[1]}${m[2]}-axis title`);
        });
        el.querySelectorAll(".cbtitle text, .cbtitle").forEach((n) => {
          if (n.tagName.toLowerCase() === "text") check(n, "colorbar title");
        });
        el.querySelectorAll("g.legend").forEach((n) => check(n, "legend"));
        el.querySelectorAll("g.annotation").forEach((n) => check(n, "annotation"));
        // Two labels drawn over each other (a title over a legend, an axis title over another
        // panel's title): overlapping by more than 4 px in both directions.
        for (let i = 0; i < drawn.length; i++) {
          for (let j = i + 1; j < drawn.length; j++) {
            const a = drawn[i].box;
            const b = drawn[j].box;
            if (drawn[i].what === "legend" && drawn[j].what === "legend") continue;
            if (drawn[i].text === "" || drawn[j].text === "") continue; // arrows (annotations without text)
            const w = Math.min(a.right, b.right) - Math.max(a.left, b.left);
            const h = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
            if (w > 4 && h > 4) {
              out.push({ what: `${drawn[i].what} overlapping ${drawn[j].what} "${drawn[j].text.slice(0, 40)}"`, text: drawn[i].text, box: round(a) });
            }
          }
        }
        return out;
      } finally {
        w.Plotly.purge(el);
        el.remove();
      }
    }, arg);
  }

  async close(): Promise<void> {
    await this.browser.close();
  }
}
