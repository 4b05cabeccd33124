import { describe, expect, it, beforeAll, afterAll } from "vitest";
import * as crypto from "crypto";
import * as fs from "fs";
import * as http from "http";
import * as os from "os";
import * as path from "path";
import { AddressInfo } from "net";
import { ensureFile } from "../../src/data/download";
import { DatasetFileEntry } from "../../src/data/manifest";

// A loopback HTTP server started inside the test: never the internet.
const payload = crypto.randomBytes(200_000);
const sha = crypto.createHash("sha256").update(payload).digest("hex");
let server: http.Server;
let base = "";
let requests: string[] = [];
let tmp: string;

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "latentlab-dl-"));
  server = http.createServer((req, res) => {
    requests.push(req.url ?? "");
    if (req.url === "/good.bin") {
      res.writeHead(200, { "content-length": payload.length });
      res.end(payload);
    } else if (req.url === "/tampered.bin") {
      const bad = Buffer.from(payload);
      bad[1234] ^= 0xff;
      res.end(bad);
    } else if (req.url === "/short.bin") {
      res.end(payload.subarray(0, 1000));
    } else {
      res.writeHead(404);
      res.end("not found");
    }
  });
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((ok) => server.close(ok));
  fs.rmSync(tmp, { recursive: true, force: true });
});

function entry(name: string, ...paths: string[]): DatasetFileEntry {
  return { name, urls: paths.map((p) => base + p), bytes: payload.length, sha256: sha };
}
const leftovers = (d: string) => (fs.existsSync(d) ? fs.readdirSync(d).filter((f) => f.includes(".part")) : []);

describe("ensureFile (loopback server)", () => {
  it("downloads, verifies and places the file; a second call does not fetch again", async () => {
    const cacheDir = path.join(tmp, "ok");
    requests = [];
    const p = await ensureFile(entry("data.bin", "/good.bin"), { cacheDir, timeoutMs: 10_000 });
    expect(p).toBe(path.join(cacheDir, "data.bin"));
    expect(Buffer.compare(fs.readFileSync(p), payload)).toBe(0);
    expect(leftovers(cacheDir)).toEqual([]);
    await ensureFile(entry("data.bin", "/good.bin"), { cacheDir });
    expect(requests).toEqual(["/good.bin"]);
  });

  it("falls back to a mirror when the primary URL fails", async () => {
    const cacheDir = path.join(tmp, "mirror");
    requests = [];
    await ensureFile(entry("data.bin", "/missing.bin", "/good.bin"), { cacheDir, timeoutMs: 10_000 });
    expect(requests).toEqual(["/missing.bin", "/good.bin"]);
  });

  it("rejects a tampered download (same size, wrong SHA-256), deleting the temp file", async () => {
    const cacheDir = path.join(tmp, "tampered");
    await expect(ensureFile(entry("data.bin", "/tampered.bin"), { cacheDir, timeoutMs: 10_000 })).rejects.toThrow(
      new RegExp(`data\\.bin from .*/tampered\\.bin: SHA-256 mismatch: expected ${sha}, got [0-9a-f]{64}\\. The file was deleted`),
    );
    expect(fs.readdirSync(cacheDir)).toEqual([]);
  });

  it("rejects a short download with expected vs got sizes", async () => {
    const cacheDir = path.join(tmp, "short");
    await expect(ensureFile(entry("data.bin", "/short.bin"), { cacheDir, timeoutMs: 10_000 })).rejects.toThrow(
      /size mismatch: expected 200000 bytes, got 1000/,
    );
    expect(fs.readdirSync(cacheDir)).toEqual([]);
  });

  it("offline: names the file and URL and says how to place it by hand", async () => {
    // a port that was just free: connection refused, like a machine without network
    const s = http.createServer();
    await new Promise<void>((ok) => s.listen(0, "127.0.0.1", ok));
    const port = (s.address() as AddressInfo).port;
    await new Promise((ok) => s.close(ok));
    const cacheDir = path.join(tmp, "offline");
    const e: DatasetFileEntry = { name: "x.gz", urls: [`http://127.0.0.1:${port}/x.gz`], bytes: 10, sha256: "0".repeat(64) };
    await expect(ensureFile(e, { cacheDir, timeoutMs: 5_000 })).rejects.toThrow(
      new RegExp(`Could not download x\\.gz: http://127\\.0\\.0\\.1:${port}/x\\.gz: .*ECONNREFUSED.*Are you offline\\? .*copy it to ${cacheDir.replace(/[/.]/g, "\\$&")}/x\\.gz`),
    );
  });

  it("refuses to keep a wrong file already in the cache", async () => {
    const cacheDir = path.join(tmp, "stale");
    fs.mkdirSync(cacheDir);
    fs.writeFileSync(path.join(cacheDir, "data.bin"), "wrong");
    await expect(ensureFile(entry("data.bin", "/good.bin"), { cacheDir })).rejects.toThrow(
      /present but not the expected file: expected 200000 bytes .* got 5 bytes/,
    );
  });

  it("uses an injected fetch implementation", async () => {
    const cacheDir = path.join(tmp, "injected");
    const calls: string[] = [];
    const fetchImpl = async (url: string) => {
      calls.push(url);
      return new Response(payload);
    };
    await ensureFile({ name: "y.bin", urls: ["http://example.invalid/y.bin"], bytes: payload.length, sha256: sha }, { cacheDir, fetchImpl });
    expect(calls).toEqual(["http://example.invalid/y.bin"]);
    expect(fs.statSync(path.join(cacheDir, "y.bin")).size).toBe(payload.length);
  });
});
