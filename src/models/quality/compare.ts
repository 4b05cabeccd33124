/**
 * Lecture 001's closing summary, measured: every generative model of the arc scored on the same
 * data with the same sample-quality measures, next to its log-likelihood where it has one.
 *
 * For each model: draw 64 samples (timed, on this machine), then n samples, and score them with
 *   - the Fréchet distance between the reference classifier's features of the samples and of the
 *     real test digits (lower is better; the distance of real training digits is the floor);
 *   - CAS: the samples, labelled by the reference classifier (the arc's models are unconditional),
 *     train a fresh classifier whose accuracy on the real test digits is reported (higher is
 *     better; real training digits give the ceiling).
 */
import { Rng } from "../../runtime/rng";
import { MlpClassifier, classifierFeatures } from "./classifier";
import { frechetDistance } from "./frechet";
import { classificationAccuracyScore } from "./cas";

export interface ModelUnderTest {
  name: string;
  /** Set when the model is not available (not built yet, checkpoint missing): the row says why. */
  missing?: string;
  /** n images (n × 784 grey values in [0, 1]). */
  sample?: (n: number, r: Rng) => Float32Array | Promise<Float32Array>;
  /** log p(x) in nats per test image, where the model has one, and how it was computed. */
  logLikelihood?: { nats: number; how: string };
  /** When there is no log-likelihood: why (e.g. "none: implicit model"). */
  logLikelihoodNote?: string;
  /** Training time in seconds (from the checkpoint's provenance, or measured here). */
  trainSeconds?: number;
  trainNote?: string;
}

export interface ComparisonRow {
  name: string;
  status: "measured" | "missing";
  note: string;
  nllNats?: number;
  nllHow: string;
  frechet?: number;
  cas?: number;
  /** Classes that hold at least 2% of the samples (by the reference classifier). */
  classesSeen?: number;
  trainSeconds?: number;
  trainNote: string;
  /** Wall-clock seconds to draw 64 samples here. */
  sample64Seconds?: number;
}

export interface CompareOptions {
  classifier: MlpClassifier;
  testImages: Float32Array;
  testLabels: ArrayLike<number>;
  /** Samples per model for the Fréchet distance and CAS (the same for every model). */
  samples: number;
  casEpochs?: number;
  rng: Rng;
  /** Called after each row (e.g. to print progress). */
  onRow?: (row: ComparisonRow) => void;
}

function checkSamples(x: unknown, n: number, name: string): Float32Array {
  if (!(x instanceof Float32Array) || x.length !== n * 784) {
    throw new Error(`${name}: sample(${n}) must return a Float32Array of ${n} × 784 grey values, got ${x instanceof Float32Array ? x.length + " numbers" : typeof x}.`);
  }
  for (let i = 0; i < x.length; i++) {
    if (!(x[i] >= -1e-6 && x[i] <= 1 + 1e-6)) throw new Error(`${name}: sample value ${i} is ${x[i]}, not a grey value in [0, 1] (clip decoder outputs first).`);
  }
  return x;
}

/** Score every model (see the module comment); rows of missing models say why. */
export async function compareGenerativeModels(models: ModelUnderTest[], opts: CompareOptions): Promise<ComparisonRow[]> {
  if (!Array.isArray(models)) throw new TypeError("compareGenerativeModels: pass an array of { name, sample, … } entries.");
  if (!(opts?.classifier instanceof MlpClassifier)) throw new TypeError("compareGenerativeModels: opts.classifier must be the reference MlpClassifier (loadOrTrainMnistClassifier()).");
  const n = opts.samples;
  if (!Number.isInteger(n) || n < 100) throw new RangeError(`compareGenerativeModels: samples must be an integer ≥ 100, got ${n}.`);
  const testFeat = classifierFeatures(opts.classifier, opts.testImages);
  const rows: ComparisonRow[] = [];
  for (const m of models) {
    const base = {
      name: m.name,
      nllNats: m.logLikelihood ? -m.logLikelihood.nats : undefined,
      nllHow: m.logLikelihood ? m.logLikelihood.how : (m.logLikelihoodNote ?? "—"),
      trainSeconds: m.trainSeconds,
      trainNote: m.trainNote ?? "",
    };
    if (m.missing || !m.sample) {
      const row: ComparisonRow = { ...base, status: "missing", note: m.missing ?? "no sampler" };
      rows.push(row);
      opts.onRow?.(row);
      continue;
    }
    const r = opts.rng.fork();
    const t0 = performance.now();
    checkSamples(await m.sample(64, r.fork()), 64, m.name);
    const sample64Seconds = (performance.now() - t0) / 1000;
    const x = checkSamples(await m.sample(n, r.fork()), n, m.name);
    const feat = classifierFeatures(opts.classifier, x);
    const frechet = frechetDistance(feat.features, testFeat.features, feat.dim);
    const labels = opts.classifier.predict(x);
    const counts = new Array<number>(10).fill(0);
    for (const l of labels) counts[l]++;
    const cas = await classificationAccuracyScore({
      trainImages: x,
      trainLabels: labels,
      testImages: opts.testImages,
      testLabels: opts.testLabels,
      epochs: opts.casEpochs ?? 10,
      rng: r.fork(),
    });
    const row: ComparisonRow = {
      ...base,
      status: "measured",
      note: "",
      frechet,
      cas: cas.accuracy,
      classesSeen: counts.filter((c) => c >= 0.02 * n).length,
      sample64Seconds,
    };
    rows.push(row);
    opts.onRow?.(row);
  }
  return rows;
}

function fmtSeconds(s: number | undefined): string {
  if (s === undefined || !Number.isFinite(s)) return "—";
  return s < 0.1 ? `${(s * 1000).toFixed(1)} ms` : s < 100 ? `${s.toFixed(1)} s` : `${(s / 60).toFixed(1)} min`;
}

/** The rows as a Markdown table. */
export function comparisonMarkdown(rows: ComparisonRow[]): string {
  const head = "| model | −log p(x), nats per test image | how | Fréchet distance ↓ | CAS ↑ | classes in samples | training | 64 samples here |\n| --- | --- | --- | --- | --- | --- | --- | --- |";
  const body = rows.map((r) => {
    if (r.status === "missing") return `| ${r.name} | ${r.nllNats !== undefined ? r.nllNats.toFixed(1) : "—"} | ${r.nllHow} | *${r.note}* | — | — | ${fmtSeconds(r.trainSeconds)} | — |`;
    return (
      `| ${r.name} | ${r.nllNats !== undefined ? r.nllNats.toFixed(1) : "—"} | ${r.nllHow} | ${r.frechet!.toFixed(2)} | ${(100 * r.cas!).toFixed(1)}% | ${r.classesSeen} / 10 | ` +
      `${fmtSeconds(r.trainSeconds)}${r.trainNote ? ` (${r.trainNote})` : ""} | ${fmtSeconds(r.sample64Seconds)} |`
    );
  });
  return [head, ...body].join("\n");
}
