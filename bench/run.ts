/**
 * `npm run bench [-- <workload names>]`: run the registered workloads (bench/workloads/*.ts),
 * each implementation alternately, print a table and write build/bench/results.json.
 *
 * Options: `--reps N` overrides every workload's repetitions; `--list` lists workloads.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { type Implementation, type Measurement, type Workload, Skip, median } from "./harness";
import { measureRoofline } from "./roofline";

function loadRegistry(): Workload[] {
  const dir = path.join(__dirname, "workloads");
  const out: Workload[] = [];
  for (const f of fs.readdirSync(dir).sort()) {
    if (!/\.ts$/.test(f) || f.startsWith("_")) continue;
    // Only files that register a workload are imported: standalone scripts there run on import.
    if (!/export const workloads?\b/.test(fs.readFileSync(path.join(dir, f), "utf8"))) continue;
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const m = require(path.join(dir, f)) as { workload?: Workload; workloads?: Workload[] };
    if (m.workload) out.push(m.workload);
    if (m.workloads) out.push(...m.workloads);
  }
  return out;
}

interface Row {
  workload: string;
  implementation: string;
  backend: string;
  status: "ok" | "skipped" | "failed";
  reason?: string;
  repetitions: number;
  medianMs?: number;
  allMs?: number[];
  throughput?: number;
  unit?: string;
  ratioToReference?: number;
  rooflineFraction?: number;
  peakRssMB?: number;
  metrics?: Record<string, number | string>;
}

async function runWorkload(w: Workload, repsOverride: number | null, gflops: number): Promise<Row[]> {
  const impls = await w.implementations();
  const rows = new Map<Implementation, Row>();
  const ready: Implementation[] = [];
  for (const impl of impls) {
    const row: Row = { workload: w.name, implementation: impl.name, backend: impl.backend, status: "ok", repetitions: 0 };
    rows.set(impl, row);
    try {
      await impl.setup?.();
      row.backend = impl.backend; // setup may have learnt the backend
      ready.push(impl);
    } catch (e) {
      row.status = e instanceof Skip ? "skipped" : "failed";
      row.reason = (e as Error).message;
      console.log(`  ${impl.name}: ${row.status} — ${row.reason}`);
    }
  }
  const results = new Map<Implementation, Measurement[]>(ready.map((i) => [i, []]));
  const repsOf = (i: Implementation) => repsOverride ?? i.repetitions ?? w.repetitions;
  const maxReps = Math.max(0, ...ready.map(repsOf));
  for (let r = 0; r < maxReps; r++) {
    for (const impl of ready) {
      if (r >= repsOf(impl) || rows.get(impl)!.status !== "ok") continue;
      try {
        const m = await impl.run(r);
        results.get(impl)!.push(m);
        console.log(`  [${r + 1}/${repsOf(impl)}] ${impl.name}: ${m.ms.toFixed(1)} ms${m.metrics ? " " + JSON.stringify(m.metrics) : ""}`);
      } catch (e) {
        rows.get(impl)!.status = "failed";
        rows.get(impl)!.reason = (e as Error).stack ?? String(e);
        console.log(`  ${impl.name}: failed — ${(e as Error).message}`);
      }
    }
  }
  for (const impl of ready) await impl.teardown?.().catch(() => {});
  for (const impl of ready) {
    const row = rows.get(impl)!;
    const ms = results.get(impl)!;
    if (row.status !== "ok" || ms.length === 0) continue;
    row.repetitions = ms.length;
    row.allMs = ms.map((m) => m.ms);
    row.medianMs = median(row.allMs);
    const units = ms[0].units;
    if (units) {
      row.throughput = (units * 1000) / row.medianMs;
      row.unit = `${w.unit ?? "units"}/s`;
      if (w.flopsPerUnit && impl.name.startsWith("latentlab")) row.rooflineFraction = (w.flopsPerUnit * row.throughput) / (gflops * 1e9);
    }
    row.peakRssMB = Math.max(0, ...ms.map((m) => m.peakRssMB ?? 0)) || undefined;
    // Numeric metrics: median over repetitions; others from the last repetition.
    const metrics: Record<string, number | string> = {};
    for (const key of Object.keys(ms[ms.length - 1].metrics ?? {})) {
      const vals = ms.map((m) => m.metrics?.[key]);
      metrics[key] = vals.every((v) => typeof v === "number") ? median(vals as number[]) : (vals[vals.length - 1] as string);
    }
    row.metrics = metrics;
  }
  const ref = [...rows.values()].find((r) => r.implementation === w.reference && r.medianMs !== undefined);
  for (const row of rows.values()) if (ref && row.medianMs !== undefined) row.ratioToReference = row.medianMs / ref.medianMs!;
  return [...rows.values()];
}

function fmt(x: number | undefined, digits = 1): string {
  return x === undefined ? "—" : x >= 1000 ? x.toFixed(0) : x.toPrecision(Math.max(digits, 3));
}

function printTable(rows: Row[], reference: string): void {
  const head = ["implementation", "backend", "median ms", "throughput", `time / ${reference}`, "roofline", "peak RSS MB", "metrics"];
  const body = rows.map((r) => [
    r.implementation,
    r.backend,
    r.status === "ok" ? fmt(r.medianMs) : r.status,
    r.throughput !== undefined ? `${fmt(r.throughput)} ${r.unit}` : "—",
    r.ratioToReference !== undefined ? `${r.ratioToReference.toFixed(2)}x` : "—",
    r.rooflineFraction !== undefined ? `${(100 * r.rooflineFraction).toFixed(1)}%` : "—",
    r.peakRssMB !== undefined ? r.peakRssMB.toFixed(0) : "—",
    r.status === "ok" ? Object.entries(r.metrics ?? {}).map(([k, v]) => `${k}=${typeof v === "number" ? +v.toPrecision(7) : v}`).join(" ") : (r.reason ?? "").split("\n")[0],
  ]);
  const widths = head.map((h, c) => Math.max(h.length, ...body.map((b) => b[c].length)));
  const line = (cells: string[]) => "| " + cells.map((c, i) => c.padEnd(widths[i])).join(" | ") + " |";
  console.log(line(head));
  console.log("|" + widths.map((w) => "-".repeat(w + 2)).join("|") + "|");
  for (const b of body) console.log(line(b));
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  let reps: number | null = null;
  const names: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === "--reps") reps = Number(args[++i]);
    else if (args[i] === "--list") names.push("--list");
    else names.push(args[i]);
  }
  const registry = loadRegistry();
  if (names.includes("--list")) {
    for (const w of registry) console.log(`${w.name}: ${w.description}`);
    return;
  }
  const unknown = names.filter((n) => !registry.some((w) => w.name === n));
  if (unknown.length) throw new Error(`Unknown workload(s) ${unknown.join(", ")}; known: ${registry.map((w) => w.name).join(", ")}.`);
  const chosen = names.length ? registry.filter((w) => names.includes(w.name)) : registry;
  const roof = await measureRoofline();
  console.log(`roofline: ${roof.backend} 512×512 matmul ${roof.gflops.toFixed(1)} GFLOPS (${roof.description})`);
  console.log(`machine: ${os.cpus().length} × ${os.cpus()[0]?.model}, load average ${os.loadavg().map((x) => x.toFixed(2)).join(" ")}`);
  const all: Row[] = [];
  const notes: Record<string, string[]> = {};
  for (const w of chosen) {
    console.log(`\n== ${w.name}: ${w.description}`);
    const rows = await runWorkload(w, reps, roof.gflops);
    console.log("");
    printTable(rows, w.reference);
    for (const n of w.notes ?? []) console.log(`  note: ${n}`);
    notes[w.name] = w.notes ?? [];
    all.push(...rows);
  }
  const out = path.join(__dirname, "..", "build", "bench");
  fs.mkdirSync(out, { recursive: true });
  const file = path.join(out, "results.json");
  fs.writeFileSync(
    file,
    JSON.stringify(
      {
        date: new Date().toISOString(),
        command: `npm run bench${process.argv.length > 2 ? " -- " + process.argv.slice(2).join(" ") : ""}`,
        machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, loadAverageAtEnd: os.loadavg(), node: process.version },
        roofline: roof,
        results: all,
        notes,
      },
      null,
      2,
    ),
  );
  console.log(`\nwrote ${path.relative(process.cwd(), file)}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
