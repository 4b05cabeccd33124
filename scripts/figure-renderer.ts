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

/** Export size: the layout's width/height when set (image grids set both), else 800x500. */
export function renderSize(fig: Figure): RenderSize {
  const l = (fig.layout ?? {}) as { width?: unknown; height?: unknown };
  return {
    width: typeof l.width === "number" ? l.width : DEFAULT_SIZE.width,
    height: typeof l.height === "number" ? l.height : DEFAULT_SIZE.height,
    scale: DEFAULT_SIZE.scale,
  };
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
    const svg = canonicalSvg(out.svg.startsWith("<svg") ? out.svg : decodeURIComponent(out.svg));
    return { svg, png: Buffer.from(out.png, "base64") };
  }

  async close(): Promise<void> {
    await this.browser.close();
  }
}
