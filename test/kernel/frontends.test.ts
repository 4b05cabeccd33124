/**
 * The latentlab kernel and executed notebooks in the front ends users have:
 *
 * - `jupyter nbconvert --execute` (Debian's nbconvert): a failing check is reported with its
 *   error name and message, and `--allow-errors` keeps going and writes every cell's output;
 *   execution counts are filled in.
 * - A notebook in a folder outside the project, with the kernel installed for the user
 *   (`npm run kernel:install -- --user`), imports latentlab.
 * - An executed notebook with figures (what `npm run figures` writes), opened UNTRUSTED in
 *   classic Notebook in headless Chromium, shows every figure as its static image and the
 *   note; opened TRUSTED, every figure is drawn by plotly.js; converted by nbconvert to HTML,
 *   every figure is there as an image; plotly.js is stored once and each (small fixture)
 *   figure stays small. The arc's largest figures are measured in figure-sizes.test.ts;
 *   JupyterLab's renderers are tested in jupyterlab.test.ts.
 *
 * Chromium starts once for the whole file (the machine is shared).
 */
import { spawn, spawnSync, type ChildProcess } from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { embedStaticImages, pickStaticImage } from "../../scripts/figures";
import { FigureRenderer, findChromium, CHROMIUM_FLAGS } from "../../scripts/figure-renderer";
import { extractFigures } from "../../src/plot/extract";
import { FIGURE_NOTE_CLASS, type StaticImage } from "../../src/plot/html";
import { plotlySource } from "../../src/plot/plotlyBundle";
import { rng } from "../../src/runtime/rng";
import { ROOT } from "./helpers";

const chromium = findChromium().path;
const FIXTURE = path.join(ROOT, "test", "fixtures", "figures", "fixture.ipynb");

/** A notebook (nbformat 4.5) with the latentlab kernel and these code cells. */
function notebook(cells: string[]): object {
  return {
    cells: cells.map((src, i) => ({ cell_type: "code", id: `c${i}`, metadata: {}, execution_count: null, outputs: [], source: src })),
    metadata: { kernelspec: { name: "latentlab", display_name: "TypeScript (latentlab)", language: "typescript" }, language_info: { name: "typescript" } },
    nbformat: 4,
    nbformat_minor: 5,
  };
}

type Output = { output_type: string; ename?: string; evalue?: string; traceback?: string[]; text?: string | string[]; name?: string };
type Nb = { cells: { execution_count: number | null; outputs: Output[] }[] };
const text = (o: Output) => (Array.isArray(o.text) ? o.text.join("") : (o.text ?? ""));

function nbconvert(args: string[], env: NodeJS.ProcessEnv, cwd?: string) {
  // The kernel may first rebuild lib/ (a minute on a busy machine): give it time to start.
  return spawnSync("jupyter", ["nbconvert", "--ExecutePreprocessor.startup_timeout=300", ...args], { env, cwd, encoding: "utf8", timeout: 400_000 });
}

describe("nbconvert --execute with the latentlab kernel", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "latentlab-nbconvert-"));
  const env = { ...process.env, JUPYTER_PATH: path.join(ROOT, ".jupyter") };
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  const cells = [
    `import { assertClose } from "latentlab";\nconst x = 0.25;\nconsole.log("first");`,
    `assertClose("P(rain | wet grass)", x, 0.3, { tol: 0.01 });`,
    `console.log("after the error", x);`,
  ];

  it("reports a failing check by name and message", () => {
    const file = path.join(dir, "fails.ipynb");
    fs.writeFileSync(file, JSON.stringify(notebook(cells)));
    const r = nbconvert(["--to", "notebook", "--execute", file, "--output", path.join(dir, "fails.out.ipynb")], env);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/CheckError: ✗ P\(rain \| wet grass\): 0\.25 vs expected 0\.3 \(\|Δ\| = 0\.05 > tolerance 0\.01\)\./);
    expect(r.stderr).not.toMatch(/<Error>:\s*$/m);
  }, 300_000);

  it("--allow-errors keeps going: the error output has its name and message, later cells run, counts are set", () => {
    const file = path.join(dir, "continues.ipynb");
    fs.writeFileSync(file, JSON.stringify(notebook(cells)));
    const out = path.join(dir, "continues.out.ipynb");
    const r = nbconvert(["--to", "notebook", "--execute", "--allow-errors", file, "--output", out], env);
    if (r.status !== 0) throw new Error(r.stderr);
    const nb = JSON.parse(fs.readFileSync(out, "utf8")) as Nb;
    const err = nb.cells[1].outputs.find((o) => o.output_type === "error")!;
    expect(err.ename).toBe("CheckError");
    expect(err.evalue).toMatch(/^✗ P\(rain \| wet grass\): 0\.25 vs expected 0\.3/);
    expect(err.traceback!.some((l) => /at cell In\[2\], line 1:/.test(l))).toBe(true);
    expect(nb.cells[1].outputs.filter((o) => o.output_type === "stream" && o.name === "stderr")).toEqual([]);
    expect(nb.cells[2].outputs.map(text).join("")).toBe("after the error 0.25\n");
    expect(nb.cells.map((c) => c.execution_count)).toEqual([1, 2, 3]);
  }, 300_000);
});

describe("a notebook outside the project, with the kernel installed for the user", () => {
  it("imports latentlab", () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), "latentlab-user-"));
    const data = path.join(home, "jupyter-data");
    const student = path.join(home, "my-course-work");
    fs.mkdirSync(student);
    try {
      const env: NodeJS.ProcessEnv = { ...process.env, JUPYTER_DATA_DIR: data };
      delete env.JUPYTER_PATH;
      const inst = spawnSync(process.execPath, [path.join(ROOT, "kernel", "install.js"), "--user"], { env, encoding: "utf8" });
      if (inst.status !== 0) throw new Error(inst.stderr);
      expect(fs.existsSync(path.join(data, "kernels", "latentlab", "kernel.json"))).toBe(true);
      const file = path.join(student, "mine.ipynb");
      fs.writeFileSync(file, JSON.stringify(notebook([`import { rng } from "latentlab";\nconsole.log("normal", rng(3).normal().toFixed(6));`])));
      const r = nbconvert(["--to", "notebook", "--execute", file, "--output", path.join(student, "mine.out.ipynb")], env, student);
      if (r.status !== 0) throw new Error(`nbconvert failed:\n${r.stderr}`);
      const nb = JSON.parse(fs.readFileSync(path.join(student, "mine.out.ipynb"), "utf8")) as Nb;
      expect(nb.cells[0].outputs.map(text).join("")).toBe(`normal ${rng(3).normal().toFixed(6)}\n`);
      expect(fs.existsSync(path.join(student, "node_modules"))).toBe(false); // nothing written into the student's folder
    } finally {
      fs.rmSync(home, { recursive: true, force: true });
    }
  }, 300_000);
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

interface PwPage {
  goto(url: string, o?: object): Promise<unknown>;
  waitForFunction(fn: string | ((a: unknown) => unknown), arg?: unknown, o?: object): Promise<unknown>;
  evaluate<R>(fn: string | (() => R)): Promise<R>;
  route(url: string, handler: (route: { request(): { url(): string }; abort(): Promise<void>; continue(): Promise<void> }) => Promise<void>): Promise<void>;
  close(): Promise<void>;
}
interface PwBrowser {
  newPage(): Promise<PwPage>;
  close(): Promise<void>;
}

describe.skipIf(!chromium)("an executed notebook with figures in classic Notebook and nbconvert HTML (needs Chromium)", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "latentlab-frontends-"));
  const data = path.join(dir, "jupyter-data");
  const env: NodeJS.ProcessEnv = { ...process.env, JUPYTER_DATA_DIR: data, JUPYTER_CONFIG_DIR: path.join(dir, "jupyter-config"), JUPYTER_PATH: path.join(ROOT, ".jupyter") };
  const nbFile = path.join(dir, "figures.ipynb");
  let names: string[] = [];
  let browser: PwBrowser;
  let server: ChildProcess | undefined;
  let port = 0;
  const offsite: string[] = [];

  beforeAll(async () => {
    // What `npm run figures` does to an executed notebook: static images rendered by Chromium
    // and written into each figure's HTML, plotly.js in the first figure only.
    const nb = JSON.parse(fs.readFileSync(FIXTURE, "utf8"));
    const figs = extractFigures(nb, "fixture").figures;
    names = figs.map((f) => f.name);
    const renderer = await FigureRenderer.launch(chromium!);
    const images = new Map<string, StaticImage>();
    try {
      for (const f of figs) {
        const { svg, png } = await renderer.render(f.spec, `fixture/${f.name}`);
        images.set(f.name, pickStaticImage(svg, png, 800, 500));
      }
    } finally {
      await renderer.close();
    }
    embedStaticImages(nb, "fixture", images);
    fs.writeFileSync(nbFile, JSON.stringify(nb, null, 1));
    port = await freePort();
    server = spawn(
      "jupyter-notebook",
      [`--port=${port}`, "--ip=127.0.0.1", "--no-browser", "--NotebookApp.token=", "--NotebookApp.password=", `--notebook-dir=${dir}`, "--allow-root", "--NotebookApp.disable_check_xsrf=True"],
      { env, stdio: "ignore", detached: false },
    );
    const { chromium: pw } = require("playwright-core") as { chromium: { launch(o: object): Promise<PwBrowser> } };
    browser = await pw.launch({ executablePath: chromium!, args: CHROMIUM_FLAGS, headless: true });
    // Wait for the server.
    const t0 = Date.now();
    for (;;) {
      try {
        const res = await fetch(`http://127.0.0.1:${port}/api/status`);
        if (res.ok) break;
      } catch {
        /* not up yet */
      }
      if (Date.now() - t0 > 120_000) throw new Error("classic Notebook did not start within 120 s");
      await new Promise((r) => setTimeout(r, 500));
    }
  }, 400_000);

  afterAll(async () => {
    await browser?.close();
    server?.kill("SIGTERM");
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** Open the notebook in classic Notebook; nothing may load from outside 127.0.0.1. */
  async function open(): Promise<PwPage> {
    const page = await browser.newPage();
    await page.route("**/*", async (route) => {
      const url = route.request().url();
      if (url.startsWith(`http://127.0.0.1:${port}/`) || url.startsWith("data:") || url.startsWith("blob:")) return route.continue();
      offsite.push(url);
      return route.abort();
    });
    await page.goto(`http://127.0.0.1:${port}/notebooks/figures.ipynb`, { waitUntil: "load", timeout: 120_000 });
    await page.waitForFunction(`document.querySelectorAll(".output_area").length >= ${names.length}`, undefined, { timeout: 120_000 });
    return page;
  }

  it("untrusted (as cloned, downloaded or written by a runner): every figure shows its static image and the note", async () => {
    const page = await open();
    try {
      await page.waitForFunction(
        `(() => { const imgs = [...document.querySelectorAll(".output_html img")]; return imgs.length >= ${names.length} && imgs.every((i) => i.complete && i.naturalWidth > 0); })()`,
        undefined,
        { timeout: 120_000 },
      );
      const seen = (await page.evaluate(`(() => {
        const out = [];
        for (const area of document.querySelectorAll(".output_html")) {
          const img = area.querySelector("img");
          const note = area.querySelector(".${FIGURE_NOTE_CLASS}") || [...area.querySelectorAll("p")].find((p) => /trust this notebook/.test(p.textContent));
          if (!img && !note) continue;
          out.push({ alt: img ? img.getAttribute("alt") : null, loaded: img ? img.complete && img.naturalWidth > 0 : false, shown: img ? img.getBoundingClientRect().height > 50 : false, note: note ? note.textContent : "", plot: !!area.querySelector(".js-plotly-plot") });
        }
        return out;
      })()`)) as { alt: string | null; loaded: boolean; shown: boolean; note: string; plot: boolean }[];
      expect(seen.map((s) => s.alt)).toEqual(names.map((n) => `figure ${n}`));
      for (const s of seen) {
        expect(s.loaded && s.shown).toBe(true);
        expect(s.note).toMatch(/^Static image of figure ".*"\. For the interactive version, trust this notebook/);
        expect(s.plot).toBe(false); // scripts were sanitized away: not trusted
      }
    } finally {
      await page.close();
    }
  }, 300_000);

  it("trusted: every figure is drawn by plotly.js from the notebook itself (offline)", async () => {
    // What "File → Trust Notebook" does: sign it with this user's secret (nbformat's notary).
    const t = spawnSync("/usr/bin/python3", ["-c", "import sys, nbformat; from nbformat.sign import NotebookNotary; nb = nbformat.read(sys.argv[1], 4); NotebookNotary().sign(nb)", nbFile], { env, encoding: "utf8" });
    if (t.status !== 0) throw new Error(t.stderr);
    const page = await open();
    try {
      await page.waitForFunction(`document.querySelectorAll(".js-plotly-plot .main-svg").length >= ${names.length}`, undefined, { timeout: 120_000 });
      const notes = await page.evaluate(`document.querySelectorAll(".${FIGURE_NOTE_CLASS}").length`);
      expect(notes).toBe(0); // replaced by the interactive figures
      expect(offsite).toEqual([]);
    } finally {
      await page.close();
    }
  }, 300_000);

  it("nbconvert --to html keeps every figure as an image; plotly.js once; each figure well under 1 MB", () => {
    const r = nbconvert(["--to", "html", nbFile, "--output", path.join(dir, "figures.html")], env);
    if (r.status !== 0) throw new Error(r.stderr);
    const html = fs.readFileSync(path.join(dir, "figures.html"), "utf8");
    for (const n of names) expect(html).toMatch(new RegExp(`<img src="data:image/(svg\\+xml|png);base64,[A-Za-z0-9+/=]+" alt="figure ${n}"`));
    const nbText = fs.readFileSync(nbFile, "utf8");
    expect(nbText.split("plotly.js v").length - 1).toBe(1);
    const nb = JSON.parse(nbText) as { cells: { outputs?: { metadata?: { latentlab?: unknown } }[] }[] };
    for (const c of nb.cells)
      for (const o of c.outputs ?? [])
        if (o.metadata?.latentlab) {
          const json = JSON.stringify(o);
          const bytes = json.length - (json.includes("plotly.js v") ? JSON.stringify(plotlySource()).length : 0);
          expect(bytes).toBeLessThan(300_000);
        }
  }, 300_000);
});
