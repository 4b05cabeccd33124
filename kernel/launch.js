#!/usr/bin/env node
// The latentlab kernel: tslab, started so that
//  - notebooks import the library as "latentlab" (node_modules/latentlab -> this project),
//  - the library is rebuilt from src/ first whenever src/ changed (never a stale build),
//  - a Jupyter interrupt (SIGINT) also fires latentlab's abort signal, so long loops in src
//    stop at their next step instead of running on in the background,
//  - tslab is patched at load time (kernel/tslab-patches.js): serialized IOPub sends, Jupyter
//    `error` messages, clean interrupts, declarations kept after a failed cell, `aborted`,
//    execute_input with execution counts, latentlab importable from a notebook in any folder.
// Usage (from kernel.json): node kernel/launch.js <connection_file>
"use strict";
const path = require("path");
const { ensureFresh, ROOT } = require("./build-lib");

const connectionFile = process.argv[2];
if (!connectionFile) {
  process.stderr.write("usage: node kernel/launch.js <connection_file>\n");
  process.exit(2);
}

// TypeScript's compiler and TensorFlow.js from V8's code cache when it is there (kernel/code-cache.js).
require("./code-cache").install();

const build = ensureFresh();
if (!build.ok) {
  // Start anyway: the notebook's `import … from "latentlab"` then fails with the compiler's
  // errors (lib/.build-error), which the person at the notebook sees.
  process.stderr.write("latentlab: src/ does not compile; importing latentlab will show why.\n" + build.message + "\n");
}

process.env.LATENTLAB_KERNEL = "1";

// Started by latentlab's own client (the headless runner)? Then exit when that process is gone,
// even if it was killed without a chance to clean up: never an orphaned kernel. The watchdog
// runs in a worker thread so that it also fires while a cell blocks the main thread (while (true)).
const parentPid = Number(process.env.LATENTLAB_PARENT_PID || 0);
delete process.env.LATENTLAB_PARENT_PID;
if (parentPid > 0) {
  const { Worker } = require("worker_threads");
  const watchdog = new Worker(
    `const parent = ${parentPid};
     setInterval(() => {
       try { process.kill(parent, 0); }
       catch (e) { if (e && e.code === "ESRCH") process.kill(${process.pid}, "SIGKILL"); }
     }, 1000);`,
    { eval: true, stdout: false, stderr: false },
  );
  watchdog.unref();
}

// Cheaper per-cell compiles (same options, same diagnostics): see kernel/tslab-speedup.js.
require("./tslab-speedup").install();

// Output never lost, errors as Jupyter errors, interrupts that end with the library's own
// message, declarations kept after a failure, latentlab importable from any folder: see
// kernel/tslab-patches.js. With the patches, tslab's interrupt handler fires latentlab's
// abort signal itself (first), so only without them do we register that here.
const patched = require("./tslab-patches").install();
if (!patched) {
  // Registered before tslab's own SIGINT handler; both run. The abort module is loaded lazily
  // from the same path the notebook's import resolves to, so both see one module instance.
  process.on("SIGINT", () => {
    try {
      require(path.join(ROOT, "lib", "runtime", "abort.js")).interrupt();
    } catch {
      /* library not loaded or not built: tslab's own interrupt still applies */
    }
  });
}

const { startKernel } = require(require.resolve("tslab/dist/main.js", { paths: [ROOT] }));
startKernel({ configPath: connectionFile, enableFindLocal: false, jsKernel: false, globalVersion: "" });
