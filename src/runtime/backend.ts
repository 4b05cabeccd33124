/**
 * One place that picks the TensorFlow.js backend.
 *
 * Order: `tensorflow` (tfjs-node, native, when it is installed and loads), then `wasm`
 * (SIMD, the default on our machines), then `cpu` (pure JS). `LATENTLAB_BACKEND` forces
 * one; forcing a backend that cannot start is an error, never a silent fallback.
 * tfjs's "install tfjs-node" banner is kept out of notebook output.
 */
import * as tf from "@tensorflow/tfjs";
import * as path from "path";
import { registerWasmKernels } from "../kernels/register";
import { envBackend } from "./env";

export type BackendName = "tensorflow" | "wasm" | "cpu";
export const BACKEND_ORDER: readonly BackendName[] = ["tensorflow", "wasm", "cpu"];

export interface BackendInfo {
  /** The active backend. */
  name: BackendName;
  /** Why it was chosen (forced by LATENTLAB_BACKEND, or the first that started). */
  reason: string;
  /** Backends tried before it, with the error that ruled each out. */
  skipped: { name: BackendName; error: string }[];
  /** tfjs version. */
  tfjsVersion: string;
}

let active: BackendInfo | null = null;
let pending: Promise<BackendInfo> | null = null;

function silenceCpuBanner(): void {
  // The cpu backend prints its tfjs-node advertisement on first tensor write in Node.
  const cpu = tf.findBackend("cpu") as unknown as { firstUse?: boolean } | null;
  if (cpu && "firstUse" in cpu) cpu.firstUse = false;
}

async function tryTensorflow(): Promise<void> {
  // Optional dependency: resolved at run time so that nothing requires it.
  const name = "@tensorflow/tfjs-node";
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  require(name);
  if (!(await tf.setBackend("tensorflow"))) throw new Error("tf.setBackend('tensorflow') returned false");
}

async function tryWasm(): Promise<void> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const wasm = require("@tensorflow/tfjs-backend-wasm") as typeof import("@tensorflow/tfjs-backend-wasm");
  const dir = path.dirname(require.resolve("@tensorflow/tfjs-backend-wasm/package.json"));
  wasm.setWasmPaths(path.join(dir, "dist") + path.sep);
  registerWasmKernels(); // latentlab's wasm kernels: conv gradients, untransposed matMul, fused Adam
  if (!(await tf.setBackend("wasm"))) throw new Error("tf.setBackend('wasm') returned false");
}

async function tryCpu(): Promise<void> {
  if (!(await tf.setBackend("cpu"))) throw new Error("tf.setBackend('cpu') returned false");
}

const starters: Record<BackendName, () => Promise<void>> = {
  tensorflow: tryTensorflow,
  wasm: tryWasm,
  cpu: tryCpu,
};

function parseForced(): BackendName | null {
  return envBackend(); // parsed with the other settings in runtime/env.ts
}

async function select(): Promise<BackendInfo> {
  silenceCpuBanner();
  const forced = parseForced();
  const skipped: BackendInfo["skipped"] = [];
  const order = forced ? [forced] : BACKEND_ORDER;
  for (const name of order) {
    try {
      await starters[name]();
      await tf.ready();
      silenceCpuBanner();
      return {
        name,
        reason: forced ? `forced by LATENTLAB_BACKEND=${process.env.LATENTLAB_BACKEND}` : skipped.length ? "first backend that started" : "preferred backend",
        skipped,
        tfjsVersion: tf.version.tfjs,
      };
    } catch (e) {
      const msg = e instanceof Error ? e.message.split("\n")[0] : String(e);
      if (forced) {
        throw new Error(
          `LATENTLAB_BACKEND=${forced} was requested but that backend could not start: ${msg}. ` +
            (forced === "tensorflow"
              ? "Install @tensorflow/tfjs-node (needs internet for its native library) or unset LATENTLAB_BACKEND."
              : "Unset LATENTLAB_BACKEND to fall back automatically."),
        );
      }
      skipped.push({ name, error: msg });
    }
  }
  throw new Error(`No TensorFlow.js backend could start: ${skipped.map((s) => `${s.name}: ${s.error}`).join("; ")}`);
}

/**
 * Start (once) and return the active backend. Every model entry point awaits this, so
 * notebooks need not call it; calling it first just says which backend you got.
 */
export function initBackend(): Promise<BackendInfo> {
  if (active) return Promise.resolve(active);
  if (!pending) {
    pending = select().then(
      (info) => (active = info),
      (e) => {
        pending = null;
        throw e;
      },
    );
  }
  return pending;
}

/** The active backend, or null before `initBackend()` has finished. */
export function backendInfo(): BackendInfo | null {
  return active;
}

/**
 * Switch to another backend for the rest of the process (benchmarks and tests compare
 * backends this way). Throws with the reason if it cannot start.
 */
export async function useBackend(name: BackendName): Promise<BackendInfo> {
  await starters[name]();
  await tf.ready();
  silenceCpuBanner();
  active = { name, reason: "selected by useBackend()", skipped: [], tfjsVersion: tf.version.tfjs };
  pending = Promise.resolve(active);
  return active;
}

/** Which backends can start on this machine (tries each; restores the active one). */
export async function availableBackends(): Promise<BackendName[]> {
  const before = active?.name;
  const ok: BackendName[] = [];
  for (const name of BACKEND_ORDER) {
    try {
      await starters[name]();
      ok.push(name);
    } catch {
      /* not available */
    }
  }
  if (before) await tf.setBackend(before);
  return ok;
}

/** One line for a notebook: which backend is active and why. */
export function describeBackend(info: BackendInfo): string {
  const skipped = info.skipped.length
    ? ` (skipped: ${info.skipped.map((s) => `${s.name} — ${s.error}`).join("; ")})`
    : "";
  return `TensorFlow.js ${info.tfjsVersion}, backend "${info.name}": ${info.reason}${skipped}`;
}
