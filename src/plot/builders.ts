/**
 * Generic figure builders: plain numbers in, a Plotly spec out. Nothing here draws; `show()`
 * and `npm run figures` consume the spec, and tests assert on its numbers.
 */
import type { Figure, Trace } from "./figure";

type Numbers = ArrayLike<number>;

function toArray(what: string, xs: Numbers, allowNaN = false): number[] {
  if (!xs || typeof xs.length !== "number") throw new Error(`${what}: expected an array of numbers, got ${typeof xs}.`);
  const out = Array.from(xs);
  out.forEach((v, i) => {
    if (typeof v !== "number" || (!allowNaN && !Number.isFinite(v))) {
      throw new Error(`${what}[${i}] is ${v}; expected a finite number (filter NaN/Infinity out first).`);
    }
  });
  return out;
}

function axisTitle(t?: string): Record<string, unknown> {
  return t ? { title: { text: t } } : {};
}

export interface LineSeries {
  name: string;
  y: Numbers;
  /** Own x values; default: the figure's `x`, else 0, 1, 2, … */
  x?: Numbers;
  /** Plotly dash style ("dash", "dot") for references such as a closed form. */
  dash?: string;
}

export interface LineFigureOptions {
  x?: Numbers;
  ys: LineSeries[];
  title: string;
  xTitle?: string;
  yTitle?: string;
  logY?: boolean;
  /** Draw markers too (default: only when a series has ≤ 30 points). */
  markers?: boolean;
}

/** Line plot of one or more series y_s(x) (e.g. ELBO per epoch, train vs. test). */
export function lineFigure(o: LineFigureOptions): Figure {
  if (!o || !Array.isArray(o.ys) || o.ys.length === 0) throw new Error("lineFigure: give at least one series in ys: [{ name, y }].");
  const shared = o.x === undefined ? undefined : toArray("lineFigure x", o.x);
  const data: Trace[] = o.ys.map((s, k) => {
    const y = toArray(`lineFigure ys[${k}] ("${s.name}") y`, s.y);
    const x = s.x !== undefined ? toArray(`lineFigure ys[${k}] x`, s.x) : (shared ?? y.map((_, i) => i));
    if (x.length !== y.length) throw new Error(`lineFigure: series "${s.name}" has ${y.length} y values but ${x.length} x values.`);
    if (o.logY && y.some((v) => v <= 0)) throw new Error(`lineFigure: series "${s.name}" has values ≤ 0, which a log y axis cannot show; plot -y or drop logY.`);
    const markers = o.markers ?? y.length <= 30;
    return { type: "scatter", mode: markers ? "lines+markers" : "lines", name: s.name, x, y, ...(s.dash ? { line: { dash: s.dash } } : {}) };
  });
  return {
    data,
    layout: {
      title: { text: o.title },
      xaxis: axisTitle(o.xTitle),
      yaxis: { ...axisTitle(o.yTitle), ...(o.logY ? { type: "log" } : {}) },
      showlegend: data.length > 1,
    },
  };
}

export interface HistogramBins {
  /** Bin edges, length bins+1, increasing. */
  edges: number[];
  /** Counts per bin (values equal to the last edge go in the last bin). */
  counts: number[];
}

/** Counts of `values` in `bins` equal-width bins over [min, max] (or the given range). */
export function histogramBins(values: Numbers, bins: number, range?: [number, number]): HistogramBins {
  const v = toArray("histogramBins values", values);
  if (!Number.isInteger(bins) || bins < 1) throw new Error(`histogramBins: bins must be a positive integer, got ${bins}.`);
  if (v.length === 0 && !range) throw new Error("histogramBins: no values and no range.");
  let lo = range ? range[0] : Infinity;
  let hi = range ? range[1] : -Infinity;
  if (!range) for (const x of v) (lo = Math.min(lo, x)), (hi = Math.max(hi, x));
  if (!(hi >= lo)) throw new Error(`histogramBins: range [${lo}, ${hi}] is empty.`);
  if (hi === lo) {
    lo -= 0.5;
    hi += 0.5;
  }
  const width = (hi - lo) / bins;
  const edges = Array.from({ length: bins + 1 }, (_, i) => (i === bins ? hi : lo + i * width));
  const counts = new Array<number>(bins).fill(0);
  for (const x of v) {
    if (x < lo || x > hi) continue;
    counts[Math.min(bins - 1, Math.floor((x - lo) / width))]++;
  }
  return { edges, counts };
}

export interface HistogramFigureOptions {
  values: Numbers;
  /** Number of equal-width bins (default: ceil(2·n^(1/3)), Rice's rule, at least 5). */
  bins?: number;
  range?: [number, number];
  /**
   * Divide counts by n·binWidth (n = all values, also those outside `range`), so the bars
   * integrate to the share of values inside the range (1 without a range): a density curve.
   */
  density?: boolean;
  /** A curve drawn over the bars, e.g. the exact density. */
  overlay?: { x: Numbers; y: Numbers; name: string };
  title: string;
  name?: string;
  xTitle?: string;
}

/**
 * Histogram computed here (not by plotly), so the bars are numbers a test can check:
 * bar height = count / (n·Δ) with density, else count; bars at bin centres, width Δ.
 */
export function histogramFigure(o: HistogramFigureOptions): Figure {
  const n = o.values?.length ?? 0;
  const bins = o.bins ?? Math.max(5, Math.ceil(2 * Math.cbrt(n)));
  const { edges, counts } = histogramBins(o.values, bins, o.range);
  const width = edges[1] - edges[0];
  // n counts every value, also those outside `range`: the bars then integrate to the share of
  // the values inside the range, and a truncated density stays a true density (not renormalized).
  const y = o.density ? counts.map((c) => (n > 0 ? c / (n * width) : 0)) : counts;
  const data: Trace[] = [
    {
      type: "bar",
      name: o.name ?? (o.density ? "density" : "count"),
      x: counts.map((_, i) => (edges[i] + edges[i + 1]) / 2),
      y,
      width,
      marker: { color: "rgba(31,119,180,0.6)", line: { color: "rgba(31,119,180,1)", width: 1 } },
    },
  ];
  if (o.overlay) {
    const ox = toArray("histogramFigure overlay.x", o.overlay.x);
    const oy = toArray("histogramFigure overlay.y", o.overlay.y);
    if (ox.length !== oy.length) throw new Error(`histogramFigure: overlay has ${ox.length} x but ${oy.length} y values.`);
    data.push({ type: "scatter", mode: "lines", name: o.overlay.name, x: ox, y: oy, line: { color: "rgb(214,39,40)", width: 2 } });
  }
  return {
    data,
    layout: {
      title: { text: o.title },
      bargap: 0,
      xaxis: axisTitle(o.xTitle),
      yaxis: axisTitle(o.density ? "density" : "count"),
      showlegend: data.length > 1,
    },
  };
}

export interface ScatterFigureOptions {
  x: Numbers;
  y: Numbers;
  /** A number per point, mapped through a colour scale (with a colour bar). */
  color?: Numbers;
  colorTitle?: string;
  /** A group label per point (e.g. the digit class): one trace, one legend entry per group. */
  groups?: ArrayLike<number | string>;
  title: string;
  xTitle?: string;
  yTitle?: string;
  /** Marker size in px (default 5). */
  size?: number;
  /** Equal scales on x and y (default false), for latent spaces. */
  equalAxes?: boolean;
}

/** Scatter plot of points (x_i, y_i), coloured by a value or split by group. */
export function scatterFigure(o: ScatterFigureOptions): Figure {
  const x = toArray("scatterFigure x", o.x);
  const y = toArray("scatterFigure y", o.y);
  if (x.length !== y.length) throw new Error(`scatterFigure: ${x.length} x values but ${y.length} y values.`);
  if (o.color && o.groups) throw new Error("scatterFigure: give color or groups, not both.");
  const size = o.size ?? 5;
  let data: Trace[];
  if (o.groups) {
    const g = Array.from(o.groups);
    if (g.length !== x.length) throw new Error(`scatterFigure: ${g.length} group labels for ${x.length} points.`);
    const keys = [...new Set(g)].sort((a, b) => (typeof a === "number" && typeof b === "number" ? a - b : String(a).localeCompare(String(b))));
    data = keys.map((key) => {
      const idx = g.flatMap((v, i) => (v === key ? [i] : []));
      return { type: "scatter", mode: "markers", name: String(key), x: idx.map((i) => x[i]), y: idx.map((i) => y[i]), marker: { size } };
    });
  } else if (o.color) {
    const c = toArray("scatterFigure color", o.color);
    if (c.length !== x.length) throw new Error(`scatterFigure: ${c.length} colour values for ${x.length} points.`);
    data = [
      {
        type: "scatter",
        mode: "markers",
        name: o.colorTitle ?? "points",
        x,
        y,
        marker: { size, color: c, colorscale: "Viridis", showscale: true, ...(o.colorTitle ? { colorbar: { title: { text: o.colorTitle } } } : {}) },
      },
    ];
  } else {
    data = [{ type: "scatter", mode: "markers", name: "points", x, y, marker: { size } }];
  }
  return {
    data,
    layout: {
      title: { text: o.title },
      xaxis: axisTitle(o.xTitle),
      yaxis: { ...axisTitle(o.yTitle), ...(o.equalAxes ? { scaleanchor: "x", scaleratio: 1 } : {}) },
      showlegend: data.length > 1,
    },
  };
}

export interface HeatmapFigureOptions {
  /** Rows of values: z[i][j] is drawn at (x[j], y[i]). */
  z: Numbers[];
  x?: Numbers | string[];
  y?: Numbers | string[];
  title: string;
  xTitle?: string;
  yTitle?: string;
  colorscale?: string;
  zmin?: number;
  zmax?: number;
  colorTitle?: string;
  /** Write each cell's value in it (small matrices: CPTs, transition matrices). */
  showValues?: boolean;
}

/** Heatmap of a matrix z (row i at y[i], column j at x[j]; row 0 at the top, as a matrix is written). */
export function heatmapFigure(o: HeatmapFigureOptions): Figure {
  if (!o || !Array.isArray(o.z) || o.z.length === 0) throw new Error("heatmapFigure: z must be a non-empty array of rows.");
  const z = o.z.map((row, i) => toArray(`heatmapFigure z[${i}]`, row));
  const cols = z[0].length;
  z.forEach((row, i) => {
    if (row.length !== cols) throw new Error(`heatmapFigure: row ${i} has ${row.length} values, row 0 has ${cols}; z must be rectangular.`);
  });
  const labels = (what: string, v: Numbers | string[] | undefined, n: number) => {
    if (v === undefined) return {};
    const a = Array.from(v as ArrayLike<number | string>);
    if (a.length !== n) throw new Error(`heatmapFigure: ${what} has ${a.length} entries but z has ${n} ${what === "x" ? "columns" : "rows"}.`);
    return { [what]: a };
  };
  const trace: Trace = {
    type: "heatmap",
    z,
    ...labels("x", o.x, cols),
    ...labels("y", o.y, z.length),
    colorscale: o.colorscale ?? "Viridis",
    ...(o.zmin !== undefined ? { zmin: o.zmin } : {}),
    ...(o.zmax !== undefined ? { zmax: o.zmax } : {}),
    ...(o.colorTitle ? { colorbar: { title: { text: o.colorTitle } } } : {}),
    ...(o.showValues ? { texttemplate: "%{z:.3g}", textfont: { size: 12 } } : {}),
  };
  return {
    data: [trace],
    layout: { title: { text: o.title }, xaxis: axisTitle(o.xTitle), yaxis: { ...axisTitle(o.yTitle), autorange: "reversed" } },
  };
}
