/**
 * Workload "kernel": the latentlab Jupyter kernel (tslab), measured by kernel/measure.ts's
 * measureKernelOnce: start a fresh kernel, time to the first output of `console.log(1)`
 * (the timed quantity: cold start to first output), the `import … from "latentlab"` cell, and
 * 30 trivial cells one after another (per-cell overhead = their median round trip).
 * Peak memory: the kernel process's own high-water mark (VmHWM, polled from /proc).
 * No peer is run; the issue-7 targets are cold start < 3 s and per-cell overhead < 100 ms.
 */
import { type Implementation, type Workload, withChildPeakRss } from "../harness";

const CELLS = 30;

const latentlabKernel: Implementation = {
  name: "latentlab kernel (tslab)",
  backend: "kernel/launch.js + tslab, LATENTLAB_HEADLESS=1",
  external: true,
  peakRssSource: "the kernel process (VmHWM polled from /proc)",
  async run() {
    const { measureKernelOnce } = await import("../../kernel/measure");
    const { value: m, peakMB } = await withChildPeakRss(() => measureKernelOnce(CELLS));
    return {
      ms: m.startToFirstOutputS * 1000,
      peakRssMB: peakMB,
      metrics: {
        startToReadyS: +m.startToReadyS.toFixed(3),
        firstOutputS: +m.startToFirstOutputS.toFixed(3),
        importLatentlabS: +m.importLatentlabS.toFixed(3),
        perCellMedianMs: +m.perCellMedianMs.toFixed(1),
        perCellMeanMs: +m.perCellMeanMs.toFixed(1),
        perCellCpuMs: +m.perCellCpuMs.toFixed(1),
        kernelCpuAtReadyS: m.kernelCpuAtReadyS,
      },
    };
  },
};

export const workload: Workload = {
  name: "kernel",
  description: `latentlab kernel: cold start to first output, import of latentlab, per-cell overhead (${CELLS} trivial cells), fresh kernel per repetition`,
  repetitions: 3,
  reference: "latentlab kernel (tslab)",
  implementations: async () => [latentlabKernel],
  notes: [
    "time = wall time from spawning the kernel to the first stream output of console.log(1); perCellMedianMs = median round trip of `const x_i = i;` cells",
    "issue-7 targets: cold start to first output < 3 s, per-cell overhead < 100 ms; no peer kernel is run",
  ],
};
