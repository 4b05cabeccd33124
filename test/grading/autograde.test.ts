/**
 * The autograder end to end on Homework 1, in the sandbox: adversarial submissions (generated
 * by ./adversarial.ts) each get the right score and feedback line, nothing they start outlives
 * the batch, nothing they try to read or write outside their sandbox succeeds; the example
 * notebook's solved version scores full marks and its release zero.
 *
 * The default run grades a representative subset (the `quick` adversaries: about 6 kernels);
 * LATENTLAB_GRADING_FULL=1 grades all of them (30+ submissions, several minutes on 2 cores).
 * Skipped, with the reason, where the sandbox is unavailable (not root, no bubblewrap).
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readNotebook } from "../../kernel/notebook";
import { makeRelease, solvedSubmission } from "../../scripts/grading/assign";
import { autograde, BatchResult } from "../../scripts/grading/autograde";
import { questions } from "../../scripts/grading/format";
import { sandboxSupport } from "../../scripts/grading/sandbox";
import { adversaries } from "./adversarial";

const ROOT = path.join(__dirname, "..", "..");
const HW1 = path.join(ROOT, "homework", "01-generative-models-of-text.ipynb");
const EXAMPLE = path.join(ROOT, "homework", "00-example-markers.ipynb");
const FULL = process.env.LATENTLAB_GRADING_FULL === "1";
const support = sandboxSupport();
const questionsOf = (nb: ReturnType<typeof readNotebook>) => questions(nb, "08").reduce((a, q) => a + q.points, 0);

/**
 * Processes of the sandbox uids (62000–64999) or of the sandbox wrapper, still alive. A zombie
 * (state Z: it has exited, and only its exit status waits for its parent to collect it) runs
 * nothing and holds nothing, so it does not count.
 */
function sandboxProcesses(): string[] {
  const out = execFileSync("ps", ["-eo", "uid=,pid=,stat=,args="], { encoding: "utf8" });
  return out
    .split("\n")
    .filter((l) => {
      const [uidText, , stat = ""] = l.trim().split(/\s+/);
      const uid = Number(uidText);
      if (stat.startsWith("Z")) return false;
      return (uid >= 62000 && uid < 65000) || l.includes("sandbox-kernel.js") || l.includes("sandbox-launch.js");
    })
    .filter((l) => !l.includes(" ps -eo"));
}

describe.skipIf(!support.ok)(`autograde in the sandbox${support.ok ? "" : ` (skipped: ${support.reason})`}`, () => {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "latentlab-autograde-test-"));
  const subs = path.join(work, "submissions");
  const source = readNotebook(HW1);
  const all = adversaries(source, HW1);
  const chosen = FULL ? all : all.filter((a) => a.quick);
  let batch: BatchResult;

  beforeAll(async () => {
    for (const a of chosen) a.write(path.join(subs, a.id), subs);
    batch = await autograde(subs, {
      assignment: HW1,
      outDir: path.join(work, "out"),
      jobs: 2,
      cellTimeoutSeconds: 45,
      totalTimeoutSeconds: 300,
      maxOutputBytes: 2 * 2 ** 20,
      env: { LATENTLAB_SMOKE: "1" },
      log: () => {},
    });
  }, 1_800_000);

  afterAll(() => {
    fs.rmSync(work, { recursive: true, force: true });
  });

  it(`has at least 30 adversaries in the generator (${all.length}); this run grades ${chosen.length}`, () => {
    expect(all.length).toBeGreaterThanOrEqual(30);
  });

  it("gives every submission its score, status and feedback line", () => {
    const wrong: string[] = [];
    for (const a of chosen) {
      const r = batch.reports.find((x) => x.student === a.id)!;
      const text = [r.summary, ...r.issues, ...r.questions.map((q) => q.message), r.stopped ?? ""].join("\n");
      const printed = r.cells.flatMap((c) => c.outputs).map((o) => JSON.stringify(o)).join("\n");
      if (r.score !== a.score) wrong.push(`${a.id}: score ${r.score}, expected ${a.score} (${a.what}); ${r.questions.map((q) => `${q.gradeId} ${q.earned} ${q.message.slice(0, 200)}`).join(" | ")} ${r.stopped ?? ""}`);
      if (r.status !== (a.status ?? "graded")) wrong.push(`${a.id}: status ${r.status}, expected ${a.status ?? "graded"}`);
      if (a.feedback && !a.feedback.test(text)) wrong.push(`${a.id}: feedback lacks ${a.feedback}: ${text.slice(0, 600)}`);
      if (a.printed && !a.printed.test(printed)) wrong.push(`${a.id}: output lacks ${a.printed}: ${printed.slice(0, 600)}`);
    }
    expect(wrong).toEqual([]);
  });

  it("writes grades.csv, a JSON report and a feedback page per student", () => {
    const csv = fs.readFileSync(path.join(batch.outDir, "grades.csv"), "utf8").trim().split("\n");
    expect(csv).toHaveLength(chosen.length + 1);
    const perfect = csv.find((l) => l.startsWith('"perfect"'))!;
    expect(perfect).toMatch(/^"perfect","12","12","2","3","2","2","1","2","graded","0",/);
    for (const a of chosen) {
      expect(JSON.parse(fs.readFileSync(path.join(batch.outDir, "students", `${a.id}.json`), "utf8")).student).toBe(a.id);
      const html = fs.readFileSync(path.join(batch.outDir, "feedback", `${a.id}.html`), "utf8");
      expect(html).toContain("<h1>01-generative-models-of-text:");
      expect(html).not.toContain("BEGIN HIDDEN TESTS");
    }
  });

  it("leaves no process, cgroup or file behind outside the sandboxes", () => {
    expect(sandboxProcesses()).toEqual([]);
    const cgroups = execFileSync("sh", ["-c", "ls -d /sys/fs/cgroup/*/latentlab-grade-* /sys/fs/cgroup/*/*/latentlab-grade-* /sys/fs/cgroup/*/*/*/latentlab-grade-* 2>/dev/null || true"], { encoding: "utf8" }).trim();
    // Only cgroups whose wrapper (latentlab-grade-<pid>) is gone: another test may be grading now.
    const orphaned = cgroups.split("\n").filter((d) => d && !fs.existsSync(`/proc/${d.split("latentlab-grade-")[1]}`));
    expect(orphaned).toEqual([]);
    for (const f of [path.join(subs, "perfect", "hacked.txt"), path.join(ROOT, "homework", "hacked.txt"), path.join(ROOT, "lib", "hacked.txt")]) {
      expect(fs.existsSync(f)).toBe(false);
    }
  });

  it("the example notebook: solved scores full marks, the release zero with a clear message", async () => {
    const ex = readNotebook(EXAMPLE);
    const dir = path.join(work, "example");
    fs.mkdirSync(path.join(dir, "solved"), { recursive: true });
    fs.mkdirSync(path.join(dir, "release"), { recursive: true });
    fs.writeFileSync(path.join(dir, "solved", "00-example-markers.ipynb"), JSON.stringify(solvedSubmission(ex, "00-example-markers")));
    fs.writeFileSync(path.join(dir, "release", "00-example-markers.ipynb"), JSON.stringify(makeRelease(ex, "00-example-markers")));
    const r = await autograde(dir, { assignment: EXAMPLE, outDir: path.join(work, "example-out"), jobs: 2, log: () => {} });
    const solved = r.reports.find((x) => x.student === "solved")!;
    const release = r.reports.find((x) => x.student === "release")!;
    expect([solved.score, solved.maxScore]).toEqual([3, 3]);
    expect(release.score).toBe(0);
    expect(release.questions[0].message).toMatch(/not implemented: mean/);
  }, 600_000);

  it("a lecture notebook that loads the embedded MNIST and a shipped checkpoint (08) scores full marks in the sandbox", async () => {
    const file = path.join(ROOT, "notebooks", "08-em-and-kmeans.ipynb");
    const nb = readNotebook(file);
    const max = questionsOf(nb);
    const dir = path.join(work, "lecture");
    fs.mkdirSync(path.join(dir, "solved"), { recursive: true });
    fs.writeFileSync(path.join(dir, "solved", path.basename(file)), JSON.stringify(solvedSubmission(nb, path.basename(file, ".ipynb"))));
    const r = await autograde(dir, {
      assignment: file,
      outDir: path.join(work, "lecture-out"),
      jobs: 1,
      cellTimeoutSeconds: 300,
      totalTimeoutSeconds: 900,
      env: { LATENTLAB_SMOKE: "1" },
      log: () => {},
    });
    const solved = r.reports[0];
    const failed = solved.questions.filter((q) => q.earned < q.points).map((q) => `${q.gradeId}: ${q.message}`);
    expect(failed).toEqual([]);
    expect([solved.score, solved.maxScore]).toEqual([max, max]);
  }, 1_000_000);
});
