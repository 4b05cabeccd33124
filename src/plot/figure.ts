/**
 * Figures are data first: a figure function returns a Plotly spec built from plain numbers.
 * Showing (`show`), exporting (`npm run figures`) and testing all consume the same spec.
 */

/** One Plotly trace (scatter, histogram, heatmap, ...), as plain JSON. */
export type Trace = { type?: string; name?: string } & Record<string, unknown>;

/** A Plotly figure spec: traces, layout and config, all plain JSON. */
export interface Figure {
  data: Trace[];
  layout?: Record<string, unknown>;
  config?: Record<string, unknown>;
}
