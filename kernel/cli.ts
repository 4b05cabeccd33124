import * as fs from "fs";
import * as path from "path";

/**
 * True when `filename` is the script node was started with (`tsx kernel/x.ts`, symlinks
 * resolved), so a module can be both a command and an importable API without side effects.
 */
export function isMainScript(filename: string): boolean {
  const arg = process.argv[1];
  if (!arg) return false;
  try {
    return fs.realpathSync(arg) === fs.realpathSync(filename);
  } catch {
    return path.resolve(arg) === filename;
  }
}
