/**
 * kernel/tslab-speedup.js must not change what tslab compiles: the same cells give the same
 * JavaScript, the same declarations carried to the next cell, and the same diagnostics, with
 * and without the patch (each run in its own process, since the patch hooks module loading).
 */
import { spawnSync } from "child_process";
import * as path from "path";
import { describe, expect, it } from "vitest";
import { FIXTURES, ROOT } from "./helpers";

const CELLS = [
  'import { rng, logSumExp } from "latentlab";\nconst g = rng(3);',
  "const a = 41;\nconsole.log(a, g.normal());",
  "function check(x: number) { return x + a; }\nclass K { v = 1 }\nenum E { A, B }\ntype T = { u: number };\nlet q: T = { u: 2 };",
  "const s: string = logSumExp([1, 2]);", // a type error: must be reported, declarations kept
  "await new Promise((r) => setTimeout(r, 1));\nconst z = check(q.u) + E.B;\nz",
  "let untyped;\nuntyped = 3;\nfunction f(p) { return p * untyped; }\nf(2)", // strict is off in tslab
];

function compileAll(speedup: "0" | "1"): unknown {
  const script = `
    require(${JSON.stringify(path.join(ROOT, "kernel", "tslab-speedup.js"))}).install();
    const conv = require(${JSON.stringify(path.join(ROOT, "node_modules", "tslab", "dist", "converter.js"))});
    const c = conv.createConverter({ isJS: false, isBrowser: false });
    let prev = "";
    const out = [];
    for (const src of ${JSON.stringify(CELLS)}) {
      const r = c.convert(prev, src);
      out.push({ output: r.output, declOutput: r.declOutput, hasToplevelAwait: r.hasToplevelAwait,
        diagnostics: r.diagnostics.map((d) => [d.start.line, d.start.character, d.code, d.messageText]) });
      if (r.diagnostics.length === 0) prev = r.declOutput || "";
    }
    process.stdout.write(JSON.stringify(out));
    process.exit(0);`;
  const r = spawnSync(process.execPath, ["-e", script], {
    cwd: FIXTURES,
    env: { ...process.env, LATENTLAB_TSLAB_SPEEDUP: speedup },
    encoding: "utf8",
  });
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout);
}

describe("tslab speed-up patch", () => {
  it("compiles cells exactly as tslab does without it", () => {
    const plain = compileAll("0") as Array<{ diagnostics: unknown[]; declOutput?: string }>;
    const fast = compileAll("1");
    expect(fast).toEqual(plain);
    // The comparison is not vacuous: one cell has an error, later cells see earlier declarations.
    expect(plain.map((c) => c.diagnostics.length)).toEqual([0, 0, 0, 1, 0, 0]);
    expect(plain[2].declOutput).toContain("declare const a = 41;");
  }, 120_000);
});
