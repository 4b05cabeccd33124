import { describe, expect, it } from "vitest";
import { Rng } from "../../src/runtime/rng";
import { axisAlignment, betaVaeMetric, randomRotation, rotateCodes } from "../../src/models/disentanglement";

// A synthetic "dataset" whose images are the factor values themselves (scaled to [0, 1]),
// so an encoder can be an exact oracle.
const sizes = [3, 6, 10, 10];
const K = sizes.length;
const render = (f: Int32Array) => Float32Array.from(f, (v, i) => v / (sizes[i % K] - 1));

describe("BetaVAE disentanglement metric", () => {
  it("scores an axis-aligned (disentangled) code near 1 and a constant code near chance", () => {
    const oracle = betaVaeMetric({ encode: (x) => x, latentDim: K, factorSizes: sizes, render, rng: new Rng(1), batchSize: 32, trainPoints: 200, testPoints: 200 });
    expect(oracle.testAccuracy).toBeGreaterThan(0.95);
    const constant = betaVaeMetric({ encode: (x) => new Float32Array(x.length), latentDim: K, factorSizes: sizes, render, rng: new Rng(2), batchSize: 8, trainPoints: 200, testPoints: 400 });
    // chance 1/4; 400 test points: 4 SE ≈ 0.087
    expect(constant.testAccuracy).toBeLessThan(0.25 + 0.09);
  });

  it("a rotation of the same code (the lecture's ill-posedness argument) destroys axis alignment", () => {
    const U = randomRotation(K, new Rng(3));
    // U is orthogonal with det +1
    for (let a = 0; a < K; a++) for (let b = 0; b < K; b++) {
      let s = 0;
      for (let j = 0; j < K; j++) s += U[a * K + j] * U[b * K + j];
      expect(s).toBeCloseTo(a === b ? 1 : 0, 10);
    }
    const straight = betaVaeMetric({ encode: (x) => x, latentDim: K, factorSizes: sizes, render, rng: new Rng(4), batchSize: 32, trainPoints: 200, testPoints: 200 });
    const rotated = betaVaeMetric({ encode: (x) => rotateCodes(x, U, K), latentDim: K, factorSizes: sizes, render, rng: new Rng(4), batchSize: 32, trainPoints: 200, testPoints: 200 });
    // exact for the oracle: holding factor k fixed zeroes unit k
    expect(axisAlignment(straight.meanZDiff, K, K).mean).toBeCloseTo(1, 10);
    expect(axisAlignment(rotated.meanZDiff, K, K).mean).toBeLessThan(0.6);
  });
});
