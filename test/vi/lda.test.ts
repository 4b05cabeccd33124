import { describe, expect, it } from "vitest";
import { ldaMeanField, ldaElbo, ldaSingleTopicLogEvidence, tinyTopicCorpus } from "../../src/vi/lda";
import { rng } from "../../src/runtime/rng";

describe("mean-field VI for LDA", () => {
  it("the ELBO never decreases (5 corpora, K = 2..4)", () => {
    for (let s = 0; s < 5; s++) {
      const r = rng(50 + s);
      const { docs, vocab } = tinyTopicCorpus(r, { docs: 20, length: 20 });
      const res = ldaMeanField(docs, { K: 2 + (s % 3), W: vocab.length, rng: r, maxIter: 40 });
      for (let t = 1; t < res.elboTrace.length; t++) expect(res.elboTrace[t]).toBeGreaterThanOrEqual(res.elboTrace[t - 1] - 1e-9 * Math.abs(res.elboTrace[t]));
      expect(ldaElbo(docs, res, { K: 2 + (s % 3), W: vocab.length })).toBeCloseTo(res.elbo, 9);
    }
  });
  it("K = 1: λ = η + word counts exactly and the ELBO equals the Dirichlet–categorical log evidence", () => {
    const r = rng(60);
    const { docs, vocab } = tinyTopicCorpus(r, { docs: 10, length: 15 });
    const res = ldaMeanField(docs, { K: 1, W: vocab.length, rng: r, eta: 0.2, maxIter: 3 });
    const counts = new Float64Array(vocab.length);
    for (const d of docs) for (const w of d) counts[w]++;
    counts.forEach((c, w) => expect(res.lambda[0][w]).toBeCloseTo(0.2 + c, 12));
    expect(res.elbo).toBeCloseTo(ldaSingleTopicLogEvidence(docs, vocab.length, 0.2), 9);
  });
  it("recovers the two topics of the tiny corpus", () => {
    const r = rng(61);
    const { docs, vocab, topics } = tinyTopicCorpus(r, { docs: 60, length: 40 });
    const res = ldaMeanField(docs, { K: 2, W: vocab.length, rng: r });
    // Match each true topic to its closest fitted topic by total variation distance.
    for (const t of topics) {
      const tv = Math.min(...res.topicWordMeans.map((b) => 0.5 * b.reduce((a, v, w) => a + Math.abs(v - t[w]), 0)));
      expect(tv).toBeLessThan(0.1);
    }
  });
  it("refuses word ids outside the vocabulary", () => {
    expect(() => ldaMeanField([[0, 5]], { K: 2, W: 3, rng: rng(1) })).toThrow(/outside 0..2/);
  });
});
