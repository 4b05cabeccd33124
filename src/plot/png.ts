/**
 * A small PNG encoder for 8-bit grey images (with an optional alpha channel), so that image
 * grids travel in notebooks as one compressed `data:image/png` string instead of a JSON array
 * of numbers (which nbformat writes one number per line). Deterministic: the same pixels give
 * the same bytes (fixed filter and zlib level; the zlib of this Node build).
 */
import { deflateSync } from "zlib";

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC-32 (ISO 3309, as PNG chunks use it) of `bytes`. */
export function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Uint8Array): Buffer {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, "ascii");
  Buffer.from(data.buffer, data.byteOffset, data.byteLength).copy(out, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}

/**
 * PNG bytes of a `width` × `height` image with `channels` 8-bit samples per pixel, row-major
 * from the top-left: 1 = grey (colour type 0), 2 = grey + alpha (colour type 4). Each row is
 * stored with PNG's "Up" filter (difference to the row above), which suits tiled digits.
 */
export function encodeGreyPng(width: number, height: number, channels: 1 | 2, pixels: Uint8Array): Buffer {
  if (!Number.isInteger(width) || width < 1 || !Number.isInteger(height) || height < 1) {
    throw new Error(`encodeGreyPng: width and height must be positive integers, got ${width} × ${height}.`);
  }
  if (channels !== 1 && channels !== 2) throw new Error(`encodeGreyPng: channels must be 1 (grey) or 2 (grey + alpha), got ${channels}.`);
  const stride = width * channels;
  if (!(pixels instanceof Uint8Array) || pixels.length !== stride * height) {
    throw new Error(`encodeGreyPng: expected ${stride * height} bytes (${width} × ${height} × ${channels}), got ${pixels?.length}.`);
  }
  const raw = Buffer.alloc((stride + 1) * height);
  for (let y = 0; y < height; y++) {
    const o = y * (stride + 1);
    raw[o] = 2; // filter type Up
    for (let x = 0; x < stride; x++) {
      const above = y > 0 ? pixels[(y - 1) * stride + x] : 0;
      raw[o + 1 + x] = (pixels[y * stride + x] - above) & 0xff;
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = channels === 1 ? 0 : 4; // colour type: grey, grey + alpha
  ihdr[10] = 0; // deflate
  ihdr[11] = 0; // adaptive filtering (per-row filter byte)
  ihdr[12] = 0; // no interlace
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", ihdr),
    chunk("IDAT", deflateSync(raw, { level: 9 })),
    chunk("IEND", new Uint8Array(0)),
  ]);
}
