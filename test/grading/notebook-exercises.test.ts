/**
 * Every lecture notebook whose exercises carry nbgrader grade cells (auto-discovered in
 * notebooks/): `assign` releases it with no solution or hidden-test text; the release runs
 * (smoke mode) without any error other than the stubs' "not implemented" and scores 0; the
 * instructor's solutions with the hidden tests score full marks.
 *
 * To stay within CI's budget each notebook gets ONE kernel: the whole release runs first (every
 * cell, test cells wrapped and scored exactly as the grader does: grade.ts' preamble, wrapTest,
 * takeVerdict), then the instructor's exercise cells from the first nbgrader cell on (solutions
 * without markers, test cells with their hidden tests), scored the same way. Notebooks run up to
 * one per core at a time, as autograde does.
 */
import { randomBytes } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { afterAll, describe, expect, it } from "vitest";
import { KernelClient } from "../../kernel/client";
import { Cell, joinSource, Notebook, Output, OutputCollector, readNotebook } from "../../kernel/notebook";
import { assignNotebook, leaks, solutionWithoutMarkers } from "../../scripts/grading/assign";
import { cellRole, nbgraderMeta, questions, testSourceForGrading } from "../../scripts/grading/format";
import { errorText, preambleSource, takeVerdict, wrapTest } from "../../scripts/grading/grade";

const ROOT = path.join(__dirname, "..", "..");
const DIR = path.join(ROOT, "notebooks");
const graded = fs
  .readdirSync(DIR)
  .filter((f) => f.endsWith(".ipynb"))
  .sort()
  .filter((f) => questions(readNotebook(path.join(DIR, f)), f).length > 0)
  // LATENTLAB_EXERCISES=09,10 runs only the notebooks whose names start with those prefixes (while writing exercises)
  .filter((f) => !process.env.LATENTLAB_EXERCISES || process.env.LATENTLAB_EXERCISES.split(",").some((p) => f.startsWith(p.trim())));

interface Scored {
  gradeId: string;
  points: number;
  earned: number;
  message: string;
}

interface Outcome {
  release: Scored[];
  solved: Scored[];
  /** Non-test cells of the release that failed for another reason than a stub. */
  releaseErrors: string[];
  /** Non-test cells of the instructor's exercises that failed. */
  solvedErrors: string[];
}

async function runCells(kernel: KernelClient, api: string, cells: Cell[], label: string, out: { scored: Scored[]; errors: string[] }, allowStubs: boolean): Promise<void> {
  for (const cell of cells) {
    if (cell.cell_type !== "code") continue;
    const src = joinSource(cell.source);
    if (src.trim() === "") continue;
    const role = cellRole(cell);
    const nonce = randomBytes(8).toString("hex");
    const outputs: Output[] = [];
    const collector = new OutputCollector(outputs);
    let r = await kernel.execute(role === "test" ? wrapTest(src, api, nonce) : src, { timeoutSeconds: 300, onMessage: (m) => collector.add(m) });
    for (let i = 0; i < 3 && ((r.status as string) === "abort" || (r.status as string) === "aborted"); i++) {
      await new Promise((res) => setTimeout(res, 250));
      r = await kernel.execute(role === "test" ? wrapTest(src, api, nonce) : src, { timeoutSeconds: 300, onMessage: (m) => collector.add(m) });
    }
    const m = nbgraderMeta(cell);
    if (role === "test") {
      const { verdict } = takeVerdict(outputs, nonce);
      const points = m?.points ?? 0;
      const earned = verdict?.ok ? points : verdict?.credit ? (points * verdict.credit[0]) / verdict.credit[1] : 0;
      out.scored.push({ gradeId: m!.grade_id!, points, earned, message: verdict ? (verdict.message ?? "") : `no verdict (${r.status}): ${errorText(outputs, r.stderr).slice(0, 300)}` });
    } else if (r.status !== "ok") {
      const text = errorText(outputs, r.stderr) || r.message || r.status;
      if (!(allowStubs && /not implemented/.test(text))) out.errors.push(`${label} cell ${m?.grade_id ?? src.slice(0, 60)}: ${r.status}: ${text.slice(0, 400)}`);
    }
  }
}

async function exercise(file: string, releaseDir: string): Promise<Outcome> {
  const source = readNotebook(path.join(DIR, file));
  const name = file.replace(/\.ipynb$/, "");
  const release = readNotebook(path.join(releaseDir, name, `${name}.ipynb`));
  const first = source.cells.findIndex((c) => cellRole(c) !== "plain");
  const solvedTail: Cell[] = source.cells.slice(first).map((c) => {
    const role = cellRole(c);
    const src = joinSource(c.source);
    return { ...c, source: role === "solution" ? solutionWithoutMarkers(src) : role === "test" ? testSourceForGrading(src) : src };
  });
  const kernel = await KernelClient.start({ env: { LATENTLAB_HEADLESS: "1", LATENTLAB_SMOKE: "1", LATENTLAB_NOTEBOOK: name }, cwd: DIR, startTimeoutSeconds: 180 });
  const rel = { scored: [] as Scored[], errors: [] as string[] };
  const sol = { scored: [] as Scored[], errors: [] as string[] };
  try {
    const api = `__latentlabGrader_${randomBytes(8).toString("hex")}`;
    const pre = await kernel.execute(preambleSource(api), { timeoutSeconds: 120 });
    if (pre.status !== "ok") throw new Error(`${file}: the grader's preamble failed: ${pre.stderr.slice(0, 500)}`);
    await runCells(kernel, api, release.cells, "release", rel, true);
    await runCells(kernel, api, solvedTail, "instructor", sol, false);
  } finally {
    await kernel.shutdown({ graceful: false });
  }
  return { release: rel.scored, solved: sol.scored, releaseErrors: rel.errors, solvedErrors: sol.errors };
}

describe("lecture notebooks with graded exercises", () => {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "latentlab-nb-exercises-"));
  const outcomes = new Map<string, Promise<Outcome>>();
  afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

  it("discovers every lecture notebook that has an Exercises section", () => {
    if (process.env.LATENTLAB_EXERCISES) return;
    const withExercises = fs
      .readdirSync(DIR)
      .filter((f) => f.endsWith(".ipynb"))
      .sort()
      .filter((f) => readNotebook(path.join(DIR, f)).cells.some((c) => c.cell_type === "markdown" && /^## Exercises/m.test(joinSource(c.source))));
    expect(withExercises.length, "notebooks with an Exercises section").toBeGreaterThanOrEqual(14);
    expect(graded).toEqual(withExercises);
  });

  it("assign releases each with no solution or hidden-test text", () => {
    for (const file of graded) {
      const r = assignNotebook(path.join(DIR, file), work);
      const text = fs.readFileSync(r.release, "utf8");
      expect(leaks(readNotebook(path.join(DIR, file)), text), file).toEqual([]);
      expect(text, file).not.toMatch(/BEGIN SOLUTION|END SOLUTION|HIDDEN TESTS|\/\/ SOLUTION/);
      expect(r.points, file).toBeGreaterThan(0);
    }
    // Run the notebooks, one per core at a time (the releases must exist first).
    const queue = [...graded];
    const jobs = Math.max(1, Math.min(os.cpus().length, 2));
    const results = new Map<string, (o: Outcome) => void>();
    const failures = new Map<string, (e: unknown) => void>();
    for (const f of graded) outcomes.set(f, new Promise<Outcome>((res, rej) => { results.set(f, res); failures.set(f, rej); }));
    const worker = async () => {
      for (let f = queue.shift(); f; f = queue.shift()) {
        try { results.get(f)!(await exercise(f, work)); } catch (e) { failures.get(f)!(e); }
      }
    };
    for (let j = 0; j < jobs; j++) void worker();
  });

  for (const file of graded) {
    it(`${file}: the release runs with only "not implemented" errors and scores 0; the instructor's solutions score full marks`, async () => {
      const o = await outcomes.get(file)!;
      expect(o.releaseErrors).toEqual([]);
      expect(o.solvedErrors).toEqual([]);
      const nQ = questions(readNotebook(path.join(DIR, file)), file).length;
      expect(o.release).toHaveLength(nQ);
      for (const q of o.release) {
        expect(q.earned, `${q.gradeId} in the release`).toBe(0);
        expect(q.message, `${q.gradeId} in the release`).toMatch(/not implemented/);
      }
      expect(o.solved).toHaveLength(nQ);
      const wrong = o.solved.filter((q) => q.earned !== q.points).map((q) => `${q.gradeId}: ${q.earned}/${q.points} ${q.message}`);
      expect(wrong).toEqual([]);
    }, 1_200_000);
  }
});
