/**
 * HTML for a Plotly figure that renders offline: in classic Notebook, in JupyterLab without
 * the plotly extension, and as a standalone page. Deterministic: the same figure and name
 * give the same bytes (element ids derive from the names, nothing random or timed).
 */
import type { Figure, Trace } from "./figure";
import { plotlySource } from "./plotlyBundle";

/** JSON that is safe inside an inline <script>: no "</script", no U+2028/2029 surprises. */
export function scriptJson(x: unknown): string {
  return JSON.stringify(x)
    .replace(/</g, "\\u003c")
    .replace(/>/g, "\\u003e")
    .replace(/\u2028/g, "\\u2028")
    .replace(/\u2029/g, "\\u2029");
}

/** The id of a figure's <div>: "latentlab-<notebook>-<name>", from names only. */
export function figureDivId(name: string, notebook?: string): string {
  const nb = (notebook ?? "").replace(/[^A-Za-z0-9_-]/g, "_");
  return nb ? `latentlab-${nb}-${name}` : `latentlab-${name}`;
}

/**
 * plotly.js inlined in <script> elements, run with `window.define` hidden: classic Notebook
 * has require.js, and a UMD bundle that sees `define.amd` registers itself as an anonymous
 * AMD module instead of setting `window.Plotly` (and require.js then complains about a
 * mismatched anonymous define). Restored right after, even if the bundle throws.
 */
export function plotlyScriptTags(): string {
  return (
    `<script type="text/javascript">window.PlotlyConfig = {MathJaxConfig: "local"};` +
    `window.__latentlabDefine = window.define; window.define = undefined;</script>\n` +
    `<script type="text/javascript">${plotlySource()}</script>\n` +
    `<script type="text/javascript">window.define = window.__latentlabDefine; delete window.__latentlabDefine;</script>\n`
  );
}

/**
 * A large heatmap of whole numbers 0…255 stored in the figure's script as base64 bytes instead
 * of JSON numbers (about 3× smaller); `unpackTrace` in the page restores it. (Grey image grids
 * from `imageGrid` arrive here already as PNG image traces, see prepareFigure.)
 */
export function packTrace(t: Trace): Trace {
  const z = t.z;
  if (t.type !== "heatmap" || !Array.isArray(z) || z.length === 0 || !z.every((r) => Array.isArray(r))) return t;
  const rows = z as unknown[][];
  const cols = rows[0].length;
  if (rows.length * cols < 4096 || !rows.every((r) => r.length === cols)) return t;
  const bytes = Buffer.alloc(rows.length * cols);
  for (let i = 0; i < rows.length; i++) {
    for (let j = 0; j < cols; j++) {
      const v = rows[i][j];
      if (typeof v !== "number" || !Number.isInteger(v) || v < 0 || v > 255) return t;
      bytes[i * cols + j] = v;
    }
  }
  return { ...t, z: { latentlabBytes: bytes.toString("base64"), rows: rows.length, cols } };
}

/** The page-side inverse of packTrace (plain ES5, runs in any front end). */
export const UNPACK_SOURCE =
  `function unpackTrace(t) {` +
  ` var z = t && t.z; if (!z || typeof z.latentlabBytes !== "string") return t;` +
  ` var bin = atob(z.latentlabBytes), out = [], k = 0;` +
  ` for (var i = 0; i < z.rows; i++) { var row = new Array(z.cols); for (var j = 0; j < z.cols; j++) row[j] = bin.charCodeAt(k++); out.push(row); }` +
  ` var copy = {}; for (var key in t) copy[key] = t[key]; copy.z = out; return copy; }`;

/** A static rendering of a figure, embedded in its HTML for front ends that do not run scripts. */
export interface StaticImage {
  mime: "image/svg+xml" | "image/png";
  /** The image bytes, base64. */
  base64: string;
  /** CSS pixels (the size it was drawn at). */
  width: number;
  height: number;
}

export interface FigureHtmlOptions {
  /** Inline plotly.js before the figure (the first figure of a kernel session, or a standalone page). */
  includePlotly: boolean;
  /** Notebook name, part of the element id (two notebooks open in one JupyterLab page). */
  notebook?: string;
  /** Fixed height in px when the layout does not set one (default 450, Plotly's own). */
  height?: number;
  /** A static image shown until (and unless) the script draws the interactive figure. */
  staticImage?: StaticImage;
}

/** The class of the text that says how to see the interactive figure (removed when it draws). */
export const FIGURE_NOTE_CLASS = "latentlab-figure-note";

/**
 * The text shown where scripts do not run (an untrusted notebook in classic Notebook or
 * JupyterLab, GitHub, nbviewer without scripts): plain text, so it survives HTML sanitizing.
 */
export function figureNote(name: string, hasImage: boolean): string {
  const what = hasImage ? `Static image of figure "${name}".` : `Interactive figure "${name}" (Plotly) is not drawn here.`;
  return (
    `${what} For the interactive version, trust this notebook (classic Notebook: File → Trust Notebook; ` +
    `JupyterLab: the command "Trust Notebook") or re-run this cell.`
  );
}

/**
 * A <div> with the figure's static image (when given) and a note in plain text, plus a script
 * that replaces both by the interactive Plotly figure once `window.Plotly` exists. Where
 * scripts are removed (untrusted notebooks) the image and the note stay. Expects `fig` already
 * passed through prepareFigure. The script waits up to 30 s for plotly.js (loaded by the
 * first figure of the session) and otherwise writes a message saying what to do.
 */
export function figureHtml(fig: Figure, name: string, opts: FigureHtmlOptions): string {
  const id = figureDivId(name, opts.notebook);
  const layoutHeight = (fig.layout as { height?: unknown } | undefined)?.height;
  const height = typeof layoutHeight === "number" ? layoutHeight : (opts.height ?? 450);
  const layoutWidth = (fig.layout as { width?: unknown } | undefined)?.width;
  const width = typeof layoutWidth === "number" ? `${layoutWidth}px` : "100%";
  const config = { responsive: true, displaylogo: false, ...(fig.config ?? {}) };
  const draw =
    `(function () {\n` +
    `  var id = ${scriptJson(id)};\n` +
    `  var fig = ${scriptJson({ data: fig.data.map(packTrace), layout: fig.layout ?? {}, config })};\n` +
    `  ${UNPACK_SOURCE}\n` +
    `  fig.data = fig.data.map(unpackTrace);\n` +
    `  function target() {\n` +
    `    var all = document.querySelectorAll('[id="' + id + '"]');\n` +
    `    for (var i = all.length - 1; i >= 0; i--) if (!all[i].getAttribute("data-drawn")) return all[i];\n` +
    `    return null;\n` +
    `  }\n` +
    `  var tries = 0;\n` +
    `  function draw() {\n` +
    `    var el = target();\n` +
    `    if (!el) return;\n` +
    `    if (window.Plotly) {\n` +
    `      el.setAttribute("data-drawn", "1");\n` +
    `      el.innerHTML = "";\n` +
    `      el.style.height = ${scriptJson(`${height}px`)};\n` +
    `      window.Plotly.newPlot(el, fig.data, fig.layout, fig.config);\n` +
    `      return;\n` +
    `    }\n` +
    `    if (++tries < 600) { setTimeout(draw, 50); return; }\n` +
    `    el.setAttribute("data-drawn", "1");\n` +
    `    var note = el.querySelector(".${FIGURE_NOTE_CLASS}");\n` +
    `    if (note) note.textContent = "plotly.js is not loaded in this page: the first figure of the kernel session carries it. Re-run that cell (or restart the kernel and run all).";\n` +
    `  }\n` +
    `  draw();\n` +
    `})();`;
  const img = opts.staticImage;
  const image = img
    ? `<img src="data:${img.mime};base64,${img.base64}" alt="${escapeHtml(`figure ${name}`)}" width="${img.width}" height="${img.height}" style="max-width: 100%; height: auto;">\n`
    : "";
  return (
    (opts.includePlotly ? plotlyScriptTags() : "") +
    `<div id="${id}" class="latentlab-figure" style="width: ${width}; min-height: 2em;">\n` +
    image +
    `<p class="${FIGURE_NOTE_CLASS}" style="font-size: 85%; color: #555;">${escapeHtml(figureNote(name, img !== undefined))}</p>\n` +
    `</div>\n` +
    `<script type="text/javascript">\n${draw}\n</script>\n`
  );
}

function escapeHtml(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/**
 * A complete HTML page showing one figure that opens offline: plotly.js inlined (self-contained,
 * ~5 MB), or, with `plotlySrc`, loaded from that relative path (e.g. "../plotly.min.js").
 */
export function standaloneFigurePage(fig: Figure, name: string, notebook?: string, plotlySrc?: string): string {
  const title = notebook ? `${notebook} / ${name}` : name;
  const plotly = plotlySrc ? `<script type="text/javascript" src="${escapeHtml(plotlySrc)}"></script>\n` : "";
  return (
    `<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>${escapeHtml(title)}</title>\n${plotly}</head>\n<body>\n` +
    figureHtml(fig, name, { includePlotly: !plotlySrc, notebook }) +
    `</body>\n</html>\n`
  );
}
