import { describe, expect, it } from "vitest";
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import * as zlib from "zlib";
import { datasetEntry, loadManifest } from "../../src/data/manifest";

describe("datasets/manifest.json", () => {
  it("describes the four standard files of each IDX dataset with sizes that fit the IDX layout", () => {
    const m = loadManifest();
    expect(m.datasets.map((d) => d.name)).toEqual(["mnist-embedded", "mnist", "fashion-mnist"]);
    for (const name of ["mnist", "fashion-mnist"]) {
      const d = datasetEntry(name);
      expect(d.license.length).toBeGreaterThan(0);
      expect(d.classes?.length).toBe(10);
      const roles = d.files.map((f) => `${f.split}/${f.kind}`).sort();
      expect(roles).toEqual(["test/images", "test/labels", "train/images", "train/labels"]);
      for (const f of d.files) {
        expect(f.sha256).toMatch(/^[0-9a-f]{64}$/);
        expect(f.md5).toMatch(/^[0-9a-f]{32}$/);
        expect(f.urls.every((u) => u.endsWith("/" + f.name))).toBe(true);
        const n = f.split === "train" ? 60000 : 10000;
        // IDX: 4-byte magic + 4 bytes per dimension + one byte per element
        expect(f.content?.bytes).toBe(f.kind === "images" ? 16 + n * 28 * 28 : 8 + n);
      }
    }
  });
});

const DEBIAN = "/usr/share/datasets/fashion-mnist";
const haveDebian = fs.existsSync(path.join(DEBIAN, "train-images-idx3-ubyte.gz"));
const hash = (algo: string, b: Uint8Array) => crypto.createHash(algo).update(b).digest("hex");

describe("Fashion-MNIST checksums are anchored to the published ones", () => {
  // Debian's .gz files carry a normalized gzip header. Rebuilding the official header
  // (FLG = FNAME, the recorded mtime, XFL, OS, the file name) in front of Debian's deflate
  // stream must give the official file: the size and SHA-256 published by TensorFlow Datasets
  // and the MD5 in the Fashion-MNIST README. Then content.sha256 is the official payload's.
  it.skipIf(!haveDebian)(
    `Debian file + official header = official file, for all four files${haveDebian ? "" : ` — SKIPPED: ${DEBIAN} absent (apt install dataset-fashion-mnist)`}`,
    () => {
      for (const f of datasetEntry("fashion-mnist").files) {
        const deb = fs.readFileSync(path.join(DEBIAN, f.name));
        expect(deb.length).toBe(f.debian!.bytes);
        expect(hash("sha256", deb)).toBe(f.debian!.sha256);
        expect(deb[3] & 0x08).toBe(0); // Debian's header has no file name
        const h = f.debian!.officialHeader!;
        const head = Buffer.from(deb.subarray(0, 10));
        head[3] = 0x08; // FLG.FNAME
        head.writeUInt32LE(h.mtime, 4);
        head[8] = h.xfl;
        head[9] = h.os;
        const official = Buffer.concat([head, Buffer.from(f.name.replace(/\.gz$/, "") + "\0", "latin1"), deb.subarray(10)]);
        expect(official.length).toBe(f.bytes);
        expect(hash("sha256", official)).toBe(f.sha256);
        expect(hash("md5", official)).toBe(f.md5);
        const content = zlib.gunzipSync(official);
        expect(content.length).toBe(f.content!.bytes);
        expect(hash("sha256", content)).toBe(f.content!.sha256);
      }
    },
  );
});
