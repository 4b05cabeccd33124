/**
 * The shipped MNIST GAN checkpoints: the working one (gan-mnist-bn) reproduces the scores in its
 * provenance and its samples are diverse, recognisable digits (classes, entropy, pixel variance,
 * pairwise distance against real digits, Fréchet distance far below the collapsed checkpoint's);
 * the collapsed one (gan-mnist-mlp, notebook 12's contrast) is measured as collapsed. Also the
 * diversity measures themselves on real digits and on copies of one digit.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../../../src/runtime/backend";
import { Rng } from "../../../src/runtime/rng";
import { checkpointDir, mnistSplitForVae } from "../../../src/models/recipes";
import { hasClassifierCheckpoint, loadClassifier, MlpClassifier, MNIST_CLASSIFIER_NAME, randomSubset } from "../../../src/models/quality/classifier";
import { diversityScores, meanPairwiseDistance, pixelVarianceAcross, DiversityScores } from "../../../src/models/gan/diversity";
import { GAN_RECIPES, GAN_SCORE_SEED, hasGanCheckpoint, loadGan } from "../../../src/models/gan/recipes";

let clf: MlpClassifier;
const split = mnistSplitForVae(0);
let real: DiversityScores;

beforeAll(async () => {
  await initBackend();
  expect(hasClassifierCheckpoint(checkpointDir(MNIST_CLASSIFIER_NAME))).toBe(true);
  clf = (await loadClassifier(checkpointDir(MNIST_CLASSIFIER_NAME))).model;
  real = diversityScores(randomSubset(split.train, 1000, new Rng(1)).images, clf, split.test.images);
});

describe("the diversity measures", () => {
  it("real digits: ten classes, entropy near log 10; copies of one digit: zero variance and distance, one class", () => {
    expect(real.classesSeen).toBe(10);
    expect(real.classEntropy).toBeGreaterThan(Math.log(10) - 0.05);
    expect(real.classEntropy).toBeLessThanOrEqual(Math.log(10) + 1e-12);
    const one = split.train.images.subarray(0, 784);
    const copies = new Float32Array(100 * 784);
    for (let i = 0; i < 100; i++) copies.set(one, i * 784);
    const c = diversityScores(copies, clf);
    expect(c.pixelVariance).toBe(0);
    expect(c.pairwiseDistance).toBe(0);
    expect(c.classesSeen).toBe(1);
    expect(c.classEntropy).toBe(0);
    expect(c.frechet).toBeUndefined();
    // Two images: variance = (a − b)²/4 per pixel, distance ‖a − b‖.
    const two = split.train.images.subarray(0, 2 * 784);
    let sq = 0;
    for (let j = 0; j < 784; j++) sq += (two[j] - two[784 + j]) ** 2;
    expect(pixelVarianceAcross(two)).toBeCloseTo(sq / 4 / 784, 7);
    expect(meanPairwiseDistance(two)).toBeCloseTo(Math.sqrt(sq), 5);
    expect(() => diversityScores(new Float32Array(10), clf)).toThrow(/n × 784/);
  });
});

describe("the shipped MNIST GAN", () => {
  it("gan-mnist-bn: reproduces its provenance scores; diverse, recognisable digits", async () => {
    const dir = checkpointDir("gan-mnist-bn");
    expect(hasGanCheckpoint(dir)).toBe(true);
    const { gan, info } = await loadGan(dir);
    expect(info.config).toEqual({ ...info.config, ...GAN_RECIPES["gan-mnist-bn"].config });
    const s = diversityScores(gan.sample(1000, new Rng(GAN_SCORE_SEED)), clf, split.test.images);
    const p = info.provenance.scores as Record<string, number>;
    expect(s.frechet!).toBeCloseTo(p.frechet, 6);
    expect(s.classesSeen).toBe(p.classesSeen);
    expect(s.pixelVariance).toBeCloseTo(p.pixelVariance, 8);
    console.log(`gan-mnist-bn: Fréchet ${s.frechet!.toFixed(1)} (real ${real.frechet!.toFixed(1)}), classes ${s.classesSeen}, entropy ${s.classEntropy.toFixed(2)} nats, ` +
      `pixel variance ${s.pixelVariance.toFixed(4)} (real ${real.pixelVariance.toFixed(4)}), pairwise distance ${s.pairwiseDistance.toFixed(2)} (real ${real.pairwiseDistance.toFixed(2)})`);
    expect(s.classesSeen).toBeGreaterThanOrEqual(8);
    expect(s.classEntropy).toBeGreaterThan(1.8);
    expect(s.pixelVariance).toBeGreaterThan(0.5 * real.pixelVariance);
    expect(s.pairwiseDistance).toBeGreaterThan(0.6 * real.pairwiseDistance);
    expect(s.frechet!).toBeLessThan(100);
    gan.dispose();
  });

  it("gan-mnist-mlp (kept as the contrast): collapsed — one class, pixel variance under 1% of real digits'", async () => {
    const { gan } = await loadGan(checkpointDir("gan-mnist-mlp"));
    const s = diversityScores(gan.sample(1000, new Rng(GAN_SCORE_SEED)), clf, split.test.images);
    expect(s.classesSeen).toBeLessThanOrEqual(2);
    expect(s.pixelVariance).toBeLessThan(0.01 * real.pixelVariance);
    expect(s.frechet!).toBeGreaterThan(500);
    gan.dispose();
  });
});
