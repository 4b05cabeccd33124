/**
 * Ancestral sampling of the reverse chain: with the perfect noise predictor for Gaussian data the
 * samples have the data's mean and covariance (within standard errors), and match the model's exact
 * marginal; same seed, same samples; the energy distance against its closed form.
 */
import { describe, expect, it } from "vitest";
import { Rng } from "../../src/runtime/rng";
import { normalCdf } from "../../src/math/special";
import {
  affineReverseMarginal,
  ancestralSample,
  energyDistance,
  energyDistanceWithSE,
  noiseSchedule,
  optimalGaussianEpsilon,
  sampleMeanCov,
} from "../../src/models/diffusion";

const MU = [1, -0.5];
const COV = [0.5, 0.3, 0.3, 0.8];

/** |sample cov − target| within 4 SE, SE of a normal sample covariance: √((Σ_jk² + Σ_jj Σ_kk)/(n − 1)). */
function expectCovWithinSE(cov: Float64Array, target: ArrayLike<number>, n: number) {
  for (let j = 0; j < 2; j++)
    for (let k = 0; k < 2; k++) {
      const se = Math.sqrt((target[j * 2 + k] ** 2 + target[j * 3] * target[k * 3]) / (n - 1));
      expect(Math.abs(cov[j * 2 + k] - target[j * 2 + k]), `cov[${j}][${k}]`).toBeLessThan(4 * se);
    }
}

describe("sampling with the perfect noise predictor ε*(x_t, t) = E[ε | x_t] for Gaussian data", () => {
  const n = 4000;
  const s = noiseSchedule(100);
  const p = optimalGaussianEpsilon(s, MU, COV);
  const { samples, snapshots } = ancestralSample(s, p, n, new Rng(41), { keep: [100, 50, 0] });
  const { mean, cov } = sampleMeanCov(samples);

  it("recovers the data's mean and covariance within 4 standard errors", () => {
    for (let j = 0; j < 2; j++) expect(Math.abs(mean[j] - MU[j])).toBeLessThan(4 * Math.sqrt(COV[j * 3] / n));
    expectCovWithinSE(cov, COV, n);
  });

  it("matches the model's exact marginal (the linear-Gaussian recursion), whose bias from the data is O(1/T)", () => {
    const exact = affineReverseMarginal(s, p, { decoderNoise: false });
    expectCovWithinSE(cov, exact.cov, n);
    const bias = (T: number) => {
      const sT = noiseSchedule(T);
      const c = affineReverseMarginal(sT, optimalGaussianEpsilon(sT, MU, COV), { decoderNoise: false }).cov;
      return Math.max(...Array.from(c, (v, i) => Math.abs(v - COV[i])));
    };
    // The reverse steps are Gaussian with variance β_t, not the true Var(x_{t−1} | x_t): a
    // discretisation error that shrinks as the steps get smaller.
    expect(bias(100)).toBeLessThan(0.01);
    expect(bias(1000)).toBeLessThan(bias(100) / 5);
    for (let j = 0; j < 2; j++) expect(Math.abs(exact.mean[j] - MU[j])).toBeLessThan(1e-3);
  });

  it("starts from N(0, I) and keeps the requested snapshots; same seed, same samples", () => {
    expect(snapshots.map((x) => x.t)).toEqual([100, 50, 0]);
    expect(Array.from(snapshots[2].points)).toEqual(Array.from(samples));
    const prior = sampleMeanCov(snapshots[0].points);
    expectCovWithinSE(prior.cov, [1, 0, 0, 1], n);
    const again = ancestralSample(s, p, 50, new Rng(41));
    expect(Array.from(again.samples)).toEqual(Array.from(ancestralSample(s, p, 50, new Rng(41)).samples));
    expect(Array.from(again.samples)).not.toEqual(Array.from(ancestralSample(s, p, 50, new Rng(42)).samples));
  });

  it("rejects bad input", () => {
    expect(() => ancestralSample(s, p, 0, new Rng(1))).toThrow(/ancestralSample: n must be a positive integer/);
    expect(() => ancestralSample(s, p, 5, new Rng(1), { keep: [101] })).toThrow(/options.keep\[0\] must be an integer in \[0, 100\]/);
    expect(() => ancestralSample(s, { dim: 2, predict: () => new Float64Array(1) }, 5, new Rng(1))).toThrow(/the predictor returned 1 numbers for 5 points/);
  });
});

describe("energy distance", () => {
  it("1-D N(0,1) vs N(δ,1): matches 2E|X−Y| − E|X−X′| − E|Y−Y′| in closed form within 4 SE (over 30 replicates)", () => {
    const delta = 0.8;
    // X − Y ∼ N(−δ, 2): E|N(m, v)| = √(2v/π) e^{−m²/2v} + m (1 − 2Φ(−m/√v)); E|X − X′| = 2/√π.
    const v = 2;
    const eAbs = Math.sqrt((2 * v) / Math.PI) * Math.exp(-(delta * delta) / (2 * v)) + delta * (1 - 2 * normalCdf(-delta / Math.sqrt(v)));
    const exact = 2 * eAbs - 2 * (2 / Math.sqrt(Math.PI));
    const r = new Rng(51);
    const reps = Array.from({ length: 30 }, () => {
      const a = r.normals(new Float64Array(300));
      const b = r.normals(new Float64Array(300)).map((x) => x + delta);
      return energyDistance(a, b, 1);
    });
    const m = reps.reduce((x, y) => x + y, 0) / reps.length;
    const se = Math.sqrt(reps.reduce((x, y) => x + (y - m) ** 2, 0) / (reps.length - 1) / reps.length);
    expect(Math.abs(m - exact)).toBeLessThan(4 * se);
    expect(() => energyDistance(new Float32Array(3), new Float32Array(4))).toThrow(/energyDistance: a must be/);
  });
});

describe("energy distance with a standard error (disjoint blocks)", () => {
  it("is within 4 SE of 0 for two samples of one distribution, and of the closed form for a shift", () => {
    const r = new Rng(61);
    const a = r.normals(new Float64Array(2000));
    const b = r.normals(new Float64Array(2000));
    const same = energyDistanceWithSE(a, b, 1, 10);
    expect(same.se).toBeGreaterThan(0);
    expect(Math.abs(same.estimate)).toBeLessThan(4 * same.se);
    const delta = 0.8;
    const eAbs = Math.sqrt(4 / Math.PI) * Math.exp(-(delta * delta) / 4) + delta * (1 - 2 * normalCdf(-delta / Math.sqrt(2)));
    const shifted = energyDistanceWithSE(a, b.map((x) => x + delta), 1, 10);
    expect(Math.abs(shifted.estimate - (2 * eAbs - 4 / Math.sqrt(Math.PI)))).toBeLessThan(4 * shifted.se);
    expect(() => energyDistanceWithSE(a.subarray(0, 6), b, 1, 5)).toThrow(/blocks must be an integer ≥ 2 leaving at least 2 points/);
  });
});
