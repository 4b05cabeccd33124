import { describe, expect, it } from "vitest";
import { rng } from "../../src/runtime/rng";
import { FactorGraph, HiddenMarkovModel, MarkovChain, totalVariation } from "../../src/graphical";

const P = [
  [0.9, 0.075, 0.025],
  [0.15, 0.8, 0.05],
  [0.25, 0.25, 0.5],
];

describe("Markov chains", () => {
  const chain = new MarkovChain([1, 0, 0], P);
  it("stationary distribution satisfies πP = π and sums to 1", () => {
    const pi = chain.stationary();
    const piP = chain.step(pi);
    pi.forEach((v, i) => expect(Math.abs(piP[i] - v)).toBeLessThan(1e-14));
    expect(pi.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 14);
    // Two-state closed form: π = (b, a)/(a + b) for P = [[1−a, a], [b, 1−b]].
    const two = new MarkovChain([0.5, 0.5], [[0.7, 0.3], [0.1, 0.9]]);
    expect(Array.from(two.stationary())).toEqual([expect.closeTo(0.25, 14), expect.closeTo(0.75, 14)]);
  });
  it("n-step marginals converge: total variation to π decreases geometrically (second eigenvalue)", () => {
    const two = new MarkovChain([1, 0], [[0.7, 0.3], [0.1, 0.9]]);
    const tv = two.mixing(10);
    // For two states, TV_t = TV_0 · |1 − a − b|^t = 0.75 · 0.6^t.
    tv.forEach((v, t) => expect(v).toBeCloseTo(0.75 * 0.6 ** t, 13));
    expect(chain.mixing(200)[200]).toBeLessThan(1e-10);
  });
  it("sequence log-likelihood is the sum of transition logs; sampled pair frequencies match P", () => {
    expect(chain.logLikelihood([0, 0, 1, 2])).toBeCloseTo(Math.log(1 * 0.9 * 0.075 * 0.05), 14);
    const x = chain.sampleSequence(rng(4), 100_000);
    const counts = [0, 0, 0];
    const from0 = [0, 0, 0];
    for (let t = 1; t < x.length; t++) if (x[t - 1] === 0) from0[x[t]]++;
    for (const v of x) counts[v]++;
    const n0 = from0.reduce((a, b) => a + b, 0);
    for (let j = 0; j < 3; j++) expect(Math.abs(from0[j] / n0 - P[0][j])).toBeLessThan(4 * Math.sqrt((P[0][j] * (1 - P[0][j])) / n0));
    // Long-run frequencies near π (loose: samples are correlated; 0.01 ≫ the ~0.003 batch SE here).
    const pi = chain.stationary();
    expect(totalVariation(counts.map((c) => c / x.length), pi)).toBeLessThan(0.01);
  });
  it("rejects bad rows", () => {
    expect(() => new MarkovChain([1, 0], [[0.5, 0.6], [0.5, 0.5]])).toThrow(/transition\[0\] sums to 1.1/);
    expect(() => new MarkovChain([0.5, 0.5], [[1, 0], [0, 1]]).stationary()).toThrow(/reducible/);
  });
});

describe("hidden Markov model", () => {
  const hmm = new HiddenMarkovModel([0.6, 0.4], [[0.7, 0.3], [0.2, 0.8]], [[0.5, 0.4, 0.1], [0.1, 0.3, 0.6]]);
  it("the forward algorithm equals brute-force summation over hidden paths", () => {
    const r = rng(6);
    for (let t = 0; t < 5; t++) {
      const { x } = hmm.sample(r, 9);
      expect(hmm.forward(x).logLikelihood).toBeCloseTo(hmm.logLikelihoodBruteForce(x), 12);
    }
  });
  it("likelihoods of all sequences of length 4 sum to 1", () => {
    let s = 0;
    for (let i = 0; i < 81; i++) s += Math.exp(hmm.forward([i % 3, Math.floor(i / 3) % 3, Math.floor(i / 9) % 3, Math.floor(i / 27)]).logLikelihood);
    expect(s).toBeCloseTo(1, 13);
  });
});

describe("factor graphs: locally vs globally normalized", () => {
  it("a chain DGM written as a factor graph has Z = 1; rescaled potentials change Z, not p(x)", () => {
    const fg = new FactorGraph({ A: 2, B: 2, C: 2 })
      .addFactor(["A"], [0.75, 0.25])
      .addFactor(["A", "B"], [0.9, 0.1, 0.3, 0.7])
      .addFactor(["B", "C"], [0.6, 0.4, 0.2, 0.8]);
    expect(fg.partitionFunction()).toBeCloseTo(1, 14);
    const scaled = new FactorGraph({ A: 2, B: 2, C: 2 })
      .addFactor(["A"], [3, 1])
      .addFactor(["A", "B"], [9, 1, 3, 7])
      .addFactor(["B", "C"], [6, 4, 2, 8]);
    expect(scaled.partitionFunction()).toBeCloseTo(4 * 10 * 10, 9);
    const x = { A: 1, B: 0, C: 1 };
    expect(scaled.prob(x)).toBeCloseTo(fg.prob(x), 14);
    expect(fg.prob(x)).toBeCloseTo(0.25 * 0.3 * 0.4, 14);
    expect(scaled.marginals().C[1]).toBeCloseTo(fg.marginals().C[1], 14);
  });
});
