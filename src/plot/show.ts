/**
 * `show(fig, name)`: one notebook output per figure, carrying three representations:
 *
 * | MIME type | who renders it |
 * | --- | --- |
 * | application/vnd.plotly.v1+json | JupyterLab with the plotly extension, VS Code |
 * | text/html | classic Notebook and plain JupyterLab, offline (plotly.js inlined once per session) |
 * | text/plain | `<figure name: …>` for terminals and diffs |
 *
 * and the output metadata `{"latentlab": {"figure": name, "notebook": …}}` by which
 * `npm run figures` finds every shown figure in the executed notebooks.
 */
import { envNotebook, isHeadless } from "../runtime/env";
import type { Figure } from "./figure";
import { figureHtml } from "./html";
import { type DisplayContent, type WriteDisplayData, kernelWriter } from "./jupyter";
import { assertFigureName, describeFigure, prepareFigure } from "./prepare";

/** The notebook being executed, as the runner sets it (LATENTLAB_NOTEBOOK), or undefined. */
export function currentNotebook(): string | undefined {
  return envNotebook();
}

export interface FigureBundleOptions {
  /** Inline plotly.js in the text/html representation. */
  includePlotly: boolean;
  notebook?: string;
}

/**
 * The display_data content for a figure (pure: no kernel, no state). The spec in the bundle
 * is `prepareFigure(fig, name)`: titles normalised and trace uids fixed.
 */
export function figureBundle(fig: Figure, name: string, opts: FigureBundleOptions): DisplayContent {
  assertFigureName(name, "figureBundle");
  const spec = prepareFigure(fig, name);
  const latentlab: Record<string, string> = { figure: name };
  if (opts.notebook !== undefined) latentlab.notebook = opts.notebook;
  return {
    data: {
      "application/vnd.plotly.v1+json": { data: spec.data, layout: spec.layout ?? {}, config: spec.config ?? {} },
      "text/html": figureHtml(spec, name, { includePlotly: opts.includePlotly, notebook: opts.notebook }),
      "text/plain": `<figure ${name}: ${describeFigure(spec)}>`,
    },
    metadata: { latentlab },
    transient: {},
  };
}

interface Shown {
  writer: WriteDisplayData | null;
}

/** Names shown in this process (a kernel session), per notebook. */
const shown = new Map<string, Shown>();
/** Which shown figure carries plotly.js in its HTML (key into `shown`), if any. */
let plotlyCarrier: string | null = null;

/** Forget every shown name and the plotly.js carrier (tests; a fresh session). */
export function resetShownFigures(): void {
  shown.clear();
  plotlyCarrier = null;
}

/**
 * Display `fig` as the output of the current cell, under `name` (kebab-case, unique in the
 * notebook: it becomes figures/<notebook>/<name>.svg|png|html when `npm run figures` runs).
 *
 * Duplicate names throw: always outside a kernel and in headless runs (every cell runs once,
 * so a repeat is two figures fighting over one file), and inside one cell execution. When
 * you re-run a cell interactively its figure simply replaces the old output.
 *
 * Outside a Jupyter kernel (vitest, tsx) it prints one line instead of displaying.
 */
export function show(fig: Figure, name: string): void {
  assertFigureName(name, "show");
  const notebook = currentNotebook();
  const key = `${notebook ?? ""}\u0000${name}`;
  const writer = kernelWriter();
  const before = shown.get(key);
  if (before) {
    const interactiveRerun = writer !== null && before.writer !== writer && !isHeadless();
    if (!interactiveRerun) {
      throw new Error(
        `show(fig, "${name}"): a figure named "${name}" was already shown${notebook ? ` in notebook ${notebook}` : ""}` +
          `${writer !== null && before.writer === writer ? " by this same cell" : ""}. Figure names must be unique in a notebook ` +
          `(each becomes figures/${notebook ?? "<notebook>"}/${name}.svg); give this one another name.`,
      );
    }
  }
  // Validate and normalise before recording the name, so a bad spec can be fixed and re-shown.
  const includePlotly = writer !== null && (plotlyCarrier === null || plotlyCarrier === key);
  const bundle = figureBundle(fig, name, { includePlotly, notebook });
  shown.set(key, { writer });
  if (writer === null) {
    process.stdout.write(`[figure ${name}: ${describeFigure(fig)}; not in a Jupyter kernel, so not displayed]\n`);
    return;
  }
  if (includePlotly) plotlyCarrier = key;
  writer(bundle, false);
}

/** Display LaTeX math (text/latex; MathJax renders it). Bare math is wrapped in $$…$$. */
export function showLatex(tex: string): void {
  if (typeof tex !== "string") throw new Error(`showLatex: expected a string of LaTeX, got ${typeof tex}.`);
  const t = tex.trim();
  const delimited = t.startsWith("$") || t.startsWith("\\[") || t.startsWith("\\(") || t.startsWith("\\begin");
  const body = delimited ? t : `$$${t}$$`;
  showText({ "text/latex": body, "text/plain": body });
}

/** Display Markdown (text/markdown; $…$ math inside is rendered by MathJax). */
export function showMarkdown(md: string): void {
  if (typeof md !== "string") throw new Error(`showMarkdown: expected a string of Markdown, got ${typeof md}.`);
  showText({ "text/markdown": md, "text/plain": md });
}

function showText(data: Record<string, string>): void {
  const writer = kernelWriter();
  if (writer === null) {
    process.stdout.write(`${data["text/plain"]}\n`);
    return;
  }
  writer({ data, metadata: {}, transient: {} }, false);
}
