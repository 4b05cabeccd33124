/**
 * Workload "retrain-checkpoints" (issue 18): the wall time of retraining every shipped checkpoint
 * from scratch, as LATENTLAB_RETRAIN=1 makes the notebooks do, per checkpoint, per notebook
 * ("total <notebook>") and in total. Opt-in: `npm run bench -- retrain-checkpoints` or `--full`
 * (it takes tens of minutes); `--only vae-mnist-2d` retrains just that one.
 *
 * Each checkpoint is retrained in its own child process (bench/workloads/retrain-one.ts: the
 * recipe, data, seed and epochs of the notebook that first trains it) inside a throwaway copy of
 * the project under build/bench/retrain-root/ (src/, checkpoints/ and the runner copied, datasets/
 * linked), so that the retrained checkpoint is saved into the copy: the repository's checkpoints/
 * are never written. Each row also checks that: the repository's checkpoints/<name> (every file's
 * size and modification time) must be unchanged after the row, and the copy's checkpoint must have
 * been written by the row; otherwise the row fails.
 *
 * Rows are attributed to the notebook that trains the checkpoint first (CHECKPOINT_NOTEBOOKS);
 * later notebooks load it. A checkpoint folder in checkpoints/ that has no entry there is a failed
 * row, so a new checkpoint cannot be left out of the total silently.
 */
import * as fs from "fs";
import * as path from "path";
import { spawn } from "child_process";
import { type Implementation, type Workload, withChildPeakRss } from "../harness";
import { CHECKPOINT_NOTEBOOKS, RETRAIN_COPY_MARKER } from "./retrain-one";

const REPO = path.resolve(__dirname, "..", "..");
const CHECKPOINTS = path.join(REPO, "checkpoints");
const COPY = path.join(REPO, "build", "bench", "retrain-root");

/** Every file under dir (relative path → size and mtime), for the "repository untouched" check. */
function fingerprint(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else {
        const s = fs.statSync(p);
        out.set(path.relative(dir, p), `${s.size}:${s.mtimeMs}`);
      }
    }
  };
  walk(dir);
  return out;
}

function changes(before: Map<string, string>, after: Map<string, string>): string[] {
  const out: string[] = [];
  for (const [k, v] of after) if (before.get(k) !== v) out.push(before.has(k) ? `${k} changed` : `${k} added`);
  for (const k of before.keys()) if (!after.has(k)) out.push(`${k} removed`);
  return out;
}

/** The shipped checkpoints: folders of checkpoints/ holding a .json file. */
function shippedCheckpoints(): string[] {
  return fs
    .readdirSync(CHECKPOINTS, { withFileTypes: true })
    .filter((e) => e.isDirectory() && fs.readdirSync(path.join(CHECKPOINTS, e.name)).some((f) => f.endsWith(".json")))
    .map((e) => e.name)
    .sort();
}

let copyMade = false;
/** A fresh copy of what training needs, under build/ (node_modules resolve from the repository above it). */
function makeCopy(): void {
  if (copyMade) return;
  fs.rmSync(COPY, { recursive: true, force: true });
  fs.mkdirSync(path.join(COPY, "bench", "workloads"), { recursive: true });
  for (const d of ["src", "checkpoints"]) fs.cpSync(path.join(REPO, d), path.join(COPY, d), { recursive: true, preserveTimestamps: true });
  for (const f of ["package.json", "tsconfig.json"]) fs.copyFileSync(path.join(REPO, f), path.join(COPY, f));
  fs.copyFileSync(path.join(__dirname, "retrain-one.ts"), path.join(COPY, "bench", "workloads", "retrain-one.ts"));
  fs.symlinkSync(path.join(REPO, "datasets"), path.join(COPY, "datasets"), "dir");
  fs.writeFileSync(path.join(COPY, RETRAIN_COPY_MARKER), COPY + "\n");
  copyMade = true;
}

function runChild(name: string): Promise<{ stdout: string; stderr: string; code: number | null }> {
  return new Promise((resolve, reject) => {
    const env: NodeJS.ProcessEnv = { ...process.env, LATENTLAB_RETRAIN: "1" };
    delete env.LATENTLAB_SMOKE;
    const p = spawn(path.join(REPO, "node_modules", ".bin", "tsx"), [path.join(COPY, "bench", "workloads", "retrain-one.ts"), name], { cwd: COPY, env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    p.stdout.on("data", (d) => (stdout += d));
    p.stderr.on("data", (d) => (stderr += d));
    p.on("error", reject);
    p.on("close", (code) => resolve({ stdout, stderr, code }));
  });
}

function implementation(name: string): Implementation {
  const notebook = CHECKPOINT_NOTEBOOKS[name];
  return {
    name: `${notebook ?? "(no notebook)"}: ${name}`,
    backend: "tsx child process in build/bench/retrain-root, LATENTLAB_RETRAIN=1",
    external: true,
    peakRssSource: "the retraining child process (VmHWM polled from /proc)",
    async setup() {
      if (!notebook) {
        throw new Error(`checkpoints/${name} has no retrain recipe: add it to CHECKPOINT_NOTEBOOKS and retrain() in bench/workloads/retrain-one.ts`);
      }
      makeCopy();
    },
    async run() {
      // The repository's copy of this checkpoint must stay as it is (other folders of checkpoints/
      // may legitimately change meanwhile: other people work in the same tree).
      const own = path.join(CHECKPOINTS, name);
      const before = fingerprint(own);
      const started = Date.now();
      const t0 = performance.now();
      const { value: r, peakMB } = await withChildPeakRss(() => runChild(name));
      const ms = performance.now() - t0;
      const changed = changes(before, fingerprint(own));
      if (changed.length) throw new Error(`the repository's checkpoints/${name} changed while it was retrained (${changed.slice(0, 5).join(", ")}): restore it with git`);
      if (r.code !== 0) throw new Error(`retraining ${name} failed (exit ${r.code}): ${r.stderr.trim().split("\n").slice(-8).join(" | ")}`);
      const written = fs.readdirSync(path.join(COPY, "checkpoints", name)).some((f) => f.endsWith(".json") && fs.statSync(path.join(COPY, "checkpoints", name, f)).mtimeMs >= started - 1000);
      if (!written) throw new Error(`retraining ${name} exited 0 but saved nothing to the copy's checkpoints/${name}`);
      const out = JSON.parse(r.stdout.trim().split("\n").pop() as string) as { seconds: number; cpuSeconds: number; trainSeconds?: number };
      const metrics: Record<string, number | string> = { childSeconds: +out.seconds.toFixed(1), cpuSeconds: +out.cpuSeconds.toFixed(1) };
      if (typeof out.trainSeconds === "number") metrics.trainSeconds = +out.trainSeconds.toFixed(1);
      return { ms, peakRssMB: peakMB, metrics };
    },
  };
}

export const workloads: Workload[] = [
  {
    name: "retrain-checkpoints",
    description: "retrain every shipped checkpoint from scratch (LATENTLAB_RETRAIN=1) in a throwaway copy of the project: wall time per checkpoint, per notebook and total",
    repetitions: 1,
    reference: "total",
    totalRow: true,
    groupOf: (implementation) => implementation.split(":")[0],
    optIn: "--full",
    async implementations() {
      const shipped = shippedCheckpoints();
      const order = Object.keys(CHECKPOINT_NOTEBOOKS);
      const known = order.filter((n) => shipped.includes(n));
      const unknown = shipped.filter((n) => !order.includes(n));
      return [...known, ...unknown].map(implementation);
    },
    notes: [
      "time = wall time of the child process (tsx start, data, training, evaluation, saving); trainSeconds = the training time the recipe records in the provenance; cpuSeconds = the child's CPU time (all threads): on a loaded machine, for a one-thread recipe, the better estimate of the idle-machine time.",
      "Each checkpoint is counted once, under the notebook that trains it first; a notebook run with LATENTLAB_RETRAIN=1 also retrains what it loads from earlier notebooks.",
      "The repository's copy of each retrained checkpoint is checked to be unchanged after its row; the retrained checkpoints are left in build/bench/retrain-root/checkpoints/ for inspection.",
      "Issue-18 target: every shipped checkpoint retrained in under 30 minutes on 2 cores.",
    ],
  },
];
