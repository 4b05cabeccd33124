/**
 * The IDX file format of MNIST and Fashion-MNIST (LeCun et al.), raw or gzip-compressed.
 *
 * Layout: a 4-byte magic number `0x00 0x00 <type> <ndim>` (type 0x08 = unsigned byte; so
 * 0x00000803 for a stack of images [count, rows, cols] and 0x00000801 for a label vector
 * [count]), then `ndim` big-endian uint32 sizes, then prod(sizes) bytes of data.
 *
 * Every reader here either returns the whole array or throws an Error that names the file,
 * says what was wrong (expected vs got) and what to do: never a partial dataset.
 */
import * as fs from "fs";
import * as zlib from "zlib";

/** A decoded unsigned-byte IDX array. */
export interface IdxArray {
  /** Sizes of each dimension, e.g. [10000, 28, 28]. */
  readonly dims: number[];
  /** prod(dims) bytes, row-major. */
  readonly data: Uint8Array;
}

const IDX_UBYTE = 0x08;
const TYPE_NAMES: Record<number, string> = {
  0x08: "unsigned byte",
  0x09: "signed byte",
  0x0b: "int16",
  0x0c: "int32",
  0x0d: "float32",
  0x0e: "float64",
};

/** True when the bytes start with the gzip magic 0x1f 0x8b. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

const REDOWNLOAD =
  "The file is damaged or not an IDX file: delete it and download it again " +
  '(loadDataset(name, { download: true }) fetches and checks it), or restore the original copy.';

/**
 * Decompress `bytes` if they are gzip (detected by the magic bytes, not the file name);
 * otherwise return them unchanged. A damaged gzip stream throws, naming `file`.
 */
export function gunzipIfNeeded(bytes: Uint8Array, file: string): Uint8Array {
  if (!isGzip(bytes)) return bytes;
  try {
    const out = zlib.gunzipSync(bytes);
    return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    throw new Error(
      `${file}: starts like a gzip file (bytes 1f 8b) but does not decompress: ${msg}. ` +
        `It is probably truncated or corrupt (size ${bytes.length} bytes). ${REDOWNLOAD}`,
    );
  }
}

/**
 * Parse an uncompressed IDX buffer of unsigned bytes. Checks the magic number, the number
 * of dimensions (`expectNdim`, if given) and that the data length is exactly prod(dims).
 */
export function parseIdx(bytes: Uint8Array, file: string, expectNdim?: number): IdxArray {
  if (bytes.length < 4) {
    throw new Error(`${file}: ${bytes.length} bytes, too short to hold the 4-byte IDX magic number. ${REDOWNLOAD}`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = view.getUint32(0, false);
  const type = bytes[2];
  const ndim = bytes[3];
  const hex = (x: number) => "0x" + x.toString(16).padStart(8, "0");
  if (bytes[0] !== 0 || bytes[1] !== 0 || !(type in TYPE_NAMES) || ndim === 0) {
    const expected = expectNdim === undefined ? "0x000008NN" : hex(0x0800 + expectNdim);
    throw new Error(`${file}: bad IDX magic number: expected ${expected}, got ${hex(magic)}. ${REDOWNLOAD}`);
  }
  if (type !== IDX_UBYTE) {
    throw new Error(
      `${file}: IDX element type ${TYPE_NAMES[type]} (magic ${hex(magic)}) is not supported; ` +
        `latentlab reads unsigned-byte IDX files (magic 0x0000080N) such as MNIST and Fashion-MNIST.`,
    );
  }
  if (expectNdim !== undefined && ndim !== expectNdim) {
    throw new Error(
      `${file}: expected an IDX file with ${expectNdim} dimension(s) (magic ${hex(0x0800 + expectNdim)}), ` +
        `got ${ndim} (magic ${hex(magic)}). Check that the images and labels files are not swapped.`,
    );
  }
  const headerBytes = 4 + 4 * ndim;
  if (bytes.length < headerBytes) {
    throw new Error(
      `${file}: truncated IDX header: expected ${headerBytes} bytes for ${ndim} dimension sizes, got ${bytes.length}. ${REDOWNLOAD}`,
    );
  }
  const dims: number[] = [];
  let size = 1;
  for (let i = 0; i < ndim; i++) {
    const d = view.getUint32(4 + 4 * i, false);
    dims.push(d);
    size *= d;
  }
  const expectedBytes = headerBytes + size;
  if (bytes.length !== expectedBytes) {
    const what = bytes.length < expectedBytes ? "truncated" : "longer than its header says";
    throw new Error(
      `${file}: ${what}: header says dims [${dims.join(", ")}], so expected ${expectedBytes} bytes ` +
        `(${headerBytes} header + ${size} data), got ${bytes.length}. ${REDOWNLOAD}`,
    );
  }
  return { dims, data: bytes.subarray(headerBytes) };
}

/** Read a whole file, turning "not found" and other IO errors into messages that say what to do. */
export function readFileBytes(file: string): Uint8Array {
  try {
    const b = fs.readFileSync(file);
    return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT") {
      throw new Error(
        `${file}: file not found. Place the file there, or load the dataset with ` +
          `loadDataset(name, { download: true }) (needs internet), see datasets/README.md.`,
      );
    }
    throw new Error(`${file}: cannot read it (${(e as Error).message}). Check the path and its permissions.`);
  }
}

/** Read an IDX file (raw or gzip) from disk. */
export function readIdxFile(file: string, expectNdim?: number): IdxArray {
  return parseIdx(gunzipIfNeeded(readFileBytes(file), file), file, expectNdim);
}

/** Images from an IDX3 file, scaled to [0, 1]: x = byte / 255. */
export interface IdxImages {
  readonly images: Float32Array;
  readonly count: number;
  readonly height: number;
  readonly width: number;
}

/** Convert an IDX3 array (or the decoded bytes of one) to Float32 images x = byte / 255. */
export function idxToImages(arr: IdxArray, file: string): IdxImages {
  if (arr.dims.length !== 3) {
    throw new Error(`${file}: expected image dims [count, rows, cols], got [${arr.dims.join(", ")}].`);
  }
  const [count, height, width] = arr.dims;
  const images = new Float32Array(arr.data.length);
  const lut = new Float32Array(256);
  for (let v = 0; v < 256; v++) lut[v] = v / 255;
  const src = arr.data;
  for (let i = 0; i < src.length; i++) images[i] = lut[src[i]];
  return { images, count, height, width };
}

/** Read an images file (magic 0x00000803) as Float32 values in [0, 1]. */
export function readIdxImages(file: string): IdxImages {
  return idxToImages(readIdxFile(file, 3), file);
}

/** Read a labels file (magic 0x00000801). Labels are copied (not a view into the file buffer). */
export function readIdxLabels(file: string): Uint8Array {
  return Uint8Array.from(readIdxFile(file, 1).data);
}
