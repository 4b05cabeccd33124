/**
 * Figure traces for lecture 002's "Bayesian AE with MCMC": for one x with a 2-D latent space,
 * the MCMC samples of p(z|x), contours of the quadrature posterior, and the encoder's q(z|x) as
 * its 2σ ellipse {μ + 2σ ⊙ (cos t, sin t)}. Numbers are rounded (4 significant digits) so that
 * executed notebooks stay small; the checks use the unrounded values.
 */
import type { Trace } from "../plot/figure";

const round = (v: number): number => Number(v.toPrecision(4));

export interface PosteriorComparisonInput {
  /** MCMC samples, rows of (z₁, z₂). */
  samples: Float64Array;
  encoderMean: ArrayLike<number>;
  encoderStd: ArrayLike<number>;
}

export interface PosteriorGrid {
  xs: Float64Array;
  ys: Float64Array;
  /** n×n density, row j = ys[j]. */
  density: Float64Array;
}

/**
 * Three traces (MCMC points, every `every`-th sample; exact-posterior contours; q(z|x) 2σ ellipse)
 * labelled by `label`; points and ellipse share `color` (contours are black), in one legend group.
 */
export function posteriorComparisonTraces(res: PosteriorComparisonInput, grid: PosteriorGrid, label: string, every = 5, color?: string): Trace[] {
  if (res.samples.length % 2 !== 0) throw new Error(`posteriorComparisonTraces: samples must hold (z₁, z₂) pairs, got ${res.samples.length} numbers.`);
  const n = grid.xs.length;
  if (grid.ys.length !== n || grid.density.length !== n * n) throw new Error(`posteriorComparisonTraces: the grid density must be ${n}×${n}, got ${grid.density.length} values.`);
  const m = Math.floor(res.samples.length / 2 / every);
  const th = Array.from({ length: 61 }, (_, i) => (2 * Math.PI * i) / 60);
  return [
    {
      type: "scatter", mode: "markers", name: `MCMC p(z|x), digit ${label}`,
      x: Array.from({ length: m }, (_, i) => round(res.samples[2 * every * i])),
      y: Array.from({ length: m }, (_, i) => round(res.samples[2 * every * i + 1])),
      marker: { size: 2, opacity: 0.3, ...(color ? { color } : {}) }, legendgroup: label,
    },
    {
      type: "contour", name: `exact p(z|x), digit ${label}`, x: Array.from(grid.xs, round), y: Array.from(grid.ys, round),
      z: Array.from({ length: n }, (_, r) => Array.from(grid.density.subarray(r * n, r * n + n), round)),
      contours: { coloring: "lines" }, colorscale: [[0, "black"], [1, "black"]], line: { width: 1.5 }, showscale: false, showlegend: true, ncontours: 6, legendgroup: label,
    },
    {
      type: "scatter", mode: "lines", name: `q(z|x) 2σ, digit ${label}`,
      x: th.map((t) => round(res.encoderMean[0] + 2 * res.encoderStd[0] * Math.cos(t))),
      y: th.map((t) => round(res.encoderMean[1] + 2 * res.encoderStd[1] * Math.sin(t))),
      line: { width: 2.5, ...(color ? { color } : {}) }, legendgroup: label,
    },
  ] as Trace[];
}
