/**
 * `npx tsx scripts/grading/bench.ts [N] [--assignment NAME] [--jobs J] [--smoke]`: how long
 * grading a class takes. Writes N copies of the assignment's solved release (Homework 1 by
 * default: what a perfect student submits) to a temporary folder, grades them with
 * `autograde` in the sandbox exactly as `npm run autograde` does, and prints the wall time,
 * the CPU seconds the sandboxes used, the load average before and after, and whether every
 * copy scored full marks. Not a timed test: the machine's load decides the time.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { isMainScript } from "../../kernel/cli";
import { readNotebook } from "../../kernel/notebook";
import { assignmentName, resolveAssignments, solvedSubmission } from "./assign";
import { autograde } from "./autograde";

export async function main(argv: string[]): Promise<number> {
  let n = 30;
  let assignment = "01-generative-models-of-text";
  let jobs: number | undefined;
  const env: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--assignment") assignment = argv[++i] ?? "";
    else if (a === "--jobs") jobs = Number(argv[++i]);
    else if (a === "--smoke") env.LATENTLAB_SMOKE = "1";
    else if (/^\d+$/.test(a)) n = Number(a);
    else {
      process.stderr.write(`usage: npx tsx scripts/grading/bench.ts [N] [--assignment NAME] [--jobs J] [--smoke]\n`);
      return 2;
    }
  }
  if (!(n >= 1) || (jobs !== undefined && !(jobs >= 1))) {
    process.stderr.write("N and --jobs must be positive integers\n");
    return 2;
  }
  const file = resolveAssignments([assignment])[0];
  const name = assignmentName(file);
  const solved = JSON.stringify(solvedSubmission(readNotebook(file), name));
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "latentlab-grading-bench-"));
  try {
    for (let i = 0; i < n; i++) {
      const dir = path.join(work, "subs", `student${String(i).padStart(3, "0")}`);
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(path.join(dir, `${name}.ipynb`), solved);
    }
    const load0 = fs.readFileSync("/proc/loadavg", "utf8").trim();
    const r = await autograde(path.join(work, "subs"), { assignment: file, outDir: path.join(work, "out"), jobs, env, log: () => {} });
    const load1 = fs.readFileSync("/proc/loadavg", "utf8").trim();
    const cpu = r.reports.map((x) => x.cpuSeconds ?? NaN);
    const full = r.reports.filter((x) => x.score === x.maxScore).length;
    const mean = cpu.reduce((a, b) => a + b, 0) / cpu.length;
    process.stdout.write(
      `${name}: ${n} submissions graded in ${r.seconds.toFixed(1)} s wall on ${os.cpus().length} cores (${r.jobs} at a time); ` +
        `${mean.toFixed(2)} CPU-s per submission in the sandbox; ${full}/${n} scored full marks\n` +
        `load average before: ${load0}\nload average after:  ${load1}\n`,
    );
    return full === n ? 0 : 1;
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

if (isMainScript(__filename)) {
  main(process.argv.slice(2)).then(
    (code) => (process.exitCode = code),
    (e) => {
      process.stderr.write(`${(e as Error).stack}\n`);
      process.exitCode = 2;
    },
  );
}
