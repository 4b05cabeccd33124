/**
 * Progress bars for long loops (training epochs, sampling sweeps).
 *
 *   const bar = progress({ total: epochs * batches, label: "VAE", unit: "batches" });
 *   for (...) { ...; bar.tick(1, { epoch, loss }); }
 *   bar.done({ elbo });
 *
 * In a Jupyter kernel: one output, updated in place (update_display_data), at most ~4 times
 * per second. Headless (LATENTLAB_HEADLESS=1) or outside a kernel: sparse plain lines on
 * stdout, one each time another 10% is done or 10 s have passed, and a final line from
 * done() (call it: the 100% line is its job). The text
 * is deterministic apart from the timing fields (rate, ETA, elapsed).
 *
 * Kernel → Interrupt while a bar runs marks it at once, in place: "interrupted after 4.2 s"
 * instead of a frozen ETA (the loop itself stops at its next abort check).
 */
import { randomBytes } from "crypto";
import { kernelWriter, type WriteDisplayData } from "../plot/jupyter";
import { onInterrupt } from "./abort";
import { isHeadless } from "./env";

export type ProgressMetrics = Record<string, number>;

export interface ProgressBar {
  /** Count `n` (default 1) more items done; `metrics` (e.g. { epoch, loss }) replace the shown ones. */
  tick(n?: number, metrics?: ProgressMetrics): void;
  /** Finish: show the final state (with `metrics` if given) once. Later ticks are ignored. */
  done(metrics?: ProgressMetrics): void;
}

export interface ProgressOptions {
  total: number;
  label?: string;
  /** What is counted, for the rate ("batches" -> "batches/s"); default "it". */
  unit?: string;
  /** For tests: a clock in milliseconds (default performance.now). */
  clock?: () => number;
  /** For tests: "live" (in-place display), "lines" (plain lines); default from the environment. */
  mode?: "live" | "lines";
  /** For tests: where plain lines go (default stdout). */
  write?: (line: string) => void;
  /** For tests: the display writer in live mode (default: the kernel's). */
  display?: WriteDisplayData;
}

/** Live updates at most this often. */
export const PROGRESS_MIN_INTERVAL_MS = 250;
/** Plain-line mode: a line at least every this many ms of progress … */
export const PROGRESS_LINE_INTERVAL_MS = 10_000;
/** … or whenever another this fraction of the total is done. */
export const PROGRESS_LINE_FRACTION = 0.1;

/** A metric value in 4 significant digits (integers as they are): deterministic text. */
export function formatMetric(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (Number.isInteger(v) && Math.abs(v) < 1e9) return String(v);
  const a = Math.abs(v);
  if (a !== 0 && (a >= 1e5 || a < 1e-3)) return v.toExponential(3);
  return v.toPrecision(4);
}

/** Seconds as "12.3 s", "4:05" or "1:02:03". */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "?";
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${ss}` : `${m}:${ss}`;
}

export interface ProgressState {
  label: string;
  unit: string;
  count: number;
  total: number;
  metrics: ProgressMetrics;
  elapsedMs: number;
  finished: boolean;
  /** Set when Kernel → Interrupt stopped the loop (the bar then shows "interrupted"). */
  interrupted?: boolean;
}

/** The deterministic part: "label 37/100 (37%) epoch=3 loss=0.1234". */
export function progressHead(s: ProgressState): string {
  const pct = s.total > 0 ? Math.min(100, Math.floor((100 * s.count) / s.total)) : 100;
  const m = Object.entries(s.metrics)
    .map(([k, v]) => `${k}=${formatMetric(v)}`)
    .join(" ");
  return `${s.label ? `${s.label} ` : ""}${s.count}/${s.total} (${pct}%)${m ? ` ${m}` : ""}`;
}

/** The timing part: "52.1 it/s, ETA 1.9 s" (or "done in 2.0 s, 50.0 it/s"). */
export function progressTiming(s: ProgressState): string {
  const sec = s.elapsedMs / 1000;
  const rate = sec > 0 ? s.count / sec : NaN;
  const rateText = Number.isFinite(rate) ? `${formatRate(rate)} ${s.unit}/s` : `? ${s.unit}/s`;
  if (s.interrupted) return `interrupted after ${formatDuration(sec)}, ${rateText}`;
  if (s.finished) return `done in ${formatDuration(sec)}, ${rateText}`;
  const eta = rate > 0 ? (s.total - s.count) / rate : NaN;
  return `${rateText}, ETA ${formatDuration(eta)}`;
}

function formatRate(r: number): string {
  return r >= 100 ? r.toFixed(0) : r >= 10 ? r.toFixed(1) : r.toFixed(2);
}

/** One plain line: head | timing. */
export function progressLine(s: ProgressState): string {
  return `${progressHead(s)} | ${progressTiming(s)}`;
}

function bar(fraction: number, width = 24): string {
  const f = Math.max(0, Math.min(1, fraction));
  const full = Math.round(f * width);
  return "█".repeat(full) + "░".repeat(width - full);
}

function escapeHtml(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** The display_data bundle of a live bar (text/html with a <progress>, and text/plain). */
export function progressBundle(s: ProgressState): Record<string, string> {
  const frac = s.total > 0 ? s.count / s.total : 1;
  return {
    "text/plain": `${bar(frac)} ${progressLine(s)}`,
    "text/html":
      `<div style="font-family: monospace; white-space: pre;">` +
      `<progress value="${Math.min(s.count, s.total)}" max="${s.total}" style="width: 16em; vertical-align: middle;"></progress> ` +
      `${escapeHtml(progressHead(s))} <span style="color: #777;">| ${escapeHtml(progressTiming(s))}</span></div>`,
  };
}

/**
 * A progress bar over `total` items. See the module comment for where it shows. Invalid
 * totals or tick sizes throw; ticks past `total` are counted and shown as they are.
 */
export function progress(opts: ProgressOptions): ProgressBar {
  const { total } = opts ?? ({} as ProgressOptions);
  if (!Number.isFinite(total) || total < 0) throw new Error(`progress: total must be a finite number ≥ 0 (items to do), got ${total}.`);
  const clock = opts.clock ?? (() => performance.now());
  const writer = opts.display ?? (isHeadless() ? null : kernelWriter());
  const mode = opts.mode ?? (writer ? "live" : "lines");
  const write = opts.write ?? ((line: string) => void process.stdout.write(`${line}\n`));
  const start = clock();
  const state: ProgressState = { label: opts.label ?? "", unit: opts.unit ?? "it", count: 0, total, metrics: {}, elapsedMs: 0, finished: false };
  const displayId = `latentlab-progress-${randomBytes(8).toString("hex")}`;
  let shown = false;
  let lastShow = -Infinity;
  let lastLineBucket = 0;

  const render = (now: number) => {
    state.elapsedMs = now - start;
    if (mode === "live") {
      if (!writer) throw new Error("progress: live mode needs a display writer (only inside a Jupyter kernel).");
      writer({ data: progressBundle(state), metadata: {}, transient: { display_id: displayId } }, shown);
      shown = true;
    } else {
      write(progressLine(state));
    }
    lastShow = now;
  };

  if (mode === "live") render(start);

  // Kernel → Interrupt: show the bar as interrupted now (the loop stops at its next check and
  // never calls done()). Unregistered when the bar finishes either way.
  const stopListening = onInterrupt(() => {
    if (state.finished) return;
    state.finished = true;
    state.interrupted = true;
    stopListening();
    render(clock());
  }, { untilNextCell: true });

  return {
    tick(n = 1, metrics?: ProgressMetrics) {
      if (state.finished) return;
      if (!Number.isFinite(n) || n < 0) throw new Error(`progress${state.label ? ` "${state.label}"` : ""}: tick(n) needs a finite n ≥ 0, got ${n}.`);
      state.count += n;
      if (metrics) state.metrics = { ...metrics };
      const now = clock();
      if (mode === "live") {
        if (now - lastShow >= PROGRESS_MIN_INTERVAL_MS) render(now);
        return;
      }
      // The 100% line is left to done(), which prints the final state once.
      if (state.count >= total) return;
      const bucket = Math.floor(state.count / total / PROGRESS_LINE_FRACTION + 1e-9);
      if (bucket > lastLineBucket || now - (lastShow === -Infinity ? start : lastShow) >= PROGRESS_LINE_INTERVAL_MS) {
        lastLineBucket = Math.max(lastLineBucket, bucket);
        render(now);
      }
    },
    done(metrics?: ProgressMetrics) {
      if (state.finished) return;
      if (metrics) state.metrics = { ...metrics };
      state.finished = true;
      stopListening();
      render(clock());
    },
  };
}
