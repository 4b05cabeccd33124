/** Shared helpers of the fault suite (not a test file). */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { alive, pidsWithEnv } from "../kernel/helpers";

export { alive, pidsWithEnv };
export const ROOT = path.resolve(__dirname, "../..");
export const TSX = path.join(ROOT, "node_modules", "tsx", "dist", "cli.mjs");

/** Write a notebook whose code cells are `cells` (no kernel needed to read it). */
export function writeCodeNotebook(dir: string, name: string, cells: string[]): string {
  const file = path.join(dir, name + ".ipynb");
  const nb = {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: { kernelspec: { name: "latentlab", display_name: "TypeScript (latentlab)", language: "typescript" } },
    cells: cells.map((source, i) => ({ id: `cell-${i + 1}`, cell_type: "code", source, metadata: {}, outputs: [], execution_count: null })),
  };
  fs.writeFileSync(file, JSON.stringify(nb, null, 1));
  return file;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Poll `fn` every 100 ms until it returns a truthy value or `ms` passes; returns its last value. */
export async function waitUntil<T>(fn: () => T, ms: number): Promise<T> {
  const end = Date.now() + ms;
  let v = fn();
  while (!v && Date.now() < end) {
    await sleep(100);
    v = fn();
  }
  return v;
}

export function cmdline(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0/g, " ").trim();
  } catch {
    return "";
  }
}

/** Direct children of `pid` (Linux /proc). */
export function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const d of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${d}/stat`, "utf8");
      if (Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]) === pid && alive(Number(d))) out.push(Number(d));
    } catch {
      /* gone */
    }
  }
  return out;
}

/** Live processes whose command line contains `needle`. */
export function pidsWithCmdline(needle: string): number[] {
  return fs
    .readdirSync("/proc")
    .filter((d) => /^\d+$/.test(d) && Number(d) !== process.pid)
    .map(Number)
    .filter((p) => cmdline(p).includes(needle) && alive(p));
}

/** Files under the temp folder (two levels; files under 1 MB) whose content contains `secret`. */
export function tempFilesContaining(secret: string): string[] {
  const hits: string[] = [];
  const visit = (dir: string, depth: number) => {
    let entries: fs.Dirent[] = [];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = path.join(dir, e.name);
      if (e.isDirectory() && depth < 2) visit(p, depth + 1);
      else if (e.isFile()) {
        try {
          if (fs.statSync(p).size < 1 << 20 && fs.readFileSync(p, "utf8").includes(secret)) hits.push(p);
        } catch {
          /* unreadable or gone */
        }
      }
    }
  };
  visit(os.tmpdir(), 0);
  return hits;
}
