/**
 * Cooperative cancellation for long loops.
 *
 * tslab turns a Jupyter interrupt (SIGINT) into a rejected cell promise, but the work keeps
 * running. The latentlab kernel launcher therefore also calls `interrupt()` here on SIGINT;
 * every long loop in src checks `throwIfAborted(signal)` between steps and awaits
 * `yieldToEventLoop()` often enough (at least every ~100 ms) for the interrupt to arrive.
 * A loop stopped this way finishes its current step, leaves its model usable, and throws
 * an `AbortError` that says where it stopped.
 */

export class AbortError extends Error {
  constructor(message = "Interrupted.") {
    super(message);
    this.name = "AbortError";
  }
}

let controller = new AbortController();
const listeners = new Set<() => void>();

/** The signal that the kernel's interrupt fires. A fresh one is made after each interrupt. */
export function interruptSignal(): AbortSignal {
  return controller.signal;
}

/** Fire the interrupt signal (called by the kernel launcher on SIGINT; callable from tests). */
export function interrupt(reason = "Interrupted by the user (kernel interrupt)."): void {
  const old = controller;
  controller = new AbortController();
  old.abort(new AbortError(reason));
  for (const f of listeners) f();
}

/** Listeners that only apply to the cell that registered them (see beginCell). */
const cellListeners = new Set<() => void>();

/**
 * Register a callback run on every interrupt; returns a function that unregisters it.
 * With `{ untilNextCell: true }` it is dropped when the kernel starts the next cell (a progress
 * bar of a cell that failed must not be marked by a later cell's interrupt).
 */
export function onInterrupt(f: () => void, opts: { untilNextCell?: boolean } = {}): () => void {
  listeners.add(f);
  if (opts.untilNextCell) cellListeners.add(f);
  return () => {
    listeners.delete(f);
    cellListeners.delete(f);
  };
}

/** Called by the latentlab kernel when a cell starts: drops the previous cell's cell-scoped listeners. */
export function beginCell(): void {
  for (const f of cellListeners) listeners.delete(f);
  cellListeners.clear();
}

/**
 * Combine the kernel interrupt with an optional user signal: aborted when either is.
 * Take the result at the start of a loop; an interrupt that came before the loop started
 * does not stop it.
 */
export function loopSignal(user?: AbortSignal): AbortSignal {
  const kernel = interruptSignal();
  if (!user) return kernel;
  return AbortSignal.any([kernel, user]);
}

/** Throw an AbortError if `signal` has fired; `where` says which loop and step. */
export function throwIfAborted(signal: AbortSignal | undefined, where = ""): void {
  if (signal?.aborted) {
    const base = signal.reason instanceof Error ? signal.reason.message : "Interrupted.";
    throw new AbortError(where ? `${base} Stopped ${where}.` : base);
  }
}

/** Let timers, I/O and the interrupt handler run (a macrotask, not a microtask). */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * Returns a function that yields to the event loop at most every `ms` milliseconds:
 * `const maybeYield = yielder(); for (...) { ...; await maybeYield(); }`.
 */
export function yielder(ms = 50): () => Promise<void> | void {
  let last = Date.now();
  return () => {
    const now = Date.now();
    if (now - last < ms) return;
    last = now;
    return yieldToEventLoop();
  };
}

/**
 * An abort-aware loop over 0, 1, …, n − 1 for your own code in a notebook:
 *
 *   for await (const i of steps(1000, "my sampler")) { …; await somethingAsync(); }
 *
 * Kernel → Interrupt stops it before its next step with an AbortError saying where
 * ("Interrupted by the user (kernel interrupt). Stopped my sampler at step 37 of 1000.").
 * It yields to the event loop at most every `yieldMs` (default 50) milliseconds, so the
 * interrupt can arrive even when the loop body never awaits. Like the library's loops, it
 * takes its signal when it starts: an interrupt of an earlier cell does not stop it.
 */
export async function* steps(n: number, label = "loop", opts: { signal?: AbortSignal; yieldMs?: number } = {}): AsyncGenerator<number, void, undefined> {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`steps(n): n must be an integer ≥ 0 (the number of steps), got ${String(n)}.`);
  const signal = loopSignal(opts.signal);
  const maybeYield = yielder(opts.yieldMs ?? 50);
  for (let i = 0; i < n; i++) {
    throwIfAborted(signal, `${label} at step ${i} of ${n}`);
    yield i;
    await maybeYield();
  }
}

/**
 * The items of any iterable or async iterable, abort-aware like `steps`:
 *
 *   for await (const batch of interruptible(batches, "my training loop")) { … }
 */
export async function* interruptible<T>(
  items: Iterable<T> | AsyncIterable<T>,
  label = "loop",
  opts: { signal?: AbortSignal; yieldMs?: number } = {},
): AsyncGenerator<T, void, undefined> {
  if (items === null || items === undefined || (typeof (items as Iterable<T>)[Symbol.iterator] !== "function" && typeof (items as AsyncIterable<T>)[Symbol.asyncIterator] !== "function")) {
    throw new TypeError(`interruptible(items): expected an array or another (async) iterable, got ${items === null ? "null" : typeof items}.`);
  }
  const signal = loopSignal(opts.signal);
  const maybeYield = yielder(opts.yieldMs ?? 50);
  let i = 0;
  for await (const item of items as AsyncIterable<T>) {
    throwIfAborted(signal, `${label} at item ${i}`);
    yield item;
    i++;
    await maybeYield();
  }
}

/**
 * Wait `ms` milliseconds, or until Kernel → Interrupt (then throw an AbortError): a sleep that
 * does not keep an interrupted cell alive.
 */
export function sleep(ms: number, signal: AbortSignal = interruptSignal()): Promise<void> {
  if (!Number.isFinite(ms) || ms < 0) return Promise.reject(new RangeError(`sleep(ms): ms must be a finite number ≥ 0, got ${String(ms)}.`));
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(new AbortError(`${reasonText(signal)} Stopped a sleep.`));
    const onAbort = () => {
      clearTimeout(t);
      reject(new AbortError(`${reasonText(signal)} Stopped a sleep of ${ms} ms.`));
    };
    const t = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

function reasonText(signal: AbortSignal): string {
  return signal.reason instanceof Error ? signal.reason.message : "Interrupted.";
}
