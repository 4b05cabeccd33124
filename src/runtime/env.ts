/**
 * Environment switches, read in one place, each parsed strictly: a value latentlab does not
 * understand is an `InputError` that names the variable, the value and the accepted values —
 * never a silent fallback (`LATENTLAB_SMOKE=no` is "off", `LATENTLAB_SMOKE=maybe` is an error,
 * `LATENTLAB_CELL_TIMEOUT=abc` is an error, not 600 s).
 *
 * | variable | meaning |
 * | --- | --- |
 * | LATENTLAB_SMOKE=1 | shrink epochs and data so the whole arc runs in CI (set by the tests) |
 * | LATENTLAB_SEED=n | default seed of `rng()` (42 when unset) |
 * | LATENTLAB_BACKEND=tensorflow\|wasm\|cpu | force a TensorFlow.js backend |
 * | LATENTLAB_CELL_TIMEOUT=s | per-cell timeout of the headless runner, seconds (600) |
 * | LATENTLAB_RETRAIN=1 | notebooks train their models instead of loading checkpoints/ |
 * | LATENTLAB_DATA_DIR=dir | download cache (default datasets/cache) |
 * | LATENTLAB_CHROMIUM=path | the browser used for SVG/PNG figure export |
 * | LATENTLAB_TSLAB_SPEEDUP=0 | turn off the kernel's per-cell compile speed-up |
 * | LATENTLAB_CODE_CACHE=0 | kernels compile their big modules without V8's code cache |
 * | LATENTLAB_HEADLESS=1 | set by the headless runner: progress bars print sparse plain lines |
 * | LATENTLAB_NOTEBOOK=name | set by the headless runner: the notebook being executed (figure metadata) |
 *
 * Flags accept 1/true/yes/on and 0/false/no/off (any case); unset or empty means the default.
 */
import { InputError, closestName } from "./validate";

type Env = Record<string, string | undefined>;

function currentEnv(): Env {
  return typeof process !== "undefined" && process.env ? process.env : {};
}

const ON = ["1", "true", "yes", "on"];
const OFF = ["0", "false", "no", "off"];

function envError(name: string, raw: string, accepted: string, todo = `or unset ${name}`): InputError {
  return new InputError(`${name}=${JSON.stringify(raw)} is not a value latentlab understands: use ${accepted}, ${todo}.`, name);
}

/** A boolean switch: 1/true/yes/on → true, 0/false/no/off → false, unset/empty → `fallback`. */
export function envFlag(name: string, fallback = false, env: Env = currentEnv()): boolean {
  const raw = env[name];
  if (raw === undefined || raw.trim() === "") return fallback;
  const v = raw.trim().toLowerCase();
  if (ON.includes(v)) return true;
  if (OFF.includes(v)) return false;
  throw envError(name, raw, `${ON.join("/")} to turn it on or ${OFF.join("/")} to turn it off`);
}

/** A positive finite number, or undefined when unset/empty. */
export function envPositiveNumber(name: string, env: Env = currentEnv(), unit = ""): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw.trim() === "") return undefined;
  const n = Number(raw.trim());
  if (!Number.isFinite(n) || n <= 0) throw envError(name, raw, `a positive number${unit ? ` of ${unit}` : ""} (e.g. ${name}=300)`);
  return n;
}

/** A non-negative safe integer, or undefined when unset/empty. */
export function envNonNegativeInt(name: string, env: Env = currentEnv()): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw.trim() === "") return undefined;
  const n = Number(raw.trim());
  if (!/^\s*\d+\s*$/.test(raw) || !Number.isSafeInteger(n)) throw envError(name, raw, `a non-negative integer (e.g. ${name}=7)`);
  return n;
}

/** True when `LATENTLAB_SMOKE` is on: notebooks and trainers shrink their work. */
export function isSmoke(): boolean {
  return envFlag("LATENTLAB_SMOKE");
}

/** True when running under the headless runner (no live display to update). */
export function isHeadless(): boolean {
  return envFlag("LATENTLAB_HEADLESS");
}

/** `full` in a normal run, `smoke` in smoke mode: `pick(full, smoke)`. */
export function smokeOr<T>(full: T, smoke: T): T {
  return isSmoke() ? smoke : full;
}

/** `LATENTLAB_SEED`: the default seed, or undefined when unset (the caller's default applies). */
export function envSeed(env: Env = currentEnv()): number | undefined {
  return envNonNegativeInt("LATENTLAB_SEED", env);
}

/** The TensorFlow.js backends latentlab can force, in its order of preference. */
export const ENV_BACKENDS = ["tensorflow", "wasm", "cpu"] as const;

/** `LATENTLAB_BACKEND`: a forced backend ("node" is accepted for "tensorflow"), or null when unset. */
export function envBackend(env: Env = currentEnv()): (typeof ENV_BACKENDS)[number] | null {
  const raw = env.LATENTLAB_BACKEND;
  if (raw === undefined || raw.trim() === "") return null;
  const v = raw.trim().toLowerCase() === "node" ? "tensorflow" : raw.trim().toLowerCase();
  if (!(ENV_BACKENDS as readonly string[]).includes(v)) {
    throw new InputError(
      `LATENTLAB_BACKEND=${JSON.stringify(raw)} is not a backend latentlab knows. ` +
        `Use one of ${ENV_BACKENDS.join(", ")}, or unset it to pick automatically.`,
      "LATENTLAB_BACKEND",
    );
  }
  return v as (typeof ENV_BACKENDS)[number];
}

/** `LATENTLAB_CELL_TIMEOUT`: the headless runner's per-cell timeout in seconds, or undefined. */
export function envCellTimeoutSeconds(env: Env = currentEnv()): number | undefined {
  return envPositiveNumber("LATENTLAB_CELL_TIMEOUT", env, "seconds");
}

/** `LATENTLAB_RETRAIN`: train instead of loading checkpoints. */
export function envRetrain(env: Env = currentEnv()): boolean {
  return envFlag("LATENTLAB_RETRAIN", false, env);
}

/** `LATENTLAB_TSLAB_SPEEDUP`: the kernel's per-cell compile speed-up (on unless turned off). */
export function envTslabSpeedup(env: Env = currentEnv()): boolean {
  return envFlag("LATENTLAB_TSLAB_SPEEDUP", true, env);
}

function envPath(name: string, env: Env): string | undefined {
  const raw = env[name];
  if (raw === undefined || raw.trim() === "") return undefined;
  if (raw.includes("\0")) throw envError(name, raw, "a file system path");
  return raw.trim();
}

/** `LATENTLAB_DATA_DIR`: the download cache folder, or undefined for the default. */
export function envDataDir(env: Env = currentEnv()): string | undefined {
  return envPath("LATENTLAB_DATA_DIR", env);
}

/** `LATENTLAB_CHROMIUM`: the browser for figure export, or undefined to search for one. */
export function envChromium(env: Env = currentEnv()): string | undefined {
  return envPath("LATENTLAB_CHROMIUM", env);
}

/** `LATENTLAB_NOTEBOOK`: the notebook the headless runner is executing, or undefined. */
export function envNotebook(env: Env = currentEnv()): string | undefined {
  const raw = env.LATENTLAB_NOTEBOOK;
  return raw && raw.trim() !== "" ? raw.trim() : undefined;
}

/** Every LATENTLAB_* variable latentlab reads (settings and the ones its own processes set). */
export const KNOWN_ENV = [
  "LATENTLAB_SMOKE",
  "LATENTLAB_SEED",
  "LATENTLAB_BACKEND",
  "LATENTLAB_CELL_TIMEOUT",
  "LATENTLAB_RETRAIN",
  "LATENTLAB_DATA_DIR",
  "LATENTLAB_CHROMIUM",
  "LATENTLAB_TSLAB_SPEEDUP",
  "LATENTLAB_HEADLESS",
  "LATENTLAB_NOTEBOOK",
  "LATENTLAB_TSLAB_PATCHES",
  "LATENTLAB_CODE_CACHE",
  // set by latentlab's own processes, scripts and tests
  "LATENTLAB_KERNEL",
  "LATENTLAB_KERNEL_ID",
  "LATENTLAB_PARENT_PID",
  "LATENTLAB_BENCH_MODELS",
  "LATENTLAB_SANDBOX",
  "LATENTLAB_FIGURE_FIT_DIR",
  "LATENTLAB_NOTEBOOKS_FULL",
  "LATENTLAB_TEST_FULL",
  "LATENTLAB_GRADING_FULL",
  "LATENTLAB_FAULT_SOAK",
  "LATENTLAB_TEST_TAG",
  "LATENTLAB_CODE_CACHE_DIR",
  "LATENTLAB_EXERCISES",
] as const;

const PARSERS: Record<string, (env: Env) => unknown> = {
  LATENTLAB_SMOKE: (e) => envFlag("LATENTLAB_SMOKE", false, e),
  LATENTLAB_HEADLESS: (e) => envFlag("LATENTLAB_HEADLESS", false, e),
  LATENTLAB_SEED: envSeed,
  LATENTLAB_BACKEND: envBackend,
  LATENTLAB_CELL_TIMEOUT: envCellTimeoutSeconds,
  LATENTLAB_RETRAIN: envRetrain,
  LATENTLAB_TSLAB_SPEEDUP: envTslabSpeedup,
  LATENTLAB_TSLAB_PATCHES: (e) => envFlag("LATENTLAB_TSLAB_PATCHES", true, e),
  LATENTLAB_CODE_CACHE: (e) => envFlag("LATENTLAB_CODE_CACHE", true, e),
  LATENTLAB_DATA_DIR: envDataDir,
  LATENTLAB_CHROMIUM: envChromium,
};

/**
 * Parse every LATENTLAB_* setting at once (the runner and the scripts do this at start, so a
 * typo fails before any work): `errors` holds one message per bad value, `warnings` one per
 * LATENTLAB_* name latentlab does not read (with the closest known name).
 */
export function checkEnvironment(env: Env = currentEnv()): { errors: string[]; warnings: string[] } {
  const errors: string[] = [];
  const warnings: string[] = [];
  for (const [name, parse] of Object.entries(PARSERS)) {
    try {
      parse(env);
    } catch (e) {
      errors.push((e as Error).message);
    }
  }
  for (const name of Object.keys(env)) {
    if (!name.startsWith("LATENTLAB_") || (KNOWN_ENV as readonly string[]).includes(name)) continue;
    const near = closestName(name, KNOWN_ENV);
    warnings.push(`${name} is not a setting latentlab reads${near ? ` (did you mean ${near}?)` : ""}; it has no effect.`);
  }
  return { errors, warnings };
}
