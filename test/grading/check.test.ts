/**
 * The student's per-question self-check (otter's grader.check): `check(id, points, tests)` as a
 * released test cell runs it, `check(id)` again from any cell, `check()` for the table; and how
 * `npm run assign` writes released test cells around it.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { assertClose, assertThat, check, CheckError, partialCredit } from "../../src/runtime/check";
import { makeRelease } from "../../scripts/grading/assign";
import { MarkerError, wrapReleasedTest } from "../../scripts/grading/format";
import { joinSource, type Notebook } from "../../kernel/notebook";

afterEach(() => vi.restoreAllMocks());

describe("check(): one question's visible tests", () => {
  it("a right answer passes and says how many points", () => {
    const log = vi.spyOn(console, "log").mockImplementation(() => {});
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(check("t-right", 2, () => assertClose("mean", mean([1, 2, 3]), 2, { print: false }))).toBeUndefined();
    expect(log).toHaveBeenCalledWith("✓ t-right: passed, 2 of 2 points (visible tests)");
    expect(check("t-right", { print: false })).toEqual({ gradeId: "t-right", points: 2, earned: 2, status: "passed", message: "" });
  });

  it("a wrong answer fails with the check's message and the points at stake; check(id) re-runs it after a fix", () => {
    let answer = 3;
    const run = () => check("t-wrong", 2, () => assertClose("mean of 1, 2, 3", answer, 2, { print: false }));
    expect(run).toThrow(CheckError);
    expect(run).toThrow(/^✗ t-wrong: failed, 0 of 2 points \(2 at stake\): mean of 1, 2, 3: 3 vs expected 2/);
    answer = 2; // the student fixes the solution and re-runs its cell
    expect(check("t-wrong", { print: false })).toMatchObject({ status: "passed", earned: 2 });
  });

  it("partialCredit inside scales the earned points", () => {
    vi.spyOn(console, "log").mockImplementation(() => {});
    const run = () =>
      check("t-partial", 4, () =>
        partialCredit("two parts", [
          { what: "right", points: 1, check: () => assertThat("a", true, "", { print: false }) },
          { what: "wrong", points: 1, check: () => assertThat("b", false) },
        ], { print: false }),
      );
    expect(run).toThrow(/^✗ t-partial: partial, 2 of 4 points \(2 at stake\): two parts: 1 of 2 points\. Failed: wrong: b/);
  });

  it("an async test function gives a promise with the same verdicts", async () => {
    await expect(check("t-async", 1, async () => { await null; assertThat("later", false, "no"); })).rejects.toThrow(/✗ t-async: failed, 0 of 1 points \(1 at stake\): later: no/);
    await expect(check("t-async2", 1, async () => { await null; }, { print: false })).resolves.toMatchObject({ status: "passed" });
  });

  it("check() lists every registered question with its last result and the total", () => {
    const log = vi.spyOn(console, "log").mockImplementation(() => {});
    const list = check();
    const byId = new Map(list.map((q) => [q.gradeId, q]));
    expect(byId.get("t-right")?.status).toBe("passed");
    expect(byId.get("t-partial")).toMatchObject({ status: "partial", earned: 2, points: 4 });
    const text = log.mock.calls.map((c) => String(c[0])).join("\n");
    expect(text).toMatch(/✗ t-partial: partial, 2 of 4 points \(2 at stake\)/);
    const earned = list.reduce((s, q) => s + q.earned, 0);
    const total = list.reduce((s, q) => s + q.points, 0);
    expect(text).toContain(`${earned} of ${total} points from the visible tests of ${list.length} question(s)`);
  });

  it("bad calls say what to do", () => {
    expect(() => check("nope")).toThrow(/check\("nope"\): no such question has been registered\. Run its test cell first.*registered so far: t-right/);
    expect(() => check("x", -1, () => {})).toThrow(/points must be a number ≥ 0/);
    expect(() => check("x", 1, "tests" as unknown as () => void)).toThrow(/tests must be a function/);
    expect(() => check(3 as unknown as string)).toThrow(/grade id must be a non-empty string/);
  });
});

describe("released test cells call check()", () => {
  it("wraps the visible tests, keeps imports at the top, awaits async cells, and leaves hidden-only cells a comment", () => {
    const w = wrapReleasedTest('import { rng } from "latentlab";\nassertThat("x", f() === 1);', "q1", 2);
    expect(w.split("\n")).toEqual([
      'import { check } from "latentlab";',
      'import { rng } from "latentlab";',
      expect.stringMatching(/^\/\/ Visible tests of "q1" \(2 points\)/),
      'check("q1", 2, () => {',
      '  assertThat("x", f() === 1);',
      "});",
    ]);
    expect(wrapReleasedTest("const v = await g();\nassertThat('v', v);", "q2", 1)).toMatch(/^await check\("q2", 1, async \(\) => \{$/m);
    expect(wrapReleasedTest("// only a comment\n", "q3", 1)).toBe('// "q3" (1 point) has hidden tests only: the autograder runs them.');
  });

  it("assign refuses a test cell whose declarations a later cell uses (they would be hidden inside check)", () => {
    const cell = (source: string, nbgrader: object) => ({ cell_type: "code" as const, metadata: { nbgrader: { schema_version: 3, task: false, locked: false, solution: false, grade: false, ...nbgrader } }, source, outputs: [], execution_count: null });
    const nb: Notebook = {
      nbformat: 4,
      nbformat_minor: 5,
      metadata: {},
      cells: [
        cell("const a = 1; // SOLUTION", { grade_id: "s", solution: true }),
        cell('const helper = 2;\nassertThat("a", a === 1);', { grade_id: "t", grade: true, locked: true, points: 1 }),
        { cell_type: "code", metadata: {}, source: "console.log(helper);", outputs: [], execution_count: null },
      ],
    };
    expect(() => makeRelease(nb, "hw")).toThrow(MarkerError);
    expect(() => makeRelease(nb, "hw")).toThrow(/test cell "t" declares helper, used by a later cell/);
    nb.cells[2].source = "console.log(a);";
    expect(joinSource(makeRelease(nb, "hw").cells[1].source)).toContain('check("t", 1, () => {');
  });
});
