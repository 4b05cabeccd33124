/**
 * Validation at the library's edges: every public function that takes options or data from a
 * notebook (or from plain JavaScript, where TypeScript's types do not protect) checks them with
 * these helpers and throws one error class, `InputError`, whose message says
 *
 *   what was wrong  — "k must be a positive integer, got 0 (number)",
 *   where           — the function and option, "kMeans: options.k",
 *   what to do      — a hint, "pass the number of clusters, e.g. k: 16".
 *
 * Each checker takes `(where, name, value, hint?)` and returns the value narrowed to its type,
 * so a caller can write `const k = checkPositiveInt("kMeans", "options.k", opts.k)`.
 * Environment variables are parsed with the same discipline in `runtime/env.ts`.
 */

/** Bad input from the caller (an option, an argument, a setting): what, where, what to do. */
export class InputError extends Error {
  /** The function (and option) that rejected the input, e.g. "kMeans: options.k". */
  readonly where: string;
  constructor(message: string, where = "") {
    super(message);
    this.name = "InputError";
    this.where = where;
  }
}

/** A short, safe description of any value for an error message: `0 (number)`, `"abc" (string)`. */
export function describeValue(value: unknown): string {
  if (value === null) return "null";
  if (value === undefined) return "undefined";
  if (typeof value === "string") return `${JSON.stringify(value.length > 60 ? value.slice(0, 57) + "..." : value)} (string)`;
  if (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint") return `${String(value)} (${typeof value})`;
  if (typeof value === "function") return `a function${value.name ? ` ${value.name}` : ""}`;
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  if (ArrayBuffer.isView(value)) {
    const len = (value as unknown as { length?: number }).length;
    return `a ${value.constructor.name}${typeof len === "number" ? ` of length ${len}` : ""}`;
  }
  if (typeof value === "object") {
    const ctor = (value as object).constructor;
    if (ctor && ctor !== Object && ctor.name) return `a ${ctor.name}`;
    const keys = Object.keys(value as object);
    return `an object with keys {${keys.slice(0, 6).join(", ")}${keys.length > 6 ? ", ..." : ""}}`;
  }
  return String(value);
}

/** Throw an `InputError` "<where>: <name> must be <expected>, got <value>. <hint>". */
export function failInput(where: string, name: string, expected: string, value: unknown, hint?: string): never {
  const at = name ? `${where}: ${name}` : where;
  const h = hint ? hint[0].toUpperCase() + hint.slice(1) : "";
  const tail = h ? ` ${h.endsWith(".") ? h : h + "."}` : "";
  throw new InputError(`${at} must be ${expected}, got ${describeValue(value)}.${tail}`, at);
}

/** A number that is not NaN or ±Infinity. */
export function checkFinite(where: string, name: string, value: unknown, hint?: string): number {
  if (typeof value !== "number" || !Number.isFinite(value)) failInput(where, name, "a finite number", value, hint);
  return value;
}

/** A finite number > 0. */
export function checkPositive(where: string, name: string, value: unknown, hint?: string): number {
  if (typeof value !== "number" || !Number.isFinite(value) || !(value > 0)) failInput(where, name, "a finite number > 0", value, hint);
  return value;
}

/** A finite number ≥ 0. */
export function checkNonNegative(where: string, name: string, value: unknown, hint?: string): number {
  if (typeof value !== "number" || !Number.isFinite(value) || !(value >= 0)) failInput(where, name, "a finite number ≥ 0", value, hint);
  return value;
}

/** An integer (a safe one) in [min, max] (both optional). */
export function checkInteger(
  where: string,
  name: string,
  value: unknown,
  range: { min?: number; max?: number } = {},
  hint?: string,
): number {
  const { min, max } = range;
  const bounds =
    min !== undefined && max !== undefined ? ` in [${min}, ${max}]` : min !== undefined ? ` ≥ ${min}` : max !== undefined ? ` ≤ ${max}` : "";
  if (
    typeof value !== "number" ||
    !Number.isSafeInteger(value) ||
    (min !== undefined && value < min) ||
    (max !== undefined && value > max)
  ) {
    failInput(where, name, `an integer${bounds}`, value, hint);
  }
  return value;
}

/** An integer ≥ 1. */
export function checkPositiveInt(where: string, name: string, value: unknown, hint?: string): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 1) failInput(where, name, "a positive integer", value, hint);
  return value;
}

/** An integer ≥ 0. */
export function checkNonNegativeInt(where: string, name: string, value: unknown, hint?: string): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0) failInput(where, name, "an integer ≥ 0", value, hint);
  return value;
}

/**
 * A finite number in [lo, hi]; `open: "lo" | "hi" | "both"` excludes the named end(s),
 * e.g. a probability in (0, 1) is `checkInRange(w, "p", p, 0, 1, { open: "both" })`.
 */
export function checkInRange(
  where: string,
  name: string,
  value: unknown,
  lo: number,
  hi: number,
  opts: { open?: "lo" | "hi" | "both"; hint?: string } = {},
): number {
  const loOpen = opts.open === "lo" || opts.open === "both";
  const hiOpen = opts.open === "hi" || opts.open === "both";
  const ok =
    typeof value === "number" &&
    Number.isFinite(value) &&
    (loOpen ? value > lo : value >= lo) &&
    (hiOpen ? value < hi : value <= hi);
  if (!ok) failInput(where, name, `a number in ${loOpen ? "(" : "["}${lo}, ${hi}${hiOpen ? ")" : "]"}`, value, opts.hint);
  return value as number;
}

/** A boolean (true or false, not a truthy value). */
export function checkBoolean(where: string, name: string, value: unknown, hint?: string): boolean {
  if (typeof value !== "boolean") failInput(where, name, "true or false", value, hint);
  return value;
}

/** A non-empty string. */
export function checkString(where: string, name: string, value: unknown, hint?: string): string {
  if (typeof value !== "string" || value.length === 0) failInput(where, name, "a non-empty string", value, hint);
  return value;
}

/** A function. */
export function checkFunction<F extends (...args: never[]) => unknown>(where: string, name: string, value: unknown, hint?: string): F {
  if (typeof value !== "function") failInput(where, name, "a function", value, hint);
  return value as F;
}

/** One of a fixed list of values (an enumeration): the message lists them all. */
export function checkOneOf<T extends string | number | boolean>(
  where: string,
  name: string,
  value: unknown,
  allowed: readonly T[],
  hint?: string,
): T {
  if (!(allowed as readonly unknown[]).includes(value)) {
    const list = allowed.map((a) => (typeof a === "string" ? JSON.stringify(a) : String(a))).join(", ");
    failInput(where, name, `one of ${list}`, value, hint);
  }
  return value as T;
}

/** Checks the length of an array-like against an exact length and/or a multiple. */
function lengthProblem(len: number, shape: { length?: number; multipleOf?: number; minLength?: number }): string | undefined {
  if (shape.length !== undefined && len !== shape.length) return `length ${shape.length}`;
  if (shape.multipleOf !== undefined && shape.minLength !== undefined && shape.minLength <= shape.multipleOf) {
    if (len < shape.minLength || shape.multipleOf <= 0 || len % shape.multipleOf !== 0) return `a length that is a positive multiple of ${shape.multipleOf}`;
  }
  if (shape.minLength !== undefined && len < shape.minLength) return `length ≥ ${shape.minLength}`;
  if (shape.multipleOf !== undefined && (shape.multipleOf <= 0 || len % shape.multipleOf !== 0)) {
    return `a length that is a multiple of ${shape.multipleOf}`;
  }
  return undefined;
}

export interface ArrayShape {
  /** Exact length required. */
  length?: number;
  /** Length must be a multiple of this (e.g. the row width of a flat n × d matrix). */
  multipleOf?: number;
  /** At least this many entries (e.g. 1 for a non-empty array). */
  minLength?: number;
  /** Every entry must be finite (scans the array once). */
  finite?: boolean;
}

/** A Float32Array of the given shape. */
export function checkFloat32Array(where: string, name: string, value: unknown, shape: ArrayShape = {}, hint?: string): Float32Array {
  if (!(value instanceof Float32Array)) failInput(where, name, "a Float32Array", value, hint);
  return checkArrayShape(where, name, value, shape, "a Float32Array", hint);
}

/** Any typed array of numbers (Float32Array, Float64Array, Int32Array, Uint8Array, …) of the given shape. */
export function checkTypedArray(where: string, name: string, value: unknown, shape: ArrayShape = {}, hint?: string): ArrayLike<number> {
  if (!ArrayBuffer.isView(value) || value instanceof DataView || value instanceof BigInt64Array || value instanceof BigUint64Array) {
    failInput(where, name, "a typed array of numbers (e.g. a Float32Array)", value, hint);
  }
  return checkArrayShape(where, name, value as unknown as ArrayLike<number>, shape, "a typed array", hint);
}

/** A plain array or typed array of numbers of the given shape (entries of a plain array must be numbers). */
export function checkNumberArray(where: string, name: string, value: unknown, shape: ArrayShape = {}, hint?: string): ArrayLike<number> {
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      if (typeof value[i] !== "number") failInput(where, `${name}[${i}]`, "a number", value[i], hint);
    }
    return checkArrayShape(where, name, value as number[], shape, "an array of numbers", hint);
  }
  return checkTypedArray(where, name, value, shape, hint);
}

function checkArrayShape<A extends ArrayLike<number>>(where: string, name: string, value: A, shape: ArrayShape, kind: string, hint?: string): A {
  const problem = lengthProblem(value.length, shape);
  if (problem) failInput(where, name, `${kind} of ${problem}`, value, hint);
  if (shape.finite) {
    for (let i = 0; i < value.length; i++) {
      if (!Number.isFinite(value[i])) failInput(where, `${name}[${i}]`, "a finite number", value[i], hint);
    }
  }
  return value;
}

/** Edit distance, for "did you mean" suggestions. */
function editDistance(a: string, b: string): number {
  const prev = new Array<number>(b.length + 1);
  for (let j = 0; j <= b.length; j++) prev[j] = j;
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0];
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j];
      prev[j] = Math.min(prev[j] + 1, prev[j - 1] + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = tmp;
    }
  }
  return prev[b.length];
}

/** The closest known name to `name` (for "did you mean …?"), or undefined when none is close. */
export function closestName(name: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const k of known) {
    const d = editDistance(name.toLowerCase(), k.toLowerCase());
    if (d < bestD) {
      bestD = d;
      best = k;
    }
  }
  return best !== undefined && bestD <= Math.max(2, Math.floor(best.length / 3)) ? best : undefined;
}

/**
 * A plain object (options bag) whose keys are all in `known`: a mistyped option is an error
 * that suggests the closest known name, not a silently ignored setting. `undefined` gives `{}`
 * (options are optional); anything else that is not a plain object is an error.
 */
export function checkOptions<T extends object = Record<string, unknown>>(
  where: string,
  value: unknown,
  known: readonly string[],
  name = "options",
): T {
  if (value === undefined) return {} as T;
  const proto = value !== null && typeof value === "object" ? Object.getPrototypeOf(value) : undefined;
  if (value === null || typeof value !== "object" || Array.isArray(value) || (proto !== Object.prototype && proto !== null)) {
    failInput(where, name, "a plain object like { key: value }", value);
  }
  for (const key of Object.keys(value as object)) {
    if (!known.includes(key)) {
      const near = closestName(key, known);
      throw new InputError(
        `${where}: unknown ${name === "options" ? "option" : `key in ${name}`} "${key}".${near ? ` Did you mean "${near}"?` : ""} ` +
          `Known: ${known.join(", ")}.`,
        `${where}: ${name}.${key}`,
      );
    }
  }
  return value as T;
}
