/**
 * Numeric checks for notebooks: every derivation in a notebook ends with one of these.
 * A passing check prints a one-line verdict (or, with `print: false`, returns it instead: a
 * printing check returns nothing, so the kernel does not echo the line a second time as the
 * cell's value); a failing
 * check throws a `CheckError` that names the check and the numbers that broke it, so the
 * headless runner and the tests fail on a wrong equation.
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
    throw new CheckError(`✗ ${what}: got ${a.length} numbers, expected ${e.length}.`);
  }
  let worst = 0;
  let worstI = 0;
  for (let i = 0; i < a.length; i++) {
    const bound = tol + rtol * Math.abs(e[i]);
    const d = Math.abs(a[i] - e[i]);
    if (!(d <= bound)) {
      const at = a.length > 1 ? ` at index ${i}` : "";
      throw new CheckError(
        `✗ ${what}${at}: ${fmt(a[i])} vs expected ${fmt(e[i])} (|Δ| = ${fmt(d)} > tolerance ${fmt(bound)}).`,
      );
    }
    if (d > worst) {
      worst = d;
      worstI = i;
    }
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
