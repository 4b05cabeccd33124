/**
 * Grade one submission: rebuild the notebook to run from the instructor's version and the
 * student's cells, run it in one latentlab kernel (sandboxed for autograding), score each
 * autograded test cell.
 *
 * What runs, in the instructor's order (nbgrader's rule that students cannot change tests):
 *  - test and read-only cells: the instructor's source, found by grade_id (with hidden tests
 *    when autograding). A student's copy that was edited, deleted, moved, duplicated or turned
 *    into markdown/raw does not count; each such case is reported.
 *  - solution cells: the student's cell with that grade_id (a missing one is reported);
 *  - every other code cell of the student's notebook: run right after the graded cell that
 *    precedes it in the student's notebook (so helper cells keep working).
 *
 * How a test cell is scored, so that a submission cannot fake a pass: before any student code,
 * a preamble keeps the pristine check functions and a list of built-ins, in a frozen object
 * under a random, non-configurable global name. Each test cell runs inside a try block that
 * (1) refuses to run when a built-in the checks use was replaced, (2) shadows the check
 * functions with the pristine ones, (3) reports its verdict on stdout tagged with a random nonce
 * made for that cell only, which the submission cannot know before the cell runs. A cell
 * passes only when its tagged "ok" verdict arrives: stderr text (library warnings), the cell's
 * status or printed look-alikes do not count. `partialCredit` reports points through a frozen
 * hook that keeps the lowest report of the open cell.
 * Limits (documented): code that rewrites the kernel process itself (e.g. its TypeScript
 * compiler) could read a later cell's nonce; the sandbox keeps such code from touching anything
 * but its own grade.
 */
import { randomBytes } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { ExecuteOutcome, IopubMessage } from "../../kernel/client";
import { KernelClient, latentlabKernelSpec } from "../../kernel/client";
import { Cell, joinSource, Notebook, Output, OutputCollector } from "../../kernel/notebook";
import { makeRelease } from "./assign";
import { cellRole, computeChecksum, nbgraderMeta, stripHiddenTests, testSourceForGrading } from "./format";
import { SandboxLimits, sandboxKernelSpec } from "./sandbox";

/** The check functions test cells may use; the grader gives them the pristine versions. */
export const CHECK_NAMES = [
  "assertClose",
  "assertThat",
  "assertWithinSE",
  "assertShape",
  "assertDtype",
  "assertForSeeds",
  "partialCredit",
  "meanAndSE",
  "shapeOf",
  "dtypeOf",
  "check",
] as const;

export type PlanKind = "test" | "readonly" | "solution" | "student";

export interface PlanCell {
  kind: PlanKind;
  /** What runs. */
  source: string;
  /** What the feedback may show (test cells: the released, visible version). */
  shownSource: string;
  gradeId?: string;
  points?: number;
}

export interface Plan {
  cells: PlanCell[];
  /** Integrity findings: edited, deleted, moved, duplicated, retyped test cells, missing solutions. */
  issues: string[];
}

export interface QuestionResult {
  gradeId: string;
  points: number;
  earned: number;
  status: "passed" | "failed" | "partial" | "not-run";
  message: string;
}

export interface RanCell {
  kind: PlanKind;
  gradeId?: string;
  source: string;
  outputs: Output[];
  status: ExecuteOutcome["status"] | "not-run";
  seconds: number;
}

export interface SubmissionReport {
  student: string;
  assignment: string;
  notebook: string | null;
  /** "graded", or why it could not be: unreadable, wrong-kernel, no-notebook, kernel-failed. */
  status: "graded" | "unreadable" | "wrong-kernel" | "no-notebook" | "kernel-failed";
  score: number;
  maxScore: number;
  questions: QuestionResult[];
  issues: string[];
  /** One line a student reads first. */
  summary: string;
  /** Why the kernel stopped early (timeout, death, output limit), if it did. */
  stopped?: string;
  seconds: number;
  /** CPU seconds of everything the submission ran (sandbox cgroup), when measured. */
  cpuSeconds?: number;
  cells: RanCell[];
  sandboxed: boolean;
}

// ---- the plan -------------------------------------------------------------------------------------

function gradeIdOf(cell: Cell): string | undefined {
  const id = nbgraderMeta(cell)?.grade_id;
  return typeof id === "string" ? id : undefined;
}

/**
 * What to run for `submission` against the instructor notebook `source`. `reference(id)` is
 * the released checksum of a locked cell (autograde: from the release rebuilt from `source`;
 * validate: the checksum recorded in the student's own notebook). `hidden`: run hidden tests.
 */
export function buildPlan(
  source: Notebook,
  submission: Notebook,
  opts: { hidden: boolean; reference: (gradeId: string) => { checksum?: string; source: string } | undefined },
): Plan {
  const issues: string[] = [];
  const skeleton = source.cells
    .map((cell, index) => ({ cell, index, role: cellRole(cell), id: gradeIdOf(cell) }))
    .filter((s) => s.role !== "plain" && s.id !== undefined);
  const known = new Map(skeleton.map((s, k) => [s.id!, { ...s, k }]));
  const first = new Map<string, Cell>();
  const extras = new Map<string | null, Cell[]>();
  const order: string[] = [];
  let anchor: string | null = null;
  submission.cells.forEach((cell, j) => {
    const id = gradeIdOf(cell);
    const s = id !== undefined ? known.get(id) : undefined;
    if (id !== undefined && s) {
      if (!first.has(id)) {
        first.set(id, cell);
        order.push(id);
        anchor = id;
        return;
      }
      if (s.role === "solution" && cell.cell_type === "code") {
        issues.push(`solution cell "${id}" appears twice (cell ${j}); both ran, in your order`);
      } else {
        issues.push(`${s.role === "test" ? "test" : "locked"} cell "${id}" is duplicated (cell ${j}); the copy was not run`);
        return;
      }
    }
    if (cell.cell_type !== "code") return;
    const list = extras.get(anchor) ?? [];
    list.push(cell);
    extras.set(anchor, list);
  });
  // Moved: the graded cells outside a longest run of cells still in the instructor's order.
  const ks = order.map((id) => known.get(id)!.k);
  const best = ks.map(() => 1);
  const prev = ks.map(() => -1);
  for (let a = 0; a < ks.length; a++) {
    for (let b = 0; b < a; b++) {
      if (ks[b] < ks[a] && best[b] + 1 > best[a]) {
        best[a] = best[b] + 1;
        prev[a] = b;
      }
    }
  }
  const inOrder = new Set<number>();
  for (let a = best.length ? best.indexOf(Math.max(...best)) : -1; a >= 0; a = prev[a]) inOrder.add(a);
  order.forEach((id, a) => {
    const s = known.get(id)!;
    if (!inOrder.has(a) && s.role !== "solution") issues.push(`${s.role === "test" ? "test" : "locked"} cell "${id}" was moved; it ran at its original place`);
  });
  const cells: PlanCell[] = [];
  const pushExtras = (key: string | null) => {
    for (const c of extras.get(key) ?? []) {
      const src = joinSource(c.source);
      cells.push({ kind: "student", source: src, shownSource: src });
    }
  };
  pushExtras(null);
  for (const s of skeleton) {
    const id = s.id!;
    const mine = first.get(id);
    const src = joinSource(s.cell.source);
    if (s.role === "test" || s.role === "readonly") {
      const what = s.role === "test" ? "test" : "locked";
      const ref = opts.reference(id);
      if (!mine) issues.push(`${what} cell "${id}" was deleted; the original ran`);
      else if (mine.cell_type !== s.cell.cell_type) issues.push(`${what} cell "${id}" was changed to a ${mine.cell_type} cell; the original ran`);
      else if (ref) {
        const probe: Cell = { ...mine, metadata: { nbgrader: { ...nbgraderMeta(s.cell), ...(nbgraderMeta(mine) ?? {}), grade_id: id, points: nbgraderMeta(s.cell)?.points, grade: s.role === "test", solution: false, locked: true } } };
        const edited = ref.checksum ? computeChecksum(probe) !== ref.checksum : joinSource(mine.source).trimEnd() !== ref.source.trimEnd();
        if (edited) issues.push(`${what} cell "${id}" was edited; the original ran`);
      }
      if (s.role === "test") {
        const visible = stripHiddenTests(src, id);
        cells.push({ kind: "test", source: opts.hidden ? testSourceForGrading(src) : visible, shownSource: visible, gradeId: id, points: nbgraderMeta(s.cell)?.points ?? 0 });
      } else cells.push({ kind: "readonly", source: src, shownSource: src, gradeId: id });
    } else if (s.role === "solution" && s.cell.cell_type === "code") {
      if (!mine) issues.push(`solution cell "${id}" is missing (deleted, or its metadata removed); its tests will fail unless other cells define what they need`);
      else if (mine.cell_type !== "code") issues.push(`solution cell "${id}" was changed to a ${mine.cell_type} cell; it did not run`);
      else {
        const mySrc = joinSource(mine.source);
        cells.push({ kind: "solution", source: mySrc, shownSource: mySrc, gradeId: id });
      }
    }
    pushExtras(id);
  }
  return { cells, issues };
}

// ---- the code the grader sends ------------------------------------------------------------------

/** Preamble run before any student code (see the module comment). */
export function preambleSource(api: string): string {
  return `{
const g: any = globalThis;
const ll: any = require("latentlab");
const stringify = JSON.stringify;
const toStr = String;
const checks: any = {};
for (const n of ${JSON.stringify(CHECK_NAMES)}) checks[n] = ll[n];
Object.freeze(checks);
const watched: any[] = [];
const watch = (holder: any, label: string) => {
  for (const k of Object.getOwnPropertyNames(holder)) {
    const d = Object.getOwnPropertyDescriptor(holder, k);
    if (d && "value" in d && typeof d.value === "function") watched.push([holder, k, d.value, label + "." + k]);
  }
};
watch(Math, "Math"); watch(Number, "Number"); watch(Object, "Object"); watch(Array, "Array"); watch(JSON, "JSON");
watch(Array.prototype, "Array.prototype"); watch(Function.prototype, "Function.prototype"); watch(String.prototype, "String.prototype");
watch(Object.getPrototypeOf(Float64Array.prototype), "TypedArray.prototype"); watch(Error.prototype, "Error.prototype");
watch(Reflect, "Reflect"); watch(globalThis, "globalThis");
let open: any = null;
const hook = Object.freeze({
  credit(e: unknown, t: unknown) {
    if (!open || typeof e !== "number" || typeof t !== "number" || !(t > 0) || !(e >= 0)) return;
    if (!open.credit || e / t < open.credit[0] / open.credit[1]) open.credit = [e, t];
  },
});
Object.defineProperty(g, Symbol.for("latentlab.grader"), { value: hook, writable: false, configurable: false, enumerable: false });
const tampered = () => {
  const bad: string[] = [];
  for (const [h, k, v, label] of watched) {
    let cur: unknown;
    try { cur = h[k]; } catch { cur = undefined; }
    if (cur !== v) bad.push(label);
  }
  return bad;
};
const report = (nonce: string, verdict: object) => { process.stdout.write("\\n\\u00ablatentlab-grade " + nonce + " " + stringify(verdict) + "\\u00bb\\n"); };
const api = Object.freeze({
  checks,
  begin(nonce: string) {
    open = { nonce, credit: null };
    const bad = tampered();
    if (bad.length) throw new Error("the submission replaced built-in functions the checks rely on (" + bad.slice(0, 4).join(", ") + "); the test cannot be trusted and scores 0");
  },
  pass(nonce: string) {
    const c = open && open.nonce === nonce ? open.credit : null;
    open = null;
    report(nonce, { ok: true, credit: c });
  },
  fail(nonce: string, e: any) {
    const c = open && open.nonce === nonce ? open.credit : null;
    open = null;
    let m = "";
    try { m = toStr(e && typeof e === "object" && "message" in e ? e.message : e); } catch { m = "(an error whose message cannot be read)"; }
    report(nonce, { ok: false, credit: c, message: m.slice(0, 4000) });
  },
});
Object.defineProperty(g, ${JSON.stringify(api)}, { value: api, writable: false, configurable: false, enumerable: false });
}`;
}

/** A test cell wrapped so that its verdict is reported with `nonce` (imports hoisted out of the block). */
export function wrapTest(source: string, api: string, nonce: string): string {
  const lines = source.split("\n");
  const imports = lines.filter((l) => /^\s*import\s.*from\s/.test(l));
  const body = lines.filter((l) => !/^\s*import\s.*from\s/.test(l));
  const bodyText = body.join("\n");
  const used = CHECK_NAMES.filter((n) => new RegExp(`\\b${n}\\b`).test(bodyText));
  const n = JSON.stringify(nonce);
  return [
    ...imports,
    `{ const __lg: any = (globalThis as any)[${JSON.stringify(api)}];`,
    `try {`,
    `__lg.begin(${n});`,
    used.length ? `const { ${used.join(", ")} } = __lg.checks;` : "",
    bodyText,
    `;__lg.pass(${n});`,
    `} catch (__lgError) { __lg.fail(${n}, __lgError); } }`,
  ].join("\n");
}

const VERDICT = /\n?\u00ablatentlab-grade (\S+) (\{.*?\})\u00bb\n?/g;

/** The verdict for `nonce` in a cell's stdout, and the outputs with every verdict-like line removed. */
export function takeVerdict(outputs: Output[], nonce: string): { verdict: { ok: boolean; credit: [number, number] | null; message?: string } | null; outputs: Output[] } {
  let verdict: { ok: boolean; credit: [number, number] | null; message?: string } | null = null;
  const cleaned: Output[] = [];
  for (const o of outputs) {
    if (o.output_type !== "stream") {
      cleaned.push(o);
      continue;
    }
    const text = joinSource(o.text).replace(VERDICT, (_, got: string, json: string) => {
      if (got === nonce && o.name === "stdout") {
        try {
          const v = JSON.parse(json);
          if (typeof v.ok === "boolean") verdict = verdict ?? v;
        } catch {
          /* not ours */
        }
      }
      return "\n";
    });
    if (text.trim() !== "") cleaned.push({ ...o, text: text.replace(/^\n+/, "") });
  }
  return { verdict, outputs: cleaned };
}

// ---- running ------------------------------------------------------------------------------------

export interface GradeOptions {
  student: string;
  assignment: string;
  notebookPath: string | null;
  /** Run in the bubblewrap sandbox (autograde). Validate runs on the student's own machine without it. */
  sandbox: boolean;
  /** Sandbox slot: each slot gets its own uid. */
  slot?: number;
  limits?: SandboxLimits;
  /** The batch's copy of lib/ (sandbox only; see snapshotLib). */
  libDir?: string;
  /** Per-cell time limit, seconds (default 60). */
  cellTimeoutSeconds?: number;
  /** Whole-submission time limit, seconds (default 600). */
  totalTimeoutSeconds?: number;
  /** Stop the kernel when a submission has printed more than this many bytes (default 8 MB). */
  maxOutputBytes?: number;
  /** Environment of the kernel (LATENTLAB_SMOKE, LATENTLAB_SEED, …). */
  env?: Record<string, string>;
  /** Run hidden tests (autograde) or only the visible ones (validate). */
  hidden: boolean;
  /** validate: compare locked cells with the checksums recorded in the notebook itself. */
  referenceFromSubmission?: boolean;
  log?: (line: string) => void;
}

export function emptyReport(opts: GradeOptions, source: Notebook | null, status: SubmissionReport["status"], message: string): SubmissionReport {
  const qs: QuestionResult[] = (source?.cells ?? [])
    .filter((c) => cellRole(c) === "test")
    .map((c) => ({ gradeId: gradeIdOf(c)!, points: nbgraderMeta(c)?.points ?? 0, earned: 0, status: "not-run" as const, message }));
  return {
    student: opts.student,
    assignment: opts.assignment,
    notebook: opts.notebookPath,
    status,
    score: 0,
    maxScore: qs.reduce((s, q) => s + q.points, 0),
    questions: qs,
    issues: [],
    summary: message,
    seconds: 0,
    cells: [],
    sandboxed: opts.sandbox,
  };
}

/** Check a notebook object read from a submission: nbformat 4, a TypeScript kernel. Returns a problem or null. */
export function submissionProblem(nb: unknown): { status: "unreadable" | "wrong-kernel"; message: string } | null {
  const n = nb as Notebook;
  if (!n || typeof n !== "object" || n.nbformat !== 4 || !Array.isArray(n.cells)) {
    return { status: "unreadable", message: "the file is not an nbformat 4 notebook" };
  }
  for (const [i, c] of n.cells.entries()) {
    if (!c || typeof c !== "object" || !["code", "markdown", "raw"].includes(c.cell_type) || !(typeof c.source === "string" || Array.isArray(c.source))) {
      return { status: "unreadable", message: `cell ${i} is not a valid notebook cell` };
    }
    c.metadata ??= {};
  }
  const ks = (n.metadata?.kernelspec ?? {}) as { name?: string; language?: string };
  const li = (n.metadata?.language_info ?? {}) as { name?: string };
  const lang = ks.language ?? li.name;
  if ((ks.name && ks.name !== "latentlab" && !/typescript|tslab/i.test(ks.name)) || (lang && !/typescript/i.test(lang))) {
    return { status: "wrong-kernel", message: `the notebook uses the kernel "${ks.name ?? lang}"; it must be "TypeScript (latentlab)": open the released notebook and keep its kernel` };
  }
  return null;
}

/** A cell's error text: its Jupyter `error` outputs (ename: evalue, traceback) and its stderr. */
export function errorText(outputs: Output[], stderr: string): string {
  const errs = outputs
    .filter((o): o is Extract<Output, { output_type: "error" }> => o.output_type === "error")
    .map((e) => [`${e.ename}: ${e.evalue}`, ...e.traceback.filter((l) => !l.startsWith(`${e.ename}: ${e.evalue}`))].join("\n").replace(/\x1b\[[0-9;]*m/g, ""));
  return [...errs, stderr.trim()].filter(Boolean).join("\n");
}

function tail(text: string, max = 1500): string {
  const t = text.trim();
  return t.length > max ? "…" + t.slice(-max) : t;
}

/** Execute, retrying once when tslab aborts a request that arrived right after an error. */
async function run(kernel: KernelClient, code: string, timeoutSeconds: number, onMessage: (m: IopubMessage) => void): Promise<ExecuteOutcome> {
  for (let attempt = 0; ; attempt++) {
    const out = await kernel.execute(code, { timeoutSeconds, graceSeconds: 2, onMessage }).catch(
      (e: Error): ExecuteOutcome => ({ status: kernel.exitInfo ? "died" : "error", executionCount: null, messages: [], stderr: `lost contact with the kernel: ${e.message}`, seconds: 0 }),
    );
    // tslab cancels requests that arrive within 200 ms of an error ("abort"; "aborted" with the kernel's patches).
    if ((out.status as string) !== "abort" && (out.status as string) !== "aborted") return out;
    if (attempt >= 3) return out;
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Grade one submission notebook (already parsed) against the instructor's `source`. Never throws for submission problems. */
export async function gradeSubmission(source: Notebook, submission: Notebook, opts: GradeOptions): Promise<SubmissionReport> {
  const t0 = Date.now();
  const log = opts.log ?? (() => {});
  const problem = submissionProblem(submission);
  if (problem) return { ...emptyReport(opts, source, problem.status, problem.message), seconds: (Date.now() - t0) / 1000 };

  let reference: (id: string) => { checksum?: string; source: string } | undefined;
  if (opts.referenceFromSubmission) {
    const recorded = new Map<string, { checksum?: string; source: string }>();
    for (const c of submission.cells) {
      const m = nbgraderMeta(c);
      if (m?.grade_id && !recorded.has(m.grade_id)) recorded.set(m.grade_id, { checksum: m.checksum, source: joinSource(c.source) });
    }
    reference = (id) => recorded.get(id);
  } else {
    const release = makeRelease(source, opts.assignment);
    const byId = new Map<string, { checksum?: string; source: string }>();
    for (const c of release.cells) {
      const m = nbgraderMeta(c);
      if (m?.grade_id) byId.set(m.grade_id, { checksum: m.checksum, source: joinSource(c.source) });
    }
    reference = (id) => byId.get(id);
  }
  const plan = buildPlan(source, submission, { hidden: opts.hidden, reference });
  const report: SubmissionReport = {
    ...emptyReport(opts, source, "graded", ""),
    issues: plan.issues,
  };
  const results = new Map(report.questions.map((q) => [q.gradeId, q]));

  const api = `__latentlabGrader_${randomBytes(8).toString("hex")}`;
  const env = { LATENTLAB_HEADLESS: "1", LATENTLAB_NOTEBOOK: opts.assignment, ...(opts.env ?? {}) };
  let kernel: KernelClient;
  try {
    kernel = await KernelClient.start({
      spec: opts.sandbox ? sandboxKernelSpec(opts.slot ?? 0, env, opts.limits, opts.libDir) : latentlabKernelSpec(),
      env: opts.sandbox ? {} : env,
      // The sandboxed kernel's cwd is set inside the sandbox; the wrapper's must merely exist.
      cwd: opts.sandbox ? os.tmpdir() : opts.notebookPath ? path.dirname(opts.notebookPath) : undefined,
      startTimeoutSeconds: 180,
    });
  } catch (e) {
    const r = emptyReport(opts, source, "kernel-failed", `the grading kernel did not start: ${tail((e as Error).message, 500)}`);
    return { ...r, issues: plan.issues, seconds: (Date.now() - t0) / 1000 };
  }
  const cellTimeout = opts.cellTimeoutSeconds ?? 60;
  const deadline = t0 + (opts.totalTimeoutSeconds ?? 600) * 1000;
  const maxOut = opts.maxOutputBytes ?? 8 * 2 ** 20;
  let printed = 0;
  let overflow = false;
  try {
    const pre = await run(kernel, preambleSource(api), cellTimeout, () => {});
    if (pre.status !== "ok") {
      report.status = "kernel-failed";
      report.stopped = `the grader's preamble failed: ${tail(errorText([], pre.stderr) || pre.message || pre.status, 600)}`;
    }
    for (const cell of plan.cells) {
      if (report.stopped) {
        report.cells.push({ kind: cell.kind, gradeId: cell.gradeId, source: cell.shownSource, outputs: [], status: "not-run", seconds: 0 });
        continue;
      }
      const nonce = randomBytes(12).toString("hex");
      const code = cell.kind === "test" ? wrapTest(cell.source, api, nonce) : cell.source;
      const outputs: Output[] = [];
      const collector = new OutputCollector(outputs);
      const remaining = Math.max(1, (deadline - Date.now()) / 1000);
      const timeout = Math.min(cellTimeout, remaining);
      const out =
        code.trim() === ""
          ? ({ status: "ok", executionCount: null, messages: [], stderr: "", seconds: 0 } as ExecuteOutcome)
          : await run(kernel, code, timeout, (m) => {
              if (overflow) return;
              const c = m.content as Record<string, unknown>;
              printed += typeof c.text === "string" ? c.text.length : JSON.stringify(c.data ?? "").length;
              if (printed > maxOut) {
                overflow = true;
                void kernel.shutdown({ graceful: false });
                return;
              }
              collector.add(m);
            });
      let shown = outputs;
      if (cell.kind === "test") {
        const q = results.get(cell.gradeId!)!;
        const { verdict, outputs: cleaned } = takeVerdict(outputs, nonce);
        shown = cleaned;
        if (verdict && verdict.ok) {
          q.earned = q.points;
          q.status = "passed";
          q.message = "";
        } else if (verdict) {
          const credit = verdict.credit;
          q.earned = credit ? Math.round(((q.points * credit[0]) / credit[1]) * 1000) / 1000 : 0;
          q.status = q.earned > 0 ? "partial" : "failed";
          q.message = verdict.message ?? "failed";
        } else {
          q.status = "failed";
          q.message =
            out.status === "ok"
              ? "the test cell finished without reporting a result (did the submission replace process.stdout or end the cell early?)"
              : out.status === "timeout"
                ? `timed out after ${Math.round(timeout)} s`
                : out.status === "died"
                  ? "the kernel died while this test ran"
                  : tail(errorText(outputs, out.stderr) || out.message || out.status);
        }
      }
      if (cell.kind === "test") {
        const q = results.get(cell.gradeId!)!;
        const broken = report.cells.find((c) => (c.kind === "solution" || c.kind === "student") && c.status !== "ok");
        if (q.status !== "passed" && broken) {
          const errText = errorText(broken.outputs, broken.outputs.filter((o) => o.output_type === "stream" && o.name === "stderr").map((o) => joinSource((o as { text: string | string[] }).text)).join(""));
          const err = errText.split("\n").map((l) => l.trim()).find((l) => /\b\w*Error\b|not implemented|^\d+:\d+ - /.test(l)) ?? "";
          q.message += `\n(an earlier cell failed${broken.gradeId ? `: solution cell "${broken.gradeId}"` : ""}${err ? `: ${err.slice(0, 300)}` : ""}; fix that first)`;
        }
      }
      report.cells.push({ kind: cell.kind, gradeId: cell.gradeId, source: cell.shownSource, outputs: shown, status: out.status, seconds: out.seconds });
      if (overflow) report.stopped = `the submission printed more than ${Math.round(maxOut / 2 ** 20)} MB; the kernel was stopped`;
      else if (out.status === "timeout") report.stopped = `a ${cell.kind === "test" ? `test cell ("${cell.gradeId}")` : "cell"} ran longer than ${Math.round(timeout)} s${Date.now() >= deadline - 1000 ? " (the submission's time budget)" : ""}; the kernel was stopped`;
      else if (out.status === "died" || kernel.exitInfo) report.stopped = `the kernel died while running a ${cell.kind} cell (process.exit, a crash or the memory limit)`;
      log(`${opts.student}: ${cell.kind}${cell.gradeId ? ` ${cell.gradeId}` : ""} ${out.status} ${out.seconds.toFixed(1)} s`);
    }
  } finally {
    await kernel.shutdown({ graceful: false });
    const cpu = kernel.log.match(/sandbox: cpu ([0-9.]+) s/);
    if (cpu) report.cpuSeconds = Number(cpu[1]);
  }
  for (const q of report.questions) if (q.status === "not-run" && report.stopped) q.message = `not run: ${report.stopped}`;
  report.score = Math.round(report.questions.reduce((s, q) => s + q.earned, 0) * 1000) / 1000;
  report.seconds = (Date.now() - t0) / 1000;
  const failed = report.questions.filter((q) => q.status !== "passed").length;
  report.summary =
    `${report.score} of ${report.maxScore} points` +
    (failed ? `; ${failed} of ${report.questions.length} graded cells not passed` : "; every graded cell passed") +
    (report.issues.length ? `; ${report.issues.length} problem(s) with the notebook itself` : "") +
    (report.stopped ? `; stopped early: ${report.stopped}` : "");
  return report;
}

/** Read a submission file into a notebook, or a report saying why it cannot be graded. */
export function readSubmission(file: string): { nb: Notebook } | { status: "unreadable"; message: string } {
  let text: string;
  try {
    const st = fs.statSync(file);
    if (st.size > 50 * 2 ** 20) return { status: "unreadable", message: `the notebook is ${(st.size / 2 ** 20).toFixed(0)} MB (limit 50 MB); clear its outputs and submit again` };
    text = fs.readFileSync(file, "utf8");
  } catch (e) {
    return { status: "unreadable", message: `cannot read the file: ${(e as Error).message}` };
  }
  try {
    return { nb: JSON.parse(text) as Notebook };
  } catch (e) {
    return { status: "unreadable", message: `the file is not valid notebook JSON (${(e as Error).message}); re-download your notebook from Jupyter (File → Download)` };
  }
}
