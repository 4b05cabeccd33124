import { describe, expect, it, afterEach } from "vitest";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { datasetClasses, loadDataset } from "../../src/data/loaders";
import { dataCacheDir } from "../../src/data/manifest";

const savedEnv = process.env.LATENTLAB_DATA_DIR;
afterEach(() => {
  if (savedEnv === undefined) delete process.env.LATENTLAB_DATA_DIR;
  else process.env.LATENTLAB_DATA_DIR = savedEnv;
});

describe("datasetClasses", () => {
  it("gives the label names of the Fashion-MNIST README table", () => {
    const c = datasetClasses("fashion-mnist");
    expect([c[0], c[6], c[9]]).toEqual(["T-shirt/top", "Shirt", "Ankle boot"]);
    expect(datasetClasses("mnist")[7]).toBe("7");
  });
});

describe("loadDataset", () => {
  it('"mnist-embedded" gives the 10,000 embedded digits and refuses a split', async () => {
    const ds = await loadDataset("mnist-embedded");
    expect(ds.count).toBe(10000);
    await expect(loadDataset("mnist-embedded", { split: "test" })).rejects.toThrow(/has no predefined train\/test split.*stratifiedSplit/);
  });

  it("names the known datasets when given an unknown one", async () => {
    await expect(loadDataset("cifar")).rejects.toThrow(/Unknown dataset "cifar"\. Known datasets .*: mnist-embedded, mnist, fashion-mnist/);
  });

  it("LATENTLAB_DATA_DIR moves the cache; missing files give a message listing where it looked and what to do", async () => {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), "latentlab-cache-"));
    try {
      process.env.LATENTLAB_DATA_DIR = d;
      expect(dataCacheDir()).toBe(d);
      await expect(loadDataset("mnist", { split: "test" })).rejects.toThrow(
        new RegExp(`mnist \\(test split\\): .* not found in ${d}/mnist\\. To get them: run loadDataset\\("mnist", \\{ split: "test", download: true \\}\\)`),
      );
      // download with the network unavailable: the error names the file and its URL
      const offline = async (url: string): Promise<Response> => {
        throw new TypeError("fetch failed", { cause: { code: "ENOTFOUND", message: url } });
      };
      await expect(loadDataset("mnist", { split: "test", download: true, fetchImpl: offline, log: () => {} })).rejects.toThrow(
        /Could not download t10k-images-idx3-ubyte\.gz: https:\/\/\S+\/t10k-images-idx3-ubyte\.gz: fetch failed \(ENOTFOUND\).*Are you offline\?/,
      );
      expect(fs.readdirSync(path.join(d, "mnist"))).toEqual([]);
    } finally {
      fs.rmSync(d, { recursive: true, force: true });
    }
  });
});
