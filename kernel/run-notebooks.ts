/**
 * The headless notebook runner: executes notebooks in the latentlab kernel, cell by cell, and
 * writes executed copies to build/notebooks/NAME.ipynb. Node only (no Python, no Jupyter).
 *
 *   npm run notebooks [-- <names…>] [--timeout S] [--out DIR] [--smoke] [--echo]
 *
 * Names: "03", "03-vae", "03-vae.ipynb" or a path; none = every notebooks/*.ipynb. Stops a
 * notebook at its first failing cell (tslab aborts later requests anyway), reports the cell,
 * its source and the kernel's error text, goes on with the next notebook, exits 1 if any failed.
 *
 * Programmatic use (e.g. scripts/figures.ts): `await runNotebooks(["03"], { env: {...} })`.
 * Importing this module starts nothing.
 */
import * as fs from "fs";
import * as path from "path";
import { describeExit, ExecuteOutcome, IopubMessage, KernelClient, PROJECT_ROOT } from "./client";
import { Cell, joinSource, Notebook, Output, OutputCollector, readNotebook, writeNotebook } from "./notebook";
import { isMainScript } from "./cli";

export const NOTEBOOKS_DIR = path.join(PROJECT_ROOT, "notebooks");
export const DEFAULT_OUT_DIR = path.join(PROJECT_ROOT, "build", "notebooks");
export const DEFAULT_CELL_TIMEOUT_SECONDS = 600;

export interface RunOptions {
  /** Where executed copies go (default build/notebooks). */
  outDir?: string;
  /** Where bare names are looked up (default notebooks/). */
  notebooksDir?: string;
  /** Per-cell timeout in seconds (default $LATENTLAB_CELL_TIMEOUT or 600). */
  timeoutSeconds?: number;
  /** Extra environment for the kernel (on top of process.env, LATENTLAB_HEADLESS, LATENTLAB_NOTEBOOK). */
  env?: Record<string, string | undefined>;
  /** Set LATENTLAB_SMOKE=1 in the kernel. */
  smoke?: boolean;
  /** Progress lines (default: stderr). Pass `() => {}` for silence. */
  log?: (line: string) => void;
  /** Called for every IOPub output message of every cell, as it arrives (e.g. to echo stdout). */
  onMessage?: (notebook: string, cellIndex: number, msg: IopubMessage) => void;
  /** Echo the cells' stdout/stderr to this process's stderr while they run. */
  echo?: boolean;
  /** Seconds to wait for a kernel to start (default 120: the first start may rebuild lib/). */
  startTimeoutSeconds?: number;
}

export type NotebookStatus = "ok" | "error" | "timeout" | "died" | "failed-to-start" | "unreadable";

export interface CellFailure {
  /** 0-based index in nb.cells (all cells, markdown included). */
  index: number;
  /** 1-based number among code cells, as a person counts them. */
  codeCellNumber: number;
  id: string;
  sourceExcerpt: string;
  /** The kernel's error text: the cell's stderr (tslab), or ename/evalue/traceback. */
  errorText: string;
}

export interface NotebookResult {
  /** Base name without .ipynb, e.g. "03-vae". */
  name: string;
  path: string;
  /** The executed copy (written even when a cell fails). */
  outPath: string;
  status: NotebookStatus;
  ok: boolean;
  /** Code cells in the notebook / code cells executed successfully. */
  codeCells: number;
  executedCells: number;
  seconds: number;
  /** Seconds from kernel start to kernel ready. */
  startSeconds: number;
  /** The kernel's process id (it is gone when runNotebook returns). */
  kernelPid?: number;
  /** What went wrong, in words: notebook, cell, source excerpt, error text. */
  message?: string;
  failure?: CellFailure;
}

/** Resolve names ("03", "03-vae", "03-vae.ipynb", a path) to notebook files; none = all, sorted. */
export function resolveNotebooks(names: string[], dir = NOTEBOOKS_DIR): string[] {
  const all = fs.existsSync(dir)
    ? fs
        .readdirSync(dir)
        .filter((f) => f.endsWith(".ipynb") && !f.startsWith("."))
        .sort()
    : [];
  if (names.length === 0) return all.map((f) => path.join(dir, f));
  return names.map((name) => {
    if (name.endsWith(".ipynb") && fs.existsSync(name)) return path.resolve(name);
    const base = path.basename(name).replace(/\.ipynb$/, "");
    const exact = all.find((f) => f === base + ".ipynb");
    if (exact) return path.join(dir, exact);
    const prefixed = all.filter((f) => f.startsWith(base));
    if (prefixed.length === 1) return path.join(dir, prefixed[0]);
    const known = all.length ? all.map((f) => f.replace(/\.ipynb$/, "")).join(", ") : "(none)";
    throw new Error(
      prefixed.length > 1
        ? `"${name}" matches several notebooks: ${prefixed.join(", ")}. Give more of the name.`
        : `No notebook "${name}" in ${dir}. Notebooks: ${known}.`,
    );
  });
}

function excerpt(source: string, maxLines = 8): string {
  const lines = source.replace(/\s+$/, "").split("\n");
  const shown = lines.slice(0, maxLines).map((l) => "    " + l);
  if (lines.length > maxLines) shown.push(`    … (${lines.length - maxLines} more lines)`);
  return shown.join("\n");
}

function tail(text: string, maxLines = 40): string {
  const lines = text.replace(/\s+$/, "").split("\n");
  return (lines.length > maxLines ? ["…", ...lines.slice(-maxLines)] : lines).join("\n");
}

function errorTextOf(outputs: Output[], stderr: string): string {
  const errs = outputs.filter((o): o is Extract<Output, { output_type: "error" }> => o.output_type === "error");
  const fromError = errs.map((e) => [`${e.ename}: ${e.evalue}`, ...e.traceback].join("\n")).join("\n");
  return [stderr.trim(), fromError.trim()].filter(Boolean).join("\n") || "(the kernel reported an error but wrote no error text)";
}

function defaultTimeout(): number {
  const env = Number(process.env.LATENTLAB_CELL_TIMEOUT);
  return Number.isFinite(env) && env > 0 ? env : DEFAULT_CELL_TIMEOUT_SECONDS;
}

/** Execute one notebook in a fresh kernel. Never throws for notebook problems: see the result. */
export async function runNotebook(file: string, opts: RunOptions = {}): Promise<NotebookResult> {
  const log = opts.log ?? ((l: string) => process.stderr.write(l + "\n"));
  const name = path.basename(file).replace(/\.ipynb$/, "");
  const outPath = path.join(opts.outDir ?? DEFAULT_OUT_DIR, name + ".ipynb");
  const timeoutSeconds = opts.timeoutSeconds ?? defaultTimeout();
  const t0 = Date.now();
  const result: NotebookResult = {
    name,
    path: file,
    outPath,
    status: "ok",
    ok: true,
    codeCells: 0,
    executedCells: 0,
    seconds: 0,
    startSeconds: 0,
  };
  const finish = (status: NotebookStatus, message?: string): NotebookResult => {
    result.status = status;
    result.ok = status === "ok";
    result.message = message;
    result.seconds = (Date.now() - t0) / 1000;
    return result;
  };

  let nb: Notebook;
  try {
    nb = readNotebook(file);
  } catch (e) {
    return finish("unreadable", (e as Error).message);
  }
  const codeCells = nb.cells.filter((c) => c.cell_type === "code");
  result.codeCells = codeCells.length;
  for (const cell of codeCells) {
    cell.outputs = [];
    cell.execution_count = null;
  }

  let kernel: KernelClient;
  try {
    kernel = await KernelClient.start({
      cwd: path.dirname(file),
      env: {
        ...opts.env,
        ...(opts.smoke ? { LATENTLAB_SMOKE: "1" } : {}),
        LATENTLAB_HEADLESS: "1",
        LATENTLAB_NOTEBOOK: name,
      },
      startTimeoutSeconds: opts.startTimeoutSeconds,
      onLog: opts.echo ? (t) => process.stderr.write(t) : undefined,
    });
  } catch (e) {
    writeNotebook(outPath, nb);
    return finish("failed-to-start", `${name}: the kernel did not start: ${(e as Error).message}`);
  }
  result.startSeconds = (Date.now() - t0) / 1000;
  log(`${name}: kernel ready in ${result.startSeconds.toFixed(1)} s; running ${codeCells.length} code cells`);
  result.kernelPid = kernel.pid;

  const collector = new OutputCollector([]);
  let codeNumber = 0;
  try {
    for (let index = 0; index < nb.cells.length; index++) {
      const cell: Cell = nb.cells[index];
      if (cell.cell_type !== "code") continue;
      codeNumber++;
      const source = joinSource(cell.source);
      if (source.trim() === "") {
        result.executedCells++;
        continue; // as nbclient: blank cells are not sent
      }
      const outputs: Output[] = [];
      cell.outputs = outputs;
      collector.setCell(outputs);
      const outcome = await kernel
        .execute(source, {
        timeoutSeconds,
        onMessage: (m) => {
          collector.add(m);
          opts.onMessage?.(name, index, m);
          if (opts.echo && m.header.msg_type === "stream") process.stderr.write(String(m.content.text ?? ""));
        },
        })
        .catch(
          (e: Error): ExecuteOutcome => ({
            status: kernel.exitInfo ? "died" : "error",
            executionCount: null,
            messages: [],
            stderr: `lost contact with the kernel: ${e.message}`,
            message: "error",
            seconds: 0,
          }),
        );
      cell.execution_count = outcome.executionCount;
      if (outcome.status === "ok") {
        result.executedCells++;
        continue;
      }
      const failure: CellFailure = {
        index,
        codeCellNumber: codeNumber,
        id: cell.id ?? "",
        sourceExcerpt: excerpt(source),
        errorText: outcome.status === "died" ? tail(outcome.stderr + "\n" + kernel.log) : errorTextOf(outputs, outcome.stderr),
      };
      result.failure = failure;
      const where = `${name}: code cell ${codeNumber} (cell index ${index}, id ${failure.id})`;
      let headline: string;
      let status: NotebookStatus;
      if (outcome.status === "died") {
        status = "died";
        headline = `${name}: kernel died with ${describeExit(kernel.exitInfo?.code ?? null, kernel.exitInfo?.signal ?? null)} while running code cell ${codeNumber} (cell index ${index}, id ${failure.id})`;
      } else if (outcome.status === "timeout") {
        status = "timeout";
        headline = `${where} ${outcome.message} (per-cell timeout: --timeout S or LATENTLAB_CELL_TIMEOUT)`;
      } else {
        status = "error";
        headline = `${where} failed${outcome.status === "abort" ? " (aborted by the kernel)" : ""}`;
      }
      const message = `${headline}\n  source:\n${failure.sourceExcerpt}\n  error:\n${tail(failure.errorText)
        .split("\n")
        .map((l) => "    " + l)
        .join("\n")}`;
      return finish(status, message);
    }
    return finish("ok");
  } finally {
    await kernel.shutdown();
    writeNotebook(outPath, nb);
    log(`${name}: ${result.status} (${result.executedCells}/${result.codeCells} code cells, ${((Date.now() - t0) / 1000).toFixed(1)} s) -> ${path.relative(process.cwd(), outPath) || outPath}`);
  }
}

/** Execute notebooks one after another (each in its own kernel). Resolves names as `resolveNotebooks`. */
export async function runNotebooks(names: string[], opts: RunOptions = {}): Promise<NotebookResult[]> {
  const files = resolveNotebooks(names, opts.notebooksDir);
  const results: NotebookResult[] = [];
  for (const f of files) {
    const r = await runNotebook(f, opts);
    if (!r.ok && r.message) (opts.log ?? ((l: string) => process.stderr.write(l + "\n")))(r.message);
    results.push(r);
  }
  return results;
}

/** A plain-text summary table: notebook, cells, seconds, status. */
export function summaryTable(results: NotebookResult[]): string {
  const rows = [
    ["notebook", "cells", "seconds", "status"],
    ...results.map((r) => [r.name, `${r.executedCells}/${r.codeCells}`, r.seconds.toFixed(1), r.status]),
  ];
  const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => row[i].length)));
  const fmt = (row: string[]) => row.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ");
  return [fmt(rows[0]), widths.map((w) => "-".repeat(w)).join("  "), ...rows.slice(1).map(fmt)].join("\n");
}

const USAGE = `usage: npm run notebooks [-- <names…>] [--timeout S] [--out DIR] [--smoke] [--echo]
  names      "03", "03-vae", "03-vae.ipynb" or a path (default: every notebooks/*.ipynb)
  --timeout  per-cell timeout in seconds (default $LATENTLAB_CELL_TIMEOUT or ${DEFAULT_CELL_TIMEOUT_SECONDS})
  --out      where executed copies go (default build/notebooks)
  --smoke    set LATENTLAB_SMOKE=1 (shrunken runs, as in CI)
  --echo     show the cells' stdout/stderr while they run`;

export function parseArgs(argv: string[]): { names: string[]; opts: RunOptions } {
  const names: string[] = [];
  const opts: RunOptions = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = (flag: string): string => {
      const eq = a.indexOf("=");
      if (eq >= 0) return a.slice(eq + 1);
      const v = argv[++i];
      if (v === undefined) throw new Error(`${flag} needs a value.\n${USAGE}`);
      return v;
    };
    if (a === "--help" || a === "-h") throw new Error(USAGE);
    else if (a === "--timeout" || a.startsWith("--timeout=")) {
      const t = Number(value("--timeout"));
      if (!(t > 0)) throw new Error(`--timeout must be a positive number of seconds.\n${USAGE}`);
      opts.timeoutSeconds = t;
    } else if (a === "--out" || a.startsWith("--out=")) opts.outDir = path.resolve(value("--out"));
    else if (a === "--smoke") opts.smoke = true;
    else if (a === "--echo") opts.echo = true;
    else if (a.startsWith("-")) throw new Error(`Unknown option ${a}.\n${USAGE}`);
    else names.push(a);
  }
  return { names, opts };
}

async function main(): Promise<number> {
  let parsed: ReturnType<typeof parseArgs>;
  let results: NotebookResult[];
  try {
    parsed = parseArgs(process.argv.slice(2));
    results = await runNotebooks(parsed.names, parsed.opts);
  } catch (e) {
    const help = (e as Error).message === USAGE;
    (help ? process.stdout : process.stderr).write((e as Error).message + "\n");
    return help ? 0 : 2;
  }
  if (results.length === 0) {
    process.stderr.write(`No notebooks in ${NOTEBOOKS_DIR}.\n`);
    return 0;
  }
  process.stdout.write("\n" + summaryTable(results) + "\n");
  const failed = results.filter((r) => !r.ok);
  if (failed.length > 0) {
    process.stdout.write(`\n${failed.length} of ${results.length} notebooks failed: ${failed.map((r) => r.name).join(", ")}\n`);
    return 1;
  }
  return 0;
}

const invokedDirectly = isMainScript(__filename);

if (invokedDirectly) {
  main().then(
    (code) => {
      process.exitCode = code;
    },
    (e) => {
      process.stderr.write(String((e as Error)?.stack ?? e) + "\n");
      process.exitCode = 1;
    },
  );
}
