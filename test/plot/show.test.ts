import { createRequire } from "module";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { lineFigure } from "../../src/plot/builders";
import type { DisplayContent } from "../../src/plot/jupyter";
import { kernelWriter } from "../../src/plot/jupyter";
import { figureBundle, resetShownFigures, show, showLatex, showMarkdown } from "../../src/plot/show";

const req = createRequire(__filename);
const FAKE_TSLAB = "/fake/node_modules/tslab/dist/jupyter.js";
const fig = () => lineFigure({ ys: [{ name: "elbo", y: [-3, -2, -1] }], title: "ELBO" });

/** Pretend to be inside a tslab kernel: a loaded tslab/dist/jupyter with a writer per "cell execution". */
function fakeKernel() {
  const sent: Array<{ content: DisplayContent; update: boolean }> = [];
  const mod = { lastWriteDisplayData: null as null | ((c: DisplayContent, u: boolean) => void) };
  const newCell = () => {
    mod.lastWriteDisplayData = (content, update) => void sent.push({ content, update });
  };
  req.cache[FAKE_TSLAB] = { exports: mod } as unknown as NodeModule;
  newCell();
  return { sent, newCell };
}

describe("figureBundle", () => {
  it("carries the plotly spec, offline HTML, plain text and the exporter's metadata in one output", () => {
    const b = figureBundle(fig(), "elbo-curve", { includePlotly: false, notebook: "03-vae" });
    expect(Object.keys(b.data).sort()).toEqual(["application/vnd.plotly.v1+json", "text/html", "text/plain"]);
    const spec = b.data["application/vnd.plotly.v1+json"] as { data: Array<Record<string, unknown>>; layout: Record<string, unknown> };
    expect(spec.data[0].y).toEqual([-3, -2, -1]);
    expect(spec.data[0].uid).toBe("elbo-curve-0");
    expect(spec.layout.title).toEqual({ text: "ELBO" });
    expect(b.metadata).toEqual({ latentlab: { figure: "elbo-curve", notebook: "03-vae" } });
    expect(b.data["text/plain"]).toBe("<figure elbo-curve: 1 trace (scatter)>");
    const html = b.data["text/html"] as string;
    expect(html).toContain('id="latentlab-03-vae-elbo-curve"');
    expect(html).not.toContain("plotly.js v"); // not inlined
    expect(html.length).toBeLessThan(5000);
  });

  it("inlines plotly.js when asked, hiding window.define (require.js) while it runs", () => {
    const html = figureBundle(fig(), "elbo-curve", { includePlotly: true }).data["text/html"] as string;
    expect(html.length).toBeGreaterThan(1_000_000);
    const hide = html.indexOf("window.define = undefined");
    const bundle = html.indexOf("plotly.js v");
    const restore = html.indexOf("window.define = window.__latentlabDefine");
    expect(hide).toBeGreaterThanOrEqual(0);
    expect(bundle).toBeGreaterThan(hide);
    expect(restore).toBeGreaterThan(bundle);
    expect(html.indexOf("Plotly.newPlot")).toBeGreaterThan(restore);
  });

  it("rejects names that are not kebab-case and specs that are not figures", () => {
    for (const bad of ["Elbo", "elbo curve", "elbo_curve", "-elbo", "elbo--curve", ""]) {
      expect(() => figureBundle(fig(), bad, { includePlotly: false })).toThrow(/kebab-case/);
    }
    expect(() => figureBundle({} as never, "x", { includePlotly: false })).toThrow(/expected a Plotly spec/);
    expect(() => figureBundle({ data: [{ type: "scatter", y: [1, NaN] }] }, "x", { includePlotly: false })).toThrow(/non-finite number NaN/);
  });
});

describe("show outside a kernel", () => {
  beforeEach(() => resetShownFigures());
  it("prints a one-line note instead of throwing, and still rejects a duplicate name", () => {
    expect(kernelWriter()).toBeNull();
    const spy = vi.spyOn(process.stdout, "write").mockImplementation(() => true);
    try {
      show(fig(), "elbo-curve");
      expect(spy).toHaveBeenCalledTimes(1);
      expect(String(spy.mock.calls[0][0])).toMatch(/^\[figure elbo-curve: 1 trace \(scatter\); not in a Jupyter kernel/);
      expect(() => show(fig(), "elbo-curve")).toThrow(/"elbo-curve" was already shown/);
      showLatex("x^2");
      expect(String(spy.mock.calls[1][0])).toBe("$$x^2$$\n");
    } finally {
      spy.mockRestore();
    }
  });
});

describe("show inside a (fake) tslab kernel", () => {
  let k: ReturnType<typeof fakeKernel>;
  beforeEach(() => {
    resetShownFigures();
    k = fakeKernel();
  });
  afterEach(() => {
    delete req.cache[FAKE_TSLAB];
    delete process.env.LATENTLAB_HEADLESS;
    delete process.env.LATENTLAB_NOTEBOOK;
  });

  it("sends one display_data bundle per figure; plotly.js is inlined in the first only", () => {
    process.env.LATENTLAB_NOTEBOOK = "01-gauss";
    show(fig(), "first");
    k.newCell();
    show(fig(), "second");
    expect(k.sent.map((s) => s.update)).toEqual([false, false]);
    const [a, b] = k.sent.map((s) => s.content);
    expect(a.metadata).toEqual({ latentlab: { figure: "first", notebook: "01-gauss" } });
    expect((a.data["text/html"] as string).length).toBeGreaterThan(1_000_000);
    expect((b.data["text/html"] as string).length).toBeLessThan(5000);
  });

  it("a duplicate in the same cell (or any headless run) is an error that names the figure; an interactive re-run is not", () => {
    show(fig(), "elbo-curve");
    expect(() => show(fig(), "elbo-curve")).toThrow(/"elbo-curve" was already shown.*by this same cell/);
    k.newCell(); // the person re-runs the cell
    show(fig(), "elbo-curve");
    process.env.LATENTLAB_HEADLESS = "1";
    k.newCell();
    expect(() => show(fig(), "elbo-curve")).toThrow(/already shown/);
  });

  it("re-showing the figure that carried plotly.js inlines it again (its old output is gone)", () => {
    show(fig(), "first");
    show(fig(), "second");
    k.newCell();
    show(fig(), "first");
    const sizes = k.sent.map((s) => (s.content.data["text/html"] as string).length);
    expect(sizes[0]).toBeGreaterThan(1_000_000);
    expect(sizes[1]).toBeLessThan(5000);
    expect(sizes[2]).toBeGreaterThan(1_000_000);
  });

  it("showLatex and showMarkdown send text/latex and text/markdown", () => {
    showLatex("\\mathrm{KL}(q\\|p) \\ge 0");
    showMarkdown("**ELBO** $\\le \\log p(x)$");
    expect(k.sent[0].content.data).toEqual({ "text/latex": "$$\\mathrm{KL}(q\\|p) \\ge 0$$", "text/plain": "$$\\mathrm{KL}(q\\|p) \\ge 0$$" });
    expect(k.sent[1].content.data["text/markdown"]).toBe("**ELBO** $\\le \\log p(x)$");
  });
});
