/**
 * `npm run autograde -- <submissions-dir> [options]`: grade every student's notebook.
 *
 * <submissions-dir> holds one folder per student (the folder name is the student id) with
 * the submitted .ipynb inside. Each submission runs in its own sandboxed kernel (see
 * sandbox.ts), up to --jobs at a time (default: the number of cores); a submission that
 * crashes, hangs or cannot be read gets its score and a feedback line, and the batch goes on.
 * Writes to --out (default build/autograde/<assignment>/):
 *   grades.csv                 one row per student: score, max, one column per graded cell, status
 *   students/<id>.json         the full report (questions, messages, problems, cells and outputs)
 *   feedback/<id>.html         the student's feedback page (self-contained, offline)
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { PROJECT_ROOT } from "../../kernel/client";
import { isMainScript } from "../../kernel/cli";
import { Notebook, readNotebook } from "../../kernel/notebook";
import { assignmentName, isAssignment, resolveAssignments } from "./assign";
import { feedbackHtml } from "./feedback";
import { gradingLimits } from "./format";
import { emptyReport, GradeOptions, gradeSubmission, readSubmission, SubmissionReport } from "./grade";
import { removeLibSnapshot, SandboxLimits, sandboxSupport, snapshotLib, warmKernelCodeCache } from "./sandbox";

export interface AutogradeOptions {
  /** The instructor notebook (path or name in homework/ / notebooks/). Default: inferred from the submissions. */
  assignment?: string;
  outDir?: string;
  jobs?: number;
  cellTimeoutSeconds?: number;
  totalTimeoutSeconds?: number;
  maxOutputBytes?: number;
  limits?: SandboxLimits;
  env?: Record<string, string>;
  /** Run without the sandbox (refused unless set explicitly; for machines without bubblewrap). */
  unsandboxed?: boolean;
  log?: (line: string) => void;
}

export interface BatchResult {
  assignment: string;
  outDir: string;
  reports: SubmissionReport[];
  seconds: number;
  jobs: number;
  warning?: string;
}

/** A file-name-safe form of a student id. */
export function safeId(id: string): string {
  return id.replace(/[^A-Za-z0-9._-]/g, "_").replace(/^\.+/, "_").slice(0, 100) || "_";
}

/** The notebook a student submitted: the one named like the assignment, else the only/first .ipynb. */
export function findSubmissionNotebook(dir: string, assignment: string): string | null {
  let files: string[];
  try {
    files = fs.readdirSync(dir).filter((f) => f.endsWith(".ipynb") && !f.startsWith(".")).sort();
  } catch {
    return null;
  }
  const exact = files.find((f) => f === `${assignment}.ipynb`);
  return exact ? path.join(dir, exact) : files.length ? path.join(dir, files[0]) : null;
}

function inferAssignment(dirs: string[]): string {
  const homework = resolveAssignments(["all"]);
  for (const d of dirs) {
    let files: string[] = [];
    try {
      files = fs.readdirSync(d).filter((f) => f.endsWith(".ipynb"));
    } catch {
      continue;
    }
    for (const f of files) {
      const hit = homework.find((h) => path.basename(h) === f);
      if (hit) return hit;
    }
  }
  throw new Error(`Cannot tell which assignment these submissions are for: no submitted notebook is named like one in homework/ or notebooks/. Pass --assignment <name>.`);
}

function csvCell(s: string | number): string {
  const t = String(s);
  // Quote always; neutralise spreadsheet formulas (a student id or message starting with = + - @).
  const safe = /^[=+\-@]/.test(t) ? `'${t}` : t;
  return `"${safe.replace(/"/g, '""')}"`;
}

export function gradesCsv(reports: SubmissionReport[]): string {
  const ids = reports[0]?.questions.map((q) => q.gradeId) ?? [];
  const head = ["student", "score", "max_score", ...ids, "status", "problems", "seconds"];
  const rows = reports.map((r) => [
    r.student,
    r.score,
    r.maxScore,
    ...ids.map((id) => r.questions.find((q) => q.gradeId === id)?.earned ?? 0),
    r.status === "graded" && r.stopped ? "stopped" : r.status,
    r.issues.length,
    r.seconds.toFixed(1),
  ]);
  return [head, ...rows].map((row) => row.map(csvCell).join(",")).join("\n") + "\n";
}

/** Grade every submission in `submissionsDir`. Never throws for a submission's problem. */
export async function autograde(submissionsDir: string, opts: AutogradeOptions = {}): Promise<BatchResult> {
  const t0 = Date.now();
  const log = opts.log ?? ((l: string) => process.stderr.write(l + "\n"));
  if (!fs.existsSync(submissionsDir) || !fs.statSync(submissionsDir).isDirectory()) {
    throw new Error(`${submissionsDir} is not a folder (expected one folder per student).`);
  }
  const students = fs
    .readdirSync(submissionsDir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && !d.name.startsWith("."))
    .map((d) => d.name)
    .sort();
  const sourceFile = opts.assignment ? resolveAssignments([opts.assignment])[0] : inferAssignment(students.map((s) => path.join(submissionsDir, s)));
  const assignment = assignmentName(sourceFile);
  const source: Notebook = readNotebook(sourceFile);
  if (!isAssignment(source)) throw new Error(`${sourceFile} has no nbgrader cells: it is not an assignment.`);
  const outDir = path.resolve(opts.outDir ?? path.join(PROJECT_ROOT, "build", "autograde", assignment));
  fs.mkdirSync(path.join(outDir, "students"), { recursive: true });
  fs.mkdirSync(path.join(outDir, "feedback"), { recursive: true });

  const sandbox = !opts.unsandboxed;
  if (sandbox) {
    const s = sandboxSupport();
    if (!s.ok) throw new Error(`Cannot sandbox submissions: ${s.reason}. (--unsafe-no-sandbox runs them without isolation: only for code you trust.)`);
  }
  const snap = sandbox ? snapshotLib() : null;
  if (snap?.warning) log(`warning: ${snap.warning}`);
  if (sandbox) {
    const warmed = warmKernelCodeCache(opts.limits);
    if (warmed !== "present") log(`kernel code cache: ${warmed}`);
  }
  const jobs = Math.max(1, Math.min(opts.jobs ?? os.cpus().length, students.length || 1));
  const declared = gradingLimits(source, assignment).cellTimeoutSeconds;
  const cellTimeoutSeconds = opts.cellTimeoutSeconds ?? declared;
  if (opts.cellTimeoutSeconds === undefined && declared) log(`${assignment}: cells may run ${declared} s each (the notebook's metadata.latentlab.grading)`);
  log(`${assignment}: ${students.length} submissions, ${jobs} at a time${sandbox ? ", sandboxed" : ", NOT sandboxed"}`);

  const reports: SubmissionReport[] = new Array(students.length);
  let next = 0;
  const worker = async () => {
    while (next < students.length) {
      const i = next++;
      const student = students[i];
      const base: GradeOptions = {
        student,
        assignment,
        notebookPath: null,
        sandbox,
        slot: i,
        libDir: snap?.dir,
        limits: opts.limits,
        cellTimeoutSeconds,
        totalTimeoutSeconds: opts.totalTimeoutSeconds,
        maxOutputBytes: opts.maxOutputBytes,
        env: opts.env,
        hidden: true,
      };
      let report: SubmissionReport;
      try {
        const file = findSubmissionNotebook(path.join(submissionsDir, student), assignment);
        if (!file) report = emptyReport(base, source, "no-notebook", "no .ipynb file in the submission folder");
        else {
          base.notebookPath = path.relative(submissionsDir, file);
          const read = readSubmission(file);
          report = "nb" in read ? await gradeSubmission(source, read.nb, base) : emptyReport(base, source, read.status, read.message);
        }
      } catch (e) {
        report = emptyReport(base, source, "kernel-failed", `the grader failed on this submission: ${(e as Error).message}`);
      }
      reports[i] = report;
      const id = safeId(student);
      fs.writeFileSync(path.join(outDir, "students", `${id}.json`), JSON.stringify(report, null, 1) + "\n");
      fs.writeFileSync(path.join(outDir, "feedback", `${id}.html`), feedbackHtml(report));
      log(`  ${student}: ${report.score}/${report.maxScore} (${report.status}${report.stopped ? ", stopped" : ""}, ${report.seconds.toFixed(1)} s${report.cpuSeconds !== undefined ? `, ${report.cpuSeconds.toFixed(1)} s CPU` : ""})`);
    }
  };
  try {
    await Promise.all(Array.from({ length: jobs }, worker));
  } finally {
    if (snap) removeLibSnapshot(snap.dir);
  }
  fs.writeFileSync(path.join(outDir, "grades.csv"), gradesCsv(reports));
  const seconds = (Date.now() - t0) / 1000;
  log(`${assignment}: graded ${reports.length} submissions in ${seconds.toFixed(1)} s -> ${path.relative(process.cwd(), outDir) || outDir}/grades.csv`);
  return { assignment, outDir, reports, seconds, jobs, warning: snap?.warning };
}

const USAGE = `usage: npm run autograde -- <submissions-dir> [--assignment NAME] [--out DIR] [--jobs N]
                               [--timeout S] [--total-timeout S] [--smoke] [--unsafe-no-sandbox]
  <submissions-dir>   one folder per student (folder name = student id) holding the .ipynb
  --assignment        instructor notebook: a path or a name in homework/ or notebooks/ (default: from the file names)
  --out               output folder (default build/autograde/<assignment>)
  --jobs              submissions graded at once (default: number of cores)
  --timeout           per-cell time limit in seconds (default: the notebook's
                      metadata.latentlab.grading.cellTimeoutSeconds, else 60)
  --total-timeout     per-submission time limit in seconds (default 600)
  --smoke             LATENTLAB_SMOKE=1 in the kernels
  --unsafe-no-sandbox run without bubblewrap (only for code you trust)`;

export async function main(argv: string[]): Promise<number> {
  const opts: AutogradeOptions = {};
  let dir: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value.\n${USAGE}`);
      return v;
    };
    const num = () => {
      const v = Number(val());
      if (!(v > 0)) throw new Error(`${a} must be a positive number.\n${USAGE}`);
      return v;
    };
    if (a === "--help" || a === "-h") {
      process.stdout.write(USAGE + "\n");
      return 0;
    } else if (a === "--assignment") opts.assignment = val();
    else if (a === "--out") opts.outDir = val();
    else if (a === "--jobs") opts.jobs = Math.floor(num());
    else if (a === "--timeout") opts.cellTimeoutSeconds = num();
    else if (a === "--total-timeout") opts.totalTimeoutSeconds = num();
    else if (a === "--smoke") opts.env = { ...opts.env, LATENTLAB_SMOKE: "1" };
    else if (a === "--unsafe-no-sandbox") opts.unsandboxed = true;
    else if (a.startsWith("-")) throw new Error(`Unknown option ${a}.\n${USAGE}`);
    else if (dir === undefined) dir = a;
    else throw new Error(`Give one submissions folder (got "${dir}" and "${a}").\n${USAGE}`);
  }
  if (!dir) throw new Error(USAGE);
  const r = await autograde(path.resolve(dir), opts);
  const total = r.reports.reduce((s, x) => s + x.score, 0);
  const cpu = r.reports.reduce((s, x) => s + (x.cpuSeconds ?? 0), 0);
  process.stdout.write(`${r.reports.length} submissions graded in ${r.seconds.toFixed(1)} s (${r.jobs} at a time; ${cpu.toFixed(1)} s CPU in the sandboxes); mean score ${(total / Math.max(1, r.reports.length)).toFixed(2)} of ${r.reports[0]?.maxScore ?? 0}\n`);
  return 0;
}

if (isMainScript(__filename)) {
  main(process.argv.slice(2)).then(
    (code) => (process.exitCode = code),
    (e) => {
      process.stderr.write(`${(e as Error).message}\n`);
      process.exitCode = 2;
    },
  );
}
