/**
 * Gradescope autograder bundle, for grading at scale on Gradescope's machines.
 *
 *   npm run gradescope -- <notebook> [--out DIR]     -> release/<name>/gradescope/autograder.zip
 *
 * The zip holds, at its top level (Gradescope's layout):
 *   setup.sh        run once when Gradescope builds the image: bubblewrap, npm ci, build (Node ≥ 20 required)
 *   run_autograder  run per submission: grades /autograder/submission/*.ipynb into
 *                   /autograder/results/results.json
 *   source/         the project files the grader needs (package.json, lockfile, src/, kernel/,
 *                   scripts/grading/, tsconfigs) and the instructor notebook (homework/…)
 * results.json: the total score, one test per graded cell (name, score, max_score, output,
 * visibility "visible" for a cell with only visible tests, "after_published" for one with hidden
 * tests), one visible "notebook integrity" entry listing edited/deleted/… cells, and an output
 * summary. Each Gradescope submission already runs in its own container; bubblewrap is used as
 * well when the container allows it, else the submission runs unsandboxed inside its container.
 *
 *   tsx scripts/grading/gradescope.ts --run <submission dir> <results.json> --assignment <notebook>
 * is what run_autograder calls.
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { PROJECT_ROOT } from "../../kernel/client";
import { isMainScript } from "../../kernel/cli";
import { readNotebook } from "../../kernel/notebook";
import { assignmentName, RELEASE_DIR, resolveAssignments } from "./assign";
import { questions } from "./format";
import { emptyReport, GradeOptions, gradeSubmission, readSubmission, SubmissionReport } from "./grade";
import { findSubmissionNotebook } from "./autograde";
import { removeLibSnapshot, sandboxSupport, snapshotLib } from "./sandbox";

const SETUP_SH = `#!/usr/bin/env bash
# Gradescope image set-up (runs once, as root, on Debian/Ubuntu). Needs Node.js 20 or newer:
# choose a Gradescope base image that has it, or install it here before npm ci.
set -euo pipefail
apt-get update -qq
apt-get install -y -qq --no-install-recommends bubblewrap util-linux zip
if ! command -v node >/dev/null; then apt-get install -y -qq nodejs npm; fi
if [ "$(node -p 'process.versions.node.split(".")[0]')" -lt 20 ]; then
  echo "latentlab needs Node.js >= 20; this image has $(node --version). Install Node 20 in setup.sh." >&2
  exit 1
fi
cd /autograder/source
npm ci --no-audit --no-fund
npm run build
`;

const RUN_AUTOGRADER = (notebook: string) => `#!/usr/bin/env bash
# Gradescope runs this for each submission. AUTOGRADER_ROOT lets it run locally too.
set -uo pipefail
ROOT="\${AUTOGRADER_ROOT:-/autograder}"
mkdir -p "$ROOT/results"
cd "$ROOT/source"
exec node_modules/.bin/tsx scripts/grading/gradescope.ts --run "$ROOT/submission" "$ROOT/results/results.json" --assignment ${JSON.stringify(notebook)}
`;

const COPY = ["package.json", "package-lock.json", "tsconfig.json", "tsconfig.build.json", "src", "kernel", "scripts/grading"];

/** Write the bundle folder and its zip; returns the zip's path. */
export function buildGradescopeBundle(notebookFile: string, outDir?: string): string {
  const name = assignmentName(notebookFile);
  questions(readNotebook(notebookFile), name); // valid assignment
  const dir = path.resolve(outDir ?? path.join(RELEASE_DIR, name, "gradescope"));
  const stage = path.join(dir, "autograder");
  fs.rmSync(stage, { recursive: true, force: true });
  fs.mkdirSync(path.join(stage, "source", "homework"), { recursive: true });
  for (const rel of COPY) {
    const from = path.join(PROJECT_ROOT, rel);
    if (fs.existsSync(from)) fs.cpSync(from, path.join(stage, "source", rel), { recursive: true, preserveTimestamps: true });
  }
  const nbRel = path.join("homework", path.basename(notebookFile));
  fs.copyFileSync(notebookFile, path.join(stage, "source", nbRel));
  fs.writeFileSync(path.join(stage, "setup.sh"), SETUP_SH, { mode: 0o755 });
  fs.writeFileSync(path.join(stage, "run_autograder"), RUN_AUTOGRADER(nbRel), { mode: 0o755 });
  const zip = path.join(dir, "autograder.zip");
  fs.rmSync(zip, { force: true });
  execFileSync("zip", ["-qr", zip, "."], { cwd: stage });
  return zip;
}

export interface GradescopeResults {
  score: number;
  output: string;
  tests: Array<{ name: string; score?: number; max_score?: number; output: string; visibility: "visible" | "hidden" | "after_due_date" | "after_published" }>;
}

/** Gradescope's results.json for one report. */
export function gradescopeResults(r: SubmissionReport, hiddenIds: Set<string>): GradescopeResults {
  return {
    score: r.score,
    output: r.summary,
    tests: [
      ...r.questions.map((q) => ({
        name: q.gradeId,
        score: q.earned,
        max_score: q.points,
        output: q.status === "passed" ? "passed" : q.message,
        visibility: hiddenIds.has(q.gradeId) ? ("after_published" as const) : ("visible" as const),
      })),
      { name: "notebook integrity", output: r.issues.length ? r.issues.join("\n") : "no changes to locked cells", visibility: "visible" as const },
    ],
  };
}

/** What run_autograder does: grade the one submission in `submissionDir`, write results.json. */
export async function runGradescope(submissionDir: string, resultsFile: string, notebook: string): Promise<GradescopeResults> {
  const sourceFile = path.resolve(notebook);
  const source = readNotebook(sourceFile);
  const name = assignmentName(sourceFile);
  const sandbox = sandboxSupport().ok;
  const snap = sandbox ? snapshotLib() : null;
  const opts: GradeOptions = { student: "submission", assignment: name, notebookPath: null, sandbox, slot: 0, libDir: snap?.dir, hidden: true };
  let report: SubmissionReport;
  try {
    const file = findSubmissionNotebook(submissionDir, name);
    if (!file) report = emptyReport(opts, source, "no-notebook", "no .ipynb file was submitted");
    else {
      const read = readSubmission(file);
      report = "nb" in read ? await gradeSubmission(source, read.nb, opts) : emptyReport(opts, source, read.status, read.message);
    }
  } finally {
    if (snap) removeLibSnapshot(snap.dir);
  }
  const hidden = new Set(questions(source, name).filter((q) => q.hidden).map((q) => q.gradeId));
  const results = gradescopeResults(report, hidden);
  if (!sandbox) results.output += " (graded without bubblewrap: this container does not allow it)";
  fs.mkdirSync(path.dirname(resultsFile), { recursive: true });
  fs.writeFileSync(resultsFile, JSON.stringify(results, null, 1) + "\n");
  return results;
}

const USAGE = `usage: npm run gradescope -- <notebook> [--out DIR]
  writes release/<name>/gradescope/autograder.zip (setup.sh, run_autograder, source/)`;

export async function main(argv: string[]): Promise<number> {
  if (argv[0] === "--run") {
    const [, sub, results] = argv;
    const a = argv.indexOf("--assignment");
    if (!sub || !results || a < 0 || !argv[a + 1]) throw new Error("usage: gradescope.ts --run <submission dir> <results.json> --assignment <notebook>");
    const r = await runGradescope(sub, results, argv[a + 1]);
    process.stdout.write(`${r.output}\n`);
    return 0;
  }
  if (argv.length === 0 || argv[0] === "--help" || argv[0] === "-h") {
    process.stdout.write(USAGE + "\n");
    return argv.length === 0 ? 2 : 0;
  }
  const o = argv.indexOf("--out");
  const out = o >= 0 ? argv[o + 1] : undefined;
  const names = argv.filter((x, i) => !(i === o || i === o + 1) || o < 0).filter((x) => !x.startsWith("--"));
  for (const f of resolveAssignments(names)) {
    const zip = buildGradescopeBundle(f, out);
    process.stdout.write(`${assignmentName(f)} -> ${path.relative(process.cwd(), zip)}\n`);
  }
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
