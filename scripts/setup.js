#!/usr/bin/env node
// Set-up that `npm start` and `npm test` run first (as their pre-steps), so that the README's
// two commands work on a fresh clone:
//   1. npm dependencies (installed when node_modules is missing or older than package-lock.json),
//   2. Debian packages the run needs (installed with apt-get when running as root on Debian;
//      otherwise the exact command is printed):
//        - Jupyter's nbconvert + nbclient: one test executes a notebook under real Jupyter,
//        - chromium: figure export to SVG/PNG (HTML figures are written without it),
//        - dataset-fashion-mnist: the tests read its real IDX files,
//        - bubblewrap: the autograder's sandbox (npm run autograde; tested by test/grading),
//   3. lib/ compiled from src/ and the latentlab kernel registered (project-local .jupyter/).
// Plain JavaScript with no dependencies: it runs before anything is installed.
// Usage: node scripts/setup.js [--for test|start] [--no-system]
"use strict";
const fs = require("fs");
const path = require("path");
const { spawnSync, execFileSync } = require("child_process");

const ROOT = path.resolve(__dirname, "..");
const args = process.argv.slice(2);
const purpose = args.includes("--for") ? args[args.indexOf("--for") + 1] : "test";
const log = (m) => process.stderr.write(`setup: ${m}\n`);

function run(cmd, argv, opts = {}) {
  const r = spawnSync(cmd, argv, { stdio: "inherit", cwd: ROOT, ...opts });
  if (r.status !== 0) {
    log(`"${cmd} ${argv.join(" ")}" failed (exit ${r.status}${r.signal ? `, signal ${r.signal}` : ""}).`);
    process.exit(r.status || 1);
  }
}

// 1. npm dependencies
const lock = path.join(ROOT, "package-lock.json");
const installed = path.join(ROOT, "node_modules", ".package-lock.json");
const stale = !fs.existsSync(installed) || (fs.existsSync(lock) && fs.statSync(lock).mtimeMs > fs.statSync(installed).mtimeMs + 1000);
if (stale) {
  log("installing npm dependencies ...");
  run("npm", ["install", "--no-audit", "--no-fund"]);
}

// 2. Debian packages
function has(cmd) {
  return spawnSync("sh", ["-c", `command -v ${cmd}`], { stdio: "ignore" }).status === 0;
}
function pyHas(mod) {
  return fs.existsSync("/usr/bin/python3") && spawnSync("/usr/bin/python3", ["-c", `import ${mod}`], { stdio: "ignore" }).status === 0;
}
const missing = [];
if (purpose === "test" && !(has("jupyter") && pyHas("nbclient") && pyHas("nbformat") && pyHas("nbconvert"))) {
  missing.push("jupyter-nbconvert", "python3-nbclient", "python3-nbformat", "jupyter-notebook");
}
if (purpose === "test" && !fs.existsSync("/usr/share/datasets/fashion-mnist")) {
  missing.push("dataset-fashion-mnist"); // the real-file IDX loader test reads it
}
if (purpose === "test" && !has("bwrap")) {
  missing.push("bubblewrap"); // the autograder's sandbox (scripts/grading), tested by test/grading
}
const chromium = ["chromium", "chromium-browser", "google-chrome"].some(has) || !!process.env.LATENTLAB_CHROMIUM;
if (!chromium) missing.push("chromium");
if (missing.length && !args.includes("--no-system")) {
  const isRoot = typeof process.getuid === "function" && process.getuid() === 0;
  if (isRoot && has("apt-get")) {
    log(`installing Debian packages: ${missing.join(" ")} ...`);
    const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
    run("apt-get", ["update", "-qq"], { env });
    run("apt-get", ["install", "-y", "-qq", "--no-install-recommends", ...missing], { env });
  } else {
    log(
      `missing system packages: ${missing.join(" ")}.\n` +
        `  On Debian/Ubuntu: sudo apt-get install ${missing.join(" ")}\n` +
        `  Elsewhere: pip install jupyterlab nbconvert nbclient (Jupyter) and install Chrome or Chromium\n` +
        `  (or point LATENTLAB_CHROMIUM at one). Continuing: the parts that need them will say so.`,
    );
  }
}

// 3. lib/ and the kernel
const { ensureFresh } = require(path.join(ROOT, "kernel", "build-lib.js"));
const b = ensureFresh();
if (!b.ok) {
  process.stderr.write(b.message + "\n");
  log("src/ does not compile (errors above).");
  process.exit(1);
}
// V8's code cache for the kernel's big modules (kernel/code-cache.js): once, a few CPU-seconds.
const warmed = require(path.join(ROOT, "kernel", "code-cache.js")).warmIfNeeded([]);
if (warmed !== "present") log(`kernel code cache: ${warmed}`);
const installer = path.join(ROOT, "kernel", "install.js");
if (fs.existsSync(installer)) {
  const r = spawnSync(process.execPath, [installer], { stdio: "inherit", cwd: ROOT });
  if (r.status !== 0) process.exit(r.status || 1);
}
