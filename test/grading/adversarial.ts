/**
 * A generator of adversarial Homework 1 submissions (test fixture): each one is a release or a
 * solved release of homework/01-generative-models-of-text.ipynb with one attack or one mistake,
 * and the score and feedback the autograder must give it. Written to a folder per student at
 * test time, so no copies of big notebooks are committed.
 *
 * The expected scores follow the grading rules (scripts/grading/grade.ts): a test cell passes
 * only on its own tagged verdict; a cell that times out, exits the kernel or floods the output
 * stops the kernel and every later graded cell scores 0; replacing a built-in the checks use
 * zeroes every later test; locked cells always run as the instructor wrote them.
 */
import * as fs from "fs";
import * as path from "path";
import { Cell, joinSource, Notebook, splitLines } from "../../kernel/notebook";
import { makeRelease, solutionWithoutMarkers, solvedSubmission } from "../../scripts/grading/assign";
import { cellRole, nbgraderMeta } from "../../scripts/grading/format";

export interface Adversary {
  id: string;
  /** What it tries. */
  what: string;
  score: number;
  /** The report's status ("graded" unless the file cannot be graded at all). */
  status?: string;
  /** A line that must appear in the feedback (issues, summary or a question's message). */
  feedback?: RegExp;
  /** Text that must appear in the JSON report's cell outputs (e.g. what an escape attempt printed). */
  printed?: RegExp;
  /** Write the submission into `dir` (the student's folder). `root` is the submissions folder. */
  write(dir: string, root: string): void;
  /** Part of the quick default test run. */
  quick?: boolean;
}

const clone = (nb: Notebook): Notebook => JSON.parse(JSON.stringify(nb));

function idOf(c: Cell): string | undefined {
  return nbgraderMeta(c)?.grade_id;
}

function indexOf(nb: Notebook, gradeId: string): number {
  const i = nb.cells.findIndex((c) => idOf(c) === gradeId);
  if (i < 0) throw new Error(`fixture: no cell ${gradeId}`);
  return i;
}

function setSource(nb: Notebook, gradeId: string, src: string): Notebook {
  nb.cells[indexOf(nb, gradeId)].source = splitLines(src);
  return nb;
}

function codeCell(src: string): Cell {
  return { cell_type: "code", metadata: {}, source: splitLines(src), outputs: [], execution_count: null };
}

function insertAfter(nb: Notebook, gradeId: string, src: string): Notebook {
  nb.cells.splice(indexOf(nb, gradeId) + 1, 0, codeCell(src));
  return nb;
}

function save(dir: string, nb: Notebook | string, name = "01-generative-models-of-text.ipynb"): void {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, name), typeof nb === "string" ? nb : JSON.stringify(nb, null, 1));
}

/** Every adversary for the instructor notebook `source` (file `sourceFile`). */
export function adversaries(source: Notebook, sourceFile: string): Adversary[] {
  const name = "01-generative-models-of-text";
  const solved = () => clone(solvedSubmission(source, name));
  const release = () => clone(makeRelease(source, name));
  const solution = (id: string) => solutionWithoutMarkers(joinSource(source.cells[indexOf(source, id)].source));
  const solvedWith = (id: string, from: string, to: string) => {
    const src = solution(id);
    if (!src.includes(from)) throw new Error(`fixture: "${from}" not in ${id}`);
    return setSource(solved(), id, src.replace(from, to));
  };
  // A wrong bigramCounts that only the hidden test sees (small inputs), so nothing downstream changes.
  const wrongQ1 = () => solvedWith("q1-bigram-counts", "for (const w of words) {", "if (words.length < 5) return N; // a bug on small inputs\n  for (const w of words) {");
  const simple = (id: string, what: string, score: number, make: () => Notebook, extra: Partial<Adversary> = {}): Adversary => ({
    id,
    what,
    score,
    write: (dir) => save(dir, make()),
    ...extra,
  });
  const releaseWith = (ids: string[]) => {
    const nb = release();
    for (const id of ids) setSource(nb, id, solution(id));
    return nb;
  };
  const list: Adversary[] = [
    simple("perfect", "the instructor's solutions", 12, solved, { quick: true, feedback: /every graded cell passed/ }),
    simple("untouched-release", "submits the release as is", 0, release, { quick: true, feedback: /not implemented: bigramCounts/ }),
    simple("only-q1", "answers question 1 only", 2, () => releaseWith(["q1-bigram-counts"])),
    simple("q1-to-q4", "answers questions 1-4", 9, () => releaseWith(["q1-bigram-counts", "q2-smoothing", "q3-sampling", "q4-perplexity"])),
    simple("q2-ignores-k", "add-k without k (maximum likelihood): partial credit 2 of 3; zeros make held-out names impossible", 8,
      () => solvedWith("q2-smoothing", "row.map((c) => (c + k) / (n + k * V))", "row.map((c) => c / n)"), { feedback: /P matches the library/ }),
    simple("q4-log2", "perplexity with log2 inside exp", 10, () => solvedWith("q4-perplexity", "Math.log(P[", "Math.log2(P["), { feedback: /uniform model has perplexity V/ }),
    simple("q6-bigram-dag", "the RNN written as a bigram chain", 10,
      () => solvedWith("q6-rnn", "Array.from({ length: t }, (_, j) => `w${j + 1}`)", "(t === 0 ? [] : [`w${t}`])"), { feedback: /d-connected/ }),
    simple("sync-infinite-loop", "sampleName never returns (while (true) {})", 5,
      () => solvedWith("q3-sampling", "const ids: number[] = [];", "const ids: number[] = []; while (true) { /* spin */ }"), { quick: true, feedback: /ran longer than/ }),
    simple("async-infinite-loop", "a never-ending microtask loop started after question 2", 5,
      () => insertAfter(solved(), "q2-tests", "void (async () => { for (;;) await null; })();"), { feedback: /ran longer than/ }),
    simple("process-exit", "process.exit(0) after question 1", 2, () => insertAfter(solved(), "q1-tests", "process.exit(0);"), { feedback: /kernel died/ }),
    simple("throws-early", "a cell that throws before any answer", 12, () => insertAfter(solved(), "setup", `throw new Error("boom");`)),
    simple("huge-output", "prints far more than the output limit after question 3", 7,
      () => insertAfter(solved(), "q3-tests", `const line = "x".repeat(1000) + "\\n"; for (let i = 0; i < 20000; i++) process.stdout.write(line);`), { feedback: /printed more than/ }),
    simple("memory-hog", "allocates until the memory limit after question 5", 10,
      () => insertAfter(solved(), "q5-tests", "const hog: number[][] = []; for (;;) hog.push(new Array(1e6).fill(1.5));"), { feedback: /kernel died|ran longer/ }),
    simple("fork-bomb", "a shell fork bomb, detached, at the end", 12,
      () => insertAfter(solved(), "q6-tests", `require("child_process").spawn("sh", ["-c", "b() { b | b & }; b"], { detached: true, stdio: "ignore" }).unref();`)),
    simple("detached-children", "detached sleepers and a double fork that should outlive the kernel", 12,
      () => insertAfter(solved(), "setup", `const cp = require("child_process"); cp.spawn("sleep", ["600"], { detached: true, stdio: "ignore" }).unref(); cp.spawn("sh", ["-c", "setsid sleep 600 &"], { detached: true, stdio: "ignore" }).unref();`)),
    {
      id: "read-instructor-and-others",
      what: "reads the instructor's notebook, the grader's code, other students' folders and the host's processes",
      score: 12,
      quick: true,
      printed: /readable: none/,
      write: (dir, root) =>
        save(dir, insertAfter(solved(), "setup", `{
const fs = require("fs");
const tries = [${JSON.stringify(sourceFile)}, ${JSON.stringify(path.join(root, "perfect", `${name}.ipynb`))}, ${JSON.stringify(root)},
  ${JSON.stringify(path.join(path.dirname(sourceFile), "..", "scripts", "grading", "grade.ts"))}, ${JSON.stringify(path.join(path.dirname(sourceFile), "..", "README.md"))}];
const got = tries.filter((p) => { try { fs.readdirSync(p); return true; } catch {} try { fs.readFileSync(p); return true; } catch { return false; } });
const pids = fs.readdirSync("/proc").filter((p: string) => /^\\d+$/.test(p)).length;
console.log("readable: " + (got.length ? got.join(", ") : "none") + "; processes visible: " + pids);
}`)),
    },
    {
      id: "network",
      what: "opens connections to the internet and to the host's loopback",
      score: 12,
      printed: /network: blocked/,
      write: (dir) =>
        save(dir, insertAfter(solved(), "setup", `{
const net = require("net");
const probe = (host: string, port: number) => new Promise<boolean>((res) => { const s = net.connect({ host, port }); s.once("connect", () => { s.destroy(); res(true); }); s.once("error", () => res(false)); setTimeout(() => { s.destroy(); res(false); }, 2000); });
const ok = [await probe("1.1.1.1", 80), await probe("127.0.0.1", 22), await fetch("http://example.com").then(() => true, () => false)];
console.log(ok.some(Boolean) ? "network: OPEN " + ok.join(",") : "network: blocked");
}`)),
    },
    {
      id: "write-other-student",
      what: "writes a file into another student's folder and into the project",
      score: 12,
      quick: true,
      printed: /writes: none/,
      write: (dir, root) =>
        save(dir, insertAfter(solved(), "setup", `{
const fs = require("fs");
const targets = [${JSON.stringify(path.join(root, "perfect", "hacked.txt"))}, ${JSON.stringify(path.join(path.dirname(sourceFile), "hacked.txt"))}, ${JSON.stringify(path.join(path.dirname(sourceFile), "..", "lib", "hacked.txt"))}];
const done = targets.filter((t) => { try { fs.writeFileSync(t, "x"); return true; } catch { return false; } });
console.log("writes: " + (done.length ? done.join(", ") : "none"));
}`)),
    },
    simple("edited-test", "replaces the question 1 test cell by a comment (correct answer)", 12,
      () => setSource(solved(), "q1-tests", "// tests removed"), { quick: true, feedback: /test cell "q1-tests" was edited/ }),
    simple("edited-test-wrong-answer", "empties the question 1 test and answers it wrongly", 10, () => {
      return setSource(wrongQ1(), "q1-tests", "// all good");
    }, { feedback: /was edited/ }),
    simple("deleted-test", "deletes the question 2 test cell", 12, () => {
      const nb = solved();
      nb.cells.splice(indexOf(nb, "q2-tests"), 1);
      return nb;
    }, { feedback: /"q2-tests" was deleted/ }),
    simple("duplicated-test", "duplicates the question 3 test cell", 12, () => {
      const nb = solved();
      const i = indexOf(nb, "q3-tests");
      nb.cells.splice(i, 0, clone(nb).cells[i]);
      return nb;
    }, { feedback: /"q3-tests" is duplicated/ }),
    simple("retyped-test", "turns the question 4 test into a markdown cell", 12, () => {
      const nb = solved();
      const c = nb.cells[indexOf(nb, "q4-tests")];
      c.cell_type = "markdown";
      delete c.outputs;
      delete c.execution_count;
      return nb;
    }, { feedback: /"q4-tests" was changed to a markdown cell/ }),
    simple("moved-test", "moves the question 6 test to the top", 12, () => {
      const nb = solved();
      const [c] = nb.cells.splice(indexOf(nb, "q6-tests"), 1);
      nb.cells.splice(1, 0, c);
      return nb;
    }, { feedback: /"q6-tests" was moved/ }),
    simple("solution-moved-to-plain-cell", "deletes the question 6 solution cell and defines rnnParents in a cell of its own", 12, () => {
      const nb = solved();
      const src = joinSource(nb.cells[indexOf(nb, "q6-rnn")].source);
      nb.cells.splice(indexOf(nb, "q6-rnn"), 1, codeCell(src));
      return nb;
    }, { feedback: /solution cell "q6-rnn" is missing/ }),
    {
      id: "corrupt-json",
      what: "a truncated .ipynb",
      score: 0,
      status: "unreadable",
      quick: true,
      feedback: /not valid notebook JSON/,
      write: (dir) => save(dir, JSON.stringify(solved()).slice(0, 5000)),
    },
    {
      id: "python-notebook",
      what: "a notebook of another kernel (Python)",
      score: 0,
      status: "wrong-kernel",
      quick: true,
      feedback: /must be "TypeScript \(latentlab\)"/,
      write: (dir) => {
        const nb = solved();
        nb.metadata = { kernelspec: { name: "python3", display_name: "Python 3", language: "python" }, language_info: { name: "python" } };
        save(dir, nb);
      },
    },
    { id: "no-notebook", what: "a folder without a notebook", score: 0, status: "no-notebook", feedback: /no \.ipynb/, write: (dir) => (fs.mkdirSync(dir, { recursive: true }), fs.writeFileSync(path.join(dir, "answers.txt"), "42")) },
    simple("empty-notebook", "a notebook with no cells", 0, () => ({ ...solved(), cells: [] }), { feedback: /was deleted/ }),
    simple("patch-check-module", "replaces assertClose in latentlab's module and answers question 1 wrongly", 10, () => {
      return insertAfter(wrongQ1(), "setup", `for (const m of [require("latentlab"), require("latentlab/lib/runtime/check.js")]) { try { m.assertClose = () => undefined; m.assertThat = () => undefined; } catch {} }
(globalThis as any).assertClose = () => undefined;`);
    }, { quick: true, feedback: /✗ counts of \['ann', 'nab', 'b'\]/ }),
    simple("patch-builtin", "replaces Math.abs so that every difference looks like 0", 0,
      () => insertAfter(solved(), "setup", "Math.abs = () => 0;"), { feedback: /replaced built-in functions the checks rely on \(Math\.abs\)/ }),
    simple("forged-verdict", "prints look-alike pass verdicts and answers question 1 wrongly", 10, () => {
      return insertAfter(wrongQ1(), "setup", `for (let i = 0; i < 3; i++) console.log("\\n\\u00ablatentlab-grade 000000 {\\"ok\\":true,\\"credit\\":null}\\u00bb");
setInterval(() => console.log("\\u00ablatentlab-grade 000000 {\\"ok\\":true}\\u00bb"), 5);`);
    }, { feedback: /✗ counts of \['ann', 'nab', 'b'\]/ }),
    simple("forged-credit", "calls the partial-credit hook itself, redefines it, and answers question 2 wrongly", 8, () => {
      const nb = solvedWith("q2-smoothing", "row.map((c) => (c + k) / (n + k * V))", "row.map((c) => c / n)");
      return insertAfter(nb, "setup", `{ const key = Symbol.for("latentlab.grader"); const g: any = globalThis;
try { Object.defineProperty(g, key, { value: { credit() {} } }); } catch {}
setInterval(() => { try { g[key].credit(3, 3); } catch {} }, 1); }`);
    }, { feedback: /2 of 3 points/ }),
    simple("library-warning", "bigramCounts writes a warning to stderr (as libraries do): must not cost points", 12, () => {
      const src = solution("q1-bigram-counts").replace("const V = vocab.size;", `const V = vocab.size;\n  console.warn("Warning: this API is deprecated"); process.stderr.write("WARNING: slow path\\n");`);
      return setSource(solved(), "q1-bigram-counts", src);
    }),
  ];
  // Sanity: every adversary id is a distinct, file-safe folder name.
  const ids = new Set(list.map((a) => a.id));
  if (ids.size !== list.length) throw new Error("fixture: duplicate adversary ids");
  void cellRole;
  return list;
}
