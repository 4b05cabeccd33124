/**
 * Every figure the notebooks show, drawn as a lecture slide (1280×720, the `--size slide`
 * preset of `npm run figures`): its title, axis titles, colorbar titles, legend and
 * annotations must lie inside the canvas.
 *
 * The figures come from the newest executed notebooks on this machine: $LATENTLAB_FIGURE_FIT_DIR
 * if set, else build/notebooks/ (full runs: `npm start`, `npm test`'s full stage), else
 * build/notebooks-smoke/ — plus the exporter's fixture notebook. The first test checks the
 * checker itself on a figure whose title is placed above the canvas, so this file can fail
 * even on a machine where no notebook has been executed yet.
 *
 * One Chromium for the whole file (the machine is shared): about 3 s to start when idle.
 */
import * as fs from "fs";
import * as path from "path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FigureRenderer, findChromium, SIZE_PRESETS, specForPreset, type FitProblem } from "../../scripts/figure-renderer";
import { extractFigures, type NotebookFigure } from "../../src/plot/extract";

const ROOT = path.resolve(__dirname, "../..");
const chromium = findChromium().path;
const SLIDE = SIZE_PRESETS.slide;

/** The executed notebooks to check, and where they came from. */
function executedNotebooks(): { dir: string; files: string[] } {
  const candidates = [process.env.LATENTLAB_FIGURE_FIT_DIR, path.join(ROOT, "build", "notebooks"), path.join(ROOT, "build", "notebooks-smoke")].filter(
    (d): d is string => !!d,
  );
  for (const dir of candidates) {
    const files = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith(".ipynb")).sort() : [];
    if (files.length > 0) return { dir, files: files.map((f) => path.join(dir, f)) };
  }
  return { dir: "", files: [] };
}

function figuresOf(file: string): NotebookFigure[] {
  let json: unknown;
  try {
    json = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch {
    return []; // being rewritten by a notebook run right now: the next run checks it
  }
  return extractFigures(json, path.basename(file, ".ipynb")).figures;
}

function describeProblems(key: string, problems: FitProblem[]): string[] {
  return problems.map((p) => `${key}: ${p.what} "${p.text.slice(0, 60)}" at [${p.box.left}, ${p.box.top}]–[${p.box.right}, ${p.box.bottom}] ${p.what.includes("overlapping") ? "overlaps" : `leaves the ${SLIDE.width}×${SLIDE.height} canvas`}`);
}

describe.skipIf(!chromium)("figures fit a 1280×720 slide (needs Chromium)", () => {
  let renderer: FigureRenderer;
  beforeAll(async () => {
    renderer = await FigureRenderer.launch(chromium!);
  }, 180_000);
  afterAll(async () => {
    await renderer?.close();
  });

  it("the checker flags a title above the canvas and passes a plain figure", async () => {
    const fine = specForPreset({ data: [{ type: "scatter", x: [1, 2], y: [1, 3], name: "a" }], layout: { title: { text: "Plain" }, xaxis: { title: { text: "epoch" } }, yaxis: { title: { text: "ELBO" } } } }, "slide");
    expect(await renderer.checkFit(fine, "fit/fine", SLIDE)).toEqual([]);
    const off = specForPreset({ data: [{ type: "scatter", x: [1, 2], y: [1, 3] }], layout: { title: { text: "Too high", y: 1.3, yref: "paper" }, margin: { t: 0 } } }, "slide");
    const problems = await renderer.checkFit(off, "fit/off", SLIDE);
    expect(problems.map((p) => [p.what, p.text])).toEqual([["title", "Too high"]]);
    expect(problems[0].box.top).toBeLessThan(0);
  }, 60_000);

  it("every figure of the executed notebooks fits", async () => {
    const { dir, files } = executedNotebooks();
    const all = [path.join(ROOT, "test", "fixtures", "figures", "fixture.ipynb"), ...files].flatMap(figuresOf);
    if (files.length === 0) console.log("figure-fit: no executed notebooks in build/ yet; checked the fixture's figures only");
    else console.log(`figure-fit: ${all.length} figures from ${files.length} notebooks in ${path.relative(ROOT, dir)}`);
    const report: string[] = [];
    for (const f of all) {
      const key = `${f.notebook}/${f.name}`;
      report.push(...describeProblems(key, await renderer.checkFit(specForPreset(f.spec, "slide"), key, SLIDE)));
    }
    expect(report, `figures that do not fit a slide:\n${report.join("\n")}`).toEqual([]);
  }, 600_000);
});
