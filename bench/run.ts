/**
 * `npm run bench [-- <workload names>] [--reps N] [--only a,b] [--full] [--in-process] [--list]`: run the
 * registered workloads (bench/workloads/*.ts), each implementation alternately (A, B, A, B, …),
 * print a table per workload and write build/bench/results.json.
 *
 * Each workload runs in its own child Node process (this script with `--child NAME`), so that
 * the peak resident memory reported for it is its own and not the high-water mark of whatever
 * ran before; `--in-process` runs them here instead (debugging). Workloads with `optIn` (the
 * full notebook suite: `--full`) run only when their flag is given or they are named.
 *
 *   --reps N      override every implementation's repetitions
 *   --only a,b    run only the implementations whose name contains one of these (and the reference)
 *   --full        include the opt-in workloads (notebooks-full: minutes)
 *   --list        list the workloads
 *   --workloads-dir DIR  load the workloads from DIR instead of bench/workloads (tests)
 *   --results-dir DIR    write results there instead of build/bench (tests)
 *
 * Bad arguments are errors before anything runs (`--reps abc`, `--reps 0`, a mistyped flag,
 * an unknown workload), exit code 2. Results are written beside the previous ones and replace
 * them only when the run succeeded (no implementation failed, at least one measured): a failed
 * run leaves build/bench/results.{json,md} as they were, writes its own rows to
 * results.failed.{json,md}, and exits 1.
 */
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { type Implementation, type Measurement, type Workload, Skip, median, nodePeakRssMB, liveTensors, replaceFiles } from "./harness";
import { closestName, InputError } from "../src/runtime/validate";
import { isMainScript } from "../kernel/cli";
import { checkEnvironment } from "../src/runtime/env";
import type { Roofline } from "./roofline";
import type { BackendName } from "../src/runtime/backend";

function loadRegistry(dir = path.join(__dirname, "workloads")): Workload[] {
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
  /** Median time / the reference implementation's median time (> 1: slower than the reference). */
  ratioToReference?: number;
  /** (FLOPs per unit × throughput) / (the same-run 512² matmul GFLOPS of this implementation's backend). */
  rooflineFraction?: number;
  rooflineGflops?: number;
  /** Peak resident memory, MB: the process high-water mark (see peakRssSource). */
  peakRssMB?: number;
  peakRssSource?: string;
  /** tf.memory().numTensors after the first and after the last repetition (in-process only). */
  tensorsAfterFirst?: number;
  tensorsAfterLast?: number;
  metrics?: Record<string, number | string>;
}

interface WorkloadResult {
  rows: Row[];
  rooflines: Record<string, { before: Roofline; after: Roofline; gflops: number }>;
  notes: string[];
  childPeakRssMB?: number;
  loadAverageBefore: number[];
}

async function measureRooflines(impls: Implementation[]): Promise<Record<string, Roofline>> {
  const { measureRoofline } = await import("./roofline");
  const out: Record<string, Roofline> = {};
  for (const be of new Set(impls.map((i) => i.rooflineBackend).filter((b): b is BackendName => !!b))) out[be] = await measureRoofline(be);
  return out;
}

async function runWorkload(w: Workload, repsOverride: number | null, only: string[] | null = null): Promise<WorkloadResult> {
  const loadAverageBefore = os.loadavg();
  const impls = (await w.implementations()).filter((i) => !only || i.name === w.reference || only.some((o) => i.name.includes(o)));
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
  const wantsRoofline = w.flopsPerUnit !== undefined && ready.some((i) => i.rooflineBackend);
  const roofBefore = wantsRoofline ? await measureRooflines(ready) : {};
  for (const [be, r] of Object.entries(roofBefore)) console.log(`  roofline before (${be}): 512×512 matmul ${r.gflops.toFixed(1)} GFLOPS`);
  const results = new Map<Implementation, Measurement[]>(ready.map((i) => [i, []]));
  const repsOf = (i: Implementation) => repsOverride ?? i.repetitions ?? w.repetitions;
  const maxReps = Math.max(0, ...ready.map(repsOf));
  for (let r = 0; r < maxReps; r++) {
    for (const impl of ready) {
      const row = rows.get(impl)!;
      if (r >= repsOf(impl) || row.status !== "ok") continue;
      try {
        // Collect the previous implementation's garbage now, not inside this one's timed region
        // (the child runs with --expose-gc; e.g. the tfjs cpu backend leaves hundreds of MB).
        (globalThis as { gc?: () => void }).gc?.();
        const m = await impl.run(r);
        if (!impl.external) {
          const t = liveTensors();
          if (r === 0) row.tensorsAfterFirst = t;
          row.tensorsAfterLast = t;
          m.peakRssMB ??= nodePeakRssMB();
        }
        results.get(impl)!.push(m);
        console.log(`  [${r + 1}/${repsOf(impl)}] ${impl.name}: ${m.ms.toFixed(1)} ms${m.metrics ? " " + JSON.stringify(m.metrics) : ""}`);
      } catch (e) {
        row.status = "failed";
        row.reason = (e as Error).stack ?? String(e);
        console.log(`  ${impl.name}: failed — ${(e as Error).message}`);
      }
    }
  }
  for (const impl of ready) await impl.teardown?.().catch((e) => console.log(`  ${impl.name}: teardown failed — ${(e as Error).message}`));
  const roofAfter = wantsRoofline ? await measureRooflines(ready) : {};
  const rooflines: WorkloadResult["rooflines"] = {};
  for (const be of Object.keys(roofBefore)) {
    rooflines[be] = { before: roofBefore[be], after: roofAfter[be], gflops: (roofBefore[be].gflops + roofAfter[be].gflops) / 2 };
    console.log(`  roofline after (${be}): ${roofAfter[be].gflops.toFixed(1)} GFLOPS; used: mean ${rooflines[be].gflops.toFixed(1)}`);
  }
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
      const roof = impl.rooflineBackend ? rooflines[impl.rooflineBackend] : undefined;
      if (w.flopsPerUnit && roof) {
        row.rooflineGflops = roof.gflops;
        row.rooflineFraction = (w.flopsPerUnit * row.throughput) / (roof.gflops * 1e9);
      }
    }
    row.peakRssMB = Math.max(0, ...ms.map((m) => m.peakRssMB ?? 0)) || undefined;
    row.peakRssSource = impl.peakRssSource ?? (impl.external ? "its own process" : "the workload's bench process (shared by its in-process implementations)");
    // Numeric metrics: median over repetitions; others from the last repetition.
    const metrics: Record<string, number | string> = {};
    for (const key of Object.keys(ms[ms.length - 1].metrics ?? {})) {
      const vals = ms.map((m) => m.metrics?.[key]);
      metrics[key] = vals.every((v) => typeof v === "number") ? median(vals as number[]) : (vals[vals.length - 1] as string);
    }
    row.metrics = metrics;
  }
  const all = [...rows.values()];
  if (w.totalRow && w.groupOf) {
    const groups = new Map<string, Row[]>();
    for (const r of all) groups.set(w.groupOf(r.implementation), [...(groups.get(w.groupOf(r.implementation)) ?? []), r]);
    for (const [g, rs] of groups) {
      const ok = rs.filter((r) => r.medianMs !== undefined);
      all.push({
        workload: w.name,
        implementation: `total ${g}`,
        backend: "",
        status: ok.length === rs.length ? "ok" : "failed",
        reason: ok.length === rs.length ? undefined : `${rs.length - ok.length} of ${rs.length} did not finish`,
        repetitions: ok.length ? Math.min(...ok.map((r) => r.repetitions)) : 0,
        medianMs: ok.length ? ok.reduce((s, r) => s + r.medianMs!, 0) : undefined,
        peakRssMB: Math.max(0, ...ok.map((r) => r.peakRssMB ?? 0)) || undefined,
        metrics: { items: ok.length },
      });
    }
  }
  if (w.totalRow) {
    const items = all.filter((r) => !(w.groupOf && r.implementation.startsWith("total ")));
    const ok = items.filter((r) => r.medianMs !== undefined);
    all.push({
      workload: w.name,
      implementation: "total",
      backend: "",
      status: ok.length === items.length ? "ok" : "failed",
      reason: ok.length === items.length ? undefined : `${items.length - ok.length} of ${items.length} did not finish`,
      repetitions: ok.length ? Math.min(...ok.map((r) => r.repetitions)) : 0,
      medianMs: ok.length ? ok.reduce((s, r) => s + r.medianMs!, 0) : undefined,
      peakRssMB: Math.max(0, ...ok.map((r) => r.peakRssMB ?? 0)) || undefined,
      metrics: { items: ok.length },
    });
  }
  const ref = all.find((r) => r.implementation === w.reference && r.medianMs !== undefined);
  for (const row of all) if (ref && ref.medianMs! > 0 && row.medianMs !== undefined) row.ratioToReference = row.medianMs / ref.medianMs!;
  return { rows: all, rooflines, notes: w.notes ?? [], loadAverageBefore };
}

function fmt(x: number | undefined, digits = 1): string {
  return x === undefined ? "—" : x >= 1000 ? x.toFixed(0) : x.toPrecision(Math.max(digits, 3));
}

function table(rows: Row[], reference: string): string {
  const head = ["implementation", "backend", "median ms", "throughput", `time / ${reference}`, "roofline", "peak RSS MB", "tensors", "metrics"];
  const body = rows.map((r) => [
    r.implementation,
    r.backend,
    r.status === "ok" ? fmt(r.medianMs) : r.status,
    r.throughput !== undefined ? `${fmt(r.throughput)} ${r.unit}` : "—",
    r.ratioToReference !== undefined ? `${r.ratioToReference.toFixed(2)}x` : "—",
    r.rooflineFraction !== undefined ? `${(100 * r.rooflineFraction).toFixed(1)}%` : "—",
    r.peakRssMB !== undefined ? r.peakRssMB.toFixed(0) : "—",
    r.tensorsAfterFirst !== undefined ? `${r.tensorsAfterFirst}→${r.tensorsAfterLast}` : "—",
    r.status === "ok"
      ? Object.entries(r.metrics ?? {})
          .map(([k, v]) => `${k}=${typeof v === "number" ? +v.toPrecision(5) : v}`)
          .join(" ")
      : (r.reason ?? "").split("\n")[0],
  ]);
  const widths = head.map((h, c) => Math.max(h.length, ...body.map((b) => b[c].length)));
  const line = (cells: string[]) => "| " + cells.map((c, i) => c.padEnd(widths[i])).join(" | ") + " |";
  return [line(head), "|" + widths.map((w) => "-".repeat(w + 2)).join("|") + "|", ...body.map(line)].join("\n");
}

/** Run workload `name` in a fresh child process (this script, `--child`); its result from a temp file. */
async function runInChild(name: string, reps: number | null, only: string[] | null, workloadsDir: string | null): Promise<WorkloadResult> {
  const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "latentlab-bench-")), "result.json");
  const args = [
    ...process.execArgv,
    "--expose-gc",
    __filename,
    "--child",
    name,
    "--out",
    out,
    ...(reps !== null ? ["--reps", String(reps)] : []),
    ...(only ? ["--only", only.join(",")] : []),
    ...(workloadsDir ? ["--workloads-dir", workloadsDir] : []),
  ];
  const code = await new Promise<number | null>((resolve) => {
    const p = spawn(process.execPath, args, { stdio: "inherit" });
    p.on("close", (c) => resolve(c));
  });
  if (!fs.existsSync(out)) throw new Error(`the child process for workload ${name} exited with code ${code} and wrote no result`);
  const res = JSON.parse(fs.readFileSync(out, "utf8")) as WorkloadResult;
  fs.rmSync(path.dirname(out), { recursive: true, force: true });
  return res;
}

const USAGE = `usage: npm run bench [-- <workload names>] [--reps N] [--only a,b] [--full] [--in-process] [--list]
  --reps N      repetitions of every implementation (a positive integer)
  --only a,b    only the implementations whose name contains one of these (and the reference)
  --full        include the opt-in workloads (the full notebook suite)
  --in-process  run the workloads in this process (debugging)
  --list        list the workloads`;

/** Flags that take no value; workloads may add opt-in flags (e.g. --full). */
const BARE_FLAGS = ["--full", "--in-process", "--list", "--help"];
const VALUE_FLAGS = ["--reps", "--only", "--child", "--out", "--workloads-dir", "--results-dir"];

export interface BenchArgs {
  reps: number | null;
  only: string[] | null;
  child: string | null;
  childOut: string;
  workloadsDir: string | null;
  resultsDir: string | null;
  flags: Set<string>;
  names: string[];
}

/**
 * Parse the command line strictly: `--reps` must be a positive integer, every flag must be
 * known (`optInFlags`: the workloads' own, e.g. --full), every value flag needs its value.
 * Errors are InputErrors that say what to type instead.
 */
export function parseBenchArgs(args: string[], optInFlags: string[] = ["--full"]): BenchArgs {
  const out: BenchArgs = { reps: null, only: null, child: null, childOut: "", workloadsDir: null, resultsDir: null, flags: new Set(), names: [] };
  const known = [...BARE_FLAGS, ...VALUE_FLAGS, ...optInFlags];
  for (let i = 0; i < args.length; i++) {
    let a = args[i];
    let inline: string | undefined;
    const eq = a.indexOf("=");
    if (a.startsWith("--") && eq > 0) {
      inline = a.slice(eq + 1);
      a = a.slice(0, eq);
    }
    if (!a.startsWith("-")) {
      out.names.push(a);
      continue;
    }
    if (!known.includes(a)) {
      const near = closestName(a, known);
      throw new InputError(`npm run bench: unknown option ${a}.${near ? ` Did you mean ${near}?` : ""}\n${USAGE}`, "npm run bench");
    }
    if (VALUE_FLAGS.includes(a)) {
      const v = inline ?? args[++i];
      if (v === undefined || (inline === undefined && v.startsWith("--"))) throw new InputError(`npm run bench: ${a} needs a value.\n${USAGE}`, "npm run bench");
      if (a === "--reps") {
        const n = Number(v);
        if (!/^\s*\d+\s*$/.test(v) || !Number.isSafeInteger(n) || n < 1) {
          throw new InputError(`npm run bench: --reps must be a positive integer (repetitions per implementation), got "${v}". Example: --reps 3.`, "npm run bench: --reps");
        }
        out.reps = n;
      } else if (a === "--only") {
        out.only = v.split(",").map((x) => x.trim()).filter(Boolean);
        if (out.only.length === 0) throw new InputError(`npm run bench: --only needs implementation names, e.g. --only latentlab,sklearn.`, "npm run bench: --only");
      } else if (a === "--child") out.child = v;
      else if (a === "--out") out.childOut = v;
      else if (a === "--results-dir") out.resultsDir = path.resolve(v);
      else out.workloadsDir = path.resolve(v);
    } else {
      if (inline !== undefined) throw new InputError(`npm run bench: ${a} takes no value (got ${a}=${inline}).`, "npm run bench");
      out.flags.add(a);
    }
  }
  return out;
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const env = checkEnvironment();
  for (const w of env.warnings) console.error(`warning: ${w}`);
  if (env.errors.length > 0) {
    console.error(env.errors.join("\n"));
    return 2;
  }
  // Syntax first (before the workloads load): a bad --reps fails at once.
  let parsed: BenchArgs;
  try {
    parsed = parseBenchArgs(args, ["--full", ...args.filter((a) => a.startsWith("--") && !a.includes("="))]);
  } catch (e) {
    console.error((e as Error).message);
    return 2;
  }
  if (parsed.flags.has("--help")) {
    console.log(USAGE);
    return 0;
  }
  const registry = loadRegistry(parsed.workloadsDir ?? undefined);
  try {
    // Now with the workloads' real opt-in flags: a mistyped flag is an error.
    parsed = parseBenchArgs(args, [...new Set(registry.map((w) => w.optIn).filter((f): f is string => !!f))]);
  } catch (e) {
    console.error((e as Error).message);
    return 2;
  }
  const { reps, only, child, childOut, flags, names, workloadsDir } = parsed;
  if (child !== null) {
    const w = registry.find((x) => x.name === child);
    if (!w) throw new Error(`--child: no workload ${child}`);
    const res = await runWorkload(w, reps, only);
    res.childPeakRssMB = nodePeakRssMB();
    fs.writeFileSync(childOut, JSON.stringify(res));
    process.exit(0); // tfjs-wasm and kernels may keep handles open
  }
  if (flags.has("--list")) {
    for (const w of registry) console.log(`${w.name}${w.optIn ? ` (only with ${w.optIn} or by name)` : ""}: ${w.description}`);
    return 0;
  }
  const unknown = names.filter((n) => !registry.some((w) => w.name === n));
  if (unknown.length) {
    console.error(`npm run bench: unknown workload(s) ${unknown.join(", ")}; known: ${registry.map((w) => w.name).join(", ")} (npm run bench -- --list).`);
    return 2;
  }
  const chosen = names.length ? registry.filter((w) => names.includes(w.name)) : registry.filter((w) => !w.optIn || flags.has(w.optIn));
  const loadAtStart = os.loadavg();
  const started = new Date();
  const command = `npm run bench${args.length ? " -- " + args.join(" ") : ""}`;
  console.log(`${command}`);
  console.log(`machine: ${os.cpus().length} × ${os.cpus()[0]?.model}, node ${process.version}, load average at start ${loadAtStart.map((x) => x.toFixed(2)).join(" ")}`);
  const all: Row[] = [];
  const perWorkload: Record<string, Omit<WorkloadResult, "rows"> & { reference: string; seconds: number }> = {};
  const tables: string[] = [];
  for (const w of chosen) {
    console.log(`\n== ${w.name}: ${w.description}`);
    const t0 = Date.now();
    let res: WorkloadResult;
    try {
      res = flags.has("--in-process") ? await runWorkload(w, reps, only) : await runInChild(w.name, reps, only, workloadsDir);
    } catch (e) {
      console.log(`  ${w.name}: failed — ${(e as Error).message}`);
      res = { rows: [{ workload: w.name, implementation: "(all)", backend: "", status: "failed", reason: (e as Error).message, repetitions: 0 }], rooflines: {}, notes: w.notes ?? [], loadAverageBefore: [] };
    }
    const seconds = (Date.now() - t0) / 1000;
    const t = table(res.rows, w.reference);
    const roofs = Object.entries(res.rooflines)
      .map(([be, r]) => `${be} ${r.gflops.toFixed(1)} GFLOPS (before ${r.before.gflops.toFixed(1)}, after ${r.after.gflops.toFixed(1)})`)
      .join("; ");
    const header = `### ${w.name} (${seconds.toFixed(0)} s${roofs ? `; same-run 512² matmul roofline: ${roofs}` : ""}${res.childPeakRssMB ? `; workload process peak RSS ${res.childPeakRssMB.toFixed(0)} MB` : ""})\n${w.description}`;
    console.log("\n" + header + "\n" + t);
    for (const n of res.notes) console.log(`  note: ${n}`);
    tables.push(header + "\n\n" + t);
    perWorkload[w.name] = { rooflines: res.rooflines, notes: res.notes, childPeakRssMB: res.childPeakRssMB, loadAverageBefore: res.loadAverageBefore, reference: w.reference, seconds };
    all.push(...res.rows);
  }
  const outDir = parsed.resultsDir ?? path.join(__dirname, "..", "build", "bench");
  const machine = { cpus: os.cpus().length, model: os.cpus()[0]?.model, node: process.version, loadAverageAtStart: loadAtStart, loadAverageAtEnd: os.loadavg() };
  const json = JSON.stringify({ date: started.toISOString(), command, machine, workloads: perWorkload, results: all }, null, 2);
  const md = `${started.toISOString()} — \`${command}\` — ${machine.cpus} × ${machine.model}, node ${machine.node}, load average at start ${loadAtStart.map((x) => x.toFixed(2)).join(" ")}\n\n${tables.join("\n\n")}\n`;
  const failed = all.filter((r) => r.status === "failed");
  const measured = all.filter((r) => r.status === "ok" && r.medianMs !== undefined);
  if (failed.length > 0 || measured.length === 0) {
    // Keep the last good results; this run's rows go beside them for inspection.
    replaceFiles({ [path.join(outDir, "results.failed.json")]: json, [path.join(outDir, "results.failed.md")]: md });
    const why = failed.length > 0 ? `${failed.length} implementation(s) failed: ${failed.map((r) => `${r.workload}/${r.implementation}`).join(", ")}` : "nothing was measured";
    console.error(
      `\nbench run failed (${why}); ${path.relative(process.cwd(), path.join(outDir, "results.json"))} was left as it was. ` +
        `This run's rows: ${path.relative(process.cwd(), path.join(outDir, "results.failed.json"))}.`,
    );
    return 1;
  }
  const file = path.join(outDir, "results.json");
  replaceFiles({ [file]: json, [path.join(outDir, "results.md")]: md });
  fs.rmSync(path.join(outDir, "results.failed.json"), { force: true });
  fs.rmSync(path.join(outDir, "results.failed.md"), { force: true });
  console.log(`\nwrote ${path.relative(process.cwd(), file)} and results.md (load average at end ${machine.loadAverageAtEnd.map((x) => x.toFixed(2)).join(" ")})`);
  return 0;
}

if (isMainScript(__filename)) {
  main().then(
    (code) => {
      process.exitCode = code;
    },
    (e) => {
      console.error(e);
      process.exit(1);
    },
  );
}
