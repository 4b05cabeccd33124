/**
 * kernel/code-cache.js: kernels compile TypeScript's compiler and TensorFlow.js with V8's code
 * cache. A warmed cache is used (V8 accepts it) and gives the same modules; a cache for other
 * node flags is a different file; a corrupt cache is rejected by V8 and the module compiles from
 * source; LATENTLAB_CODE_CACHE=0 turns it off.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { afterAll, describe, expect, it } from "vitest";
import { ROOT } from "./helpers";

const MODULE = path.join(ROOT, "kernel", "code-cache.js");
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "latentlab-code-cache-"));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** In a fresh process with `flags`: install the cache, load TypeScript and tfjs-core, report. */
function load(flags: string[], env: Record<string, string> = {}): { hits: number; misses: number; ts: string; tf: string; sum: number } {
  const script = `
    const cc = require(${JSON.stringify(MODULE)});
    cc.install();
    const ts = require(require.resolve("@tslab/typescript-for-tslab", { paths: [require.resolve("tslab/package.json", { paths: [${JSON.stringify(ROOT)}] })] }));
    const tf = require(require.resolve("@tensorflow/tfjs-core", { paths: [${JSON.stringify(ROOT)}] }));
    const sf = ts.createSourceFile("a.ts", "let x: number = 1 + 2;", ts.ScriptTarget.ES2020);
    const out = { hits: cc.stats.hits, misses: cc.stats.misses, ts: ts.version, tf: tf.version_core, sum: sf.statements.length };
    process.stdout.write(JSON.stringify(out));`;
  const r = spawnSync(process.execPath, [...flags, "-e", script], { cwd: ROOT, encoding: "utf8", env: { ...process.env, LATENTLAB_CODE_CACHE_DIR: dir, ...env } });
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout);
}

describe("V8 code cache for the kernel's modules", () => {
  it("warms, is used by the next kernel, and never runs other code", () => {
    const warm = spawnSync(process.execPath, [MODULE, "--warm"], { cwd: ROOT, encoding: "utf8", env: { ...process.env, LATENTLAB_CODE_CACHE_DIR: dir } });
    expect(warm.status, warm.stderr).toBe(0);
    expect(warm.stdout).toMatch(/[1-9]\d* module\(s\) written/);
    const files = fs.readdirSync(dir);
    expect(files.some((f) => f.startsWith("typescript.js-"))).toBe(true);

    const cold = load([], { LATENTLAB_CODE_CACHE: "0" });
    expect(cold.hits + cold.misses).toBe(0); // off: nothing goes through the cache
    const hot = load([]);
    expect(hot.misses).toBe(0);
    expect(hot.hits).toBeGreaterThanOrEqual(2); // typescript.js and tf-core.node.js
    expect({ ...hot, hits: 0, misses: 0 }).toEqual({ ...cold, hits: 0, misses: 0 }); // the same modules

    // Other V8 flags: another cache file, so nothing is looked up (V8 would reject it anyway).
    const other = load(["--max-old-space-size=700"]);
    expect(other.hits).toBe(0);
    expect(other.misses).toBeGreaterThanOrEqual(2);

    // A corrupt cache: V8 rejects it, and the module compiles from source and works.
    for (const f of files) fs.writeFileSync(path.join(dir, f), Buffer.alloc(fs.statSync(path.join(dir, f)).size, 7));
    const corrupt = load([]);
    expect(corrupt.hits).toBe(0);
    expect({ ...corrupt, hits: 0, misses: 0 }).toEqual({ ...cold, hits: 0, misses: 0 });
  }, 120_000);

  it("keys a cache by flags, package version and size", () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { cacheFile } = require(MODULE) as { cacheFile: (f: string, n: number, flags?: string[]) => string };
    const f = path.join(ROOT, "node_modules", "@tensorflow", "tfjs-core", "dist", "tf-core.node.js");
    expect(cacheFile(f, 1000, [])).toBe(cacheFile(f, 1000, ["--require", "/x/cell-guard.js"]));
    expect(cacheFile(f, 1000, [])).not.toBe(cacheFile(f, 1000, ["--max-old-space-size=768"]));
    expect(cacheFile(f, 1000, [])).not.toBe(cacheFile(f, 1001, []));
  });
});
