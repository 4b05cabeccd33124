/**
 * Deterministic quadrature for the exact checks of variational inference: expectations under
 * a Gaussian (Gauss–Hermite) and integrals over an interval (composite Gauss–Legendre).
 * Both are exact for polynomials of degree < 2n and accurate to ~1e-14 for the smooth,
 * Gaussian-tailed integrands of lectures 000/002/003.
 */

interface Rule {
  readonly nodes: Float64Array;
  readonly weights: Float64Array;
}

const hermiteCache = new Map<number, Rule>();
const legendreCache = new Map<number, Rule>();

/**
 * Gauss–Hermite rule for ∫ e^{−x²} f(x) dx ≈ Σ_i w_i f(x_i) (physicists' weight), by Newton's
 * method on the orthonormal Hermite recurrence (Numerical Recipes §4.6, `gauher`).
 */
export function gaussHermite(n: number): Rule {
  if (!Number.isInteger(n) || n < 1 || n > 200) {
    throw new RangeError(`gaussHermite: n must be an integer in [1, 200], got ${n}.`);
  }
  const cached = hermiteCache.get(n);
  if (cached) return cached;
  const x = new Float64Array(n);
  const w = new Float64Array(n);
  const PIM4 = Math.pow(Math.PI, -0.25);
  const m = Math.floor((n + 1) / 2);
  let z = 0;
  for (let i = 0; i < m; i++) {
    if (i === 0) z = Math.sqrt(2 * n + 1) - 1.85575 * Math.pow(2 * n + 1, -0.16667);
    else if (i === 1) z -= (1.14 * Math.pow(n, 0.426)) / z;
    else if (i === 2) z = 1.86 * z - 0.86 * x[0];
    else if (i === 3) z = 1.91 * z - 0.91 * x[1];
    else z = 2 * z - x[i - 2];
    let pp = 0;
    for (let it = 0; it < 100; it++) {
      let p1 = PIM4;
      let p2 = 0;
      for (let j = 0; j < n; j++) {
        const p3 = p2;
        p2 = p1;
        p1 = z * Math.sqrt(2 / (j + 1)) * p2 - Math.sqrt(j / (j + 1)) * p3;
      }
      pp = Math.sqrt(2 * n) * p2;
      const z1 = z;
      z = z1 - p1 / pp;
      if (Math.abs(z - z1) <= 1e-15 * Math.max(1, Math.abs(z))) break;
    }
    x[i] = z;
    x[n - 1 - i] = -z;
    w[i] = 2 / (pp * pp);
    w[n - 1 - i] = w[i];
  }
  const rule = { nodes: x, weights: w };
  hermiteCache.set(n, rule);
  return rule;
}

/** Gauss–Legendre rule on [−1, 1] (Numerical Recipes §4.6, `gauleg`). */
export function gaussLegendre(n: number): Rule {
  if (!Number.isInteger(n) || n < 1 || n > 400) {
    throw new RangeError(`gaussLegendre: n must be an integer in [1, 400], got ${n}.`);
  }
  const cached = legendreCache.get(n);
  if (cached) return cached;
  const x = new Float64Array(n);
  const w = new Float64Array(n);
  const m = Math.floor((n + 1) / 2);
  for (let i = 0; i < m; i++) {
    let z = Math.cos((Math.PI * (i + 0.75)) / (n + 0.5));
    let pp = 0;
    for (let it = 0; it < 100; it++) {
      let p1 = 1;
      let p2 = 0;
      for (let j = 0; j < n; j++) {
        const p3 = p2;
        p2 = p1;
        p1 = ((2 * j + 1) * z * p2 - j * p3) / (j + 1);
      }
      pp = (n * (z * p1 - p2)) / (z * z - 1);
      const z1 = z;
      z = z1 - p1 / pp;
      if (Math.abs(z - z1) <= 1e-15) break;
    }
    x[i] = -z;
    x[n - 1 - i] = z;
    w[i] = 2 / ((1 - z * z) * pp * pp);
    w[n - 1 - i] = w[i];
  }
  const rule = { nodes: x, weights: w };
  legendreCache.set(n, rule);
  return rule;
}

/**
 * E_{z∼N(m, s²)}[f(z)] = (1/√π) Σ_i w_i f(m + √2 s x_i) (Gauss–Hermite with n nodes, default 64).
 */
export function expectNormal(f: (z: number) => number, m: number, s: number, n = 64): number {
  if (!Number.isFinite(m) || !(s > 0) || !Number.isFinite(s)) {
    throw new RangeError(`expectNormal: need a finite mean and a positive finite sd, got m=${m}, s=${s}.`);
  }
  const { nodes, weights } = gaussHermite(n);
  let t = 0;
  for (let i = 0; i < nodes.length; i++) t += weights[i] * f(m + Math.SQRT2 * s * nodes[i]);
  return t / Math.sqrt(Math.PI);
}

/**
 * ∫_a^b f(z) dz by composite Gauss–Legendre: `panels` equal panels with `order` nodes each
 * (defaults 200 × 16).
 */
export function integrate(f: (z: number) => number, a: number, b: number, panels = 200, order = 16): number {
  if (!(b > a) || !Number.isFinite(a) || !Number.isFinite(b)) {
    throw new RangeError(`integrate: need finite a < b, got [${a}, ${b}].`);
  }
  const { nodes, weights } = gaussLegendre(order);
  const h = (b - a) / panels;
  let t = 0;
  for (let p = 0; p < panels; p++) {
    const c = a + (p + 0.5) * h;
    let s = 0;
    for (let i = 0; i < nodes.length; i++) s += weights[i] * f(c + 0.5 * h * nodes[i]);
    t += 0.5 * h * s;
  }
  return t;
}
