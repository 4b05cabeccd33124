/**
 * Parameter validation shared by the distributions: every bad parameter throws an Error
 * that says which distribution, which parameter, what was wrong and what to do.
 */

/** Throw unless `x` is a finite number. */
export function requireFinite(where: string, name: string, x: number): void {
  if (typeof x !== "number" || !Number.isFinite(x)) {
    throw new RangeError(`${where}: parameter ${name} must be a finite number; got ${x}.`);
  }
}

/** Throw unless `x` is finite and > 0. */
export function requirePositive(where: string, name: string, x: number, hint = ""): void {
  requireFinite(where, name, x);
  if (!(x > 0)) {
    throw new RangeError(`${where}: parameter ${name} must be > 0; got ${x}.${hint ? " " + hint : ""}`);
  }
}

/** Throw unless `x` is in [0, 1]. */
export function requireProbability(where: string, name: string, x: number): void {
  requireFinite(where, name, x);
  if (x < 0 || x > 1) throw new RangeError(`${where}: parameter ${name} must be a probability in [0, 1]; got ${x}.`);
}

/** Throw unless `xs` is a non-empty list of finite numbers; returns a Float64Array copy. */
export function requireVector(where: string, name: string, xs: ArrayLike<number>): Float64Array {
  if (!xs || typeof xs.length !== "number" || xs.length === 0) {
    throw new RangeError(`${where}: parameter ${name} must be a non-empty array of numbers.`);
  }
  const out = Float64Array.from(xs as ArrayLike<number>);
  for (let i = 0; i < out.length; i++) {
    if (!Number.isFinite(out[i])) throw new RangeError(`${where}: ${name}[${i}] must be a finite number; got ${out[i]}.`);
  }
  return out;
}

/**
 * Throw unless `p` is a probability vector: entries ≥ 0 that sum to 1 within 1e-9·n.
 * Returns a Float64Array copy.
 */
export function requireProbVector(where: string, name: string, p: ArrayLike<number>): Float64Array {
  const out = requireVector(where, name, p);
  let s = 0;
  for (let i = 0; i < out.length; i++) {
    if (out[i] < 0) throw new RangeError(`${where}: ${name}[${i}] = ${out[i]} is negative; probabilities must be ≥ 0.`);
    s += out[i];
  }
  if (Math.abs(s - 1) > 1e-9 * out.length) {
    throw new RangeError(
      `${where}: ${name} sums to ${s}, not 1 (tolerance ${1e-9 * out.length}). Normalize it first, e.g. divide by its sum.`,
    );
  }
  return out;
}

/** Throw unless `a.length === n`. */
export function requireLength(where: string, name: string, a: ArrayLike<number>, n: number): void {
  if (a.length !== n) throw new RangeError(`${where}: ${name} has length ${a.length}, expected ${n} (shape mismatch).`);
}

/** Throw unless n is a non-negative integer sample count. */
export function requireCount(where: string, n: number): void {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`${where}.sample: n must be a non-negative integer; got ${n}.`);
}

/** Throw if x is NaN (logProb of NaN is a bug upstream, not −∞). */
export function requireNotNaN(where: string, x: number): void {
  if (Number.isNaN(x)) throw new RangeError(`${where}.logProb: got NaN; check the value you are scoring.`);
}
