/**
 * The ELBO and its pieces, exactly, on the two models where everything is tractable, and a
 * Monte Carlo ELBO estimator (with standard error) for everything else.
 *
 *   ELBO(q) = E_q[log p(x|z)] − KL(q(z) ‖ p(z))          (lecture 002, 003)
 *           = E_q[log p(x, z)] + H(q)                     (lecture 000, "ELBO as objective")
 *   log p(x) = ELBO(q) + KL(q(z) ‖ p(z|x))   for every q   (lecture 003, "ELBO for any q(z)")
 *
 * Each piece below is computed by its own closed form (not as a difference of the others), so
 * the identity is a real check.
 */
import type { Rng } from "../runtime/rng";
import { logSumExp, LOG_SQRT_2PI, xlogy } from "../math/special";
import { Normal, klDivergence } from "../prob";

/** The ELBO split into its pieces, with the exact log evidence and the gap. */
export interface ElboPieces {
  /** ELBO(q) = expectedLogLik − klToPrior. */
  elbo: number;
  /** E_q[log p(x|z)] (the reconstruction term). */
  expectedLogLik: number;
  /** KL(q(z) ‖ p(z)). */
  klToPrior: number;
  /** H(q) = −E_q[log q(z)]. */
  entropy: number;
  /** E_q[log p(x, z)] (so ELBO = expectedLogJoint + entropy). */
  expectedLogJoint: number;
  /** KL(q(z) ‖ p(z|x)), computed from the exact posterior. */
  klToPosterior: number;
  /** log p(x), exact. */
  logEvidence: number;
}

// ---------------------------------------------------------------------------------------
// (a) A discrete latent: z ∈ {0..K−1}, one observation x.

/** One observation's discrete-latent model: log p(z = k) and log p(x | z = k) for k = 0..K−1. */
export interface DiscreteLatentModel {
  logPrior: Float64Array;
  logLik: Float64Array;
}

function checkProbVector(where: string, q: ArrayLike<number>, K: number): void {
  if (q.length !== K) throw new RangeError(`${where}: q has ${q.length} entries but the model has K = ${K} latent values.`);
  let s = 0;
  for (let k = 0; k < K; k++) {
    if (!(q[k] >= 0)) throw new RangeError(`${where}: q[${k}] = ${q[k]} is not a probability.`);
    s += q[k];
  }
  if (Math.abs(s - 1) > 1e-9) throw new RangeError(`${where}: q sums to ${s}, not 1; normalize it first.`);
}

/**
 * A 1-D Gaussian mixture seen from one observation x: p(z = k) = w_k, p(x | z = k) = N(x | μ_k, σ_k²).
 */
export function mixtureLatentModel(
  mix: { weights: ArrayLike<number>; means: ArrayLike<number>; sds: ArrayLike<number> },
  x: number,
): DiscreteLatentModel {
  const K = mix.weights.length;
  if (K < 1 || mix.means.length !== K || mix.sds.length !== K) {
    throw new RangeError(`mixtureLatentModel: weights, means and sds must have the same length K ≥ 1; got ${K}, ${mix.means.length}, ${mix.sds.length}.`);
  }
  checkProbVector("mixtureLatentModel (weights)", mix.weights, K);
  if (!Number.isFinite(x)) throw new RangeError(`mixtureLatentModel: x must be finite, got ${x}.`);
  const logPrior = new Float64Array(K);
  const logLik = new Float64Array(K);
  for (let k = 0; k < K; k++) {
    const s = mix.sds[k];
    if (!(s > 0)) throw new RangeError(`mixtureLatentModel: sds[${k}] = ${s} must be > 0.`);
    logPrior[k] = Math.log(mix.weights[k]);
    const u = (x - mix.means[k]) / s;
    logLik[k] = -LOG_SQRT_2PI - Math.log(s) - 0.5 * u * u;
  }
  return { logPrior, logLik };
}

/** log p(x) = log Σ_k p(z = k) p(x | z = k). */
export function discreteLogEvidence(model: DiscreteLatentModel): number {
  const t = model.logPrior.map((lp, k) => lp + model.logLik[k]);
  return logSumExp(t);
}

/** p(z = k | x) = p(z = k) p(x | z = k) / p(x) (Bayes' rule). */
export function discretePosterior(model: DiscreteLatentModel): Float64Array {
  const lz = discreteLogEvidence(model);
  return model.logPrior.map((lp, k) => Math.exp(lp + model.logLik[k] - lz));
}

/** ELBO(q) and its pieces for a categorical q(z) over the K latent values (exact sums). */
export function discreteElbo(model: DiscreteLatentModel, q: ArrayLike<number>): ElboPieces {
  const K = model.logPrior.length;
  checkProbVector("discreteElbo", q, K);
  const post = discretePosterior(model);
  let expectedLogLik = 0;
  let klToPrior = 0;
  let entropy = 0;
  let expectedLogJoint = 0;
  let klToPosterior = 0;
  for (let k = 0; k < K; k++) {
    if (q[k] === 0) continue;
    expectedLogLik += q[k] * model.logLik[k];
    klToPrior += q[k] * (Math.log(q[k]) - model.logPrior[k]);
    entropy -= xlogy(q[k], q[k]);
    expectedLogJoint += q[k] * (model.logPrior[k] + model.logLik[k]);
    klToPosterior += q[k] * (Math.log(q[k]) - Math.log(post[k]));
  }
  return {
    elbo: expectedLogLik - klToPrior,
    expectedLogLik,
    klToPrior,
    entropy,
    expectedLogJoint,
    klToPosterior,
    logEvidence: discreteLogEvidence(model),
  };
}

// ---------------------------------------------------------------------------------------
// (b) z ∼ N(0, 1), x | z ∼ N(z, σ²).

/**
 * The linear-Gaussian latent model z ∼ N(0, 1), x | z ∼ N(z, σ²):
 *   p(x) = N(x | 0, 1 + σ²),   p(z | x) = N(x/(1 + σ²), σ²/(1 + σ²)).
 */
export class GaussianLatentModel {
  constructor(readonly sigma: number) {
    if (!(sigma > 0) || !Number.isFinite(sigma)) throw new RangeError(`GaussianLatentModel: sigma must be a positive number, got ${sigma}.`);
  }

  /** log p(x) = log N(x | 0, 1 + σ²). */
  logEvidence(x: number): number {
    const v = 1 + this.sigma * this.sigma;
    return -LOG_SQRT_2PI - 0.5 * Math.log(v) - (x * x) / (2 * v);
  }

  /** p(z | x) = N(x/(1 + σ²), σ²/(1 + σ²)) as a Normal. */
  posterior(x: number): Normal {
    const v = 1 + this.sigma * this.sigma;
    return new Normal(x / v, this.sigma / Math.sqrt(v));
  }

  /** log p(x, z) = log N(x | z, σ²) + log N(z | 0, 1). */
  logJoint(x: number, z: number): number {
    const u = (x - z) / this.sigma;
    return -2 * LOG_SQRT_2PI - Math.log(this.sigma) - 0.5 * u * u - 0.5 * z * z;
  }

  /** Draw (z, x) pairs from the model. */
  sample(rng: Rng, n: number): { z: Float64Array; x: Float64Array } {
    const z = new Float64Array(n);
    const x = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      z[i] = rng.normal();
      x[i] = z[i] + this.sigma * rng.normal();
    }
    return { z, x };
  }

  /**
   * ELBO(q) for q = N(m, s²), every piece in closed form:
   *   E_q[log p(x|z)] = −½ log(2πσ²) − ((x − m)² + s²)/(2σ²)
   *   KL(q ‖ p(z))    = ½ (s² + m² − 1 − log s²)
   *   H(q)            = ½ log(2πe s²)
   *   KL(q ‖ p(z|x))  from the Normal–Normal closed form of src/prob.
   */
  elbo(x: number, q: { mu: number; sigma: number }): ElboPieces {
    const m = q.mu;
    const s = q.sigma;
    if (!Number.isFinite(x) || !Number.isFinite(m) || !(s > 0)) {
      throw new RangeError(`GaussianLatentModel.elbo: need finite x and q.mu and q.sigma > 0; got x=${x}, mu=${m}, sigma=${s}.`);
    }
    const s2 = this.sigma * this.sigma;
    const expectedLogLik = -0.5 * Math.log(2 * Math.PI * s2) - ((x - m) ** 2 + s * s) / (2 * s2);
    const klToPrior = 0.5 * (s * s + m * m - 1 - Math.log(s * s));
    const entropy = 0.5 * Math.log(2 * Math.PI * Math.E * s * s);
    const expectedLogJoint = expectedLogLik - LOG_SQRT_2PI - 0.5 * (m * m + s * s);
    const klToPosterior = klDivergence(new Normal(m, s), this.posterior(x));
    return {
      elbo: expectedLogLik - klToPrior,
      expectedLogLik,
      klToPrior,
      entropy,
      expectedLogJoint,
      klToPosterior,
      logEvidence: this.logEvidence(x),
    };
  }
}

// ---------------------------------------------------------------------------------------
// Monte Carlo.

/** A variational distribution that can be sampled and scored (every src/prob distribution qualifies). */
export interface VariationalQ<Z> {
  sample(rng: Rng, n: number): ArrayLike<Z> | Z[];
  logProb(z: Z): number;
}

/**
 * Monte Carlo ELBO: (1/L) Σ_l [log p(x, z_l) − log q(z_l)], z_l ∼ q, with the standard error
 * of that mean. For models whose ELBO has no closed form.
 */
export function elboMonteCarlo<Z>(
  logJoint: (z: Z) => number,
  q: VariationalQ<Z>,
  rng: Rng,
  L: number,
): { estimate: number; se: number; n: number } {
  if (!Number.isInteger(L) || L < 2) throw new RangeError(`elboMonteCarlo: L (the number of samples) must be an integer ≥ 2, got ${L}.`);
  const zs = q.sample(rng, L) as ArrayLike<Z>;
  let mean = 0;
  let m2 = 0;
  for (let l = 0; l < L; l++) {
    const w = logJoint(zs[l]) - q.logProb(zs[l]);
    if (Number.isNaN(w)) throw new RangeError(`elboMonteCarlo: log p(x, z) − log q(z) is NaN at sample ${l}; check logJoint and q.`);
    const d = w - mean;
    mean += d / (l + 1);
    m2 += d * (w - mean);
  }
  return { estimate: mean, se: Math.sqrt(m2 / (L - 1) / L), n: L };
}
