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

/** Register a callback run on every interrupt; returns a function that unregisters it. */
export function onInterrupt(f: () => void): () => void {
  listeners.add(f);
  return () => listeners.delete(f);
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
