/**
 * The Gradescope bundle: built from the example assignment, unzipped, and its run_autograder
 * executed locally (AUTOGRADER_ROOT) on a solved and on an untouched submission; results.json
 * has the scores and per-test visibility Gradescope expects.
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { afterAll, describe, expect, it } from "vitest";
import { readNotebook } from "../../kernel/notebook";
import { makeRelease, solvedSubmission } from "../../scripts/grading/assign";
import { buildGradescopeBundle } from "../../scripts/grading/gradescope";

const ROOT = path.join(__dirname, "..", "..");
const EXAMPLE = path.join(ROOT, "homework", "00-example-markers.ipynb");

describe("Gradescope bundle", () => {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "latentlab-gradescope-"));
  fs.chmodSync(work, 0o755); // the sandbox's uid must reach the bundle's files, as under /autograder
  afterAll(() => { if (!process.env.KEEP) fs.rmSync(work, { recursive: true, force: true }); });

  it("holds setup.sh, run_autograder and the sources at the top level of the zip", () => {
    const zip = buildGradescopeBundle(EXAMPLE, path.join(work, "bundle"));
    const listing = execFileSync("unzip", ["-Z1", zip], { encoding: "utf8" }).split("\n");
    for (const f of ["setup.sh", "run_autograder", "source/package.json", "source/scripts/grading/grade.ts", "source/homework/00-example-markers.ipynb"]) expect(listing).toContain(f);
  });

  it("run_autograder grades a submission into results.json with per-test visibility", () => {
    const zip = path.join(work, "bundle", "autograder.zip");
    const ex = readNotebook(EXAMPLE);
    const run = (which: string, nb: object) => {
      const ag = path.join(work, which);
      fs.mkdirSync(path.join(ag, "submission"), { recursive: true });
      execFileSync("unzip", ["-q", zip, "-d", ag]);
      // What setup.sh's npm ci and build would make: the installed packages and the library.
      fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(ag, "source", "node_modules"));
      fs.cpSync(path.join(ROOT, "lib"), path.join(ag, "source", "lib"), { recursive: true, filter: (f) => !/\.build-(lock|error)/.test(f) });
      const now = new Date();
      fs.utimesSync(path.join(ag, "source", "lib", ".build-stamp"), now, now);
      fs.writeFileSync(path.join(ag, "submission", "00-example-markers.ipynb"), JSON.stringify(nb));
      execFileSync("bash", [path.join(ag, "run_autograder")], { env: { ...process.env, AUTOGRADER_ROOT: ag }, stdio: "pipe", timeout: 300_000 });
      return JSON.parse(fs.readFileSync(path.join(ag, "results", "results.json"), "utf8"));
    };
    const solved = run("solved", solvedSubmission(ex, "00-example-markers"));
    expect(solved.score).toBe(3);
    expect(solved.tests.map((t: { name: string; score?: number; max_score?: number; visibility: string }) => [t.name, t.score, t.max_score, t.visibility])).toEqual([
      ["ex-q1-tests", 1, 1, "after_published"],
      ["ex-q2-tests", 2, 2, "visible"],
      ["notebook integrity", undefined, undefined, "visible"],
    ]);
    const release = run("release", makeRelease(ex, "00-example-markers"));
    expect(release.score).toBe(0);
    expect(release.tests[0].output).toMatch(/not implemented: mean/);
  }, 600_000);
});
