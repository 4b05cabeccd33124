/**
 * Figures for graphical models, data first: plain numbers in, a Plotly spec out.
 * - `dagFigure`: a DAG drawn as circles with arrows (parent → child); observed nodes shaded,
 *   as on the lecture's slides.
 * - `barCompareFigure`: grouped bars (e.g. exact vs. simulated probabilities, with error bars).
 */
import type { Figure, Trace } from "../plot/figure";

export interface DagLike {
  readonly nodes: readonly { name: string; parents: readonly string[] }[];
}

export interface DagFigureOptions {
  /** Node positions in arbitrary units; default: layered by depth (roots on top). */
  positions?: Record<string, [number, number]>;
  /** Observed (shaded) nodes. */
  observed?: readonly string[];
  title?: string;
  /** Optional text under each node (e.g. a marginal). */
  captions?: Record<string, string>;
}

/** Default layout: y = −depth (longest path from a root), x spread evenly within a layer. */
export function dagLayout(dag: DagLike): Record<string, [number, number]> {
  const depth = new Map<string, number>();
  const get = (n: string): number => {
    if (depth.has(n)) return depth.get(n) as number;
    const node = dag.nodes.find((x) => x.name === n);
    if (!node) throw new RangeError(`dagLayout: unknown node ${n}.`);
    const d = node.parents.length ? 1 + Math.max(...node.parents.map(get)) : 0;
    depth.set(n, d);
    return d;
  };
  dag.nodes.forEach((n) => get(n.name));
  const layers = new Map<number, string[]>();
  for (const n of dag.nodes) {
    const d = depth.get(n.name) as number;
    layers.set(d, [...(layers.get(d) ?? []), n.name]);
  }
  const pos: Record<string, [number, number]> = {};
  for (const [d, names] of layers) names.forEach((n, i) => (pos[n] = [i - (names.length - 1) / 2, -d]));
  return pos;
}

/** The DAG as a Plotly figure: one marker per node, one arrow annotation per edge. */
export function dagFigure(dag: DagLike, opts: DagFigureOptions = {}): Figure {
  const pos = opts.positions ?? dagLayout(dag);
  const observed = new Set(opts.observed ?? []);
  for (const n of dag.nodes) if (!pos[n.name]) throw new RangeError(`dagFigure: no position for node ${n.name}.`);
  const nodeTrace = (names: string[], shaded: boolean): Trace => ({
    type: "scatter",
    mode: "markers+text",
    name: shaded ? "observed" : "latent",
    x: names.map((n) => pos[n][0]),
    y: names.map((n) => pos[n][1]),
    text: names,
    textposition: "middle center",
    textfont: { size: 16, color: shaded ? "white" : "black" },
    marker: { size: 44, color: shaded ? "#555" : "white", line: { width: 2, color: "black" } },
    hoverinfo: "text",
  });
  const xs = Object.values(pos).map((p) => p[0]);
  const ys = Object.values(pos).map((p) => p[1]);
  const yRange = Math.max(...ys) - Math.min(...ys) + 1.1;
  // Equal axis scales (scaleanchor); the plot area is about 400×300 px, a node is 44 px wide.
  // Captions sit right of their node: the x range grows until the longest one fits (≈ 7 px per
  // character at 12 px), so no caption runs off the right edge.
  let xHi = Math.max(...xs) + 0.6;
  let pxPerUnit = 0;
  let radius = 0;
  for (let pass = 0; pass < 3; pass++) {
    pxPerUnit = Math.min(400 / (xHi - Math.min(...xs) + 0.6), 300 / yRange);
    radius = 25 / pxPerUnit;
    for (const [n, t] of Object.entries(opts.captions ?? {})) if (pos[n]) xHi = Math.max(xHi, pos[n][0] + radius * 1.1 + (7 * t.length + 10) / pxPerUnit);
  }
  const annotations: Record<string, unknown>[] = [];
  for (const n of dag.nodes) {
    for (const p of n.parents) {
      const [x0, y0] = pos[p];
      const [x1, y1] = pos[n.name];
      // Centre to centre, stopped 24 px short of each end (the 44 px circles' edges) in screen
      // pixels, so the arrows touch the nodes at any figure size (notebook, slide or paper).
      annotations.push({
        x: x1,
        y: y1,
        ax: x0,
        ay: y0,
        standoff: 24,
        startstandoff: 24,
        xref: "x",
        yref: "y",
        axref: "x",
        ayref: "y",
        showarrow: true,
        arrowhead: 3,
        arrowsize: 1.5,
        arrowwidth: 1.5,
        text: "",
      });
    }
  }
  if (opts.captions) {
    for (const [n, t] of Object.entries(opts.captions)) {
      if (!pos[n]) continue;
      annotations.push({ x: pos[n][0], xshift: 30, y: pos[n][1], xref: "x", yref: "y", xanchor: "left", text: t, showarrow: false, font: { size: 12 } });
    }
  }
  const latent = dag.nodes.map((n) => n.name).filter((n) => !observed.has(n));
  const shaded = dag.nodes.map((n) => n.name).filter((n) => observed.has(n));
  const data = [nodeTrace(latent, false)];
  if (shaded.length) data.push(nodeTrace(shaded, true));
  return {
    data,
    layout: {
      title: { text: opts.title ?? "Directed graphical model" },
      xaxis: { visible: false, range: [Math.min(...xs) - 0.6, xHi] },
      yaxis: { visible: false, range: [Math.min(...ys) - 0.6, Math.max(...ys) + 0.5], scaleanchor: "x" },
      showlegend: false,
      annotations,
      // Captions need room between nodes: a wider, taller canvas (equal axis scales) when present.
      width: opts.captions ? 960 : 520,
      height: opts.captions ? 540 : 420,
    },
  };
}

export interface BarSeries {
  name: string;
  y: ArrayLike<number>;
  /** Symmetric error bars (e.g. 2 standard errors). */
  error?: ArrayLike<number>;
}

/** Grouped bars of several series over the same categories. */
export function barCompareFigure(o: { categories: readonly string[]; series: BarSeries[]; title: string; yTitle?: string; logY?: boolean }): Figure {
  for (const s of o.series) {
    if (s.y.length !== o.categories.length) {
      throw new RangeError(`barCompareFigure: series "${s.name}" has ${s.y.length} values for ${o.categories.length} categories.`);
    }
  }
  return {
    data: o.series.map((s) => ({
      type: "bar",
      name: s.name,
      x: [...o.categories],
      y: Array.from(s.y),
      ...(s.error ? { error_y: { type: "data", array: Array.from(s.error), visible: true } } : {}),
    })),
    layout: {
      title: { text: o.title },
      barmode: "group",
      // On a log axis, one labelled tick per decade (Plotly's default labels the 2s and 5s too, as bare "2" and "5").
      yaxis: { ...(o.yTitle ? { title: { text: o.yTitle } } : {}), ...(o.logY ? { type: "log", dtick: 1 } : {}) },
    },
  };
}
