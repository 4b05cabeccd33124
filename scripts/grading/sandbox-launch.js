#!/usr/bin/env node
// The latentlab kernel as it runs INSIDE the grading sandbox (scripts/grading/sandbox-kernel.js
// starts it under bubblewrap). It is kernel/launch.js without the two things a read-only,
// isolated file system cannot do: it never rebuilds lib/ (the grader builds it before the
// batch and the sandbox sees lib/ read-only) and it has no parent watchdog (the parent pid is
// not visible in the sandbox's pid namespace; bwrap --die-with-parent does that job).
// Usage: node scripts/grading/sandbox-launch.js <connection_file> <project root>
"use strict";
const path = require("path");

const [connectionFile, root] = process.argv.slice(2);
if (!connectionFile || !root) {
  process.stderr.write("usage: node sandbox-launch.js <connection_file> <project root>\n");
  process.exit(2);
}
process.env.LATENTLAB_KERNEL = "1";
try {
  // Big modules from V8's code cache, warmed by the grader for the sandbox's node flags.
  require(path.join(root, "kernel", "code-cache.js")).install();
} catch {
  /* an older checkout: compile from source */
}

// The same tslab patches as kernel/launch.js (Jupyter error messages, declarations kept after a
// failed cell, clean interrupts); only without them the abort signal is wired here.
let patched = false;
try {
  patched = require(path.join(root, "kernel", "tslab-patches.js")).install();
} catch {
  patched = false; // an older checkout without the patches: tslab as shipped
}
if (!patched) {
  process.on("SIGINT", () => {
    try {
      require(path.join(root, "lib", "runtime", "abort.js")).interrupt();
    } catch {
      /* library not loaded: tslab's own interrupt still applies */
    }
  });
}

require(path.join(root, "kernel", "tslab-speedup.js")).install();
const { startKernel } = require(require.resolve("tslab/dist/main.js", { paths: [root] }));
startKernel({ configPath: connectionFile, enableFindLocal: false, jsKernel: false, globalVersion: "" });
