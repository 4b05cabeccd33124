/**
 * Ancestral sampling from the reverse chain (Ho et al. 2020, Algorithm 2): the generative model
 * p_θ(x_{0:T}) is sampled top-down, latent by latent, as every directed model of the arc
 * (lecture 000's ancestral sampling of a DGM):
 *
 *   x_T ∼ N(0, I);   for t = T … 1:   x_{t−1} = μ_θ(x_t, t) + σ_t z,   z ∼ N(0, I)  (z = 0 at t = 1),
 *   μ_θ(x_t, t) = (1/√α_t) (x_t − β_t/√(1 − ᾱ_t) · ε_θ(x_t, t)).
 *
 * All randomness comes from the Rng passed in: same seed, same samples.
 */
import { Rng } from "../../runtime/rng";
import { checkInteger, checkOneOf, checkPositiveInt, failInput } from "../../runtime/validate";
import { checkEpsilonPredictor, EpsilonPredictor, reverseVariance, ReverseVariance } from "./elbo";
import { meanFromEpsilon } from "./process";
import { checkNoiseSchedule, NoiseSchedule } from "./schedule";

export interface DiffusionSampleOptions {
  /** σ_t² = β_t ("beta", default) or β̃_t ("posterior"). */
  variance?: ReverseVariance;
  /** Steps t whose x_t to keep (T for the prior draw, 0 for the output). */
  keep?: number[];
}

export interface DiffusionSamples {
  /** x_0: n × dim numbers. */
  samples: Float32Array;
  /** x_t at each requested step, in the order given. */
  snapshots: { t: number; points: Float32Array }[];
}

/** n samples of the reverse chain with noise predictor `predictor` (see the file comment). */
export function ancestralSample(s: NoiseSchedule, predictor: EpsilonPredictor, n: number, rng: Rng, opts: DiffusionSampleOptions = {}): DiffusionSamples {
  const where = "ancestralSample";
  checkNoiseSchedule(where, s);
  checkEpsilonPredictor(where, predictor);
  checkPositiveInt(where, "n", n, "the number of samples to draw");
  if (!(rng instanceof Rng)) failInput(where, "rng", "an Rng", rng, "pass rng(seed)");
  if (opts === null || typeof opts !== "object") failInput(where, "options", "an object like { keep: [100, 50, 0] }", opts);
  const kind = checkOneOf(where, "options.variance", opts.variance ?? "beta", ["beta", "posterior"] as const);
  const keep = opts.keep ?? [];
  if (!Array.isArray(keep)) failInput(where, "options.keep", "an array of steps", keep);
  keep.forEach((t, i) => checkInteger(where, `options.keep[${i}]`, t, { min: 0, max: s.T }));
  const d = predictor.dim;
  const snaps = new Map<number, Float32Array>();
  let x: Float64Array = rng.normals(new Float64Array(n * d));
  if (keep.includes(s.T)) snaps.set(s.T, Float32Array.from(x));
  for (let t = s.T; t >= 1; t--) {
    const eps = predictor.predict(x, t);
    if (eps.length !== x.length) throw new Error(`${where}: the predictor returned ${eps.length} numbers for ${n} points of ${d} (step ${t}); it must return n × dim predicted noises.`);
    const mean = meanFromEpsilon(s, x, eps, t);
    if (t > 1) {
      const sd = Math.sqrt(reverseVariance(s, t, kind));
      for (let k = 0; k < mean.length; k++) mean[k] += sd * rng.normal();
    }
    x = mean;
    if (keep.includes(t - 1)) snaps.set(t - 1, Float32Array.from(x));
  }
  return { samples: Float32Array.from(x), snapshots: keep.map((t) => ({ t, points: snaps.get(t)! })) };
}
