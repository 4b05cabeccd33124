import { describe, expect, it } from "vitest";
import * as tf from "@tensorflow/tfjs";
import { rng } from "../../src/runtime/rng";
import { CharRnn, CharVocab, perplexity } from "../../src/text";

describe("character GRU language model", () => {
  it("trains without leaking tensors, lowers the loss, and its batched perplexity equals the chain-rule one", async () => {
    const words = ["anna", "hannah", "ada", "bob", "eve", "otto", "ava", "nan", "abba", "elle"];
    const vocab = CharVocab.fromWords(words);
    const rnn = await CharRnn.create(vocab, rng(1), { words, hidden: 16, embedding: 8 });
    const before = await rnn.evaluate(words);
    // Initial predictions are near uniform: perplexity close to V.
    expect(before.perplexity).toBeGreaterThan(vocab.size * 0.6);
    expect(before.perplexity).toBeLessThan(vocab.size * 1.6);
    await rnn.train(words, rng(2), { epochs: 1, batchSize: 5, learningRate: 0.03, showProgress: false });
    const n1 = tf.memory().numTensors;
    await rnn.train(words, rng(3), { epochs: 20, batchSize: 5, learningRate: 0.03, showProgress: false });
    expect(tf.memory().numTensors).toBe(n1);
    const after = await rnn.evaluate(words);
    expect(after.perplexity).toBeLessThan(before.perplexity * 0.7);
    // exp(mean NLL) from the batched evaluation = the product of p(c_t | c_<t) from nextProbs.
    expect(perplexity(rnn, words.slice(0, 4)).perplexity).toBeCloseTo((await rnn.evaluate(words.slice(0, 4))).perplexity, 4);
    expect(rnn.sample(rng(4))).toMatch(/^[a-z]*$/);
    // An aborted signal stops training at the next batch with a message saying where; the model stays usable.
    const ctl = new AbortController();
    ctl.abort();
    await expect(rnn.train(words, rng(5), { epochs: 2, batchSize: 5, signal: ctl.signal, showProgress: false })).rejects.toThrow(/epoch 1, batch 1/);
    expect(tf.memory().numTensors).toBe(n1);
    expect((await rnn.evaluate(words)).perplexity).toBeCloseTo(after.perplexity, 10);
    rnn.dispose();
  });
});
