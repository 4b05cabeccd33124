/**
 * Figure data for the PixelCNN notebooks: plain numbers in, Plotly specs out (through the
 * generic builders), so that the notebook, the figure export and the tests read the same numbers.
 */
import type { Figure } from "../../plot/figure";
import { heatmapFigure } from "../../plot/builders";
import { imageGrid } from "../../plot/imageGrid";

/** A mask (rows of 0/1) as a heatmap with its values written in, row 0 at the top. */
export function maskFigure(mask: number[][], title: string): Figure {
  return heatmapFigure({ z: mask, title, showValues: true, colorscale: "Greys", zmin: 0, zmax: 1.6, x: mask[0].map((_, j) => String(j - (mask.length - 1) / 2)), y: mask.map((_, i) => String(i - (mask.length - 1) / 2)), xTitle: "column offset", yTitle: "row offset" });
}

/**
 * Which inputs the output at (row, col) depends on, as a grey image: 1 (white) where the
 * input gradient is nonzero, 0 (black) where it is exactly zero, 0.5 at the output pixel itself.
 */
export function dependenceImage(gradients: ArrayLike<number>, height: number, width: number, row: number, col: number): Float32Array {
  if (gradients.length !== height * width) throw new Error(`dependenceImage: ${gradients.length} gradients for a ${height}×${width} image.`);
  const out = new Float32Array(height * width);
  for (let j = 0; j < out.length; j++) out[j] = gradients[j] !== 0 ? 1 : 0;
  out[row * width + col] = 0.5;
  return out;
}

/** Side-by-side dependence images (one per model), labelled. */
export function receptiveFieldFigure(images: Float32Array[], labels: string[], height: number, width: number, title: string): Figure {
  if (images.length !== labels.length) throw new Error(`receptiveFieldFigure: ${images.length} images but ${labels.length} labels.`);
  const all = new Float32Array(images.length * height * width);
  images.forEach((im, k) => all.set(im, k * height * width));
  return imageGrid(all, { count: images.length, height, width, cols: images.length, labels, title, gap: 2 });
}

/**
 * The hidden pixels of `images` shown grey (0.5), observed ones as they are: what the model is
 * given in a completion. `observed` has one value per pixel (1 observed, 0 hidden).
 */
export function occludedImages(images: Float32Array, observed: ArrayLike<number>): Float32Array {
  const D = observed.length;
  if (images.length % D !== 0) throw new Error(`occludedImages: ${images.length} values is not a whole number of images of ${D} pixels.`);
  const out = images.slice();
  for (let i = 0; i < out.length; i++) if (!observed[i % D]) out[i] = 0.5;
  return out;
}

/**
 * Rows of the completion figure (lecture 001, "occluded / completions / original"): for each of
 * m images, its occluded version, `k` completions and the original, as one image list for
 * imageGrid with cols = k + 2. `completions` holds k blocks of m images (block c = completion c).
 */
export function completionRows(occluded: Float32Array, completions: Float32Array[], originals: Float32Array, D: number): Float32Array {
  const m = originals.length / D;
  const k = completions.length;
  const out = new Float32Array(m * (k + 2) * D);
  for (let i = 0; i < m; i++) {
    const base = i * (k + 2) * D;
    out.set(occluded.subarray(i * D, (i + 1) * D), base);
    completions.forEach((c, j) => out.set(c.subarray(i * D, (i + 1) * D), base + (j + 1) * D));
    out.set(originals.subarray(i * D, (i + 1) * D), base + (k + 1) * D);
  }
  return out;
}
