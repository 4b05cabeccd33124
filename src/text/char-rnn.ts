/**
 * A small character-level recurrent language model in TensorFlow.js (lecture 000, "RNN as a
 * DGM"): a GRU reads . c_1 … c_{t−1} and outputs p(c_t | c_<t) = softmax(W h_t + b), so
 *
 *   p(c_1..c_T, end) = Π_t p(c_t | c_1, …, c_{t−1}),
 *
 * the full chain rule with no Markov truncation: as a DGM every c_t has all earlier
 * characters as parents. Trained by maximum likelihood (mean cross-entropy per token) with
 * Adam; perplexity = exp(mean NLL per token), the same tokens as the n-gram models score.
 */
import * as tf from "@tensorflow/tfjs";
import type { Rng } from "../runtime/rng";
import { initBackend } from "../runtime/backend";
import { loopSignal, throwIfAborted, yielder } from "../runtime/abort";
import { progress } from "../runtime/progress";
import { sampleCategoricalOne } from "../prob/samplers";
import { CharVocab } from "./vocab";
import type { CharLanguageModel } from "./ngram";

export interface CharRnnOptions {
  /** Embedding size (default 16). */
  embedding?: number;
  /** GRU units (default 64). */
  hidden?: number;
  /** Longest word + 1 the model accepts (default: from the training words). */
  maxLen?: number;
}

export interface CharRnnTrainOptions {
  epochs?: number;
  batchSize?: number;
  learningRate?: number;
  /** Held-out words scored after each epoch (optional). */
  validation?: readonly string[];
  signal?: AbortSignal;
  /** Show a progress bar (default true). */
  showProgress?: boolean;
}

export interface CharRnnHistory {
  trainNll: number[];
  validationPerplexity: number[];
}

function encodeBatch(vocab: CharVocab, words: readonly string[], T: number) {
  const n = words.length;
  const x = new Int32Array(n * T);
  const y = new Int32Array(n * T);
  const w = new Float32Array(n * T);
  words.forEach((word, i) => {
    const ids = vocab.encode(word);
    if (ids.length + 1 > T) throw new RangeError(`CharRnn: "${word}" has ${ids.length} letters; the model handles at most ${T - 1}.`);
    const inp = [0, ...ids];
    const out = [...ids, 0];
    for (let t = 0; t < inp.length; t++) {
      x[i * T + t] = inp[t];
      y[i * T + t] = out[t];
      w[i * T + t] = 1;
    }
  });
  return { x, y, w, tokens: words.reduce((a, s) => a + s.length + 1, 0) };
}

export class CharRnn implements CharLanguageModel {
  readonly vocab: CharVocab;
  readonly maxLen: number;
  readonly model: tf.LayersModel;
  readonly label = "char GRU";
  private optimizer: tf.Optimizer | null = null;

  private constructor(vocab: CharVocab, maxLen: number, model: tf.LayersModel) {
    this.vocab = vocab;
    this.maxLen = maxLen;
    this.model = model;
  }

  /** Build an untrained model (seeded initializers). Awaits the tfjs backend. */
  static async create(vocab: CharVocab, rng: Rng, opts: CharRnnOptions & { words?: readonly string[] } = {}): Promise<CharRnn> {
    await initBackend();
    const maxLen = opts.maxLen ?? Math.max(...(opts.words ?? ["x".repeat(15)]).map((w) => w.length)) + 1;
    const V = vocab.size;
    const model = tf.sequential();
    // Characters enter as one-hot vectors through a bias-free dense layer (an embedding
    // written as a matmul: the wasm backend has no gradient kernel for gather).
    model.add(
      tf.layers.dense({
        inputShape: [maxLen, V],
        units: opts.embedding ?? 16,
        useBias: false,
        kernelInitializer: tf.initializers.randomNormal({ stddev: 0.3, seed: rng.seedInt() }),
      }),
    );
    model.add(
      tf.layers.gru({
        units: opts.hidden ?? 64,
        returnSequences: true,
        kernelInitializer: tf.initializers.glorotUniform({ seed: rng.seedInt() }),
        recurrentInitializer: tf.initializers.glorotUniform({ seed: rng.seedInt() }),
      }),
    );
    model.add(
      tf.layers.timeDistributed({
        layer: tf.layers.dense({ units: V, kernelInitializer: tf.initializers.glorotUniform({ seed: rng.seedInt() }) }),
      }),
    );
    return new CharRnn(vocab, maxLen, model);
  }

  /** Mean NLL per token (nats) of a batch, as a scalar tensor: −Σ w log softmax(logits)[y] / Σ w. */
  private lossOf(x: tf.Tensor2D, y: tf.Tensor2D, w: tf.Tensor2D): tf.Scalar {
    return tf.tidy(() => {
      const logits = this.model.apply(tf.oneHot(tf.cast(x, "int32"), this.vocab.size).toFloat()) as tf.Tensor3D;
      const logp = tf.logSoftmax(logits);
      const picked = tf.sum(tf.mul(logp, tf.oneHot(tf.cast(y, "int32"), this.vocab.size)), -1);
      return tf.div(tf.neg(tf.sum(tf.mul(picked, w))), tf.maximum(tf.sum(w), 1)) as tf.Scalar;
    });
  }

  /** Train by minibatch Adam on the mean per-token cross-entropy. Interruptible; no tensor leaks. */
  async train(words: readonly string[], rng: Rng, opts: CharRnnTrainOptions = {}): Promise<CharRnnHistory> {
    await initBackend();
    const epochs = opts.epochs ?? 10;
    const batchSize = opts.batchSize ?? 64;
    this.optimizer ??= tf.train.adam(opts.learningRate ?? 0.01);
    const enc = encodeBatch(this.vocab, words, this.maxLen);
    const T = this.maxLen;
    const n = words.length;
    const batches = Math.ceil(n / batchSize);
    const signal = loopSignal(opts.signal);
    const maybeYield = yielder();
    const bar = opts.showProgress === false ? null : progress({ total: epochs * batches, label: "char GRU", unit: "batches" });
    const history: CharRnnHistory = { trainNll: [], validationPerplexity: [] };
    for (let epoch = 0; epoch < epochs; epoch++) {
      const perm = rng.permutation(n);
      let sum = 0;
      let count = 0;
      for (let b = 0; b < batches; b++) {
        throwIfAborted(signal, `at epoch ${epoch + 1}, batch ${b + 1}`);
        const idx = perm.subarray(b * batchSize, Math.min(n, (b + 1) * batchSize));
        const m = idx.length;
        const xb = new Int32Array(m * T);
        const yb = new Int32Array(m * T);
        const wb = new Float32Array(m * T);
        idx.forEach((i, r) => {
          xb.set(enc.x.subarray(i * T, (i + 1) * T), r * T);
          yb.set(enc.y.subarray(i * T, (i + 1) * T), r * T);
          wb.set(enc.w.subarray(i * T, (i + 1) * T), r * T);
        });
        const x = tf.tensor2d(xb, [m, T], "int32");
        const y = tf.tensor2d(yb, [m, T], "int32");
        const w = tf.tensor2d(wb, [m, T], "float32");
        const lossT = this.optimizer.minimize(() => this.lossOf(x, y, w), true) as tf.Scalar;
        const loss = (await lossT.data())[0];
        tf.dispose([x, y, w, lossT]);
        sum += loss * m;
        count += m;
        bar?.tick(1, { epoch: epoch + 1, nll: loss });
        await maybeYield();
      }
      history.trainNll.push(sum / count);
      if (opts.validation) history.validationPerplexity.push((await this.evaluate(opts.validation)).perplexity);
    }
    bar?.done({ nll: history.trainNll[history.trainNll.length - 1] });
    return history;
  }

  /** Held-out perplexity exp(−Σ log p / #tokens) over words and their end tokens, batched. */
  async evaluate(words: readonly string[], batchSize = 256): Promise<{ perplexity: number; nllPerToken: number; tokens: number }> {
    const enc = encodeBatch(this.vocab, words, this.maxLen);
    const T = this.maxLen;
    let nll = 0;
    for (let s = 0; s < words.length; s += batchSize) {
      const m = Math.min(batchSize, words.length - s);
      const total = tf.tidy(() => {
        const x = tf.tensor2d(enc.x.subarray(s * T, (s + m) * T), [m, T], "int32");
        const y = tf.tensor2d(enc.y.subarray(s * T, (s + m) * T), [m, T], "int32");
        const w = tf.tensor2d(enc.w.subarray(s * T, (s + m) * T), [m, T], "float32");
        return tf.mul(this.lossOf(x, y, w), tf.sum(w));
      });
      nll += (await total.data())[0];
      total.dispose();
    }
    return { perplexity: Math.exp(nll / enc.tokens), nllPerToken: nll / enc.tokens, tokens: enc.tokens };
  }

  /** p(· | context) from one forward pass (slow per call; for sampling and checks). */
  nextProbs(context: readonly number[]): Float64Array {
    if (context.length >= this.maxLen) throw new RangeError(`CharRnn.nextProbs: context of ${context.length} exceeds the model's ${this.maxLen - 1}.`);
    const x = new Int32Array(this.maxLen);
    context.forEach((c, i) => (x[i + 1] = c));
    const probs = tf.tidy(() => {
      const logits = this.model.apply(tf.oneHot(tf.tensor2d(x, [1, this.maxLen], "int32"), this.vocab.size).toFloat()) as tf.Tensor3D;
      return tf.softmax(logits.slice([0, context.length, 0], [1, 1, this.vocab.size]).reshape([this.vocab.size]));
    });
    const out = Float64Array.from(probs.dataSync());
    probs.dispose();
    return out;
  }

  /** Sample a word: c_t ~ p(· | c_<t) until the end token. */
  sample(rng: Rng): string {
    const ids: number[] = [];
    while (ids.length < this.maxLen - 1) {
      const c = sampleCategoricalOne(rng, this.nextProbs(ids));
      if (c === 0) break;
      ids.push(c);
    }
    return this.vocab.decode(ids);
  }

  /** Release the model's and optimizer's tensors. */
  dispose(): void {
    this.model.dispose();
    this.optimizer?.dispose();
    this.optimizer = null;
  }
}
