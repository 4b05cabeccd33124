import { describe, expect, it } from "vitest";
import { Rng } from "../../src/runtime/rng";
import { makeDsprites, renderDsprite, DEFAULT_DSPRITES_SPEC, dspriteFactorValues } from "../../src/data/dsprites";

const spec = DEFAULT_DSPRITES_SPEC;
const S = spec.size;
const moments = (img: Float32Array) => {
  let a = 0, cx = 0, cy = 0;
  for (let y = 0; y < S; y++) for (let x = 0; x < S; x++) if (img[y * S + x]) { a++; cx += x + 0.5; cy += y + 0.5; }
  return { area: a, cx: cx / a, cy: cy / a };
};

describe("dSprites-like data", () => {
  it("renders binary images whose centroid is the position factor (symmetric shapes)", () => {
    for (const [px, py] of [[0, 0], [9, 3], [4, 9]]) {
      for (const shape of [0, 1]) {
        const img = renderDsprite([shape, 3, 2, px, py]);
        expect(img.every((v) => v === 0 || v === 1)).toBe(true);
        const m = moments(img);
        const v = dspriteFactorValues([shape, 3, 2, px, py]);
        // point-symmetric shapes: the centroid is the centre up to pixelisation (< 0.5 px)
        expect(Math.abs(m.cx - v.cx)).toBeLessThan(0.5);
        expect(Math.abs(m.cy - v.cy)).toBeLessThan(0.5);
      }
    }
  });

  it("area grows like scale² and does not depend on position", () => {
    const a0 = moments(renderDsprite([0, 0, 0, 5, 5])).area;
    const a5 = moments(renderDsprite([0, 5, 0, 5, 5])).area;
    // scale 0.5 → 1.0: area ×4, up to pixelisation of the edge
    expect(a5 / a0).toBeGreaterThan(3.4);
    expect(a5 / a0).toBeLessThan(4.6);
    expect(moments(renderDsprite([0, 5, 0, 1, 8])).area).toBeCloseTo(a5, -1);
  });

  it("each factor changes the image; the same factors give the same image", () => {
    const base = [2, 3, 1, 4, 6];
    const img = renderDsprite(base);
    expect(Array.from(renderDsprite(base))).toEqual(Array.from(img));
    for (let k = 0; k < 5; k++) {
      const f = [...base];
      f[k] = (f[k] + 1) % spec.factorSizes[k];
      const other = renderDsprite(f);
      expect(other.some((v, i) => v !== img[i])).toBe(true);
    }
  });

  it("a dataset has the declared factors, labels = shape, and is reproducible", () => {
    const a = makeDsprites(50, new Rng(1));
    const b = makeDsprites(50, new Rng(1));
    expect(Array.from(a.images)).toEqual(Array.from(b.images));
    expect(a.images.length).toBe(50 * S * S);
    for (let i = 0; i < 50; i++) expect(a.labels[i]).toBe(a.factors[i * 5]);
    expect(() => renderDsprite([0, 6, 0, 0, 0])).toThrow(/scale index 6/);
    expect(() => makeDsprites(10, new Rng(0), { factorSizes: [4, 1, 1, 1, 1] })).toThrow(/at most 3 shapes/);
  });
});
