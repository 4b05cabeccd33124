/**
 * Fault suite, headless runner (in process): output floods, a kernel that drops its final idle,
 * malformed notebooks among good ones, unhandled rejections and later timer exceptions, kernels
 * that die or end with children running, bad settings and a bad --out. After each case: no
 * process of the case survives and its executed copies say what happened.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { afterAll, describe, expect, it } from "vitest";
import { KernelClient, latentlabKernelSpec } from "../../kernel/client";
import { readNotebook } from "../../kernel/notebook";
import { checkOutDir, runNotebooks } from "../../kernel/run-notebooks";
import { readNb, stdoutPerCell } from "../kernel/helpers";
import { alive, pidsWithEnv, ROOT, TSX, waitUntil, writeCodeNotebook } from "./helpers";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "latentlab-faults-"));
const out = path.join(dir, "out");
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const quiet = { outDir: out, log: () => {} };
const tag = () => `faults-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}`;

describe("the runner under faults", () => {
  it("malformed notebooks among good ones: each is reported by file and cell, the good one still runs; a 600- and a 50,000-line cell keep every line, in seconds", async () => {
    const bad = path.join(dir, "bad");
    fs.mkdirSync(bad, { recursive: true });
    const cell = (source: unknown) => ({ id: "x", cell_type: "code", source, metadata: {}, outputs: [], execution_count: null });
    const write = (name: string, body: string) => {
      fs.writeFileSync(path.join(bad, name + ".ipynb"), body);
      return path.join(bad, name + ".ipynb");
    };
    const files = [
      write("a-source-number", JSON.stringify({ nbformat: 4, nbformat_minor: 5, metadata: {}, cells: [cell("1"), cell(42)] })),
      write("b-null", "null"),
      write("c-null-cell", JSON.stringify({ nbformat: 4, nbformat_minor: 5, metadata: {}, cells: [null] })),
      write("d-not-json", "{ nbformat: 4"),
      write("e-cell-type", JSON.stringify({ nbformat: 4, nbformat_minor: 5, metadata: {}, cells: [{ cell_type: "python", source: "", metadata: {} }] })),
      writeCodeNotebook(bad, "f-flood", ["for (let i = 0; i < 600; i++) console.log(i);", "for (let i = 0; i < 50000; i++) console.log(i);", 'console.log("after the floods");']),
    ];
    const t0 = Date.now();
    const results = await runNotebooks(files, { ...quiet, timeoutSeconds: 120 });
    expect(results.map((r) => r.status)).toEqual(["unreadable", "unreadable", "unreadable", "unreadable", "unreadable", "ok"]);
    expect(results[0].message).toMatch(/a-source-number\.ipynb: cell 1 \(code\): source must be a string or a list of strings, found number\. /);
    expect(results[1].message).toMatch(/b-null\.ipynb: a notebook is a JSON object with "nbformat" and "cells", found null/);
    expect(results[2].message).toMatch(/c-null-cell\.ipynb: cell 0 must be an object, found null/);
    expect(results[3].message).toMatch(/d-not-json\.ipynb is not a readable notebook \(JSON\)/);
    expect(results[4].message).toMatch(/e-cell-type\.ipynb: cell 0: cell_type must be one of code, markdown, raw, found "python"/);
    const flood = results[5];
    const stdout = stdoutPerCell(readNb(flood.outPath));
    expect(stdout[0]).toBe(Array.from({ length: 600 }, (_, i) => `${i}\n`).join(""));
    expect(stdout[1]).toBe(Array.from({ length: 50000 }, (_, i) => `${i}\n`).join(""));
    expect(stdout[2]).toBe("after the floods\n");
    expect(flood.warnings ?? []).toEqual([]);
    // "In seconds": the cells themselves, not counting the kernel's start (loaded machine: generous).
    expect(flood.seconds - flood.startSeconds).toBeLessThan(30);
    expect(Date.now() - t0).toBeLessThan(150_000);
  }, 200_000);

  it("a kernel that drops a cell's final idle: the cell ends after a short grace (not the timeout) with a note that output was lost", async () => {
    const spec = { argv: [process.execPath, path.join(ROOT, "test", "fixtures", "fake-kernel.js"), "{connection_file}"], display_name: "fake", language: "fake" };
    const k = await KernelClient.start({ spec, startTimeoutSeconds: 60 });
    try {
      const t0 = Date.now();
      const ok = await k.execute("lines=3", { timeoutSeconds: 60 });
      expect(ok.status).toBe("ok");
      expect(ok.outputLost).toBeUndefined();
      const r = await k.execute("lines=5 drop-idle", { timeoutSeconds: 60, idleGraceSeconds: 1 });
      expect(r.status).toBe("ok");
      expect(r.executionCount).toBe(2);
      expect(r.outputLost).toMatch(/never sent the cell's final "idle" status \(1 s after its reply\).*output may be incomplete/);
      expect(r.messages.filter((m) => m.header.msg_type === "stream").map((m) => m.content.text).join("")).toBe("0\n1\n2\n3\n4\n");
      expect(Date.now() - t0).toBeLessThan(15_000); // not the 60 s timeout
      // The kernel is still usable afterwards.
      expect((await k.execute("lines=1", { timeoutSeconds: 60 })).status).toBe("ok");
    } finally {
      await k.shutdown();
    }
    expect(alive(k.pid)).toBe(false);
    expect(fs.existsSync(path.dirname(k.connectionFile))).toBe(false);
  }, 120_000);

  it("unhandled rejections and later timer exceptions fail the notebook at the cell that started them", async () => {
    const rej = writeCodeNotebook(dir, "rejects", ['Promise.reject(new Error("rejected and never handled"));', 'console.log("not reached");']);
    const later = writeCodeNotebook(dir, "later", [
      // The timer fires 2 s after cell 1 ends: while cell 2 (which waits 8 s) runs, even when a
      // loaded machine takes a second or more to start cell 2.
      'setTimeout(() => { throw new Error("thrown by a timer of cell 1"); }, 2000); console.log("cell 1 done");',
      "async function check() { await new Promise((r) => setTimeout(r, 50)); throw new Error(\"check failed inside an async function nobody awaited\"); }\ncheck();\nawait new Promise((r) => setTimeout(r, 8000));\nconsole.log(\"cell 2 done\");",
      'console.log("not reached");',
    ]);
    const [a, b] = await runNotebooks([rej, later], { ...quiet, timeoutSeconds: 120 });

    expect(a.status).toBe("error");
    expect(a.failure?.codeCellNumber).toBe(1);
    // Node reports an unhandled rejection once the microtask queue drains, which may be just
    // after the kernel answered cell 1: then it surfaces while cell 2 runs. Either way it is
    // reported against cell 1, the cell that made the promise.
    expect(a.message).toMatch(
      /^rejects: code cell 1 \(cell index 0, id cell-1\): unhandled promise rejection( \(it surfaced while code cell 2 ran\))?: a promise nobody awaited rejected; await it/,
    );
    expect(a.message).toContain("rejected and never handled");
    if (!a.message!.includes("surfaced while")) expect(readNb(a.outPath).cells[1].execution_count).toBeNull();

    expect(b.status).toBe("error");
    // Both faults surfaced while cell 2 ran; each is reported against the cell that started it.
    expect(b.message).toMatch(/later: code cell 1 \(cell index 0, id cell-1\): uncaught exception \(it surfaced while code cell 2 ran\)/);
    expect(b.message).toMatch(/later: code cell 2 \(cell index 1, id cell-2\): unhandled promise rejection/);
    expect(b.message).toContain("thrown by a timer of cell 1");
    expect(b.message).toContain("check failed inside an async function nobody awaited");
    const cells = readNb(b.outPath).cells;
    expect(JSON.stringify(cells[0].outputs)).toContain("[latentlab runner] uncaught exception raised by this cell (it surfaced while code cell 2 ran)");
    expect(JSON.stringify(cells[1].outputs)).toContain("[latentlab runner] unhandled promise rejection raised by this cell");
    expect(cells[2].execution_count).toBeNull();
  }, 200_000);

  it("a kernel that dies, or ends, with children running leaves no process behind (its group, a detached child, an orphaned grandchild)", async () => {
    const spawnCell =
      'const cp = require("child_process");\n' +
      'cp.spawn("sleep", ["300"], { stdio: "ignore" });\n' +
      'cp.spawn("sleep", ["301"], { stdio: "ignore", detached: true }).unref();\n' +
      'cp.spawn("sh", ["-c", "sleep 302 &"], { stdio: "ignore" });\n' +
      'await new Promise((r) => setTimeout(r, 300));\nconsole.log("children started");';
    const dies = writeCodeNotebook(dir, "dies-with-children", [spawnCell, 'process.kill(process.pid, "SIGKILL");', 'console.log("not reached");']);
    const ends = writeCodeNotebook(dir, "ends-with-children", [spawnCell, 'console.log("done");']);
    const t = tag();
    const [d, e] = await runNotebooks([dies, ends], { ...quiet, timeoutSeconds: 120, env: { LATENTLAB_TEST_TAG: t } });
    expect(d.status).toBe("died");
    expect(d.message).toMatch(/kernel died with signal SIGKILL while running code cell 2/);
    expect(stdoutPerCell(readNb(d.outPath))[0]).toBe("children started\n");
    expect(e.status).toBe("ok");
    expect(stdoutPerCell(readNb(e.outPath))[0]).toBe("children started\n");
    expect(await waitUntil(() => pidsWithEnv("LATENTLAB_TEST_TAG", t).length === 0, 3000)).toBe(true);
  }, 200_000);

  it("a corrupt kernel.json is an error naming the file and the fix", () => {
    const spec = path.join(dir, "kernel.json");
    fs.writeFileSync(spec, '{"argv": [');
    expect(() => latentlabKernelSpec(spec)).toThrow(/kernel\.json is not a valid kernelspec \(.*\)\. Reinstall it with "npm run kernel:install", or delete it\./);
    fs.writeFileSync(spec, '{"argv": "node"}');
    expect(() => latentlabKernelSpec(spec)).toThrow(/has no "argv" list of strings/);
  });

  it("a build lock left by a kernel killed while rebuilding lib/ is released when the kernel is reaped, never one of a live process", () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { releaseLockOf } = require("../../kernel/build-lib") as { releaseLockOf: (pid: number, lock: string) => boolean };
    const lock = path.join(dir, ".build-lock");
    const r = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" });
    const deadPid = Number(r.stdout);
    fs.mkdirSync(lock);
    fs.writeFileSync(path.join(lock, "pid"), String(process.pid));
    expect(releaseLockOf(process.pid, lock)).toBe(false); // alive: kept
    expect(releaseLockOf(deadPid, lock)).toBe(false); // not its lock: kept
    fs.writeFileSync(path.join(lock, "pid"), String(deadPid));
    expect(releaseLockOf(deadPid, lock)).toBe(true);
    expect(fs.existsSync(lock)).toBe(false);
  });

  it("bad settings and a bad --out are refused before any kernel starts", () => {
    const nbFile = writeCodeNotebook(dir, "never-run", ["1"]);
    // --out over the source notebooks would overwrite them with outputs.
    expect(() => checkOutDir(dir, [nbFile])).toThrow(/is the folder of never-run\.ipynb: the executed copies \(with outputs\) would overwrite the source notebooks/);
    expect(() => checkOutDir(path.join(ROOT, "notebooks"), [path.join(ROOT, "notebooks", "00-getting-started.ipynb")])).toThrow(/would overwrite/);
    const aFile = path.join(dir, "a-file");
    fs.writeFileSync(aFile, "");
    expect(() => checkOutDir(aFile, [nbFile])).toThrow(/--out .*a-file cannot be written .*Pick a writable folder/);
    const before = fs.readFileSync(nbFile, "utf8");
    const run = (env: Record<string, string>, ...args: string[]) =>
      spawnSync(process.execPath, [TSX, path.join(ROOT, "kernel", "run-notebooks.ts"), ...args], { cwd: ROOT, encoding: "utf8", env: { ...process.env, ...env }, timeout: 60_000 });
    const r1 = run({ LATENTLAB_CELL_TIMEOUT: "abc" }, nbFile, "--out", out);
    expect(r1.status).toBe(2);
    expect(r1.stderr).toContain('LATENTLAB_CELL_TIMEOUT="abc" is not a value latentlab understands: use a positive number of seconds');
    const r2 = run({ LATENTLAB_SMOKE: "maybe" }, nbFile, "--out", dir);
    expect(r2.status).toBe(2);
    expect(r2.stderr).toContain('LATENTLAB_SMOKE="maybe"');
    const r3 = run({}, nbFile, "--out", dir);
    expect(r3.status).toBe(2);
    expect(r3.stderr).toMatch(/would overwrite the source notebooks/);
    expect(fs.readFileSync(nbFile, "utf8")).toBe(before);
    expect(readNotebook(nbFile).cells).toHaveLength(1);
  }, 120_000);
});
