import { describe, expect, it } from "vitest";
import { imageGrid, mosaicPosition, tensorToImages } from "../../src/plot/imageGrid";

type Z = Array<Array<number | null>>;

describe("imageGrid", () => {
  it("puts image k's pixel (i, j) at mosaic row floor(k/cols)(h+gap)+i, column (k mod cols)(w+gap)+j", () => {
    const n = 5, h = 3, w = 4, cols = 3;
    const images = new Float32Array(n * h * w);
    // A single bright pixel in image 4 (second row, second tile) at (2, 1), a grey one in image 0 at (0, 3).
    images[4 * h * w + 2 * w + 1] = 1;
    images[0 * h * w + 0 * w + 3] = 0.25;
    const fig = imageGrid(images, { count: n, height: h, width: w, cols });
    const z = fig.data[0].z as Z;
    expect(z.length).toBe(2 * h + 1); // two rows of tiles, one gap row
    expect(z[0].length).toBe(3 * w + 2);
    expect(mosaicPosition(4, 2, 1, { height: h, width: w, cols, gap: 1 })).toEqual([1 * (h + 1) + 2, 1 * (w + 1) + 1]);
    expect(z[6][6]).toBe(255);
    expect(z[0][3]).toBe(64); // round(0.25 · 255) = round(63.75)
    // Everything else in tiles is 0; gaps and the unused sixth tile are null.
    let ones = 0, nulls = 0;
    for (const row of z) for (const v of row) (v === null ? nulls++ : v > 0 && ones++);
    expect(ones).toBe(2);
    expect(nulls).toBe(z.length * z[0].length - n * h * w);
    expect(z[3].every((v) => v === null)).toBe(true); // the gap row
    expect(z[4][2 * (w + 1)]).toBeNull(); // unused tile (k = 5)
  });

  it("draws 1 as white (255) and 0 as black, on equal axes without ticks, first image at the top", () => {
    const fig = imageGrid([0, 1, 1, 0], { count: 1, height: 2, width: 2 });
    const t = fig.data[0];
    expect(t.type).toBe("heatmap");
    expect(t.colorscale).toEqual([[0, "rgb(0,0,0)"], [1, "rgb(255,255,255)"]]);
    expect([t.zmin, t.zmax, t.showscale]).toEqual([0, 255, false]);
    const layout = fig.layout as Record<string, Record<string, unknown>>;
    expect(layout.yaxis.scaleanchor).toBe("x");
    expect(layout.yaxis.autorange).toBe("reversed");
    expect(layout.xaxis.visible).toBe(false);
    expect(fig.data[0].z).toEqual([[0, 255], [255, 0]]);
  });

  it("takes the first `count` images of a larger set, labels tiles, and explains bad input", () => {
    const data = new Float32Array(10 * 4).fill(0.5);
    const fig = imageGrid(data, { count: 3, height: 2, width: 2, labels: ["a", "b", "c"], title: "three" });
    expect((fig.layout as { annotations: Array<{ text: string }> }).annotations.map((a) => a.text)).toEqual(["a", "b", "c"]);
    expect(() => imageGrid(data, { count: 11, height: 2, width: 2 })).toThrow(/asked for 11 images but got 10/);
    expect(() => imageGrid(data, { count: 2, height: 3, width: 3 })).toThrow(/not a whole number of 3x3 images/);
    expect(() => imageGrid([0, 2, 0, 0], { count: 1, height: 2, width: 2 })).toThrow(/pixel \(0, 1\) is 2/);
    expect(() => imageGrid([0, NaN, 0, 0], { count: 1, height: 2, width: 2 })).toThrow(/NaN/);
    expect(() => imageGrid(data, { count: 2, height: 2, width: 2, labels: ["a"] })).toThrow(/one label per image/);
  });

  it("labels rows in the left margin, centred on their tiles, and refuses a wrong row count", () => {
    const data = new Float32Array(6 * 28 * 28).fill(0.5);
    const fig = imageGrid(data, { count: 6, height: 28, width: 28, cols: 3, rowLabels: ["shape", "scale"] });
    const ann = (fig.layout as { annotations: Array<{ text: string; x: number; y: number; xanchor: string }> }).annotations;
    expect(ann.map((a) => [a.text, a.x, a.y, a.xanchor])).toEqual([
      ["shape", -0.5, 13.5, "right"],
      ["scale", -0.5, 29 + 13.5, "right"],
    ]);
    expect((fig.layout as { margin: { l: number } }).margin.l).toBeGreaterThanOrEqual(5 * 8);
    expect(() => imageGrid(data, { count: 6, height: 28, width: 28, cols: 3, rowLabels: ["one"] })).toThrow(/2 rows/);
  });

  it("draws a strip of digits as large as a square grid: about 1000 px wide, at most 8 px per pixel", () => {
    const strip = imageGrid(new Float32Array(20 * 784), { count: 20, height: 28, width: 28, cols: 10 });
    const W = 10 * 28 + 9;
    expect((strip.layout as { width: number }).width).toBeCloseTo((1000 / W) * W + 20, 6);
    const one = imageGrid(new Float32Array(4), { count: 1, height: 2, width: 2 });
    expect((one.layout as { width: number }).width).toBe(2 * 8 + 20);
  });
});

describe("tensorToImages", () => {
  const fake = (shape: number[]) => ({ shape, dataSync: () => Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => i / 100) });
  it("flattens [n,h,w], [n,h*w] and [n,h,w,1] row-major, and rejects colour or 1-D tensors", () => {
    for (const s of [[2, 2, 3], [2, 6], [2, 2, 3, 1]]) {
      const a = tensorToImages(fake(s));
      expect(a.length).toBe(12);
      expect(a[7]).toBeCloseTo(0.07, 6);
    }
    expect(() => tensorToImages(fake([2, 2, 2, 3]))).toThrow(/\[2, 2, 2, 3\] is not a batch of grey images/);
    expect(() => tensorToImages(fake([12]))).toThrow(/not a batch/);
  });
});
