/**
 * Checks and normalisation shared by `show()` and the figure exporter, so that the spec shown
 * in the notebook and the spec exported to figures/ are the same JSON.
 */
import type { Figure, Trace } from "./figure";
import { encodeGreyPng } from "./png";

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
 *    their largest magnitude, which no screen can tell apart, to keep notebooks small;
 *  - a large grey image grid as `imageGrid` makes it (a heatmap of whole numbers 0…255 or null,
 *    zmin 0, zmax 255, colour scale black → white) becomes a plotly `image` trace whose source
 *    is a PNG of exactly those grey levels (null = transparent, showing the white plot
 *    background, as the heatmap's gaps do): the same pixels at the same coordinates (pixel
 *    (i, j) centred on x = j, y = i), stored as one compressed string instead of a JSON number
 *    per pixel, which nbformat writes one per line (a 420 × 420 grid: 3.1 MB → about 0.1 MB).
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
  copy.data.forEach((trace: Trace, i: number) => {
    let t = trace;
    if (t === null || typeof t !== "object") throw new Error(`figure "${name}": trace ${i} is ${JSON.stringify(t)}, expected an object.`);
    if (t.uid === undefined) t.uid = `${name}-${i}`;
    if (t.type === "heatmap" && Array.isArray(t.z)) {
      quantizeImage(t.z as unknown[]);
      const image = greyImageTrace(t);
      if (image) copy.data[i] = t = image;
    }
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

/** The colour scale of `imageGrid`: 0 = black, 1 = white. */
const GREY_SCALE = [
  [0, "rgb(0,0,0)"],
  [1, "rgb(255,255,255)"],
];

/** Heatmap keys that a grey image trace can do without (they only style the heatmap). */
const GREY_HEATMAP_KEYS = new Set(["type", "z", "zmin", "zmax", "colorscale", "showscale", "hoverongaps", "xgap", "ygap", "uid", "name"]);

/**
 * The `image` trace (PNG source) showing exactly what a grey image-grid heatmap shows, or null
 * when `t` is not one: at least IMAGE_VALUES whole numbers 0…255 (null = gap) in equal rows,
 * zmin 0, zmax 255, the black → white scale, no coordinates or other settings of its own.
 */
export function greyImageTrace(t: Trace): Trace | null {
  if (t.type !== "heatmap" || t.zmin !== 0 || t.zmax !== 255 || JSON.stringify(t.colorscale) !== JSON.stringify(GREY_SCALE)) return null;
  if (Object.keys(t).some((k) => !GREY_HEATMAP_KEYS.has(k)) || (t.xgap ?? 0) !== 0 || (t.ygap ?? 0) !== 0) return null;
  const z = t.z;
  if (!Array.isArray(z) || z.length === 0 || !z.every((r) => Array.isArray(r))) return null;
  const rows = z as unknown[][];
  const width = rows[0].length;
  const height = rows.length;
  if (width === 0 || width * height < IMAGE_VALUES || !rows.every((r) => r.length === width)) return null;
  const hasGaps = rows.some((r) => r.includes(null));
  const channels = hasGaps ? 2 : 1;
  const px = new Uint8Array(width * height * channels);
  for (let i = 0; i < height; i++) {
    for (let j = 0; j < width; j++) {
      const v = rows[i][j];
      const k = (i * width + j) * channels;
      if (v === null && hasGaps) continue; // transparent
      if (typeof v !== "number" || !Number.isInteger(v) || v < 0 || v > 255) return null;
      px[k] = v;
      if (hasGaps) px[k + 1] = 255;
    }
  }
  const image: Trace = { type: "image", source: `data:image/png;base64,${encodeGreyPng(width, height, channels, px).toString("base64")}` };
  if (t.name !== undefined) image.name = t.name;
  if (t.uid !== undefined) image.uid = t.uid;
  return image;
}

/** A short description for text fallbacks: "3 traces (scatter, histogram)". */
export function describeFigure(fig: Figure): string {
  const types = [...new Set(fig.data.map((t) => t.type ?? "scatter"))];
  return `${fig.data.length} trace${fig.data.length === 1 ? "" : "s"} (${types.join(", ")})`;
}
