/**
 * The headless runner on small fixture notebooks (test/fixtures/notebooks): outputs, failures,
 * a dying kernel, timeouts, no orphaned kernels, nbformat validity, and agreement with
 * `jupyter nbconvert --execute` on the same notebook.
 */
import { spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { afterAll, describe, expect, it } from "vitest";
import { resolveNotebooks, runNotebook, summaryTable } from "../../kernel/run-notebooks";
import { rng } from "../../src/runtime/rng";
import { alive, fixture, FIXTURES, numbersIn, pidsWithEnv, readNb, ROOT, stdoutPerCell, validateNbformat } from "./helpers";

const out = fs.mkdtempSync(path.join(os.tmpdir(), "latentlab-runner-"));
afterAll(() => fs.rmSync(out, { recursive: true, force: true }));
const quiet = { outDir: out, log: () => {} };
const TSX = path.join(ROOT, "node_modules", "tsx", "dist", "cli.mjs");

describe("headless runner", () => {
  let passingOut = "";

  it("runs a notebook: outputs in nbformat 4.5, display updates applied, kernel env and cwd set", async () => {
    const r = await runNotebook(fixture("passing"), quiet);
    expect(r.message ?? "").toBe("");
    expect(r.status).toBe("ok");
    expect(r.codeCells).toBe(7);
    expect(r.executedCells).toBe(7);
    expect(alive(r.kernelPid)).toBe(false);
    passingOut = r.outPath;
    validateNbformat(r.outPath);

    const src = readNb(fixture("passing"));
    const nb = readNb(r.outPath);
    expect(nb.cells.map((c) => c.id)).toEqual(src.cells.map((c) => c.id));
    expect(nb.metadata).toEqual(src.metadata);
    const code = nb.cells.filter((c) => c.cell_type === "code");
    // Blank cells are not sent (as nbclient); the others count 1, 2, 3, …
    expect(code.map((c) => c.execution_count)).toEqual([1, 2, 3, null, 4, 5, 6]);

    const stdout = stdoutPerCell(nb);
    const g = rng(7);
    const normals = Array.from({ length: 5 }, () => g.normal().toFixed(6)).join(" ");
    expect(stdout[1]).toBe(`normals ${normals}\n`);
    // log(e + e² + e³) = 3 + log(1 + e⁻¹ + e⁻²), computed here independently of the library.
    expect(stdout[2]).toBe(`logsumexp ${(3 + Math.log(1 + Math.exp(-1) + Math.exp(-2))).toFixed(12)}\n`);
    expect(stdout[5]).toBe("env passing headless cwd-ok\n");
    expect(stdout[6]).toBe(`${Math.SQRT2}\n`);
    expect(code[4].outputs).toEqual([
      { output_type: "display_data", data: { "text/html": ["<b>step 2 of 2</b>"] }, metadata: {} },
      { output_type: "display_data", data: { "text/markdown": ["**done**"] }, metadata: {} },
    ]);
  }, 180_000);

  it("gives the same outputs as jupyter nbconvert --execute with the same kernelspec", () => {
    expect(passingOut).not.toBe("");
    const nbconvertOut = path.join(out, "passing.nbconvert.ipynb");
    const r = spawnSync(
      "jupyter",
      ["nbconvert", "--to", "notebook", "--execute", fixture("passing"), "--output", nbconvertOut, "--ExecutePreprocessor.timeout=600"],
      { env: { ...process.env, JUPYTER_PATH: path.join(ROOT, ".jupyter") }, encoding: "utf8" },
    );
    if (r.status !== 0) throw new Error(`nbconvert failed:\n${r.stderr}`);
    const theirs = readNb(nbconvertOut);
    const ours = readNb(passingOut);
    const a = stdoutPerCell(ours).map(numbersIn);
    const b = stdoutPerCell(theirs).map(numbersIn);
    expect(a.flat().length).toBeGreaterThan(6);
    expect(a).toEqual(b);
    const displays = (nb: typeof ours) =>
      nb.cells.flatMap((c) => (c.outputs ?? []).filter((o) => o.output_type === "display_data"));
    expect(displays(ours)).toEqual(displays(theirs));
    // (Execution counts differ on purpose: nbclient takes them from execute_input, which tslab
    // never sends, so nbconvert leaves them null; we take them from execute_reply.)
  }, 180_000);

  it("CLI: a throwing cell names notebook, cell, source and error text; later cells do not run; exit 1", () => {
    const r = spawnSync(process.execPath, [TSX, path.join(ROOT, "kernel", "run-notebooks.ts"), fixture("throws"), "--out", out], {
      encoding: "utf8",
      cwd: ROOT,
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("throws: code cell 2 (cell index 2, id code-2) failed");
    expect(r.stderr).toContain("check(a);");
    expect(r.stderr).toContain("Error: deliberate failure: expected 42, got 41");
    expect(r.stdout).toMatch(/throws\s+1\/3\s+\d+\.\d\s+error/);
    const nb = readNb(path.join(out, "throws.ipynb"));
    validateNbformat(path.join(out, "throws.ipynb"));
    const code = nb.cells.filter((c) => c.cell_type === "code");
    expect(stdoutPerCell(nb)[0]).toBe("before 41\n");
    expect(JSON.stringify(code[1].outputs)).toContain("deliberate failure");
    expect(code[2].execution_count).toBeNull();
    expect(code[2].outputs).toEqual([]);
  }, 180_000);

  it("a kernel that dies mid-run ends the notebook with a clear message and leaves no process", async () => {
    const t0 = Date.now();
    const r = await runNotebook(fixture("dies"), quiet);
    expect(r.status).toBe("died");
    expect(r.message).toMatch(/^dies: kernel died with exit code 3 while running code cell 2 \(cell index 2, id code-2\)/);
    expect(r.executedCells).toBe(1);
    expect(alive(r.kernelPid)).toBe(false);
    expect(stdoutPerCell(readNb(r.outPath))[0]).toBe("alive\n");
    validateNbformat(r.outPath);
    expect(Date.now() - t0).toBeLessThan(120_000);
  }, 180_000);

  it("a cell over the timeout is interrupted, reported as a timeout, and its kernel is gone", async () => {
    const r = await runNotebook(fixture("hangs"), { ...quiet, timeoutSeconds: 5 });
    expect(r.status).toBe("timeout");
    expect(r.message).toContain("hangs: code cell 2 (cell index 2, id code-2) timed out after 5 s; interrupted");
    expect(r.failure?.errorText).toMatch(/interrupted/);
    expect(r.executedCells).toBe(1);
    expect(alive(r.kernelPid)).toBe(false);
    // 5 s timeout + a quick answer to SIGINT (grace 5 s), never the loop's forever.
    expect(r.seconds - r.startSeconds).toBeLessThan(25);
  }, 180_000);

  it("Ctrl-C on the runner kills its kernel (no orphan)", async () => {
    const tag = `runner-sigint-${process.pid}-${Date.now()}`;
    const child = spawn(process.execPath, [TSX, path.join(ROOT, "kernel", "run-notebooks.ts"), fixture("interrupt"), "--out", out], {
      cwd: ROOT,
      env: { ...process.env, LATENTLAB_TEST_TAG: tag },
      stdio: "ignore",
    });
    const exited = new Promise<number | null>((res) => child.on("exit", (code) => res(code)));
    let kernels: number[] = [];
    const deadline = Date.now() + 120_000;
    // Wait for the kernel (the only process with the tag that runs kernel/launch.js).
    while (Date.now() < deadline) {
      kernels = pidsWithEnv("LATENTLAB_TEST_TAG", tag).filter((p) =>
        fs.readFileSync(`/proc/${p}/cmdline`, "utf8").includes("launch.js"),
      );
      if (kernels.length > 0) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(kernels.length).toBe(1);
    await new Promise((r) => setTimeout(r, 1500));
    child.kill("SIGINT");
    const code = await exited;
    expect(code).not.toBe(0);
    await new Promise((r) => setTimeout(r, 300));
    expect(pidsWithEnv("LATENTLAB_TEST_TAG", tag)).toEqual([]);
  }, 180_000);

  it("a runner killed outright (SIGKILL, no cleanup) still leaves no kernel: the kernel watches its parent", async () => {
    const tag = `runner-sigkill-${process.pid}-${Date.now()}`;
    const child = spawn(process.execPath, [TSX, path.join(ROOT, "kernel", "run-notebooks.ts"), fixture("hangs"), "--out", out], {
      cwd: ROOT,
      env: { ...process.env, LATENTLAB_TEST_TAG: tag },
      stdio: "ignore",
    });
    try {
      let kernel: number | undefined;
      const deadline = Date.now() + 120_000;
      while (kernel === undefined && Date.now() < deadline) {
        kernel = pidsWithEnv("LATENTLAB_TEST_TAG", tag).find((p) =>
          fs.readFileSync(`/proc/${p}/cmdline`, "utf8").includes("launch.js"),
        );
        if (kernel === undefined) await new Promise((r) => setTimeout(r, 200));
      }
      expect(kernel).toBeDefined();
      await new Promise((r) => setTimeout(r, 4000)); // usually inside the endless cell by now
      // The runner's pid, as the kernel was told it (tsx runs the runner in a child process).
      const env = fs.readFileSync(`/proc/${kernel}/environ`, "utf8").split("\0");
      const runnerPid = Number(env.find((e) => e.startsWith("LATENTLAB_PARENT_PID="))?.split("=")[1]);
      expect(alive(runnerPid)).toBe(true);
      process.kill(runnerPid, "SIGKILL");
      const t0 = Date.now();
      while (alive(kernel) && Date.now() - t0 < 5000) await new Promise((r) => setTimeout(r, 100));
      expect(alive(kernel)).toBe(false);
    } finally {
      child.kill("SIGKILL");
    }
  }, 180_000);

  it("resolves names and prints a summary table", () => {
    expect(resolveNotebooks(["pass"], FIXTURES)).toEqual([fixture("passing")]);
    expect(resolveNotebooks([], FIXTURES)).toEqual(["dies", "hangs", "interrupt", "passing", "throws"].map(fixture));
    expect(() => resolveNotebooks(["nope"], FIXTURES)).toThrow(/No notebook "nope".*dies, hangs, interrupt, passing, throws/);
    const table = summaryTable([
      { name: "a", path: "", outPath: "", status: "ok", ok: true, codeCells: 3, executedCells: 3, seconds: 1.25, startSeconds: 0 },
    ]);
    expect(table.split("\n")[2]).toMatch(/^a\s+3\/3\s+1\.3\s+ok$/);
  });
});
