/**
 * The lectures' L-sample ELBO estimator (lecture 000, "reparameterization trick"):
 *
 *   ℒ̂_L = (1/L) Σ_{s=1..L} log p(x | z_s) − KL(q ‖ p(z)),   z_s = m + √v · ε_s,
 *
 * on the one model where everything is exact: p(z) = N(0, 1), p(x|z) = N(x; z, s²),
 * q(z) = N(m, v). Then
 *
 *   ℒ(q) = −½ log(2π s²) − ((x − m)² + v) / (2 s²) − ½ (v + m² − 1 − log v),
 *   log p(x) = log N(x; 0, 1 + s²),  and ℒ(q) = log p(x) exactly at q = p(z|x) =
 *   N(x/(1 + s²), s²/(1 + s²)).
 */
import { Rng } from "../runtime/rng";

const LOG_2PI = Math.log(2 * Math.PI);

export interface ToyGaussianModel {
  /** The observation x. */
  x: number;
  /** Likelihood standard deviation s. */
  s: number;
}

/** Closed-form ELBO ℒ(q) for q = N(m, v). */
export function toyElboExact(p: ToyGaussianModel, m: number, v: number): number {
  if (!(v > 0) || !(p.s > 0)) throw new Error(`toyElboExact: need v > 0 and s > 0, got v = ${v}, s = ${p.s}.`);
  const rec = -0.5 * (LOG_2PI + Math.log(p.s * p.s)) - ((p.x - m) ** 2 + v) / (2 * p.s * p.s);
  const kl = 0.5 * (v + m * m - 1 - Math.log(v));
  return rec - kl;
}

/** log p(x) = log N(x; 0, 1 + s²). */
export function toyLogEvidence(p: ToyGaussianModel): number {
  const t = 1 + p.s * p.s;
  return -0.5 * (LOG_2PI + Math.log(t)) - (p.x * p.x) / (2 * t);
}

/** The exact posterior p(z|x) = N(x/(1+s²), s²/(1+s²)). */
export function toyPosterior(p: ToyGaussianModel): { m: number; v: number } {
  const t = 1 + p.s * p.s;
  return { m: p.x / t, v: (p.s * p.s) / t };
}

/**
 * One L-sample estimate ℒ̂_L. klMode "analytic": sampled reconstruction, closed-form KL;
 * "mc": (1/L) Σ [log p(x|z_s) + log p(z_s) − log q(z_s)] (zero variance when q is the posterior).
 */
export function toyElboEstimate(p: ToyGaussianModel, m: number, v: number, L: number, r: Rng, klMode: "analytic" | "mc" = "analytic"): number {
  if (!Number.isInteger(L) || L < 1) throw new Error(`toyElboEstimate: L must be a positive integer, got ${L}.`);
  const sd = Math.sqrt(v);
  let acc = 0;
  for (let i = 0; i < L; i++) {
    const eps = r.normal();
    const z = m + sd * eps;
    const logLik = -0.5 * (LOG_2PI + Math.log(p.s * p.s)) - ((p.x - z) ** 2) / (2 * p.s * p.s);
    if (klMode === "analytic") acc += logLik;
    else acc += logLik + -0.5 * (LOG_2PI + z * z) - -0.5 * (LOG_2PI + Math.log(v) + eps * eps);
  }
  const est = acc / L;
  return klMode === "analytic" ? est - 0.5 * (v + m * m - 1 - Math.log(v)) : est;
}
