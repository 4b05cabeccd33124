// V8 code cache for the grading kernels: each sandboxed kernel loads the same large modules
// (TypeScript for tslab, 8 MB; TensorFlow.js; mathjs) and compiles the same functions again.
// Node 20 has no built-in compile cache, so this does what v8-compile-cache does, for the
// large CommonJS files only (>= MIN_BYTES):
//  - record mode (`node code-cache.js <dir> <project root>`, run once per grading batch by
//    scripts/grading/sandbox.ts with the batch's copy of lib/, OUTSIDE the sandbox and with no student code): loads tslab's
//    TypeScript and the library, compiles a cell that imports latentlab the way tslab does,
//    then writes V8's cached data of every large module (after the run, so it also holds the
//    functions compiled lazily while running) to <dir>/<sha1 of the source>.bin;
//  - read mode (`install(dir)`, in scripts/grading/sandbox-launch.js inside the sandbox, where
//    <dir> is read-only): compiles those modules with the cached data. V8 checks the data
//    against the source and its own flags and ignores it when they differ (then the module
//    compiles as usual), so a stale or foreign cache can cost time but never change a result.
// Modules are compiled with the same CommonJS wrapper and run with the same arguments as
// Node's own loader.
"use strict";
const crypto = require("crypto");
const fs = require("fs");
const path = require("path");
const vm = require("vm");
const Module = require("module");

const MIN_BYTES = 200 * 1024;
let installed = null;

function keyOf(content) {
  return crypto.createHash("sha1").update(content).digest("hex");
}

/** Compile large modules with cached data from `dir` (and, with record: true, keep them to save later). */
function install(dir, { record = false } = {}) {
  if (installed) return installed;
  const state = { dir, record, scripts: [], hits: 0, misses: 0, rejected: 0 };
  installed = state;
  const original = Module.prototype._compile;
  Module.prototype._compile = function (content, filename) {
    if (typeof content !== "string" || content.length < MIN_BYTES || !filename.endsWith(".js")) {
      return original.call(this, content, filename);
    }
    const key = keyOf(content);
    let cachedData;
    try {
      cachedData = fs.readFileSync(path.join(dir, `${key}.bin`));
    } catch {
      cachedData = undefined;
    }
    let script;
    try {
      script = new vm.Script(Module.wrap(content.replace(/^#!.*/, "")), { filename, cachedData });
    } catch {
      return original.call(this, content, filename); // let Node report the syntax error as usual
    }
    if (cachedData === undefined) state.misses++;
    else if (script.cachedDataRejected) state.rejected++;
    else state.hits++;
    if (record) state.scripts.push({ key, script });
    const fn = script.runInThisContext({ displayErrors: true });
    const mod = this;
    const require = (id) => mod.require(id);
    require.resolve = (request, options) => Module._resolveFilename(request, mod, false, options);
    require.main = process.mainModule;
    require.cache = Module._cache;
    return fn.call(mod.exports, mod.exports, require, mod, filename, path.dirname(filename));
  };
  return state;
}

/** Write the cached data of every recorded module (record mode). Returns the number written. */
function save() {
  if (!installed || !installed.record) return 0;
  fs.mkdirSync(installed.dir, { recursive: true });
  let n = 0;
  for (const { key, script } of installed.scripts) {
    fs.writeFileSync(path.join(installed.dir, `${key}.bin`), script.createCachedData());
    n++;
  }
  return n;
}

module.exports = { install, save, MIN_BYTES };

// Record mode: NODE_PATH=<project>/node_modules node code-cache.js <dir> <project root> <lib dir>
// (the lib dir is the batch's copy of lib/, outside the project: NODE_PATH lets it find its packages)
if (require.main === module) {
  const [dir, root, lib] = process.argv.slice(2);
  if (!dir || !root || !lib) {
    process.stderr.write("usage: node scripts/grading/code-cache.js <cache dir> <project root> <lib dir>\n");
    process.exit(2);
  }
  install(dir, { record: true });
  const req = Module.createRequire(path.join(root, "package.json"));
  const ts = req("@tslab/typescript-for-tslab");
  req("tslab/dist/converter.js");
  req(path.join(lib, "index.js"));
  // Compile a cell that imports the library, as tslab does (this runs the type checker's code paths).
  const probe = path.join(fs.mkdtempSync(path.join(require("os").tmpdir(), "latentlab-cache-probe-")), "cell.ts");
  fs.writeFileSync(probe, 'import { rng, assertClose } from "latentlab";\nexport const r = rng(1).uniform();\nassertClose("x", r, r);\n');
  const program = ts.createProgram([probe], {
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Node10,
    esModuleInterop: true,
    target: ts.ScriptTarget.ES2022,
    lib: ["lib.es2022.d.ts"],
    declaration: true,
    skipLibCheck: true,
    typeRoots: ts.getDefaultTypeRoots(root, ts.sys),
    paths: { latentlab: [path.join(lib, "index.d.ts")], "*": ["node_modules/*", "node_modules/@types/*"] },
    baseUrl: root,
    noEmit: false,
    outDir: path.dirname(probe),
  });
  ts.getPreEmitDiagnostics(program);
  program.emit();
  fs.rmSync(path.dirname(probe), { recursive: true, force: true });
  const n = save();
  process.stdout.write(`code cache: ${n} modules -> ${dir}\n`);
}
