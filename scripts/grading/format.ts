/**
 * Homework notebooks: nbgrader's cell metadata (schema 3) and latentlab's source markers.
 *
 * Cell metadata, exactly as nbgrader writes it (so nbgrader itself can read our notebooks):
 *
 *   "nbgrader": { "schema_version": 3, "grade_id": "q1-counts", "cell_type": "code",
 *                 "solution": bool, "grade": bool, "locked": bool, "task": false,
 *                 "points": 2,                  // grade cells only
 *                 "checksum": "<md5>" }         // written by assign
 *
 * | kind | solution | grade | locked | what the grader does with it |
 * | --- | --- | --- | --- | --- |
 * | solution cell | true | false | false | the student's version runs |
 * | autograded test cell | false | true | true | the instructor's version (with hidden tests) runs; scored |
 * | read-only cell | false | false | true | the instructor's version runs |
 * | unmarked cell | – | – | – | the student's version runs where the student put it |
 *
 * Markers in code (TypeScript comments, nbgrader's words):
 *
 *   // BEGIN SOLUTION [what]      …      // END SOLUTION
 *       → release: "// YOUR CODE HERE" and a throw of `not implemented: <what>` (what = the
 *         label, else the enclosing function, else the cell's grade_id)
 *   <statement>  // SOLUTION      (one line; `const x = …; // SOLUTION` keeps `const x`)
 *   // BEGIN HIDDEN TESTS        …      // END HIDDEN TESTS   → removed from the release
 */
import { createHash } from "crypto";
import type { Cell, Notebook } from "../../kernel/notebook";
import { joinSource } from "../../kernel/notebook";

export interface NbgraderMeta {
  schema_version?: number;
  grade_id?: string;
  cell_type?: string;
  solution?: boolean;
  grade?: boolean;
  locked?: boolean;
  task?: boolean;
  points?: number;
  checksum?: string;
}

export type CellRole = "solution" | "test" | "readonly" | "task" | "manual" | "plain";

export function nbgraderMeta(cell: Cell): NbgraderMeta | null {
  const m = cell.metadata?.nbgrader;
  return m && typeof m === "object" && !Array.isArray(m) ? (m as NbgraderMeta) : null;
}

/** What the grader does with a cell (see the table above). */
export function cellRole(cell: Cell): CellRole {
  const m = nbgraderMeta(cell);
  if (!m || typeof m.grade_id !== "string") return "plain";
  if (m.task) return "task";
  if (m.solution && m.grade) return "manual";
  if (m.solution) return "solution";
  if (m.grade) return "test";
  if (m.locked) return "readonly";
  return "plain";
}

/** Python's str(float(x)), as nbgrader puts the points into its checksum. */
function pyFloat(x: number): string {
  if (Number.isInteger(x)) return `${x}.0`;
  return String(x);
}

/**
 * nbgrader's checksum of a cell: md5 over the source, the cell type, str(is_grade),
 * str(is_solution), str(is_locked), the grade_id, and str(float(points)) for grade cells.
 */
export function computeChecksum(cell: Cell): string {
  const m = nbgraderMeta(cell) ?? {};
  const h = createHash("md5");
  h.update(joinSource(cell.source), "utf8");
  h.update(cell.cell_type);
  const isGrade = !!m.grade;
  const isSolution = !!m.solution;
  const isLocked = isSolution ? false : isGrade ? true : !!m.locked;
  h.update(isGrade ? "True" : "False");
  h.update(isSolution ? "True" : "False");
  h.update(isLocked ? "True" : "False");
  h.update(String(m.grade_id ?? ""));
  if (isGrade) h.update(pyFloat(Number(m.points ?? 0)));
  return h.digest("hex");
}

export class MarkerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "MarkerError";
  }
}

const BEGIN_SOLUTION = /^\s*\/\/\s*BEGIN SOLUTION\b\s*:?\s*(.*)$/;
const END_SOLUTION = /^\s*\/\/\s*END SOLUTION\b/;
const BEGIN_HIDDEN = /^\s*\/\/\s*BEGIN HIDDEN TESTS\b/;
const END_HIDDEN = /^\s*\/\/\s*END HIDDEN TESTS\b/;
const ONE_LINE = /^(\s*)(.*?)\s*\/\/\s*SOLUTION\s*$/;

export function hasSolutionMarkers(source: string): boolean {
  return source.split("\n").some((l) => BEGIN_SOLUTION.test(l) || ONE_LINE.test(l));
}

export function hasHiddenTests(source: string): boolean {
  return source.split("\n").some((l) => BEGIN_HIDDEN.test(l));
}

/** The name of the function (declaration, method or arrow function) whose body encloses line `i`. */
function enclosingName(lines: string[], i: number): string | undefined {
  for (let j = i - 1; j >= 0; j--) {
    const m =
      lines[j].match(/\bfunction\s*\*?\s*([A-Za-z_$][\w$]*)/) ??
      lines[j].match(/\b(?:const|let|var)\s+([A-Za-z_$][\w$]*)\s*(?::[^=]*)?=\s*(?:async\s*)?(?:\([^)]*\)|[A-Za-z_$][\w$]*)\s*(?::[^=]*)?=>/) ??
      lines[j].match(/^\s*(?:public\s+|private\s+|static\s+|async\s+)*([A-Za-z_$][\w$]*)\s*\([^)]*\)\s*(?::[^{]*)?\{\s*$/);
    if (m && !["if", "for", "while", "switch", "catch"].includes(m[1])) return m[1];
  }
  return undefined;
}

function stubThrow(indent: string, what: string): string {
  return `${indent}throw new Error(${JSON.stringify(`not implemented: ${what}`)});`;
}

/**
 * The student version of a solution cell's source: every solution region replaced by a stub
 * that throws "not implemented: <what>". `where` names the cell in error messages.
 */
export function stripSolutions(source: string, where: string, fallbackWhat: string): string {
  const lines = source.split("\n");
  const out: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const begin = lines[i].match(BEGIN_SOLUTION);
    if (begin) {
      const indent = lines[i].match(/^\s*/)![0];
      const what = begin[1].trim() || enclosingName(lines, i) || fallbackWhat;
      let j = i + 1;
      while (j < lines.length && !END_SOLUTION.test(lines[j])) {
        if (BEGIN_SOLUTION.test(lines[j])) throw new MarkerError(`${where}: nested "// BEGIN SOLUTION" at line ${j + 1} (the one at line ${i + 1} is not closed).`);
        j++;
      }
      if (j >= lines.length) throw new MarkerError(`${where}: "// BEGIN SOLUTION" at line ${i + 1} has no "// END SOLUTION".`);
      out.push(`${indent}// YOUR CODE HERE`, stubThrow(indent, what));
      i = j;
      continue;
    }
    if (END_SOLUTION.test(lines[i])) throw new MarkerError(`${where}: "// END SOLUTION" at line ${i + 1} without a "// BEGIN SOLUTION".`);
    const one = lines[i].match(ONE_LINE);
    if (one && one[2] !== "") {
      const [, indent, code] = one;
      const decl = code.match(/^((?:export\s+)?(?:const|let|var)\s+([A-Za-z_$][\w$]*)\s*(?::\s*[^=]+?)?)\s*=/);
      if (decl) {
        out.push(`${indent}${decl[1].trimEnd()} = (() => { ${stubThrow("", decl[2])} })(); // YOUR CODE HERE`);
      } else {
        out.push(`${indent}// YOUR CODE HERE`, stubThrow(indent, enclosingName(lines, i) ?? fallbackWhat));
      }
      continue;
    }
    out.push(lines[i]);
  }
  return out.join("\n");
}

/** A test cell's source without its hidden tests (and without the markers). */
export function stripHiddenTests(source: string, where: string): string {
  const lines = source.split("\n");
  const out: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (BEGIN_HIDDEN.test(lines[i])) {
      let j = i + 1;
      while (j < lines.length && !END_HIDDEN.test(lines[j])) j++;
      if (j >= lines.length) throw new MarkerError(`${where}: "// BEGIN HIDDEN TESTS" at line ${i + 1} has no "// END HIDDEN TESTS".`);
      i = j;
      continue;
    }
    if (END_HIDDEN.test(lines[i])) throw new MarkerError(`${where}: "// END HIDDEN TESTS" at line ${i + 1} without a "// BEGIN HIDDEN TESTS".`);
    out.push(lines[i]);
  }
  return out.join("\n").replace(/\n{3,}/g, "\n\n").replace(/\s+$/, "");
}

/** Names a cell declares at its top level (const/let/var/function/class), roughly: for the wrap check below. */
export function topLevelNames(source: string): string[] {
  const names: string[] = [];
  for (const l of source.split("\n")) {
    const m = l.match(/^(?:export\s+)?(?:const|let|var|function\*?|class|async\s+function)\s+([A-Za-z_$][\w$]*)/);
    if (m) names.push(m[1]);
    const d = l.match(/^(?:export\s+)?(?:const|let|var)\s+\{([^}]*)\}/);
    if (d) for (const part of d[1].split(",")) {
      const n = part.split(":").pop()!.split("=")[0].trim();
      if (/^[A-Za-z_$][\w$]*$/.test(n)) names.push(n);
    }
  }
  return names;
}

/**
 * A released test cell: its visible tests inside `check(gradeId, points, () => { … })`, so
 * that running the cell says passed / failed and the points at stake, and `check(gradeId)` /
 * `check()` work from any later cell (src/runtime/check.ts). Imports stay at the top; a cell
 * with `await` gets an async function. A cell without visible tests keeps a comment only.
 */
export function wrapReleasedTest(visible: string, gradeId: string, points: number): string {
  const lines = visible.split("\n");
  const isImport = (l: string) => /^\s*import\s.*from\s/.test(l);
  const imports = lines.filter(isImport);
  const body = lines.filter((l) => !isImport(l));
  const code = body.filter((l) => l.trim() !== "" && !/^\s*\/\//.test(l));
  const head = `// Visible tests of "${gradeId}" (${points} point${points === 1 ? "" : "s"}); the autograder adds hidden tests. Run this cell, or check("${gradeId}") from any cell after a fix; check() lists every question.`;
  if (code.length === 0) return [...imports, `// "${gradeId}" (${points} point${points === 1 ? "" : "s"}) has hidden tests only: the autograder runs them.`].join("\n");
  const isAsync = /\bawait\b/.test(body.join("\n"));
  return [
    `import { check } from "latentlab";`,
    ...imports,
    head,
    `${isAsync ? "await " : ""}check(${JSON.stringify(gradeId)}, ${points}, ${isAsync ? "async " : ""}() => {`,
    ...body.map((l) => (l === "" ? l : "  " + l)),
    `});`,
  ].join("\n");
}

/** The source of a test cell as the grader runs it: everything, markers removed. */
export function testSourceForGrading(source: string): string {
  return source
    .split("\n")
    .filter((l) => !BEGIN_HIDDEN.test(l) && !END_HIDDEN.test(l))
    .join("\n");
}

/** The pieces of text that must never appear in a release: solution regions and hidden tests. */
export function secretLines(source: string): string[] {
  const lines = source.split("\n");
  const secrets: string[] = [];
  let inside: RegExp | null = null;
  for (const l of lines) {
    if (inside) {
      if (inside.test(l)) inside = null;
      else if (l.trim().length >= 12) secrets.push(l.trim());
      continue;
    }
    if (BEGIN_SOLUTION.test(l)) inside = END_SOLUTION;
    else if (BEGIN_HIDDEN.test(l)) inside = END_HIDDEN;
    else {
      const one = l.match(ONE_LINE);
      if (one && one[2].trim().length >= 6) {
        const rhs = one[2].split("=").slice(1).join("=").trim();
        secrets.push(rhs.length >= 6 ? rhs : one[2].trim());
      }
    }
  }
  return secrets;
}

export interface Question {
  gradeId: string;
  points: number;
  /** Index of the test cell in the notebook. */
  index: number;
  hidden: boolean;
}

/** The autograded test cells of a notebook (grade_id, points), in order. Checks the metadata. */
export function questions(nb: Notebook, where: string): Question[] {
  const seen = new Set<string>();
  const qs: Question[] = [];
  nb.cells.forEach((cell, index) => {
    const m = nbgraderMeta(cell);
    if (!m) return;
    const id = m.grade_id;
    if (typeof id !== "string" || !/^[A-Za-z0-9_-]+$/.test(id)) {
      throw new MarkerError(`${where}: cell ${index} has nbgrader metadata without a valid grade_id (letters, digits, - and _): ${JSON.stringify(id)}.`);
    }
    if (seen.has(id)) throw new MarkerError(`${where}: grade_id "${id}" is used by two cells; each cell needs its own.`);
    seen.add(id);
    if (cellRole(cell) === "test") {
      if (cell.cell_type !== "code") throw new MarkerError(`${where}: test cell "${id}" must be a code cell.`);
      if (!(typeof m.points === "number" && m.points >= 0)) throw new MarkerError(`${where}: test cell "${id}" needs "points" ≥ 0 in its nbgrader metadata.`);
      qs.push({ gradeId: id, points: m.points, index, hidden: hasHiddenTests(joinSource(cell.source)) });
    }
  });
  return qs;
}

/**
 * The time a notebook says its cells need when graded: `metadata.latentlab.grading.cellTimeoutSeconds`
 * (a lecture notebook whose cell samples a thousand images runs longer than homework's 60 s). It
 * is the default of `autograde --timeout` and of `validate`, and `assign` carries it into the release.
 */
export function gradingLimits(nb: Notebook, where: string): { cellTimeoutSeconds?: number } {
  const g = (nb.metadata?.latentlab as { grading?: unknown } | undefined)?.grading;
  if (g === undefined) return {};
  const t = (g as { cellTimeoutSeconds?: unknown } | null)?.cellTimeoutSeconds;
  if (typeof g !== "object" || g === null || Object.keys(g).some((k) => k !== "cellTimeoutSeconds") || !(typeof t === "number" && Number.isFinite(t) && t > 0 && t <= 3600)) {
    throw new MarkerError(`${where}: metadata.latentlab.grading must be { "cellTimeoutSeconds": <seconds, 1–3600> }, got ${JSON.stringify(g)}.`);
  }
  return { cellTimeoutSeconds: t };
}

/** Deterministic, content-free cell id for a release (the instructor's ids may say anything). */
export function releaseCellId(assignment: string, index: number): string {
  return createHash("sha256").update(`${assignment}\u0000${index}`).digest("hex").slice(0, 12);
}
