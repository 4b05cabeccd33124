/**
 * The standard 2-D test bed for mode collapse (Metz et al. 2017, "Unrolled GANs", figure 1):
 * eight Gaussians of standard deviation σ on a circle of radius r,
 *
 *   p_data(x) = (1/8) Σ_{k=0}^{7} N(x; r (cos 2πk/8, sin 2πk/8), σ² I).
 *
 * A generator that covers all eight modes has learnt the distribution; one that puts its mass on
 * a few of them (or rotates from one to the next during training) has collapsed.
 */
import { Rng } from "../../runtime/rng";

export interface RingMixture {
  modes: number;
  radius: number;
  sigma: number;
}

export const RING8: RingMixture = { modes: 8, radius: 2, sigma: 0.05 };

/** Centres of the ring's modes, [x0, y0, x1, y1, …]. */
export function ringCentres(m: RingMixture = RING8): Float64Array {
  const c = new Float64Array(2 * m.modes);
  for (let k = 0; k < m.modes; k++) {
    c[2 * k] = m.radius * Math.cos((2 * Math.PI * k) / m.modes);
    c[2 * k + 1] = m.radius * Math.sin((2 * Math.PI * k) / m.modes);
  }
  return c;
}

/** n points from the ring mixture (n × 2, row-major), and which mode each came from. */
export function sampleRing(n: number, r: Rng, m: RingMixture = RING8): { points: Float32Array; modes: Int32Array } {
  if (!Number.isInteger(n) || n <= 0) throw new RangeError(`sampleRing: n must be a positive integer, got ${n}.`);
  const c = ringCentres(m);
  const points = new Float32Array(2 * n);
  const modes = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const k = r.int(m.modes);
    modes[i] = k;
    points[2 * i] = c[2 * k] + m.sigma * r.normal();
    points[2 * i + 1] = c[2 * k + 1] + m.sigma * r.normal();
  }
  return { points, modes };
}

/** The ring mixture's density at (x, y). */
export function ringDensity(m: RingMixture = RING8): (x: number, y: number) => number {
  const c = ringCentres(m);
  const norm = 1 / (m.modes * 2 * Math.PI * m.sigma * m.sigma);
  return (x: number, y: number) => {
    let s = 0;
    for (let k = 0; k < m.modes; k++) {
      const dx = x - c[2 * k];
      const dy = y - c[2 * k + 1];
      s += Math.exp(-(dx * dx + dy * dy) / (2 * m.sigma * m.sigma));
    }
    return s * norm;
  };
}

export interface ModeCoverage {
  /** Samples within 3σ of each mode's centre. */
  counts: number[];
  /** Modes holding at least `minFraction` of the samples (default: a quarter of the uniform 1/8 share). */
  modesCovered: number;
  /** Fraction of samples within 3σ of some mode ("high-quality samples", Srivastava et al. 2017). */
  highQuality: number;
  /** Samples whose nearest centre is each mode (however far away). */
  nearest: number[];
  /**
   * Entropy (nats) of the nearest-mode histogram: log 8 ≈ 2.08 when the samples spread evenly
   * over the eight modes, 0 when they all sit by one (collapse), whatever their sharpness.
   */
  modeEntropy: number;
  /** The mode nearest to the most samples. */
  dominantMode: number;
}

/**
 * Mode coverage of generated points: assign each point to its nearest centre; it counts as a
 * high-quality sample when it lies within 3σ of it; a mode is covered when it holds at least
 * minFraction of all samples as high-quality ones (default 1/(4·modes)).
 */
export function modeCoverage(points: Float32Array, m: RingMixture = RING8, minFraction = 1 / (4 * m.modes)): ModeCoverage {
  if (!(points instanceof Float32Array) || points.length % 2 !== 0 || points.length === 0) {
    throw new RangeError(`modeCoverage: points must be a non-empty Float32Array of n × 2 numbers, got ${points?.length}.`);
  }
  const n = points.length / 2;
  const c = ringCentres(m);
  const counts = new Array<number>(m.modes).fill(0);
  const nearest = new Array<number>(m.modes).fill(0);
  let good = 0;
  const r2 = (3 * m.sigma) ** 2;
  for (let i = 0; i < n; i++) {
    let best = Infinity;
    let bk = 0;
    for (let k = 0; k < m.modes; k++) {
      const d = (points[2 * i] - c[2 * k]) ** 2 + (points[2 * i + 1] - c[2 * k + 1]) ** 2;
      if (d < best) {
        best = d;
        bk = k;
      }
    }
    nearest[bk]++;
    if (best <= r2) {
      counts[bk]++;
      good++;
    }
  }
  let modeEntropy = 0;
  let dominantMode = 0;
  for (let k = 0; k < m.modes; k++) {
    const p = nearest[k] / n;
    if (p > 0) modeEntropy -= p * Math.log(p);
    if (nearest[k] > nearest[dominantMode]) dominantMode = k;
  }
  return { counts, modesCovered: counts.filter((k) => k >= minFraction * n).length, highQuality: good / n, nearest, modeEntropy, dominantMode };
}
