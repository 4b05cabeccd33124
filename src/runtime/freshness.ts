/**
 * Guard against running a stale build inside the latentlab kernel.
 *
 * The kernel launcher (kernel/launch.js) rebuilds lib/ from src/ when src is newer, and
 * records a failed build in lib/.build-error. When the compiled library is loaded inside
 * the kernel, this module refuses to continue if the build failed or if src/ changed after
 * the build, with a message that says what to do.
 */
import * as fs from "fs";
import * as path from "path";

function newestMtime(dir: string): { mtime: number; file: string } {
  let best = { mtime: 0, file: "" };
  for (const ent of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, ent.name);
    if (ent.isDirectory()) {
      const sub = newestMtime(p);
      if (sub.mtime > best.mtime) best = sub;
    } else if (ent.name.endsWith(".ts")) {
      const m = fs.statSync(p).mtimeMs;
      if (m > best.mtime) best = { mtime: m, file: p };
    }
  }
  return best;
}

/** Throws if this compiled library is older than src/ or its build failed. No-op outside lib/. */
export function assertFreshBuild(libDir: string): void {
  if (path.basename(libDir) !== "lib") return; // running from sources (tests, tsx): always current
  const root = path.dirname(libDir);
  const errFile = path.join(libDir, ".build-error");
  if (fs.existsSync(errFile)) {
    throw new Error(
      `latentlab's sources in ${path.join(root, "src")} do not compile, so the library was not rebuilt:\n` +
        fs.readFileSync(errFile, "utf8").slice(0, 4000) +
        `\nFix the errors above, then restart the kernel (it rebuilds on start), or run "npm run build".`,
    );
  }
  const stamp = path.join(libDir, ".build-stamp");
  const srcDir = path.join(root, "src");
  if (!fs.existsSync(srcDir)) return;
  const built = fs.existsSync(stamp) ? fs.statSync(stamp).mtimeMs : 0;
  const newest = newestMtime(srcDir);
  if (newest.mtime > built) {
    throw new Error(
      `latentlab's compiled library (lib/) is older than ${path.relative(root, newest.file)}. ` +
        `Restart the kernel to rebuild it (Kernel > Restart), or run "npm run build".`,
    );
  }
}
