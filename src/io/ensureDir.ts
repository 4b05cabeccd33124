/** Creating an output folder with an error that says what is in the way (no TensorFlow.js import). */
import * as fs from "fs";
import * as path from "path";
import { InputError } from "../runtime/validate";

/**
 * Create folder `dir` (and its parents) for writing, or say clearly why not: a path component
 * that is a file ("checkpoints/vae" saved under a file named vae), no permission, a full disk.
 */
export function ensureDir(dir: string, where = "Saving", remedy = "Pick another path, or move the file out of the way."): void {
  try {
    fs.mkdirSync(dir, { recursive: true });
    if (!fs.statSync(dir).isDirectory()) throw Object.assign(new Error("not a directory"), { code: "ENOTDIR" });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    // Find the part of the path that is in the way.
    let blocker = "";
    for (let p = path.resolve(dir); p !== path.dirname(p); p = path.dirname(p)) {
      try {
        if (!fs.statSync(p).isDirectory()) blocker = p;
      } catch {
        /* does not exist yet */
      }
    }
    const why =
      code === "EEXIST" || code === "ENOTDIR" || blocker
        ? `${blocker || dir} is a file, not a folder`
        : code === "EACCES" || code === "EPERM" || code === "EROFS"
          ? `no permission to write there (${code})`
          : (e as Error).message;
    throw new InputError(`${where}: cannot use ${dir} as a folder: ${why}. ${remedy}`, where);
  }
}

