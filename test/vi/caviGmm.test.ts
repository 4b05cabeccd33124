import { describe, expect, it } from "vitest";
import { caviGmm, caviGmmElbo, gmmConjugateLogEvidence, gmmConjugatePosterior, gmmLogEvidenceExact, sampleGmmData } from "../../src/vi/caviGmm";
import * as linalg from "../../src/math/linalg";
import { rng } from "../../src/runtime/rng";

describe("CAVI for the Bayesian mixture of Gaussians (Blei et al. 2017, §3)", () => {
  it("the ELBO never decreases, on 40 random problems (d = 1..3, K = 2..4)", () => {
    const r = rng(31);
    for (let t = 0; t < 40; t++) {
      const K = 2 + r.int(3);
      const d = 1 + r.int(3);
      const sigma2 = 1 + 30 * r.uniform();
      const data = sampleGmmData(r, { n: 20 + r.int(60), K, d, priorVariance: sigma2 });
      const res = caviGmm(data.x, { K, priorVariance: sigma2, rng: r, maxIter: 200 });
      for (let i = 1; i < res.elboTrace.length; i++) {
        expect(res.elboTrace[i]).toBeGreaterThanOrEqual(res.elboTrace[i - 1] - 1e-9 * Math.abs(res.elboTrace[i - 1]));
      }
      expect(caviGmmElbo(data.x, res, sigma2)).toBeCloseTo(res.elbo, 9);
    }
  });

  it("K = 1: q(μ) is the exact conjugate posterior and the ELBO equals log p(x)", () => {
    const r = rng(32);
    for (const d of [1, 2, 3]) {
      const sigma2 = 4;
      const data = sampleGmmData(r, { n: 25, K: 1, d, priorVariance: sigma2 });
      const res = caviGmm(data.x, { K: 1, priorVariance: sigma2, rng: r });
      const post = gmmConjugatePosterior(data.x, sigma2);
      for (let j = 0; j < d; j++) expect(res.m[0][j]).toBeCloseTo(post.mean[j], 12);
      expect(res.s2[0]).toBeCloseTo(post.variance, 14);
      const lp = gmmConjugateLogEvidence(data.x, sigma2);
      expect(Math.abs(res.elbo - lp)).toBeLessThan(1e-9 * Math.abs(lp));
    }
  });

  it("the conjugate log evidence equals log N(x; 0, I + σ² 11ᵀ) computed by Cholesky", () => {
    const x = [0.3, -1.2, 2.2, 0.9, 1.4];
    const n = x.length;
    const s2 = 2.5;
    const S = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) S[i * n + j] = s2 + (i === j ? 1 : 0);
    const L = linalg.cholesky(S);
    const maha = linalg.mahalanobis2(L, Float64Array.from(x));
    const lp = -0.5 * n * Math.log(2 * Math.PI) - 0.5 * linalg.logDetFromCholesky(L) - 0.5 * maha;
    expect(gmmConjugateLogEvidence(x, s2)).toBeCloseTo(lp, 12);
    expect(gmmLogEvidenceExact(x, 1, s2).logEvidence).toBeCloseTo(lp, 12);
  });

  it("with K = 2 the ELBO is below the exact log evidence (2^n-term sum)", () => {
    const r = rng(33);
    const data = sampleGmmData(r, { n: 9, K: 2, priorVariance: 9 });
    const exact = gmmLogEvidenceExact(data.x, 2, 9);
    expect(exact.assignments).toBe(512);
    const res = caviGmm(data.x, { K: 2, priorVariance: 9, rng: r });
    expect(res.elbo).toBeLessThan(exact.logEvidence);
    // One point, K = 2: both components share the prior, so p(x) = N(x; 0, 1 + σ²).
    const one = gmmLogEvidenceExact([1.7], 2, 9).logEvidence;
    expect(one).toBeCloseTo(-0.5 * Math.log(2 * Math.PI * 10) - (1.7 * 1.7) / 20, 13);
  });

  it("refuses bad input", () => {
    expect(() => caviGmm([], { K: 2, priorVariance: 1, rng: rng(1) })).toThrow(/at least one/);
    expect(() => caviGmm([1, 2], { K: 0, priorVariance: 1, rng: rng(1) })).toThrow(/K must/);
    expect(() => caviGmm([[1, 2], [3]], { K: 1, priorVariance: 1, rng: rng(1) })).toThrow(/dimension/);
  });
});
