/**
 * Homework tooling without a kernel: nbgrader metadata and checksums, markers, the release
 * (no solution or hidden-test text anywhere), the run plan's integrity findings, verdict
 * parsing, CSV and feedback escaping.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { describe, expect, it } from "vitest";
import { Cell, joinSource, Notebook, readNotebook, splitLines } from "../../kernel/notebook";
import { assignNotebook, leaks, makeRelease, solvedSubmission } from "../../scripts/grading/assign";
import { gradesCsv, safeId } from "../../scripts/grading/autograde";
import { feedbackHtml } from "../../scripts/grading/feedback";
import { computeChecksum, gradingLimits, MarkerError, questions, stripHiddenTests, stripSolutions } from "../../scripts/grading/format";
import { buildPlan, emptyReport, submissionProblem, takeVerdict, wrapTest } from "../../scripts/grading/grade";

const HW1 = path.join(__dirname, "..", "..", "homework", "01-generative-models-of-text.ipynb");
const EXAMPLE = path.join(__dirname, "..", "..", "homework", "00-example-markers.ipynb");

function cell(source: string, nbgrader?: Record<string, unknown>, type: Cell["cell_type"] = "code"): Cell {
  return { cell_type: type, source: splitLines(source), metadata: nbgrader ? { nbgrader: { schema_version: 3, ...nbgrader } } : {}, outputs: [], execution_count: null };
}

describe("nbgrader metadata and markers", () => {
  it("computes nbgrader's checksum (md5 of source, type, grade/solution/locked, grade_id, points)", () => {
    // Reference values computed with Python's hashlib, following nbgrader's compute_checksum.
    expect(computeChecksum(cell('assertClose("x", f(1), 2);', { grade: true, solution: false, locked: true, grade_id: "q1-tests", points: 2 }))).toBe("ec3fe2fb9692eb4af300e7d7192f3ef8");
    expect(computeChecksum(cell("function f() {}", { grade: false, solution: true, locked: false, grade_id: "q1-sol" }))).toBe("9cacaff2ff816f9faaedea1c5947e884");
  });

  it("replaces solution regions by a throwing stub named after the function, the label or the variable", () => {
    const src = ["function area(r: number): number {", "  const pi = Math.PI;", "  // BEGIN SOLUTION", "  return pi * r * r;", "  // END SOLUTION", "}", "const k = 0.1; // SOLUTION", "// BEGIN SOLUTION the table", "const t = [1];", "// END SOLUTION"].join("\n");
    const out = stripSolutions(src, "cell", "q");
    expect(out).toContain('  throw new Error("not implemented: area");');
    expect(out).toContain('const k = (() => { throw new Error("not implemented: k"); })(); // YOUR CODE HERE');
    expect(out).toContain('throw new Error("not implemented: the table");');
    expect(out).not.toMatch(/pi \* r|0\.1|\[1\]/);
    expect(out).toContain("const pi = Math.PI;");
    expect(() => stripSolutions("// BEGIN SOLUTION\nx", "c1", "q")).toThrow(/c1: "\/\/ BEGIN SOLUTION" at line 1 has no "\/\/ END SOLUTION"/);
    expect(() => stripSolutions("// END SOLUTION", "c1", "q")).toThrow(MarkerError);
    expect(stripHiddenTests("a();\n// BEGIN HIDDEN TESTS\nsecret();\n// END HIDDEN TESTS\nb();", "c")).toBe("a();\nb();");
    expect(() => stripHiddenTests("// BEGIN HIDDEN TESTS\n", "c2")).toThrow(/c2: .*no "\/\/ END HIDDEN TESTS"/);
  });

  it("rejects bad metadata: duplicate grade_ids, test cells without points, markers outside solution cells", () => {
    const nb = (cells: Cell[]): Notebook => ({ nbformat: 4, nbformat_minor: 5, metadata: {}, cells });
    expect(() => questions(nb([cell("a", { grade_id: "x", solution: true }), cell("b", { grade_id: "x", grade: true, points: 1 })]), "hw")).toThrow(/grade_id "x" is used by two cells/);
    expect(() => questions(nb([cell("a", { grade_id: "t", grade: true, locked: true })]), "hw")).toThrow(/needs "points"/);
    expect(() => makeRelease(nb([cell("x = 1; // SOLUTION")]), "hw")).toThrow(/not a solution cell/);
    expect(() => makeRelease(nb([cell("// BEGIN HIDDEN TESTS\n// END HIDDEN TESTS", { grade_id: "s", solution: true })]), "hw")).toThrow(/not a test cell/);
  });
});

describe("a notebook's own grading time limit", () => {
  const nb = (metadata: Record<string, unknown>): Notebook => ({ nbformat: 4, nbformat_minor: 5, metadata, cells: [cell("x = 1; // SOLUTION", { grade_id: "s", solution: true })] });

  it("reads metadata.latentlab.grading.cellTimeoutSeconds, rejects anything else, and carries it into the release", () => {
    expect(gradingLimits(nb({}), "hw")).toEqual({});
    expect(gradingLimits(nb({ latentlab: { grading: { cellTimeoutSeconds: 300 } } }), "hw")).toEqual({ cellTimeoutSeconds: 300 });
    for (const bad of [{ cellTimeoutSeconds: 0 }, { cellTimeoutSeconds: "300" }, { cellTimeoutSeconds: 1e9 }, { timeout: 300 }, null, 300]) {
      expect(() => gradingLimits(nb({ latentlab: { grading: bad } }), "hw"), JSON.stringify(bad)).toThrow(/hw: metadata.latentlab.grading must be/);
    }
    const release = makeRelease(nb({ latentlab: { grading: { cellTimeoutSeconds: 300 }, secret: "x" } }), "hw");
    expect(release.metadata.latentlab).toEqual({ assignment: "hw", grading: { cellTimeoutSeconds: 300 } });
    expect(makeRelease(nb({}), "hw").metadata.latentlab).toEqual({ assignment: "hw" });
  });

  it("notebook 12 declares the time its closing table needs (sampling 1,000 PixelCNN images: about 130 s in full mode)", () => {
    const n12 = readNotebook(path.join(__dirname, "..", "..", "notebooks", "12-gans.ipynb"));
    expect(gradingLimits(n12, "12").cellTimeoutSeconds).toBeGreaterThanOrEqual(300);
  });
});

describe("the release of Homework 1", () => {
  const source = readNotebook(HW1);
  const release = makeRelease(source, "01-generative-models-of-text");
  const text = JSON.stringify(release);

  it("has six graded cells worth 12 points, with hidden tests in each", () => {
    const qs = questions(source, "hw1");
    expect(qs.map((q) => q.points)).toEqual([2, 3, 2, 2, 1, 2]);
    expect(qs.every((q) => q.hidden)).toBe(true);
  });

  it("contains no solution or hidden-test text, outputs, source ids or instructor metadata", () => {
    expect(leaks(source, text)).toEqual([]);
    for (const needle of ["BEGIN SOLUTION", "HIDDEN TESTS", "N[ids[t - 1]][ids[t]] += 1", "libValid", "nab", "w1,w2,w3,w4"]) expect(text).not.toContain(needle);
    for (const c of release.cells) {
      expect(source.cells.map((s) => s.id)).not.toContain(c.id);
      if (c.cell_type === "code") expect(c.outputs).toEqual([]);
      expect(Object.keys(c.metadata).every((k) => ["nbgrader", "editable", "deletable"].includes(k))).toBe(true);
    }
    // A secret that does leak is found (the check can fail).
    expect(leaks(source, text + "const tiny = new CharVocab(\"abn\");")).toHaveLength(1);
  });

  it("locks test cells with checksums that match the released source, and keeps solution cells editable", () => {
    const tests = release.cells.filter((c) => (c.metadata.nbgrader as { grade?: boolean } | undefined)?.grade);
    expect(tests).toHaveLength(6);
    for (const c of tests) {
      expect(c.metadata.editable).toBe(false);
      expect((c.metadata.nbgrader as { checksum: string }).checksum).toBe(computeChecksum(c));
    }
    const sol = release.cells.find((c) => (c.metadata.nbgrader as { grade_id?: string } | undefined)?.grade_id === "q1-bigram-counts")!;
    expect(joinSource(sol.source)).toContain('throw new Error("not implemented: bigramCounts");');
    expect(sol.metadata.editable).toBeUndefined();
  });

  it("assign writes release/<name>/<name>.ipynb and the example notebook assigns too", () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), "latentlab-assign-"));
    try {
      const r = assignNotebook(HW1, out);
      expect(r.points).toBe(12);
      expect(JSON.parse(fs.readFileSync(r.release, "utf8")).cells.length).toBe(source.cells.length);
      const ex = assignNotebook(EXAMPLE, out);
      expect(ex.questions).toBeGreaterThan(0);
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  });

  it("the plan restores edited, deleted, moved, duplicated and retyped test cells and says so", () => {
    const solved = solvedSubmission(source, "01-generative-models-of-text");
    const byId = (nb: Notebook, id: string) => nb.cells.findIndex((c) => (c.metadata.nbgrader as { grade_id?: string } | undefined)?.grade_id === id);
    const sub: Notebook = JSON.parse(JSON.stringify(solved));
    sub.cells[byId(sub, "q1-tests")].source = ["// gone"];
    sub.cells.splice(byId(sub, "q2-tests"), 1);
    sub.cells.splice(byId(sub, "q3-tests"), 0, JSON.parse(JSON.stringify(sub.cells[byId(sub, "q3-tests")])));
    sub.cells[byId(sub, "q4-tests")].cell_type = "raw";
    const [moved] = sub.cells.splice(byId(sub, "q6-tests"), 1);
    sub.cells.splice(1, 0, moved);
    sub.cells.push(cell("console.log('extra');"));
    const refs = new Map(release.cells.map((c) => [(c.metadata.nbgrader as { grade_id?: string } | undefined)?.grade_id, { checksum: (c.metadata.nbgrader as { checksum?: string } | undefined)?.checksum, source: joinSource(c.source) }]));
    const plan = buildPlan(source, sub, { hidden: true, reference: (id) => refs.get(id) });
    expect(plan.issues).toEqual([
      'test cell "q3-tests" is duplicated (cell 11); the copy was not run',
      'test cell "q6-tests" was moved; it ran at its original place',
      'test cell "q1-tests" was edited; the original ran',
      'test cell "q2-tests" was deleted; the original ran',
      'test cell "q4-tests" was changed to a raw cell; the original ran',
    ]);
    const tests = plan.cells.filter((c) => c.kind === "test");
    expect(tests.map((c) => c.gradeId)).toEqual(["q1-tests", "q2-tests", "q3-tests", "q4-tests", "q5-tests", "q6-tests"]);
    expect(tests[0].source).toContain("nab"); // hidden tests run when grading…
    expect(tests[0].shownSource).not.toContain("nab"); // …but feedback shows only the visible part
    // The extra cell runs after the graded cell that precedes it in the student's notebook (q6-rnn).
    const extra = plan.cells.findIndex((c) => c.source === "console.log('extra');");
    expect(plan.cells[extra - 1].gradeId).toBe("q6-rnn");
    expect(plan.cells[extra + 1].gradeId).toBe("q6-tests");
    // The unmodified solved submission has no findings.
    expect(buildPlan(source, solved, { hidden: true, reference: (id) => refs.get(id) }).issues).toEqual([]);
  });
});

describe("verdicts, reports, CSV and feedback", () => {
  it("takes only the verdict tagged with the cell's nonce from stdout, and hides every verdict-like line", () => {
    const outs = [
      { output_type: "stream" as const, name: "stdout" as const, text: 'hi\n\u00ablatentlab-grade aaa {"ok":true,"credit":null}\u00bb\n' },
      { output_type: "stream" as const, name: "stderr" as const, text: '\u00ablatentlab-grade bbb {"ok":true,"credit":null}\u00bb\n' },
      { output_type: "stream" as const, name: "stdout" as const, text: '\u00ablatentlab-grade bbb {"ok":false,"credit":[1,3],"message":"m"}\u00bb\n' },
    ];
    const v = takeVerdict(outs, "bbb");
    expect(v.verdict).toEqual({ ok: false, credit: [1, 3], message: "m" });
    expect(JSON.stringify(v.outputs)).not.toContain("latentlab-grade");
    expect(takeVerdict(outs, "ccc").verdict).toBeNull();
  });

  it("wraps a test cell: imports hoisted, pristine checks bound, verdict reported", () => {
    const w = wrapTest('import { x } from "latentlab";\nassertClose("a", 1, 1);', "__api", "n1");
    expect(w.split("\n")[0]).toBe('import { x } from "latentlab";');
    expect(w).toContain("const { assertClose } = __lg.checks;");
    expect(w).toContain('__lg.pass("n1")');
  });

  it("recognises unreadable notebooks and other kernels", () => {
    expect(submissionProblem({ nbformat: 3, worksheets: [] })?.status).toBe("unreadable");
    expect(submissionProblem({ nbformat: 4, metadata: {}, cells: [{ cell_type: "code" }] })?.message).toMatch(/cell 0/);
    expect(submissionProblem({ nbformat: 4, metadata: { kernelspec: { name: "python3", language: "python" } }, cells: [] })?.status).toBe("wrong-kernel");
    expect(submissionProblem({ nbformat: 4, metadata: { kernelspec: { name: "latentlab", language: "typescript" } }, cells: [] })).toBeNull();
  });

  it("CSV neutralises formulas and quotes; feedback escapes everything a submission printed", () => {
    const source = readNotebook(HW1);
    const r = emptyReport({ student: "=HYPERLINK(\"x\")", assignment: "hw", notebookPath: null, sandbox: true, hidden: true }, source, "unreadable", "bad <b>");
    const csv = gradesCsv([r]);
    expect(csv.split("\n")[0]).toBe('"student","score","max_score","q1-tests","q2-tests","q3-tests","q4-tests","q5-tests","q6-tests","status","problems","seconds"');
    expect(csv).toContain(`"'=HYPERLINK(""x"")"`);
    r.cells.push({ kind: "student", source: "<script>alert(1)</script>", outputs: [{ output_type: "display_data", data: { "text/html": "<script>steal()</script>", "text/plain": "<img onerror=x>" }, metadata: {} }], status: "ok", seconds: 0 });
    const html = feedbackHtml(r);
    expect(html).not.toMatch(/<script>alert|steal\(\)|<img onerror/);
    expect(html).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
    expect(safeId("../a b")).toBe("__a_b");
    // A figure is drawn offline from its spec: plotly.js inlined once, the spec as escaped JSON.
    r.cells.push({ kind: "solution", source: "show(fig)", outputs: [{ output_type: "display_data", data: { "application/vnd.plotly.v1+json": { data: [{ type: "scatter", y: [1, 2], name: "</script><b>" }], layout: {} }, "text/plain": "<figure>" }, metadata: {} }], status: "ok", seconds: 0 });
    const withFig = feedbackHtml(r);
    expect(withFig).toContain('Plotly.newPlot("fig-1-0"');
    expect(withFig).toContain("\\u003c/script\\u003e\\u003cb\\u003e");
    expect(withFig.length).toBeGreaterThan(1_000_000); // plotly.js is inlined: no network needed
    expect(html).not.toContain("Plotly.newPlot"); // and only when there is a figure
  });
});
