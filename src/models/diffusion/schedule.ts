/**
 * The noise schedule of a DDPM (Ho et al. 2020): the variances β_1 … β_T of the forward
 * chain's steps, and what follows from them,
 *
 *   α_t = 1 − β_t,        ᾱ_t = Π_{s=1}^{t} α_s   (ᾱ_0 = 1),
 *
 * so that q(x_t | x_0) = N(√ᾱ_t x_0, (1 − ᾱ_t) I) (src/models/diffusion/process.ts).
 *
 * Two schedules:
 *   "linear"  β_t = β_1 + (t − 1)/(T − 1) · (β_T − β_1), by default β_1 = 10⁻⁴·1000/T and
 *             β_T = 0.02·1000/T (Ho et al.'s 10⁻⁴ … 0.02 for T = 1000, rescaled to T steps as in
 *             Nichol & Dhariwal 2021, so that ᾱ_T < e^{−10} whatever T: e^{−10.1} at T = 1000,
 *             e^{−10.8} at T = 100; T ≥ 21 keeps β_T < 1);
 *   "cosine"  ᾱ_t = f(t)/f(0), f(t) = cos²((t/T + s)/(1 + s) · π/2), s = 0.008, and
 *             β_t = min(1 − ᾱ_t/ᾱ_{t−1}, 0.999) (Nichol & Dhariwal 2021, eq. 17).
 *
 * Arrays are indexed by t = 0 … T (length T + 1); entry 0 is the data itself (β_0 = 0, ᾱ_0 = 1).
 */
import { checkInRange, checkOneOf, checkPositiveInt, failInput, InputError } from "../../runtime/validate";

export type ScheduleKind = "linear" | "cosine";

export interface NoiseSchedule {
  kind: ScheduleKind;
  /** Number of diffusion steps T. */
  T: number;
  /** β_t for t = 0 … T (β_0 = 0). */
  betas: Float64Array;
  /** α_t = 1 − β_t for t = 0 … T (α_0 = 1). */
  alphas: Float64Array;
  /** ᾱ_t = Π_{s ≤ t} α_s for t = 0 … T (ᾱ_0 = 1). */
  alphaBars: Float64Array;
}

export interface ScheduleOptions {
  /** "linear" (default) or "cosine". */
  kind?: ScheduleKind;
  /** Linear schedule: β_1 (default 10⁻⁴ · 1000/T). */
  betaStart?: number;
  /** Linear schedule: β_T (default 0.02 · 1000/T). */
  betaEnd?: number;
  /** Cosine schedule: the offset s (default 0.008). */
  cosineOffset?: number;
}

const WHERE = "noiseSchedule";

/** The schedule of T steps (see the file comment for the two kinds). */
export function noiseSchedule(T: number, opts: ScheduleOptions = {}): NoiseSchedule {
  checkPositiveInt(WHERE, "T", T, "pass the number of diffusion steps, e.g. noiseSchedule(100)");
  if (opts === null || typeof opts !== "object") failInput(WHERE, "options", "an object like { kind: \"cosine\" }", opts);
  const kind = checkOneOf(WHERE, "options.kind", opts.kind ?? "linear", ["linear", "cosine"] as const);
  const betas = new Float64Array(T + 1);
  if (kind === "linear") {
    const b1 = checkInRange(WHERE, "options.betaStart", opts.betaStart ?? 1e-4 * (1000 / T), 0, 1, { open: "both" });
    const bT = checkInRange(WHERE, "options.betaEnd", opts.betaEnd ?? 0.02 * (1000 / T), 0, 1, {
      open: "both",
      hint: `β_T must stay below 1 (with the default 0.02·1000/T that needs T ≥ 21); pass betaEnd explicitly for T = ${T}`,
    });
    if (bT < b1) throw new InputError(`${WHERE}: options.betaEnd (${bT}) must be ≥ options.betaStart (${b1}): the noise grows along the chain.`, `${WHERE}: options.betaEnd`);
    for (let t = 1; t <= T; t++) betas[t] = T === 1 ? b1 : b1 + ((t - 1) / (T - 1)) * (bT - b1);
  } else {
    const s = checkInRange(WHERE, "options.cosineOffset", opts.cosineOffset ?? 0.008, 0, 1, { open: "lo" });
    const f = (t: number) => Math.cos((((t / T) + s) / (1 + s)) * (Math.PI / 2)) ** 2;
    for (let t = 1; t <= T; t++) betas[t] = Math.min(1 - f(t) / f(t - 1), 0.999);
  }
  const alphas = new Float64Array(T + 1);
  const alphaBars = new Float64Array(T + 1);
  alphas[0] = 1;
  alphaBars[0] = 1;
  for (let t = 1; t <= T; t++) {
    alphas[t] = 1 - betas[t];
    alphaBars[t] = alphaBars[t - 1] * alphas[t];
  }
  return { kind, T, betas, alphas, alphaBars };
}

/** Throws a clear error unless `s` is a schedule and `t` an integer step in [lo, T]. */
export function checkDiffusionStep(where: string, s: NoiseSchedule, t: unknown, lo = 1): number {
  checkNoiseSchedule(where, s);
  if (typeof t !== "number" || !Number.isInteger(t) || t < lo || t > s.T) {
    failInput(where, "t", `an integer step in [${lo}, ${s.T}] (T = ${s.T})`, t, lo === 1 ? "step 0 is the data x_0 itself, so this function starts at t = 1" : undefined);
  }
  return t as number;
}

/** Throws a clear error unless `s` looks like a NoiseSchedule. */
export function checkNoiseSchedule(where: string, s: unknown): NoiseSchedule {
  const ok =
    s !== null &&
    typeof s === "object" &&
    Number.isInteger((s as NoiseSchedule).T) &&
    (s as NoiseSchedule).betas instanceof Float64Array &&
    (s as NoiseSchedule).alphaBars instanceof Float64Array &&
    (s as NoiseSchedule).alphaBars.length === (s as NoiseSchedule).T + 1;
  if (!ok) failInput(where, "schedule", "a NoiseSchedule", s, "make one with noiseSchedule(T, { kind })");
  return s as NoiseSchedule;
}
