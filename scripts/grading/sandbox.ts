/**
 * The grading sandbox: which isolation this machine offers, and the kernelspec that starts a
 * latentlab kernel inside it (scripts/grading/sandbox-kernel.js does the work; its header says
 * exactly what the submission can and cannot see).
 *
 * Isolation layers, all required unless `allowUnsandboxed` is set:
 *  - bubblewrap: user, pid, network, ipc, uts and mount namespaces; a read-only view of /usr and
 *    the few project files a kernel needs; fresh tmpfs home and /tmp;
 *  - a separate unprivileged uid per submission (setpriv), so RLIMIT_NPROC counts only its own
 *    processes and nothing it writes is owned by anyone else;
 *  - memory and pids cgroups when writable (the memory limit covers tmpfs writes), else
 *    RLIMIT_NPROC alone; RLIMIT_CPU, RLIMIT_FSIZE, no core dumps; a V8 heap limit;
 *  - time: the grader's per-cell timeout (interrupt, then kill) and a whole-submission budget.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { KernelSpec } from "../../kernel/client";
import { PROJECT_ROOT } from "../../kernel/client";

export interface SandboxLimits {
  /** Memory of everything in the sandbox, bytes (cgroup; the V8 heap gets half). Default 1.5 GiB. */
  memoryBytes?: number;
  /** Processes + threads of the sandbox's uid (pids cgroup and RLIMIT_NPROC). Default 128. */
  maxProcesses?: number;
  /** CPU seconds of any one process (RLIMIT_CPU). Default 600. */
  cpuSeconds?: number;
  /** Largest file it may write, bytes (RLIMIT_FSIZE). Default 64 MiB. */
  fileBytes?: number;
}

export interface SandboxConfig extends Required<SandboxLimits> {
  uid: number;
  projectRoot: string;
  /** The compiled library to show at <project>/lib (a batch snapshot). */
  libDir: string;
  readOnly: string[];
  bwrap: string;
  useCgroups: boolean;
  env: Record<string, string>;
  /** V8 flags of the kernel's node. */
  nodeFlags: string[];
}

export interface SandboxSupport {
  ok: boolean;
  bwrap?: string;
  /** Why not, and what to do. */
  reason?: string;
}

function which(cmd: string): string | undefined {
  const r = spawnSync("sh", ["-c", `command -v ${cmd}`], { encoding: "utf8" });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

let support: SandboxSupport | null = null;
const DEFAULT_MEMORY = 1.5 * 2 ** 30;

/** Can this machine sandbox submissions? Checks bwrap, setpriv, prlimit, root, and runs a probe. */
export function sandboxSupport(): SandboxSupport {
  if (support) return support;
  const bwrap = which("bwrap");
  const missing = [!bwrap && "bubblewrap (bwrap)", !which("setpriv") && "setpriv", !which("prlimit") && "prlimit"].filter(Boolean);
  if (missing.length) {
    support = { ok: false, reason: `missing ${missing.join(", ")}: on Debian, apt-get install bubblewrap util-linux` };
  } else if (typeof process.getuid !== "function" || process.getuid() !== 0) {
    support = { ok: false, reason: "autograding in the sandbox needs root (to give each submission its own uid and cgroups); run it as root or in a container" };
  } else {
    const probe = spawnSync("setpriv", ["--reuid=61999", "--regid=61999", "--clear-groups", "--", bwrap!, "--unshare-all", "--ro-bind", "/usr", "/usr", "--symlink", "usr/lib", "/lib", "--symlink", "usr/bin", "/bin", ...(fs.existsSync("/lib64") ? ["--symlink", "usr/lib64", "/lib64"] : []), "--", "/usr/bin/true"], { encoding: "utf8" });
    support = probe.status === 0 ? { ok: true, bwrap } : { ok: false, reason: `bubblewrap cannot create namespaces here: ${(probe.stderr || "").trim()} (user namespaces disabled?)` };
  }
  return support;
}

/** The project files a kernel needs, read-only (lib/ is bound separately). Nothing else of the project is visible. */
export function sandboxReadOnlyPaths(root = PROJECT_ROOT): string[] {
  return [
    path.join(root, "package.json"),
    path.join(root, "node_modules"),
    ...["tslab-speedup.js", "tslab-patches.js", "cell-guard.js", "dts-strip.js", "code-cache.js"].map((f) => path.join(root, "kernel", f)).filter((f) => fs.existsSync(f)),
    path.join(root, "scripts", "grading", "sandbox-launch.js"),
    // The lecture notebooks load the embedded MNIST (whose manifest is datasets/manifest.json)
    // and shipped checkpoints (notebook 08 reads the VAE's weights): both read-only.
    ...["datasets", "checkpoints"].map((d) => path.join(root, d)).filter((d) => fs.existsSync(d)),
  ];
}

/**
 * A private copy of the compiled library for one grading batch, so that every submission of
 * the batch is graded against the same code even if src/ is rebuilt meanwhile. Builds lib/
 * first when it is stale. Returns the copy's path and a warning when the last build failed
 * (the copy then holds the last library that compiled). Remove it with `removeLibSnapshot`.
 */
export function snapshotLib(): { dir: string; warning?: string } {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { ensureFresh } = require(path.join(PROJECT_ROOT, "kernel", "build-lib.js")) as { ensureFresh: (o?: object) => { ok: boolean; message: string } };
  let built: { ok: boolean; message: string };
  try {
    built = ensureFresh({ quiet: true });
  } catch (e) {
    built = { ok: false, message: `the build could not run: ${(e as Error).message}` };
  }
  const lib = path.join(PROJECT_ROOT, "lib");
  if (!fs.existsSync(path.join(lib, "index.js"))) throw new Error(`lib/ has no compiled library: run "npm run build" (${built.message.slice(0, 400)}).`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "latentlab-grading-lib-"));
  fs.cpSync(lib, dir, { recursive: true, filter: (src) => !/\.build-(error|lock)$/.test(src) && !src.endsWith(".tsbuildinfo") });
  fs.chmodSync(dir, 0o755);
  return { dir, warning: built.ok ? undefined : `lib/ could not be rebuilt from src/ (${built.message.split("\n")[0].slice(0, 200)}); grading with the last compiled library in lib/` };
}

/** V8 flags of every grading kernel: a heap limit of half the sandbox's memory. */
export function kernelNodeFlags(memoryBytes: number): string[] {
  return [`--max-old-space-size=${Math.max(256, Math.floor(memoryBytes / 2 ** 20 / 2))}`];
}

/**
 * V8's code cache for the grading kernels' node flags (kernel/code-cache.js), written outside the
 * sandbox (kernels read it read-only) when it is missing. Returns what happened, for the log.
 */
export function warmKernelCodeCache(limits: SandboxLimits = {}): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { warmIfNeeded } = require(path.join(PROJECT_ROOT, "kernel", "code-cache.js")) as { warmIfNeeded: (flags: string[]) => string };
  return warmIfNeeded(kernelNodeFlags(limits.memoryBytes ?? DEFAULT_MEMORY));
}

export function removeLibSnapshot(dir: string): void {
  if (path.basename(dir).startsWith("latentlab-grading-lib-")) fs.rmSync(dir, { recursive: true, force: true });
}

/** The kernelspec that starts a sandboxed kernel for submission number `slot` (its own uid). */
export function sandboxKernelSpec(slot: number, env: Record<string, string>, limits: SandboxLimits = {}, libDir?: string): KernelSpec {
  const s = sandboxSupport();
  if (!s.ok) throw new Error(`The grading sandbox is not available: ${s.reason}.`);
  const cfg: SandboxConfig = {
    uid: 62000 + (slot % 3000),
    projectRoot: PROJECT_ROOT,
    readOnly: sandboxReadOnlyPaths(),
    libDir: libDir ?? path.join(PROJECT_ROOT, "lib"),
    bwrap: s.bwrap!,
    useCgroups: true,
    memoryBytes: limits.memoryBytes ?? DEFAULT_MEMORY,
    maxProcesses: limits.maxProcesses ?? 128,
    cpuSeconds: limits.cpuSeconds ?? 600,
    fileBytes: limits.fileBytes ?? 64 * 2 ** 20,
    env,
    nodeFlags: kernelNodeFlags(limits.memoryBytes ?? DEFAULT_MEMORY),
  };
  return {
    argv: [process.execPath, path.join(PROJECT_ROOT, "scripts", "grading", "sandbox-kernel.js"), "{connection_file}"],
    display_name: "TypeScript (latentlab, grading sandbox)",
    language: "typescript",
    interrupt_mode: "signal",
    env: { LATENTLAB_SANDBOX: JSON.stringify(cfg) },
  };
}
