/**
 * Benchmark: the Kingma & Welling VAE on embedded MNIST, latentlab (TensorFlow.js) against
 * the same model in PyTorch, in one run.
 *
 *   data     embedded MNIST (10,000 digits), stratified 90/10 split per class (seeded)
 *   model    784-400-20 ReLU, Bernoulli decoder, analytic KL, Adam 1e-3, batch 128
 *   training dynamic binarization per batch, 30 epochs
 *   scores   test ELBO (1 sample, analytic KL) and IWAE k = 1000 on the test images,
 *            binarized once with the seed (the same binary test images for both)
 *   speed    training images/s of both, and the ratio
 *
 * Run the whole comparison (and write the shipped checkpoint): `npx tsx bench/workloads/vae.ts`
 * (env: VAE_BENCH_EPOCHS=30, VAE_BENCH_K=1000, VAE_BENCH_SEED=0,
 * VAE_BENCH_CHECKPOINT=checkpoints/vae-mnist-784-400-20, VAE_BENCH_PEER=1).
 * It is also registered with the bench harness as workload "vae-quality" (`npm run bench --
 * vae-quality`, one repetition each, same environment variables; no checkpoint written).
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { execFileSync } from "child_process";
import * as tf from "@tensorflow/tfjs";
import { initBackend, describeBackend } from "../../src/runtime/backend";
import { Rng } from "../../src/runtime/rng";
import { loadEmbeddedMnist } from "../../src/data/mnist";
import { stratifiedSplit } from "../../src/data/split";
import { binarizeDynamic } from "../../src/data/binarize";
import { createVae } from "../../src/models/vae";
import { trainVae } from "../../src/models/train";
import { evaluateVae, iwaeLogLikelihood, activeUnits } from "../../src/models/evaluate";
import { saveVae } from "../../src/models/checkpoint";
import { type Implementation, type Workload, Skip } from "../harness";

const env = (k: string, d: string) => process.env[k] ?? d;

const prepared = new Map<number, ReturnType<typeof prepareFresh>>();

function prepareFresh(seed: number) {
  const ds = loadEmbeddedMnist();
  const r = new Rng(seed);
  const split = stratifiedSplit(ds, { testFraction: 0.1, rng: r.fork() });
  const testBinary = binarizeDynamic(split.test.images, r.fork());
  // Hand the identical split (indices, seed, the very images) to the PyTorch peer.
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "latentlab-vae-bench-"));
  fs.writeFileSync(
    path.join(dataDir, "split.json"),
    JSON.stringify({
      seed, dataset: ds.name, source: ds.source, testFraction: 0.1,
      trainIndices: Array.from(split.trainIndices), testIndices: Array.from(split.testIndices),
      dataDim: 784, hidden: 400, latentDim: 20, batchSize: 128, learningRate: 1e-3,
      binarization: "dynamic (x ~ Bernoulli(pixel)) per training batch; test images binarized once with the seed",
    }),
  );
  fs.writeFileSync(path.join(dataDir, "train_f32.bin"), Buffer.from(split.train.images.buffer));
  fs.writeFileSync(path.join(dataDir, "test_bin_u8.bin"), Buffer.from(Uint8Array.from(testBinary)));
  return { ds, r, split, testBinary, dataDir };
}

/** The benchmark's data (once per seed per process): split, fixed binary test set, and the peer's files. */
export function prepareVaeBenchData(seed: number): ReturnType<typeof prepareFresh> {
  if (!prepared.has(seed)) prepared.set(seed, prepareFresh(seed));
  return prepared.get(seed)!;
}

export async function runVaeBenchmark(): Promise<Record<string, unknown>> {
  const epochs = Number(env("VAE_BENCH_EPOCHS", "30"));
  const k = Number(env("VAE_BENCH_K", "1000"));
  const seed = Number(env("VAE_BENCH_SEED", "0"));
  const ckpt = env("VAE_BENCH_CHECKPOINT", path.join(__dirname, "..", "..", "checkpoints", "vae-mnist-784-400-20"));
  const backend = await initBackend();
  console.log(describeBackend(backend));
  const { ds, r, split, testBinary, dataDir } = prepareVaeBenchData(seed);
  const cfg = { latentDim: 20, hidden: [400], batchSize: 128, learningRate: 1e-3 };

  const model = createVae({ latentDim: cfg.latentDim, hidden: cfg.hidden }, r.fork());
  const t0 = Date.now();
  const res = await trainVae(model, split.train, {
    epochs, batchSize: cfg.batchSize, learningRate: cfg.learningRate, rng: r.fork(),
    onEpoch: (m) => console.log(`epoch ${m.epoch}: loss ${m.loss.toFixed(2)} (rec ${m.reconstruction.toFixed(2)}, KL ${m.kl.toFixed(2)}), ${m.imagesPerSec.toFixed(0)} images/s, tensors ${m.numTensors}`),
  });
  const trainWall = (Date.now() - t0) / 1000;
  const ev = await evaluateVae(model, testBinary, { rng: r.fork() });
  const t1 = Date.now();
  const iw = await iwaeLogLikelihood(model, testBinary, { k, rng: r.fork() });
  const iwaeSeconds = (Date.now() - t1) / 1000;
  const au = activeUnits(model, testBinary);
  const ours = {
    backend: describeBackend(backend),
    testElbo: ev.elbo, testReconstruction: ev.reconstruction, testKl: ev.kl,
    iwae: iw.logLikelihood, iwaeSE: iw.standardError, k, activeUnits: au.count,
    trainImagesPerSec: res.imagesPerSec, trainWallSeconds: trainWall, iwaeSeconds,
  };
  console.log("latentlab:", JSON.stringify(ours));

  let peer: Record<string, number | string> | null = null;
  if (env("VAE_BENCH_PEER", "1") !== "0") {
    const script = path.join(__dirname, "..", "peers", "vae_torch.py");
    const out = execFileSync("/usr/bin/python3", [script, "--data", dataDir, "--epochs", String(epochs), "--k", String(k)], { encoding: "utf8", maxBuffer: 1 << 24 });
    peer = JSON.parse(out.trim().split("\n").pop() as string);
    console.log("pytorch:", JSON.stringify(peer));
  }
  const result = {
    workload: "vae-mnist-784-400-20",
    command: "npx tsx bench/workloads/vae.ts",
    seed, epochs, split: "embedded MNIST, stratified 90/10 per class (stratifiedSplit, Rng(seed).fork())",
    trainCount: split.train.count, testCount: split.test.count,
    ours, peer,
    gaps: peer ? { elbo: ours.testElbo - (peer.testElbo as number), iwae: ours.iwae - (peer.iwae as number) } : null,
    speedRatio: peer ? (peer.trainImagesPerSec as number) / ours.trainImagesPerSec : null,
    date: new Date().toISOString(),
  };
  await saveVae(model, ckpt, {
    name: "vae-mnist-784-400-20",
    command: `VAE_BENCH_EPOCHS=${epochs} VAE_BENCH_K=${k} VAE_BENCH_SEED=${seed} npx tsx bench/workloads/vae.ts`,
    seed, epochs, batchSize: cfg.batchSize, learningRate: cfg.learningRate,
    data: result.split, binarization: "dynamic per batch (train); test binarized once with Rng(seed)",
    trainIndicesSha: hashIndices(split.trainIndices),
    scores: { testElbo: ours.testElbo, testReconstruction: ours.testReconstruction, testKl: ours.testKl, iwae: ours.iwae, k, activeUnits: au.count },
    peer: peer ? { testElbo: peer.testElbo, iwae: peer.iwae, peer: peer.peer } : null,
    history: res.history,
    backend: ours.backend, date: result.date,
  });
  model.dispose();
  console.log(JSON.stringify(result, null, 2));
  console.log(`tensors left: ${tf.memory().numTensors}`);
  return result;
}

function hashIndices(ix: Int32Array): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const crypto = require("crypto") as typeof import("crypto");
  return crypto.createHash("sha256").update(Buffer.from(ix.buffer)).digest("hex");
}

if (require.main === module) {
  runVaeBenchmark().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}

/** The same comparison as one-repetition implementations for the bench harness's registry. */
export const workload: Workload = {
  name: "vae-quality",
  description: "VAE 784-400-20 on embedded MNIST (stratified 90/10, dynamic binarization), Adam 1e-3, batch 128: training time, test ELBO and IWAE log-likelihood (VAE_BENCH_EPOCHS, default 5; VAE_BENCH_K, default 100)",
  unit: "images",
  repetitions: 1,
  reference: "PyTorch",
  notes: [
    "in `npm run bench`: epochs from VAE_BENCH_EPOCHS (default 5 here, 30 in the stand-alone run), IWAE k from VAE_BENCH_K (default 100 here, 1000 stand-alone); throughput counts training images only",
    "the cpu backend is not run here (~150 images/s: minutes per epoch); see mlp-vae-step for its step speed",
  ],
  async implementations(): Promise<Implementation[]> {
    const epochs = Number(env("VAE_BENCH_EPOCHS", "5"));
    const k = Number(env("VAE_BENCH_K", "100"));
    const seed = Number(env("VAE_BENCH_SEED", "0"));
    let dataDir = "";
    let trainCount = 0;
    const ours: Implementation = {
      name: "latentlab",
      backend: "tfjs",
      async setup() {
        const info = await initBackend();
        ours.backend = `tfjs-${info.name}`;
        const p = prepareVaeBenchData(seed);
        dataDir = p.dataDir;
        trainCount = p.split.train.count;
      },
      async run() {
        const p = prepareVaeBenchData(seed);
        const r = new Rng(seed + 17);
        const model = createVae({ latentDim: 20, hidden: [400] }, r.fork());
        const t0 = performance.now();
        await trainVae(model, p.split.train, { epochs, batchSize: 128, learningRate: 1e-3, rng: r.fork(), showProgress: false });
        const ms = performance.now() - t0;
        const ev = await evaluateVae(model, p.testBinary, { rng: r.fork() });
        const iw = await iwaeLogLikelihood(model, p.testBinary, { k, rng: r.fork() });
        model.dispose();
        return { ms, units: trainCount * epochs, metrics: { testElbo: ev.elbo, iwae: iw.logLikelihood, k } };
      },
    };
    const peer: Implementation = {
      name: "PyTorch",
      backend: "PyTorch (python3-torch), 1 thread",
      external: true,
      async setup() {
        try {
          execFileSync("/usr/bin/python3", ["-c", "import torch"], { stdio: "ignore" });
        } catch {
          throw new Skip("/usr/bin/python3 has no torch (apt-get install python3-torch)");
        }
      },
      async run() {
        const script = path.join(__dirname, "..", "peers", "vae_torch.py");
        const out = execFileSync("/usr/bin/python3", [script, "--data", dataDir, "--epochs", String(epochs), "--k", String(k)], { encoding: "utf8", maxBuffer: 1 << 24 });
        const res = JSON.parse(out.trim().split("\n").pop() as string);
        return { ms: res.trainSeconds * 1000, units: trainCount * epochs, peakRssMB: res.peakRssMB, metrics: { testElbo: res.testElbo, iwae: res.iwae, k } };
      },
    };
    return [ours, peer];
  },
};
