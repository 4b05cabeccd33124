/**
 * EM as a max-max procedure on ELBO(q, θ) (lecture 003, "EM as a max-max procedure"), shown
 * on a 1-D Gaussian mixture θ = (w, μ, σ):
 *
 *   ELBO(q, θ) = Σ_i Σ_k q_ik [log w_k + log N(x_i | μ_k, σ_k²) − log q_ik] ≤ log p_θ(x)
 *   E-step: q_ik = p_θ(z_i = k | x_i)  → the gap KL(q ‖ p_θ(z|x)) closes: ELBO = log p_θ(x)
 *   M-step: θ = argmax_θ ELBO(q, θ)    → the ELBO rises (and with it log p_θ(x)).
 */
import { logSumExp, LOG_SQRT_2PI } from "../math/special";

export interface Mixture1DParams {
  weights: number[];
  means: number[];
  sds: number[];
}

function logComp(x: number, th: Mixture1DParams, k: number): number {
  const u = (x - th.means[k]) / th.sds[k];
  return Math.log(th.weights[k]) - LOG_SQRT_2PI - Math.log(th.sds[k]) - 0.5 * u * u;
}

/** log p_θ(x) = Σ_i log Σ_k w_k N(x_i | μ_k, σ_k²). */
export function mixtureLogLikelihood(x: readonly number[], th: Mixture1DParams): number {
  let t = 0;
  for (const xi of x) t += logSumExp(th.weights.map((_, k) => logComp(xi, th, k)));
  return t;
}

/** ELBO(q, θ) for responsibilities q (n × K). */
export function mixtureElbo(x: readonly number[], q: readonly ArrayLike<number>[], th: Mixture1DParams): number {
  let t = 0;
  x.forEach((xi, i) => {
    for (let k = 0; k < th.weights.length; k++) {
      const qk = q[i][k];
      if (qk > 0) t += qk * (logComp(xi, th, k) - Math.log(qk));
    }
  });
  return t;
}

/** E-step: q_ik = p_θ(z_i = k | x_i). */
export function mixtureEStep(x: readonly number[], th: Mixture1DParams): Float64Array[] {
  return x.map((xi) => {
    const l = th.weights.map((_, k) => logComp(xi, th, k));
    const z = logSumExp(l);
    return Float64Array.from(l, (v) => Math.exp(v - z));
  });
}

/** M-step: w_k = N_k/n, μ_k = Σ q_ik x_i / N_k, σ_k² = Σ q_ik (x_i − μ_k)² / N_k (floored at minSd²). */
export function mixtureMStep(x: readonly number[], q: readonly ArrayLike<number>[], minSd = 1e-3): Mixture1DParams {
  const K = q[0].length;
  const n = x.length;
  const th: Mixture1DParams = { weights: [], means: [], sds: [] };
  for (let k = 0; k < K; k++) {
    let nk = 0;
    let sx = 0;
    for (let i = 0; i < n; i++) {
      nk += q[i][k];
      sx += q[i][k] * x[i];
    }
    const mu = sx / nk;
    let v = 0;
    for (let i = 0; i < n; i++) v += q[i][k] * (x[i] - mu) ** 2;
    th.weights.push(nk / n);
    th.means.push(mu);
    th.sds.push(Math.max(minSd, Math.sqrt(v / nk)));
  }
  return th;
}

export interface EmElboRow {
  iteration: number;
  /** Which update produced this row. */
  phase: "start" | "E" | "M";
  elbo: number;
  logLikelihood: number;
  /** log p_θ(x) − ELBO(q, θ) = Σ_i KL(q_i ‖ p_θ(z_i | x_i)) ≥ 0. */
  gap: number;
}

/**
 * Run `iterations` EM rounds from θ0 and an initial q (default uniform), recording ELBO(q, θ)
 * and log p_θ(x) after every E and M step.
 */
export function emElboTrace(x: readonly number[], theta0: Mixture1DParams, iterations: number, q0?: readonly ArrayLike<number>[]): { rows: EmElboRow[]; theta: Mixture1DParams } {
  const K = theta0.weights.length;
  if (K < 1 || theta0.means.length !== K || theta0.sds.length !== K) throw new RangeError("emElboTrace: theta0 needs weights, means, sds of the same length K ≥ 1.");
  if (x.length < 1 || !x.every(Number.isFinite)) throw new RangeError("emElboTrace: x must be a non-empty array of finite numbers.");
  let th = { weights: [...theta0.weights], means: [...theta0.means], sds: [...theta0.sds] };
  let q: ArrayLike<number>[] = q0 ? q0.map((r) => Float64Array.from(r)) : x.map(() => new Float64Array(K).fill(1 / K));
  const rows: EmElboRow[] = [];
  const record = (iteration: number, phase: EmElboRow["phase"]): void => {
    const elbo = mixtureElbo(x, q, th);
    const ll = mixtureLogLikelihood(x, th);
    rows.push({ iteration, phase, elbo, logLikelihood: ll, gap: ll - elbo });
  };
  record(0, "start");
  for (let t = 1; t <= iterations; t++) {
    q = mixtureEStep(x, th);
    record(t, "E");
    th = mixtureMStep(x, q);
    record(t, "M");
  }
  return { rows, theta: th };
}
