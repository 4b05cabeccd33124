/**
 * `npm run assign -- <notebook…|all> [--out DIR]`: the student versions of homework notebooks.
 *
 * For each notebook (a path, a name in homework/ or notebooks/, or `all` = every notebook in
 * homework/ and notebooks/ that has nbgrader cells) writes release/<name>/<name>.ipynb:
 * solution regions replaced by a stub that throws "not implemented: <what>", hidden tests
 * removed, the visible tests of each test cell wrapped in `check(gradeId, points, …)` (the
 * student's per-question self-check, src/runtime/check.ts), outputs and execution counts cleared, test and read-only cells locked (nbgrader
 * `locked` and Jupyter's `editable`/`deletable` false), nbgrader checksums recorded, cell ids
 * replaced by content-free ones, attachments of solution cells dropped and notebook metadata
 * reduced to the kernelspec. Then it searches the written file for every line of every
 * solution region and hidden test and refuses (exit 1, file removed) if one is found.
 */
import * as fs from "fs";
import * as path from "path";
import { PROJECT_ROOT } from "../../kernel/client";
import { isMainScript } from "../../kernel/cli";
import { Cell, joinSource, Notebook, readNotebook, splitLines, writeNotebook } from "../../kernel/notebook";
import {
  cellRole,
  computeChecksum,
  hasHiddenTests,
  hasSolutionMarkers,
  MarkerError,
  nbgraderMeta,
  questions,
  releaseCellId,
  secretLines,
  stripHiddenTests,
  stripSolutions,
  topLevelNames,
  wrapReleasedTest,
  gradingLimits,
} from "./format";

export const HOMEWORK_DIR = path.join(PROJECT_ROOT, "homework");
export const RELEASE_DIR = path.join(PROJECT_ROOT, "release");
const SEARCH_DIRS = [HOMEWORK_DIR, path.join(PROJECT_ROOT, "notebooks")];

/** The notebook's assignment name: its file name without .ipynb. */
export function assignmentName(file: string): string {
  return path.basename(file).replace(/\.ipynb$/, "");
}

/** True when a notebook has at least one nbgrader cell (so it can be assigned). */
export function isAssignment(nb: Notebook): boolean {
  return nb.cells.some((c) => cellRole(c) !== "plain");
}

/** Resolve "01", "01-generative…", a path, or "all" to instructor notebooks. */
export function resolveAssignments(names: string[]): string[] {
  const listing = (dir: string) => (fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith(".ipynb")).sort().map((f) => path.join(dir, f)) : []);
  if (names.length === 1 && names[0] === "all") {
    return SEARCH_DIRS.flatMap(listing).filter((f) => {
      try {
        return isAssignment(readNotebook(f));
      } catch {
        return false;
      }
    });
  }
  return names.map((name) => {
    if (fs.existsSync(name) && name.endsWith(".ipynb")) return path.resolve(name);
    for (const dir of SEARCH_DIRS) {
      const hits = listing(dir).filter((f) => path.basename(f) === `${name}.ipynb` || path.basename(f).startsWith(name));
      if (hits.length === 1) return hits[0];
      if (hits.length > 1) throw new Error(`"${name}" matches several notebooks in ${path.relative(PROJECT_ROOT, dir)}/: ${hits.map((h) => path.basename(h)).join(", ")}. Give more of the name.`);
    }
    throw new Error(`No notebook "${name}" in homework/ or notebooks/ (give a path, a name, or "all").`);
  });
}

function releaseMeta(m: Record<string, unknown>, locked: boolean): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (m.nbgrader) out.nbgrader = { ...(m.nbgrader as object) };
  if (locked) {
    out.editable = false;
    out.deletable = false;
  }
  return out;
}

/**
 * The student version of an instructor notebook (pure: same input, same output). Throws a
 * MarkerError for unbalanced markers, markers outside solution/test cells, or bad metadata.
 */
export function makeRelease(nb: Notebook, name: string): Notebook {
  const where = (i: number) => `${name}, cell ${i}`;
  questions(nb, name); // validates grade_ids and points
  const cells: Cell[] = nb.cells.map((cell, i): Cell => {
    const role = cellRole(cell);
    const src = joinSource(cell.source);
    const m = nbgraderMeta(cell);
    if (role !== "solution" && role !== "manual" && hasSolutionMarkers(src) && cell.cell_type === "code") {
      throw new MarkerError(`${where(i)}: has solution markers but is not a solution cell (set nbgrader "solution": true and a grade_id).`);
    }
    if (role !== "test" && hasHiddenTests(src)) {
      throw new MarkerError(`${where(i)}: has "BEGIN HIDDEN TESTS" but is not a test cell (set nbgrader "grade": true, "locked": true, "points").`);
    }
    let source = src;
    let locked = false;
    if (role === "solution" || role === "manual") {
      if (cell.cell_type === "code") {
        source = hasSolutionMarkers(src)
          ? stripSolutions(src, where(i), m!.grade_id!)
          : `// YOUR CODE HERE\nthrow new Error(${JSON.stringify(`not implemented: ${m!.grade_id}`)});`;
      } else source = "YOUR ANSWER HERE";
    } else if (role === "test") {
      const visible = stripHiddenTests(src, where(i));
      // Later cells must not rely on a test cell's declarations: the release wraps the cell in check(…).
      const later = nb.cells.slice(i + 1).filter((c) => c.cell_type === "code").map((c) => joinSource(c.source)).join("\n");
      const shared = topLevelNames(visible).filter((n) => new RegExp(`(^|[^\\w$.])${n.replace(/\$/g, "\\$")}\\b`).test(later));
      if (shared.length) {
        throw new MarkerError(`${where(i)}: test cell "${m!.grade_id}" declares ${shared.join(", ")}, used by a later cell; the release runs a test cell's visible tests inside check(…), so declare shared values in a read-only or solution cell.`);
      }
      source = wrapReleasedTest(visible, m!.grade_id!, Number(m!.points ?? 0));
      locked = true;
    } else if (role === "readonly" || role === "task") {
      locked = true;
    }
    const out: Cell = {
      id: releaseCellId(name, i),
      cell_type: cell.cell_type,
      metadata: releaseMeta(cell.metadata ?? {}, locked),
      source: splitLines(source),
    };
    if (cell.cell_type === "code") {
      out.execution_count = null;
      out.outputs = [];
    }
    if (cell.attachments && cell.cell_type === "markdown" && role === "plain") out.attachments = cell.attachments;
    const nm = nbgraderMeta(out);
    if (nm) {
      nm.schema_version = 3;
      nm.cell_type = cell.cell_type;
      nm.locked = role === "solution" ? false : locked || !!nm.locked;
      delete nm.checksum;
      nm.checksum = computeChecksum(out);
    }
    return out;
  });
  const meta: Record<string, unknown> = {};
  for (const k of ["kernelspec", "language_info"]) if (nb.metadata[k] !== undefined) meta[k] = nb.metadata[k];
  const limits = gradingLimits(nb, name);
  meta.latentlab = limits.cellTimeoutSeconds ? { assignment: name, grading: limits } : { assignment: name };
  return { nbformat: 4, nbformat_minor: 5, metadata: meta, cells };
}

/** Remove solution markers, keep the code between them (a one-line marker keeps its line). */
export function solutionWithoutMarkers(source: string): string {
  return source
    .split("\n")
    .filter((l) => !/^\s*\/\/\s*(BEGIN|END) SOLUTION\b/.test(l))
    .map((l) => l.replace(/\s*\/\/\s*SOLUTION\s*$/, ""))
    .join("\n");
}

/**
 * The release with the instructor's solutions filled in: what a perfect student submits.
 * Used to check that an assignment scores full marks through the whole pipeline.
 */
export function solvedSubmission(source: Notebook, name: string): Notebook {
  const release = makeRelease(source, name);
  release.cells.forEach((cell, i) => {
    const orig = source.cells[i];
    if (cellRole(orig) === "solution" && orig.cell_type === "code") cell.source = splitLines(solutionWithoutMarkers(joinSource(orig.source)));
  });
  return release;
}

/** Every secret (solution line, hidden test line) found in `text`. */
export function leaks(source: Notebook, text: string): string[] {
  const found: string[] = [];
  for (const cell of source.cells) {
    for (const s of secretLines(joinSource(cell.source))) {
      if (text.includes(s) || text.includes(JSON.stringify(s).slice(1, -1))) found.push(s);
    }
  }
  return found;
}

export interface AssignResult {
  name: string;
  source: string;
  release: string;
  questions: number;
  points: number;
}

/** Write the release of one instructor notebook; verifies that nothing secret leaked. */
export function assignNotebook(file: string, outDir = RELEASE_DIR): AssignResult {
  const name = assignmentName(file);
  const nb = readNotebook(file);
  if (!isAssignment(nb)) throw new Error(`${file} has no nbgrader cells: nothing to assign (see homework/00-example-markers.ipynb).`);
  const release = makeRelease(nb, name);
  const dest = path.join(outDir, name, `${name}.ipynb`);
  writeNotebook(dest, release);
  const found = leaks(nb, fs.readFileSync(dest, "utf8"));
  if (found.length) {
    fs.rmSync(dest, { force: true });
    throw new Error(`${name}: the release would contain solution or hidden-test text (${found.slice(0, 3).map((s) => JSON.stringify(s)).join(", ")}); not written.`);
  }
  const qs = questions(nb, name);
  return { name, source: file, release: dest, questions: qs.length, points: qs.reduce((s, q) => s + q.points, 0) };
}

const USAGE = `usage: npm run assign -- <notebook…|all> [--out DIR]
  notebook  a path, or a name in homework/ or notebooks/ ("01", "01-generative-models-of-text")
  all       every notebook in homework/ and notebooks/ that has nbgrader cells
  --out     where release/<name>/<name>.ipynb goes (default release/)`;

export function main(argv: string[]): number {
  const names: string[] = [];
  let out = RELEASE_DIR;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--help" || argv[i] === "-h") {
      process.stdout.write(USAGE + "\n");
      return 0;
    }
    if (argv[i] === "--out") out = path.resolve(argv[++i] ?? "");
    else if (argv[i].startsWith("-")) {
      process.stderr.write(`Unknown option ${argv[i]}.\n${USAGE}\n`);
      return 2;
    } else names.push(argv[i]);
  }
  if (names.length === 0) {
    process.stderr.write(USAGE + "\n");
    return 2;
  }
  let failed = 0;
  let files: string[];
  try {
    files = resolveAssignments(names);
  } catch (e) {
    process.stderr.write((e as Error).message + "\n");
    return 2;
  }
  for (const f of files) {
    try {
      const r = assignNotebook(f, out);
      process.stdout.write(`${r.name}: ${r.questions} graded cells, ${r.points} points -> ${path.relative(process.cwd(), r.release)}\n`);
    } catch (e) {
      failed++;
      process.stderr.write(`${(e as Error).message}\n`);
    }
  }
  return failed ? 1 : 0;
}

if (isMainScript(__filename)) process.exitCode = main(process.argv.slice(2));
