/**
 * A second thread for K-means' big products X·Cᵀ on the wasm backend. TensorFlow.js's wasm
 * backend runs XNNPACK on one thread in Node (tfjs issue #3830: its threaded build is not
 * used), so on our 2-core machines the other core idles through every full distance pass. The
 * helper is a worker thread with its own wasm backend: it keeps rows [h, n) of X as a tensor
 * (the main thread keeps only rows [0, h)), and for each product it computes its rows while the
 * main thread computes the others; for a product over gathered rows it takes the second half of
 * the rows the main thread gathered into shared memory. The
 * split is invisible in the results: XNNPACK computes each output from the same operations in
 * the same order whatever the number of rows (tested bit for bit), and the products only
 * screen candidates anyway (every label is certified with exact distances).
 *
 * Synchronous on purpose: K-means' E-step is synchronous, so data goes through
 * SharedArrayBuffers and the main thread waits with `Atomics.wait` (allowed on Node's main
 * thread), with a timeout: a helper that fails or hangs is dropped for good and the main
 * thread computes the product alone, so nothing is ever lost or wrong, only slower.
 *
 * The worker starts on first use (about 0.1 s) and does not keep the process alive (`unref`).
 * Until it is ready, products run on the main thread.
 */
import * as path from "path";
import { MessageChannel, type MessagePort, Worker } from "worker_threads";

/** Control slots of the shared Int32Array. */
const READY = 0; // 0 starting, 1 ready, −1 failed
const SEQ = 1; // command number, bumped by the main thread
const DONE = 2; // last command finished by the worker
const STATUS = 3; // 0 ok, −1 the last command failed
/** How long the main thread waits for a product before giving up on the helper. */
const TIMEOUT_MS = 10_000;

/** The worker's program (plain CommonJS, run with `eval`; module paths come in workerData). */
const WORKER = `
const { workerData, receiveMessageOnPort } = require("worker_threads");
const ctl = new Int32Array(workerData.ctl);
const port = workerData.port;
let tf, xTensor = null, d = 0;
function run(cmd) {
  if (cmd.type === "load") {
    if (xTensor) xTensor.dispose();
    d = cmd.d;
    xTensor = tf.tensor2d(new Float32Array(cmd.x, 0, cmd.rows * d), [cmd.rows, d]);
    return;
  }
  const c = tf.tensor2d(new Float32Array(cmd.c, 0, d * cmd.k), [d, cmd.k]);
  const a = cmd.type === "gathered" ? tf.tensor2d(new Float32Array(cmd.g, cmd.from * d * 4, (cmd.to - cmd.from) * d), [cmd.to - cmd.from, d]) : xTensor;
  const prod = tf.matMul(a, c);
  // Straight from the wasm heap: dataSync would allocate (and page-fault) a fresh array each time.
  const be = tf.backend();
  new Float32Array(cmd.out).set(typeof be.typedArrayFromHeap === "function" ? be.typedArrayFromHeap(prod) : prod.dataSync());
  prod.dispose(); c.dispose();
  if (a !== xTensor) a.dispose();
}
(async () => {
  tf = require(workerData.core);
  const wasm = require(workerData.wasm);
  wasm.setWasmPaths(workerData.wasmDir);
  if (!(await tf.setBackend("wasm"))) throw new Error("no wasm backend");
  Atomics.store(ctl, ${READY}, 1);
  Atomics.notify(ctl, ${READY});
  let seen = 0;
  for (;;) {
    Atomics.wait(ctl, ${SEQ}, seen);
    seen = Atomics.load(ctl, ${SEQ});
    let status = 0;
    try {
      const msg = receiveMessageOnPort(port);
      run(msg.message);
    } catch (e) {
      status = -1;
    }
    Atomics.store(ctl, ${STATUS}, status);
    Atomics.store(ctl, ${DONE}, seen);
    Atomics.notify(ctl, ${DONE});
  }
})().catch(() => {
  Atomics.store(ctl, ${READY}, -1);
  Atomics.notify(ctl, ${READY});
});
`;

type Command =
  | { type: "load"; x: SharedArrayBuffer; d: number; rows: number }
  | { type: "product"; c: SharedArrayBuffer; k: number; out: SharedArrayBuffer }
  | { type: "gathered"; g: SharedArrayBuffer; from: number; to: number; c: SharedArrayBuffer; k: number; out: SharedArrayBuffer };

/** The helper thread (one per process). */
export class ProductHelper {
  private static one: ProductHelper | null = null;
  private readonly ctl = new Int32Array(new SharedArrayBuffer(16));
  private readonly port: MessagePort;
  private readonly worker: Worker;
  private seq = 0;
  private broken = false;
  /** The rows of X the worker holds (their shared buffer). */
  private loaded: SharedArrayBuffer | null = null;

  private constructor() {
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    const wasmPkg = path.dirname(require.resolve("@tensorflow/tfjs-backend-wasm/package.json"));
    this.worker = new Worker(WORKER, {
      eval: true,
      workerData: {
        ctl: this.ctl.buffer,
        port: port2,
        core: require.resolve("@tensorflow/tfjs-core"),
        wasm: require.resolve("@tensorflow/tfjs-backend-wasm"),
        wasmDir: path.join(wasmPkg, "dist") + path.sep,
      },
      transferList: [port2],
    });
    this.worker.unref();
    this.port.unref();
    this.worker.on("error", () => (this.broken = true));
    this.worker.on("exit", () => (this.broken = true));
    // A failure to start is not an error for anyone: products simply stay on the main thread.
  }

  /** The process's helper, started on first call; null if no worker can be started here. */
  static get(): ProductHelper | null {
    if (!ProductHelper.one) {
      try {
        ProductHelper.one = new ProductHelper();
      } catch {
        return null; // e.g. tfjs-core not resolvable from here: products stay on the main thread
      }
    }
    return ProductHelper.one;
  }

  /** Resolves when the helper can take work (true) or has failed (false). For tests and benchmarks. */
  static async whenReady(timeoutMs = 30_000): Promise<boolean> {
    const h = ProductHelper.get();
    if (!h) return false;
    const t0 = Date.now();
    while (!h.ready && !h.broken && Date.now() - t0 < timeoutMs) await new Promise((r) => setTimeout(r, 5));
    return h.ready;
  }

  /** Stop the helper thread (products then run on the main thread; a later `get()` starts a new one). */
  static async shutdown(): Promise<void> {
    const h = ProductHelper.one;
    ProductHelper.one = null;
    if (!h) return;
    h.broken = true;
    await h.worker.terminate();
  }

  /** Whether the worker is up and has not failed. */
  get ready(): boolean {
    return !this.broken && Atomics.load(this.ctl, READY) === 1;
  }

  /** Whether the worker holds the rows in `x` (the last `load`). */
  holds(x: SharedArrayBuffer): boolean {
    return this.loaded === x;
  }

  /** Send a command; the worker starts on it at once. */
  private send(cmd: Command): void {
    this.port.postMessage(cmd);
    this.seq++;
    Atomics.store(this.ctl, SEQ, this.seq);
    Atomics.notify(this.ctl, SEQ);
  }

  /** Wait for the last command; false (and the helper is dropped) if it failed or timed out. */
  private finish(): boolean {
    const deadline = Date.now() + TIMEOUT_MS;
    while (Atomics.load(this.ctl, DONE) !== this.seq) {
      const left = deadline - Date.now();
      if (left <= 0 || this.broken) {
        this.broken = true;
        return false;
      }
      Atomics.wait(this.ctl, DONE, Atomics.load(this.ctl, DONE), Math.min(left, 100));
    }
    if (Atomics.load(this.ctl, STATUS) !== 0) this.broken = true;
    return !this.broken;
  }

  /**
   * Start uploading `rows` rows of X (× d, float32 in `x`) to the worker; `wait()` for it (the
   * caller can do its own upload meanwhile). Returns false if the helper cannot take it.
   */
  startLoad(x: SharedArrayBuffer, d: number, rows: number): boolean {
    if (!this.ready) return false;
    this.loaded = x;
    this.send({ type: "load", x, d, rows });
    return true;
  }

  /** Start (held rows) · C, C being d × k float32 in `c`, into `out`; `wait()` for it. False if the helper cannot take it. */
  start(c: SharedArrayBuffer, k: number, out: SharedArrayBuffer): boolean {
    if (!this.ready || !this.loaded) return false;
    this.send({ type: "product", c, k, out });
    return true;
  }

  /** Start rows [from, to) of the gathered rows in `g` (× d float32) times C into `out`; `wait()` for it. */
  startGathered(g: SharedArrayBuffer, from: number, to: number, c: SharedArrayBuffer, k: number, out: SharedArrayBuffer): boolean {
    if (!this.ready || !this.loaded) return false;
    this.send({ type: "gathered", g, from, to, c, k, out });
    return true;
  }

  /** Wait for the command started last; false if the helper failed (it is not used again: do the work yourself). */
  wait(): boolean {
    const ok = this.finish();
    if (!ok) this.loaded = null;
    return ok;
  }
}
