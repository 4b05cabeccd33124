/**
 * The roofline the bench reports against: GFLOPS of a 512 × 512 × 512 matmul on the active
 * TensorFlow.js backend (median of several runs after warm-up), 2·512³ FLOPs each.
 */
import * as tf from "@tensorflow/tfjs";
import { describeBackend, initBackend } from "../src/runtime/backend";
import { median } from "./harness";

export interface Roofline {
  backend: string;
  description: string;
  gflops: number;
}

export async function measureRoofline(reps = 15): Promise<Roofline> {
  const info = await initBackend();
  const a = tf.randomUniform([512, 512], 0, 1, "float32", 1);
  const b = tf.randomUniform([512, 512], 0, 1, "float32", 2);
  const times: number[] = [];
  for (let r = 0; r < reps + 3; r++) {
    const t0 = performance.now();
    const c = tf.matMul(a, b);
    c.dataSync();
    const ms = performance.now() - t0;
    c.dispose();
    if (r >= 3) times.push(ms);
  }
  a.dispose();
  b.dispose();
  return { backend: info.name, description: describeBackend(info), gflops: (2 * 512 ** 3) / (median(times) * 1e6) };
}
