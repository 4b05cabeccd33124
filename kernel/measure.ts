/**
 * Kernel speed, measured: cold start to first output, and per-cell overhead.
 *
 *   npx tsx kernel/measure.ts [--cells 50] [--repeat 3]
 *
 * For each repeat: start a fresh latentlab kernel (wall time until it answers), run
 * `console.log(1)` (time to first output), run `import { rng } from "latentlab"` (library import
 * incl. its type-check by tslab), then N trivial cells (`x_i = i`) one after another:
 * per-cell overhead = mean round trip. Prints wall times and the kernel's CPU time (from /proc,
 * Linux), since wall time on a shared machine mostly measures the other processes.
 */
import * as fs from "fs";
import { KernelClient } from "./client";

function cpuSeconds(pid: number | undefined): number {
  if (pid === undefined) return NaN;
  try {
    const f = fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
    return (Number(f[11]) + Number(f[12])) / 100; // utime + stime, clock ticks of 10 ms
  } catch {
    return NaN;
  }
}

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
}

/** One fresh kernel: start, first output, library import, `cells` trivial cells (exported for bench/workloads/kernel.ts). */
export async function measureKernelOnce(cells: number): Promise<Record<string, number>> {
  const t0 = performance.now();
  const k = await KernelClient.start({ env: { LATENTLAB_HEADLESS: "1" } });
  try {
    const ready = performance.now();
    const cpuReady = cpuSeconds(k.pid);
    let firstOutput = NaN;
    const first = await k.execute("console.log(1)", {
      onMessage: (m) => {
        if (Number.isNaN(firstOutput) && m.header.msg_type === "stream") firstOutput = performance.now();
      },
    });
    if (first.status !== "ok") throw new Error(`first cell failed: ${first.stderr}`);
    const t1 = performance.now();
    const imp = await k.execute('import { rng } from "latentlab";\nconst r = rng(1);');
    if (imp.status !== "ok") throw new Error(`import failed: ${imp.stderr}`);
    const t2 = performance.now();
    const cpu2 = cpuSeconds(k.pid);
    const times: number[] = [];
    for (let i = 0; i < cells; i++) {
      const s = performance.now();
      const o = await k.execute(`const x_${i} = ${i};`);
      if (o.status !== "ok") throw new Error(`trivial cell ${i} failed: ${o.stderr}`);
      times.push(performance.now() - s);
    }
    const cpu3 = cpuSeconds(k.pid);
    times.sort((a, b) => a - b);
    return {
      startToReadyS: (ready - t0) / 1000,
      startToFirstOutputS: (firstOutput - t0) / 1000,
      kernelCpuAtReadyS: cpuReady,
      importLatentlabS: (t2 - t1) / 1000,
      kernelCpuAfterImportS: cpu2,
      perCellMeanMs: times.reduce((a, b) => a + b, 0) / times.length,
      perCellMedianMs: times[Math.floor(times.length / 2)],
      perCellCpuMs: ((cpu3 - cpu2) * 1000) / cells,
    };
  } finally {
    await k.shutdown();
  }
}

async function main(): Promise<void> {
  const cells = arg("--cells", 50);
  const repeat = arg("--repeat", 3);
  const rows: Record<string, number>[] = [];
  for (let i = 0; i < repeat; i++) rows.push(await measureKernelOnce(cells));
  const keys = Object.keys(rows[0]);
  for (const key of keys) {
    const vals = rows.map((r) => r[key]);
    const fmt = (v: number) => (key.endsWith("Ms") ? v.toFixed(0) : v.toFixed(2));
    process.stdout.write(`${key.padEnd(24)} ${vals.map(fmt).join("  ")}   (min ${fmt(Math.min(...vals))})\n`);
  }
  const load = fs.existsSync("/proc/loadavg") ? fs.readFileSync("/proc/loadavg", "utf8").trim() : "?";
  process.stdout.write(`(${repeat} fresh kernels, ${cells} trivial cells each; load average ${load})\n`);
}

if (require.main === module) {
  main().catch((e) => {
    process.stderr.write(String(e?.stack ?? e) + "\n");
    process.exitCode = 1;
  });
}
