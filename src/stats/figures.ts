/** Figures of notebook 00: data first, each a Plotly spec built from plain numbers. */
import type { Figure } from "../plot/figure";
import { histogram } from "./gof";

/** Density-scaled histogram of a sample with a density curve on top. */
export function histogramWithDensityFigure(
  sample: ArrayLike<number>,
  density: (x: number) => number,
  opts: { lo: number; hi: number; bins?: number; title: string; sampleName?: string; densityName: string; xTitle?: string },
): Figure {
  const bins = opts.bins ?? 40;
  const h = histogram(sample, bins, opts.lo, opts.hi);
  const w = (opts.hi - opts.lo) / bins;
  const centres = Array.from({ length: bins }, (_, j) => opts.lo + (j + 0.5) * w);
  const heights = Array.from(h.counts, (c) => c / (sample.length * w));
  const xs = Array.from({ length: 201 }, (_, i) => opts.lo + ((opts.hi - opts.lo) * i) / 200);
  return {
    data: [
      { type: "bar", name: opts.sampleName ?? `sample (n = ${sample.length.toLocaleString("en")})`, x: centres, y: heights, width: w, marker: { color: "#8fb4d9" } },
      { type: "scatter", mode: "lines", name: opts.densityName, x: xs, y: xs.map(density), line: { color: "#c0392b", width: 2 } },
    ],
    layout: {
      title: { text: opts.title },
      xaxis: { title: { text: opts.xTitle ?? "x" } },
      yaxis: { title: { text: "density" } },
      bargap: 0,
      width: 720,
      height: 420,
    },
  };
}

/** Average log-likelihood surface over (μ, σ) with the closed-form optimum and a path on it. */
export function logLikelihoodSurfaceFigure(
  f: (mu: number, sigma: number) => number,
  opts: { mu: [number, number]; sigma: [number, number]; optimum: { mu: number; sigma: number }; path?: { mu: number[]; sigma: number[] }; n?: number },
): Figure {
  const n = opts.n ?? 80;
  const mus = Array.from({ length: n }, (_, i) => opts.mu[0] + ((opts.mu[1] - opts.mu[0]) * i) / (n - 1));
  const sigmas = Array.from({ length: n }, (_, i) => opts.sigma[0] + ((opts.sigma[1] - opts.sigma[0]) * i) / (n - 1));
  const z = sigmas.map((s) => mus.map((m) => f(m, s)));
  // Colour the 2.5 nats below the optimum, where the shape of the optimum is; lower is one colour.
  const best = f(opts.optimum.mu, opts.optimum.sigma);
  const data: Figure["data"] = [
    {
      type: "contour",
      name: "avg log-likelihood",
      x: mus,
      y: sigmas,
      z,
      colorscale: "Viridis",
      zmin: best - 2.5,
      zmax: best,
      contours: { coloring: "heatmap", start: best - 2.5, end: best, size: 0.125 },
      colorbar: { title: { text: "ℓ(μ, σ)" } },
    },
    { type: "scatter", mode: "markers", name: "closed-form optimum", x: [opts.optimum.mu], y: [opts.optimum.sigma], marker: { color: "white", size: 12, symbol: "x", line: { color: "black", width: 1 } } },
  ];
  if (opts.path) data.push({ type: "scatter", mode: "lines", name: "gradient ascent", x: opts.path.mu, y: opts.path.sigma, line: { color: "#c0392b", width: 3 } });
  return {
    data,
    layout: {
      title: { text: "Average log-likelihood of N(μ, σ) on the data" },
      xaxis: { title: { text: "μ" } },
      yaxis: { title: { text: "σ" } },
      legend: { orientation: "h", x: 0, y: -0.18 },
      width: 720,
      height: 520,
    },
  };
}
