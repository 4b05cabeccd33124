/**
 * What one figure adds to an executed notebook, measured on the largest figures of the arc:
 * 05's `mnist-manifold-2d` (15 × 15 decoded digits, 420 × 420 pixels) and 07's
 * `traversal-beta1` / `traversal-beta4` (dSprites traversals with row labels), rebuilt here
 * from the shipped checkpoints with the calls the notebooks make, plus a scatter as large as
 * 05's `mcmc-vs-encoder` (3 × 2,560 points, three 60 × 60 contours). Each goes through what
 * `npm run figures` writes: `show`'s display bundle (Plotly JSON + HTML + text), then the static
 * image embedded (scripts/figures.ts), and is measured in bytes of the notebook file as
 * nbformat writes it (JSON indented by one space, so a number array costs a line per number).
 *
 * Also checked: an image grid travels as a PNG whose pixels are exactly the grid's grey levels
 * (decoded here with zlib and PNG's own rules, not with our encoder), null pixels transparent.
 */
import * as path from "path";
import { inflateSync } from "zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { embedStaticImages, notebookStaticImage, STATIC_IMAGE_BUDGET } from "../../scripts/figures";
import { FigureRenderer, findChromium, renderSize } from "../../scripts/figure-renderer";
import { extractFigures } from "../../src/plot/extract";
import type { Figure, Trace } from "../../src/plot/figure";
import type { StaticImage } from "../../src/plot/html";
import { imageGrid } from "../../src/plot/imageGrid";
import { lineFigure } from "../../src/plot/builders";
import { prepareFigure } from "../../src/plot/prepare";
import { crc32 } from "../../src/plot/png";
import { figureBundle } from "../../src/plot/show";
import { loadVae } from "../../src/models/checkpoint";
import { inverseCdfGrid } from "../../src/models/latentSpace";
import { dspritesForVae } from "../../src/models/recipes";
import { latentTraversal } from "../../src/models/traversal";
import { rng } from "../../src/runtime/rng";
import { ROOT } from "./helpers";

const chromium = findChromium().path;
const NOTEBOOK = "sizes";
/** The bound: each figure adds well under 1 MB to an executed notebook. */
const FIGURE_BYTES = 1_000_000;

/** Decode an 8-bit grey (type 0) or grey+alpha (type 4) PNG: CRCs checked, rows unfiltered. */
function decodeGreyPng(png: Buffer): { width: number; height: number; channels: number; pixels: Uint8Array } {
  expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  let pos = 8;
  let width = 0;
  let height = 0;
  let channels = 0;
  const idat: Buffer[] = [];
  for (;;) {
    const len = png.readUInt32BE(pos);
    const type = png.toString("ascii", pos + 4, pos + 8);
    const data = png.subarray(pos + 8, pos + 8 + len);
    expect(png.readUInt32BE(pos + 8 + len)).toBe(crc32(png.subarray(pos + 4, pos + 8 + len)));
    if (type === "IHDR") {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      expect(data[8]).toBe(8);
      channels = data[9] === 0 ? 1 : data[9] === 4 ? 2 : NaN;
    } else if (type === "IDAT") idat.push(data);
    pos += 12 + len;
    if (type === "IEND") break;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  expect(raw.length).toBe((stride + 1) * height);
  const px = new Uint8Array(stride * height);
  for (let y = 0; y < height; y++) {
    const f = raw[y * (stride + 1)];
    for (let x = 0; x < stride; x++) {
      const v = raw[y * (stride + 1) + 1 + x];
      const a = x >= channels ? px[y * stride + x - channels] : 0;
      const b = y > 0 ? px[(y - 1) * stride + x] : 0;
      const c = x >= channels && y > 0 ? px[(y - 1) * stride + x - channels] : 0;
      const p = a + b - c;
      const paeth = Math.abs(p - a) <= Math.abs(p - b) && Math.abs(p - a) <= Math.abs(p - c) ? a : Math.abs(p - b) <= Math.abs(p - c) ? b : c;
      px[y * stride + x] = (v + [0, a, b, (a + b) >> 1, paeth][f]) & 0xff;
    }
  }
  return { width, height, channels, pixels: px };
}

/** The scatter-and-contour figure of 05's `mcmc-vs-encoder`, same sizes, 4-decimal values. */
function largeScatter(): Figure {
  const r = rng(5);
  const round4 = (v: number) => Math.round(v * 1e4) / 1e4;
  const data: Trace[] = [];
  for (let k = 0; k < 3; k++) {
    data.push({ type: "scatter", mode: "markers", name: `MCMC ${k}`, x: Array.from({ length: 2560 }, () => round4(r.normal())), y: Array.from({ length: 2560 }, () => round4(r.normal())), marker: { size: 3, opacity: 0.35 } });
    const axis = Array.from({ length: 60 }, (_, i) => round4(-3 + (6 * i) / 59));
    data.push({ type: "contour", name: `quadrature ${k}`, x: axis, y: axis, z: axis.map((a) => axis.map((b) => round4(Math.exp(-(a * a + b * b) / 2)))), showscale: false, contours: { coloring: "lines" } });
    data.push({ type: "scatter", mode: "lines", name: `q(z|x) ${k}`, x: Array.from({ length: 61 }, (_, i) => round4(2 * Math.cos((i * Math.PI) / 30))), y: Array.from({ length: 61 }, (_, i) => round4(2 * Math.sin((i * Math.PI) / 30))) });
  }
  return { data, layout: { title: { text: "Exact posterior (MCMC points, quadrature contours) vs the encoder's q(z|x)" }, xaxis: { title: { text: "z₁" } }, yaxis: { title: { text: "z₂" }, scaleanchor: "x" } } };
}

/** Bytes the output adds to the notebook file: its JSON (indent 1, as nbformat and npm run figures write) with and without it. */
function bytesAdded(nb: { cells: { outputs: unknown[] }[] }, cell: number): number {
  const all = Buffer.byteLength(JSON.stringify(nb, null, 1));
  const saved = nb.cells[cell].outputs;
  nb.cells[cell].outputs = [];
  const without = Buffer.byteLength(JSON.stringify(nb, null, 1));
  nb.cells[cell].outputs = saved;
  return all - without;
}

describe.skipIf(!chromium)("each figure adds well under 1 MB to an executed notebook (the arc's largest figures, needs Chromium)", () => {
  const figures: { name: string; fig: Figure }[] = [];
  const nb = { cells: [] as { cell_type: string; id: string; metadata: object; execution_count: number; source: string; outputs: Record<string, unknown>[] }[], metadata: {}, nbformat: 4, nbformat_minor: 5 };
  const images = new Map<string, StaticImage>();
  let renderer: FigureRenderer | undefined;

  beforeAll(async () => {
    // 05: the 2-D VAE's manifold, exactly as the notebook draws it.
    const vae2 = await loadVae(path.join(ROOT, "checkpoints", "vae-mnist-2d"));
    const nGrid = 15;
    figures.push({ name: "mnist-manifold-2d", fig: imageGrid(vae2.model.decodeLatents(inverseCdfGrid(nGrid)), { count: nGrid * nGrid, height: 28, width: 28, cols: nGrid, gap: 0, title: "Learned MNIST manifold: decoder means on the Φ⁻¹ grid (2-D latent)" }) });
    // 07: traversals of the two dSprites β-VAEs around the first training image.
    const sprites = dspritesForVae(400, 0);
    const side = sprites.spec.size;
    for (const beta of ["beta1", "beta4"]) {
      const { model } = await loadVae(path.join(ROOT, "checkpoints", `vae-dsprites-${beta}`));
      const tr = latentTraversal(model, sprites.images, { steps: 9, range: 2.5 });
      figures.push({
        name: `traversal-${beta}`,
        fig: imageGrid(tr.images, { count: tr.kl.length * 9, height: side, width: side, cols: 9, rowLabels: tr.kl.map((v) => `KL ${v.toFixed(1)} nats`), title: `Latent traversals, ${beta.replace("beta", "β = ")}: one unit per row, −2.5 to 2.5` }),
      });
    }
    figures.push({ name: "mcmc-vs-encoder-sized", fig: largeScatter() });
    // A notebook: a small first figure (it carries plotly.js), then one cell per large figure.
    const all = [{ name: "carrier", fig: lineFigure({ x: [0, 1, 2], ys: [{ name: "a", y: [1, 2, 3] }], title: "carrier" }) }, ...figures];
    all.forEach(({ name, fig }, i) => {
      const b = figureBundle(fig, name, { includePlotly: i === 0, notebook: NOTEBOOK });
      nb.cells.push({ cell_type: "code", id: `c${i}`, metadata: {}, execution_count: i + 1, source: `show(…, "${name}");`, outputs: [{ output_type: "display_data", data: b.data, metadata: b.metadata }] });
    });
    // The static images, as npm run figures makes them.
    renderer = await FigureRenderer.launch(chromium!);
    for (const f of extractFigures(nb, NOTEBOOK).figures) {
      const size = renderSize(f.spec);
      const { svg, png } = await renderer.render(f.spec, `${NOTEBOOK}/${f.name}`, size);
      images.set(f.name, await notebookStaticImage(renderer, f.spec, `${NOTEBOOK}/${f.name}`, size, svg, png));
    }
    await renderer.close();
    renderer = undefined;
    expect(embedStaticImages(nb, NOTEBOOK, images)).toBe(all.length);
  }, 300_000);

  afterAll(async () => {
    await renderer?.close();
  });

  it("an image grid travels as a PNG of exactly its grey levels (gaps transparent), a fraction of the JSON", () => {
    for (const { name, fig } of figures.slice(0, 3)) {
      const z = fig.data[0].z as (number | null)[][];
      const t = prepareFigure(fig, name).data[0];
      expect(t.type).toBe("image");
      const src = t.source as string;
      expect(src.startsWith("data:image/png;base64,")).toBe(true);
      const img = decodeGreyPng(Buffer.from(src.slice("data:image/png;base64,".length), "base64"));
      expect([img.width, img.height]).toEqual([z[0].length, z.length]);
      const gaps = z.some((row) => row.includes(null));
      expect(img.channels).toBe(gaps ? 2 : 1);
      let mismatches = 0;
      for (let i = 0; i < z.length; i++) {
        for (let j = 0; j < z[0].length; j++) {
          const k = (i * img.width + j) * img.channels;
          const v = z[i][j];
          const ok = v === null ? img.pixels[k + 1] === 0 : img.pixels[k] === v && (img.channels === 1 || img.pixels[k + 1] === 255);
          if (!ok) mismatches++;
        }
      }
      expect(mismatches).toBe(0);
      expect(src.length).toBeLessThan(JSON.stringify(z).length / 2);
    }
    // The same layout (axes, size, labels) as the heatmap it replaces.
    expect(prepareFigure(figures[1].fig, "t").layout).toEqual(figures[1].fig.layout);
  });

  it("every figure output adds less than 1 MB to the notebook file; plotly.js only in the first", () => {
    const sizes: Record<string, number> = {};
    nb.cells.forEach((c, i) => {
      if (i > 0) sizes[String((c.outputs[0].metadata as { latentlab: { figure: string } }).latentlab.figure)] = bytesAdded(nb, i);
      expect(JSON.stringify(c.outputs).includes("plotly.js v")).toBe(i === 0);
    });
    console.log(`bytes each figure adds to the notebook file: ${JSON.stringify(sizes)}`);
    expect(Object.keys(sizes)).toEqual(figures.map((f) => f.name));
    for (const [name, bytes] of Object.entries(sizes)) expect(bytes, name).toBeLessThan(FIGURE_BYTES);
    // The image grids, formerly 1.6–3.1 MB each, are now well under: at most 60% of the bound.
    for (const name of ["mnist-manifold-2d", "traversal-beta1", "traversal-beta4"]) expect(sizes[name], name).toBeLessThan(0.6 * FIGURE_BYTES);
    // A static image over the budget was replaced by the smaller 1× PNG where that is smaller.
    for (const [name, img] of images) expect(img.base64.length, name).toBeLessThan(2 * STATIC_IMAGE_BUDGET);
  });
});

