/**
 * A minimal Jupyter client in Node: start the latentlab kernel, run code, collect outputs.
 *
 * Speaks the Jupyter messaging protocol v5.3 over ZeroMQ (DEALER for shell/control, SUB for
 * iopub). The kernel is started from its kernelspec (kernel.json) with a fresh connection file
 * (loopback, free random ports, random HMAC-SHA256 key), in its own process group, and is
 * always killed when the client shuts down, errors, or the Node process exits.
 */
import { ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { randomUUID } from "crypto";
import * as zmq from "zeromq";
import { deserialize, JupyterMessage, makeHeader, newKey, serialize } from "./protocol";

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
export function latentlabKernelSpec(): KernelSpec {
  const file = path.join(PROJECT_ROOT, ".jupyter", "kernels", KERNEL_NAME, "kernel.json");
  if (fs.existsSync(file)) {
    const spec = JSON.parse(fs.readFileSync(file, "utf8")) as KernelSpec;
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

const liveKernels = new Set<ChildProcess>();
let exitHooksInstalled = false;

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal); // the kernel's whole process group (it is the leader)
  } catch {
    try {
      child.kill(signal);
    } catch {
      /* already gone */
    }
  }
}

function onProcessExit(): void {
  for (const k of liveKernels) killGroup(k, "SIGKILL");
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
function trackKernel(child: ChildProcess): void {
  liveKernels.add(child);
  if (!exitHooksInstalled) {
    exitHooksInstalled = true;
    process.on("exit", onProcessExit);
    process.on("SIGINT", onSigint);
    process.on("SIGTERM", onSigterm);
    process.on("SIGHUP", onSighup);
  }
}

function untrackKernel(child: ChildProcess): void {
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
  seconds: number;
}

export interface ExecuteOptions {
  /** Per-request timeout in seconds (default: none). On timeout: SIGINT, wait `graceSeconds`, kill. */
  timeoutSeconds?: number;
  graceSeconds?: number;
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
}

interface Pending {
  reply?: JupyterMessage<ExecuteReply>;
  idle: boolean;
  messages: IopubMessage[];
  onMessage?: (msg: IopubMessage) => void;
  wake: () => void;
}

function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms).unref?.());
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

  private constructor(
    readonly child: ChildProcess,
    readonly connection: ConnectionInfo,
    readonly connectionFile: string,
    onLog?: (text: string) => void,
  ) {
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
        untrackKernel(child);
        for (const w of this.exitWaiters) w();
        resolve({ code, signal });
      });
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
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
    const child = spawn(argv[0], argv.slice(1), {
      cwd: opts.cwd ?? path.join(PROJECT_ROOT, "notebooks"),
      env,
      stdio: ["ignore", "pipe", "pipe"],
      detached: true, // own process group: killed as a group, and not hit by the terminal's Ctrl-C
    });
    trackKernel(child);
    const client = new KernelClient(child, connection, connectionFile, opts.onLog);
    const spawnError = new Promise<never>((_, reject) => child.once("error", (e) => reject(e)));
    spawnError.catch(() => {});
    try {
      await Promise.race([client.connect(opts.startTimeoutSeconds ?? 120), spawnError]);
      client.logTail = ""; // from here on, what the kernel prints is news (e.g. why it died)
    } catch (e) {
      await client.shutdown({ graceful: false });
      throw e;
    }
    return client;
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
    if (!p) return;
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
      await waitFor(timeoutMs);
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
      } else {
        killGroup(this.child, "SIGKILL"); // leader gone; reap anything it started
      }
    }
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
