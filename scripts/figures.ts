/**
 * `npm run figures`: execute the lecture notebooks and export every figure they show.
 *
 *   npm run figures [-- <names…>] [--no-run] [--smoke] [--build DIR] [--out DIR] [--require-browser]
 *                   [--inline-plotly] [--size slide|paper]
 *
 * 1. Runs notebooks/*.ipynb (or the named ones) through the headless runner
 *    (kernel/run-notebooks.ts) into build/notebooks/NAME.ipynb. `--no-run` skips this and
 *    exports from the executed copies already there.
 * 2. Finds every output that `show(fig, name)` marked (metadata.latentlab.figure) and writes
 *    figures/<notebook>/<name>.svg, .png (headless Chromium) and .html (opens offline; all of
 *    them load the one figures/plotly.min.js, or with --inline-plotly each carries its own
 *    ~5 MB copy), figures/index.html (all figures, by notebook) and figures/manifest.json
 *    (notebook, name, files, sha256 of the spec). `--size slide` draws every figure at
 *    1280×720 with 18 px text (and reports any title or label that leaves the canvas),
 *    `--size paper` at 700×440, PNG at 3×.
 * 3. Rewrites each executed notebook's figure outputs so that they survive saving: the HTML
 *    carries the static image (SVG or PNG, whichever is smaller; a 1× PNG too when both are
 *    large, see STATIC_IMAGE_BUDGET) and a plain-text note on how
 *    to see the interactive figure, which sanitizing front ends (untrusted notebooks, GitHub,
 *    nbviewer) keep; the first figure carries plotly.js, no other output does.
 *
 * Nothing is lost on failure: the figures of a notebook are written beside the old ones and
 * replace them only when that notebook ran and exported cleanly; a notebook that failed keeps
 * its previous figures (and entries in the manifest and index).
 *
 * Same seed, same files: SVG/PNG are deterministic (see scripts/figure-renderer.ts), the
 * manifest holds no times. Exit codes: 0 all good; 1 a notebook failed or a figure problem
 * (everything that could be exported still is); 2 bad arguments. No browser: HTML, index and
 * manifest are still written, a warning says how to get SVG/PNG, and the exit code stays 0
 * (students without Chromium still get the interactive figures) unless --require-browser
 * (CI) makes it 1.
 */
import * as fs from "fs";
import * as path from "path";
import { extractFigures, type NotebookFigure, specSha256 } from "../src/plot/extract";
import { figureHtml, standaloneFigurePage, type StaticImage } from "../src/plot/html";
import { plotlySource } from "../src/plot/plotlyBundle";
import { PLOTLY_MIME } from "../src/plot/extract";
import { prepareFigure } from "../src/plot/prepare";
import type { Figure } from "../src/plot/figure";
import { FigureRenderer, findChromium, noBrowserMessage, renderSize, specForPreset, type RenderSize, type SizePreset } from "./figure-renderer";
import { isMainScript } from "../kernel/cli";

const ROOT = path.resolve(__dirname, "..");

export interface ManifestEntry {
  notebook: string;
  name: string;
  /** Paths relative to the figures folder. */
  files: { svg?: string; png?: string; html: string };
  /** SHA-256 of the spec's canonical JSON. */
  sha256: string;
  width: number;
  height: number;
}

export interface Manifest {
  figures: ManifestEntry[];
}

export interface ExportOptions {
  /** Executed notebooks to export (paths to .ipynb). */
  notebooks: string[];
  /** Output folder (default figures/). */
  outDir: string;
  /** Browser executable; undefined = search (findChromium); null = no browser (HTML only). */
  chromium?: string | null;
  /** "inline" (default): each .html carries plotly.js (~5 MB each); "shared": one plotly.min.js in outDir, referenced relatively. */
  htmlPlotly?: "inline" | "shared";
  /** Draw every figure at a preset size ("slide" 1280×720, "paper" 700×440) instead of its own. */
  size?: SizePreset;
  /** Rewrite the executed notebooks' figure outputs with their static images and notes (default false; `npm run figures` sets it). */
  embedInNotebooks?: boolean;
  log?: (line: string) => void;
}

export interface ExportResult {
  entries: ManifestEntry[];
  problems: string[];
  /** Set when SVG/PNG were skipped: why. */
  browserMissing?: string;
  /** With a size preset: titles, labels or legends that leave the canvas (warnings, not problems). */
  fitWarnings: string[];
  /** Executed notebooks rewritten with static images. */
  embedded: string[];
  seconds: number;
}

/** The smaller of the renderings (SVG, PNG, and a 1× PNG when given), as the static image a notebook output carries. */
export function pickStaticImage(svg: string, png: Buffer, width: number, height: number, png1x?: Buffer): StaticImage {
  const candidates: StaticImage[] = [
    { mime: "image/svg+xml", base64: Buffer.from(svg, "utf8").toString("base64"), width, height },
    { mime: "image/png", base64: png.toString("base64"), width, height },
  ];
  if (png1x) candidates.push({ mime: "image/png", base64: png1x.toString("base64"), width, height });
  return candidates.reduce((best, c) => (c.base64.length < best.base64.length ? c : best));
}

/**
 * Static images above this many base64 characters (~150 KB of image) are also drawn as a 1×
 * PNG, and the smallest rendering is embedded: a scatter of thousands of points or a large
 * image grid otherwise adds 300–400 KB of picture to every copy of the notebook.
 */
export const STATIC_IMAGE_BUDGET = 200_000;

/**
 * The static image a notebook output carries for a figure already rendered to `svg` and `png`
 * (at `size`): the smaller of the two, or when that exceeds STATIC_IMAGE_BUDGET, the smallest
 * of those and a 1× PNG drawn now. The same figure gives the same image.
 */
export async function notebookStaticImage(renderer: FigureRenderer, spec: Figure, key: string, size: RenderSize, svg: string, png: Buffer): Promise<StaticImage> {
  const first = pickStaticImage(svg, png, size.width, size.height);
  if (first.base64.length <= STATIC_IMAGE_BUDGET || size.scale <= 1) return first;
  return pickStaticImage(svg, png, size.width, size.height, await renderer.png(spec, key, { ...size, scale: 1 }));
}

interface LooseOutput {
  output_type?: string;
  data?: Record<string, unknown>;
  metadata?: Record<string, unknown>;
}

/** Text as nbformat stores multiline strings: lines that keep their "\n". */
function toLines(text: string): string[] {
  return text.split(/(?<=\n)/);
}

const PLOTLY_MARK = "window.PlotlyConfig";

/**
 * Rewrite the figure outputs of an executed notebook (parsed JSON, changed in place): each
 * figure's text/html is regenerated from its Plotly spec with `images.get(name)` as static
 * image (when there is one) and the plain-text note; the FIRST figure output carries plotly.js
 * and no other output does (so plotly.js is stored once, and a trusted notebook draws every
 * figure offline). Returns the number of figure outputs rewritten.
 */
export function embedStaticImages(nb: unknown, notebook: string, images: Map<string, StaticImage>): number {
  const cells = (nb as { cells?: Array<{ outputs?: LooseOutput[] }> })?.cells;
  if (!Array.isArray(cells)) return 0;
  let n = 0;
  let carrier = false;
  for (const cell of cells) {
    for (const out of cell.outputs ?? []) {
      if (out.output_type !== "display_data" && out.output_type !== "execute_result") continue;
      const meta = out.metadata?.latentlab as { figure?: unknown; notebook?: unknown } | undefined;
      const html = out.data?.["text/html"];
      const htmlText = Array.isArray(html) ? html.join("") : typeof html === "string" ? html : "";
      const spec = out.data?.[PLOTLY_MIME] as Figure | undefined;
      if (!meta || typeof meta.figure !== "string" || !spec || !Array.isArray(spec.data)) {
        if (htmlText.includes(PLOTLY_MARK)) {
          // plotly.js in an output that is not a figure: nothing to keep it for.
          out.data!["text/html"] = toLines(htmlText.replace(/<script type="text\/javascript">window\.PlotlyConfig[\s\S]*?delete window\.__latentlabDefine;<\/script>\n/, ""));
        }
        continue;
      }
      const name = meta.figure;
      const nbName = typeof meta.notebook === "string" ? meta.notebook : notebook;
      const prepared = prepareFigure(spec, name);
      out.data![PLOTLY_MIME] = { data: prepared.data, layout: prepared.layout ?? {}, config: prepared.config ?? {} };
      out.data!["text/html"] = toLines(figureHtml(prepared, name, { includePlotly: !carrier, notebook: nbName, staticImage: images.get(name) }));
      carrier = true;
      n++;
    }
  }
  return n;
}

/** Write `text` to `file` through a temporary file and a rename (never a half-written file). */
function writeAtomic(file: string, text: string | Buffer): void {
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, text);
  fs.renameSync(tmp, file);
}

function notebookName(file: string): string {
  return path.basename(file).replace(/\.ipynb$/, "");
}

function readManifest(file: string): Manifest {
  if (!fs.existsSync(file)) return { figures: [] };
  try {
    const m = JSON.parse(fs.readFileSync(file, "utf8")) as Manifest;
    return Array.isArray(m.figures) ? m : { figures: [] };
  } catch {
    return { figures: [] };
  }
}

function escapeHtml(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/** figures/index.html: every figure by notebook, as its SVG (or a link to its HTML). Small: no plotly.js. */
export function indexHtml(manifest: Manifest): string {
  const byNotebook = new Map<string, ManifestEntry[]>();
  for (const e of manifest.figures) byNotebook.set(e.notebook, [...(byNotebook.get(e.notebook) ?? []), e]);
  const sections = [...byNotebook.entries()].map(([nb, entries]) => {
    const items = entries.map((e) => {
      const img = e.files.svg ?? e.files.png;
      const links = [["html (interactive)", e.files.html], ["svg", e.files.svg], ["png", e.files.png]]
        .filter((l): l is [string, string] => l[1] !== undefined)
        .map(([label, href]) => `<a href="${escapeHtml(href)}">${label}</a>`)
        .join(" · ");
      return (
        `<figure id="${escapeHtml(`${nb}-${e.name}`)}">\n` +
        (img ? `<a href="${escapeHtml(e.files.html)}"><img src="${escapeHtml(img)}" alt="${escapeHtml(e.name)}" loading="lazy" style="max-width: 100%;"></a>\n` : `<p><em>no image (no browser when exported)</em></p>\n`) +
        `<figcaption><code>${escapeHtml(e.name)}</code> — ${links}</figcaption>\n</figure>`
      );
    });
    return `<section>\n<h2 id="${escapeHtml(nb)}">${escapeHtml(nb)}</h2>\n${items.join("\n")}\n</section>`;
  });
  const toc = [...byNotebook.keys()].map((nb) => `<li><a href="#${escapeHtml(nb)}">${escapeHtml(nb)}</a> (${byNotebook.get(nb)!.length})</li>`).join("\n");
  return (
    `<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>latentlab figures</title>\n` +
    `<style>body{font-family:sans-serif;max-width:1000px;margin:2em auto;padding:0 1em}figure{margin:1.5em 0;border-bottom:1px solid #ddd;padding-bottom:1em}figcaption{color:#555}</style>\n` +
    `</head>\n<body>\n<h1>latentlab figures</h1>\n<p>${manifest.figures.length} figures from ${byNotebook.size} notebook${byNotebook.size === 1 ? "" : "s"}, made by <code>npm run figures</code>.</p>\n` +
    `<ul>\n${toc}\n</ul>\n${sections.join("\n")}\n</body>\n</html>\n`
  );
}

/**
 * Export the figures of executed notebooks to `outDir`. Each exported notebook's figures are
 * written into a staging folder beside the old ones and replace its folder only when all of
 * them were written (no stale figures, and nothing deleted when the export fails half-way);
 * entries of other notebooks stay in the manifest and index, which are replaced atomically.
 * Never throws for notebook problems: see `problems`.
 */
export async function exportFigures(opts: ExportOptions): Promise<ExportResult> {
  const t0 = Date.now();
  const log = opts.log ?? ((l: string) => process.stdout.write(l + "\n"));
  const problems: string[] = [];
  const fitWarnings: string[] = [];
  const embedded: string[] = [];
  const found: NotebookFigure[] = [];
  const exported = new Map<string, { file: string; json: unknown; problems: number }>();
  for (const file of opts.notebooks) {
    const nb = notebookName(file);
    let json: unknown;
    try {
      json = JSON.parse(fs.readFileSync(file, "utf8"));
    } catch (e) {
      problems.push(`${file}: cannot read the executed notebook (${(e as Error).message}); its previous figures are kept.`);
      continue;
    }
    const r = extractFigures(json, nb);
    exported.set(nb, { file, json, problems: r.problems.length });
    found.push(...r.figures);
    problems.push(...r.problems);
  }

  let chromium = opts.chromium;
  let browserMissing: string | undefined;
  if (chromium === undefined) {
    const f = findChromium();
    chromium = f.path;
    if (!f.path) browserMissing = noBrowserMessage(f.tried);
  } else if (chromium === null) {
    browserMissing = "SVG/PNG export disabled (no browser given).";
  }
  let renderer: FigureRenderer | null = null;
  if (chromium && found.length > 0) {
    try {
      renderer = await FigureRenderer.launch(chromium);
    } catch (e) {
      browserMissing = `Could not start ${chromium} for SVG/PNG export: ${(e as Error).message.split("\n")[0]}`;
    }
  }

  const entries: ManifestEntry[] = [];
  const shared = opts.htmlPlotly === "shared";
  fs.mkdirSync(opts.outDir, { recursive: true });
  const staging = fs.mkdtempSync(path.join(opts.outDir, ".staging-"));
  const images = new Map<string, Map<string, StaticImage>>();
  const failedExport = new Set<string>();
  try {
    if (shared && found.length > 0) writeAtomic(path.join(opts.outDir, "plotly.min.js"), plotlySource());
    for (const nb of exported.keys()) fs.mkdirSync(path.join(staging, nb), { recursive: true });
    for (const f of found) {
      const rel = (ext: string) => `${f.notebook}/${f.name}.${ext}`;
      const spec = specForPreset(f.spec, opts.size);
      const size = renderSize(f.spec, opts.size);
      const entry: ManifestEntry = { notebook: f.notebook, name: f.name, files: { html: rel("html") }, sha256: specSha256(f.spec), width: size.width, height: size.height };
      try {
        fs.writeFileSync(path.join(staging, rel("html")), standaloneFigurePage(spec, f.name, f.notebook, shared ? "../plotly.min.js" : undefined));
      } catch (e) {
        problems.push(`${f.notebook}/${f.name}: cannot write its HTML: ${(e as Error).message}`);
        failedExport.add(f.notebook);
        continue;
      }
      if (renderer) {
        try {
          const { svg, png } = await renderer.render(spec, `${f.notebook}/${f.name}`, size);
          fs.writeFileSync(path.join(staging, rel("svg")), svg);
          fs.writeFileSync(path.join(staging, rel("png")), png);
          entry.files = { svg: rel("svg"), png: rel("png"), html: rel("html") };
          if (!images.has(f.notebook)) images.set(f.notebook, new Map());
          images.get(f.notebook)!.set(f.name, await notebookStaticImage(renderer, spec, `${f.notebook}/${f.name}`, size, svg, png));
          if (opts.size) {
            for (const p of await renderer.checkFit(spec, `${f.notebook}/${f.name}`, size)) {
              fitWarnings.push(`${f.notebook}/${f.name}: ${p.what} "${p.text.slice(0, 60)}" leaves the ${size.width}×${size.height} canvas (box [${p.box.left}, ${p.box.top}]–[${p.box.right}, ${p.box.bottom}])`);
            }
          }
        } catch (e) {
          problems.push(`${f.notebook}/${f.name}: SVG/PNG export failed: ${(e as Error).message.split("\n")[0]}`);
        }
      }
      entries.push(entry);
      log(`  ${f.notebook}/${f.name}${entry.files.svg ? "" : " (html only)"}`);
    }
    // Swap each notebook's folder in: old → trash, staged → place, trash removed.
    for (const nb of exported.keys()) {
      if (failedExport.has(nb)) continue;
      const place = path.join(opts.outDir, nb);
      const trash = path.join(staging, `.old-${nb}`);
      if (fs.existsSync(place)) fs.renameSync(place, trash);
      fs.renameSync(path.join(staging, nb), place);
    }
  } finally {
    if (renderer) await renderer.close();
    fs.rmSync(staging, { recursive: true, force: true });
  }

  // The executed notebooks: static images and the note inside each figure's HTML.
  if (opts.embedInNotebooks) {
    for (const [nb, { file, json }] of exported) {
      try {
        if (embedStaticImages(json, nb, images.get(nb) ?? new Map()) > 0) {
          writeAtomic(file, JSON.stringify(json, null, 1) + "\n");
          embedded.push(file);
        }
      } catch (e) {
        problems.push(`${file}: could not embed the static images: ${(e as Error).message}`);
      }
    }
  }

  const manifestFile = path.join(opts.outDir, "manifest.json");
  const done = new Set([...exported.keys()].filter((nb) => !failedExport.has(nb)));
  const old = readManifest(manifestFile).figures.filter((e) => !done.has(e.notebook));
  const all = [...old, ...entries.filter((e) => done.has(e.notebook))];
  const order = (e: ManifestEntry) => e.notebook;
  all.sort((a, b) => (order(a) < order(b) ? -1 : order(a) > order(b) ? 1 : 0)); // stable: keeps notebook order of appearance
  const manifest: Manifest = { figures: all };
  writeAtomic(manifestFile, JSON.stringify(manifest, null, 2) + "\n");
  writeAtomic(path.join(opts.outDir, "index.html"), indexHtml(manifest));
  return { entries, problems, browserMissing, fitWarnings, embedded, seconds: (Date.now() - t0) / 1000 };
}

const USAGE = `usage: npm run figures [-- <names…>] [--no-run] [--smoke] [--build DIR] [--out DIR] [--require-browser] [--inline-plotly] [--size slide|paper]
  names              notebooks to run and export ("03", "03-vae"; default: all)
  --no-run           do not execute: export from the executed copies in build/notebooks
  --smoke            execute with LATENTLAB_SMOKE=1 (quick, as in CI; figures from small runs)
  --build DIR        executed notebooks folder (default build/notebooks)
  --out DIR          figures folder (default figures)
  --require-browser  exit 1 when no Chromium is found (CI); default: warn, write HTML only
  --inline-plotly    each figure .html carries its own plotly.js (~5 MB each, opens alone);
                     default: they all load the one figures/plotly.min.js (keep the folder together)
  --size slide|paper draw every figure at a preset size: slide 1280×720 (18 px text; titles and
                     labels that leave the canvas are reported), paper 700×440 (PNG at 3×)`;

export interface CliArgs {
  names: string[];
  run: boolean;
  smoke: boolean;
  buildDir: string;
  outDir: string;
  requireBrowser: boolean;
  sharedPlotly: boolean;
  size?: SizePreset;
}

export function parseFigureArgs(argv: string[]): CliArgs {
  const a: CliArgs = { names: [], run: true, smoke: false, buildDir: path.join(ROOT, "build", "notebooks"), outDir: path.join(ROOT, "figures"), requireBrowser: false, sharedPlotly: true };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = (): string => {
      const eq = arg.indexOf("=");
      if (eq >= 0) return arg.slice(eq + 1);
      const v = argv[++i];
      if (v === undefined) throw new Error(`${arg} needs a value.\n${USAGE}`);
      return v;
    };
    if (arg === "--help" || arg === "-h") throw new Error(USAGE);
    else if (arg === "--no-run") a.run = false;
    else if (arg === "--smoke") a.smoke = true;
    else if (arg === "--require-browser") a.requireBrowser = true;
    else if (arg === "--shared-plotly") a.sharedPlotly = true;
    else if (arg === "--inline-plotly") a.sharedPlotly = false;
    else if (arg === "--size" || arg.startsWith("--size=")) {
      const v = value();
      if (v !== "slide" && v !== "paper") throw new Error(`--size must be "slide" or "paper", got ${JSON.stringify(v)}.\n${USAGE}`);
      a.size = v;
    }
    else if (arg === "--build" || arg.startsWith("--build=")) a.buildDir = path.resolve(value());
    else if (arg === "--out" || arg.startsWith("--out=")) a.outDir = path.resolve(value());
    else if (arg.startsWith("-")) throw new Error(`Unknown option ${arg}.\n${USAGE}`);
    else a.names.push(arg);
  }
  return a;
}

/** Executed notebooks in `buildDir` matching `names` (exact base name or unique prefix; none = all). */
export function executedNotebooks(buildDir: string, names: string[]): string[] {
  const all = fs.existsSync(buildDir) ? fs.readdirSync(buildDir).filter((f) => f.endsWith(".ipynb")).sort() : [];
  if (names.length === 0) return all.map((f) => path.join(buildDir, f));
  return names.map((n) => {
    const base = path.basename(n).replace(/\.ipynb$/, "");
    const exact = all.find((f) => f === `${base}.ipynb`);
    const pre = all.filter((f) => f.startsWith(base));
    const hit = exact ?? (pre.length === 1 ? pre[0] : undefined);
    if (!hit) {
      throw new Error(
        pre.length > 1
          ? `"${n}" matches several executed notebooks: ${pre.join(", ")}.`
          : `No executed notebook "${n}" in ${buildDir}; run it first (npm run figures -- ${n}, without --no-run).`,
      );
    }
    return path.join(buildDir, hit);
  });
}

async function main(): Promise<number> {
  const t0 = Date.now();
  let args: CliArgs;
  try {
    args = parseFigureArgs(process.argv.slice(2));
  } catch (e) {
    process.stderr.write((e as Error).message + "\n");
    return 2;
  }
  let failedNotebooks: string[] = [];
  let notebooks: string[];
  try {
    if (args.run) {
      const { runNotebooks } = await import("../kernel/run-notebooks");
      const results = await runNotebooks(args.names, { outDir: args.buildDir, smoke: args.smoke });
      failedNotebooks = results.filter((r) => !r.ok).map((r) => r.name);
      // A notebook that failed keeps its previous figures: export only those that ran through.
      notebooks = results.filter((r) => r.ok && fs.existsSync(r.outPath)).map((r) => r.outPath);
    } else {
      notebooks = executedNotebooks(args.buildDir, args.names);
    }
  } catch (e) {
    process.stderr.write((e as Error).message + "\n");
    return 2;
  }
  if (notebooks.length === 0) {
    if (failedNotebooks.length) process.stderr.write(`figures: notebooks failed: ${failedNotebooks.join(", ")}; their previous figures are kept.\n`);
    process.stderr.write(`figures: no executed notebooks to export (looked in ${path.relative(ROOT, args.buildDir)}).\n`);
    return args.run ? 1 : 2;
  }
  process.stdout.write(`figures: exporting from ${notebooks.length} executed notebook(s) to ${path.relative(ROOT, args.outDir) || args.outDir}/\n`);
  const r = await exportFigures({ notebooks, outDir: args.outDir, htmlPlotly: args.sharedPlotly ? "shared" : "inline", size: args.size, embedInNotebooks: true });
  for (const w of r.fitWarnings) process.stderr.write(`figures: does not fit: ${w}\n`);
  if (r.embedded.length) process.stdout.write(`figures: static images embedded in ${r.embedded.length} executed notebook(s)\n`);
  for (const p of r.problems) process.stderr.write(`figures: ${p}\n`);
  if (r.browserMissing) process.stderr.write(`figures: WARNING: ${r.browserMissing}\nfigures: wrote .html, index.html and manifest.json only.\n`);
  const images = r.entries.filter((e) => e.files.svg).length;
  process.stdout.write(
    `figures: ${r.entries.length} figures (${images} with SVG/PNG) from ${notebooks.length} notebook${notebooks.length === 1 ? "" : "s"}, export ${r.seconds.toFixed(1)} s, total ${((Date.now() - t0) / 1000).toFixed(1)} s. ` +
      `Open ${path.relative(ROOT, path.join(args.outDir, "index.html"))}.\n`,
  );
  if (failedNotebooks.length) process.stderr.write(`figures: notebooks failed: ${failedNotebooks.join(", ")} (their previous figures, if any, are kept).\n`);
  if (failedNotebooks.length || r.problems.length) return 1;
  if (r.browserMissing && args.requireBrowser) return 1;
  return 0;
}

const invokedDirectly = isMainScript(__filename);

if (invokedDirectly) {
  main().then(
    (code) => process.exit(code),
    (e) => {
      process.stderr.write(`figures: ${(e as Error).stack ?? e}\n`);
      process.exit(1);
    },
  );
}
