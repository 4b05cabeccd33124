/**
 * Benchmark: loading the real Fashion-MNIST IDX files (Debian's dataset-fashion-mnist) with
 * latentlab's checked loader, against NumPy reading the same files (gzip + frombuffer / 255).
 *
 *   latentlab  read .gz, gunzip, SHA-256 of the content vs datasets/manifest.json, header and
 *              size checks, bytes -> Float32 in [0, 1]; also with { verify: false }
 *   numpy      gzip.open + np.frombuffer(..., offset=16) / 255 as float32 (no checks)
 *   also       dynamic binarization and a stratified 90/10 split of the 60,000 training images
 *
 * Run: `npx tsx bench/workloads/data-loaders.ts` (BENCH_PEER=0 skips the NumPy run).
 * Each load is a cold, first load in its process for that file pair (loaders memoize).
 *
 * Registered with the bench harness as workload "data-loaders" (`npm run bench -- data-loaders`):
 * loading the 60,000-image training set, latentlab verified / unverified (memo cleared before
 * each repetition with clearLoadedDatasets) against the NumPy peer (bench/peers/idx_numpy.py).
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { clearLoadedDatasets, loadFashionMnist } from "../../src/data/loaders";
import { type Implementation, type Workload, PythonPeer, Skip } from "../harness";
import { binarizeDynamic } from "../../src/data/binarize";
import { stratifiedSplit } from "../../src/data/split";
import { rng } from "../../src/runtime/rng";

const DIR = "/usr/share/datasets/fashion-mnist";

let cpu0 = process.cpuUsage();
/** Wall time since t0 and this process's CPU time (user + system) since the last call. */
function ms(t0: number): string {
  const c = process.cpuUsage(cpu0);
  cpu0 = process.cpuUsage();
  return `${(performance.now() - t0).toFixed(0)} ms wall, ${((c.user + c.system) / 1000).toFixed(0)} ms CPU`;
}

function main(): void {
  if (!fs.existsSync(`${DIR}/train-images-idx3-ubyte.gz`)) {
    console.log(`${DIR} is absent: apt install dataset-fashion-mnist, then run again.`);
    return;
  }
  console.log(`machine: ${os.cpus().length} cores, load average ${os.loadavg().map((x) => x.toFixed(1)).join(" ")}`);
  let t0 = performance.now();
  cpu0 = process.cpuUsage();
  const test = loadFashionMnist({ split: "test" });
  console.log(`latentlab loadFashionMnist test  (${test.count} images, verified): ${ms(t0)}`);
  t0 = performance.now();
  cpu0 = process.cpuUsage();
  const train = loadFashionMnist({ split: "train" });
  console.log(`latentlab loadFashionMnist train (${train.count} images, verified): ${ms(t0)}`);
  t0 = performance.now();
  cpu0 = process.cpuUsage();
  loadFashionMnist({ dir: DIR + "/", split: "train", verify: false });
  console.log(`latentlab loadFashionMnist train (verify: false):           ${ms(t0)}`);
  t0 = performance.now();
  cpu0 = process.cpuUsage();
  binarizeDynamic(train.images, rng(0));
  console.log(`binarizeDynamic, 60,000 images (${train.images.length} pixels):  ${ms(t0)}`);
  t0 = performance.now();
  cpu0 = process.cpuUsage();
  const s = stratifiedSplit(train, { testFraction: 0.1, rng: rng(0) });
  console.log(`stratifiedSplit 90/10 of 60,000 (${s.train.count}/${s.test.count}):    ${ms(t0)}`);

  if (process.env.BENCH_PEER !== "0" && fs.existsSync("/usr/bin/python3")) {
    const py = `
import gzip, time, numpy as np
def load(split):
    p = "${DIR}/" + ("train" if split == "train" else "t10k")
    with gzip.open(p + "-images-idx3-ubyte.gz") as f: x = np.frombuffer(f.read(), np.uint8, offset=16)
    with gzip.open(p + "-labels-idx1-ubyte.gz") as f: y = np.frombuffer(f.read(), np.uint8, offset=8)
    return (x.astype(np.float32) / 255).reshape(-1, 784), y
for split in ("test", "train"):
    t = time.perf_counter(); c = time.process_time(); x, y = load(split)
    print(f"numpy load {split:5s} ({len(y)} images, unchecked): {(time.perf_counter() - t) * 1000:.0f} ms wall, {(time.process_time() - c) * 1000:.0f} ms CPU")
`;
    process.stdout.write(execFileSync("/usr/bin/python3", ["-c", py], { encoding: "utf8" }));
  }
}

function ours(verify: boolean): Implementation {
  return {
    name: `latentlab loadFashionMnist${verify ? "" : " (verify: false)"}`,
    backend: verify ? "Node zlib + SHA-256 vs datasets/manifest.json + IDX checks" : "Node zlib + IDX checks, no hash",
    async setup() {
      if (!fs.existsSync(`${DIR}/train-images-idx3-ubyte.gz`)) throw new Skip(`${DIR} is absent (apt-get install dataset-fashion-mnist)`);
    },
    async run() {
      clearLoadedDatasets();
      const t0 = performance.now();
      const ds = verify ? loadFashionMnist({ split: "train" }) : loadFashionMnist({ dir: DIR + "/", split: "train", verify: false });
      const ms = performance.now() - t0;
      clearLoadedDatasets();
      return { ms, units: ds.count, metrics: { count: ds.count } };
    },
  };
}

function numpy(): Implementation {
  let peer: PythonPeer | null = null;
  return {
    name: "numpy",
    backend: "gzip + np.frombuffer / 255 (no checks), /usr/bin/python3",
    external: true,
    async setup() {
      if (!fs.existsSync(`${DIR}/train-images-idx3-ubyte.gz`)) throw new Skip(`${DIR} is absent (apt-get install dataset-fashion-mnist)`);
      const missing = await PythonPeer.missing(["numpy"]);
      if (missing) throw new Skip(missing.replace("python3-sklearn", "python3-numpy"));
      peer = new PythonPeer(path.join(__dirname, "..", "peers", "idx_numpy.py"), [DIR]);
      await peer.start();
    },
    async run() {
      const r = await peer!.request({ split: "train" });
      return { ms: r.ms as number, units: r.count as number, peakRssMB: r.peakRssMB as number, metrics: { count: r.count as number } };
    },
    async teardown() {
      await peer?.stop();
    },
  };
}

export const workload: Workload = {
  name: "data-loaders",
  description: "Fashion-MNIST training set (60,000 × 784, Debian's dataset-fashion-mnist): gunzip, checks, bytes → float32 [0, 1]",
  unit: "images",
  repetitions: 5,
  reference: "numpy",
  implementations: async () => [ours(true), numpy(), ours(false)],
  notes: ["files in the OS page cache after the first repetition for every implementation alike; latentlab's memo is cleared before each repetition"],
};

if (require.main === module) main();
