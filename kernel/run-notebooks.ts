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
 * Faults it reports instead of hiding: a promise rejection nobody handled or an exception thrown
 * later by a cell's timer fails the notebook at the cell that started it (kernel/cell-guard.js);
 * a malformed notebook is reported by file and cell and the other notebooks still run; a cell
 * whose final "idle" the kernel dropped ends after a short grace with a note that its output may
 * be incomplete. SIGINT, SIGTERM or SIGHUP to the runner — or the death of the npm/tsx process
 * that started it — stops the run: the kernel and everything it started are killed, the
 * connection file is deleted, the running notebook's partial copy is written and marked
 * interrupted (metadata.latentlab.interrupted), and the exit code is 128 + the signal number.
 *
 * Programmatic use (e.g. scripts/figures.ts): `await runNotebooks(["03"], { env: {...} })`.
 * Importing this module starts nothing.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { checkEnvironment, envCellTimeoutSeconds } from "../src/runtime/env";
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
  /**
   * Stops the run when aborted (the CLI aborts it on SIGINT/SIGTERM/SIGHUP): the kernel is
   * killed, the partial copy is written marked interrupted, no further notebook starts. The
   * abort reason (e.g. "SIGTERM") is recorded in the copy.
   */
  signal?: AbortSignal;
  /** Seconds to wait for a cell's final idle once its reply is in (default 2; see ExecuteOptions). */
  idleGraceSeconds?: number;
}

export type NotebookStatus = "ok" | "error" | "timeout" | "died" | "failed-to-start" | "unreadable" | "interrupted";

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
  /** Things that did not fail the notebook but lost something (e.g. output the kernel dropped). */
  warnings?: string[];
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
  // A value that is not a positive number is an InputError naming LATENTLAB_CELL_TIMEOUT.
  return envCellTimeoutSeconds() ?? DEFAULT_CELL_TIMEOUT_SECONDS;
}

/** A fault the kernel reported later than the cell that caused it (kernel/cell-guard.js). */
interface LateFault {
  kind: string;
  /** Execution count of the cell that started the timer/promise, or null (no cell). */
  count: number | null;
  text: string;
}

const FAULT_LINE = /^latentlab: (unhandled promise rejection|uncaught exception) from (?:the cell run as \[(\d+)\]|code outside any cell): /m;

/** Faults in a stream text: each starts at a "latentlab: … from the cell run as [N]:" line. */
function faultsIn(text: string): LateFault[] {
  const out: LateFault[] = [];
  const re = new RegExp(FAULT_LINE.source, "gm");
  let m: RegExpExecArray | null;
  const starts: Array<{ index: number; kind: string; count: number | null }> = [];
  while ((m = re.exec(text))) starts.push({ index: m.index, kind: m[1], count: m[2] !== undefined ? Number(m[2]) : null });
  starts.forEach((st, i) => {
    const end = i + 1 < starts.length ? starts[i + 1].index : text.length;
    out.push({ kind: st.kind, count: st.count, text: text.slice(st.index, end).trimEnd() });
  });
  return out;
}

/**
 * Refuse an output folder that would overwrite source notebooks (e.g. `--out notebooks`), and
 * check it can be written, before any kernel starts.
 */
export function checkOutDir(outDir: string, files: string[]): void {
  const real = (p: string) => {
    try {
      return fs.realpathSync(p);
    } catch {
      return path.resolve(p);
    }
  };
  const out = real(outDir);
  for (const f of files) {
    if (real(path.dirname(f)) === out) {
      throw new Error(
        `--out ${outDir} is the folder of ${path.basename(f)}: the executed copies (with outputs) would overwrite the source notebooks. ` +
          `Pick another folder (the default is ${path.relative(process.cwd(), DEFAULT_OUT_DIR) || DEFAULT_OUT_DIR}).`,
      );
    }
  }
  try {
    fs.mkdirSync(outDir, { recursive: true });
    fs.accessSync(outDir, fs.constants.W_OK);
    if (!fs.statSync(outDir).isDirectory()) throw new Error("not a directory");
  } catch (e) {
    throw new Error(`--out ${outDir} cannot be written (${(e as Error).message}). Pick a writable folder with --out DIR.`);
  }
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
    warnings: [],
  };
  const warnings = result.warnings!;
  const finish = (status: NotebookStatus, message?: string): NotebookResult => {
    result.status = status;
    result.ok = status === "ok";
    result.message = message;
    result.seconds = (Date.now() - t0) / 1000;
    return result;
  };

  if (opts.signal?.aborted) return finish("interrupted", `${name}: not started (${String(opts.signal.reason ?? "interrupted")})`);
  let nb: Notebook;
  try {
    nb = readNotebook(file);
  } catch (e) {
    return finish("unreadable", (e as Error).message);
  }
  const interruptedBy = () => String(opts.signal?.reason ?? "an interrupt");
  const markInterrupted = (cellIndex: number | null, codeNumber: number | null) => {
    const meta = (nb.metadata.latentlab ?? {}) as Record<string, unknown>;
    meta.interrupted = { by: interruptedBy(), codeCell: codeNumber, cellIndex };
    nb.metadata.latentlab = meta;
    if (cellIndex !== null) {
      const outs = (nb.cells[cellIndex].outputs ??= []);
      outs.push({ output_type: "stream", name: "stderr", text: `[latentlab runner] interrupted by ${interruptedBy()} while this cell ran; the notebook was not finished.\n` });
    }
  };
  const codeCells = nb.cells.filter((c) => c.cell_type === "code");
  result.codeCells = codeCells.length;
  for (const cell of codeCells) {
    cell.outputs = [];
    cell.execution_count = null;
  }

  const faults: LateFault[] = [];
  const noteFaults = (text: string) => {
    if (text.includes("latentlab: ")) faults.push(...faultsIn(text));
  };
  let kernel: KernelClient;
  try {
    kernel = await KernelClient.start({
      signal: opts.signal,
      onStray: (m) => {
        if (m.header.msg_type === "stream") noteFaults(String(m.content.text ?? ""));
      },
      cwd: path.dirname(file),
      env: {
        ...opts.env,
        ...(opts.smoke ? { LATENTLAB_SMOKE: "1" } : {}),
        LATENTLAB_HEADLESS: "1",
        LATENTLAB_NOTEBOOK: name,
      },
      startTimeoutSeconds: opts.startTimeoutSeconds,
      onLog: (t) => {
        noteFaults(t);
        if (opts.echo) process.stderr.write(t);
      },
    });
  } catch (e) {
    const interrupted = opts.signal?.aborted === true;
    if (interrupted) markInterrupted(null, null);
    try {
      writeNotebook(outPath, nb);
    } catch (w) {
      warnings.push((w as Error).message);
    }
    return interrupted
      ? finish("interrupted", `${name}: interrupted by ${interruptedBy()} while the kernel was starting`)
      : finish("failed-to-start", `${name}: the kernel did not start: ${(e as Error).message}`);
  }
  const onAbort = () => void kernel.shutdown({ graceful: false });
  opts.signal?.addEventListener("abort", onAbort, { once: true });
  result.startSeconds = (Date.now() - t0) / 1000;
  log(`${name}: kernel ready in ${result.startSeconds.toFixed(1)} s; running ${codeCells.length} code cells`);
  result.kernelPid = kernel.pid;

  const collector = new OutputCollector([]);
  let codeNumber = 0;
  /** Cell index and code-cell number by execution count, for faults reported later. */
  const byCount = new Map<number, { index: number; codeNumber: number }>();
  let lastCount = 0;
  /** Fail the notebook for the first late fault: at the cell that started it. */
  const lateFault = (runningCode: number | null): NotebookResult | null => {
    if (faults.length === 0) return null;
    const described = faults.map((f) => {
      const cell = f.count !== null ? byCount.get(f.count) : undefined;
      const index = cell?.index ?? -1;
      const num = cell?.codeNumber ?? runningCode ?? 0;
      const c = index >= 0 ? nb.cells[index] : null;
      const later = runningCode !== null && runningCode !== num ? ` (it surfaced while code cell ${runningCode} ran)` : "";
      if (c) {
        (c.outputs ??= []).push({ output_type: "stream", name: "stderr", text: `[latentlab runner] ${f.kind} raised by this cell${later}:\n${f.text}\n` });
      }
      const where = c ? `code cell ${num} (cell index ${index}, id ${c.id ?? ""})` : `code outside any cell`;
      const hint = f.kind.startsWith("unhandled")
        ? "a promise nobody awaited rejected; await it (or add .catch)"
        : "a callback it scheduled (a timer, an event) threw; catch the error inside the callback";
      return { f, index, num, c, headline: `${name}: ${where}: ${f.kind}${later}: ${hint}` };
    });
    const first = described[0];
    const source = first.c ? joinSource(first.c.source) : "";
    result.failure = { index: first.index, codeCellNumber: first.num, id: first.c?.id ?? "", sourceExcerpt: excerpt(source), errorText: first.f.text };
    const more = described.slice(1).map((d) => `\n  also: ${d.headline}: ${d.f.text.split("\n")[0]}`).join("");
    const message = `${first.headline}\n  source:\n${excerpt(source)}\n  error:\n${tail(first.f.text)
      .split("\n")
      .map((l) => "    " + l)
      .join("\n")}${more}`;
    return finish("error", message);
  };
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
      byCount.set(lastCount + 1, { index, codeNumber }); // the count tslab gives this request
      const outcome = await kernel
        .execute(source, {
          timeoutSeconds,
          idleGraceSeconds: opts.idleGraceSeconds,
          onMessage: (m) => {
            collector.add(m);
            opts.onMessage?.(name, index, m);
            if (m.header.msg_type === "stream") {
              const text = String(m.content.text ?? "");
              noteFaults(text);
              if (opts.echo) process.stderr.write(text);
            }
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
      if (outcome.executionCount !== null) {
        byCount.delete(lastCount + 1);
        byCount.set(outcome.executionCount, { index, codeNumber });
        lastCount = outcome.executionCount;
      } else {
        lastCount++;
      }
      if (opts.signal?.aborted) {
        markInterrupted(index, codeNumber);
        return finish("interrupted", `${name}: interrupted by ${interruptedBy()} while running code cell ${codeNumber} (cell index ${index}, id ${cell.id ?? ""})`);
      }
      if (outcome.outputLost) {
        const note = `${name}: code cell ${codeNumber} (cell index ${index}): ${outcome.outputLost}.`;
        outputs.push({ output_type: "stream", name: "stderr", text: `[latentlab runner] ${outcome.outputLost}.\n` });
        warnings.push(note);
        log(note);
      }
      if (outcome.status === "ok") {
        result.executedCells++;
        const late = lateFault(codeNumber);
        if (late) return late;
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
    // Faults a cell's promises or timers raise right after it ends still count (a short settle).
    await new Promise((r) => setTimeout(r, 300));
    const late = lateFault(null);
    if (late) return late;
    return finish("ok");
  } catch (e) {
    // Never let one notebook stop the run: an unexpected error is this notebook's failure.
    if (opts.signal?.aborted) {
      markInterrupted(null, null);
      return finish("interrupted", `${name}: interrupted by ${interruptedBy()}`);
    }
    return finish("error", `${name}: the runner failed: ${(e as Error).stack ?? e}`);
  } finally {
    opts.signal?.removeEventListener("abort", onAbort);
    await kernel.shutdown();
    try {
      writeNotebook(outPath, nb);
    } catch (e) {
      warnings.push((e as Error).message);
      if (result.ok) {
        result.ok = false;
        result.status = "error";
        result.message = (e as Error).message;
      }
    }
    log(`${name}: ${result.status} (${result.executedCells}/${result.codeCells} code cells, ${((Date.now() - t0) / 1000).toFixed(1)} s) -> ${path.relative(process.cwd(), outPath) || outPath}`);
  }
}

/** Execute notebooks one after another (each in its own kernel). Resolves names as `resolveNotebooks`. */
export async function runNotebooks(names: string[], opts: RunOptions = {}): Promise<NotebookResult[]> {
  const files = resolveNotebooks(names, opts.notebooksDir);
  checkOutDir(opts.outDir ?? DEFAULT_OUT_DIR, files);
  const results: NotebookResult[] = [];
  for (const f of files) {
    if (opts.signal?.aborted) break;
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
      const raw = value("--timeout");
      const t = Number(raw);
      if (raw.trim() === "" || !Number.isFinite(t) || !(t > 0)) throw new Error(`--timeout must be a positive number of seconds, got "${raw}".\n${USAGE}`);
      opts.timeoutSeconds = t;
    } else if (a === "--out" || a.startsWith("--out=")) opts.outDir = path.resolve(value("--out"));
    else if (a === "--smoke") opts.smoke = true;
    else if (a === "--echo") opts.echo = true;
    else if (a.startsWith("-")) throw new Error(`Unknown option ${a}.\n${USAGE}`);
    else names.push(a);
  }
  return { names, opts };
}

/** /proc/<pid>/stat: [ppid, start time], or null when the process is gone (Linux). */
function procStat(pid: number): [number, string] | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return f[0] === "Z" ? null : [Number(f[1]), f[19]];
  } catch {
    return null;
  }
}

function cmdline(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0/g, " ");
  } catch {
    return "";
  }
}

/**
 * The processes that launched this runner and whose death means "stop": tsx, and when run as
 * `npm run notebooks`, the shell and npm above it. npm forwards SIGTERM to its shell only, which
 * dies and leaves tsx and the runner orphaned: watching the chain turns that into a clean stop.
 */
export function launcherChain(pid = process.pid): Array<{ pid: number; start: string }> {
  if (process.platform !== "linux") return [];
  const chain: Array<{ pid: number; start: string }> = [];
  let cur = procStat(pid)?.[0] ?? 0;
  for (let depth = 0; depth < 4 && cur > 1; depth++) {
    const st = procStat(cur);
    if (!st) break;
    const cmd = cmdline(cur);
    const isLauncher = /\btsx\b|[/ ]sh -c |npm|npx/.test(cmd) || /(^|\/)(sh|dash|bash) -c /.test(cmd);
    if (!isLauncher) break;
    chain.push({ pid: cur, start: st[1] });
    if (/npm/.test(cmd)) break; // npm itself is the top of the chain
    cur = st[0];
  }
  return chain;
}

async function main(): Promise<number> {
  const env = checkEnvironment();
  for (const w of env.warnings) process.stderr.write(`warning: ${w}\n`);
  if (env.errors.length > 0) {
    process.stderr.write(env.errors.join("\n") + "\n");
    return 2;
  }
  const controller = new AbortController();
  let signalled: NodeJS.Signals | null = null;
  const onSignal = (sig: NodeJS.Signals) => {
    if (signalled) {
      // A second signal: stop now (the client's exit hook still kills the kernel's tree).
      process.exit(128 + (os.constants.signals[sig] ?? 1));
    }
    signalled = sig;
    process.stderr.write(`\nlatentlab runner: ${sig}: stopping (killing the kernel, writing the partial copy) ...\n`);
    controller.abort(sig);
  };
  const handlers: Array<[NodeJS.Signals, () => void]> = (["SIGINT", "SIGTERM", "SIGHUP"] as NodeJS.Signals[]).map((s) => [s, () => onSignal(s)]);
  for (const [s, h] of handlers) process.on(s, h);
  const chain = launcherChain();
  const watch = setInterval(() => {
    for (const p of chain) {
      const st = procStat(p.pid);
      if (!st || st[1] !== p.start) {
        process.stderr.write(`latentlab runner: ${cmdline(p.pid) || `process ${p.pid}`} that started this run is gone.\n`);
        onSignal("SIGTERM");
        clearInterval(watch);
        return;
      }
    }
  }, 500);
  watch.unref();

  let parsed: ReturnType<typeof parseArgs>;
  let results: NotebookResult[];
  try {
    parsed = parseArgs(process.argv.slice(2));
    results = await runNotebooks(parsed.names, { ...parsed.opts, signal: controller.signal });
  } catch (e) {
    const help = (e as Error).message === USAGE;
    (help ? process.stdout : process.stderr).write((e as Error).message + "\n");
    return help ? 0 : 2;
  } finally {
    clearInterval(watch);
  }
  if (signalled) {
    if (results.length) process.stdout.write("\n" + summaryTable(results) + "\n");
    process.stdout.write(`\ninterrupted by ${signalled}\n`);
    return 128 + (os.constants.signals[signalled as NodeJS.Signals] ?? 1);
  }
  if (results.length === 0) {
    process.stderr.write(`No notebooks in ${NOTEBOOKS_DIR}.\n`);
    return 0;
  }
  process.stdout.write("\n" + summaryTable(results) + "\n");
  const warned = results.flatMap((r) => r.warnings ?? []);
  if (warned.length) process.stdout.write(`\nwarnings:\n${warned.map((w) => "  " + w).join("\n")}\n`);
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
      // An interrupted run exits now: nothing it started is left to wait for.
      if (code > 128) process.exit(code);
    },
    (e) => {
      process.stderr.write(String((e as Error)?.stack ?? e) + "\n");
      process.exitCode = 1;
    },
  );
}
