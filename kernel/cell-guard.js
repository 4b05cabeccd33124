// Loaded into the kernel by the headless runner's client (`node --require kernel/cell-guard.js
// kernel/launch.js …`): report a fault that a cell raises LATER — an unhandled promise
// rejection (a `Promise.reject`, a check inside an async function nobody awaited) or an
// exception thrown from a timer — against the cell that started it, not against whichever cell
// happens to run when it fires, and never silently.
//
// How: each execute request runs inside an AsyncLocalStorage context holding the request's
// execution count, so every timer and promise a cell creates carries that count. tslab's own
// "UncaughtException:"/"UnhandledPromiseRejection:" handlers are replaced by one that writes
//
//   latentlab: unhandled promise rejection from the cell run as [3]: <stack>
//
// to stderr (which tslab sends to the notebook). The runner reads that line and fails the
// notebook at cell [3]. The kernel keeps running, as before. JupyterLab users are unaffected
// (this file is loaded only by latentlab's own client).
"use strict";
const Module = require("module");
const { AsyncLocalStorage } = require("async_hooks");

const als = new AsyncLocalStorage();
let patched = false;
let handlersSwapped = false;

function describe(reason) {
  if (reason instanceof Error) return reason.stack || `${reason.name}: ${reason.message}`;
  try {
    return typeof reason === "string" ? reason : require("util").inspect(reason);
  } catch {
    return String(reason);
  }
}

function report(kind, reason) {
  const store = als.getStore();
  const where = store ? `the cell run as [${store.count}]` : "code outside any cell";
  process.stderr.write(`latentlab: ${kind} from ${where}: ${describe(reason)}\n`);
}

function swapHandlers() {
  if (handlersSwapped) return;
  handlersSwapped = true;
  for (const [event, marker] of [
    ["uncaughtException", "UncaughtException:"],
    ["unhandledRejection", "UnhandledPromiseRejection:"],
  ]) {
    for (const l of process.listeners(event)) if (String(l).includes(marker)) process.off(event, l);
  }
  process.on("uncaughtException", (err) => report("uncaught exception", err));
  process.on("unhandledRejection", (reason) => report("unhandled promise rejection", reason));
}

/**
 * Every execute request runs as a task of the handler's execQueue, which gives it the next
 * execution count first thing: run each task inside the AsyncLocalStorage context of that
 * count. (Wrapping the queue, not a handler method, keeps working whatever else patches the
 * handler's methods, e.g. kernel/tslab-patches.js.)
 */
function guardHandler(handler) {
  const q = handler && handler.execQueue;
  if (!q || typeof q.add !== "function") return;
  const add = q.add;
  q.add = function (task, ...rest) {
    const wrapped = function (...args) {
      swapHandlers(); // tslab installs its handlers after loading; replace them on first use
      const count = (typeof handler.execCount === "number" ? handler.execCount : 0) + 1;
      return als.run({ count }, () => task.apply(this, args));
    };
    return add.call(this, wrapped, ...rest);
  };
}

function patchJupyterModule(mod) {
  const Base = mod.JupyterHandlerImpl;
  class GuardedJupyterHandler extends Base {
    constructor(...args) {
      super(...args);
      guardHandler(this);
    }
  }
  try {
    mod.JupyterHandlerImpl = GuardedJupyterHandler; // main.js reads it at `new` time
    patched = mod.JupyterHandlerImpl === GuardedJupyterHandler;
  } catch {
    /* read-only export: faults are still printed by tslab, unattributed */
  }
}

const load = Module._load;
Module._load = function (request, parent, isMain) {
  const mod = load.apply(this, arguments);
  if (!patched && mod && typeof mod.JupyterHandlerImpl === "function" && typeof mod.ZmqServer === "function") {
    patchJupyterModule(mod); // (the hook stays: other hooks may wrap it)
  }
  return mod;
};
