/**
 * Character n-gram language models (lecture 000, "generative models of text"): an n-gram
 * model is an (n−1)-th order Markov model over characters,
 *
 *   p(c_1..c_T, end) = Π_{t=1}^{T+1} p(c_t | c_{t−n+1} … c_{t−1}),
 *
 * with the context padded by boundary tokens ".". Estimation is maximum likelihood
 * (counts / context counts) with add-k smoothing,
 *   p(c | h) = (N(h, c) + k) / (N(h) + kV),
 * or with interpolation of orders 1..n (Jelinek–Mercer), p(c | h) = Σ_j λ_j p_ML,j(c | h_j)
 * plus a uniform floor. Held-out perplexity is exp(−(1/N) Σ log p(token)) over every
 * predicted token (letters and end-of-name).
 */
import type { Rng } from "../runtime/rng";
import { sampleCategoricalOne } from "../prob/samplers";
import { CharVocab } from "./vocab";

/** Anything that gives p(next token | the tokens so far). */
export interface CharLanguageModel {
  readonly vocab: CharVocab;
  readonly label: string;
  /** p(· | context), context = token ids seen so far (not including the leading boundary). */
  nextProbs(context: readonly number[]): Float64Array;
}

export type NgramSmoothing = { kind: "addk"; k: number } | { kind: "interpolated"; lambdas: number[] };

export class NgramModel implements CharLanguageModel {
  readonly vocab: CharVocab;
  readonly order: number;
  readonly smoothing: NgramSmoothing;
  /** counts[j]: context string of length j → counts of the next token (orders 1..n). */
  private readonly counts: Map<string, Float64Array>[];

  constructor(order: number, words: readonly string[], opts: { vocab?: CharVocab; smoothing?: NgramSmoothing } = {}) {
    if (!Number.isInteger(order) || order < 1) throw new RangeError(`NgramModel: order must be an integer ≥ 1; got ${order}.`);
    this.order = order;
    this.vocab = opts.vocab ?? CharVocab.fromWords(words);
    this.smoothing = opts.smoothing ?? { kind: "addk", k: 0.1 };
    if (this.smoothing.kind === "addk" && !(this.smoothing.k >= 0)) throw new RangeError(`NgramModel: add-k needs k ≥ 0; got ${this.smoothing.k}.`);
    if (this.smoothing.kind === "interpolated") {
      const l = this.smoothing.lambdas;
      if (l.length !== order || l.some((x) => !(x >= 0)) || l.reduce((a, b) => a + b, 0) > 1 + 1e-12) {
        throw new RangeError(`NgramModel: interpolated smoothing needs ${order} weights λ_1..λ_n ≥ 0 with Σλ ≤ 1 (the rest goes to the uniform model).`);
      }
    }
    this.counts = Array.from({ length: order }, () => new Map<string, Float64Array>());
    const V = this.vocab.size;
    for (const w of words) {
      const ids = [...this.vocab.encode(w), 0];
      const padded = [...new Array(order - 1).fill(0), ...ids];
      for (let t = order - 1; t < padded.length; t++) {
        for (let j = 0; j < order; j++) {
          const key = padded.slice(t - j, t).join(",");
          let c = this.counts[j].get(key);
          if (!c) this.counts[j].set(key, (c = new Float64Array(V)));
          c[padded[t]] += 1;
        }
      }
    }
  }

  get label(): string {
    const s = this.smoothing.kind === "addk" ? `add-${this.smoothing.k}` : "interpolated";
    return `${this.order}-gram (${s})`;
  }

  /** Maximum-likelihood p(· | last j tokens of the padded context), or null for an unseen context. */
  private ml(context: readonly number[], j: number): Float64Array | null {
    const padded = [...new Array(this.order - 1).fill(0), ...context];
    const key = padded.slice(padded.length - j).join(",");
    const c = this.counts[j].get(key);
    if (!c) return null;
    let n = 0;
    for (const v of c) n += v;
    return c.map((v) => v / n);
  }

  nextProbs(context: readonly number[]): Float64Array {
    const V = this.vocab.size;
    const j = this.order - 1;
    if (this.smoothing.kind === "addk") {
      const { k } = this.smoothing;
      const padded = [...new Array(j).fill(0), ...context];
      const c = this.counts[j].get(padded.slice(padded.length - j).join(","));
      let n = 0;
      if (c) for (const v of c) n += v;
      if (n + k * V === 0) return new Float64Array(V).fill(1 / V);
      return Float64Array.from({ length: V }, (_, i) => ((c ? c[i] : 0) + k) / (n + k * V));
    }
    const lambdas = this.smoothing.lambdas;
    const rest = 1 - lambdas.reduce((a, b) => a + b, 0);
    const p = new Float64Array(V).fill(rest / V);
    let leftover = 0;
    for (let m = 0; m < this.order; m++) {
      const q = this.ml(context, m);
      if (q) for (let i = 0; i < V; i++) p[i] += lambdas[m] * q[i];
      else leftover += lambdas[m];
    }
    // Weight of unseen contexts goes to the uniform model so that p still sums to 1.
    if (leftover > 0) for (let i = 0; i < V; i++) p[i] += leftover / V;
    return p;
  }
}

/** The uniform model p(c | h) = 1/V: its perplexity on any text is exactly V. */
export class UniformCharModel implements CharLanguageModel {
  readonly label = "uniform";
  constructor(readonly vocab: CharVocab) {}
  nextProbs(): Float64Array {
    return new Float64Array(this.vocab.size).fill(1 / this.vocab.size);
  }
}

/** log p(word, end) = Σ_t log p(c_t | c_<t), including the end-of-name token. */
export function wordLogProb(model: CharLanguageModel, word: string): number {
  const ids = [...model.vocab.encode(word), 0];
  let s = 0;
  for (let t = 0; t < ids.length; t++) s += Math.log(model.nextProbs(ids.slice(0, t))[ids[t]]);
  return s;
}

/** Per-token perplexity exp(−Σ_words log p(word, end) / Σ_words (|word| + 1)) and the mean NLL in nats. */
export function perplexity(model: CharLanguageModel, words: readonly string[]): { perplexity: number; nllPerToken: number; tokens: number } {
  if (words.length === 0) throw new RangeError("perplexity: no words to score.");
  let nll = 0;
  let tokens = 0;
  for (const w of words) {
    nll -= wordLogProb(model, w);
    tokens += w.length + 1;
  }
  return { perplexity: Math.exp(nll / tokens), nllPerToken: nll / tokens, tokens };
}

/** Ancestral sampling of one word: draw c_t ~ p(· | c_<t) until the end token (or maxLen letters). */
export function sampleWord(model: CharLanguageModel, rng: Rng, maxLen = 20): string {
  const ids: number[] = [];
  while (ids.length < maxLen) {
    const c = sampleCategoricalOne(rng, model.nextProbs(ids));
    if (c === 0) break;
    ids.push(c);
  }
  return model.vocab.decode(ids);
}
