/**
 * Benchmarks: VQ-VAE (keras-io's vq_vae.py network: 3×3 stride-2 convolutions 1→32→64, 1×1 to
 * I = 16, K = 128, β = 0.25, Adam 1e-3, batch 128, pixels centred, loss MSE/Var + codebook +
 * β·commitment) on mnistSplitForVae(0) (embedded MNIST, 9,000 train / 1,000 test), latentlab
 * against the same network in PyTorch (Debian python3-torch, 1 and 2 threads), in one run.
 *
 *   vqvae-step     training-step throughput on the same batches (STEPS, default 10): ours through
 *                  `fit` (including its per-step code-usage bookkeeping), PyTorch's plain step on
 *                  1 and 2 threads
 *   vqvae-quality  the keras-io configuration (random codebook, no restarts) trained
 *                  VQVAE_BENCH_EPOCHS epochs (default 8, the shipped recipe's) in PyTorch, against
 *                  latentlab's default recipe (warm-up + K-means + EMA + restarts, same network and
 *                  epochs): held-out MSE / Var, codes used, perplexity.
 *
 * `npm run bench -- vqvae-step vqvae-quality`; stand-alone `npx tsx bench/workloads/vqvae.ts`
 * prints both as JSON.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { execFileSync } from "child_process";
import { initBackend } from "../../src/runtime/backend";
import { Rng } from "../../src/runtime/rng";
import { fit } from "../../src/train";
import { mnistSplitForVae } from "../../src/models/recipes";
import { VqVae, VQVAE_RECIPES, evaluateVqVae, loadOrTrainVqVae, pixelVariance } from "../../src/models/vqvae";
import { type Implementation, type Workload, Skip } from "../harness";

const env = (k: string, d: string) => process.env[k] ?? d;
const KERAS = { channels: [32, 64] as [number, number], latentDim: 16, numCodes: 128, beta: 0.25 };

let dataDir = "";
export function prepareVqVaeBenchData(): { dir: string; train: Float32Array; test: Float32Array; variance: number } {
  const split = mnistSplitForVae(0);
  const variance = pixelVariance(split.train.images);
  if (!dataDir) {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "latentlab-vqvae-bench-"));
    fs.writeFileSync(path.join(dataDir, "meta.json"), JSON.stringify({ seed: 0, ...KERAS, batchSize: 128, learningRate: 1e-3, dataVariance: variance, split: split.description }));
    fs.writeFileSync(path.join(dataDir, "train_f32.bin"), Buffer.from(split.train.images.buffer, split.train.images.byteOffset, split.train.images.byteLength));
    fs.writeFileSync(path.join(dataDir, "test_f32.bin"), Buffer.from(split.test.images.buffer, split.test.images.byteOffset, split.test.images.byteLength));
  }
  return { dir: dataDir, train: split.train.images, test: split.test.images, variance };
}

export function torchPeer(args: string[]): Record<string, number | string> {
  const script = path.join(__dirname, "..", "peers", "vqvae_torch.py");
  const out = execFileSync("/usr/bin/python3", [script, "--data", prepareVqVaeBenchData().dir, ...args], { encoding: "utf8", maxBuffer: 1 << 24 });
  return JSON.parse(out.trim().split("\n").pop() as string);
}

function checkTorch(): void {
  try {
    execFileSync("/usr/bin/python3", ["-c", "import torch"], { stdio: "ignore" });
  } catch {
    throw new Skip("/usr/bin/python3 has no torch (apt-get install python3-torch)");
  }
}

/** Our training steps on the first `steps` batches of the training split (keras-io's configuration). */
export async function ourSteps(steps: number): Promise<{ seconds: number; imagesPerSec: number }> {
  await initBackend();
  const d = prepareVqVaeBenchData();
  const model = new VqVae({ ...KERAS, init: "uniform", restartDeadCodes: false, codebookLearning: "loss", dataVariance: d.variance }, new Rng(0));
  const x = d.train.subarray(0, (steps + 1) * 128 * 784);
  await fit(model, { x: x.subarray(0, 128 * 784), rowSize: 784 }, { epochs: 1, showProgress: false, rng: new Rng(1) }); // warm-up step
  const t0 = performance.now();
  await fit(model, { x: x.subarray(128 * 784), rowSize: 784 }, { epochs: 1, showProgress: false, rng: new Rng(2) });
  const seconds = (performance.now() - t0) / 1000;
  model.dispose();
  return { seconds, imagesPerSec: (steps * 128) / seconds };
}

/**
 * keras-io's VQ-VAE network in PyTorch (peers/vqvae_torch.py --mode step, one process per
 * repetition; it times `steps` steps after a warm-up step), `threads` intra-op threads, on the
 * first `steps` batches of the training split.
 */
export function vqvaeTorchStep(threads: number, steps: number, batches = steps): Implementation {
  return {
    name: `PyTorch ${threads} thread${threads > 1 ? "s" : ""}`,
    backend: `PyTorch (python3-torch), ${threads} thread${threads > 1 ? "s" : ""}`,
    external: true,
    async setup() {
      checkTorch();
    },
    async run() {
      const r = torchPeer(["--mode", "step", "--steps", String(steps), "--batches", String(batches), "--threads", String(threads)]);
      return { ms: (r.seconds as number) * 1000, units: steps * 128, peakRssMB: r.peakRssMB as number, metrics: { msPerStep: +(((r.seconds as number) * 1000) / steps).toFixed(2) } };
    },
  };
}

export const workloads: Workload[] = [
  {
    name: "vqvae-step",
    description: "VQ-VAE train step (keras-io network, K = 128, batch 128) on the same batches: latentlab (tfjs, fit) vs PyTorch (1 and 2 threads)",
    unit: "images",
    repetitions: 3,
    reference: "PyTorch 1 thread",
    async implementations(): Promise<Implementation[]> {
      const steps = Number(env("STEPS", "10"));
      const ours: Implementation = {
        name: "latentlab",
        backend: "tfjs",
        async setup() {
          ours.backend = `tfjs-${(await initBackend()).name}`;
        },
        async run() {
          const r = await ourSteps(steps);
          return { ms: r.seconds * 1000, units: steps * 128 };
        },
      };
      return [ours, vqvaeTorchStep(1, steps), vqvaeTorchStep(2, steps)];
    },
  },
  {
    name: "vqvae-quality",
    description: "VQ-VAE on mnistSplitForVae(0): keras-io's configuration in PyTorch vs latentlab's default recipe (same network, same epochs): held-out MSE/Var, codes used, perplexity (VQVAE_BENCH_EPOCHS, default 8)",
    unit: "images",
    repetitions: 1,
    reference: "PyTorch",
    notes: ["keras-io reports MSE/Var 0.0444 after 30 epochs on all 70,000 digits (60,000 train); ours use 9,000 training digits"],
    async implementations(): Promise<Implementation[]> {
      const epochs = Number(env("VQVAE_BENCH_EPOCHS", String(VQVAE_RECIPES["vqvae-mnist"].epochs)));
      const n = 9000;
      const ours: Implementation = {
        name: "latentlab default recipe",
        backend: "tfjs",
        async setup() {
          ours.backend = `tfjs-${(await initBackend()).name}`;
        },
        async run() {
          const t0 = performance.now();
          const r = await loadOrTrainVqVae({ force: true, save: false, epochs, showProgress: false });
          const ms = performance.now() - t0;
          const ev = evaluateVqVae(r.model, prepareVqVaeBenchData().test);
          r.model.dispose();
          return { ms, units: n * epochs, metrics: { testMseOverVariance: ev.mseOverVariance, testCodesUsed: ev.codesUsed, testPerplexity: ev.perplexity } };
        },
      };
      const peer: Implementation = {
        name: "PyTorch",
        backend: "PyTorch (python3-torch), 1 thread, keras-io configuration",
        external: true,
        async setup() {
          checkTorch();
        },
        async run() {
          const r = torchPeer(["--mode", "quality", "--epochs", String(epochs)]);
          return { ms: (r.trainSeconds as number) * 1000, units: n * epochs, peakRssMB: r.peakRssMB as number,
            metrics: { testMseOverVariance: r.testMseOverVariance, testCodesUsed: r.testCodesUsed, testPerplexity: r.testPerplexity } };
        },
      };
      return [ours, peer];
    },
  },
];

if (require.main === module) {
  (async () => {
    checkTorch();
    const steps = Number(env("STEPS", "10"));
    const o = await ourSteps(steps);
    const t = torchPeer(["--mode", "step", "--steps", String(steps)]);
    console.log(JSON.stringify({ step: { latentlab: o, pytorch: t, ratio: (t.imagesPerSec as number) / o.imagesPerSec }, loadavg: os.loadavg() }));
    const epochs = Number(env("VQVAE_BENCH_EPOCHS", "8"));
    console.log(JSON.stringify({ quality: { pytorchKerasIo: torchPeer(["--mode", "quality", "--epochs", String(epochs)]) }, loadavg: os.loadavg() }));
  })().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
