/**
 * Environment switches, read in one place.
 *
 * | variable | meaning |
 * | --- | --- |
 * | LATENTLAB_SMOKE=1 | shrink epochs and data so the whole arc runs in CI (set by the tests) |
 * | LATENTLAB_SEED=n | default seed of `rng()` (42 when unset) |
 * | LATENTLAB_BACKEND=tensorflow\|wasm\|cpu | force a TensorFlow.js backend |
 * | LATENTLAB_HEADLESS=1 | set by the headless runner: progress bars print sparse plain lines |
 * | LATENTLAB_NOTEBOOK=name | set by the headless runner: the notebook being executed (figure metadata) |
 */

function flag(name: string): boolean {
  const v = process.env[name];
  return v !== undefined && v !== "" && v !== "0" && v.toLowerCase() !== "false";
}

/** True when `LATENTLAB_SMOKE` is set: notebooks and trainers shrink their work. */
export function isSmoke(): boolean {
  return flag("LATENTLAB_SMOKE");
}

/** True when running under the headless runner (no live display to update). */
export function isHeadless(): boolean {
  return flag("LATENTLAB_HEADLESS");
}

/** `full` in a normal run, `smoke` in smoke mode: `pick(full, smoke)`. */
export function smokeOr<T>(full: T, smoke: T): T {
  return isSmoke() ? smoke : full;
}
