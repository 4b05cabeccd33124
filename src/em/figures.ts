/**
 * Figures for EM and K-means (data first: each returns a Plotly spec from plain numbers).
 */
import * as linalg from "../math/linalg";
import type { Figure, Trace } from "../plot/figure";
import type { PointSet } from "./points";
import { type GmmParams, gmmCovariance } from "./gmm";
import type { KMeansSnapshot } from "./kmeans";

const PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];

/** Points of the ellipse {x : (x − μ)ᵀ Σ⁻¹ (x − μ) = r²} of a 2-D Gaussian (r = 2: about 86% of the mass). */
export function covarianceEllipse(mean: ArrayLike<number>, cov: ArrayLike<number>, r = 2, steps = 64): { x: number[]; y: number[] } {
  if (mean.length !== 2 || cov.length !== 4) throw new RangeError("covarianceEllipse: needs a 2-D mean and a 2 × 2 covariance.");
  const { values, vectors } = linalg.eigSym2(cov);
  const a = r * Math.sqrt(Math.max(0, values[0]));
  const b = r * Math.sqrt(Math.max(0, values[1]));
  const x: number[] = [];
  const y: number[] = [];
  for (let s = 0; s <= steps; s++) {
    const t = (2 * Math.PI * s) / steps;
    const u = a * Math.cos(t);
    const v = b * Math.sin(t);
    x.push(mean[0] + u * vectors[0][0] + v * vectors[1][0]);
    y.push(mean[1] + u * vectors[0][1] + v * vectors[1][1]);
  }
  return { x, y };
}

function column(ps: PointSet, a: number): number[] {
  return Array.from({ length: ps.n }, (_, i) => ps.data[i * ps.d + a]);
}

/** 2-D data with the 2σ ellipses of a Gaussian mixture at several EM iterations (one panel each). */
export function gmmEllipsesFigure(ps: PointSet, snapshots: { iteration: number; params: GmmParams }[], title = "EM on a 2-D Gaussian mixture"): Figure {
  if (ps.d !== 2) throw new RangeError("gmmEllipsesFigure: needs 2-D points.");
  const data: Trace[] = [];
  const cols = snapshots.length;
  snapshots.forEach((s, p) => {
    const ax = p === 0 ? "" : String(p + 1);
    data.push({ type: "scatter", mode: "markers", x: column(ps, 0), y: column(ps, 1), marker: { size: 3, color: "#bbbbbb" }, showlegend: false, xaxis: `x${ax}`, yaxis: `y${ax}`, name: "data" });
    for (let j = 0; j < s.params.k; j++) {
      const e = covarianceEllipse(s.params.means.subarray(j * 2, j * 2 + 2), gmmCovariance(s.params, j));
      data.push({ type: "scatter", mode: "lines", ...e, line: { color: PALETTE[j % 10], width: 2 }, showlegend: false, xaxis: `x${ax}`, yaxis: `y${ax}`, name: `component ${j}` });
    }
  });
  const layout: Record<string, unknown> = {
    title: { text: title },
    grid: { rows: 1, columns: cols, pattern: "independent" },
    width: Math.min(1200, 300 * cols),
    height: 340,
    annotations: snapshots.map((s, p) => ({ text: `iteration ${s.iteration}`, showarrow: false, xref: `x${p === 0 ? "" : p + 1} domain`, yref: `y${p === 0 ? "" : p + 1} domain`, x: 0.5, y: 1.02, yanchor: "bottom" })),
  };
  snapshots.forEach((_, p) => {
    const ax = p === 0 ? "" : String(p + 1);
    layout[`xaxis${ax}`] = { title: { text: "x₁", standoff: 4 } };
    layout[`yaxis${ax}`] = { title: { text: "x₂", standoff: 4 } };
  });
  return { data, layout };
}

/**
 * 2-D K-means, one panel per recorded iteration t: the points coloured by their E-step
 * assignment to the centres θ_t (crosses), with the inertia J_t in the panel's title. `history`
 * is `kMeans(..., { recordHistory: true }).history`; `opts.iterations` picks which iterations to
 * draw (default all, at most 8: the first ones and the last). Panels wrap onto rows of at most
 * `opts.columns` (default 4) so that each stays large enough to read on a slide; every panel
 * has its axis titles (`opts.axisTitles`, default x₁ and x₂).
 */
export function kMeansStepsFigure(
  ps: PointSet,
  history: KMeansSnapshot[],
  k: number,
  title = "K-means step by step",
  opts: { iterations?: number[]; columns?: number; axisTitles?: [string, string] } = {},
): Figure {
  if (ps.d !== 2) throw new RangeError("kMeansStepsFigure: needs 2-D points.");
  if (!Array.isArray(history) || history.length === 0) throw new RangeError("kMeansStepsFigure: history is empty; run kMeans with { recordHistory: true }.");
  const T = history.length;
  const iterations = opts.iterations ?? (T <= 8 ? history.map((_, t) => t) : [...Array.from({ length: 7 }, (_, t) => t), T - 1]);
  for (const t of iterations)
    if (!Number.isInteger(t) || t < 0 || t >= T) throw new RangeError(`kMeansStepsFigure: iteration ${t} is not in the history (0..${T - 1}).`);
  const [xTitle, yTitle] = opts.axisTitles ?? ["x₁", "x₂"];
  const cols = Math.min(iterations.length, opts.columns ?? 4);
  const rows = Math.ceil(iterations.length / cols);
  const data: Trace[] = [];
  const layout: Record<string, unknown> = {
    title: { text: title },
    grid: { rows, columns: cols, pattern: "independent", xgap: 0.12, ygap: rows > 1 ? 0.3 : 0.2 },
    width: 1200,
    height: Math.min(720, 120 + 300 * rows),
    margin: { t: 90, l: 60, r: 20, b: 60 },
    annotations: [] as unknown[],
  };
  iterations.forEach((t, p) => {
    const h = history[t];
    const ax = p === 0 ? "" : String(p + 1);
    for (let j = 0; j < k; j++) {
      const idx = Array.from({ length: ps.n }, (_, i) => i).filter((i) => h.labels[i] === j);
      data.push({ type: "scatter", mode: "markers", x: idx.map((i) => ps.data[2 * i]), y: idx.map((i) => ps.data[2 * i + 1]), marker: { size: 5, color: PALETTE[j % 10], opacity: 0.6 }, showlegend: false, xaxis: `x${ax}`, yaxis: `y${ax}`, name: `cluster ${j}` });
    }
    data.push({
      type: "scatter", mode: "markers", name: "centres", showlegend: false, xaxis: `x${ax}`, yaxis: `y${ax}`,
      x: Array.from({ length: k }, (_, j) => h.centres[2 * j]), y: Array.from({ length: k }, (_, j) => h.centres[2 * j + 1]),
      marker: { symbol: "x", size: 14, color: "black", line: { width: 2 } },
    });
    layout[`xaxis${ax}`] = { title: { text: xTitle, standoff: 4 } };
    layout[`yaxis${ax}`] = { title: { text: yTitle, standoff: 4 } };
    (layout.annotations as unknown[]).push({
      text: `iteration ${t}${t === T - 1 ? " (final)" : ""}: J = ${h.inertia.toFixed(0)}`,
      showarrow: false, xref: `x${ax} domain`, yref: `y${ax} domain`, x: 0.5, y: 1.02, yanchor: "bottom", font: { size: 13 },
    });
  });
  return { data, layout };
}

/** A trace of a per-iteration quantity (log-likelihood, inertia). */
export function emTraceFigure(series: { name: string; values: number[] }[], ytitle: string, title: string): Figure {
  return {
    data: series.map((s) => ({ type: "scatter", mode: "lines+markers", name: s.name, x: s.values.map((_, i) => i), y: s.values })),
    layout: { title: { text: title }, xaxis: { title: { text: "iteration" } }, yaxis: { title: { text: ytitle } }, width: 640, height: 380 },
  };
}
