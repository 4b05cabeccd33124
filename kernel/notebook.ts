/**
 * nbformat 4.5 notebooks: read, turn kernel messages into cell outputs, write.
 * https://nbformat.readthedocs.io/en/latest/format_description.html
 */
import { randomBytes } from "crypto";
import * as fs from "fs";
import * as path from "path";
import type { IopubMessage } from "./client";

export type MultilineString = string | string[];

export type Output =
  | { output_type: "stream"; name: "stdout" | "stderr"; text: MultilineString }
  | { output_type: "display_data"; data: Record<string, unknown>; metadata: Record<string, unknown> }
  | {
      output_type: "execute_result";
      execution_count: number | null;
      data: Record<string, unknown>;
      metadata: Record<string, unknown>;
    }
  | { output_type: "error"; ename: string; evalue: string; traceback: string[] };

export interface Cell {
  id?: string;
  cell_type: "code" | "markdown" | "raw";
  source: MultilineString;
  metadata: Record<string, unknown>;
  execution_count?: number | null;
  outputs?: Output[];
  attachments?: Record<string, unknown>;
}

export interface Notebook {
  nbformat: number;
  nbformat_minor: number;
  metadata: Record<string, unknown>;
  cells: Cell[];
}

export function joinSource(s: MultilineString): string {
  return Array.isArray(s) ? s.join("") : s;
}

const CELL_TYPES = ["code", "markdown", "raw"];

function isMultiline(v: unknown): v is MultilineString {
  return typeof v === "string" || (Array.isArray(v) && v.every((x) => typeof x === "string"));
}

function typeOf(v: unknown): string {
  return v === null ? "null" : Array.isArray(v) ? "an array" : typeof v;
}

/**
 * Read a notebook; checks it is nbformat 4 with well-formed cells (an object per cell, a known
 * cell_type, a source that is a string or a list of strings) and gives every cell an id
 * (nbformat 4.5). Every problem is an Error naming the file, the cell and what to do.
 */
export function readNotebook(file: string): Notebook {
  let parsed: unknown;
  try {
    parsed = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (e) {
    throw new Error(`${file} is not a readable notebook (JSON): ${(e as Error).message}`);
  }
  const fix = `Open it in JupyterLab and save it again, or restore it from git.`;
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    throw new Error(`${file}: a notebook is a JSON object with "nbformat" and "cells", found ${typeOf(parsed)}. ${fix}`);
  }
  const nb = parsed as Notebook;
  if (nb.nbformat !== 4 || !Array.isArray(nb.cells)) {
    throw new Error(
      `${file}: expected an nbformat 4 notebook with a "cells" list, found nbformat ${JSON.stringify(nb.nbformat)} and cells ${typeOf(nb.cells)}. ` +
        `Convert it with "jupyter nbconvert --to notebook".`,
    );
  }
  if (nb.metadata !== undefined && (nb.metadata === null || typeof nb.metadata !== "object" || Array.isArray(nb.metadata))) {
    throw new Error(`${file}: "metadata" must be an object, found ${typeOf(nb.metadata)}. ${fix}`);
  }
  nb.cells.forEach((cell: unknown, i: number) => {
    const at = `${file}: cell ${i}`;
    if (cell === null || typeof cell !== "object" || Array.isArray(cell)) throw new Error(`${at} must be an object, found ${typeOf(cell)}. ${fix}`);
    const c = cell as Record<string, unknown>;
    if (!CELL_TYPES.includes(c.cell_type as string)) {
      throw new Error(`${at}: cell_type must be one of ${CELL_TYPES.join(", ")}, found ${JSON.stringify(c.cell_type)}. ${fix}`);
    }
    if (!isMultiline(c.source)) {
      throw new Error(`${at} (${c.cell_type}): source must be a string or a list of strings, found ${typeOf(c.source)}. ${fix}`);
    }
    if (c.metadata !== undefined && (c.metadata === null || typeof c.metadata !== "object")) {
      throw new Error(`${at}: metadata must be an object, found ${typeOf(c.metadata)}. ${fix}`);
    }
    if (c.id !== undefined && typeof c.id !== "string") throw new Error(`${at}: id must be a string, found ${typeOf(c.id)}. ${fix}`);
  });
  const seen = new Set<string>();
  for (const cell of nb.cells) {
    if (!cell.id || seen.has(cell.id)) cell.id = randomBytes(4).toString("hex");
    seen.add(cell.id);
    cell.metadata ??= {};
  }
  nb.nbformat_minor = Math.max(nb.nbformat_minor ?? 0, 5);
  nb.metadata ??= {};
  return nb;
}

/** "a\nb\n" -> ["a\n", "b\n"], as Python's str.splitlines(keepends=True). */
export function splitLines(text: MultilineString): string[] {
  if (Array.isArray(text)) return text;
  return text.match(/[^\n]*\n|[^\n]+$/g) ?? [];
}

const SPLIT_MIMES = new Set(["application/javascript", "image/svg+xml"]);

function splitBundle(data: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(data)) {
    out[k] = typeof v === "string" && (k.startsWith("text/") || SPLIT_MIMES.has(k)) ? splitLines(v) : v;
  }
  return out;
}

/** The notebook in the on-disk form nbformat writes: multiline strings as lists of lines. */
export function toDiskForm(nb: Notebook): Notebook {
  return {
    ...nb,
    cells: nb.cells.map((cell) => {
      const c: Cell = { ...cell, source: splitLines(cell.source) };
      if (cell.outputs) {
        c.outputs = cell.outputs.map((o): Output => {
          if (o.output_type === "stream") return { ...o, text: splitLines(o.text) };
          if (o.output_type === "display_data" || o.output_type === "execute_result") return { ...o, data: splitBundle(o.data) };
          return o;
        });
      }
      return c;
    }),
  };
}

/**
 * Write a notebook as Jupyter does (lines split, indent 1, trailing newline). The file is
 * written beside its final name and renamed into place, so an interrupted write never leaves a
 * truncated notebook; a folder that cannot be written is an Error that names it.
 */
export function writeNotebook(file: string, nb: Notebook): void {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(tmp, JSON.stringify(toDiskForm(nb), null, 1) + "\n");
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw new Error(`Cannot write the executed notebook ${file}: ${(e as Error).message}. Pick a writable folder with --out DIR.`);
  }
}

/**
 * Collects one notebook's outputs from IOPub messages, as JupyterLab/nbclient would:
 * consecutive stream outputs of the same name merge, update_display_data rewrites every
 * output holding that display id (in any cell), clear_output (wait or not) is honoured.
 */
export class OutputCollector {
  private readonly displays = new Map<string, Array<{ data: Record<string, unknown>; metadata: Record<string, unknown> }>>();
  private clearPending = false;

  constructor(private outputs: Output[]) {}

  /** Start collecting into another cell's outputs (display ids stay known across cells). */
  setCell(outputs: Output[]): void {
    this.outputs = outputs;
    this.clearPending = false;
  }

  add(msg: IopubMessage): void {
    const c = msg.content as Record<string, any>;
    const type = msg.header.msg_type;
    if (type === "clear_output") {
      if (c.wait) this.clearPending = true;
      else this.outputs.length = 0;
      return;
    }
    if (type === "update_display_data") {
      const id = c.transient?.display_id as string | undefined;
      for (const out of (id && this.displays.get(id)) || []) {
        out.data = c.data ?? {};
        out.metadata = c.metadata ?? {};
      }
      return;
    }
    let out: Output | null = null;
    if (type === "stream") {
      const name = c.name === "stderr" ? "stderr" : "stdout";
      this.flushClear();
      const last = this.outputs[this.outputs.length - 1];
      if (last && last.output_type === "stream" && last.name === name) {
        last.text = joinSource(last.text) + String(c.text ?? "");
        return;
      }
      out = { output_type: "stream", name, text: String(c.text ?? "") };
    } else if (type === "display_data") {
      out = { output_type: "display_data", data: c.data ?? {}, metadata: c.metadata ?? {} };
    } else if (type === "execute_result") {
      out = { output_type: "execute_result", execution_count: c.execution_count ?? null, data: c.data ?? {}, metadata: c.metadata ?? {} };
    } else if (type === "error") {
      out = { output_type: "error", ename: String(c.ename ?? ""), evalue: String(c.evalue ?? ""), traceback: (c.traceback ?? []).map(String) };
    }
    if (!out) return; // execute_input, comm messages, …: not outputs
    this.flushClear();
    this.outputs.push(out);
    const id = c.transient?.display_id as string | undefined;
    if (id && (out.output_type === "display_data" || out.output_type === "execute_result")) {
      const list = this.displays.get(id) ?? [];
      list.push(out);
      this.displays.set(id, list);
    }
  }

  private flushClear(): void {
    if (this.clearPending) {
      this.outputs.length = 0;
      this.clearPending = false;
    }
  }
}
