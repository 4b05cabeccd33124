/**
 * Loaders that turn MNIST-format IDX files into an `ImageDataset`, checked against the
 * manifest's checksums, plus the `loadDataset(name)` front door.
 */
import * as fs from "fs";
import * as path from "path";
import { ImageDataset, loadEmbeddedMnist } from "./mnist";
import { gunzipIfNeeded, idxToImages, isGzip, parseIdx, readFileBytes } from "./idx";
import { dataCacheDir, DatasetEntry, datasetEntry, DatasetFileEntry, sha256Hex } from "./manifest";
import { ensureFile, FetchLike } from "./download";

export type Split = "train" | "test";

/** The names in datasets/manifest.json. */
export type DatasetName = "mnist-embedded" | "mnist" | "fashion-mnist";

/** Label names of a dataset, index = label (e.g. "Ankle boot" is 9 in Fashion-MNIST). */
export function datasetClasses(name: DatasetName | (string & {})): string[] {
  const e = datasetEntry(name);
  return e.classes ? [...e.classes] : ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"];
}

export interface IdxLoadOptions {
  /** "train" (60,000 images) or "test" (10,000); default "train". */
  split?: Split;
  /**
   * Check each file against the manifest (default true): the .gz SHA-256, or the SHA-256 of
   * the decompressed content where the manifest has one; otherwise header, sizes and counts.
   */
  verify?: boolean;
}

/** File-name stems of the standard four files: train-images-idx3-ubyte, t10k-labels-idx1-ubyte, ... */
function stem(split: Split, kind: "images" | "labels"): string {
  return `${split === "train" ? "train" : "t10k"}-${kind}-${kind === "images" ? "idx3" : "idx1"}-ubyte`;
}

/** The file for (split, kind) in `dir`: the .gz, the raw file, or the "name.idx3-ubyte" variant. */
function findIdxFile(dir: string, split: Split, kind: "images" | "labels"): string | null {
  const s = stem(split, kind);
  const dotted = s.replace(/-(idx[13]-ubyte)$/, ".$1");
  for (const name of [`${s}.gz`, s, dotted, `${dotted}.gz`]) {
    const p = path.join(dir, name);
    if (fs.existsSync(p)) return p;
  }
  return null;
}

function validateSplit(split: unknown): Split {
  if (split !== "train" && split !== "test") {
    throw new Error(`split must be "train" or "test"; got ${JSON.stringify(split)}.`);
  }
  return split;
}

/**
 * Decode one IDX file and check it against its manifest entry. Returns the decoded bytes and
 * a short note on how it was verified. Throws (naming the file) on any mismatch.
 */
function readVerified(
  file: string,
  ndim: number,
  entry: DatasetFileEntry | undefined,
  dataset: string,
  verify: boolean,
): { dims: number[]; data: Uint8Array; verified: string } {
  const bytes = readFileBytes(file);
  let verified = !verify ? "not verified (verify: false)" : "structure checked (not in the manifest)";
  let fileHash: string | null = null;
  if (verify && entry && isGzip(bytes) && bytes.length === entry.bytes) {
    fileHash = sha256Hex(bytes);
    if (fileHash === entry.sha256) verified = "SHA-256 of the .gz matches the manifest";
  }
  const raw = gunzipIfNeeded(bytes, file);
  if (verify && entry && !verified.startsWith("SHA")) {
    const c = entry.content;
    if (c?.sha256) {
      const got = sha256Hex(raw);
      if (got !== c.sha256) {
        throw new Error(
          `${file}: bad checksum: the ${raw.length}-byte IDX content should have SHA-256 ${c.sha256} ` +
            `(${dataset}/${c.name}, ${c.bytes} bytes, datasets/manifest.json), got ${got}. ` +
            `The file is damaged or is not the official ${dataset} file: delete it and download it again ` +
            `(loadDataset("${dataset}", { download: true })), or pass { verify: false } to load it anyway.`,
        );
      }
      verified = "SHA-256 of the decompressed content matches the manifest";
    } else if (isGzip(bytes)) {
      throw new Error(
        `${file}: bad checksum: expected the official ${entry.name} (${entry.bytes} bytes, SHA-256 ${entry.sha256}), ` +
          `got ${bytes.length} bytes with SHA-256 ${fileHash ?? sha256Hex(bytes)}; the manifest has no checksum of the ` +
          `decompressed content to fall back on. Download the file again (loadDataset("${dataset}", { download: true })), ` +
          `or gunzip it (raw files are checked by structure), or pass { verify: false }.`,
      );
    } else {
      verified = "structure checked (no published SHA-256 for the uncompressed file)";
    }
    if (c && raw.length !== c.bytes) {
      throw new Error(
        `${file}: expected ${c.bytes} bytes of IDX content for ${dataset}/${c.name}, got ${raw.length}. ` +
          `Delete it and download it again, or pass { verify: false } for a non-standard file.`,
      );
    }
  }
  const arr = parseIdx(raw, file, ndim);
  return { ...arr, verified };
}

const loaded = new Map<string, ImageDataset>();

/** Forget the memoized IDX datasets (the 60,000-image train sets take about 190 MB each). */
export function clearLoadedDatasets(): void {
  loaded.clear();
}

function loadIdxPair(dir: string, dataset: string, opts: IdxLoadOptions): ImageDataset {
  const split = validateSplit(opts.split ?? "train");
  const verify = opts.verify ?? true;
  const imagesFile = findIdxFile(dir, split, "images");
  const labelsFile = findIdxFile(dir, split, "labels");
  if (!imagesFile || !labelsFile) {
    const missing = [!imagesFile && stem(split, "images"), !labelsFile && stem(split, "labels")].filter(Boolean);
    throw new Error(
      `${dir}: missing ${missing.join(" and ")} (.gz or raw) for the ${split} split of ${dataset}. ` +
        `Put the standard IDX files there, or use loadDataset("${dataset}", { download: true }) (see datasets/README.md).`,
    );
  }
  const key = `${dataset}|${imagesFile}|${labelsFile}|${verify}`;
  const hit = loaded.get(key);
  if (hit) return hit;

  let entry: DatasetEntry | undefined;
  try {
    entry = datasetEntry(dataset);
  } catch {
    entry = undefined; // not in the manifest: structure checks only
  }
  const fileEntry = (kind: "images" | "labels") => entry?.files.find((f) => f.split === split && f.kind === kind);
  const img = readVerified(imagesFile, 3, fileEntry("images"), dataset, verify);
  const lab = readVerified(labelsFile, 1, fileEntry("labels"), dataset, verify);
  const [count, height, width] = img.dims;
  if (lab.dims[0] !== count) {
    throw new Error(
      `${dataset} ${split}: ${imagesFile} holds ${count} images but ${labelsFile} holds ${lab.dims[0]} labels. ` +
        `The two files do not belong together: use the images and labels of the same split and release.`,
    );
  }
  const nClasses = entry?.classes?.length ?? 256;
  const labels = Uint8Array.from(lab.data);
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] >= nClasses) {
      throw new Error(
        `${labelsFile}: label ${labels[i]} at index ${i} is outside 0..${nClasses - 1} for ${dataset}. The file is damaged: download it again.`,
      );
    }
  }
  const { images } = idxToImages(img, imagesFile);
  const ds: ImageDataset = {
    name: `${dataset}-${split}`,
    images,
    labels,
    count,
    height,
    width,
    source: `${imagesFile} (${img.verified}); ${labelsFile} (${lab.verified})`,
  };
  loaded.set(key, ds);
  return ds;
}

/**
 * MNIST (or any MNIST-format set) from a folder holding the standard files
 * `train-images-idx3-ubyte[.gz]`, `train-labels-idx1-ubyte[.gz]`, `t10k-…`.
 * Pixels x = byte / 255 in [0, 1]. `dataset` names the manifest entry the files are checked
 * against (default "mnist"; a name not in the manifest gets structure checks only).
 * Results are memoized per file pair: treat the arrays as read-only.
 */
export function loadMnistIdx(dir: string, opts: IdxLoadOptions & { dataset?: string } = {}): ImageDataset {
  return loadIdxPair(dir, opts.dataset ?? "mnist", opts);
}

/** Folders searched, in order, for a dataset's IDX files: its manifest localDirs, then the cache. */
export function datasetSearchDirs(name: string): string[] {
  const e = datasetEntry(name);
  return [...(e.localDirs ?? []), path.join(dataCacheDir(), name)];
}

function findDir(name: string, split: Split, dirs: string[]): string | null {
  for (const d of dirs) {
    if (findIdxFile(d, split, "images") && findIdxFile(d, split, "labels")) return d;
  }
  return null;
}

function notFound(name: string, split: Split, dirs: string[]): Error {
  const apt = name === "fashion-mnist" ? `install Debian's copy (apt install dataset-fashion-mnist), or ` : "";
  return new Error(
    `${name} (${split} split): ${stem(split, "images")} and ${stem(split, "labels")} (.gz or raw) were not found in ` +
      `${dirs.join(", ")}. To get them: ${apt}run loadDataset("${name}", { split: "${split}", download: true }) ` +
      `with internet, or copy the files listed in datasets/manifest.json into ${path.join(dataCacheDir(), name)} ` +
      `(LATENTLAB_DATA_DIR changes the cache folder).`,
  );
}

export interface FashionMnistOptions extends IdxLoadOptions {
  /** Folder with the four files; default: /usr/share/datasets/fashion-mnist, then the cache. */
  dir?: string;
}

/**
 * Fashion-MNIST (Xiao et al. 2017): 10 classes of 28x28 grey clothing images, pixels in [0, 1].
 * Looks in `dir`, else Debian's /usr/share/datasets/fashion-mnist (package dataset-fashion-mnist),
 * else `<cache>/fashion-mnist`. Files are checked against datasets/manifest.json.
 */
export function loadFashionMnist(opts: FashionMnistOptions | string = {}): ImageDataset {
  const o: FashionMnistOptions = typeof opts === "string" ? { dir: opts } : opts;
  const split = validateSplit(o.split ?? "train");
  if (o.dir) return loadIdxPair(o.dir, "fashion-mnist", { ...o, split });
  const dirs = datasetSearchDirs("fashion-mnist");
  const dir = findDir("fashion-mnist", split, dirs);
  if (!dir) throw notFound("fashion-mnist", split, dirs);
  return loadIdxPair(dir, "fashion-mnist", { ...o, split });
}

export interface LoadDatasetOptions extends IdxLoadOptions {
  /** Folder to read from instead of the default search (manifest localDirs, then the cache). */
  dir?: string;
  /** Download missing files into the cache (verified against the manifest). Default false. */
  download?: boolean;
  fetchImpl?: FetchLike;
  log?: (line: string) => void;
}

/**
 * Load a dataset by its manifest name: "mnist-embedded" (10,000 digits, offline, no split),
 * "mnist" or "fashion-mnist" (IDX files; `split` "train" or "test").
 */
export async function loadDataset(name: DatasetName | (string & {}), opts: LoadDatasetOptions = {}): Promise<ImageDataset> {
  const entry = datasetEntry(name);
  if (entry.loader === "embedded") {
    if (opts.split !== undefined) {
      throw new Error(
        `"${name}" has no predefined train/test split. Load it without { split } and use ` +
          `stratifiedSplit(ds, { testFraction, rng }) to make one.`,
      );
    }
    return loadEmbeddedMnist();
  }
  const split = validateSplit(opts.split ?? "train");
  if (opts.dir) return loadIdxPair(opts.dir, name, { ...opts, split });
  const dirs = datasetSearchDirs(name);
  let dir = findDir(name, split, dirs);
  if (!dir && opts.download) {
    const cacheDir = path.join(dataCacheDir(), name);
    for (const f of entry.files.filter((x) => x.split === split)) {
      await ensureFile(f, { cacheDir, fetchImpl: opts.fetchImpl, log: opts.log ?? ((l) => console.log(l)) });
    }
    dir = cacheDir;
  }
  if (!dir) throw notFound(name, split, dirs);
  return loadIdxPair(dir, name, { ...opts, split });
}
