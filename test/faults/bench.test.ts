/**
 * Fault suite: failing and mistyped bench runs never overwrite the last good results.
 * Each case runs `bench/run.ts` against fixture workloads (test/fixtures/bench) with its results
 * in a temporary folder that already holds "good" results.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { parseBenchArgs } from "../../bench/run";
import { InputError } from "../../src/runtime/validate";

const ROOT = path.resolve(__dirname, "../..");
const TSX = path.join(ROOT, "node_modules", "tsx", "dist", "cli.mjs");
const FIXTURES = path.join(ROOT, "test", "fixtures", "bench");
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "latentlab-bench-faults-"));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const GOOD = '{"good": "the results of an earlier successful run"}\n';

function bench(...args: string[]) {
  return spawnSync(process.execPath, [TSX, path.join(ROOT, "bench", "run.ts"), "--workloads-dir", FIXTURES, "--results-dir", dir, ...args], {
    cwd: ROOT,
    encoding: "utf8",
    timeout: 120_000,
  });
}

describe("bench runs over existing results", () => {
  beforeEach(() => {
    fs.writeFileSync(path.join(dir, "results.json"), GOOD);
    fs.writeFileSync(path.join(dir, "results.md"), GOOD);
  });

  it("parses its flags strictly: --reps abc / 0 / 1.5, a mistyped flag, a missing value", () => {
    expect(parseBenchArgs(["kmeans", "--reps", "3", "--only=a,b"]).reps).toBe(3);
    for (const bad of ["abc", "0", "1.5", "-2", ""]) {
      expect(() => parseBenchArgs(["--reps", bad])).toThrow(InputError);
      expect(() => parseBenchArgs(["--reps", bad])).toThrow(/--reps must be a positive integer/);
    }
    expect(() => parseBenchArgs(["--rpes", "3"])).toThrow(/unknown option --rpes\. Did you mean --reps\?/);
    expect(() => parseBenchArgs(["--ful"])).toThrow(/Did you mean --full\?/);
    expect(() => parseBenchArgs(["--reps"])).toThrow(/--reps needs a value/);
  });

  it("--reps abc and a mistyped flag exit 2 before running anything; the results are untouched", () => {
    for (const args of [["--reps", "abc"], ["--reps", "0"], ["--rpes", "2"]]) {
      const r = bench("fixture-ok", ...args);
      expect(r.status, r.stderr).toBe(2);
      expect(r.stderr).toMatch(/--reps must be a positive integer|unknown option --rpes/);
      expect(fs.readFileSync(path.join(dir, "results.json"), "utf8")).toBe(GOOD);
    }
  }, 120_000);

  it("a failing workload exits 1, keeps the previous results, and writes its rows beside them", () => {
    const r = bench("fixture-failing");
    expect(r.status, r.stdout + r.stderr).toBe(1);
    expect(r.stderr).toMatch(/bench run failed \(1 implementation\(s\) failed: fixture-failing\/broken\)/);
    expect(fs.readFileSync(path.join(dir, "results.json"), "utf8")).toBe(GOOD);
    expect(fs.readFileSync(path.join(dir, "results.md"), "utf8")).toBe(GOOD);
    const failed = JSON.parse(fs.readFileSync(path.join(dir, "results.failed.json"), "utf8"));
    expect(failed.results[0].reason).toMatch(/deliberate failure in the fixture workload/);
    expect(fs.readdirSync(dir).filter((f) => f.endsWith(".new"))).toEqual([]);
  }, 120_000);

  it("a successful run replaces the results (and only then)", () => {
    const r = bench("fixture-ok", "--reps", "2");
    expect(r.status, r.stdout + r.stderr).toBe(0);
    const res = JSON.parse(fs.readFileSync(path.join(dir, "results.json"), "utf8"));
    expect(res.results).toHaveLength(1);
    expect(res.results[0].repetitions).toBe(2);
    expect(res.results[0].metrics.sum).toBe((1e5 * (1e5 - 1)) / 2);
    expect(fs.existsSync(path.join(dir, "results.failed.json"))).toBe(false);
  }, 120_000);
});
