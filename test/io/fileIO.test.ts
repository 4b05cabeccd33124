import { describe, expect, it, beforeAll, afterAll } from "vitest";
import * as tf from "@tensorflow/tfjs";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { initBackend } from "../../src/runtime/backend";
import { rng } from "../../src/runtime/rng";
import { fileIO } from "../../src/io/fileIO";
import { loadLayersModel, readModelMetadata, saveModel } from "../../src/io/model";
import { loadWeights, saveWeights } from "../../src/io/weights";

let tmp: string;
beforeAll(async () => {
  await initBackend();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "latentlab-io-"));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function smallModel(seed: number): tf.Sequential {
  const m = tf.sequential();
  m.add(tf.layers.dense({ inputShape: [4], units: 5, activation: "tanh", kernelInitializer: tf.initializers.glorotNormal({ seed }) }));
  m.add(tf.layers.dense({ units: 2, biasInitializer: tf.initializers.randomNormal({ seed: seed + 1 }) }));
  return m;
}

const bits = (a: ArrayLike<number>) => new Uint8Array(Float32Array.from(a).buffer);

describe("fileIO: standard model.json + weights.bin", () => {
  it("saveModel / loadLayersModel round-trip gives bit-identical predictions and keeps metadata", async () => {
    const dir = path.join(tmp, "seq");
    const model = smallModel(11);
    const meta = { command: "npm run train -- seq", seed: 11, data: "none", score: { loss: 0.25 } };
    const res = await saveModel(model, dir, meta);
    expect(res.modelArtifactsInfo.weightDataBytes).toBe(4 * (4 * 5 + 5 + 5 * 2 + 2));
    const json = JSON.parse(fs.readFileSync(path.join(dir, "model.json"), "utf8"));
    expect(json.format).toBe("layers-model");
    expect(json.weightsManifest[0].paths).toEqual(["weights.bin"]);
    expect(json.weightsManifest[0].weights.map((w: { shape: number[] }) => w.shape)).toEqual([[4, 5], [5], [5, 2], [2]]);
    expect(json.userDefinedMetadata).toEqual(meta);
    expect(fs.statSync(path.join(dir, "weights.bin")).size).toBe(4 * 37);

    const loaded = await loadLayersModel(dir);
    const x = tf.tensor2d(Float32Array.from({ length: 12 }, (_, i) => Math.sin(i)), [3, 4]);
    const y0 = (model.predict(x) as tf.Tensor).dataSync();
    const y1 = (loaded.predict(x) as tf.Tensor).dataSync();
    expect(bits(y1)).toEqual(bits(y0));
    expect(readModelMetadata(dir)).toEqual(meta);
    // the plain tfjs API with our handler works too
    await model.save(fileIO(path.join(tmp, "seq2")));
    const again = await tf.loadLayersModel(fileIO(path.join(tmp, "seq2")));
    expect(bits((again.predict(x) as tf.Tensor).dataSync())).toEqual(bits(y0));
    x.dispose();
    for (const m of [model, loaded, again]) m.dispose();
  });

  it("saveWeights / loadWeights round-trips float32, int32 and bool bit-exactly, with metadata", async () => {
    const dir = path.join(tmp, "weights");
    const r = rng(4);
    const vals = r.normals(new Float32Array(60));
    vals[0] = -0;
    vals[1] = 1.4e-45; // smallest denormal
    vals[2] = Infinity;
    vals[3] = -3.4028234663852886e38;
    const before = tf.memory().numTensors;
    const map = {
      "encoder/w": tf.tensor(vals, [3, 4, 5]),
      counts: tf.tensor1d([0, -1, 2147483647, -2147483648], "int32"),
      mask: tf.tensor2d([[true, false], [false, true]], [2, 2], "bool"),
      scalar: tf.scalar(Math.PI),
    };
    await saveWeights(map, dir, { seed: 4, command: "test" });
    const { weights, metadata } = await loadWeights(dir);
    expect(metadata).toEqual({ seed: 4, command: "test" });
    expect(Object.keys(weights).sort()).toEqual(Object.keys(map).sort());
    for (const [k, t] of Object.entries(map)) {
      const u = weights[k];
      expect(u.shape).toEqual(t.shape);
      expect(u.dtype).toBe(t.dtype);
      const a = t.dataSync();
      const b = u.dataSync();
      if (t.dtype === "float32") expect(bits(b)).toEqual(bits(a));
      else expect(Array.from(b)).toEqual(Array.from(a));
    }
    expect(Object.is(weights["encoder/w"].dataSync()[0], -0)).toBe(true);
    tf.dispose(Object.values(weights));
    tf.dispose(Object.values(map));
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe("fileIO errors", () => {
  async function savedDir(name: string): Promise<string> {
    const dir = path.join(tmp, name);
    const t = tf.tensor1d([1, 2, 3, 4]);
    await saveWeights({ t }, dir);
    t.dispose();
    return dir;
  }

  it("detects a truncated or extended weights.bin (size vs manifest)", async () => {
    const dir = await savedDir("trunc");
    const wb = path.join(dir, "weights.bin");
    fs.writeFileSync(wb, fs.readFileSync(wb).subarray(0, 10));
    await expect(loadWeights(dir)).rejects.toThrow(/weights\.bin: 10 bytes, but model\.json describes 1 weights totalling 16 bytes\. The weight file is truncated/);
    fs.writeFileSync(wb, Buffer.alloc(20));
    await expect(loadWeights(dir)).rejects.toThrow(/20 bytes, .* totalling 16 bytes\. The weight file is too long/);
    await expect(loadLayersModel(dir)).rejects.toThrow(/totalling 16 bytes/);
  });

  it("tells loadLayersModel apart from a weights-only checkpoint", async () => {
    const dir = await savedDir("weights-only");
    await expect(loadLayersModel(dir)).rejects.toThrow(/has no modelTopology \(format "latentlab-weights"\).*loadWeights\(dir\)/);
  });

  it("reports a missing model.json, a missing weights.bin and a damaged model.json", async () => {
    await expect(loadWeights(path.join(tmp, "nowhere"))).rejects.toThrow(/nowhere: the folder does not exist\. Save one first/);
    const dir = await savedDir("broken");
    fs.rmSync(path.join(dir, "weights.bin"));
    await expect(loadWeights(dir)).rejects.toThrow(/lists weight file "weights\.bin", but .* is missing/);
    const text = fs.readFileSync(path.join(dir, "model.json"), "utf8");
    fs.writeFileSync(path.join(dir, "model.json"), text.slice(0, text.length / 2));
    await expect(loadWeights(dir)).rejects.toThrow(/model\.json is not valid JSON .* cut short/);
    fs.rmSync(path.join(dir, "model.json"));
    await expect(loadWeights(dir)).rejects.toThrow(/the folder exists but has no model\.json/);
  });

  it("rejects metadata that is not JSON", async () => {
    const t = tf.scalar(1);
    await expect(saveWeights({ t }, path.join(tmp, "bigint"), { seed: 1n as unknown as number })).rejects.toThrow(/Metadata must be plain JSON/);
    t.dispose();
  });
});

describe("interoperability", () => {
  it("a saved model loads with tfjs's own HTTP loader (tf.loadLayersModel(url)) from a loopback server", async () => {
    const http = await import("http");
    const dir = path.join(tmp, "served");
    const model = smallModel(21);
    await saveModel(model, dir, { seed: 21 });
    const server = http.createServer((req, res) => {
      const f = path.join(dir, path.basename(req.url ?? ""));
      if (!fs.existsSync(f)) {
        res.writeHead(404);
        res.end();
        return;
      }
      res.end(fs.readFileSync(f));
    });
    await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
    try {
      const port = (server.address() as import("net").AddressInfo).port;
      const viaHttp = await tf.loadLayersModel(`http://127.0.0.1:${port}/model.json`);
      const x = tf.ones([2, 4]);
      expect(bits((viaHttp.predict(x) as tf.Tensor).dataSync())).toEqual(bits((model.predict(x) as tf.Tensor).dataSync()));
      x.dispose();
      viaHttp.dispose();
      model.dispose();
    } finally {
      server.closeAllConnections();
      await new Promise((ok) => server.close(ok));
    }
  });
});
