/**
 * Verified downloads into the dataset cache.
 *
 * A file is fetched to a temporary file next to its destination while its SHA-256 is
 * computed, checked against the manifest (size and hash), and only then renamed into place
 * (an atomic rename on one file system). A mismatch deletes the temporary file and throws;
 * no half-written or unverified file is ever left under the final name.
 */
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { DatasetFileEntry, sha256File } from "./manifest";
import { ensureDir } from "../io/ensureDir";

/** The subset of the WHATWG fetch API that ensureFile uses (Node's global fetch fits). */
export type FetchLike = (url: string, init?: { signal?: AbortSignal }) => Promise<Response>;

export interface EnsureFileOptions {
  /** Folder the file is placed in (created if missing). */
  cacheDir: string;
  /** fetch implementation; default: Node's global fetch. */
  fetchImpl?: FetchLike;
  /** Abort one URL's download after this many milliseconds (default 10 minutes). */
  timeoutMs?: number;
  /** Progress/notice lines (default: none). */
  log?: (line: string) => void;
}

function placeManually(entry: DatasetFileEntry, dest: string): string {
  return (
    `To work offline, download it on a machine with internet from ${entry.urls[0]} ` +
    `and copy it to ${dest} (expected ${entry.bytes} bytes, SHA-256 ${entry.sha256}); ` +
    `set LATENTLAB_DATA_DIR to use another cache folder.`
  );
}

let tmpCounter = 0;

async function downloadOne(
  url: string,
  entry: DatasetFileEntry,
  dest: string,
  fetchImpl: FetchLike,
  timeoutMs: number,
): Promise<void> {
  const tmp = `${dest}.${process.pid}.${Date.now()}.${tmpCounter++}.part`;
  const signal = AbortSignal.timeout(timeoutMs);
  const res = await fetchImpl(url, { signal });
  if (!res.ok || !res.body) {
    throw new Error(`HTTP ${res.status} ${res.statusText}`.trim());
  }
  const hash = crypto.createHash("sha256");
  let got = 0;
  const fh = await fs.promises.open(tmp, "w");
  try {
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        got += chunk.byteLength;
        if (got > entry.bytes) {
          throw new DownloadMismatch(
            `${entry.name} from ${url}: the server sent more than the expected ${entry.bytes} bytes. ` +
              `The file at that URL is not the one in datasets/manifest.json; the partial download was deleted.`,
          );
        }
        hash.update(chunk);
        await fh.write(chunk);
      }
    } finally {
      await fh.close();
    }
    if (got !== entry.bytes) {
      throw new DownloadMismatch(
        `${entry.name} from ${url}: size mismatch: expected ${entry.bytes} bytes, got ${got}. ` +
          `The download was cut short or the file at that URL changed; the partial file was deleted. Try again, ` +
          placeManually(entry, dest),
      );
    }
    const digest = hash.digest("hex");
    if (digest !== entry.sha256) {
      throw new DownloadMismatch(
        `${entry.name} from ${url}: SHA-256 mismatch: expected ${entry.sha256}, got ${digest}. ` +
          `The file was deleted. The source may be corrupt or compromised; try again later or ` +
          placeManually(entry, dest),
      );
    }
    await fs.promises.rename(tmp, dest);
  } catch (e) {
    await fs.promises.rm(tmp, { force: true });
    throw e;
  }
}

/** A download that arrived but is not the file the manifest describes (not retried on mirrors). */
export class DownloadMismatch extends Error {
  override name = "DownloadMismatch";
}

/**
 * Make sure `entry` is present and verified in `opts.cacheDir`; return its path.
 * An existing file is re-checked (size + SHA-256); a wrong one is reported, not overwritten.
 * Otherwise each URL is tried in order: network errors fall through to the next mirror,
 * a size or hash mismatch throws at once.
 */
export async function ensureFile(entry: DatasetFileEntry, opts: EnsureFileOptions): Promise<string> {
  const dest = path.join(opts.cacheDir, entry.name);
  if (fs.existsSync(dest)) {
    const size = fs.statSync(dest).size;
    const digest = size === entry.bytes ? await sha256File(dest) : "(not computed: size differs)";
    if (size === entry.bytes && digest === entry.sha256) return dest;
    throw new Error(
      `${dest}: present but not the expected file: expected ${entry.bytes} bytes with SHA-256 ${entry.sha256}, ` +
        `got ${size} bytes with SHA-256 ${digest}. Delete it and run again to download a fresh copy.`,
    );
  }
  ensureDir(opts.cacheDir, `Downloading ${entry.name} into the data cache`, "Set LATENTLAB_DATA_DIR to a writable folder (the download cache), or fix its permissions.");
  const fetchImpl: FetchLike = opts.fetchImpl ?? ((url, init) => fetch(url, init));
  const timeoutMs = opts.timeoutMs ?? 600_000;
  const failures: string[] = [];
  for (const url of entry.urls) {
    opts.log?.(`downloading ${entry.name} (${(entry.bytes / 1e6).toFixed(1)} MB) from ${url}`);
    try {
      await downloadOne(url, entry, dest, fetchImpl, timeoutMs);
      return dest;
    } catch (e) {
      if (e instanceof DownloadMismatch) throw e;
      const err = e as Error & { cause?: { code?: string; message?: string } };
      const why = err.cause?.code ?? err.cause?.message ?? err.message;
      failures.push(`${url}: ${err.message}${why && why !== err.message ? ` (${why})` : ""}`);
    }
  }
  throw new Error(
    `Could not download ${entry.name}: ${failures.join("; ")}. ` +
      `Are you offline? ` +
      placeManually(entry, dest),
  );
}
