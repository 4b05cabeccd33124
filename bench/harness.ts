/**
 * The bench harness: a registry of workloads, each comparing latentlab with its peers
 * ALTERNATELY in one run (A, B, A, B, …), so that machine load hits every implementation
 * alike. Medians are reported, with the ratio to the reference implementation, the fraction
 * of the backend's measured matmul roofline, and peak memory.
 *
 * A workload lives in bench/workloads/<name>.ts and exports `workload: Workload` (or
 * `workloads: Workload[]`). Peers that are missing (no /usr/bin/python3 module, no npm
 * package) are reported and skipped: the bench installs nothing.
 */
import { spawn, type ChildProcessWithoutNullStreams } from "child_process";
import * as fs from "fs";
import * as path from "path";
import * as readline from "readline";

/** One timed repetition of one implementation. */
export interface Measurement {
  /** Wall time of the timed part, ms. */
  ms: number;
  /** Work units done (e.g. iterations, images) for throughput = units / s. */
  units?: number;
  /** Extra numbers to report (iterations, final inertia, …). */
  metrics?: Record<string, number | string>;
  /** Peak resident memory of the process that ran it, MB (if known). */
  peakRssMB?: number;
}

export interface Implementation {
  /** e.g. "latentlab elkan", "scikit-learn lloyd", "ml-kmeans". */
  name: string;
  /** e.g. "tfjs-wasm + typed arrays", "numpy/OpenMP, 2 threads". */
  backend: string;
  /** Prepare (load data, start a peer process). Throw `Skip` to skip it with a reason. */
  setup?(): Promise<void>;
  run(rep: number): Promise<Measurement>;
  teardown?(): Promise<void>;
  /** Repetitions for this implementation (default: the workload's). Slow peers can use fewer. */
  repetitions?: number;
  /**
   * Runs in another process (a Python peer, a kernel): its Measurement's peakRssMB is that
   * process's own, and this process's tf.memory() says nothing about it.
   */
  external?: boolean;
  /** Where peakRssMB comes from, if not the default (e.g. "the kernel process, VmHWM polled"). */
  peakRssSource?: string;
  /** The TensorFlow.js backend whose matmul roofline this implementation is compared with. */
  rooflineBackend?: "wasm" | "cpu" | "tensorflow";
}

export interface Workload {
  name: string;
  description: string;
  /** Floating-point operations of one work unit (for the roofline fraction), if meaningful. */
  flopsPerUnit?: number;
  /** Unit name for throughput (e.g. "iterations"). */
  unit?: string;
  repetitions: number;
  /** Name of the implementation the others are compared with (ratio = its time / theirs). */
  reference: string;
  implementations(): Promise<Implementation[]>;
  /** Free-form notes added to the results (settings, tolerance semantics, …). */
  notes?: string[];
  /** Run only when this command-line flag is given or the workload is named (e.g. "--full"). */
  optIn?: string;
  /** Add a "total" row whose time is the sum of the implementations' medians (suites). */
  totalRow?: boolean;
  /** With totalRow: also a "total <group>" row per group of implementations (e.g. per notebook). */
  groupOf?(implementation: string): string;
}

/** Thrown by setup() when a peer is not available here. */
export class Skip extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = "Skip";
  }
}

/**
 * Write several files so that each is replaced only by a complete new version: every file is
 * written beside its final name first (`.<name>.new`), then all are renamed into place. A
 * failure while writing leaves every old file as it was.
 */
export function replaceFiles(files: Record<string, string>): void {
  const staged: Array<[string, string]> = [];
  try {
    for (const [file, text] of Object.entries(files)) {
      fs.mkdirSync(path.dirname(file), { recursive: true });
      const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.new`);
      staged.push([tmp, file]);
      fs.writeFileSync(tmp, text);
    }
  } catch (e) {
    for (const [tmp] of staged) fs.rmSync(tmp, { force: true });
    throw new Error(`Cannot write the bench results (${(e as Error).message}); the previous results are unchanged.`);
  }
  for (const [tmp, file] of staged) fs.renameSync(tmp, file);
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : 0.5 * (s[m - 1] + s[m]);
}

/** Peak RSS of this Node process so far, MB. */
export function nodePeakRssMB(): number {
  return process.resourceUsage().maxRSS / 1024;
}

/** tf.memory().numTensors if TensorFlow.js is loaded in this process (else undefined). */
export function liveTensors(): number | undefined {
  const loaded = Object.keys(require.cache).some((k) => k.includes("@tensorflow/tfjs-core"));
  if (!loaded) return undefined;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require("@tensorflow/tfjs") as typeof import("@tensorflow/tfjs")).memory().numTensors;
}

function descendants(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const d of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${d}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      const list = children.get(ppid) ?? [];
      list.push(Number(d));
      children.set(ppid, list);
    } catch {
      /* gone */
    }
  }
  const out: number[] = [];
  const stack = [...(children.get(root) ?? [])];
  while (stack.length) {
    const p = stack.pop()!;
    out.push(p);
    stack.push(...(children.get(p) ?? []));
  }
  return out;
}

/**
 * Samples the peak resident memory (VmHWM, Linux /proc) of this process's descendants
 * (e.g. Jupyter kernels) every `everyMs` while `fn` runs: returns the largest single-process
 * high-water mark seen, MB. A process's VmHWM never decreases, so sampling misses at most the
 * growth in its last `everyMs` of life. NaN where /proc is unavailable.
 */
export async function withChildPeakRss<T>(fn: () => Promise<T>, everyMs = 100): Promise<{ value: T; peakMB: number }> {
  if (!fs.existsSync("/proc/self/status")) return { value: await fn(), peakMB: NaN };
  let peakKB = 0;
  const sample = () => {
    for (const pid of descendants(process.pid)) {
      try {
        const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"));
        if (m) peakKB = Math.max(peakKB, Number(m[1]));
      } catch {
        /* exited between listing and reading */
      }
    }
  };
  const timer = setInterval(sample, everyMs);
  try {
    const value = await fn();
    return { value, peakMB: peakKB / 1024 };
  } finally {
    clearInterval(timer);
  }
}

/**
 * A long-lived Python peer speaking one JSON line per request on stdin/stdout, so that its
 * start-up (imports) is not timed and repetitions can alternate with ours.
 */
export class PythonPeer {
  private proc: ChildProcessWithoutNullStreams | null = null;
  private lines: AsyncIterableIterator<string> | null = null;
  private stderr = "";

  constructor(
    readonly script: string,
    readonly args: string[] = [],
    readonly python = "/usr/bin/python3",
  ) {}

  /** Check that the interpreter has the modules; returns null or the reason it is missing. */
  static async missing(modules: string[], python = "/usr/bin/python3"): Promise<string | null> {
    return new Promise((resolve) => {
      const p = spawn(python, ["-c", `import ${modules.join(", ")}`]);
      let err = "";
      p.stderr.on("data", (d) => (err += d));
      p.on("error", (e) => resolve(`${python} not runnable: ${e.message}`));
      p.on("close", (code) =>
        resolve(code === 0 ? null : `${python} lacks ${modules.join(", ")} (${err.trim().split("\n").pop()}); on Debian: apt-get install python3-sklearn`),
      );
    });
  }

  /** Start the peer; resolves to its ready line (which may carry more, e.g. an initial loss). */
  async start(): Promise<Record<string, unknown>> {
    this.proc = spawn(this.python, [this.script, ...this.args], { stdio: ["pipe", "pipe", "pipe"] });
    this.proc.stderr.on("data", (d) => (this.stderr += d));
    this.lines = readline.createInterface({ input: this.proc.stdout })[Symbol.asyncIterator]();
    const ready = await this.next();
    if (!ready.ready) throw new Error(`peer ${this.script} did not start: ${JSON.stringify(ready)} ${this.stderr}`);
    const blas = PythonPeer.blasOf(this.proc.pid);
    if (blas === "reference") {
      await this.stop();
      throw new Skip(
        `${this.python} runs ${path.basename(this.script)} on Debian's reference BLAS (libblas3, about 6 GFLOPS here against 157 with OpenBLAS), ` +
          "which is not a fair peer; install an optimized BLAS: apt-get install libopenblas0-pthread",
      );
    }
    return { ...ready, blas };
  }

  /**
   * Which BLAS a running peer has mapped: "reference" when Debian's libblas3 (its file lives in
   * …/blas/) is among them, else the library's folder or file name (openblas-pthread, blis, mkl), or null when
   * it maps none (yet) or /proc cannot be read.
   */
  static blasOf(pid: number | undefined): string | null {
    if (pid === undefined) return null;
    let maps: string;
    try {
      maps = fs.readFileSync(`/proc/${pid}/maps`, "utf8");
    } catch {
      return null;
    }
    let found: string | null = null;
    for (const line of maps.split("\n")) {
      const file = line.slice(line.indexOf("/"));
      if (!line.includes("/") || !/lib(open)?blas|libblis|libmkl/.test(path.basename(file))) continue;
      const dir = path.basename(path.dirname(file));
      // The reference BLAS mapped at all is what some library calls (NumPy may map OpenBLAS beside it).
      if (dir === "blas") return "reference";
      found ??= /^(x86_64|aarch64|lib)/.test(dir) ? path.basename(file) : dir;
    }
    return found;
  }

  private async next(): Promise<Record<string, unknown>> {
    const r = await this.lines!.next();
    if (r.done) throw new Error(`peer ${this.script} exited: ${this.stderr.trim()}`);
    try {
      return JSON.parse(r.value) as Record<string, unknown>;
    } catch {
      throw new Error(`peer ${this.script} answered a line that is not JSON: ${JSON.stringify(r.value.slice(0, 200))} (it must print one JSON object per line; its stderr: ${this.stderr.trim().slice(-500)})`);
    }
  }

  async request(msg: Record<string, unknown>): Promise<Record<string, unknown>> {
    this.proc!.stdin.write(JSON.stringify(msg) + "\n");
    return this.next();
  }

  async stop(): Promise<void> {
    if (!this.proc) return;
    this.proc.stdin.end();
    await new Promise((r) => this.proc!.on("close", r));
    this.proc = null;
  }
}
