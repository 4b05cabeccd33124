#!/usr/bin/env node
// Rebuild lib/ from src/ when src/ is newer than the last build (or always with --force).
// Used by the kernel launcher at every start and by `npm run build`. Plain JavaScript on
// purpose: it must run before anything is compiled.
"use strict";
const fs = require("fs");
const path = require("path");
const { spawnSync } = require("child_process");

const ROOT = path.resolve(__dirname, "..");
const LIB = path.join(ROOT, "lib");
const STAMP = path.join(LIB, ".build-stamp");
const ERR = path.join(LIB, ".build-error");

function newestMtime(dir, exts) {
  let best = 0;
  if (!fs.existsSync(dir)) return 0;
  for (const ent of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, ent.name);
    if (ent.isDirectory()) best = Math.max(best, newestMtime(p, exts));
    else if (exts.some((e) => ent.name.endsWith(e))) best = Math.max(best, fs.statSync(p).mtimeMs);
  }
  return best;
}

/** True when lib/ is missing, failed last time, or older than src/ or the tsconfigs. */
function isStale() {
  if (!fs.existsSync(STAMP) || fs.existsSync(ERR)) return true;
  const built = fs.statSync(STAMP).mtimeMs;
  const src = newestMtime(path.join(ROOT, "src"), [".ts", ".json"]);
  const cfg = Math.max(
    ...["tsconfig.json", "tsconfig.build.json", "package.json"].map((f) =>
      fs.existsSync(path.join(ROOT, f)) ? fs.statSync(path.join(ROOT, f)).mtimeMs : 0,
    ),
  );
  return src > built || cfg > built;
}

/** Make `import … from "latentlab"` resolve to this folder: node_modules/latentlab -> .. */
function ensureSelfLink() {
  const link = path.join(ROOT, "node_modules", "latentlab");
  try {
    if (fs.realpathSync(link) === fs.realpathSync(ROOT)) return;
    fs.rmSync(link, { recursive: true, force: true });
  } catch {
    /* missing: create below */
  }
  fs.mkdirSync(path.dirname(link), { recursive: true });
  fs.symlinkSync(path.relative(path.dirname(link), ROOT) || "..", link, "dir");
}

/**
 * Build when stale. Returns { built, ok, message }. On a compile error lib/.build-error
 * holds the compiler's output and the library refuses to load until it is fixed.
 */
function ensureFresh({ force = false, quiet = false } = {}) {
  ensureSelfLink();
  if (!force && !isStale()) return { built: false, ok: true, message: "lib/ is up to date" };
  // Several kernels (tests, `npm run figures`, a notebook server) may start at once: one builds,
  // the others wait for it and then re-check, instead of running tsc on the same files at once.
  const release = acquireBuildLock(quiet);
  try {
    if (!force && !isStale()) return { built: false, ok: true, message: "lib/ is up to date (built by another process)" };
    return build(quiet);
  } finally {
    release();
  }
}

const LOCK = path.join(LIB, ".build-lock");

function sleepSync(ms) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** An exclusive lock (a directory, created atomically) with the holder's pid; stale locks are taken over. */
function acquireBuildLock(quiet) {
  const deadline = Date.now() + 300_000;
  let said = false;
  fs.mkdirSync(LIB, { recursive: true });
  for (;;) {
    try {
      fs.mkdirSync(LOCK);
      fs.writeFileSync(path.join(LOCK, "pid"), String(process.pid));
      return () => fs.rmSync(LOCK, { recursive: true, force: true });
    } catch (e) {
      if (e.code !== "EEXIST") throw e;
    }
    let holderAlive = true;
    try {
      const pid = Number(fs.readFileSync(path.join(LOCK, "pid"), "utf8"));
      if (pid > 0) process.kill(pid, 0);
    } catch (e) {
      // No pid file yet (being created) counts as alive unless the lock is old.
      if (e.code === "ESRCH") holderAlive = false;
      else if (e.code === "ENOENT") holderAlive = Date.now() - safeMtime(LOCK) < 10_000;
    }
    if (!holderAlive || Date.now() > deadline) {
      fs.rmSync(LOCK, { recursive: true, force: true });
      continue;
    }
    if (!said && !quiet) {
      process.stderr.write("latentlab: waiting for another process that is building lib/ ...\n");
      said = true;
    }
    sleepSync(200);
  }
}

/**
 * Remove the build lock if process `pid` holds it and is gone (a kernel killed while it was
 * rebuilding lib/: the runner calls this when it reaps such a kernel, so no stale lock is left).
 */
function releaseLockOf(pid, lock = LOCK) {
  if (!pid) return false;
  let holder = 0;
  try {
    holder = Number(fs.readFileSync(path.join(lock, "pid"), "utf8"));
  } catch {
    return false;
  }
  if (holder !== pid) return false;
  try {
    process.kill(pid, 0);
    return false; // still alive
  } catch (e) {
    if (e.code !== "ESRCH") return false;
  }
  fs.rmSync(lock, { recursive: true, force: true });
  return true;
}

function safeMtime(p) {
  try {
    return fs.statSync(p).mtimeMs;
  } catch {
    return 0;
  }
}

function build(quiet) {
  const tsc = require.resolve("typescript/bin/tsc", { paths: [ROOT] });
  const t0 = Date.now();
  if (!quiet) process.stderr.write("latentlab: compiling src/ to lib/ ...\n");
  const r = spawnSync(process.execPath, [tsc, "-p", path.join(ROOT, "tsconfig.build.json")], {
    cwd: ROOT,
    encoding: "utf8",
  });
  fs.mkdirSync(LIB, { recursive: true });
  if (r.status !== 0) {
    const out = (r.stdout || "") + (r.stderr || "") || String(r.error);
    fs.writeFileSync(ERR, out);
    return { built: false, ok: false, message: out };
  }
  fs.rmSync(ERR, { force: true });
  fs.writeFileSync(STAMP, new Date(t0).toISOString() + "\n");
  // The stamp carries the build's START time: a source edited during the build is newer, so the
  // next check rebuilds instead of trusting a build that may have missed the edit.
  fs.utimesSync(STAMP, t0 / 1000, t0 / 1000);
  const message = `latentlab: lib/ rebuilt in ${((Date.now() - t0) / 1000).toFixed(1)} s`;
  if (!quiet) process.stderr.write(message + "\n");
  return { built: true, ok: true, message };
}

module.exports = { ensureFresh, isStale, ensureSelfLink, releaseLockOf, LOCK, ROOT };

if (require.main === module) {
  const res = ensureFresh({ force: process.argv.includes("--force") });
  if (!res.ok) {
    process.stderr.write(res.message + "\nlatentlab: the build failed (errors above).\n");
    process.exit(1);
  }
  if (!res.built) process.stderr.write(res.message + "\n");
}
