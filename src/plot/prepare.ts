/**
 * Checks and normalisation shared by `show()` and the figure exporter, so that the spec shown
 * in the notebook and the spec exported to figures/ are the same JSON.
 */
import type { Figure, Trace } from "./figure";

const NAME = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

/** Throws unless `name` is kebab-case: lowercase letters and digits in words joined by single hyphens. */
export function assertFigureName(name: unknown, where = "show"): asserts name is string {
  if (typeof name !== "string" || !NAME.test(name)) {
    throw new Error(
      `${where}: figure name ${JSON.stringify(name)} is not kebab-case. Use lowercase letters and digits ` +
        `in words joined by single hyphens, e.g. "elbo-vs-epoch" (it becomes the file name figures/<notebook>/<name>.svg).`,
    );
  }
}

function titleObject(t: unknown): unknown {
  return typeof t === "string" ? { text: t } : t;
}

/**
 * A deep copy of `fig` ready for plotly.js 3+/4:
 *  - string titles (layout.title, axis titles, colorbar titles) become `{ text }`, the only
 *    form plotly.js 3+ accepts (a string title is silently dropped there);
 *  - every trace gets `uid = "<name>-<index>"` unless it has one, so plotly's internal ids
 *    (and hence exported SVG) do not depend on Math.random;
 *  - the values of a large heatmap (≥ IMAGE_VALUES, an image grid) are rounded to 1/1000 of
 *    their largest magnitude, which no screen can tell apart, to keep notebooks small.
 * Throws if `fig` is not `{ data: Trace[] }` or holds a non-finite number that JSON would
 * turn into null silently (NaN or ±Infinity).
 */
export function prepareFigure(fig: Figure, name: string): Figure {
  if (fig === null || typeof fig !== "object" || !Array.isArray((fig as Figure).data)) {
    throw new Error(`figure "${name}": expected a Plotly spec { data: Trace[], layout?, config? }, got ${typeof fig === "object" ? JSON.stringify(fig)?.slice(0, 80) : typeof fig}.`);
  }
  const copy = JSON.parse(
    JSON.stringify(fig, (key, v: unknown) => {
      if (typeof v === "number" && !Number.isFinite(v)) {
        throw new Error(`figure "${name}": non-finite number ${v} at key "${key}". Plotly would draw it as a gap after JSON turns it into null; filter or clip it first (or use null explicitly for a gap).`);
      }
      // Typed arrays (Float32Array, ...) serialise as objects; plotly wants plain arrays.
      if (ArrayBuffer.isView(v) && !(v instanceof DataView)) return Array.from(v as unknown as ArrayLike<number>);
      return v;
    }),
  ) as Figure;
  copy.data.forEach((t: Trace, i: number) => {
    if (t === null || typeof t !== "object") throw new Error(`figure "${name}": trace ${i} is ${JSON.stringify(t)}, expected an object.`);
    if (t.uid === undefined) t.uid = `${name}-${i}`;
    if (t.type === "heatmap" && Array.isArray(t.z)) quantizeImage(t.z as unknown[]);
    const cb = t.colorbar as Record<string, unknown> | undefined;
    if (cb && "title" in cb) cb.title = titleObject(cb.title);
    const marker = t.marker as Record<string, unknown> | undefined;
    const mcb = marker?.colorbar as Record<string, unknown> | undefined;
    if (mcb && "title" in mcb) mcb.title = titleObject(mcb.title);
  });
  const layout = copy.layout;
  if (layout) {
    if ("title" in layout) layout.title = titleObject(layout.title);
    for (const [k, v] of Object.entries(layout)) {
      if (/^(x|y)axis\d*$/.test(k) && v && typeof v === "object" && "title" in v) {
        (v as Record<string, unknown>).title = titleObject((v as Record<string, unknown>).title);
      }
      if (/^scene\d*$/.test(k) && v && typeof v === "object") {
        for (const ax of ["xaxis", "yaxis", "zaxis"]) {
          const a = (v as Record<string, Record<string, unknown> | undefined>)[ax];
          if (a && "title" in a) a.title = titleObject(a.title);
        }
      }
    }
  }
  return copy;
}

/** Heatmaps with at least this many values are images (grids of digits): stored quantized. */
export const IMAGE_VALUES = 4096;

/**
 * Round the values of a large heatmap (an image grid) in place to 1/1000 of its largest
 * magnitude: finer than a screen's 256 grey levels, and the JSON a figure adds to a notebook
 * (twice: Plotly JSON and HTML) shrinks by about 3× (0.12345678901 → 0.123). Small heatmaps
 * (CPTs, confusion matrices, whose numbers are read) are left exact.
 */
function quantizeImage(z: unknown[]): void {
  let count = 0;
  let max = 0;
  const scan = (a: unknown[]): void => {
    for (const v of a) {
      if (Array.isArray(v)) scan(v);
      else if (typeof v === "number") {
        count++;
        max = Math.max(max, Math.abs(v));
      }
    }
  };
  scan(z);
  if (count < IMAGE_VALUES || !(max > 0)) return;
  const decimals = Math.max(0, Math.min(12, Math.ceil(-Math.log10(max / 1000))));
  const round = (a: unknown[]): void => {
    for (let i = 0; i < a.length; i++) {
      const v = a[i];
      if (Array.isArray(v)) round(v);
      else if (typeof v === "number") a[i] = Number(v.toFixed(decimals));
    }
  };
  round(z);
}

/** A short description for text fallbacks: "3 traces (scatter, histogram)". */
export function describeFigure(fig: Figure): string {
  const types = [...new Set(fig.data.map((t) => t.type ?? "scatter"))];
  return `${fig.data.length} trace${fig.data.length === 1 ? "" : "s"} (${types.join(", ")})`;
}
