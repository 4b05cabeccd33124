/**
 * Every file a notebook names exists, and the published numbers a notebook quotes next to
 * "REFERENCES.md" are on that page. Runs over every notebooks/*.ipynb (new ones included).
 *
 * A "file a notebook names" is a path under one of the project's folders (src/…, test/…,
 * bench/…, checkpoints/…, scripts/…, datasets/…, kernel/…, notebooks/…, homework/…) or a bare
 * Markdown file name (REFERENCES.md, README.md), in prose or code. Folder names ending in "/"
 * must be folders; a path without an extension may name a file with one (src/prob → src/prob/).
 */
import * as fs from "fs";
import * as path from "path";
import { describe, expect, it } from "vitest";

const ROOT = path.resolve(__dirname, "../..");
const DIR = path.join(ROOT, "notebooks");
const notebooks = fs.existsSync(DIR) ? fs.readdirSync(DIR).filter((f) => f.endsWith(".ipynb") && !f.startsWith(".")).sort() : [];

const cellsOf = (file: string): string[] =>
  (JSON.parse(fs.readFileSync(path.join(DIR, file), "utf8")).cells as { source: string | string[] }[]).map((c) => ([] as string[]).concat(c.source).join(""));

const FOLDERS = ["src", "test", "bench", "checkpoints", "scripts", "datasets", "kernel", "notebooks", "homework"];
const PATH_RE = new RegExp(`(?<![\\w./-])(?:${FOLDERS.join("|")})/[\\w./-]*[\\w/]|(?<![\\w./-])[A-Z][A-Z_]*\\.md\\b`, "g");

/** The project files a piece of notebook text names. */
export function namedFiles(text: string): string[] {
  return [...new Set(text.match(PATH_RE) ?? [])];
}

function exists(p: string): boolean {
  const abs = path.join(ROOT, p);
  if (fs.existsSync(abs)) return true;
  // a module named without its extension (src/em/kmeans), as imports do
  return [".ts", ".js", ".json"].some((ext) => fs.existsSync(abs + ext));
}

/** Decimal numbers with two or more decimals (86.76, 0.9113): the published values quoted. */
const quotedNumbers = (text: string) => [...new Set(text.match(/(?<![\w.])\d+\.\d{2,}(?![\d.])/g) ?? [])];

describe("files and references named by the notebooks", () => {
  it("the matcher finds paths and bare Markdown names, and nothing else", () => {
    expect(namedFiles("see `src/em/gmm.ts`, REFERENCES.md and TensorFlow.js; bench/workloads/vae.ts; 1.5 src/prob")).toEqual([
      "src/em/gmm.ts",
      "REFERENCES.md",
      "bench/workloads/vae.ts",
      "src/prob",
    ]);
    expect(exists("src/no-such-file.ts")).toBe(false);
  });

  for (const file of notebooks) {
    it(`${file}: every file it names exists`, () => {
      const missing = namedFiles(cellsOf(file).join("\n")).filter((p) => !exists(p));
      expect(missing, `${file} names files that are not in the project`).toEqual([]);
    });
    it(`${file}: the numbers quoted beside "REFERENCES.md" are on that page`, () => {
      const refs = fs.existsSync(path.join(ROOT, "REFERENCES.md")) ? fs.readFileSync(path.join(ROOT, "REFERENCES.md"), "utf8") : "";
      const missing: string[] = [];
      for (const cell of cellsOf(file).filter((c) => c.includes("REFERENCES.md")))
        for (const n of quotedNumbers(cell)) if (!refs.includes(n)) missing.push(n);
      expect(missing, `${file} quotes numbers next to REFERENCES.md that REFERENCES.md does not list`).toEqual([]);
    });
  }
});
