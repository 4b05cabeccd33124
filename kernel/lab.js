#!/usr/bin/env node
// `npm run lab [-- <jupyter args…>]`: build lib/, register the latentlab kernel in the project
// (.jupyter/), then start JupyterLab (or the classic Notebook) on notebooks/ with JUPYTER_PATH
// pointing at it. Without any Jupyter installed, say how to install one and exit 1.
"use strict";
const fs = require("fs");
const path = require("path");
const { spawn } = require("child_process");
const { ensureFresh } = require("./build-lib");
const { install, localJupyterPath, ROOT } = require("./install");

const INSTALL_HELP = `latentlab: no Jupyter found on PATH (looked for "jupyter-lab" and "jupyter-notebook").
Install one, then run "npm run lab" again:
  pip install jupyterlab                      (any OS; in a virtualenv or with --user)
  sudo apt-get install jupyter-notebook       (Debian/Ubuntu: the classic Notebook)
or use the kernel from an existing Jupyter: npm run kernel:install -- --user
`;

/** First executable called `name` on PATH, or null. */
function which(name, envPath = process.env.PATH || "") {
  const exts = process.platform === "win32" ? (process.env.PATHEXT || ".EXE;.CMD;.BAT").split(";") : [""];
  for (const dir of envPath.split(path.delimiter)) {
    if (!dir) continue;
    for (const ext of exts) {
      const p = path.join(dir, name + ext);
      try {
        fs.accessSync(p, fs.constants.X_OK);
        if (fs.statSync(p).isFile()) return p;
      } catch {
        /* not here */
      }
    }
  }
  return null;
}

/** ["jupyter-lab" path, "lab"] or ["jupyter-notebook" path, "notebook"] or null. */
function findJupyter() {
  const lab = which("jupyter-lab");
  if (lab) return { exe: lab, kind: "lab" };
  const nb = which("jupyter-notebook");
  if (nb) return { exe: nb, kind: "notebook" };
  return null;
}

function main() {
  const extra = process.argv.slice(2);
  const jupyter = findJupyter();
  if (!jupyter) {
    process.stderr.write(INSTALL_HELP);
    process.exit(1);
  }
  const build = ensureFresh();
  if (!build.ok) {
    process.stderr.write(build.message + "\nlatentlab: src/ does not compile; fix the errors above first.\n");
    process.exit(1);
  }
  install();
  const jp = [localJupyterPath(), process.env.JUPYTER_PATH].filter(Boolean).join(path.delimiter);
  const env = { ...process.env, JUPYTER_PATH: jp };
  const notebooks = path.join(ROOT, "notebooks");
  const args = [`--notebook-dir=${notebooks}`, ...extra];
  // Jupyter refuses to start as root (containers, CI boxes) unless told it is deliberate.
  if (typeof process.getuid === "function" && process.getuid() === 0 && !extra.includes("--allow-root")) {
    args.push("--allow-root");
    process.stdout.write("latentlab: running as root, so passing --allow-root to Jupyter\n");
  }
  process.stdout.write(`latentlab: starting ${path.basename(jupyter.exe)} on ${notebooks}\n`);
  const child = spawn(jupyter.exe, args, { stdio: "inherit", env, cwd: notebooks });
  // Ctrl-C reaches Jupyter directly (same terminal process group): ignore it here and let
  // Jupyter ask its usual "Shut down?" question; forward a SIGTERM.
  process.on("SIGINT", () => {});
  process.on("SIGTERM", () => child.kill("SIGTERM"));
  child.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}

module.exports = { findJupyter, which, INSTALL_HELP };

if (require.main === module) main();
