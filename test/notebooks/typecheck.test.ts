/** Every notebook's code cells type-check with tslab's TypeScript 5.0 against lib/*.d.ts. */
import { spawnSync } from "child_process";
import * as path from "path";
import { describe, expect, it } from "vitest";

const ROOT = path.resolve(__dirname, "../..");
const TSX = path.join(ROOT, "node_modules", "tsx", "dist", "cli.mjs");
const SCRIPT = path.join(ROOT, "scripts", "typecheck-notebooks.ts");

function typecheck(args: string[]) {
  return spawnSync(process.execPath, [TSX, SCRIPT, ...args], { cwd: ROOT, encoding: "utf8" });
}

describe("typecheck:notebooks", () => {
  it("reports a wrong type as notebook / cell / line, with later cells seeing earlier declarations", () => {
    const r = typecheck([path.join(ROOT, "test", "fixtures", "typecheck", "bad-types.ipynb")]);
    expect(r.status).toBe(1);
    // Exactly one error: cell 2 line 2 (strict off: implicit any in cell 3 is fine; `g` from
    // cell 1 is known in cell 2; top-level await in cell 1 is allowed).
    expect(r.stdout).toContain(
      "bad-types / code cell 2 (id uses-earlier) / line 2:7  TS2322: Type 'number' is not assignable to type 'string'.",
    );
    expect(r.stdout).toMatch(/1 notebooks, 3 code cells, 1 errors \(tslab TypeScript 5\.0\.4/);
  }, 300_000);

  it("every notebooks/*.ipynb type-checks", () => {
    const r = typecheck([]);
    if (r.status !== 0) throw new Error(`typecheck:notebooks failed:\n${r.stdout}\n${r.stderr}`);
    expect(r.stdout).toMatch(/0 errors/);
  }, 600_000);
});
