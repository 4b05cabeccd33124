/** Shared helpers for the kernel tests (not a test file). */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import type { Notebook } from "../../kernel/notebook";

export const ROOT = path.resolve(__dirname, "../..");
export const FIXTURES = path.join(ROOT, "test", "fixtures", "notebooks");
export const fixture = (name: string) => path.join(FIXTURES, name + ".ipynb");

/** True while process `pid` exists (signal 0 probes without killing). */
export function alive(pid: number | undefined): boolean {
  if (pid === undefined) return false;
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // A zombie still answers signal 0: read its state.
  try {
    const state = fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.[0];
    return state !== "Z";
  } catch {
    return process.platform !== "linux";
  }
}

/** Pids of processes whose environment contains `NAME=value` (Linux /proc). */
export function pidsWithEnv(name: string, value: string): number[] {
  const out: number[] = [];
  for (const d of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const env = fs.readFileSync(`/proc/${d}/environ`, "utf8").split("\0");
      if (env.includes(`${name}=${value}`) && alive(Number(d))) out.push(Number(d));
    } catch {
      /* gone or not ours */
    }
  }
  return out;
}

/** Validate a notebook file against the nbformat JSON schema with Python's nbformat. */
export function validateNbformat(file: string): void {
  const r = spawnSync(
    "/usr/bin/python3",
    ["-c", "import sys, nbformat; nb = nbformat.read(sys.argv[1], as_version=nbformat.NO_CONVERT); nbformat.validate(nb); print(nb.nbformat, nb.nbformat_minor)", file],
    { encoding: "utf8" },
  );
  if (r.status !== 0) throw new Error(`nbformat.validate(${file}) failed:\n${r.stderr}`);
  if (r.stdout.trim() !== "4 5") throw new Error(`${file}: expected nbformat 4.5, got ${r.stdout.trim()}`);
}

export function readNb(file: string): Notebook {
  return JSON.parse(fs.readFileSync(file, "utf8")) as Notebook;
}

/** The text of all stdout streams of a notebook's code cells, one string per code cell. */
export function stdoutPerCell(nb: Notebook): string[] {
  return nb.cells
    .filter((c) => c.cell_type === "code")
    .map((c) =>
      (c.outputs ?? [])
        .filter((o) => o.output_type === "stream" && o.name === "stdout")
        .map((o) => (o.output_type === "stream" ? (Array.isArray(o.text) ? o.text.join("") : o.text) : ""))
        .join(""),
    );
}

/** Every number in a text, parsed. */
export function numbersIn(text: string): number[] {
  return (text.match(/-?\d+(\.\d+)?(e[-+]?\d+)?/gi) ?? []).map(Number);
}
