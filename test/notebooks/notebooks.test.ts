/**
 * Every notebooks/*.ipynb executes end to end in smoke mode (LATENTLAB_SMOKE=1) through the
 * headless runner, one test per notebook (new notebooks are picked up automatically).
 * Executed copies go to build/notebooks/.
 */
import * as fs from "fs";
import * as path from "path";
import { describe, expect, it } from "vitest";
import { runNotebook } from "../../kernel/run-notebooks";
import { validateNbformat } from "../kernel/helpers";

const DIR = path.resolve(__dirname, "../../notebooks");
const notebooks = fs.existsSync(DIR) ? fs.readdirSync(DIR).filter((f) => f.endsWith(".ipynb")).sort() : [];

describe("notebooks (smoke mode)", () => {
  it("there are notebooks to run", () => {
    expect(notebooks.length).toBeGreaterThan(0);
  });

  for (const file of notebooks) {
    it(file, async () => {
      const r = await runNotebook(path.join(DIR, file), {
        smoke: true,
        timeoutSeconds: Number(process.env.LATENTLAB_CELL_TIMEOUT) || 300,
        log: () => {},
      });
      if (!r.ok) throw new Error(r.message ?? `${file}: ${r.status}`);
      expect(r.executedCells).toBe(r.codeCells);
      validateNbformat(r.outPath);
    }, 900_000);
  }
});
