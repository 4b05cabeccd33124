/**
 * `npm run figures`: execute the lecture notebooks and export every figure they show.
 *
 *   npm run figures [-- <names…>] [--no-run] [--smoke] [--build DIR] [--out DIR] [--require-browser] [--shared-plotly]
 *
 * 1. Runs notebooks/*.ipynb (or the named ones) through the headless runner
 *    (kernel/run-notebooks.ts) into build/notebooks/NAME.ipynb. `--no-run` skips this and
 *    exports from the executed copies already there.
 * 2. Finds every output that `show(fig, name)` marked (metadata.latentlab.figure) and writes
 *    figures/<notebook>/<name>.svg, .png (headless Chromium) and .html (self-contained,
 *    plotly.js inlined, opens offline), figures/index.html (all figures, by notebook) and
 *    figures/manifest.json (notebook, name, files, sha256 of the spec).
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
import { standaloneFigurePage } from "../src/plot/html";
import { plotlySource } from "../src/plot/plotlyBundle";
import { FigureRenderer, findChromium, noBrowserMessage, renderSize } from "./figure-renderer";
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
  log?: (line: string) => void;
}

export interface ExportResult {
  entries: ManifestEntry[];
  problems: string[];
  /** Set when SVG/PNG were skipped: why. */
  browserMissing?: string;
  seconds: number;
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
 * Export the figures of executed notebooks to `outDir`. Each exported notebook's folder is
 * replaced (no stale figures); entries of other notebooks stay in the manifest and index.
 * Never throws for notebook problems: see `problems`.
 */
export async function exportFigures(opts: ExportOptions): Promise<ExportResult> {
  const t0 = Date.now();
  const log = opts.log ?? ((l: string) => process.stdout.write(l + "\n"));
  const problems: string[] = [];
  const found: NotebookFigure[] = [];
  const exported = new Set<string>();
  for (const file of opts.notebooks) {
    const nb = notebookName(file);
    exported.add(nb);
    let json: unknown;
    try {
      json = JSON.parse(fs.readFileSync(file, "utf8"));
    } catch (e) {
      problems.push(`${file}: cannot read the executed notebook (${(e as Error).message}).`);
      continue;
    }
    const r = extractFigures(json, nb);
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
  const sharedFile = path.join(opts.outDir, "plotly.min.js");
  if (shared && found.length > 0) {
    fs.mkdirSync(opts.outDir, { recursive: true });
    fs.writeFileSync(sharedFile, plotlySource());
  }
  try {
    for (const nb of exported) fs.rmSync(path.join(opts.outDir, nb), { recursive: true, force: true });
    for (const f of found) {
      const dir = path.join(opts.outDir, f.notebook);
      fs.mkdirSync(dir, { recursive: true });
      const rel = (ext: string) => `${f.notebook}/${f.name}.${ext}`;
      const size = renderSize(f.spec);
      const entry: ManifestEntry = { notebook: f.notebook, name: f.name, files: { html: rel("html") }, sha256: specSha256(f.spec), width: size.width, height: size.height };
      fs.writeFileSync(path.join(opts.outDir, rel("html")), standaloneFigurePage(f.spec, f.name, f.notebook, shared ? "../plotly.min.js" : undefined));
      if (renderer) {
        try {
          const { svg, png } = await renderer.render(f.spec, `${f.notebook}/${f.name}`, size);
          fs.writeFileSync(path.join(opts.outDir, rel("svg")), svg);
          fs.writeFileSync(path.join(opts.outDir, rel("png")), png);
          entry.files = { svg: rel("svg"), png: rel("png"), html: rel("html") };
        } catch (e) {
          problems.push(`${f.notebook}/${f.name}: SVG/PNG export failed: ${(e as Error).message.split("\n")[0]}`);
        }
      }
      entries.push(entry);
      log(`  ${f.notebook}/${f.name}${entry.files.svg ? "" : " (html only)"}`);
    }
  } finally {
    if (renderer) await renderer.close();
  }

  const manifestFile = path.join(opts.outDir, "manifest.json");
  const old = readManifest(manifestFile).figures.filter((e) => !exported.has(e.notebook));
  const all = [...old, ...entries];
  const order = (e: ManifestEntry) => e.notebook;
  all.sort((a, b) => (order(a) < order(b) ? -1 : order(a) > order(b) ? 1 : 0)); // stable: keeps notebook order of appearance
  const manifest: Manifest = { figures: all };
  fs.mkdirSync(opts.outDir, { recursive: true });
  fs.writeFileSync(manifestFile, JSON.stringify(manifest, null, 2) + "\n");
  fs.writeFileSync(path.join(opts.outDir, "index.html"), indexHtml(manifest));
  return { entries, problems, browserMissing, seconds: (Date.now() - t0) / 1000 };
}

const USAGE = `usage: npm run figures [-- <names…>] [--no-run] [--smoke] [--build DIR] [--out DIR] [--require-browser] [--shared-plotly]
  names              notebooks to run and export ("03", "03-vae"; default: all)
  --no-run           do not execute: export from the executed copies in build/notebooks
  --smoke            execute with LATENTLAB_SMOKE=1 (quick, as in CI; figures from small runs)
  --build DIR        executed notebooks folder (default build/notebooks)
  --out DIR          figures folder (default figures)
  --require-browser  exit 1 when no Chromium is found (CI); default: warn, write HTML only
  --shared-plotly    figure .html files load one figures/plotly.min.js instead of inlining
                     plotly.js (~5 MB) each; still offline, but the folder must stay together`;

export interface CliArgs {
  names: string[];
  run: boolean;
  smoke: boolean;
  buildDir: string;
  outDir: string;
  requireBrowser: boolean;
  sharedPlotly: boolean;
}

export function parseFigureArgs(argv: string[]): CliArgs {
  const a: CliArgs = { names: [], run: true, smoke: false, buildDir: path.join(ROOT, "build", "notebooks"), outDir: path.join(ROOT, "figures"), requireBrowser: false, sharedPlotly: false };
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
      notebooks = results.filter((r) => fs.existsSync(r.outPath)).map((r) => r.outPath);
    } else {
      notebooks = executedNotebooks(args.buildDir, args.names);
    }
  } catch (e) {
    process.stderr.write((e as Error).message + "\n");
    return 2;
  }
  if (notebooks.length === 0) {
    process.stderr.write(`figures: no executed notebooks to export (looked in ${path.relative(ROOT, args.buildDir)}).\n`);
    return args.run ? 1 : 2;
  }
  process.stdout.write(`figures: exporting from ${notebooks.length} executed notebook(s) to ${path.relative(ROOT, args.outDir) || args.outDir}/\n`);
  const r = await exportFigures({ notebooks, outDir: args.outDir, htmlPlotly: args.sharedPlotly ? "shared" : "inline" });
  for (const p of r.problems) process.stderr.write(`figures: ${p}\n`);
  if (r.browserMissing) process.stderr.write(`figures: WARNING: ${r.browserMissing}\nfigures: wrote .html, index.html and manifest.json only.\n`);
  const images = r.entries.filter((e) => e.files.svg).length;
  process.stdout.write(
    `figures: ${r.entries.length} figures (${images} with SVG/PNG) from ${notebooks.length} notebook${notebooks.length === 1 ? "" : "s"}, export ${r.seconds.toFixed(1)} s, total ${((Date.now() - t0) / 1000).toFixed(1)} s. ` +
      `Open ${path.relative(ROOT, path.join(args.outDir, "index.html"))}.\n`,
  );
  if (failedNotebooks.length) process.stderr.write(`figures: notebooks failed: ${failedNotebooks.join(", ")} (their figures up to the failure were exported).\n`);
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
