import { describe, expect, it } from "vitest";
import { Rng, rng, defaultSeed } from "../../src/runtime/rng";
import { meanAndSE } from "../../src/runtime/check";

/** Reference PCG32 in BigInt, straight from pcg_basic.c, to compare against the 32-bit-halves version. */
function* pcg32Reference(seed: bigint, seq: bigint): Generator<number> {
  const M = 6364136223846793005n;
  const mask = (1n << 64n) - 1n;
  let state = 0n;
  const inc = ((seq << 1n) | 1n) & mask;
  const step = () => {
    state = (state * M + inc) & mask;
  };
  step();
  state = (state + seed) & mask;
  step();
  for (;;) {
    const old = state;
    step();
    const xs = Number((((old >> 18n) ^ old) >> 27n) & 0xffffffffn);
    const rot = Number(old >> 59n);
    yield ((xs >>> rot) | (xs << (-rot & 31))) >>> 0;
  }
}

describe("PCG32", () => {
  it("reproduces the published pcg32-demo outputs for seed 42, stream 54", () => {
    // pcg-c-basic, pcg32-demo.c, "Round 1" with pcg32_srandom_r(&rng, 42u, 54u)
    const expected = [0xa15c02b7, 0x7b47f409, 0xba1d3330, 0x83d2f293, 0xbfa4784b, 0xcbed606e];
    const r = new Rng(42, 54);
    expect(expected.map(() => r.nextUint32())).toEqual(expected);
  });

  it("matches a BigInt reference implementation for other seeds and large streams", () => {
    for (const [seed, seq] of [
      [0n, 0n],
      [1n, 1n],
      [123456789012345n, 987654321n],
      [(1n << 64n) - 1n, (1n << 63n) - 1n],
    ] as const) {
      const r = new Rng(seed, seq);
      const ref = pcg32Reference(seed, seq);
      for (let i = 0; i < 1000; i++) expect(r.nextUint32()).toBe(ref.next().value);
    }
  });

  it("is deterministic and restores state", () => {
    const a = rng(7);
    const b = rng(7);
    expect(Array.from({ length: 10 }, () => a.uniform())).toEqual(Array.from({ length: 10 }, () => b.uniform()));
    const s = a.getState();
    const x = [a.nextUint32(), a.nextUint32()];
    a.setState(s);
    expect([a.nextUint32(), a.nextUint32()]).toEqual(x);
  });

  it("draws uniforms with mean 1/2 and variance 1/12 within standard errors", () => {
    const r = rng(1);
    const n = 200_000;
    const u = r.uniforms(new Float64Array(n));
    const { mean, se } = meanAndSE(u);
    expect(Math.abs(mean - 0.5)).toBeLessThan(4 * se);
    const sq = u.map((x) => (x - 0.5) ** 2);
    const v = meanAndSE(sq);
    expect(Math.abs(v.mean - 1 / 12)).toBeLessThan(4 * v.se);
    expect(u.reduce((a, b) => Math.min(a, b), 1)).toBeGreaterThanOrEqual(0);
    expect(u.reduce((a, b) => Math.max(a, b), 0)).toBeLessThan(1);
  });

  it("draws normals with the first four moments of N(0,1) within standard errors", () => {
    const r = rng(2);
    const n = 200_000;
    const z = r.normals(new Float64Array(n));
    // E z = 0, E z^2 = 1, E z^3 = 0, E z^4 = 3
    for (const [k, target] of [
      [1, 0],
      [2, 1],
      [3, 0],
      [4, 3],
    ] as const) {
      const m = meanAndSE(z.map((x) => x ** k));
      expect(Math.abs(m.mean - target), `moment ${k}`).toBeLessThan(4 * m.se);
    }
  });

  it("int(n) is unbiased over its range (chi-square test)", () => {
    const r = rng(3);
    const n = 7;
    const draws = 70_000;
    const counts = new Array(n).fill(0);
    for (let i = 0; i < draws; i++) counts[r.int(n)]++;
    const e = draws / n;
    const chi2 = counts.reduce((s, c) => s + (c - e) ** 2 / e, 0);
    // chi-square with 6 degrees of freedom: P(chi2 > 22.46) = 0.001
    expect(chi2).toBeLessThan(22.46);
    expect(() => r.int(0)).toThrow(/bound/);
  });

  it("permutation is a permutation; forks are independent of the parent's later draws", () => {
    const r = rng(4);
    const p = Array.from(r.permutation(100)).sort((a, b) => a - b);
    expect(p).toEqual(Array.from({ length: 100 }, (_, i) => i));
    const f1 = rng(5).fork();
    const f2 = rng(5).fork();
    expect(f1.nextUint32()).toBe(f2.nextUint32());
  });

  it("reads LATENTLAB_SEED and rejects a bad one", () => {
    const old = process.env.LATENTLAB_SEED;
    try {
      process.env.LATENTLAB_SEED = "11";
      expect(defaultSeed()).toBe(11);
      expect(rng().nextUint32()).toBe(new Rng(11, 54).nextUint32());
      process.env.LATENTLAB_SEED = "-3";
      expect(() => defaultSeed()).toThrow(/non-negative integer/);
    } finally {
      if (old === undefined) delete process.env.LATENTLAB_SEED;
      else process.env.LATENTLAB_SEED = old;
    }
  });
});
