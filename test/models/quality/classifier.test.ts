/**
 * The reference MNIST classifier and the classification accuracy score: the shipped checkpoint
 * loads and scores what its provenance says, features have the documented shape and leak no
 * tensors, and CAS separates informative training pairs from shuffled labels.
 */
import { beforeAll, describe, expect, it } from "vitest";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../../src/runtime/backend";
import { Rng } from "../../../src/runtime/rng";
import { checkpointDir, mnistSplitForVae } from "../../../src/models/recipes";
import { randomSubset, classifierFeatures, hasClassifierCheckpoint, loadClassifier, MNIST_CLASSIFIER_NAME } from "../../../src/models/quality/classifier";
import { classificationAccuracyScore } from "../../../src/models/quality/cas";
import { frechetDistance } from "../../../src/models/quality/frechet";

beforeAll(async () => {
  await initBackend();
});

describe("the shipped MNIST classifier", () => {
  it("loads and reproduces the test accuracy recorded in its provenance", async () => {
    const dir = checkpointDir(MNIST_CLASSIFIER_NAME);
    expect(hasClassifierCheckpoint(dir)).toBe(true);
    const { model, info } = await loadClassifier(dir);
    const split = mnistSplitForVae(0);
    const acc = model.accuracy(split.test.images, split.test.labels);
    expect(acc).toBe((info.provenance.scores as { testAccuracy: number }).testAccuracy);
    expect(acc).toBeGreaterThan(0.95);
    const before = tf.memory().numTensors;
    const { features, dim } = classifierFeatures(model, split.test.images.subarray(0, 300 * 784));
    expect(tf.memory().numTensors).toBe(before);
    expect(dim).toBe(64);
    expect(features.length).toBe(300 * dim);
    expect(features.every((v) => v >= 0 && Number.isFinite(v))).toBe(true);
    // Real training digits are much closer to real test digits than a shuffled-pixel version is.
    const sub = randomSubset(split.train, 1000, new Rng(0)).images;
    const real = classifierFeatures(model, sub).features;
    const perm = new Rng(1).permutation(sub.length);
    const scrambled = sub.map((_, i) => sub[perm[i]]);
    const fake = classifierFeatures(model, scrambled).features;
    const test = classifierFeatures(model, split.test.images).features;
    expect(frechetDistance(real, test, dim)).toBeLessThan(0.1 * frechetDistance(fake, test, dim));
    model.dispose();
  });
});

describe("classificationAccuracyScore", () => {
  it("is high for real pairs and at chance for shuffled labels", async () => {
    const split = mnistSplitForVae(0);
    const n = 2000;
    const { images: trainImages, labels } = randomSubset(split.train, n, new Rng(0));
    const before = tf.memory().numTensors;
    const good = await classificationAccuracyScore({
      trainImages, trainLabels: labels, testImages: split.test.images, testLabels: split.test.labels, epochs: 5, rng: new Rng(0),
    });
    expect(tf.memory().numTensors).toBe(before);
    expect(good.accuracy).toBeGreaterThan(0.85);
    expect(good.trainClassCounts.reduce((a, b) => a + b, 0)).toBe(n);
    const shuffled = Int32Array.from(labels);
    new Rng(2).shuffle(shuffled);
    const bad = await classificationAccuracyScore({
      trainImages, trainLabels: shuffled, testImages: split.test.images, testLabels: split.test.labels, epochs: 5, rng: new Rng(0),
    });
    // Chance is 0.1; with 999 test digits its binomial SE is 0.0095; allow 5 SE.
    expect(Math.abs(bad.accuracy - 0.1)).toBeLessThan(5 * Math.sqrt(0.09 / 999) + 0.03);
  }, 120_000);

  it("says what is wrong with bad input", async () => {
    await expect(classificationAccuracyScore({ trainImages: [1, 2] as unknown as Float32Array, trainLabels: [0], testImages: new Float32Array(784), testLabels: [0] })).rejects.toThrow(/Float32Array/);
    await expect(classificationAccuracyScore({ trainImages: new Float32Array(784), trainLabels: [12], testImages: new Float32Array(784), testLabels: [0] })).rejects.toThrow(/not a class index/);
    await expect(classificationAccuracyScore({ trainImages: new Float32Array(784 * 2), trainLabels: [1], testImages: new Float32Array(784), testLabels: [0] })).rejects.toThrow(/one label per image/);
  });
});
