// Make tslab's per-cell compile cheap. Loaded by kernel/launch.js before tslab.
//
// tslab compiles each cell with a TypeScript watch program whose default builder
// (EmitAndSemanticDiagnosticsBuilderProgram) rebuilds a BuilderState — the reference map of
// EVERY file in the program — for every cell. Once a notebook imports latentlab, the program
// holds TensorFlow.js's few hundred .d.ts files, and that bookkeeping alone cost ~100 ms of CPU
// per cell (measured: 125 ms -> 26 ms per trivial cell with this patch; see kernel/measure.ts).
// tslab only uses the builder for getAllDependencies (to find the cell's local .ts/.js
// dependencies); every file in the program is reachable from the cell or from earlier cells'
// declarations, so "all non-declaration files of the program" gives the same files.
//
// The compiler options, the diagnostics and the emitted code are tslab's own, unchanged.
// Off with LATENTLAB_TSLAB_SPEEDUP=0. A no-op unless the TypeScript that tslab loads offers
// createAbstractBuilder (tslab 1.0.x ships TypeScript 5.0.4).
"use strict";
const Module = require("module");

let installed = false;

function patchTypescript(ts) {
  if (typeof ts.createAbstractBuilder !== "function" || typeof ts.createWatchCompilerHost !== "function") return ts;
  const patched = { __esModule: true, default: ts };
  for (const key of Object.keys(ts)) {
    if (key === "createWatchCompilerHost" || key === "default" || key === "__esModule") continue;
    Object.defineProperty(patched, key, { enumerable: true, get: () => ts[key] });
  }
  Object.defineProperty(patched, "createWatchCompilerHost", {
    enumerable: true,
    value: function createWatchCompilerHost(...args) {
      const host = ts.createWatchCompilerHost(...args);
      host.createProgram = (...programArgs) => {
        const builder = ts.createAbstractBuilder(...programArgs);
        // tslab reads sourceFile.locals right after a rebuild; they exist once the files are
        // bound, which the default builder did as a side effect of creating a type checker.
        builder.getProgram().getTypeChecker();
        builder.getAllDependencies = () =>
          builder
            .getProgram()
            .getSourceFiles()
            .filter((f) => !f.isDeclarationFile)
            .map((f) => f.fileName);
        return builder;
      };
      return host;
    },
  });
  return patched;
}

/** Hook the loading of tslab's TypeScript by tslab's converter (only there). Idempotent. */
function install() {
  if (installed || process.env.LATENTLAB_TSLAB_SPEEDUP === "0") return false;
  installed = true;
  const load = Module._load;
  const cache = new WeakMap();
  Module._load = function (request, parent, isMain) {
    const mod = load.apply(this, arguments);
    if (
      request === "@tslab/typescript-for-tslab" &&
      parent &&
      /[\\/]tslab[\\/]dist[\\/]converter\.js$/.test(parent.filename || "")
    ) {
      if (!cache.has(mod)) cache.set(mod, patchTypescript(mod));
      return cache.get(mod);
    }
    return mod;
  };
  return true;
}

module.exports = { install, patchTypescript };
