/**
 * Subsets, stratified train/test splits and shuffled mini-batches of an ImageDataset.
 * All randomness comes from the Rng passed in.
 */
import { Rng } from "../runtime/rng";
import { ImageDataset } from "./mnist";

function checkDataset(ds: ImageDataset, where: string): void {
  if (!ds || !(ds.images instanceof Float32Array) || !(ds.labels instanceof Uint8Array)) {
    throw new Error(`${where}: expected an ImageDataset { images: Float32Array, labels: Uint8Array, count, height, width }.`);
  }
  const d = ds.height * ds.width;
  if (ds.images.length !== ds.count * d || ds.labels.length !== ds.count) {
    throw new Error(
      `${where}: dataset "${ds.name}" is inconsistent: count ${ds.count}, ${ds.height}x${ds.width} images need ` +
        `${ds.count * d} pixels and ${ds.count} labels, got ${ds.images.length} pixels and ${ds.labels.length} labels.`,
    );
  }
}

/** The images and labels at `indices` (in that order; repeats allowed), as a new dataset. */
export function subset(ds: ImageDataset, indices: ArrayLike<number>, name?: string): ImageDataset {
  checkDataset(ds, "subset");
  const d = ds.height * ds.width;
  const n = indices.length;
  const images = new Float32Array(n * d);
  const labels = new Uint8Array(n);
  for (let k = 0; k < n; k++) {
    const i = indices[k];
    if (!Number.isInteger(i) || i < 0 || i >= ds.count) {
      throw new Error(`subset: index ${i} (position ${k}) is outside 0..${ds.count - 1} of dataset "${ds.name}".`);
    }
    images.set(ds.images.subarray(i * d, (i + 1) * d), k * d);
    labels[k] = ds.labels[i];
  }
  return { name: name ?? `${ds.name}[${n}]`, images, labels, count: n, height: ds.height, width: ds.width, source: ds.source };
}

export interface StratifiedSplit {
  readonly train: ImageDataset;
  readonly test: ImageDataset;
  /** Indices into the original dataset, ascending; disjoint, and together all of 0..count-1. */
  readonly trainIndices: Int32Array;
  readonly testIndices: Int32Array;
}

/**
 * Split per class: of the n_c examples of class c, round(testFraction * n_c) chosen uniformly
 * at random (from `rng`) go to test, the rest to train. Class proportions are kept in both
 * parts up to rounding (at most one example per class); the parts never overlap.
 */
export function stratifiedSplit(ds: ImageDataset, opts: { testFraction: number; rng: Rng }): StratifiedSplit {
  checkDataset(ds, "stratifiedSplit");
  const { testFraction, rng } = opts ?? ({} as { testFraction: number; rng: Rng });
  if (!(testFraction > 0 && testFraction < 1)) {
    throw new Error(`stratifiedSplit: testFraction must be in (0, 1); got ${testFraction}.`);
  }
  if (!rng || typeof rng.int !== "function") {
    throw new Error("stratifiedSplit: pass { testFraction, rng } with a seeded Rng, e.g. rng(0).");
  }
  const byClass = new Map<number, number[]>();
  for (let i = 0; i < ds.count; i++) {
    const c = ds.labels[i];
    let list = byClass.get(c);
    if (!list) byClass.set(c, (list = []));
    list.push(i);
  }
  const isTest = new Uint8Array(ds.count);
  for (const c of [...byClass.keys()].sort((a, b) => a - b)) {
    const list = byClass.get(c)!;
    rng.shuffle(list);
    const nTest = Math.round(testFraction * list.length);
    for (let k = 0; k < nTest; k++) isTest[list[k]] = 1;
  }
  const trainIdx: number[] = [];
  const testIdx: number[] = [];
  for (let i = 0; i < ds.count; i++) (isTest[i] ? testIdx : trainIdx).push(i);
  const trainIndices = Int32Array.from(trainIdx);
  const testIndices = Int32Array.from(testIdx);
  return {
    train: subset(ds, trainIndices, `${ds.name}/train`),
    test: subset(ds, testIndices, `${ds.name}/test`),
    trainIndices,
    testIndices,
  };
}

export interface BatchOptions {
  /** Drop the last batch if it has fewer than batchSize indices (default false: keep it). */
  dropLast?: boolean;
}

/**
 * Shuffled mini-batches for one epoch: a fresh permutation of 0..n-1 from `rng`, cut into
 * consecutive batches of `batchSize` indices (each index appears exactly once per epoch,
 * except those of a dropped partial last batch). `data` is a dataset or a count n.
 */
export function* batches(
  data: ImageDataset | number,
  batchSize: number,
  rng: Rng,
  opts: BatchOptions = {},
): Generator<Int32Array, void, undefined> {
  const n = typeof data === "number" ? data : data.count;
  if (!Number.isInteger(n) || n < 0) throw new Error(`batches: dataset size must be a non-negative integer; got ${n}.`);
  if (!Number.isInteger(batchSize) || batchSize <= 0) {
    throw new Error(`batches: batchSize must be a positive integer; got ${batchSize}.`);
  }
  if (!rng || typeof rng.permutation !== "function") throw new Error("batches(ds, batchSize, rng): pass a seeded Rng.");
  const perm = rng.permutation(n);
  for (let start = 0; start < n; start += batchSize) {
    const end = Math.min(start + batchSize, n);
    if (end - start < batchSize && opts.dropLast) return;
    yield perm.slice(start, end);
  }
}

/** The flattened pixels of the examples at `indices` (for building a batch tensor). */
export function gatherImages(ds: ImageDataset, indices: ArrayLike<number>): Float32Array {
  return subset(ds, indices).images;
}
