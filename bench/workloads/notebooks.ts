/**
 * Workloads "notebooks-smoke" and "notebooks-full": wall time of every notebook in notebooks/,
 * each executed headless in a fresh latentlab kernel by kernel/run-notebooks.ts (runNotebook),
 * one row per notebook plus a total. Smoke mode sets LATENTLAB_SMOKE=1 (the CI run); the full
 * run is the real lecture run and takes many minutes, so it runs only with `--full` (or by name).
 * Executed copies go to build/bench/notebooks-{smoke,full}/. Peak memory: each notebook's kernel
 * process high-water mark (VmHWM, polled from /proc). A failing notebook is a failed row.
 * Issue-7 target: the smoke run of all notebooks under 5 minutes.
 */
import * as path from "path";
import { type Implementation, type Workload, withChildPeakRss } from "../harness";

function notebookImplementations(smoke: boolean): Promise<Implementation[]> {
  return import("../../kernel/run-notebooks").then(({ resolveNotebooks, runNotebook }) =>
    resolveNotebooks([]).map(
      (file): Implementation => ({
        name: path.basename(file).replace(/\.ipynb$/, ""),
        backend: smoke ? "latentlab kernel, LATENTLAB_SMOKE=1" : "latentlab kernel, full",
        external: true,
        peakRssSource: "the notebook's kernel process (VmHWM polled from /proc)",
        async run() {
          const outDir = path.join(__dirname, "..", "..", "build", "bench", smoke ? "notebooks-smoke" : "notebooks-full");
          const { value: r, peakMB } = await withChildPeakRss(() => runNotebook(file, { smoke, outDir, log: () => {} }));
          if (!r.ok) throw new Error(r.message ?? `${r.name}: ${r.status}`);
          return {
            ms: r.seconds * 1000,
            peakRssMB: peakMB,
            metrics: { cells: r.executedCells, kernelStartS: +r.startSeconds.toFixed(2) },
          };
        },
      }),
    ),
  );
}

export const workloads: Workload[] = [
  {
    name: "notebooks-smoke",
    description: "every notebook, smoke mode (LATENTLAB_SMOKE=1), each in a fresh kernel: wall time per notebook and total",
    repetitions: 1,
    reference: "total",
    totalRow: true,
    implementations: () => notebookImplementations(true),
    notes: ["time = wall time of runNotebook (kernel start included); ratio column = share of the total; issue-7 target: total < 5 minutes"],
  },
  {
    name: "notebooks-full",
    description: "every notebook, full lecture run, each in a fresh kernel: wall time per notebook and total (minutes)",
    repetitions: 1,
    reference: "total",
    totalRow: true,
    optIn: "--full",
    implementations: () => notebookImplementations(false),
    notes: ["time = wall time of runNotebook (kernel start included); issue-7 target: every model trains to its quality target within 10 minutes"],
  },
];
