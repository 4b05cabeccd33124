/**
 * A minimal Jupyter client in Node: start the latentlab kernel, run code, collect outputs.
 *
 * Speaks the Jupyter messaging protocol v5.3 over ZeroMQ (DEALER for shell/control, SUB for
 * iopub). The kernel is started from its kernelspec (kernel.json) with a fresh connection file
 * (loopback, free random ports, random HMAC-SHA256 key), in its own process group, and is
 * always killed when the client shuts down, errors, or the Node process exits.
 *
 * Nothing is left behind: every process the kernel starts carries LATENTLAB_KERNEL_ID in its
 * environment; when the kernel ends (shut down, died, killed), its whole process group is
 * killed even if the kernel itself is already gone, and so is every process still carrying
 * its id (a cell's child that left the group with `detached: true`). A small reaper process
 * (kernel/reaper.js) does the same, and deletes the connection file with its HMAC key, if this
 * process is killed outright (SIGKILL) and cannot clean up itself.
 */
import { ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { randomUUID } from "crypto";
import * as zmq from "zeromq";
import { deserialize, JupyterMessage, makeHeader, newKey, serialize } from "./protocol";

// kernel/build-lib.js (plain JavaScript): drop a build lock left by a kernel that was killed mid-build.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { releaseLockOf } = require("./build-lib") as { releaseLockOf: (pid: number | undefined) => void };
function releaseBuildLockOf(pid: number | undefined): void {
  try {
    releaseLockOf(pid);
  } catch {
    /* best effort */
  }
}

export const PROJECT_ROOT = path.resolve(__dirname, "..");
export const KERNEL_NAME = "latentlab";

export interface KernelSpec {
  argv: string[];
  display_name: string;
  language: string;
  interrupt_mode?: "signal" | "message";
  env?: Record<string, string>;
}

/**
 * The latentlab kernelspec: the project-local one written by `npm run kernel:install`
 * (.jupyter/kernels/latentlab/kernel.json) if present, else the same argv built here.
 */
export function latentlabKernelSpec(file = path.join(PROJECT_ROOT, ".jupyter", "kernels", KERNEL_NAME, "kernel.json")): KernelSpec {
  if (fs.existsSync(file)) {
    let spec: KernelSpec;
    try {
      spec = JSON.parse(fs.readFileSync(file, "utf8")) as KernelSpec;
    } catch (e) {
      throw new Error(`${file} is not a valid kernelspec (${(e as Error).message}). Reinstall it with "npm run kernel:install", or delete it.`);
    }
    if (spec === null || typeof spec !== "object" || !Array.isArray(spec.argv) || !spec.argv.every((a) => typeof a === "string")) {
      throw new Error(`${file} has no "argv" list of strings, so it cannot start a kernel. Reinstall it with "npm run kernel:install", or delete it.`);
    }
    // A kernelspec written on another machine (or by another node) may name a missing binary.
    if (spec.argv.length > 0 && fs.existsSync(spec.argv[0]) && spec.argv.slice(1).every((a) => a === "{connection_file}" || !a.endsWith(".js") || fs.existsSync(a))) {
      return spec;
    }
  }
  return {
    argv: [process.execPath, path.join(PROJECT_ROOT, "kernel", "launch.js"), "{connection_file}"],
    display_name: "TypeScript (latentlab)",
    language: "typescript",
    interrupt_mode: "signal",
  };
}

export interface ConnectionInfo {
  transport: "tcp";
  ip: string;
  shell_port: number;
  iopub_port: number;
  stdin_port: number;
  control_port: number;
  hb_port: number;
  key: string;
  signature_scheme: "hmac-sha256";
  kernel_name: string;
}

/** `n` distinct free TCP ports on 127.0.0.1 (bind to port 0, read the port, release). */
export async function freePorts(n: number): Promise<number[]> {
  const servers: net.Server[] = [];
  try {
    const ports: number[] = [];
    for (let i = 0; i < n; i++) {
      const srv = net.createServer();
      servers.push(srv);
      await new Promise<void>((resolve, reject) => {
        srv.once("error", reject);
        srv.listen(0, "127.0.0.1", () => resolve());
      });
      ports.push((srv.address() as net.AddressInfo).port);
    }
    return ports;
  } finally {
    await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
  }
}

// ---- never leave a kernel behind -------------------------------------------------------------

const liveKernels = new Set<KernelClient>();
let exitHooksInstalled = false;

/**
 * Signal the kernel's whole process group. The group outlives its leader: a kernel that exited
 * or was killed leaves its children in the group, so the group is signalled even then (the
 * group id stays reserved while any member lives, so it cannot name someone else's processes).
 */
function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    if (child.exitCode === null && child.signalCode === null) {
      try {
        child.kill(signal);
      } catch {
        /* already gone */
      }
    }
  }
}

/** Pids of live processes whose environment carries `LATENTLAB_KERNEL_ID=<id>` (Linux; [] elsewhere). */
export function processesOfKernel(id: string): number[] {
  if (process.platform !== "linux") return [];
  const needle = Buffer.from(`\0LATENTLAB_KERNEL_ID=${id}\0`);
  const first = Buffer.from(`LATENTLAB_KERNEL_ID=${id}\0`);
  const out: number[] = [];
  let entries: string[] = [];
  try {
    entries = fs.readdirSync("/proc");
  } catch {
    return [];
  }
  for (const d of entries) {
    if (!/^\d+$/.test(d) || Number(d) === process.pid) continue;
    try {
      const env = fs.readFileSync(`/proc/${d}/environ`);
      if (env.includes(needle) || env.subarray(0, first.length).equals(first)) out.push(Number(d));
    } catch {
      /* gone, or not ours to read */
    }
  }
  return out;
}

/** SIGKILL the kernel's process group and every process that carries its id. Synchronous. */
function reapKernel(child: ChildProcess, id: string): void {
  killGroup(child, "SIGKILL");
  for (const pid of processesOfKernel(id)) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      /* gone */
    }
  }
}

function onProcessExit(): void {
  for (const k of liveKernels) k.reapNow();
}

function onFatalSignal(sig: NodeJS.Signals): void {
  onProcessExit();
  // If nobody else handles this signal, behave like the default: exit with 128 + signo.
  if (process.listenerCount(sig) <= 1) process.exit(128 + (os.constants.signals[sig] ?? 1));
}
const onSigint = () => onFatalSignal("SIGINT");
const onSigterm = () => onFatalSignal("SIGTERM");
const onSighup = () => onFatalSignal("SIGHUP");

/** Installed while at least one kernel runs, removed after: importing this module has no side effects. */
function trackKernel(child: KernelClient): void {
  liveKernels.add(child);
  if (!exitHooksInstalled) {
    exitHooksInstalled = true;
    process.on("exit", onProcessExit);
    process.on("SIGINT", onSigint);
    process.on("SIGTERM", onSigterm);
    process.on("SIGHUP", onSighup);
  }
}

function untrackKernel(child: KernelClient): void {
  liveKernels.delete(child);
  if (liveKernels.size === 0 && exitHooksInstalled) {
    exitHooksInstalled = false;
    process.off("exit", onProcessExit);
    process.off("SIGINT", onSigint);
    process.off("SIGTERM", onSigterm);
    process.off("SIGHUP", onSighup);
  }
}

// ---- outputs ------------------------------------------------------------------------------------

/** An IOPub message relevant to a cell's outputs (stream, display_data, update_display_data, …). */
export type IopubMessage = JupyterMessage<Record<string, unknown>>;

export interface ExecuteReply {
  status: "ok" | "error" | "abort";
  execution_count: number | null;
  [k: string]: unknown;
}

export interface ExecuteOutcome {
  /** "ok", "error", "abort" (from the kernel), "timeout" (we interrupted/killed it), "died". */
  status: "ok" | "error" | "abort" | "timeout" | "died";
  executionCount: number | null;
  /** All IOPub messages with this request as parent, in arrival order (status messages excluded). */
  messages: IopubMessage[];
  /** The text the cell wrote to stderr (tslab reports errors there). */
  stderr: string;
  /** A one-line explanation when status is not "ok". */
  message?: string;
  /**
   * Set when the kernel's final `status: idle` never came within the grace period after its
   * execute_reply: the kernel dropped IOPub messages, so some of the cell's output may be lost.
   */
  outputLost?: string;
  seconds: number;
}

export interface ExecuteOptions {
  /** Per-request timeout in seconds (default: none). On timeout: SIGINT, wait `graceSeconds`, kill. */
  timeoutSeconds?: number;
  graceSeconds?: number;
  /**
   * Seconds to wait for the final `status: idle` once execute_reply has arrived (default 2).
   * The idle is the last message of a cell; if the kernel dropped it the cell still ends, with
   * `outputLost` set, instead of hanging until the timeout.
   */
  idleGraceSeconds?: number;
  /** Called for each IOPub output message as it arrives. */
  onMessage?: (msg: IopubMessage) => void;
}

export interface StartOptions {
  cwd?: string;
  /** Extra environment variables (added to process.env). */
  env?: Record<string, string | undefined>;
  spec?: KernelSpec;
  /** Seconds to wait for the kernel's first kernel_info_reply (includes a lib/ rebuild). */
  startTimeoutSeconds?: number;
  /** Receives the kernel process's own stdout/stderr (outside cell execution). */
  onLog?: (text: string) => void;
  /**
   * Receives IOPub messages that belong to no running request (e.g. output a cell's timer or
   * promise wrote after the cell finished, which the kernel sends under that cell's header).
   */
  onStray?: (msg: IopubMessage) => void;
  /** Start kernel/reaper.js to clean up if this process is killed outright (default true). */
  reaper?: boolean;
  /** Aborting kills the starting kernel (and its lib/ rebuild): start() then rejects. */
  signal?: AbortSignal;
}

interface Pending {
  reply?: JupyterMessage<ExecuteReply>;
  idle: boolean;
  messages: IopubMessage[];
  onMessage?: (msg: IopubMessage) => void;
  wake: () => void;
}

/**
 * A timer that keeps Node alive while it runs: once the kernel has exited and its sockets are
 * closed, nothing else may be keeping the event loop alive, and an unref'd timer here let the
 * runner exit 0 in the middle of writing its partial copy after a SIGTERM.
 */
function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** How a process ended, in words. */
export function describeExit(code: number | null, signal: NodeJS.Signals | null): string {
  return signal ? `signal ${signal}` : `exit code ${code}`;
}

class PortInUseError extends Error {}

export class KernelClient {
  readonly session = randomUUID();
  private readonly shell = new zmq.Dealer({ linger: 0 });
  private readonly control = new zmq.Dealer({ linger: 0 });
  private readonly iopub = new zmq.Subscriber({ linger: 0 });
  private readonly pending = new Map<string, Pending>();
  private readonly shellWaiters = new Map<string, (m: JupyterMessage) => void>();
  private sendChain: Promise<unknown> = Promise.resolve();
  private closed = false;
  private logTail = "";
  /** Resolves when the kernel process exits. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  exitInfo: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  private readonly exitWaiters = new Set<() => void>();
  /** The id every process of this kernel carries in its environment (LATENTLAB_KERNEL_ID). */
  readonly kernelId: string;
  private reaper: ChildProcess | null = null;
  /** Receives IOPub messages of no pending request (see StartOptions.onStray). */
  onStray?: (msg: IopubMessage) => void;

  private constructor(
    readonly child: ChildProcess,
    readonly connection: ConnectionInfo,
    readonly connectionFile: string,
    kernelId: string,
    onLog?: (text: string) => void,
  ) {
    this.kernelId = kernelId;
    const keepTail = (b: Buffer) => {
      const t = b.toString("utf8");
      this.logTail = (this.logTail + t).slice(-4000);
      onLog?.(t);
    };
    child.stdout?.on("data", keepTail);
    child.stderr?.on("data", keepTail);
    this.exited = new Promise((resolve) => {
      child.once("exit", (code, signal) => {
        this.exitInfo = { code, signal };
        // The kernel is gone; whatever it started goes with it (its group, its id).
        reapKernel(child, this.kernelId);
        releaseBuildLockOf(child.pid);
        untrackKernel(this);
        for (const w of this.exitWaiters) w();
        resolve({ code, signal });
      });
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Kill the kernel, its group and everything carrying its id, and delete the connection file, now (synchronous: safe in an exit handler). */
  reapNow(): void {
    reapKernel(this.child, this.kernelId);
    try {
      fs.rmSync(path.dirname(this.connectionFile), { recursive: true, force: true });
    } catch {
      /* best effort */
    }
  }

  /** The last ~4000 characters the kernel process printed outside of cells (build messages, crashes). */
  get log(): string {
    return this.logTail;
  }

  /**
   * Start a kernel and wait until it answers kernel_info_request and its IOPub is connected.
   * Retries with new ports if one of the free ports was taken before the kernel bound it.
   */
  static async start(opts: StartOptions = {}): Promise<KernelClient> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await KernelClient.startOnce(opts);
      } catch (e) {
        if (!(e instanceof PortInUseError) || attempt >= 3) throw e;
      }
    }
  }

  private static async startOnce(opts: StartOptions): Promise<KernelClient> {
    const spec = opts.spec ?? latentlabKernelSpec();
    const [shell, iopub, stdin, control, hb] = await freePorts(5);
    const connection: ConnectionInfo = {
      transport: "tcp",
      ip: "127.0.0.1",
      shell_port: shell,
      iopub_port: iopub,
      stdin_port: stdin,
      control_port: control,
      hb_port: hb,
      key: newKey(),
      signature_scheme: "hmac-sha256",
      kernel_name: KERNEL_NAME,
    };
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "latentlab-kernel-"));
    const connectionFile = path.join(dir, "connection.json");
    fs.writeFileSync(connectionFile, JSON.stringify(connection, null, 1), { mode: 0o600 });
    const argv = spec.argv.map((a) => a.replace("{connection_file}", connectionFile));
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries({ ...process.env, ...spec.env, ...opts.env })) if (v !== undefined) env[k] = v;
    // The kernel exits by itself if this process disappears without cleaning up (kernel/launch.js).
    env.LATENTLAB_PARENT_PID = String(process.pid);
    const kernelId = randomUUID();
    env.LATENTLAB_KERNEL_ID = kernelId;
    // A node kernel also loads kernel/cell-guard.js: faults raised later by a cell's timers or
    // promises are reported against the cell that started them.
    const isNode = path.basename(argv[0]).replace(/\.exe$/i, "") === "node" || argv[0] === process.execPath;
    const args = isNode ? ["--require", path.join(PROJECT_ROOT, "kernel", "cell-guard.js"), ...argv.slice(1)] : argv.slice(1);
    const child = spawn(argv[0], args, {
      cwd: opts.cwd ?? path.join(PROJECT_ROOT, "notebooks"),
      env,
      stdio: ["ignore", "pipe", "pipe"],
      detached: true, // own process group: killed as a group, and not hit by the terminal's Ctrl-C
    });
    const client = new KernelClient(child, connection, connectionFile, kernelId, opts.onLog);
    client.onStray = opts.onStray;
    trackKernel(client);
    if (opts.reaper ?? true) client.startReaper();
    const onAbort = () => void client.shutdown({ graceful: false });
    opts.signal?.addEventListener("abort", onAbort, { once: true });
    const spawnError = new Promise<never>((_, reject) => child.once("error", (e) => reject(e)));
    spawnError.catch(() => {});
    try {
      await Promise.race([client.connect(opts.startTimeoutSeconds ?? 120), spawnError]);
      client.logTail = ""; // from here on, what the kernel prints is news (e.g. why it died)
    } catch (e) {
      await client.shutdown({ graceful: false });
      throw e;
    } finally {
      opts.signal?.removeEventListener("abort", onAbort);
    }
    return client;
  }

  /** kernel/reaper.js: cleans up after this process if it is killed without a chance to. */
  private startReaper(): void {
    if (this.child.pid === undefined || process.platform === "win32") return;
    try {
      const r = spawn(
        process.execPath,
        [path.join(PROJECT_ROOT, "kernel", "reaper.js"), String(process.pid), String(this.child.pid), this.kernelId, path.dirname(this.connectionFile)],
        { stdio: "ignore", detached: true, env: { PATH: process.env.PATH ?? "" } },
      );
      r.on("error", () => {});
      r.unref();
      this.reaper = r;
    } catch {
      /* the in-process cleanup still applies */
    }
  }

  private stopReaper(): void {
    if (this.reaper && this.reaper.exitCode === null && this.reaper.signalCode === null) {
      try {
        this.reaper.kill("SIGKILL");
      } catch {
        /* gone */
      }
    }
    this.reaper = null;
  }

  private async connect(timeoutSeconds: number): Promise<void> {
    const c = this.connection;
    const addr = (port: number) => `tcp://${c.ip}:${port}`;
    this.iopub.subscribe();
    this.iopub.connect(addr(c.iopub_port));
    this.shell.connect(addr(c.shell_port));
    this.control.connect(addr(c.control_port));
    void this.readLoop(this.iopub, (m) => this.onIopub(m));
    void this.readLoop(this.shell, (m) => this.onShell(m));
    void this.readLoop(this.control, (m) => this.onShell(m));

    const deadline = Date.now() + timeoutSeconds * 1000;
    // kernel_info_request until a reply arrives AND its busy/idle status shows on IOPub: only
    // then are outputs of the first cell guaranteed to reach us (PUB/SUB "slow joiner").
    let iopubSeen = false;
    let replied = false;
    while (!(replied && iopubSeen)) {
      if (this.exitInfo) {
        throw new Error(
          `The latentlab kernel exited with ${describeExit(this.exitInfo.code, this.exitInfo.signal)} while starting.\n${this.logTail}`,
        );
      }
      if (/EADDRINUSE|Address already in use/.test(this.logTail)) {
        throw new PortInUseError(`The kernel could not bind its ports:\n${this.logTail}`);
      }
      if (Date.now() > deadline) {
        throw new Error(`The latentlab kernel did not answer within ${timeoutSeconds} s of starting.\n${this.logTail}`);
      }
      const header = makeHeader("kernel_info_request", this.session);
      const p: Pending = { idle: false, messages: [], wake: () => {} };
      this.pending.set(header.msg_id, p);
      const waitReply = new Promise<JupyterMessage | null>((resolve) => {
        const self = this;
        function finish(m: JupyterMessage | null) {
          clearTimeout(t);
          self.exitWaiters.delete(onExit);
          resolve(m);
        }
        const onExit = () => finish(null);
        const t = setTimeout(onExit, replied ? 100 : 1000);
        this.shellWaiters.set(header.msg_id, finish);
        this.exitWaiters.add(onExit);
      });
      const waitIopub = new Promise<void>((resolve) => {
        p.wake = resolve;
      });
      await this.send(this.shell, header, {});
      const reply = await waitReply;
      this.shellWaiters.delete(header.msg_id);
      if (reply) {
        replied = true;
        // The status messages arrive within a few ms once IOPub is connected.
        await Promise.race([waitIopub, delay(100)]);
        if (p.messages.length > 0 || p.idle) iopubSeen = true;
      }
      this.pending.delete(header.msg_id);
    }
  }

  private async readLoop(sock: zmq.Dealer | zmq.Subscriber, handle: (m: JupyterMessage) => void): Promise<void> {
    try {
      for await (const frames of sock) {
        let msg: JupyterMessage;
        try {
          msg = deserialize(this.connection.key, frames as Buffer[]);
        } catch {
          continue; // unsigned or foreign message: ignore, as Jupyter clients do
        }
        handle(msg);
      }
    } catch {
      /* socket closed */
    }
  }

  private onIopub(msg: JupyterMessage): void {
    const parent = msg.parent_header.msg_id;
    if (!parent) return;
    const p = this.pending.get(parent);
    if (!p) {
      if (msg.header.msg_type !== "status") this.onStray?.(msg);
      return;
    }
    if (msg.header.msg_type === "status") {
      if ((msg.content as { execution_state?: string }).execution_state === "idle") {
        p.idle = true;
        p.wake();
      } else {
        p.messages.push(msg); // records that IOPub works (used by connect); filtered out later
      }
      return;
    }
    p.messages.push(msg);
    p.onMessage?.(msg);
  }

  private onShell(msg: JupyterMessage): void {
    const parent = msg.parent_header.msg_id;
    if (!parent) return;
    const w = this.shellWaiters.get(parent);
    if (w) {
      this.shellWaiters.delete(parent);
      w(msg);
      return;
    }
    const p = this.pending.get(parent);
    if (p && msg.header.msg_type === "execute_reply") {
      p.reply = msg as JupyterMessage<ExecuteReply>;
      p.wake();
    }
  }

  private send(sock: zmq.Dealer, header: ReturnType<typeof makeHeader>, content: object): Promise<void> {
    const frames = serialize(this.connection.key, { header, parent_header: {}, metadata: {}, content: content as Record<string, unknown> });
    // zeromq allows one pending send per socket at a time: chain them.
    const next = this.sendChain.then(() => sock.send(frames));
    this.sendChain = next.catch(() => {});
    return next;
  }

  /** Run `code`; resolves when the reply and the final idle status have arrived (or on timeout/death). */
  async execute(code: string, opts: ExecuteOptions = {}): Promise<ExecuteOutcome> {
    const t0 = Date.now();
    const seconds = () => (Date.now() - t0) / 1000;
    const header = makeHeader("execute_request", this.session);
    let wake: () => void = () => {};
    const p: Pending = { idle: false, messages: [], onMessage: opts.onMessage, wake: () => wake() };
    this.pending.set(header.msg_id, p);
    const outputs = () => p.messages.filter((m) => m.header.msg_type !== "status");
    const stderr = () =>
      outputs()
        .filter((m) => m.header.msg_type === "stream" && m.content.name === "stderr")
        .map((m) => String(m.content.text))
        .join("");
    const died = (): ExecuteOutcome => ({
      status: "died",
      executionCount: null,
      messages: outputs(),
      stderr: stderr(),
      message: `kernel died with ${describeExit(this.exitInfo!.code, this.exitInfo!.signal)}`,
      seconds: seconds(),
    });
    try {
      if (this.exitInfo || this.closed) return died();
      await this.send(this.shell, header, {
        code,
        silent: false,
        store_history: true,
        user_expressions: {},
        allow_stdin: false,
        stop_on_error: true,
      });
      const done = () => p.reply !== undefined && p.idle;
      const waitFor = async (ms: number): Promise<void> => {
        const end = Date.now() + ms;
        while (!done() && !this.exitInfo && Date.now() < end) {
          await new Promise<void>((resolve) => {
            const t = setTimeout(finish, Math.max(1, Math.min(end - Date.now(), 1000)));
            const self = this;
            function finish() {
              clearTimeout(t);
              self.exitWaiters.delete(finish);
              resolve();
            }
            wake = finish;
            this.exitWaiters.add(finish);
          });
        }
      };
      const timeoutMs = opts.timeoutSeconds !== undefined && opts.timeoutSeconds > 0 ? opts.timeoutSeconds * 1000 : Infinity;
      // Wait for reply + idle; once the reply is in, the idle gets only a short grace period:
      // a kernel that dropped it (IOPub send failures under an output flood) must not hang the run.
      const idleGraceMs = (opts.idleGraceSeconds ?? 2) * 1000;
      const deadline = Date.now() + timeoutMs;
      let outputLost: string | undefined;
      while (!done() && !this.exitInfo && Date.now() < deadline) {
        if (p.reply) {
          await waitFor(Math.min(idleGraceMs, deadline - Date.now()));
          if (!done() && !this.exitInfo && Date.now() < deadline) {
            outputLost =
              `the kernel never sent the cell's final "idle" status (${opts.idleGraceSeconds ?? 2} s after its reply): ` +
              `it dropped output messages, so this cell's output may be incomplete`;
            p.idle = true;
          }
          break;
        }
        await waitFor(Math.min(1000, deadline - Date.now()));
      }
      if (!done() && this.exitInfo) {
        // The reply may have been sent right before the exit: give IOPub a moment.
        await delay(50);
        if (!done()) return died();
      }
      if (!done()) {
        // Timed out: interrupt, give the kernel a few seconds to answer, else kill it.
        const grace = (opts.graceSeconds ?? 5) * 1000;
        this.interrupt();
        await waitFor(grace);
        let how = "interrupted";
        if (!p.reply) {
          how = "killed (it did not answer the interrupt)";
          await this.shutdown({ graceful: false });
        }
        return {
          status: "timeout",
          executionCount: p.reply?.content.execution_count ?? null,
          messages: outputs(),
          stderr: stderr(),
          message: `timed out after ${opts.timeoutSeconds} s; ${how}`,
          seconds: seconds(),
        };
      }
      const reply = p.reply!.content;
      const status = reply.status;
      return {
        status,
        executionCount: reply.execution_count ?? null,
        messages: outputs(),
        stderr: stderr(),
        message: status === "ok" ? undefined : status === "abort" ? "aborted by the kernel (after an earlier error)" : "error",
        outputLost,
        seconds: seconds(),
      };
    } finally {
      this.pending.delete(header.msg_id);
    }
  }

  /** Interrupt the running cell as Jupyter does for interrupt_mode "signal": SIGINT to the kernel. */
  interrupt(): void {
    if (this.child.pid !== undefined && !this.exitInfo) {
      try {
        process.kill(this.child.pid, "SIGINT");
      } catch {
        /* gone */
      }
    }
  }

  /**
   * Stop the kernel. Graceful: shutdown_request on control, up to `waitSeconds` for the
   * process to exit; then SIGTERM, then SIGKILL to its process group. Always closes sockets.
   */
  async shutdown({ graceful = true, waitSeconds = 2 }: { graceful?: boolean; waitSeconds?: number } = {}): Promise<void> {
    const waitExit = (ms: number) =>
      Promise.race([this.exited.then(() => true), delay(ms).then(() => this.exitInfo !== null)]);
    if (!this.exitInfo) {
      if (graceful && !this.closed) {
        try {
          await Promise.race([this.send(this.control, makeHeader("shutdown_request", this.session), { restart: false }), delay(200)]);
        } catch {
          /* socket gone */
        }
        await waitExit(waitSeconds * 1000);
      }
      if (!this.exitInfo) {
        killGroup(this.child, "SIGTERM");
        if (!(await waitExit(1000))) {
          killGroup(this.child, "SIGKILL");
          await waitExit(2000);
        }
      }
    }
    // Leader gone or not: reap anything it started (its group, and strays carrying its id).
    reapKernel(this.child, this.kernelId);
    if (this.exitInfo) releaseBuildLockOf(this.child.pid);
    this.stopReaper();
    if (!this.closed) {
      this.closed = true;
      for (const s of [this.shell, this.control, this.iopub]) {
        try {
          s.close();
        } catch {
          /* already closed */
        }
      }
      fs.rmSync(path.dirname(this.connectionFile), { recursive: true, force: true });
    }
  }
}
