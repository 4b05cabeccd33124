/**
 * The roofline the bench reports against: GFLOPS of a 512 × 512 × 512 matmul on a TensorFlow.js
 * backend (median of several runs after warm-up), 2·512³ FLOPs each. The harness measures it in
 * the process that runs the workload, before and after the workload's repetitions, and divides
 * by the mean of the two readings, so that machine load hits numerator and denominator alike.
 */
import * as tf from "@tensorflow/tfjs";
import { type BackendName, describeBackend, initBackend, useBackend } from "../src/runtime/backend";
import { median } from "./harness";

export interface Roofline {
  backend: string;
  description: string;
  gflops: number;
}

/**
 * Measure on `backend` (default: the active one); the active backend is restored afterwards.
 * The cpu backend takes about a second per product here, so it gets 3 repetitions by default.
 */
export async function measureRoofline(backend?: BackendName, reps?: number): Promise<Roofline> {
  const before = await initBackend();
  const info = backend && backend !== before.name ? await useBackend(backend) : before;
  const n = reps ?? (info.name === "cpu" ? 3 : 15);
  try {
    const a = tf.randomUniform([512, 512], 0, 1, "float32", 1);
    const b = tf.randomUniform([512, 512], 0, 1, "float32", 2);
    const times: number[] = [];
    for (let r = 0; r < n + (info.name === "cpu" ? 1 : 3); r++) {
      const t0 = performance.now();
      const c = tf.matMul(a, b);
      c.dataSync();
      const ms = performance.now() - t0;
      c.dispose();
      if (r >= (info.name === "cpu" ? 1 : 3)) times.push(ms);
    }
    a.dispose();
    b.dispose();
    return { backend: info.name, description: describeBackend(info), gflops: (2 * 512 ** 3) / (median(times) * 1e6) };
  } finally {
    if (info !== before) await useBackend(before.name);
  }
}
