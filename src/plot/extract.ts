/**
 * Finding the figures in an executed notebook: every display output whose metadata carries
 * `latentlab.figure` (written by `show()`), with its Plotly spec.
 */
import { createHash } from "crypto";
import type { Figure } from "./figure";
import { assertFigureName, prepareFigure } from "./prepare";

export const PLOTLY_MIME = "application/vnd.plotly.v1+json";

export interface NotebookFigure {
  notebook: string;
  name: string;
  /** 0-based index of the cell that showed it. */
  cell: number;
  /** The spec, through prepareFigure (idempotent on what show() wrote). */
  spec: Figure;
}

interface LooseOutput {
  output_type?: string;
  data?: Record<string, unknown>;
  metadata?: Record<string, unknown>;
}

/**
 * The figures of notebook `notebook` (parsed .ipynb JSON), in order of appearance. Returns
 * the problems too (duplicate names, an output marked as a figure without a Plotly spec)
 * instead of throwing, so the exporter can write what is valid and then fail.
 */
export function extractFigures(nb: unknown, notebook: string): { figures: NotebookFigure[]; problems: string[] } {
  const figures: NotebookFigure[] = [];
  const problems: string[] = [];
  const cells = (nb as { cells?: Array<{ outputs?: LooseOutput[] }> })?.cells;
  if (!Array.isArray(cells)) return { figures, problems: [`${notebook}: not a notebook (no cells array).`] };
  const seen = new Map<string, number>();
  cells.forEach((cell, ci) => {
    for (const out of cell.outputs ?? []) {
      if (out.output_type !== "display_data" && out.output_type !== "execute_result") continue;
      const meta = out.metadata?.latentlab as { figure?: unknown } | undefined;
      if (!meta || meta.figure === undefined) continue;
      const name = meta.figure;
      try {
        assertFigureName(name, `${notebook}, cell ${ci}`);
      } catch (e) {
        problems.push((e as Error).message);
        continue;
      }
      const spec = out.data?.[PLOTLY_MIME] as Figure | undefined;
      if (!spec || !Array.isArray(spec.data)) {
        problems.push(`${notebook}, cell ${ci}: output for figure "${name}" has no ${PLOTLY_MIME} spec.`);
        continue;
      }
      if (seen.has(name)) {
        problems.push(`${notebook}: figure name "${name}" is used twice (cells ${seen.get(name)} and ${ci}); names must be unique in a notebook. Only the first is exported.`);
        continue;
      }
      seen.set(name, ci);
      try {
        figures.push({ notebook, name, cell: ci, spec: prepareFigure(spec, name) });
      } catch (e) {
        problems.push(`${notebook}, cell ${ci}: ${(e as Error).message}`);
      }
    }
  });
  return { figures, problems };
}

/** Key-sorted JSON, so the hash does not depend on property order. */
export function canonicalJson(x: unknown): string {
  if (Array.isArray(x)) return `[${x.map(canonicalJson).join(",")}]`;
  if (x !== null && typeof x === "object") {
    const o = x as Record<string, unknown>;
    return `{${Object.keys(o)
      .sort()
      .filter((k) => o[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`)
      .join(",")}}`;
  }
  return JSON.stringify(x);
}

/** SHA-256 (hex) of a figure spec's canonical JSON. */
export function specSha256(spec: Figure): string {
  return createHash("sha256").update(canonicalJson(spec)).digest("hex");
}
