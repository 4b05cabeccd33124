import { describe, expect, it, beforeAll, afterAll } from "vitest";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as zlib from "zlib";
import { parseIdx, readIdxFile, readIdxImages, readIdxLabels } from "../../src/data/idx";
import { loadFashionMnist, loadMnistIdx } from "../../src/data/loaders";

/** IDX bytes written by hand (independent of the reader): magic 0x0000080N, big-endian dims, data. */
function idxBytes(dims: number[], data: Uint8Array): Buffer {
  const head = Buffer.alloc(4 + 4 * dims.length);
  head[2] = 0x08;
  head[3] = dims.length;
  dims.forEach((d, i) => head.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([head, Buffer.from(data)]);
}

/** n images of h x w with pixel (k, j) = (7k + 3j) mod 256, labels k mod 10. */
function synthetic(n: number, h: number, w: number) {
  const px = new Uint8Array(n * h * w);
  for (let k = 0; k < n; k++) for (let j = 0; j < h * w; j++) px[k * h * w + j] = (7 * k + 3 * j) % 256;
  const labels = new Uint8Array(n).map((_, k) => k % 10);
  return { px, labels, images: idxBytes([n, h, w], px), labelFile: idxBytes([n], labels) };
}

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "latentlab-idx-"));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function write(name: string, bytes: Uint8Array): string {
  const p = path.join(dir, name);
  fs.writeFileSync(p, bytes);
  return p;
}

describe("IDX reader", () => {
  it("reads raw and gzip files identically, images scaled to [0,1] as byte/255", () => {
    const s = synthetic(5, 3, 4);
    const raw = write("a-images-idx3-ubyte", s.images);
    const gz = write("a-images-idx3-ubyte.gz", zlib.gzipSync(s.images));
    // detection is by magic bytes, not by file name
    const gzNoExt = write("b-images-idx3-ubyte", zlib.gzipSync(s.images));
    const rawWithExt = write("c-images-idx3-ubyte.gz", s.images);
    for (const f of [raw, gz, gzNoExt, rawWithExt]) {
      const r = readIdxImages(f);
      expect([r.count, r.height, r.width]).toEqual([5, 3, 4]);
      expect(r.images.length).toBe(60);
      for (let i = 0; i < 60; i++) expect(r.images[i]).toBe(Math.fround(s.px[i] / 255));
    }
    const lab = write("a-labels-idx1-ubyte.gz", zlib.gzipSync(s.labelFile));
    expect(Array.from(readIdxLabels(lab))).toEqual(Array.from(s.labels));
  });

  it("parses the header big-endian (a dimension > 255 is read correctly)", () => {
    const data = new Uint8Array(300).map((_, i) => i % 256);
    const a = parseIdx(idxBytes([300], data), "x");
    expect(a.dims).toEqual([300]);
    expect(a.data[299]).toBe(299 % 256);
  });

  it("rejects a bad magic number, naming the file, expected and got", () => {
    const s = synthetic(2, 2, 2);
    const bad = Buffer.from(s.images);
    bad.writeUInt32BE(0x12345678, 0);
    const f = write("bad-magic", bad);
    expect(() => readIdxImages(f)).toThrow(/bad-magic: bad IDX magic number: expected 0x00000803, got 0x12345678/);
  });

  it("rejects labels given where images are expected (wrong number of dims)", () => {
    const f = write("swapped", synthetic(2, 2, 2).labelFile);
    expect(() => readIdxImages(f)).toThrow(/swapped: expected an IDX file with 3 dimension\(s\).*got 1/);
  });

  it("rejects truncated data and a truncated header, with expected vs got byte counts", () => {
    const s = synthetic(4, 2, 2);
    const f = write("short", s.images.subarray(0, s.images.length - 1));
    expect(() => readIdxImages(f)).toThrow(/short: truncated: header says dims \[4, 2, 2\], so expected 32 bytes .* got 31/);
    const g = write("shorthead", s.images.subarray(0, 10));
    expect(() => readIdxImages(g)).toThrow(/shorthead: truncated IDX header: expected 16 bytes .* got 10/);
    const h = write("long", Buffer.concat([s.images, Buffer.from([1])]));
    expect(() => readIdxImages(h)).toThrow(/long: longer than its header says/);
  });

  it("rejects a truncated gzip stream and a missing file with what to do", () => {
    const gz = zlib.gzipSync(synthetic(20, 5, 5).images);
    const f = write("cut.gz", gz.subarray(0, gz.length - 30));
    expect(() => readIdxFile(f)).toThrow(/cut\.gz: starts like a gzip file .* does not decompress/);
    expect(() => readIdxFile(path.join(dir, "nope"))).toThrow(/nope: file not found\. Place the file there/);
  });
});

describe("loadMnistIdx", () => {
  it("loads a folder of the standard four file names (gz and raw mixed), structure-checked", () => {
    const d = fs.mkdtempSync(path.join(dir, "set-"));
    const tr = synthetic(30, 28, 28);
    const te = synthetic(10, 28, 28);
    fs.writeFileSync(path.join(d, "train-images-idx3-ubyte.gz"), zlib.gzipSync(tr.images));
    fs.writeFileSync(path.join(d, "train-labels-idx1-ubyte"), tr.labelFile);
    fs.writeFileSync(path.join(d, "t10k-images-idx3-ubyte"), te.images);
    fs.writeFileSync(path.join(d, "t10k-labels-idx1-ubyte.gz"), zlib.gzipSync(te.labelFile));
    const train = loadMnistIdx(d, { split: "train", dataset: "synthetic" });
    expect([train.count, train.height, train.width, train.images.length]).toEqual([30, 28, 28, 30 * 784]);
    expect(train.labels[13]).toBe(3);
    expect(train.images[784 * 2 + 5]).toBe(Math.fround(((7 * 2 + 3 * 5) % 256) / 255));
    const test = loadMnistIdx(d, { split: "test", dataset: "synthetic" });
    expect(test.count).toBe(10);
    expect(test.name).toBe("synthetic-test");
  });

  it("rejects images and labels of different counts", () => {
    const d = fs.mkdtempSync(path.join(dir, "mismatch-"));
    fs.writeFileSync(path.join(d, "train-images-idx3-ubyte"), synthetic(12, 28, 28).images);
    fs.writeFileSync(path.join(d, "train-labels-idx1-ubyte"), synthetic(11, 1, 1).labelFile);
    expect(() => loadMnistIdx(d, { dataset: "synthetic" })).toThrow(/holds 12 images but .* holds 11 labels/);
  });

  it("rejects files that do not match the manifest checksum (bad checksum), and says what to do", () => {
    const d = fs.mkdtempSync(path.join(dir, "fake-fashion-"));
    const s = synthetic(10, 28, 28);
    fs.writeFileSync(path.join(d, "t10k-images-idx3-ubyte.gz"), zlib.gzipSync(s.images));
    fs.writeFileSync(path.join(d, "t10k-labels-idx1-ubyte.gz"), zlib.gzipSync(s.labelFile));
    // Fashion-MNIST has content checksums: the fake payload is caught.
    expect(() => loadFashionMnist({ dir: d, split: "test" })).toThrow(
      /bad checksum: .* should have SHA-256 5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b .* got [0-9a-f]{64}\. .*download it again/,
    );
    // MNIST publishes only the .gz checksum: a different .gz is rejected ...
    expect(() => loadMnistIdx(d, { split: "test" })).toThrow(/bad checksum: expected the official t10k-images-idx3-ubyte\.gz \(1648877 bytes/);
    // ... and verify: false loads it anyway, saying so.
    const ds = loadMnistIdx(d, { split: "test", verify: false });
    expect(ds.source).toMatch(/not verified/);
  });

  it("reports missing files with the folder and the file stems", () => {
    const d = fs.mkdtempSync(path.join(dir, "empty-"));
    expect(() => loadMnistIdx(d, { split: "test" })).toThrow(/missing t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte/);
  });
});

const DEBIAN = "/usr/share/datasets/fashion-mnist";
const haveDebian = fs.existsSync(path.join(DEBIAN, "t10k-images-idx3-ubyte.gz"));

describe("real Fashion-MNIST (Debian package dataset-fashion-mnist)", () => {
  it.skipIf(!haveDebian)(
    `test split: 10,000 28x28 images, 1,000 per class, pixels spanning [0, 1], checksum verified${haveDebian ? "" : ` — SKIPPED: ${DEBIAN} absent (apt install dataset-fashion-mnist)`}`,
    () => {
      const t0 = performance.now();
      const ds = loadFashionMnist({ split: "test" });
      const ms = performance.now() - t0;
      expect([ds.count, ds.height, ds.width]).toEqual([10000, 28, 28]);
      expect(ds.images.length).toBe(10000 * 784);
      const hist = new Array(10).fill(0);
      for (const l of ds.labels) hist[l]++;
      expect(hist).toEqual(new Array(10).fill(1000));
      let min = Infinity;
      let max = -Infinity;
      for (const v of ds.images) {
        if (v < min) min = v;
        if (v > max) max = v;
      }
      expect(min).toBe(0);
      expect(max).toBe(1);
      expect(ds.source).toMatch(/SHA-256 of the decompressed content matches the manifest/);
      console.log(`loadFashionMnist({ split: "test" }): ${ms.toFixed(0)} ms`);
    },
  );
});
