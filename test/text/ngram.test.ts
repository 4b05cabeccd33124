import { describe, expect, it } from "vitest";
import { rng } from "../../src/runtime/rng";
import { CharVocab, NgramModel, UniformCharModel, loadNames, perplexity, sampleWord, splitNames, wordLogProb } from "../../src/text";

const words = ["ada", "adam", "eve", "eva", "dave", "ava", "dee"];

describe("character n-gram models", () => {
  const vocab = CharVocab.fromWords(words);
  it("the uniform model's perplexity equals the vocabulary size", () => {
    expect(vocab.size).toBe(6); // boundary + a d e m v
    expect(perplexity(new UniformCharModel(vocab), words).perplexity).toBeCloseTo(vocab.size, 12);
  });
  it("conditionals sum to 1 for every smoothing and context, including unseen ones", () => {
    for (const m of [
      new NgramModel(1, words, { vocab }),
      new NgramModel(2, words, { vocab, smoothing: { kind: "addk", k: 0 } }),
      new NgramModel(3, words, { vocab, smoothing: { kind: "addk", k: 0.5 } }),
      new NgramModel(3, words, { vocab, smoothing: { kind: "interpolated", lambdas: [0.2, 0.3, 0.4] } }),
    ]) {
      for (const ctx of [[], [1], [1, 2], [4, 4, 4]]) expect(m.nextProbs(ctx).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 13);
    }
  });
  it("maximum-likelihood bigram probabilities are count ratios", () => {
    const m = new NgramModel(2, words, { vocab, smoothing: { kind: "addk", k: 0 } });
    // After "a": a·d (ada, adam), a·m (adam), a·. (ada, eva, ava), a·v (dave, ava): 2, 1, 3, 2 of 8.
    const a = vocab.encode("a")[0];
    const d = vocab.encode("d")[0];
    expect(m.nextProbs([a])[d]).toBeCloseTo(2 / 8, 14);
    // log p("ada") = log p(a|.) + log p(d|a) + log p(a|d) + log p(.|a):
    // p(a|.) = 3/7 (ada adam ava), p(a|d) = 3/4 (ada adam dave vs dee), p(.|a) = 3/8.
    expect(wordLogProb(m, "ada")).toBeCloseTo(Math.log((3 / 7) * (2 / 8) * (3 / 4) * (3 / 8)), 12);
  });
  it("on the real names corpus: perplexity falls from unigram to trigram and beats uniform", () => {
    const names = loadNames("both");
    expect(names.length).toBeGreaterThan(8000);
    const { train, test } = splitNames(names, rng(0), 0.2);
    expect(train.some((w) => test.includes(w))).toBe(false);
    const v = CharVocab.fromWords(names);
    const p = [1, 2, 3].map((n) => perplexity(new NgramModel(n, train, { vocab: v }), test).perplexity);
    expect(p[0]).toBeLessThan(v.size);
    expect(p[1]).toBeLessThan(p[0]);
    expect(p[2]).toBeLessThan(p[1]);
    const s = sampleWord(new NgramModel(3, train, { vocab: v }), rng(1));
    expect(s).toMatch(/^[a-z]*$/);
  });
});
