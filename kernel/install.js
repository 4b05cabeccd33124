#!/usr/bin/env node
// Register the latentlab kernel with Jupyter: writes a kernelspec (kernel.json + logos) named
// "latentlab". Plain Node, no Python, no Jupyter needed to install it.
//
//   node kernel/install.js            project-local: <project>/.jupyter/kernels/latentlab
//                                      (Jupyter finds it with JUPYTER_PATH=<project>/.jupyter;
//                                       `npm run lab` and the headless runner set that for you)
//   node kernel/install.js --user     the user's Jupyter data dir, so every Jupyter sees it
//                                      ($JUPYTER_DATA_DIR, else ~/.local/share/jupyter on Linux,
//                                       ~/Library/Jupyter on macOS, %APPDATA%\jupyter on Windows)
//
// Idempotent: rewrites the same files; prints where it wrote.
"use strict";
const fs = require("fs");
const os = require("os");
const path = require("path");
const zlib = require("zlib");

const ROOT = path.resolve(__dirname, "..");
const KERNEL_NAME = "latentlab";
const DISPLAY_NAME = "TypeScript (latentlab)";

/** The kernel.json contents: absolute node + absolute launcher, so PATH does not matter. */
function kernelSpec(nodePath = process.execPath) {
  return {
    argv: [nodePath, path.join(ROOT, "kernel", "launch.js"), "{connection_file}"],
    display_name: DISPLAY_NAME,
    language: "typescript",
    interrupt_mode: "signal",
    metadata: { debugger: false },
  };
}

/** <project>/.jupyter: the directory to put on JUPYTER_PATH. */
function localJupyterPath() {
  return path.join(ROOT, ".jupyter");
}

/** The user's Jupyter data directory, as jupyter_core computes it (without Python). */
function userDataDir(env = process.env, platform = process.platform, home = os.homedir()) {
  if (env.JUPYTER_DATA_DIR) return path.resolve(env.JUPYTER_DATA_DIR);
  if (platform === "darwin") return path.join(home, "Library", "Jupyter");
  if (platform === "win32") return path.join(env.APPDATA || path.join(home, "AppData", "Roaming"), "jupyter");
  const xdg = env.XDG_DATA_HOME || path.join(home, ".local", "share");
  return path.join(xdg, "jupyter");
}

function kernelDir({ user = false } = {}) {
  const base = user ? userDataDir() : localJupyterPath();
  return path.join(base, "kernels", KERNEL_NAME);
}

// ---- a tiny PNG logo (a 2-D Gaussian "latent" blob), encoded by hand: no image library ----

function crc32(buf) {
  let c = ~0 >>> 0;
  for (let i = 0; i < buf.length; i++) {
    c ^= buf[i];
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
  }
  return ~c >>> 0;
}

function pngChunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type, "ascii"), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(td));
  return Buffer.concat([len, td, crc]);
}

function logoPng(size) {
  const raw = Buffer.alloc(size * (size * 4 + 1));
  const c = (size - 1) / 2;
  for (let y = 0; y < size; y++) {
    raw[y * (size * 4 + 1)] = 0; // filter: none
    for (let x = 0; x < size; x++) {
      const dx = (x - c) / (size * 0.22);
      const dy = (y - c) / (size * 0.32);
      const g = Math.exp(-0.5 * (dx * dx + dy * dy - 1.2 * dx * dy)); // correlated Gaussian density
      const o = y * (size * 4 + 1) + 1 + x * 4;
      raw[o] = Math.round(30 + 225 * g); // from deep blue to warm orange
      raw[o + 1] = Math.round(60 + 110 * g);
      raw[o + 2] = Math.round(140 - 110 * g);
      raw[o + 3] = 255;
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 6; // RGBA
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk("IHDR", ihdr),
    pngChunk("IDAT", zlib.deflateSync(raw)),
    pngChunk("IEND", Buffer.alloc(0)),
  ]);
}

/** Write the kernelspec; returns the directory written. */
function install({ user = false, quiet = false } = {}) {
  const dir = kernelDir({ user });
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, "kernel.json"), JSON.stringify(kernelSpec(), null, 1) + "\n");
  fs.writeFileSync(path.join(dir, "logo-32x32.png"), logoPng(32));
  fs.writeFileSync(path.join(dir, "logo-64x64.png"), logoPng(64));
  if (!quiet) {
    process.stdout.write(`latentlab: kernel "${KERNEL_NAME}" (${DISPLAY_NAME}) written to ${dir}\n`);
    if (user) {
      process.stdout.write(
        `latentlab: notebooks in any folder can now use it: pick the kernel "${DISPLAY_NAME}" and ` +
          `\`import … from "latentlab"\` resolves to ${ROOT} (rebuilt from src/ when it changed).\n`,
      );
    } else {
      process.stdout.write(
        `latentlab: Jupyter finds it with JUPYTER_PATH=${localJupyterPath()} (npm run lab sets this); ` +
          `for every Jupyter on this machine run: npm run kernel:install -- --user\n`,
      );
    }
  }
  return dir;
}

module.exports = { install, kernelSpec, kernelDir, userDataDir, localJupyterPath, KERNEL_NAME, DISPLAY_NAME, ROOT };

if (require.main === module) {
  const args = process.argv.slice(2);
  const unknown = args.filter((a) => a !== "--user");
  if (unknown.length > 0) {
    process.stderr.write(`usage: node kernel/install.js [--user]   (unknown argument: ${unknown.join(" ")})\n`);
    process.exit(2);
  }
  install({ user: args.includes("--user") });
}
