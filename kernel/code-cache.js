// V8's code cache for the kernel's big modules.
//
// Every kernel loads about 16 MB of JavaScript from node_modules: TypeScript's compiler (8 MB,
// for tslab) and TensorFlow.js's bundles. Node 20 compiles them from source in every process
// (module.enableCompileCache() is Node 22). Here the kernel compiles each module of 100 KB or
// more in node_modules through vm.Script with V8's cached data, read from
// node_modules/.cache/latentlab-v8/. V8 accepts a cache only for the same V8 version, the same
// V8 flags and a source of the same length, and otherwise compiles from source as usual
// (cachedDataRejected); the cache file's name also carries the module's path, package version
// and size, the Node version and the process's flags, so that a cache is never looked up for
// other code. Kernels only read the cache. `node kernel/code-cache.js --warm [node flags…]`
// writes it: it loads tslab's compiler, compiles two cells that import latentlab, loads the
// library, then saves each module's code, including the functions compiled while it ran, which
// is what spares a kernel most of the compiling. scripts/setup.js warms it for the kernel's flags
// and the grader for the sandbox's (scripts/grading/sandbox.ts).
//
// Measured (issue 14): about 0.2–0.3 CPU-s less per kernel start.
// Off with LATENTLAB_CODE_CACHE=0; LATENTLAB_CODE_CACHE_DIR puts the cache elsewhere (tests).
"use strict";
const fs = require("fs");
const path = require("path");
const Module = require("module");
const vm = require("vm");

const ROOT = path.resolve(__dirname, "..");
const CACHE_DIR = process.env.LATENTLAB_CODE_CACHE_DIR || path.join(ROOT, "node_modules", ".cache", "latentlab-v8");
const MIN_BYTES = 100_000;
/** LATENTLAB_CODE_CACHE=0 (or false/no/off, as src/runtime/env.ts parses it) turns the cache off. */
const off = () => /^(0|false|no|off)$/i.test((process.env.LATENTLAB_CODE_CACHE || "").trim());

let installed = false;
/** Modules compiled without a usable cache in this process: [script, cache file]. */
const misses = [];
/** What this process compiled through the cache: modules whose cache V8 accepted, and the others. */
const stats = { hits: 0, misses: 0 };

/** FNV-1a, 32 bits, as 8 hex digits (no crypto: its first use costs more than the hash). */
function fnv(text) {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, "0");
}

/** The version of the package that holds `file` (its nearest package.json), or "". */
function packageVersion(file) {
  for (let dir = path.dirname(file); dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const p = path.join(dir, "package.json");
    try {
      const v = JSON.parse(fs.readFileSync(p, "utf8")).version;
      if (typeof v === "string") return v;
    } catch {
      /* no package.json here */
    }
  }
  return "";
}

/** The cache file for a module's source in this process (V8 version and flags in the key). */
function cacheFile(filename, length, flags = process.execArgv) {
  const key = [filename, length, packageVersion(filename), process.version, process.versions.v8, ...flags.filter((f) => f.startsWith("--") && !/^--(require|import|eval|print|loader|experimental-loader|input-type|inspect|title)\b/.test(f))].join("\n");
  return path.join(CACHE_DIR, `${path.basename(filename).replace(/[^\w.-]/g, "_")}-${fnv(key)}.v8`);
}

function eligible(filename, content) {
  return content.length >= MIN_BYTES && filename.includes(`${path.sep}node_modules${path.sep}`) && !filename.includes(`${path.sep}.cache${path.sep}`);
}

/** A module's `require`, as Node makes it (resolve, main, extensions, cache). */
function requireFor(mod) {
  const req = (id) => mod.require(id);
  req.resolve = (request, options) => Module._resolveFilename(request, mod, false, options);
  req.resolve.paths = (request) => Module._resolveLookupPaths(request, mod);
  req.main = process.mainModule;
  req.extensions = Module._extensions;
  req.cache = Module._cache;
  return req;
}

/** Compile big node_modules modules with V8's code cache from now on (idempotent). */
function install() {
  if (installed || off()) return false;
  installed = true;
  const compile = Module.prototype._compile;
  Module.prototype._compile = function (content, filename) {
    if (typeof content !== "string" || !eligible(filename, content)) return compile.call(this, content, filename);
    const file = cacheFile(filename, content.length);
    let cached;
    try {
      cached = fs.readFileSync(file);
    } catch {
      cached = undefined;
    }
    let script;
    try {
      script = new vm.Script(Module.wrap(content), { filename, cachedData: cached });
    } catch {
      return compile.call(this, content, filename); // a syntax error: let Node report it its own way
    }
    if (!cached || script.cachedDataRejected) {
      misses.push([script, file]);
      stats.misses++;
    } else stats.hits++;
    const fn = script.runInThisContext({ displayErrors: true });
    return fn.call(this.exports, this.exports, requireFor(this), this, filename, path.dirname(filename));
  };
  return true;
}

/** Write the cache of every module that had none (or a rejected one); false where it cannot. */
function save() {
  let written = 0;
  try {
    fs.mkdirSync(CACHE_DIR, { recursive: true });
  } catch {
    return 0;
  }
  for (const [script, file] of misses.splice(0)) {
    try {
      const tmp = `${file}.${process.pid}.tmp`;
      fs.writeFileSync(tmp, script.createCachedData());
      fs.renameSync(tmp, file); // atomic: a kernel reads a whole cache or none
      written++;
    } catch {
      /* read-only or full: kernels compile from source */
    }
  }
  return written;
}

/** Load what a kernel loads and compiles, then save the caches (the --warm command). */
function warm() {
  install();
  const cwd = process.cwd();
  try {
    process.chdir(path.join(ROOT, "notebooks"));
    require("./tslab-speedup").install();
    require("./tslab-patches").install();
    const conv = require(require.resolve("tslab/dist/converter.js", { paths: [ROOT] }));
    const c = conv.createConverter({ isJS: false, isBrowser: false });
    const first = c.convert("", 'import { rng, assertClose } from "latentlab";\nconst g = rng(3);');
    c.convert(first.declOutput || "", "const x: number = g.normal();\nassertClose(\"x\", x, x);");
    c.close?.();
    require(path.join(ROOT, "lib", "index.js"));
  } finally {
    process.chdir(cwd);
  }
  return save();
}

/**
 * Warm the cache for kernels started with node `flags` unless TypeScript's compiler already has
 * one: runs `node <flags> kernel/code-cache.js --warm` (a few CPU-seconds, once). Returns what
 * happened, for a log line; never throws.
 */
function warmIfNeeded(flags = []) {
  if (off()) return "off (LATENTLAB_CODE_CACHE=0)";
  try {
    const ts = require.resolve("@tslab/typescript-for-tslab", { paths: [path.dirname(require.resolve("tslab/package.json", { paths: [ROOT] }))] });
    let text = fs.readFileSync(ts, "utf8");
    if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    if (fs.existsSync(cacheFile(ts, text.length, flags))) return "present";
    const r = require("child_process").spawnSync(process.execPath, [...flags, __filename, "--warm"], { cwd: ROOT, encoding: "utf8", timeout: 120_000 });
    return r.status === 0 ? "written" : `not written (${(r.stderr || r.error || "").toString().trim().split("\n").pop()})`;
  } catch (e) {
    return `not written (${e && e.message})`;
  }
}

module.exports = { install, save, warm, warmIfNeeded, cacheFile, stats, CACHE_DIR };

if (require.main === module) {
  if (process.argv[2] !== "--warm") {
    process.stderr.write("usage: node [flags] kernel/code-cache.js --warm\n");
    process.exit(2);
  }
  const n = warm();
  process.stdout.write(`latentlab: V8 code cache: ${n} module(s) written to ${path.relative(process.cwd(), CACHE_DIR) || CACHE_DIR}\n`);
  process.exit(0);
}
