/**
 * compareGenerativeModels: real digits score better than a model that draws noise, missing
 * models produce rows that say why, and bad samples are refused with a clear message.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../../../src/runtime/backend";
import { Rng } from "../../../src/runtime/rng";
import { checkpointDir, mnistSplitForVae } from "../../../src/models/recipes";
import { loadClassifier, randomSubset, MNIST_CLASSIFIER_NAME } from "../../../src/models/quality/classifier";
import { compareGenerativeModels, comparisonMarkdown } from "../../../src/models/quality/compare";

beforeAll(async () => {
  await initBackend();
});

describe("compareGenerativeModels", () => {
  it("ranks real digits above pixel noise, and reports missing models", async () => {
    const { model } = await loadClassifier(checkpointDir(MNIST_CLASSIFIER_NAME));
    const split = mnistSplitForVae(0);
    const rows = await compareGenerativeModels(
      [
        { name: "real", sample: (n, r) => randomSubset(split.train, n, r).images },
        { name: "noise", sample: (n, r) => new Float32Array(n * 784).map(() => r.uniform()), logLikelihood: { nats: -543.5, how: "uniform Bernoulli: 784 log 2" } },
        { name: "not built", missing: "not in the library yet" },
      ],
      { classifier: model, testImages: split.test.images, testLabels: split.test.labels, samples: 500, casEpochs: 3, rng: new Rng(0) },
    );
    const [real, noise, missing] = rows;
    expect(real.frechet!).toBeLessThan(0.05 * noise.frechet!);
    expect(real.cas!).toBeGreaterThan(0.5);
    expect(real.cas!).toBeGreaterThan(noise.cas! + 0.3);
    expect(noise.cas!).toBeLessThan(0.3);
    expect(real.classesSeen).toBe(10);
    expect(noise.nllNats).toBeCloseTo(543.5, 10);
    expect(missing.status).toBe("missing");
    const md = comparisonMarkdown(rows);
    expect(md).toContain("*not in the library yet*");
    expect(md.split("\n").length).toBe(5);
    await expect(
      compareGenerativeModels([{ name: "bad", sample: (n) => new Float32Array(n * 784).fill(2) }], {
        classifier: model, testImages: split.test.images, testLabels: split.test.labels, samples: 100, rng: new Rng(0),
      }),
    ).rejects.toThrow(/not a grey value in \[0, 1\]/);
    model.dispose();
  }, 120_000);
});
