/**
 * Codebook learning and health: the EMA update against its closed form on a hand case, dead-code
 * restarts move only the unused codes, usage and perplexity at their extremes, and the K-means
 * codebook is a K-means fixed point.
 */
import { describe, expect, it } from "vitest";
import { Rng } from "../../../src/runtime/rng";
import {
  codebookPerplexity,
  codesUsed,
  codeUsage,
  emaCodebookUpdate,
  emaStateFrom,
  kMeansCodebook,
  restartDeadCodes,
} from "../../../src/models/vqvae/codebook";

describe("EMA codebook update", () => {
  it("matches the hand-computed closed form (γ = 0.5, ε = 0.1)", () => {
    // K = 2, I = 1, C = (0, 1) → N = (1, 1), m = (0, 1). Batch: latents 1, 3 → code 0; 10 → code 1.
    // n = (2, 1), sums = (4, 10). N ← 0.5·1 + 0.5·(2, 1) = (1.5, 1); m ← 0.5·(0, 1) + 0.5·(4, 10) = (2, 5.5).
    // Σ N = 2.5; Ñ_k = (N_k + 0.1) / (2.5 + 0.2) · 2.5 = (1.6, 1.1) · 2.5 / 2.7.
    // C_0 = 2 · 2.7 / (1.6 · 2.5) = 1.35, C_1 = 5.5 · 2.7 / (1.1 · 2.5) = 5.4.
    const state = emaStateFrom([0, 1], 1);
    const c = emaCodebookUpdate(state, [1, 3, 10], [0, 0, 1], 0.5, 0.1);
    expect(Array.from(state.clusterSize)).toEqual([1.5, 1]);
    expect(Array.from(state.embedSum)).toEqual([2, 5.5]);
    expect(c[0]).toBeCloseTo(1.35, 6);
    expect(c[1]).toBeCloseTo(5.4, 6);
  });

  it("with γ → 0 and small ε each code jumps to the mean of its batch latents (K-means' M-step)", () => {
    const state = emaStateFrom([0, 0, 5, 5, 9, 9], 2);
    const c = emaCodebookUpdate(state, [1, 2, 3, 4, 6, 6], [0, 0, 1], 0, 1e-9);
    expect(c[0]).toBeCloseTo(2, 5);
    expect(c[1]).toBeCloseTo(3, 5);
    expect(c[2]).toBeCloseTo(6, 5);
    expect(c[3]).toBeCloseTo(6, 5);
    // code 2 got nothing: its N decays to 0 and only ε keeps C finite (m = 0 too, so C = 0)
    expect(Number.isFinite(c[4])).toBe(true);
  });

  it("rejects codes out of range and a bad decay", () => {
    const state = emaStateFrom([0, 1], 1);
    expect(() => emaCodebookUpdate(state, [1], [2])).toThrow(/not an integer in \[0, 2\)/);
    expect(() => emaCodebookUpdate(state, [1], [0], 1)).toThrow(/decay/);
    expect(() => emaCodebookUpdate(state, [1, 2], [0])).toThrow(/latent numbers/);
  });
});

describe("dead-code restart", () => {
  it("moves only the codes with zero usage, each onto a distinct candidate", () => {
    const I = 3, K = 8;
    const r = new Rng(11);
    const C = r.normals(new Float32Array(K * I));
    const usage = Int32Array.of(5, 0, 2, 0, 0, 1, 9, 0);
    const cand = Float32Array.from({ length: 6 * I }, (_, t) => 100 + t);
    const res = restartDeadCodes(C, usage, cand, I, r);
    expect(res.restarted).toEqual([1, 3, 4, 7]);
    const picked = new Set<number>();
    for (let k = 0; k < K; k++) {
      const row = Array.from(res.codebook.slice(k * I, k * I + I));
      if (usage[k] > 0) expect(row).toEqual(Array.from(C.slice(k * I, k * I + I)));
      else {
        const c = (row[0] - 100) / I;
        expect(Number.isInteger(c) && c >= 0 && c < 6).toBe(true);
        expect(row).toEqual(Array.from(cand.slice(c * I, c * I + I)));
        picked.add(c);
      }
    }
    expect(picked.size).toBe(4);
  });

  it("k-means++ picks (d2) never choose a candidate sitting on a live code, and spread over the rest", () => {
    // live code 0 at the origin; candidates: four copies of the origin and two far points
    const C = Float32Array.of(0, 0, 7, 7, 8, 8);
    const cand = Float32Array.of(0, 0, 0, 0, 10, 0, 0, 0, 0, 0, 0, -10);
    for (let seed = 0; seed < 5; seed++) {
      const res = restartDeadCodes(C, [9, 0, 0], cand, 2, new Rng(seed), { pick: "d2" });
      expect(res.restarted).toEqual([1, 2]);
      const rows = [Array.from(res.codebook.slice(2, 4)), Array.from(res.codebook.slice(4, 6))].map((r) => r.join(",")).sort();
      expect(rows).toEqual(["0,-10", "10,0"]); // the second pick is not the first: its weight became 0
      expect(Array.from(res.codebook.slice(0, 2))).toEqual([0, 0]);
    }
  });

  it("leaves a fully used codebook alone, and is deterministic for a seed", () => {
    const C = Float32Array.of(1, 2, 3, 4);
    expect(restartDeadCodes(C, [1, 1], [9, 9], 2, new Rng(1)).restarted).toEqual([]);
    const a = restartDeadCodes(C, [0, 3], [5, 6, 7, 8, 9, 10], 2, new Rng(2)).codebook;
    const b = restartDeadCodes(C, [0, 3], [5, 6, 7, 8, 9, 10], 2, new Rng(2)).codebook;
    expect(Array.from(a)).toEqual(Array.from(b));
  });
});

describe("usage and perplexity", () => {
  it("perplexity is K for uniform usage and 1 for a collapsed codebook", () => {
    const codes = Int32Array.from({ length: 64 }, (_, i) => i % 16);
    const u = codeUsage(codes, 16);
    expect(codesUsed(u)).toBe(16);
    expect(codebookPerplexity(u)).toBeCloseTo(16, 10);
    const one = codeUsage(new Int32Array(10).fill(3), 16);
    expect(codesUsed(one)).toBe(1);
    expect(codebookPerplexity(one)).toBe(1);
    // two codes with p = (3/4, 1/4): exp(H) = exp(−(¾ ln ¾ + ¼ ln ¼))
    expect(codebookPerplexity([3, 1])).toBeCloseTo(Math.exp(-(0.75 * Math.log(0.75) + 0.25 * Math.log(0.25))), 12);
    expect(() => codeUsage([0, 16], 16)).toThrow(/not an integer in \[0, 16\)/);
    expect(() => codeUsage([0], 1)).toThrow(/K = 1 must be an integer ≥ 2/);
  });
});

describe("K-means codebook", () => {
  it("is a K-means fixed point: every code is the mean of the latents nearest to it", async () => {
    const r = new Rng(12);
    const I = 2, n = 400, K = 4;
    const z = new Float32Array(n * I);
    for (let p = 0; p < n; p++) {
      const c = p % 4;
      z[p * I] = (c % 2) * 6 + 0.5 * r.normal();
      z[p * I + 1] = Math.floor(c / 2) * 6 + 0.5 * r.normal();
    }
    const C = await kMeansCodebook(z, I, K, r, 100);
    const sums = new Float64Array(K * I);
    const cnt = new Float64Array(K);
    for (let p = 0; p < n; p++) {
      let best = 0, bd = Infinity;
      for (let k = 0; k < K; k++) {
        const d = (z[p * I] - C[k * I]) ** 2 + (z[p * I + 1] - C[k * I + 1]) ** 2;
        if (d < bd) { bd = d; best = k; }
      }
      cnt[best]++;
      for (let i = 0; i < I; i++) sums[best * I + i] += z[p * I + i];
    }
    for (let k = 0; k < K; k++) {
      expect(cnt[k]).toBe(100);
      for (let i = 0; i < I; i++) expect(Math.abs(sums[k * I + i] / cnt[k] - C[k * I + i])).toBeLessThan(1e-5);
    }
  });
});
