/**
 * Figures of the GAN notebook, as data-first Plotly specs.
 */
import type { Figure, Trace } from "../../plot/figure";
import { ringCentres, RING8, RingMixture } from "./mixture";

export interface RingSnapshot {
  /** Label of the panel, e.g. "epoch 4". */
  label: string;
  /** n × 2 generated points. */
  points: Float32Array;
}

/**
 * Rows of panels of generated 2-D points over training (one row per run), with the ring's
 * mode centres marked in every panel, all on the same square axes.
 */
export function ringSnapshotsFigure(rows: { name: string; snapshots: RingSnapshot[] }[], title: string, m: RingMixture = RING8, maxPoints = 500): Figure {
  if (!Array.isArray(rows) || rows.length === 0 || rows.some((r) => !r.snapshots?.length)) throw new Error("ringSnapshotsFigure: give rows of { name, snapshots: [{ label, points }] } with at least one snapshot each.");
  const cols = Math.max(...rows.map((r) => r.snapshots.length));
  const c = ringCentres(m);
  const lim = m.radius * 1.8;
  const data: Trace[] = [];
  const layout: Record<string, unknown> = { title: { text: title }, showlegend: false, annotations: [] as unknown[] };
  const gapX = 0.02;
  const gapY = 0.08;
  const w = (1 - gapX * (cols - 1)) / cols;
  const h = (1 - gapY * (rows.length - 1)) / rows.length;
  rows.forEach((row, ri) => {
    row.snapshots.forEach((s, ci) => {
      const k = ri * cols + ci + 1;
      const xa = k === 1 ? "x" : `x${k}`;
      const ya = k === 1 ? "y" : `y${k}`;
      const n = Math.min(maxPoints, s.points.length / 2);
      const px: number[] = [];
      const py: number[] = [];
      for (let i = 0; i < n; i++) {
        px.push(s.points[2 * i]);
        py.push(s.points[2 * i + 1]);
      }
      data.push({ type: "scatter", mode: "markers", name: `${row.name}, ${s.label}`, x: px, y: py, xaxis: xa, yaxis: ya, marker: { size: 3, opacity: 0.6, color: "#1f77b4" } });
      data.push({ type: "scatter", mode: "markers", name: "modes", x: Array.from({ length: m.modes }, (_, j) => c[2 * j]), y: Array.from({ length: m.modes }, (_, j) => c[2 * j + 1]), xaxis: xa, yaxis: ya, marker: { size: 7, symbol: "x", color: "#d62728" } });
      const x0 = ci * (w + gapX);
      const y1 = 1 - ri * (h + gapY);
      layout[k === 1 ? "xaxis" : `xaxis${k}`] = { domain: [x0, x0 + w], range: [-lim, lim], showticklabels: false, anchor: ya };
      layout[k === 1 ? "yaxis" : `yaxis${k}`] = { domain: [y1 - h, y1], range: [-lim, lim], showticklabels: false, anchor: xa, scaleanchor: xa, scaleratio: 1 };
      (layout.annotations as unknown[]).push({ text: `${row.name}: ${s.label}`, xref: "paper", yref: "paper", x: x0 + w / 2, y: y1, yanchor: "bottom", showarrow: false, font: { size: 10 } });
    });
  });
  return { data, layout };
}
