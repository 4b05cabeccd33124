/**
 * `npm run validate -- <notebook>`: for students. Runs the notebook from the top in a fresh
 * latentlab kernel with its visible tests (the hidden ones are not in a student's copy) and
 * prints, per graded cell, passed / failed with the message and the points at stake, plus any
 * change to locked cells (compared with the checksums recorded when it was released): the
 * autograder would run the original of an edited, deleted, moved or retyped test cell.
 * Exit code 0 when every visible test passes, 1 otherwise, 2 when the notebook cannot be run.
 * Runs on the student's own machine, so without the sandbox.
 */
import * as path from "path";
import { isMainScript } from "../../kernel/cli";
import { gradeSubmission, readSubmission, SubmissionReport, submissionProblem } from "./grade";
import { gradingLimits, questions } from "./format";

export async function validateNotebook(file: string, opts: { cellTimeoutSeconds?: number; env?: Record<string, string> } = {}): Promise<SubmissionReport> {
  const read = readSubmission(file);
  if (!("nb" in read)) throw new Error(`${file}: ${read.message}`);
  const problem = submissionProblem(read.nb);
  if (problem) throw new Error(`${file}: ${problem.message}`);
  const name = (read.nb.metadata?.latentlab as { assignment?: string } | undefined)?.assignment ?? path.basename(file).replace(/\.ipynb$/, "");
  if (questions(read.nb, name).length === 0) throw new Error(`${file} has no graded cells (nbgrader metadata): is it a released homework notebook?`);
  return gradeSubmission(read.nb, read.nb, {
    student: "you",
    assignment: name,
    notebookPath: path.resolve(file),
    sandbox: false,
    hidden: false,
    referenceFromSubmission: true,
    cellTimeoutSeconds: opts.cellTimeoutSeconds ?? gradingLimits(read.nb, name).cellTimeoutSeconds ?? 120,
    totalTimeoutSeconds: 1800,
    env: opts.env,
  });
}

/** The per-question lines validate prints. */
export function validateText(r: SubmissionReport): string {
  const w = Math.max(...r.questions.map((q) => q.gradeId.length), 8);
  const lines = r.questions.map((q) => {
    const head = `${q.gradeId.padEnd(w)}  ${q.status === "passed" ? "passed" : q.status === "partial" ? "partial" : q.status === "not-run" ? "not run" : "failed"}  ${q.earned}/${q.points} points`;
    if (q.status === "passed") return head;
    const msg = q.message.trim().split("\n").slice(0, 8).map((l) => "    " + l).join("\n");
    return `${head} (${q.points - q.earned} at stake)\n${msg}`;
  });
  const issues = r.issues.map((s) => `  ! ${s}`);
  return [
    `${r.assignment}: ${r.score}/${r.maxScore} points from the visible tests (hidden tests run when it is graded)`,
    ...lines,
    ...(issues.length ? ["Changes the autograder will undo:", ...issues] : []),
    ...(r.stopped ? [`Stopped early: ${r.stopped}`] : []),
  ].join("\n");
}

const USAGE = `usage: npm run validate -- <notebook.ipynb> [--timeout S] [--smoke]
  runs the notebook from the top with its visible tests and prints each graded cell's result`;

export async function main(argv: string[]): Promise<number> {
  let file: string | undefined;
  const opts: { cellTimeoutSeconds?: number; env?: Record<string, string> } = {};
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--help" || argv[i] === "-h") {
      process.stdout.write(USAGE + "\n");
      return 0;
    } else if (argv[i] === "--timeout") {
      const t = Number(argv[++i]);
      if (!(t > 0)) throw new Error(`--timeout needs a positive number of seconds.\n${USAGE}`);
      opts.cellTimeoutSeconds = t;
    } else if (argv[i] === "--smoke") opts.env = { LATENTLAB_SMOKE: "1" };
    else if (argv[i].startsWith("-")) throw new Error(`Unknown option ${argv[i]}.\n${USAGE}`);
    else file = argv[i];
  }
  if (!file) throw new Error(USAGE);
  const r = await validateNotebook(file, opts);
  process.stdout.write(validateText(r) + "\n");
  return r.questions.every((q) => q.status === "passed") && !r.stopped ? 0 : 1;
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
