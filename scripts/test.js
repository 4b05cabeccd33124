#!/usr/bin/env node
// `npm test`: type-check (library, tests, scripts), type-check every notebook's code against
// the compiled library with tslab's own TypeScript, then vitest (unit tests, derivations,
// models, and every notebook executed in smoke mode through the headless runner, copies in
// build/notebooks-smoke/), then every notebook again in FULL mode (checkpoints loaded, every
// `if (!isSmoke())` check on a trained model active; copies in build/notebooks/, the same
// files `npm start` writes).
// Ends with one plain line "N passed, N failed" (vitest tests plus the two type-check stages).
// Arguments after `--` go to vitest: `npm test -- test/math` runs only those files (the full
// notebook stage then runs only if an argument names test/notebooks). LATENTLAB_TEST_FULL=0
// skips the full notebook stage.
"use strict";
const fs = require("fs");
const path = require("path");
const { spawnSync } = require("child_process");

const ROOT = path.resolve(__dirname, "..");
const vitestArgs = process.argv.slice(2);
const bin = (p) => path.join(ROOT, "node_modules", ...p.split("/"));
let passed = 0;
let failed = 0;
const failures = [];

function stage(name, cmd, argv, env = {}) {
  const t0 = Date.now();
  process.stdout.write(`\n=== ${name}\n`);
  const r = spawnSync(cmd, argv, { stdio: "inherit", cwd: ROOT, env: { ...process.env, ...env } });
  const secs = ((Date.now() - t0) / 1000).toFixed(1);
  process.stdout.write(`=== ${name}: ${r.status === 0 ? "ok" : "FAILED"} (${secs} s)\n`);
  return r.status === 0;
}

function check(name, ok) {
  if (ok) passed++;
  else {
    failed++;
    failures.push(name);
  }
}

const t0 = Date.now();
check("type-check src, test, scripts (tsc --strict)", stage("type-check (tsc -p tsconfig.json)", process.execPath, [bin("typescript/bin/tsc"), "-p", "tsconfig.json"]));
const tnb = path.join(ROOT, "scripts", "typecheck-notebooks.ts");
if (fs.existsSync(tnb)) {
  check("type-check notebooks (tslab's TypeScript 5.0)", stage("type-check notebooks", process.execPath, ["--import", "tsx", tnb]));
}

fs.mkdirSync(path.join(ROOT, "build"), { recursive: true });

/** One vitest run; its JSON results are added to the totals (labels prefixed by `tag`). */
function vitestStage(name, tag, argv, env) {
  const json = path.join(ROOT, "build", `test-results${tag ? "-" + tag : ""}.json`);
  fs.rmSync(json, { force: true });
  stage(name, process.execPath, [bin("vitest/vitest.mjs"), "run", "--reporter=default", "--reporter=json", `--outputFile.json=${json}`, ...argv], env);
  const prefix = tag ? `[${tag}] ` : "";
  if (!fs.existsSync(json)) {
    failed++;
    failures.push(`${prefix}vitest did not produce results (see its output above)`);
    return;
  }
  const res = JSON.parse(fs.readFileSync(json, "utf8"));
  passed += res.numPassedTests;
  failed += res.numFailedTests;
  // A file that fails to load has no failed tests but is a failure all the same.
  for (const f of res.testResults || []) {
    if (f.status === "failed" && !(f.assertionResults || []).some((a) => a.status === "failed")) {
      failed++;
      failures.push(`${prefix}${path.relative(ROOT, f.name)}: ${String(f.message || "failed to run").split("\n")[0]}`);
    }
    for (const a of f.assertionResults || []) if (a.status === "failed") failures.push(`${prefix}${path.relative(ROOT, f.name)} > ${a.fullName}`);
  }
  if (res.numTotalTests === 0) {
    failed++;
    failures.push(`${prefix}vitest ran no test`);
  }
}

vitestStage("vitest (notebooks in smoke mode)", "", vitestArgs, { LATENTLAB_SMOKE: "1", LATENTLAB_NOTEBOOKS_FULL: "" });

// Full mode: the mode an instructor uses and the one every trained-model claim is made in.
const fullWanted = process.env.LATENTLAB_TEST_FULL !== "0" && (vitestArgs.length === 0 || vitestArgs.some((a) => a.includes("notebooks")));
if (fullWanted) {
  vitestStage("notebooks in full mode (build/notebooks)", "full", ["test/notebooks/notebooks.test.ts"], { LATENTLAB_SMOKE: "1", LATENTLAB_NOTEBOOKS_FULL: "1" });
}

const mins = ((Date.now() - t0) / 60000).toFixed(1);
if (failures.length) {
  process.stdout.write(`\nFailures:\n${failures.map((f) => `  - ${f}`).join("\n")}\n`);
}
process.stdout.write(`\nnpm test finished in ${mins} min\n${passed} passed, ${failed} failed\n`);
process.exit(failed ? 1 : 0);
