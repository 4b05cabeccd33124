/**
 * Numeric checks for notebooks: every derivation in a notebook ends with one of these.
 * A passing check prints a one-line verdict (or, with `print: false`, returns it instead: a
 * printing check returns nothing, so the kernel does not echo the line a second time as the
 * cell's value); a failing
 * check throws a `CheckError` that names the check and the numbers that broke it, so the
 * headless runner and the tests fail on a wrong equation.
 *
 * The same checks grade homework (scripts/grading): a failure message teaches — it says what
 * was expected, what was got, the tolerance, and where (index, seed, part). Beyond the
 * numeric checks: `assertShape` / `assertDtype` for tensors and arrays, `assertForSeeds` for a
 * property that must hold for every one of several seeds, and `partialCredit` for a test cell
 * that awards points part by part. A check decides by its own comparison only: what a library
 * prints (a warning on stderr) never makes it fail.
 */

export class CheckError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CheckError";
  }
}

export interface CheckOptions {
  /** Absolute tolerance (default 1e-10). */
  tol?: number;
  /** Relative tolerance, applied to |expected| (default 0). */
  rtol?: number;
  /** Print the verdict line with console.log (default true). */
  print?: boolean;
}

function fmt(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  const a = Math.abs(x);
  return a !== 0 && (a < 1e-4 || a >= 1e6) ? x.toExponential(6) : x.toPrecision(10).replace(/\.?0+$/, "");
}

function emit(line: string, print: boolean | undefined): string | undefined {
  if (print ?? true) {
    console.log(line);
    return undefined;
  }
  return line;
}

/** |actual − expected| ≤ tol + rtol·|expected|, elementwise for arrays. */
export function assertClose(
  what: string,
  actual: number | ArrayLike<number>,
  expected: number | ArrayLike<number>,
  opts: CheckOptions = {},
): string | undefined {
  const tol = opts.tol ?? 1e-10;
  const rtol = opts.rtol ?? 0;
  const a = typeof actual === "number" ? [actual] : Array.from(actual);
  const e = typeof expected === "number" ? [expected] : Array.from(expected);
  if (a.length !== e.length) {
    throw new CheckError(`✗ ${what}: got ${a.length} numbers, expected ${e.length} (compare the shapes first: assertShape).`);
  }
  let worst = 0;
  let worstI = 0;
  let firstBad = -1;
  let bad = 0;
  for (let i = 0; i < a.length; i++) {
    const bound = tol + rtol * Math.abs(e[i]);
    const d = Math.abs(a[i] - e[i]);
    if (!(d <= bound)) {
      bad++;
      if (firstBad < 0) firstBad = i;
      continue;
    }
    if (d > worst) {
      worst = d;
      worstI = i;
    }
  }
  if (firstBad >= 0) {
    const i = firstBad;
    const bound = tol + rtol * Math.abs(e[i]);
    const d = Math.abs(a[i] - e[i]);
    const at = a.length > 1 ? ` at index ${i}${bad > 1 ? ` (${bad} of ${a.length} values out of tolerance)` : ""}` : "";
    const tolText = rtol ? `${fmt(tol)} + ${fmt(rtol)}·|expected| = ${fmt(bound)}` : fmt(bound);
    throw new CheckError(
      `✗ ${what}${at}: ${fmt(a[i])} vs expected ${fmt(e[i])} (|Δ| = ${fmt(d)} > tolerance ${tolText}).` +
        (Number.isNaN(a[i]) ? " Got NaN: look for 0/0, log of a negative number or an uninitialised value." : ""),
    );
  }
  const shown = a.length === 1 ? `${fmt(a[0])} ≈ ${fmt(e[0])}` : `${a.length} values, worst at ${worstI}`;
  const line = `✓ ${what}: ${shown} (|Δ| = ${fmt(worst)} ≤ ${fmt(tol)}${rtol ? ` + ${fmt(rtol)}·|x|` : ""})`;
  return emit(line, opts.print);
}

/** A claim that must hold (an inequality, a bound): throws with `detail` when it does not. */
export function assertThat(what: string, ok: boolean, detail = "", opts: { print?: boolean } = {}): string | undefined {
  if (!ok) throw new CheckError(`✗ ${what}${detail ? `: ${detail}` : ""}`);
  const line = `✓ ${what}${detail ? ` (${detail})` : ""}`;
  return emit(line, opts.print);
}

/**
 * A Monte Carlo estimate against an exact value: passes when within `k` standard errors
 * (default 4, a two-sided false-alarm rate of about 6e-5 for a normal estimate).
 */
export function assertWithinSE(
  what: string,
  estimate: number,
  standardError: number,
  exact: number,
  opts: { k?: number; print?: boolean } = {},
): string | undefined {
  const k = opts.k ?? 4;
  if (!(standardError >= 0)) throw new CheckError(`✗ ${what}: standard error ${standardError} is not a non-negative number.`);
  const z = standardError > 0 ? (estimate - exact) / standardError : estimate === exact ? 0 : Infinity;
  if (!(Math.abs(z) <= k)) {
    throw new CheckError(
      `✗ ${what}: estimate ${fmt(estimate)} ± ${fmt(standardError)} is ${fmt(Math.abs(z))} standard errors from ${fmt(exact)} (allowed ${k}).`,
    );
  }
  const line = `✓ ${what}: ${fmt(estimate)} ± ${fmt(standardError)} vs exact ${fmt(exact)} (z = ${z.toFixed(2)})`;
  return emit(line, opts.print);
}

/** Mean and standard error of the mean of a sample. */
export function meanAndSE(xs: ArrayLike<number>): { mean: number; se: number; n: number } {
  const n = xs.length;
  if (n < 2) throw new RangeError(`meanAndSE: need at least 2 values, got ${n}.`);
  let m = 0;
  for (let i = 0; i < n; i++) m += xs[i];
  m /= n;
  let v = 0;
  for (let i = 0; i < n; i++) v += (xs[i] - m) ** 2;
  v /= n - 1;
  return { mean: m, se: Math.sqrt(v / n), n };
}

// ---- tensors and arrays: shape and dtype ------------------------------------------------------

/** A dimension of an expected shape: a size, or `null` for "any size". */
export type Dim = number | null;

function isTypedArray(x: unknown): x is ArrayLike<number> & { constructor: { name: string } } {
  return ArrayBuffer.isView(x) && !(x instanceof DataView);
}

function describeValue(x: unknown): string {
  if (x === null) return "null";
  if (x === undefined) return "undefined";
  if (Array.isArray(x)) return `an array of length ${x.length}`;
  if (isTypedArray(x)) return `a ${x.constructor.name} of length ${x.length}`;
  if (typeof x === "object") return `an object (${(x as object).constructor?.name ?? "no constructor"})`;
  return `a ${typeof x} (${String(x).slice(0, 40)})`;
}

/**
 * The shape of a tensor (anything with a numeric `shape` array, e.g. a TensorFlow.js tensor),
 * of nested arrays (must be rectangular), of a typed array ([length]) or of a number ([]).
 * Throws a CheckError naming the first ragged row.
 */
export function shapeOf(x: unknown, what = "value"): number[] {
  if (typeof x === "number" || typeof x === "boolean") return [];
  if (x !== null && typeof x === "object" && !Array.isArray(x) && !isTypedArray(x)) {
    const s = (x as { shape?: unknown }).shape;
    if (Array.isArray(s) && s.every((d) => Number.isInteger(d) && d >= 0)) return s.slice();
    throw new CheckError(`✗ ${what}: expected a tensor or an array, got ${describeValue(x)} (it has no shape).`);
  }
  if (isTypedArray(x)) return [x.length];
  if (!Array.isArray(x)) throw new CheckError(`✗ ${what}: expected a tensor or an array, got ${describeValue(x)}.`);
  if (x.length === 0) return [0];
  const inner = x.map((row, i) => shapeOf(row, `${what}[${i}]`));
  for (let i = 1; i < inner.length; i++) {
    if (inner[i].join(",") !== inner[0].join(",")) {
      throw new CheckError(`✗ ${what}: ragged array — row 0 has shape [${inner[0].join(", ")}] but row ${i} has shape [${inner[i].join(", ")}].`);
    }
  }
  return [x.length, ...inner[0]];
}

/** The shape equals `expected` (`null` = any size in that dimension). */
export function assertShape(what: string, x: unknown, expected: readonly Dim[], opts: { print?: boolean } = {}): string | undefined {
  if (!Array.isArray(expected) || expected.some((d) => d !== null && !(Number.isInteger(d) && d >= 0))) {
    throw new TypeError(`assertShape(${JSON.stringify(what)}): the expected shape must be an array of sizes ≥ 0 or null; got ${JSON.stringify(expected)}.`);
  }
  const got = shapeOf(x, what);
  const show = (s: readonly Dim[]) => `[${s.map((d) => (d === null ? "any" : String(d))).join(", ")}]`;
  if (got.length !== expected.length) {
    throw new CheckError(`✗ ${what}: expected shape ${show(expected)} (rank ${expected.length}), got [${got.join(", ")}] (rank ${got.length}).`);
  }
  for (let i = 0; i < got.length; i++) {
    const d = expected[i];
    if (d !== null && got[i] !== d) {
      throw new CheckError(`✗ ${what}: expected shape ${show(expected)}, got [${got.join(", ")}] (dimension ${i} is ${got[i]}, expected ${d}).`);
    }
  }
  return emit(`✓ ${what}: shape [${got.join(", ")}]`, opts.print);
}

/**
 * The element type: a tensor's `dtype` ("float32", "int32", "bool", …), a typed array's type
 * ("float64" for Float64Array, "int32", "uint8", …), "number" / "boolean" / "string" for a
 * plain value or a non-empty plain array of such values.
 */
export function dtypeOf(x: unknown, what = "value"): string {
  if (typeof x === "number") return "number";
  if (typeof x === "boolean") return "boolean";
  if (typeof x === "string") return "string";
  if (isTypedArray(x)) {
    const name = x.constructor.name.replace(/Array$/, "");
    return name.replace(/^Float/, "float").replace(/^Int/, "int").replace(/^Uint/, "uint").replace(/^BigInt/, "bigint").replace(/^BigUint/, "biguint").replace(/Clamped$/, "clamped");
  }
  if (Array.isArray(x)) {
    if (x.length === 0) throw new CheckError(`✗ ${what}: an empty array has no element type.`);
    const kinds = new Set(x.map((v, i) => dtypeOf(v, `${what}[${i}]`)));
    if (kinds.size > 1) throw new CheckError(`✗ ${what}: mixed element types ${[...kinds].join(", ")}.`);
    return [...kinds][0];
  }
  if (x !== null && typeof x === "object" && typeof (x as { dtype?: unknown }).dtype === "string") return (x as { dtype: string }).dtype;
  throw new CheckError(`✗ ${what}: expected a tensor, an array or a number, got ${describeValue(x)}.`);
}

/** The element type is `expected` (or one of several). */
export function assertDtype(what: string, x: unknown, expected: string | readonly string[], opts: { print?: boolean } = {}): string | undefined {
  const allowed = typeof expected === "string" ? [expected] : [...expected];
  const got = dtypeOf(x, what);
  if (!allowed.includes(got)) {
    throw new CheckError(`✗ ${what}: expected dtype ${allowed.join(" or ")}, got ${got}.`);
  }
  return emit(`✓ ${what}: dtype ${got}`, opts.print);
}

// ---- properties over several seeds -------------------------------------------------------------

function messageOf(e: unknown): string {
  const m = e instanceof Error ? e.message : String(e);
  return m.replace(/^✗\s*/, "");
}

function seedList(seeds: number | readonly number[]): number[] {
  const list = typeof seeds === "number" ? Array.from({ length: seeds }, (_, i) => i) : [...seeds];
  if (list.length === 0 || list.some((s) => !Number.isInteger(s))) {
    throw new TypeError(`assertForSeeds: seeds must be a positive count or a non-empty list of integers; got ${JSON.stringify(seeds)}.`);
  }
  return list;
}

/**
 * A property that must hold for every seed: `property(seed)` returns true (or nothing) when it
 * holds, false when it does not, or throws (e.g. a failing check inside). `seeds` is a count
 * n (seeds 0..n−1) or a list. Fails at the first seed that breaks it, naming the seed and the
 * inner message. A property that returns a promise makes the whole check return a promise.
 */
export function assertForSeeds(
  what: string,
  seeds: number | readonly number[],
  property: (seed: number) => boolean | void | Promise<boolean | void>,
  opts: { print?: boolean } = {},
): string | undefined | Promise<string | undefined> {
  const list = seedList(seeds);
  const fail = (seed: number, detail: string): never => {
    throw new CheckError(`✗ ${what}: fails for seed ${seed} (seeds tried: ${list.join(", ")}): ${detail}`);
  };
  const verdict = (r: unknown, seed: number) => {
    if (r === false) fail(seed, "the property returned false.");
  };
  const done = () => emit(`✓ ${what}: holds for all ${list.length} seeds (${list.join(", ")})`, opts.print);
  for (let k = 0; k < list.length; k++) {
    let r: unknown;
    try {
      r = property(list[k]);
    } catch (e) {
      fail(list[k], messageOf(e));
    }
    if (r && typeof (r as Promise<unknown>).then === "function") {
      // Asynchronous property: finish the remaining seeds one after another.
      return (async () => {
        for (let j = k; j < list.length; j++) {
          let v: unknown;
          try {
            v = j === k ? await r : await property(list[j]);
          } catch (e) {
            fail(list[j], messageOf(e));
          }
          verdict(v, list[j]);
        }
        return done();
      })();
    }
    verdict(r, list[k]);
  }
  return done();
}

// ---- partial credit ------------------------------------------------------------------------------

/** One part of a graded test cell: its points and the check that earns them. */
export interface CreditPart {
  what: string;
  points: number;
  check: () => unknown;
}

export interface CreditResult {
  earned: number;
  total: number;
  parts: Array<{ what: string; points: number; earned: number; message: string }>;
}

/** The key under which the autograder listens for partial credit (see scripts/grading). */
export const GRADER_HOOK = Symbol.for("latentlab.grader");

/**
 * A test cell that awards points part by part: runs every part (a failing part does not stop
 * the others), prints one line per part, reports the points earned to the autograder when one
 * is listening, and throws a CheckError listing the failed parts unless every part passed (so
 * a plain run of the notebook still stops on a wrong answer). Parts must be synchronous.
 */
export function partialCredit(what: string, parts: readonly CreditPart[], opts: { print?: boolean } = {}): CreditResult {
  if (!Array.isArray(parts) || parts.length === 0) throw new TypeError(`partialCredit(${JSON.stringify(what)}): give a non-empty list of { what, points, check }.`);
  const result: CreditResult = { earned: 0, total: 0, parts: [] };
  for (const p of parts) {
    if (!p || typeof p.check !== "function" || !(typeof p.points === "number" && p.points >= 0)) {
      throw new TypeError(`partialCredit(${JSON.stringify(what)}): each part needs what (string), points (≥ 0) and check (a function).`);
    }
    result.total += p.points;
    let ok = true;
    let message = "";
    try {
      const r = p.check();
      if (r && typeof (r as Promise<unknown>).then === "function") {
        throw new TypeError("this part returned a promise; partialCredit parts must be synchronous (await the value before the check).");
      }
      if (r === false) {
        ok = false;
        message = "the check returned false.";
      }
    } catch (e) {
      ok = false;
      message = messageOf(e);
    }
    const earned = ok ? p.points : 0;
    result.earned += earned;
    result.parts.push({ what: p.what, points: p.points, earned, message });
  }
  const lines = result.parts.map((p) => (p.earned === p.points ? `  ✓ ${p.what} (${p.points} pt)` : `  ✗ ${p.what} (0 of ${p.points} pt): ${p.message}`));
  const head = `${result.earned === result.total ? "✓" : "✗"} ${what}: ${result.earned} of ${result.total} points`;
  if (opts.print ?? true) console.log([head, ...lines].join("\n"));
  creditSeen(result.earned, result.total);
  const hook = (globalThis as Record<symbol, unknown>)[GRADER_HOOK] as { credit?: (earned: number, total: number) => void } | undefined;
  if (hook && typeof hook.credit === "function") hook.credit(result.earned, result.total);
  if (result.earned < result.total) {
    const failed = result.parts.filter((p) => p.earned < p.points).map((p) => `${p.what}: ${p.message}`);
    throw new CheckError(`✗ ${what}: ${result.earned} of ${result.total} points. Failed: ${failed.join("; ")}`);
  }
  return result;
}

// ---- per-question self-check (otter's grader.check) ------------------------------------------------

/** What `check` knows about one question of a homework notebook. */
export interface QuestionCheck {
  gradeId: string;
  points: number;
  earned: number;
  status: "passed" | "partial" | "failed";
  message: string;
}

interface Registered {
  points: number;
  tests: () => unknown;
  last: QuestionCheck | null;
}

const registry = new Map<string, Registered>();
/** partialCredit reports here while a `check` runs (the autograder's hook is separate). */
let openCredit: { earned: number; total: number } | null = null;

function creditSeen(earned: number, total: number): void {
  if (openCredit && total > 0 && (openCredit.total === 0 || earned / total < openCredit.earned / openCredit.total)) openCredit = { earned, total };
}

function questionLine(q: QuestionCheck): string {
  if (q.status === "passed") return `✓ ${q.gradeId}: passed, ${q.earned} of ${q.points} points (visible tests)`;
  const atStake = Math.round((q.points - q.earned) * 1000) / 1000;
  return `✗ ${q.gradeId}: ${q.status}, ${q.earned} of ${q.points} points (${atStake} at stake): ${q.message}`;
}

function finish(gradeId: string, entry: Registered, error: unknown, credit: { earned: number; total: number } | null, print: boolean | undefined): QuestionCheck | undefined {
  let q: QuestionCheck;
  if (error === undefined) {
    q = { gradeId, points: entry.points, earned: entry.points, status: "passed", message: "" };
  } else {
    const earned = credit && credit.total > 0 ? Math.round(((entry.points * credit.earned) / credit.total) * 1000) / 1000 : 0;
    q = { gradeId, points: entry.points, earned, status: earned > 0 ? "partial" : "failed", message: messageOf(error) };
  }
  entry.last = q;
  if (error !== undefined) throw new CheckError(questionLine(q));
  if (print ?? true) {
    console.log(questionLine(q));
    return undefined;
  }
  return q;
}

function runRegistered(gradeId: string, entry: Registered, print: boolean | undefined): QuestionCheck | undefined | Promise<QuestionCheck | undefined> {
  const outer = openCredit;
  openCredit = { earned: 0, total: 0 };
  let result: unknown;
  try {
    result = entry.tests();
  } catch (e) {
    const credit = openCredit;
    openCredit = outer;
    return finish(gradeId, entry, e, credit.total > 0 ? credit : null, print);
  }
  if (result && typeof (result as Promise<unknown>).then === "function") {
    const credit = openCredit;
    openCredit = outer;
    return (result as Promise<unknown>).then(
      () => finish(gradeId, entry, undefined, null, print),
      (e) => finish(gradeId, entry, e === undefined ? new Error("the tests failed") : e, credit.total > 0 ? credit : null, print),
    );
  }
  openCredit = outer;
  return finish(gradeId, entry, undefined, null, print);
}

/**
 * Check your answer to one question of a homework notebook, as otter's `grader.check("q1")`:
 * runs that question's **visible** tests (a released notebook holds no hidden ones) and says
 * passed / partial / failed, the message, and the points at stake.
 *
 * - `check(gradeId, points, tests)`: what a released test cell runs (`npm run assign` writes
 *   it around the cell's visible tests): registers the tests under the cell's grade_id and runs
 *   them. Passing prints `✓ <id>: passed, p of p points`; failing throws a `CheckError`
 *   `✗ <id>: failed, 0 of p points (p at stake): <what broke>` (so the cell fails, as the
 *   autograder would score it); `partialCredit` inside counts part by part.
 * - `check(gradeId)`: runs a registered question's tests again, from any cell (after you fixed
 *   a solution and re-ran its cell).
 * - `check()`: every question registered so far (its test cell ran) with its last result, and
 *   the total, as a table; returns the list.
 *
 * The autograder does not use these results: it runs the instructor's test cells, hidden tests
 * included.
 */
export function check(): QuestionCheck[];
export function check(gradeId: string, opts?: { print?: boolean }): QuestionCheck | undefined | Promise<QuestionCheck | undefined>;
export function check(gradeId: string, points: number, tests: () => unknown, opts?: { print?: boolean }): QuestionCheck | undefined | Promise<QuestionCheck | undefined>;
export function check(
  gradeId?: string,
  pointsOrOpts?: number | { print?: boolean },
  tests?: () => unknown,
  opts: { print?: boolean } = {},
): QuestionCheck[] | QuestionCheck | undefined | Promise<QuestionCheck | undefined> {
  if (gradeId === undefined) {
    const list = [...registry.values()].map((e, i) => e.last ?? { gradeId: [...registry.keys()][i], points: e.points, earned: 0, status: "failed" as const, message: "not run yet" });
    if (list.length === 0) {
      console.log("check(): no question registered yet. Run the notebook's test cells (they register their questions), then call check() again.");
      return list;
    }
    const earned = Math.round(list.reduce((s, q) => s + q.earned, 0) * 1000) / 1000;
    const total = list.reduce((s, q) => s + q.points, 0);
    console.log([...list.map(questionLine), `${earned} of ${total} points from the visible tests of ${list.length} question(s) (the autograder adds hidden tests)`].join("\n"));
    return list;
  }
  if (typeof gradeId !== "string" || gradeId === "") {
    throw new TypeError(`check(gradeId): the grade id must be a non-empty string such as "q1-tests", got ${describeValue(gradeId)}. Call check() for the list.`);
  }
  if (tests === undefined) {
    const entry = registry.get(gradeId);
    if (!entry) {
      const known = [...registry.keys()];
      throw new TypeError(
        `check("${gradeId}"): no such question has been registered. Run its test cell first (it registers the question)` +
          (known.length ? `; registered so far: ${known.join(", ")}.` : "; none has run yet."),
      );
    }
    const o = typeof pointsOrOpts === "object" && pointsOrOpts !== null ? pointsOrOpts : {};
    return runRegistered(gradeId, entry, o.print);
  }
  if (!(typeof pointsOrOpts === "number" && pointsOrOpts >= 0 && Number.isFinite(pointsOrOpts))) {
    throw new TypeError(`check("${gradeId}", points, tests): points must be a number ≥ 0, got ${describeValue(pointsOrOpts)}.`);
  }
  if (typeof tests !== "function") throw new TypeError(`check("${gradeId}", points, tests): tests must be a function that runs the checks, got ${describeValue(tests)}.`);
  const entry: Registered = { points: pointsOrOpts, tests, last: null };
  registry.set(gradeId, entry);
  return runRegistered(gradeId, entry, opts.print);
}
