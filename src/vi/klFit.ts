/**
 * Fitting one Gaussian q = N(m, s²) to a 1-D Gaussian-mixture target p by minimizing
 *   forward KL(p ‖ q) = E_p[log p − log q]   (mode covering; optimum = moment matching)
 *   reverse KL(q ‖ p) = E_q[log q − log p]   (mode seeking; the VI objective of lecture 000)
 * Both KLs are computed by Gauss–Hermite quadrature (exact up to ~1e-12 for these smooth
 * integrands), and minimized over (m, log s) by a grid search plus Nelder–Mead.
 */
import { logSumExp, LOG_SQRT_2PI } from "../math/special";
import { expectNormal } from "./quadrature";

export interface GaussianMixture1D {
  weights: readonly number[];
  means: readonly number[];
  sds: readonly number[];
}

function checkMixture(p: GaussianMixture1D, where: string): void {
  const K = p.weights.length;
  if (K < 1 || p.means.length !== K || p.sds.length !== K) throw new RangeError(`${where}: weights, means, sds must have the same length ≥ 1.`);
  const s = p.weights.reduce((a, b) => a + b, 0);
  if (Math.abs(s - 1) > 1e-9 || p.weights.some((w) => !(w >= 0))) throw new RangeError(`${where}: weights must be non-negative and sum to 1 (sum ${s}).`);
  if (p.sds.some((v) => !(v > 0))) throw new RangeError(`${where}: sds must be > 0.`);
}

/** log p(z) of a 1-D Gaussian mixture. */
export function mixtureLogPdf(p: GaussianMixture1D, z: number): number {
  const t = p.weights.map((w, k) => {
    const u = (z - p.means[k]) / p.sds[k];
    return Math.log(w) - LOG_SQRT_2PI - Math.log(p.sds[k]) - 0.5 * u * u;
  });
  return logSumExp(t);
}

function logNormal(z: number, m: number, s: number): number {
  const u = (z - m) / s;
  return -LOG_SQRT_2PI - Math.log(s) - 0.5 * u * u;
}

/** KL(p ‖ N(m, s²)) = Σ_k w_k E_{N(μ_k, σ_k²)}[log p(z) − log q(z)]. */
export function forwardKL(p: GaussianMixture1D, m: number, s: number): number {
  checkMixture(p, "forwardKL");
  let t = 0;
  p.weights.forEach((w, k) => {
    if (w > 0) t += w * expectNormal((z) => mixtureLogPdf(p, z) - logNormal(z, m, s), p.means[k], p.sds[k], 64);
  });
  return t;
}

/** KL(N(m, s²) ‖ p) = −H(q) − E_q[log p(z)]. */
export function reverseKL(p: GaussianMixture1D, m: number, s: number): number {
  checkMixture(p, "reverseKL");
  const entropy = 0.5 * Math.log(2 * Math.PI * Math.E * s * s);
  return -entropy - expectNormal((z) => mixtureLogPdf(p, z), m, s, 64);
}

/** Nelder–Mead on f(m, log s) from a start point (2-D, standard coefficients). */
function nelderMead(f: (v: [number, number]) => number, start: [number, number], step: number, iters = 400): [number, number] {
  let simplex: [number, number][] = [start, [start[0] + step, start[1]], [start[0], start[1] + step]];
  let vals = simplex.map(f);
  for (let it = 0; it < iters; it++) {
    const order = [0, 1, 2].sort((a, b) => vals[a] - vals[b]);
    simplex = order.map((i) => simplex[i]);
    vals = order.map((i) => vals[i]);
    if (Math.abs(vals[2] - vals[0]) < 1e-14) break;
    const c: [number, number] = [(simplex[0][0] + simplex[1][0]) / 2, (simplex[0][1] + simplex[1][1]) / 2];
    const at = (t: number): [number, number] => [c[0] + t * (simplex[2][0] - c[0]), c[1] + t * (simplex[2][1] - c[1])];
    const r = at(-1);
    const fr = f(r);
    if (fr < vals[0]) {
      const e = at(-2);
      const fe = f(e);
      if (fe < fr) [simplex[2], vals[2]] = [e, fe];
      else [simplex[2], vals[2]] = [r, fr];
    } else if (fr < vals[1]) {
      [simplex[2], vals[2]] = [r, fr];
    } else {
      const k = at(fr < vals[2] ? -0.5 : 0.5);
      const fk = f(k);
      if (fk < Math.min(fr, vals[2])) [simplex[2], vals[2]] = [k, fk];
      else {
        for (const i of [1, 2]) {
          simplex[i] = [(simplex[i][0] + simplex[0][0]) / 2, (simplex[i][1] + simplex[0][1]) / 2];
          vals[i] = f(simplex[i]);
        }
      }
    }
  }
  const best = vals.indexOf(Math.min(...vals));
  return simplex[best];
}

export interface GaussianKLFit {
  m: number;
  s: number;
  kl: number;
  direction: "forward" | "reverse";
}

/**
 * Fit N(m, s²) to p by minimizing the forward (KL(p‖q)) or reverse (KL(q‖p)) divergence.
 * Without `init`, a grid over m ∈ [min μ − 3 max σ, max μ + 3 max σ] and s ∈ [0.05, spread]
 * picks the start (the global optimum); with `init`, the local optimum from that start (reverse
 * KL has one per mode).
 */
export function fitGaussianKL(p: GaussianMixture1D, direction: "forward" | "reverse", opts: { init?: { m: number; s: number } } = {}): GaussianKLFit {
  checkMixture(p, "fitGaussianKL");
  const kl = direction === "forward" ? forwardKL : reverseKL;
  const f = (v: [number, number]): number => {
    const val = kl(p, v[0], Math.exp(v[1]));
    return Number.isFinite(val) ? val : 1e300;
  };
  let start: [number, number];
  if (opts.init) {
    if (!(opts.init.s > 0)) throw new RangeError(`fitGaussianKL: init.s must be > 0, got ${opts.init.s}.`);
    start = [opts.init.m, Math.log(opts.init.s)];
  } else {
    const sdMax = Math.max(...p.sds);
    const lo = Math.min(...p.means) - 3 * sdMax;
    const hi = Math.max(...p.means) + 3 * sdMax;
    const sHi = Math.max(hi - lo, 1);
    start = [0, 0];
    let best = Infinity;
    for (let i = 0; i <= 40; i++) {
      for (let j = 0; j <= 20; j++) {
        const v: [number, number] = [lo + ((hi - lo) * i) / 40, Math.log(0.05) + ((Math.log(sHi) - Math.log(0.05)) * j) / 20];
        const val = f(v);
        if (val < best) [best, start] = [val, v];
      }
    }
  }
  let v = nelderMead(f, start, 0.2);
  v = nelderMead(f, v, 0.01);
  return { m: v[0], s: Math.exp(v[1]), kl: f(v), direction };
}

/** Forward-KL optimum in closed form: m = E_p[z], s² = Var_p[z] (moment matching). */
export function momentMatch(p: GaussianMixture1D): { m: number; s: number } {
  checkMixture(p, "momentMatch");
  const m = p.weights.reduce((a, w, k) => a + w * p.means[k], 0);
  const e2 = p.weights.reduce((a, w, k) => a + w * (p.sds[k] ** 2 + p.means[k] ** 2), 0);
  return { m, s: Math.sqrt(e2 - m * m) };
}
