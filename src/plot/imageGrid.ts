/**
 * Image grids: many small grey images tiled into one mosaic, drawn as a single heatmap.
 * MNIST convention: ink is white on black, value 1 = white, 0 = black.
 */
import type { Figure } from "./figure";

/** Anything with a shape and synchronous data: a TensorFlow.js Tensor, structurally. */
export interface TensorLike {
  shape: number[];
  dataSync(): ArrayLike<number>;
}

/**
 * The flat grey values of a batch of images held in a tensor of shape [n, h, w], [n, h·w] or
 * [n, h, w, 1] (row-major, image after image), as a Float32Array ready for `imageGrid`.
 */
export function tensorToImages(t: TensorLike): Float32Array {
  if (!t || !Array.isArray(t.shape) || typeof t.dataSync !== "function") {
    throw new Error("tensorToImages: expected a TensorFlow.js tensor (something with .shape and .dataSync()).");
  }
  const s = t.shape;
  const ok = s.length === 2 || s.length === 3 || (s.length === 4 && s[3] === 1);
  if (!ok) {
    throw new Error(
      `tensorToImages: tensor of shape [${s.join(", ")}] is not a batch of grey images; expected [n, h, w], [n, h*w] or [n, h, w, 1] ` +
        `(for colour images take one channel, e.g. x.slice([0,0,0,0],[-1,-1,-1,1])).`,
    );
  }
  return Float32Array.from(t.dataSync());
}

export interface ImageGridOptions {
  /** Number of images to show (the first `count` of `images`). */
  count: number;
  height: number;
  width: number;
  /** Tiles per row (default: ceil(sqrt(count))). */
  cols?: number;
  title?: string;
  /** One label per shown image, written in the tile's top-left corner. */
  labels?: Array<string | number>;
  /** Empty pixels between tiles (default 1); they show the white page background. */
  gap?: number;
  /** One label per row of tiles, written to the left of the row (e.g. the factor a row varies). */
  rowLabels?: Array<string | number>;
  /**
   * Screen pixels per image pixel (default: as large as fits a 1000 × 640 px mosaic, between 1
   * and 8, so a 2-row strip of MNIST digits is as legible as a square grid).
   */
  pixelSize?: number;
}

/** Where image k's pixel (i, j) lands in the mosaic: row r·(h+gap)+i, column c·(w+gap)+j. */
export function mosaicPosition(k: number, i: number, j: number, o: { height: number; width: number; cols: number; gap: number }): [number, number] {
  const r = Math.floor(k / o.cols);
  const c = k % o.cols;
  return [r * (o.height + o.gap) + i, c * (o.width + o.gap) + j];
}

/**
 * A figure tiling `count` grey images (values in [0, 1], 1 = white) in rows of `cols`.
 * Image k's pixel (i, j) is at mosaic row ⌊k/cols⌋·(h+gap)+i, column (k mod cols)·(w+gap)+j
 * (row 0 at the top); gaps and unused tiles are null (drawn as background). The heatmap holds
 * 8-bit grey levels round(255·v) (0 = black, 255 = white); equal aspect, no axes, no colour bar.
 * When shown (`show`, `prepareFigure`) a grid of 4,096 pixels or more travels as a plotly
 * `image` trace with a PNG of exactly these grey levels, not as a number per pixel.
 */
export function imageGrid(images: Float32Array | number[] | ArrayLike<number>, opts: ImageGridOptions): Figure {
  const { count, height: h, width: w } = opts;
  const gap = opts.gap ?? 1;
  for (const [k, v] of [["count", count], ["height", h], ["width", w]] as const) {
    if (!Number.isInteger(v) || v < 1) throw new Error(`imageGrid: ${k} must be a positive integer, got ${v}.`);
  }
  if (!Number.isInteger(gap) || gap < 0) throw new Error(`imageGrid: gap must be a non-negative integer, got ${gap}.`);
  const cols = opts.cols ?? Math.ceil(Math.sqrt(count));
  if (!Number.isInteger(cols) || cols < 1) throw new Error(`imageGrid: cols must be a positive integer, got ${cols}.`);
  const size = h * w;
  if (!images || typeof images.length !== "number") throw new Error("imageGrid: images must be a Float32Array or number[] (use tensorToImages for a tensor).");
  if (images.length % size !== 0) {
    throw new Error(`imageGrid: ${images.length} values is not a whole number of ${h}x${w} images (${size} values each); check height/width.`);
  }
  if (images.length < count * size) {
    throw new Error(`imageGrid: asked for ${count} images but got ${images.length / size} (${images.length} values of ${h}x${w}); lower count.`);
  }
  if (opts.labels !== undefined && opts.labels.length !== count) {
    throw new Error(`imageGrid: labels has ${opts.labels.length} entries but count is ${count}; give one label per image.`);
  }
  const rows = Math.ceil(count / cols);
  if (opts.rowLabels !== undefined && opts.rowLabels.length !== rows) {
    throw new Error(`imageGrid: rowLabels has ${opts.rowLabels.length} entries but the grid has ${rows} rows (${count} images, ${cols} per row); give one label per row.`);
  }
  const H = rows * h + (rows - 1) * gap;
  const W = Math.min(cols, count) * w + (Math.min(cols, count) - 1) * gap;
  const z: Array<Array<number | null>> = Array.from({ length: H }, () => new Array<number | null>(W).fill(null));
  const o = { height: h, width: w, cols, gap };
  for (let k = 0; k < count; k++) {
    for (let i = 0; i < h; i++) {
      for (let j = 0; j < w; j++) {
        const v = images[k * size + i * w + j];
        if (!(v >= -1e-6 && v <= 1 + 1e-6)) {
          throw new Error(`imageGrid: image ${k}, pixel (${i}, ${j}) is ${v}; grey values must lie in [0, 1] (clip decoder outputs, e.g. tf.clipByValue(x, 0, 1)).`);
        }
        const [r, c] = mosaicPosition(k, i, j, o);
        z[r][c] = Math.round(Math.min(1, Math.max(0, v)) * 255);
      }
    }
  }
  const px = opts.pixelSize ?? Math.max(1, Math.min(8, 1000 / W, 640 / H));
  if (!(px > 0) || !Number.isFinite(px)) throw new Error(`imageGrid: pixelSize must be a positive number, got ${opts.pixelSize}.`);
  const rowLabelChars = Math.max(0, ...(opts.rowLabels ?? []).map((l) => String(l).length));
  const margin = { l: opts.rowLabels ? Math.ceil(8 * rowLabelChars) + 20 : 10, r: 10, b: 10, t: opts.title ? 50 : 10 };
  // Wide enough for the title (≈ 8.5 px per character at 16 px); the mosaic stays centred.
  const titleWidth = opts.title ? Math.min(1000, Math.ceil(8.5 * opts.title.length) + 40) : 0;
  const axis = { visible: false, showgrid: false, zeroline: false, showticklabels: false, constrain: "domain" };
  const annotations: Record<string, unknown>[] = (opts.labels ?? []).map((label, k) => {
    const [r, c] = mosaicPosition(k, 0, 0, o);
    return {
      x: c - 0.5,
      y: r - 0.5,
      xref: "x",
      yref: "y",
      xanchor: "left",
      yanchor: "top",
      text: String(label),
      showarrow: false,
      font: { color: "#ffb000", size: 12 },
    };
  });
  // Row labels sit in the left margin, vertically centred on their row of tiles.
  for (const [r, label] of (opts.rowLabels ?? []).entries()) {
    annotations.push({
      x: -0.5,
      y: r * (h + gap) + (h - 1) / 2,
      xref: "x",
      yref: "y",
      xanchor: "right",
      yanchor: "middle",
      xshift: -6,
      text: String(label),
      showarrow: false,
      font: { color: "#222", size: 13 },
    });
  }
  return {
    data: [
      {
        type: "heatmap",
        z,
        zmin: 0,
        zmax: 255,
        colorscale: [
          [0, "rgb(0,0,0)"],
          [1, "rgb(255,255,255)"],
        ],
        showscale: false,
        hoverongaps: false,
        xgap: 0,
        ygap: 0,
      },
    ],
    layout: {
      ...(opts.title ? { title: { text: opts.title, font: { size: 16 } } } : {}),
      width: Math.max(W * px + margin.l + margin.r, titleWidth),
      height: H * px + margin.t + margin.b,
      margin,
      xaxis: { ...axis, range: [-0.5, W - 0.5] },
      yaxis: { ...axis, autorange: "reversed", scaleanchor: "x", scaleratio: 1 },
      plot_bgcolor: "white",
      ...(annotations.length ? { annotations } : {}),
    },
  };
}
