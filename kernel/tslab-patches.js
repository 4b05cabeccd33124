// What the latentlab kernel changes in tslab 1.0.x, at load time (kernel/launch.js calls
// install() before starting tslab). Each patch is small and keeps tslab's own behaviour
// otherwise; each one fixes something a Jupyter front end shows the user:
//
// 1. Output that is never lost. tslab sends every IOPub message with zeromq's
//    Publisher.send without waiting for the previous send; overlapping sends fail with EBUSY
//    and the message is dropped (a cell printing 600 lines lost a third of them, sometimes
//    its `status: idle`, and the client then waited for the cell timeout). Here every socket
//    sends one message at a time, in order; consecutive stream writes of a cell that pile up
//    while a send is in flight are merged into one `stream` message (as ipykernel does), and
//    a pending progress-bar update is replaced by a newer one for the same display.
// 2. Errors as Jupyter errors. A failing cell sends an `error` message (ename, evalue,
//    traceback) instead of a stack dump on stderr. The traceback names the notebook cell and
//    line (`cell In[5], line 3`) and the latentlab function it called (with its src/ file and
//    line, from lib/'s source maps); frames inside tslab, node and other packages are left
//    out. The execute_reply carries the same ename/evalue/traceback.
// 3. Interrupts that end cleanly. Kernel → Interrupt first fires latentlab's abort signal;
//    the cell then has INTERRUPT_GRACE_MS to stop by itself, so the library's own message
//    ("Interrupted … stopped at epoch 3 …") is what the user sees, as one line. Only a cell
//    that does not stop in time is abandoned, with one line that says so.
// 4. A failed or interrupted cell keeps what it declared before it stopped: its imports,
//    functions, types and every variable that had received a value (tslab drops them all, so
//    the next cell failed with "Cannot find name …").
// 5. Protocol details: requests cancelled after an error are answered `aborted` (tslab says
//    `abort`, which front ends do not know), and only when the failed request asked for it
//    (`stop_on_error`, which `nbconvert --allow-errors` turns off); each execution sends
//    `execute_input` with its execution count (nbconvert takes the counts from it).
// 6. `import … from "latentlab"` works from a notebook in any folder (the kernel installed
//    with `npm run kernel:install -- --user`): the module and its types resolve to this
//    project when the notebook's folder has no latentlab of its own.
// 7. `{ name }` works when `name` was declared in an earlier cell (tslab's converter misses
//    the shorthand's value and the cell threw "ReferenceError: name is not defined").
// 8. Faster start: the compiler loads Node's global types, not every package under
//    node_modules/@types (the project's devDependencies bring react, chai, …), unless the
//    options name their own `types`: 0.3–0.45 CPU-s less per kernel (bench `kernel`: first
//    output 1.86 → 1.56 s; grading Homework 1: 7.98 → 6.85–7.72 CPU-s per submission,
//    two runs).
// 9. Faster headless start: with LATENTLAB_HEADLESS=1 (the runner, `npm test`, validate and the
//    grader, where no one asks for tooltips) the compiler reads declaration files without their
//    comments (kernel/dts-strip.js): same declarations, 60% fewer characters to parse.
// 10. A kernel that answers however fast its client is. tslab starts its receive loops, then
//    binds the sockets; a request that arrives before zeromq has finished the bind made the
//    next receive throw EBUSY ("Socket is blocked by a bind or unbind operation"), which ended
//    the shell loop: the kernel never answered (seen once in CI: "did not answer within
//    120 s"). A receive that meets EBUSY now waits a millisecond and tries again.
//
// Off with LATENTLAB_TSLAB_PATCHES=0 (tslab exactly as shipped). Written against tslab
// 1.0.22; if a patched function is missing (another tslab version), that patch is skipped
// with a note on the kernel's stderr, never a crash.
"use strict";
const fs = require("fs");
const path = require("path");
const Module = require("module");
const vm = require("vm");

const ROOT = path.resolve(__dirname, "..");
/** How long an interrupted cell may take to stop by itself before tslab abandons it. */
const INTERRUPT_GRACE_MS = 1000;
/** Merged stream messages stop growing at this many characters. */
const MAX_MERGED_STREAM = 1 << 20;

let installed = false;
/** The kernel's own diagnostics: straight to fd 2 (process.stderr.write goes to the cell during execution). */
function note(text) {
  try {
    fs.writeSync(2, `latentlab kernel: ${text}\n`);
  } catch {
    /* nowhere to write */
  }
}

// ---------------------------------------------------------------------------------------------
// 1. Sends, one at a time

/**
 * A queue in front of a zeromq socket that sends one message at a time (EBUSY is retried).
 * zeromq's sockets are sealed objects, so the queue does not patch them: `facade` is a small
 * object with the socket's `send` (queued) and `close`, put where tslab looks the socket up.
 */
class SendQueue {
  constructor(sock, name) {
    this.sock = sock;
    this.name = name;
    this.send = (frames) => sock.send(frames);
    this.items = [];
    this.pumping = false;
    this.lost = 0;
    this.facade = {
      send: (frames) => {
        this.push({ frames });
        return Promise.resolve();
      },
      // tslab closes right after queuing the shutdown's last messages: send them first.
      close: () => {
        void this.drain().then(() => sock.close());
      },
      socket: sock,
    };
  }
  push(item) {
    this.items.push(item);
    if (!this.pumping) void this.pump();
  }
  /** A stream write of the cell answering `msg`: merged into the last queued one when possible. */
  stream(msg, key, name, text) {
    const last = this.items[this.items.length - 1];
    if (last && last.kind === "stream" && last.msg === msg && last.name === name && last.text.length < MAX_MERGED_STREAM) {
      last.text += text;
      return;
    }
    this.push({ kind: "stream", msg, key, name, text });
  }
  /** display_data / update_display_data; a queued update of the same display is replaced. */
  display(msg, key, content, update) {
    const id = content && content.transient && content.transient.display_id;
    const last = this.items[this.items.length - 1];
    if (update && id && last && last.kind === "display" && last.update && last.msg === msg && last.id === id) {
      last.content = content;
      return;
    }
    this.push({ kind: "display", msg, key, content, update, id });
  }
  /** A message built from `msg.createReply()` now, sent in turn. */
  reply(msg, key, msgType, content) {
    this.push({ kind: "reply", msg, key, msgType, content });
  }
  static frames(msg, key, msgType, content) {
    const r = msg.createReply();
    r.header.msg_type = msgType;
    r.content = content;
    let frames = null;
    r.signAndSend(key, { send: (f) => (frames = f) });
    return frames;
  }
  build(item) {
    if (item.frames) return item.frames;
    if (item.kind === "stream") return SendQueue.frames(item.msg, item.key, "stream", { name: item.name, text: item.text });
    if (item.kind === "display") return SendQueue.frames(item.msg, item.key, item.update ? "update_display_data" : "display_data", item.content);
    return SendQueue.frames(item.msg, item.key, item.msgType, item.content);
  }
  async pump() {
    this.pumping = true;
    try {
      while (this.items.length > 0) {
        const item = this.items.shift();
        let frames;
        try {
          frames = this.build(item);
        } catch (e) {
          note(`could not encode a ${item.kind || "raw"} message: ${e && e.message}`);
          continue;
        }
        for (let attempt = 0; ; attempt++) {
          try {
            await this.send(frames);
            break;
          } catch (e) {
            if (e && e.code === "EBUSY" && attempt < 1000) {
              await new Promise((r) => setImmediate(r));
              continue;
            }
            this.lost++;
            note(`lost a message on ${this.name} (${(e && e.code) || ""} ${(e && e.message) || e})`);
            break;
          }
        }
      }
    } finally {
      this.pumping = false;
    }
  }
  /** Resolves once everything queued so far is sent (for tests and shutdown). */
  async drain() {
    while (this.pumping || this.items.length > 0) await new Promise((r) => setImmediate(r));
  }
}

// ---------------------------------------------------------------------------------------------
// 2. Errors

/** lib/…/x.js → its source map (module.SourceMap), cached; null when there is none. */
const sourceMaps = new Map();
function sourceMapFor(file) {
  if (sourceMaps.has(file)) return sourceMaps.get(file);
  let map = null;
  try {
    const payload = JSON.parse(fs.readFileSync(file + ".map", "utf8"));
    map = { map: new Module.SourceMap(payload), dir: path.dirname(file) };
  } catch {
    map = null;
  }
  sourceMaps.set(file, map);
  return map;
}

const LIB = path.join(ROOT, "lib") + path.sep;

/** Parse V8 stack lines: [{ fn, file, line, col }]. */
function stackFrames(stack) {
  const frames = [];
  for (const raw of String(stack || "").split("\n")) {
    const m = /^\s*at (?:(.*?) \()?(.*?):(\d+):(\d+)\)?$/.exec(raw);
    if (!m) continue;
    frames.push({ fn: m[1] || "", file: m[2], line: Number(m[3]), col: Number(m[4]) });
  }
  return frames;
}

/** "src/runtime/check.ts:88" for a frame in lib/, via lib's source maps; else lib/…js:line. */
function libLocation(frame) {
  const sm = sourceMapFor(frame.file);
  if (sm) {
    const e = sm.map.findEntry(frame.line - 1, frame.col - 1);
    if (e && e.originalSource) {
      const src = e.originalSource.startsWith("file://") ? new URL(e.originalSource).pathname : path.resolve(sm.dir, e.originalSource);
      return `${path.relative(ROOT, src)}:${e.originalLine + 1}`;
    }
  }
  return `${path.relative(ROOT, frame.file)}:${frame.line}`;
}

const JS_WORDS = new Set(["const", "let", "var", "await", "async", "function", "return", "new", "exports", "require", "void", "this", "yield", "of", "in", "for", "if", "else", "while", "do", "true", "false", "null", "undefined", "typeof", "instanceof", "break", "continue", "throw", "try", "catch", "finally", "default"]);

function tokens(line) {
  const cleaned = line
    .replace(/\(0,\s*[\w$]+_\d+\.([\w$]+)\)/g, "$1") // (0, latentlab_1.f)(…) → f(…)
    .replace(/\b[\w$]+_\d+\./g, "") // latentlab_1.f → f
    .replace(/\bexports\./g, "");
  const out = cleaned.match(/[A-Za-z_$][\w$]*|\d+(?:\.\d+)?(?:e[-+]?\d+)?|"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g) || [];
  return out.filter((t) => !JS_WORDS.has(t)).map((t) => (/^['"`]/.test(t) ? t.slice(1, -1) : t));
}

/**
 * The cell's source line (1-based) that compiled to line `outLine` of tslab's output, by
 * matching identifiers, numbers and strings (tslab emits no source map; TypeScript keeps
 * statements in order and one statement per line). null when nothing matches well.
 */
function sourceLineOf(output, src, outLine) {
  const outLines = String(output || "").split("\n");
  const want = tokens(outLines[outLine - 1] || "");
  if (want.length === 0) return null;
  const srcLines = String(src).split("\n");
  let best = null;
  let bestScore = 0;
  const expected = (outLine / Math.max(1, outLines.length)) * srcLines.length;
  srcLines.forEach((line, i) => {
    const have = tokens(line);
    if (have.length === 0) return;
    const pool = new Map();
    for (const t of have) pool.set(t, (pool.get(t) || 0) + 1);
    let common = 0;
    for (const t of want) {
      const n = pool.get(t) || 0;
      if (n > 0) {
        common++;
        pool.set(t, n - 1);
      }
    }
    // Mostly "how much of the compiled line is on this source line"; ties go to the line
    // with fewer extra tokens (type annotations), then to the one nearer the expected place.
    const score = common / want.length - 0.01 * (have.length - common) / have.length - 1e-4 * Math.abs(i - expected);
    if (score > bestScore) {
      bestScore = score;
      best = i + 1;
    }
  });
  return bestScore >= 0.5 ? best : null;
}

/** The file name a cell's compiled code runs under (shows in stack traces). */
function cellFileName(count, gen) {
  return count != null ? `latentlab-cell-In[${count}]` : `latentlab-cell-${gen}`;
}

function cellName(count) {
  return count != null ? `cell In[${count}]` : "this cell";
}

const MODULE_HINT =
  'latentlab is resolved by the kernel "TypeScript (latentlab)": pick that kernel (Kernel → Change kernel). ' +
  "If it is not listed, run `npm run kernel:install -- --user` in the latentlab folder, then reload this page.";

/**
 * The Jupyter error content { ename, evalue, traceback } for a value thrown by a cell.
 * `ctx`: { src, output (tslab's compiled JS), count, interrupted, abandoned }.
 */
function errorContent(err, ctx) {
  const isErr = err instanceof Error || (err && typeof err === "object" && typeof err.message === "string" && typeof err.stack === "string");
  let ename = isErr ? String(err.name || "Error") : "Thrown";
  let evalue = isErr ? String(err.message) : safeString(err);
  if (ctx.abandoned) {
    return oneLine(
      "Interrupted",
      `Kernel → Interrupt: ${cellName(ctx.count)} did not stop within ${INTERRUPT_GRACE_MS / 1000} s, so the kernel stopped waiting for it; ` +
        "work it started may still run in the background (a loop without an interrupt check). " +
        "latentlab's loops stop by themselves; for your own loops use `for await (const i of steps(n))` or `checkInterrupt()` from latentlab.",
    );
  }
  if (isErr && /^Script execution (was )?interrupted/.test(evalue)) {
    return oneLine("Interrupted", `Kernel → Interrupt: ${cellName(ctx.count)} was interrupted while it ran synchronous code; what it declared before that point is kept.`);
  }
  if (ename === "AbortError") return oneLine(ename, evalue);
  if (isErr && err.code === "MODULE_NOT_FOUND" && /latentlab/.test(evalue)) evalue += `\n${MODULE_HINT}`;
  const tb = [`${ename}: ${evalue}`];
  const frames = isErr ? stackFrames(err.stack) : [];
  const cells = ctx.cells || new Map();
  const isCell = (f) => cells.has(f.file) || f.file === "evalmachine.<anonymous>";
  // Cells, outermost (the running cell) first, as Python shows them; then the latentlab
  // functions between the innermost cell frame and the throw: the outermost is the one the
  // cell called, the innermost where it failed (at most these two).
  const cellFrames = frames.filter(isCell).reverse();
  const cellLines = cellFrames.map((f) => {
    const c = cells.get(f.file) || { src: ctx.src, output: ctx.output, count: ctx.count };
    const line = sourceLineOf(c.output, c.src, f.line);
    const srcLine = line ? String(c.src).split("\n")[line - 1].trim() : "";
    const name = f.fn.replace(/^(Object|exports|Proxy)\./, "");
    const fn = name && !/^(<anonymous>|eval)$/.test(name) ? ` in ${name}` : "";
    return line ? `  at ${cellName(c.count)}, line ${line}${fn}:  ${srcLine}` : `  at ${cellName(c.count)}${fn}`;
  });
  // The frame of tslab's wrapper call (the last line of the compiled cell) maps to no line:
  // drop such frames when the traceback has a better one.
  const withLine = cellLines.filter((l) => / line \d+/.test(l));
  tb.push(...(withLine.length > 0 ? withLine : cellLines.slice(0, 1)));
  const firstCell = frames.findIndex(isCell);
  const lib = frames.slice(0, firstCell >= 0 ? firstCell : frames.length).filter((f) => f.file.startsWith(LIB));
  const shown = lib.length <= 2 ? lib.slice().reverse() : [lib[lib.length - 1], lib[0]];
  for (const f of shown) tb.push(`  in latentlab ${f.fn.replace(/^(Object|exports|Proxy)\./, "") || "(anonymous)"}  (${libLocation(f)})`);
  if (cellFrames.length === 0 && lib.length === 0 && frames.length > 0) {
    // Thrown outside the cells and the library (a callback, a package): the first frame says where.
    const f = frames[0];
    tb.push(`  at ${f.fn || "(anonymous)"} (${f.file.startsWith(ROOT) ? path.relative(ROOT, f.file) : f.file}:${f.line})`);
  }
  return { ename, evalue, traceback: tb };
}

function oneLine(ename, evalue) {
  return { ename, evalue, traceback: [`${ename}: ${evalue}`] };
}

function safeString(x) {
  try {
    return typeof x === "string" ? x : JSON.stringify(x) ?? String(x);
  } catch {
    return String(x);
  }
}

/** The Jupyter error content for TypeScript diagnostics of a cell. */
function diagnosticsContent(diags, src, count) {
  const lines = String(src).split("\n");
  const first = diags[0];
  const notFound = diags.some((d) => /Cannot find module 'latentlab/.test(d.msg));
  const tb = [`TypeScriptError: ${first.msg}`];
  for (const d of diags) {
    const where = d.file ? `${d.file} ${d.line}:${d.col}` : `${cellName(count)}, line ${d.line}, column ${d.col}`;
    tb.push(`  at ${where}: ${d.msg}`);
    if (!d.file && lines[d.line - 1] !== undefined) tb.push(`      ${lines[d.line - 1].trim()}`);
  }
  if (notFound) tb.push(MODULE_HINT);
  const evalue = diags.length > 1 ? `${first.msg} (and ${diags.length - 1} more: see below)` : first.msg;
  return { ename: "TypeScriptError", evalue: notFound ? `${evalue}\n${MODULE_HINT}` : evalue, traceback: tb };
}

// ---------------------------------------------------------------------------------------------
// 4. Declarations kept after a failure

let tsForTslab = null;
function typescript(tslabDir) {
  if (!tsForTslab) tsForTslab = require(require.resolve("@tslab/typescript-for-tslab", { paths: [tslabDir] }));
  return tsForTslab;
}

/**
 * The statements of tslab's declaration output `decl` that are still true after the cell
 * stopped early: imports, types, functions, classes, and variables that hold a value in
 * `locals` (tslab's cell-exports object). Variables the cell never reached are dropped.
 */
function keptDeclarations(ts, decl, locals) {
  if (!decl) return "";
  const sf = ts.createSourceFile("__kept__.d.ts", decl, ts.ScriptTarget.ES2020, true);
  const has = (name) => {
    try {
      return locals[name] !== undefined;
    } catch {
      return false;
    }
  };
  const names = (binding, out) => {
    if (ts.isIdentifier(binding)) out.push(binding.text);
    else for (const el of binding.elements || []) if (el.name) names(el.name, out);
    return out;
  };
  const kept = [];
  for (const st of sf.statements) {
    if (ts.isVariableStatement(st)) {
      const all = st.declarationList.declarations.flatMap((d) => names(d.name, []));
      if (!all.every(has)) continue;
    } else if ((ts.isClassDeclaration(st) || ts.isEnumDeclaration(st)) && st.name && !has(st.name.text)) {
      continue;
    }
    kept.push(st.getFullText(sf));
  }
  return kept.join("");
}

// ---------------------------------------------------------------------------------------------
// 7. Object shorthand that names an earlier cell's variable

/**
 * `src` with every object-literal shorthand property `{ name }` written out as
 * `{ name: name }` (and `{ a = 1 } = o` as `{ a: a = 1 } = o`), the same JavaScript. tslab
 * rewrites a reference to an earlier cell's variable `x` into `exports.x`, but it does not see
 * the shorthand's value (the checker gives the property's symbol there), so `{ name }` with
 * `name` from an earlier cell threw "ReferenceError: name is not defined". The name stays on
 * its line, so error lines do not move. Returns `src` itself when there is nothing to change
 * or the text does not parse (tslab then reports the syntax error as usual).
 */
function expandShorthands(ts, src) {
  if (typeof src !== "string" || !/[{,]\s*[A-Za-z_$][\w$]*\s*[,}=]/.test(src)) return src;
  let sf;
  try {
    sf = ts.createSourceFile("__cell__.ts", src, ts.ScriptTarget.ES2020, true, ts.ScriptKind.TS);
  } catch {
    return src;
  }
  const edits = [];
  const visit = (node) => {
    if (ts.isShorthandPropertyAssignment(node)) edits.push({ at: node.name.end, text: node.name.text });
    ts.forEachChild(node, visit);
  };
  visit(sf);
  if (edits.length === 0) return src;
  let out = src;
  for (const e of edits.sort((a, b) => b.at - a.at)) out = `${out.slice(0, e.at)}: ${e.text}${out.slice(e.at)}`;
  return out;
}

// ---------------------------------------------------------------------------------------------
// The executor wrapper: errors, interrupts, kept declarations

function abortModule() {
  try {
    return require(path.join(ROOT, "lib", "runtime", "abort.js"));
  } catch {
    return null;
  }
}

function wrapExecutorFactory(executorModule, tslabDir) {
  const original = executorModule.createExecutor;
  if (typeof original !== "function") return note("tslab has no createExecutor: error/interrupt patches skipped");
  executorModule.createExecutor = function createExecutor(rootDir, convs, consoleLike) {
    const state = {
      prevDecl: "",
      converted: null,
      runtimeError: undefined,
      hasRuntimeError: false,
      diagnostics: [],
      running: false,
      abandoned: false,
      generation: 0,
    };
    // The converter sees OUR declarations (kept after failures too), whatever tslab passes.
    let wrappedNode = null;
    const convsProxy = {
      get node() {
        const conv = convs.node;
        if (!wrappedNode || wrappedNode.base !== conv) {
          wrappedNode = {
            base: conv,
            convert: (_prev, src) => (state.converted = conv.convert(state.prevDecl, expandShorthands(typescript(tslabDir), src))),
            inspect: (_prev, src, pos) => conv.inspect(state.prevDecl, src, pos),
            complete: (_prev, src, pos) => conv.complete(state.prevDecl, src, pos),
            addModule: (...a) => conv.addModule(...a),
            close: () => conv.close(),
          };
        }
        return wrappedNode;
      },
      get browser() {
        return convs.browser;
      },
      close: () => convs.close(),
    };
    const capture = {
      log: (...a) => consoleLike.log(...a),
      error: (...a) => {
        if (a[0] === "%s%d:%d - %s" && a.length === 5) {
          state.diagnostics.push({ file: String(a[1]).trim(), line: a[2], col: a[3], msg: String(a[4]) });
          return;
        }
        if (a.length === 1 && !state.hasRuntimeError) {
          state.hasRuntimeError = true;
          state.runtimeError = a[0];
          return;
        }
        consoleLike.error(...a);
      },
    };
    const ex = original(rootDir, convsProxy, capture);
    /** file name → { src, output, count } of every cell run so far (for tracebacks). */
    const cells = new Map();
    const baseInterrupt = ex.interrupt;
    const baseReset = ex.reset;
    const baseExecute = ex.execute;
    const ts = typescript(tslabDir);

    /** Run a cell. Resolves { ok, error?: Jupyter error content } (tslab's boolean is kept as .ok). */
    ex.executeDetailed = async function (src, count) {
      state.converted = null;
      state.runtimeError = undefined;
      state.hasRuntimeError = false;
      state.diagnostics = [];
      state.abandoned = false;
      state.running = true;
      const gen = ++state.generation;
      const file = cellFileName(count, gen);
      const abort = require.cache[path.join(ROOT, "lib", "runtime", "abort.js")];
      if (abort && abort.exports && typeof abort.exports.beginCell === "function") abort.exports.beginCell();
      let ok;
      // tslab runs the compiled cell with vm.runInThisContext (synchronously, inside execute's
      // first step): give it a file name per cell, so stack frames say which cell they are in.
      const run = vm.runInThisContext;
      vm.runInThisContext = function (code, options) {
        vm.runInThisContext = run;
        const o = typeof options === "object" && options !== null ? { ...options } : {};
        if (o.filename === undefined) o.filename = file;
        return run.call(this, code, o);
      };
      try {
        const p = baseExecute(src);
        vm.runInThisContext = run;
        ok = await p;
      } finally {
        vm.runInThisContext = run;
        state.running = false;
      }
      cells.set(file, { src, output: state.converted && state.converted.output, count });
      if (cells.size > 500) cells.delete(cells.keys().next().value);
      const conv = state.converted;
      if (ok) {
        if (conv && (!conv.diagnostics || conv.diagnostics.length === 0)) state.prevDecl = conv.declOutput || "";
        return { ok: true };
      }
      if (state.diagnostics.length > 0) return { ok: false, error: diagnosticsContent(state.diagnostics, src, count) };
      // A runtime failure or an interrupt: keep what the cell declared and assigned so far.
      if (conv && conv.output !== undefined) {
        try {
          state.prevDecl = keptDeclarations(ts, conv.declOutput || "", ex.locals);
        } catch (e) {
          note(`could not keep the declarations of the failed cell: ${e && e.message}`);
        }
      }
      const abandoned = state.abandoned && gen === state.generation;
      const error = errorContent(state.runtimeError, { src, output: conv && conv.output, count, abandoned, cells });
      return { ok: false, error };
    };
    ex.execute = async (src) => (await ex.executeDetailed(src, null)).ok;

    // Interrupt: latentlab's loops first (they stop at their next step and throw the library's
    // AbortError), tslab's own rejection only if the cell is still running after the grace.
    ex.interrupt = function () {
      const abort = abortModule();
      if (abort && typeof abort.interrupt === "function") {
        try {
          abort.interrupt();
        } catch (e) {
          note(`latentlab interrupt failed: ${e && e.message}`);
        }
      }
      if (!state.running) return baseInterrupt();
      const gen = state.generation;
      setTimeout(() => {
        if (state.running && gen === state.generation) {
          state.abandoned = true;
          baseInterrupt();
        }
      }, INTERRUPT_GRACE_MS).unref();
    };
    ex.reset = function () {
      state.prevDecl = "";
      return baseReset();
    };
    return ex;
  };
}

// ---------------------------------------------------------------------------------------------
// The Jupyter side: handler and server

function patchJupyter(jupyter, util) {
  const { JupyterHandlerImpl, ZmqServer } = jupyter;
  if (!JupyterHandlerImpl || !ZmqServer) return note("tslab's jupyter module changed: protocol patches skipped");
  const TaskCanceledError = util.TaskCanceledError;

  /** handleExecute(req, writeStream, writeDisplayData, onStart) → reply content (+ error). */
  JupyterHandlerImpl.prototype.handleExecute = async function (req, writeStream, writeDisplayData, onStart) {
    let count = null;
    try {
      const r = await this.execQueue.add(async () => {
        process.stdout.write = this.createWriteToIopub("stdout", writeStream);
        process.stderr.write = this.createWriteToIopub("stderr", writeStream);
        jupyter.lastWriteDisplayData = writeDisplayData;
        count = ++this.execCount;
        if (onStart) onStart(count);
        const res =
          typeof this.executor.executeDetailed === "function" ? await this.executor.executeDetailed(req.code, count) : { ok: await this.executor.execute(req.code) };
        const failure = res.ok ? null : res.error || { ename: "Error", evalue: "the cell failed", traceback: [] };
        // As ipykernel: only a request with stop_on_error (the default; nbconvert --allow-errors
        // sends false) cancels the requests queued behind it. Throwing is what makes tslab's
        // queue cancel them.
        if (failure && req.stop_on_error !== false) throw { latentlabFailure: failure };
        return { count, failure };
      });
      if (r.failure) return { status: "error", execution_count: r.count, ...r.failure };
      return { status: "ok", execution_count: r.count, user_expressions: {}, payload: [] };
    } catch (e) {
      if (e && e.latentlabFailure) {
        // As tslab does: requests already queued behind a failed cell are cancelled ("aborted").
        this.execQueue.reset(200);
        return { status: "error", execution_count: count, ...e.latentlabFailure };
      }
      if (TaskCanceledError && e instanceof TaskCanceledError) return { status: "aborted", execution_count: null };
      this.execQueue.reset(200);
      const content = errorContent(e, { src: req.code, count });
      return { status: "error", execution_count: count, ...content };
    }
  };

  ZmqServer.prototype.handleExecute = async function (sock, msg) {
    const key = this.connInfo.key;
    const q = this.latentlabIopub;
    const writeStream = q ? (name, text) => q.stream(msg, key, name, text) : (name, text) => this.iopub.send(SendQueue.frames(msg, key, "stream", { name, text }));
    const writeDisplayData = q
      ? (data, update) => q.display(msg, key, data, update)
      : (data, update) => this.iopub.send(SendQueue.frames(msg, key, update ? "update_display_data" : "display_data", data));
    const onStart = (count) => {
      const content = { code: msg.content.code, execution_count: count };
      if (q) q.reply(msg, key, "execute_input", content);
      else this.iopub.send(SendQueue.frames(msg, key, "execute_input", content));
    };
    const content = await this.handler.handleExecute(msg.content, writeStream, writeDisplayData, onStart);
    if (content.status === "error" && content.ename !== undefined) {
      const err = { ename: content.ename, evalue: content.evalue, traceback: content.traceback };
      if (q) q.reply(msg, key, "error", err);
      else this.iopub.send(SendQueue.frames(msg, key, "error", err));
    }
    const reply = msg.createReply();
    reply.header.msg_type = "execute_reply";
    reply.content = content;
    reply.signAndSend(key, sock);
  };

  const bindSocket = ZmqServer.prototype.bindSocket;
  ZmqServer.prototype.bindSocket = async function (sock, port) {
    // Keep every IOPub message even when a client reads slowly: no high-water-mark drops.
    if (sock === this.iopub) {
      try {
        sock.sendHighWaterMark = 0;
      } catch {
        /* option not supported: the send queue still serialises */
      }
    }
    return bindSocket.call(this, sock, port);
  };

  const init = ZmqServer.prototype.init;
  ZmqServer.prototype.init = async function () {
    await init.call(this);
    // tslab reads this.iopub / this.shell / this.control at every send (and at close).
    this.latentlabIopub = new SendQueue(this.iopub, "iopub");
    const shell = new SendQueue(this.shell, "shell");
    const control = new SendQueue(this.control, "control");
    this.latentlabQueues = [this.latentlabIopub, shell, control];
    this.iopub = this.latentlabIopub.facade;
    this.shell = shell.facade;
    this.control = control.facade;
  };
}

// ---------------------------------------------------------------------------------------------
// 6. latentlab from any folder

/** `require("latentlab")` falls back to this project when the notebook's folder has none. */
function patchResolution() {
  const resolve = Module._resolveFilename;
  Module._resolveFilename = function (request, parent, isMain, options) {
    try {
      return resolve.call(this, request, parent, isMain, options);
    } catch (e) {
      if (e && e.code === "MODULE_NOT_FOUND" && (request === "latentlab" || request.startsWith("latentlab/"))) {
        const target = request === "latentlab" ? ROOT : path.join(ROOT, request.slice("latentlab/".length));
        return resolve.call(this, target, parent, isMain, options);
      }
      throw e;
    }
  };
}

/**
 * tslab's compiler options gain `paths` for latentlab, so the types resolve from any folder too,
 * and `types: ["node"]`, so that a kernel does not parse every @types package it can see.
 */
function patchTypescriptPaths(ts) {
  if (typeof ts.createWatchCompilerHost !== "function") return ts;
  if (process.env.LATENTLAB_HEADLESS === "1") stripDeclarationComments(ts);
  const patched = { __esModule: true, default: ts.default || ts };
  for (const key of Object.keys(ts)) {
    if (key === "createWatchCompilerHost" || key === "default" || key === "__esModule") continue;
    Object.defineProperty(patched, key, { enumerable: true, get: () => ts[key] });
  }
  Object.defineProperty(patched, "createWatchCompilerHost", {
    enumerable: true,
    value: function createWatchCompilerHost(rootFiles, options, ...rest) {
      let opts = options;
      if (opts && typeof opts === "object" && !opts.paths) {
        opts = { ...opts, paths: { latentlab: [ROOT], "latentlab/*": [path.join(ROOT, "*")] } };
      }
      // Only Node's global types, not every package in node_modules/@types (react, chai, …: a
      // devDependency's types that no notebook uses cost 0.3–0.45 CPU-s per kernel start). Types of
      // imported packages still resolve through their imports.
      const nodeTypes = path.join(ROOT, "node_modules", "@types");
      if (opts && typeof opts === "object" && opts.types === undefined && fs.existsSync(path.join(nodeTypes, "node"))) {
        opts = { ...opts, types: ["node"], typeRoots: [nodeTypes] };
      }
      return ts.createWatchCompilerHost(rootFiles, opts, ...rest);
    },
  });
  return patched;
}

/**
 * Patch 9: declaration files are read without their comments (headless kernels only; see
 * kernel/dts-strip.js). tslab reads every file through ts.sys.readFile.
 */
function stripDeclarationComments(ts) {
  const sys = ts.sys;
  if (!sys || typeof sys.readFile !== "function" || sys.readFile.latentlabStripped) return;
  let stripComments;
  try {
    ({ stripComments } = require("./dts-strip.js"));
  } catch (e) {
    note(`declaration comments kept: ${e && e.message}`);
    return;
  }
  const read = sys.readFile;
  const readStripped = function (file, encoding) {
    const text = read.call(this, file, encoding);
    return typeof text === "string" && /\.d\.ts$/.test(file) ? stripComments(text) : text;
  };
  readStripped.latentlabStripped = true;
  sys.readFile = readStripped;
}

/** Install every patch (idempotent). `tslabDir`: tslab's package folder. */
// ---------------------------------------------------------------------------------------------
// 10. Receive loops that survive a bind in progress

/** Async iteration over a zeromq socket retries a receive that fails with EBUSY (a bind in progress). */
function patchReceiveLoops(zmq) {
  let proto = zmq.Router.prototype;
  while (proto && !Object.prototype.hasOwnProperty.call(proto, Symbol.asyncIterator)) proto = Object.getPrototypeOf(proto);
  if (!proto) throw new Error("zeromq sockets have no async iterator");
  const iterate = proto[Symbol.asyncIterator];
  if (iterate.latentlab) return;
  const patched = function () {
    const it = iterate.call(this);
    const next = it.next;
    it.next = async (...args) => {
      for (let attempt = 0; ; attempt++) {
        try {
          return await next.apply(it, args);
        } catch (e) {
          if (!(e && e.code === "EBUSY") || attempt >= 30_000) throw e;
          await new Promise((r) => setTimeout(r, 1));
        }
      }
    };
    return it;
  };
  patched.latentlab = true;
  proto[Symbol.asyncIterator] = patched;
}

function install({ tslabDir = path.dirname(require.resolve("tslab/package.json", { paths: [ROOT] })) } = {}) {
  if (installed || process.env.LATENTLAB_TSLAB_PATCHES === "0") return false;
  installed = true;
  const version = (() => {
    try {
      return require(path.join(tslabDir, "package.json")).version;
    } catch {
      return "?";
    }
  })();
  if (!/^1\.0\./.test(version)) note(`tslab ${version} is not the 1.0.x these patches were written for; patches that do not apply are skipped`);
  patchResolution();
  const load = Module._load;
  const cache = new WeakMap();
  Module._load = function (request, parent) {
    const mod = load.apply(this, arguments);
    if (request === "@tslab/typescript-for-tslab" && parent && /[\\/]tslab[\\/]dist[\\/]converter\.js$/.test(parent.filename || "")) {
      if (!cache.has(mod)) cache.set(mod, patchTypescriptPaths(mod));
      return cache.get(mod);
    }
    return mod;
  };
  const dist = path.join(tslabDir, "dist");
  try {
    patchReceiveLoops(require(require.resolve("zeromq", { paths: [tslabDir] })));
  } catch (e) {
    note(`receive-loop patch skipped: ${e && e.message}`);
  }
  try {
    wrapExecutorFactory(require(path.join(dist, "executor.js")), tslabDir);
  } catch (e) {
    note(`executor patch skipped: ${e && e.message}`);
  }
  try {
    patchJupyter(require(path.join(dist, "jupyter.js")), require(path.join(dist, "util.js")));
  } catch (e) {
    note(`protocol patch skipped: ${e && e.message}`);
  }
  return true;
}

module.exports = { install, patchReceiveLoops, stripDeclarationComments, SendQueue, errorContent, diagnosticsContent, sourceLineOf, keptDeclarations, expandShorthands, tokens, INTERRUPT_GRACE_MS, MODULE_HINT };
