/**
 * Workloads: the PixelCNN of recipe "pixelcnn-mnist" (7×7 mask A + 4 residual blocks, 32
 * channels, Bernoulli) against the same network in PyTorch (bench/peers/pixelcnn_torch.py,
 * 2 threads; the train step also on 1 thread), on the shared MNIST split with dynamic binarization:
 *
 *   pixelcnn-step      train-step throughput, batch 64, Adam (images/s)
 *   pixelcnn-sample    time to draw 16 samples: latentlab's window sampler and naive sampler
 *                      (one full pass per pixel) against PyTorch's naive loop
 *   pixelcnn-quality   (opt-in, --full: tens of minutes here) train both for the recipe's 4
 *                      epochs and compare the test NLL in nats per image (target: within 2 nats)
 *
 * `npm run bench -- pixelcnn-step pixelcnn-sample` (`--full` or naming pixelcnn-quality adds it).
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { execFileSync } from "child_process";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../src/runtime/backend";
import { Rng } from "../../src/runtime/rng";
import { mnistSplitForVae } from "../../src/models/recipes";
import { PixelCnn, PixelCnnTrainable, PIXELCNN_RECIPES, pixelCnnNll, samplePixelCnn, trainPixelCnn } from "../../src/models/pixelcnn";
import { type Implementation, type Measurement, type Workload, Skip } from "../harness";

const RECIPE = PIXELCNN_RECIPES["pixelcnn-mnist"];
const B = 64;
const C = RECIPE.config.channels!;
const L = RECIPE.config.blocks!;

let dataDir = "";
/** The shared split written for the peer (train_f32.bin grey digits, test_bin_u8.bin). */
export function peerData(): string {
  if (dataDir) return dataDir;
  const s = mnistSplitForVae(0);
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "latentlab-pixelcnn-bench-"));
  fs.writeFileSync(path.join(dataDir, "train_f32.bin"), Buffer.from(s.train.images.buffer, s.train.images.byteOffset, s.train.images.byteLength));
  fs.writeFileSync(path.join(dataDir, "test_bin_u8.bin"), Buffer.from(Uint8Array.from(s.testBinary)));
  return dataDir;
}

/** A run of bench/peers/pixelcnn_torch.py per repetition (its own timing excludes start-up); `threads` intra-op threads, network C channels and L blocks. */
export function torchPeer(
  name: string,
  mode: string,
  extra: string[],
  toMeasurement: (r: Record<string, number>) => Measurement,
  { threads = 2, channels = C, blocks = L }: { threads?: number; channels?: number; blocks?: number } = {},
): Implementation {
  return {
    name,
    backend: `PyTorch (python3-torch), ${threads} thread${threads > 1 ? "s" : ""}`,
    external: true,
    async setup() {
      try {
        execFileSync("/usr/bin/python3", ["-c", "import torch, numpy"], { stdio: "ignore" });
      } catch {
        throw new Skip("/usr/bin/python3 has no torch/numpy (apt-get install python3-torch python3-numpy)");
      }
    },
    async run() {
      const script = path.join(__dirname, "..", "peers", "pixelcnn_torch.py");
      const out = execFileSync("/usr/bin/python3", [script, "--data", peerData(), "--mode", mode, "--channels", String(channels), "--blocks", String(blocks), "--threads", String(threads), ...extra], { encoding: "utf8", maxBuffer: 1 << 24 });
      const r = JSON.parse(out.trim().split("\n").pop() as string);
      return { ...toMeasurement(r), peakRssMB: r.peakRssMB };
    },
  };
}

/** MACs of one image's forward pass at every position (masked taps included, as both compute them). */
const FORWARD_FLOPS = 2 * 784 * (49 * C + L * (C * (C / 2) + 9 * (C / 2) * (C / 2) + (C / 2) * C) + C * C + C);

const step: Workload = {
  name: "pixelcnn-step",
  description: `PixelCNN train step (7×7 mask A + ${L} blocks, ${C} channels), batch ${B}, Adam, dynamic binarization`,
  unit: "images",
  flopsPerUnit: 3 * FORWARD_FLOPS,
  repetitions: 3,
  reference: "latentlab",
  async implementations() {
    let model: PixelCnn | null = null;
    let opt: tf.Optimizer | null = null;
    let t: PixelCnnTrainable | null = null;
    const steps = 10;
    const ours: Implementation = {
      name: "latentlab",
      backend: "tfjs",
      rooflineBackend: "wasm",
      async setup() {
        const info = await initBackend();
        ours.backend = `tfjs-${info.name}`;
        model = new PixelCnn(RECIPE.config, new Rng(0));
        t = new PixelCnnTrainable(model);
        opt = tf.train.adam(RECIPE.train.learningRate);
      },
      async run() {
        const s = mnistSplitForVae(0);
        const rows = s.train.images.slice(0, B * 784);
        const rng = new Rng(1);
        const phase = t!.phases()[0];
        const one = () => {
          const inputs = t!.prepareBatch({ x: rows, size: B, rowSize: 784 }, { epoch: 1, batch: 0, batchesPerEpoch: 1, step: 0, rng });
          const { value, grads } = tf.variableGrads(() => phase.loss(inputs, { epoch: 1, batch: 0, batchesPerEpoch: 1, step: 0, rng }).loss, phase.variables());
          opt!.applyGradients(grads);
          value.dataSync();
          tf.dispose([value, ...Object.values(grads), ...Object.values(inputs)]);
        };
        one();
        const t0 = performance.now();
        for (let i = 0; i < steps; i++) one();
        return { ms: (performance.now() - t0) / steps, units: B };
      },
      async teardown() {
        model?.dispose();
        opt?.dispose();
      },
    };
    const peer = (threads: number) =>
      torchPeer(`PyTorch ${threads} thread${threads > 1 ? "s" : ""}`, "step", ["--steps", String(steps), "--batch", String(B)], (r) => ({ ms: (r.seconds * 1000) / r.steps, units: B }), { threads });
    return [ours, peer(1), peer(2)];
  },
};

const sample: Workload = {
  name: "pixelcnn-sample",
  description: `time to draw 16 PixelCNN samples (28×28, 784 sequential passes), recipe network with the shipped weights' shape`,
  unit: "samples",
  repetitions: 1,
  reference: "latentlab window",
  async implementations() {
    let model: PixelCnn | null = null;
    const mk = (name: string, method: "fast" | "naive"): Implementation => ({
      name,
      backend: "tfjs",
      rooflineBackend: "wasm",
      async setup() {
        const info = await initBackend();
        this.backend = `tfjs-${info.name}`;
        model ??= new PixelCnn(RECIPE.config, new Rng(0));
      },
      async run() {
        const r = await samplePixelCnn(model!, 16, { rng: new Rng(2), method, showProgress: false });
        return { ms: r.seconds * 1000, units: 16, metrics: { positionsPerImage: r.positions } };
      },
    });
    const peer = torchPeer("PyTorch naive", "sample", ["--n", "16"], (r) => ({ ms: r.seconds * 1000, units: 16 }));
    return [mk("latentlab window", "fast"), mk("latentlab naive", "naive"), peer];
  },
};

const quality: Workload = {
  name: "pixelcnn-quality",
  description: `PixelCNN test NLL after the recipe's ${RECIPE.train.epochs} epochs (Adam ${RECIPE.train.learningRate}, batch ${RECIPE.train.batchSize}), same split, binarization and epochs`,
  unit: "images",
  repetitions: 1,
  reference: "latentlab",
  optIn: "--full",
  notes: ["Far references: PixelCNN paper 81.30 nats (stochastic binarization, 60,000 digits, a much larger network); keras-io pixelcnn.py 0.0892 nats per pixel after 5 epochs on digits thresholded at 0.33 (not comparable: static binarization)."],
  async implementations() {
    const ours: Implementation = {
      name: "latentlab",
      backend: "tfjs",
      async setup() {
        const info = await initBackend();
        ours.backend = `tfjs-${info.name}`;
      },
      async run() {
        const s = mnistSplitForVae(0);
        const m = new PixelCnn(RECIPE.config, new Rng(RECIPE.seed).fork());
        const t0 = performance.now();
        await trainPixelCnn(m, s.train.images, { ...RECIPE.train, binarize: "dynamic", rng: new Rng(RECIPE.seed + 1), showProgress: false });
        const ms = performance.now() - t0;
        const nll = pixelCnnNll(m, s.testBinary);
        m.dispose();
        return { ms, units: s.train.count * RECIPE.train.epochs, metrics: { testNll: nll.nats, testNllSe: nll.se } };
      },
    };
    const peer = torchPeer("PyTorch", "quality", ["--epochs", String(RECIPE.train.epochs), "--batch", String(RECIPE.train.batchSize), "--lr", String(RECIPE.train.learningRate)], (r) => ({
      ms: r.trainSeconds * 1000,
      units: r.trainImagesPerSec * r.trainSeconds,
      metrics: { testNll: r.testNll, testNllSe: r.testNllSe },
    }));
    return [ours, peer];
  },
};

export const workloads: Workload[] = [step, sample, quality];
