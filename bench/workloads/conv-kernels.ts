/**
 * Stand-alone micro-benchmark of the wasm convolution kernels (src/kernels/conv2d.ts) on the
 * layer shapes of the conv VAE, the VQ-VAE and the PixelCNN: for each of forward, ∂x and ∂W,
 * the previous route ("old": tfjs's Conv2D, GEMM + col2im, im2col + GEMM) against the current
 * one, alternated, with the process CPU time of each call (steadier than wall time on a shared
 * machine), the fraction of a same-process CPU-time 512³ matmul roofline, and the largest
 * difference between the two (relative to the largest entry).
 *
 *   npx tsx bench/workloads/conv-kernels.ts        (ONLY=pcnn to filter shapes by name)
 */
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../src/runtime/backend";
import { runOriginal } from "../../src/kernels/wasmBackend";
import { conv2dBackpropFilterWasm } from "../../src/kernels/conv2dBackpropFilter";
import { conv2dBackpropInputWasm } from "../../src/kernels/conv2dBackpropInput";
import { conv2dWasm, conv2dBackpropFilterConv, conv2dBackpropInputConv } from "../../src/kernels/conv2d";
type S = { name: string; B: number; H: number; C: number; O: number; k: number; s: number; mask?: "A" | "B" };
const shapes: S[] = [
  { name: "vae conv1 4x4/2 1-16", B: 128, H: 28, C: 1, O: 16, k: 4, s: 2 },
  { name: "vae conv2 4x4/2 16-32", B: 128, H: 14, C: 16, O: 32, k: 4, s: 2 },
  { name: "vq conv1 3x3/2 1-32", B: 128, H: 28, C: 1, O: 32, k: 3, s: 2 },
  { name: "vq conv2 3x3/2 32-64", B: 128, H: 14, C: 32, O: 64, k: 3, s: 2 },
  { name: "vq 3x3 64-64 7x7", B: 128, H: 7, C: 64, O: 64, k: 3, s: 1 },
  { name: "vq 1x1 64-64 7x7", B: 128, H: 7, C: 64, O: 64, k: 1, s: 1 },
  { name: "pcnn 7x7 1-64", B: 32, H: 28, C: 1, O: 64, k: 7, s: 1 },
  { name: "pcnn 3x3 32-32", B: 32, H: 28, C: 32, O: 32, k: 3, s: 1 },
  { name: "pcnn 3x3 64-64", B: 32, H: 28, C: 64, O: 64, k: 3, s: 1 },
  { name: "pcnn 1x1 64-32", B: 32, H: 28, C: 64, O: 32, k: 1, s: 1 },
  { name: "pcnn 3x3 mask B 32-32", B: 32, H: 28, C: 32, O: 32, k: 3, s: 1, mask: "B" },
  { name: "pcnn 7x7 mask A 1-64", B: 32, H: 28, C: 1, O: 64, k: 7, s: 1, mask: "A" },
];
const only = process.env.ONLY;
(async () => {
  await initBackend();
  const be = tf.backend() as any;
  const a = tf.randomNormal([512, 512]), b = tf.randomNormal([512, 512]);
  for (let i = 0; i < 3; i++) tf.matMul(a, b).dispose(); const c0 = process.cpuUsage(); for (let i = 0; i < 10; i++) tf.matMul(a, b).dispose(); const cu = process.cpuUsage(c0); const roof = 2 * 512 ** 3 * 10 / ((cu.user + cu.system) / 1000) / 1e6;
  console.log(`roofline ${roof.toFixed(1)} GFLOPS  load ${require("fs").readFileSync("/proc/loadavg","utf8").trim()}`);
  for (const s of shapes) {
    if (only && !s.name.includes(only)) continue;
    const x = tf.randomNormal([s.B, s.H, s.H, s.C]) as tf.Tensor4D;
    let w = tf.randomNormal([s.k, s.k, s.C, s.O]) as tf.Tensor4D;
    if (s.mask) {
      // PixelCNN's spatial mask: rows above the centre, and the centre row left of (A) / up to (B) the centre.
      const c = (s.k - 1) / 2;
      const m = Array.from({ length: s.k * s.k }, (_, t) => { const i = Math.floor(t / s.k), j = t % s.k; return i < c || (i === c && (j < c || (s.mask === "B" && j === c))) ? 1 : 0; });
      const masked = tf.mul(w, tf.tensor4d(m, [s.k, s.k, 1, 1])) as tf.Tensor4D;
      w.dispose();
      w = masked;
    }
    const y = tf.conv2d(x, w, s.s, "same");
    const dy = tf.randomNormal(y.shape) as tf.Tensor4D;
    const flops = 2 * y.size * s.k * s.k * s.C;
    const fa = { strides: [s.s, s.s], pad: "same", dataFormat: "NHWC", dilations: [1, 1] };
    const ba = { strides: [s.s, s.s], pad: "same", dataFormat: "NHWC", inputShape: x.shape, filterShape: w.shape };
    const ops: Record<string, [() => any, () => any]> = {
      fwd: [() => runOriginal("Conv2D", be, { x, filter: w }, fa), () => conv2dWasm({ inputs: { x, filter: w } as any, backend: be, attrs: fa })],
      dX: [() => conv2dBackpropInputWasm({ inputs: { dy, filter: w } as any, backend: be, attrs: ba }), () => conv2dBackpropInputConv({ inputs: { dy, filter: w } as any, backend: be, attrs: ba }, conv2dBackpropInputWasm)],
      dW: [() => conv2dBackpropFilterWasm({ inputs: { x, dy } as any, backend: be, attrs: ba }), () => conv2dBackpropFilterConv({ inputs: { x, dy } as any, backend: be, attrs: ba }, conv2dBackpropFilterWasm)],
    };
    let line = `${s.name.padEnd(22)} ${(flops / 1e6).toFixed(0).padStart(5)}MF`;
    for (const [op, [oldF, newF]] of Object.entries(ops)) {
      const T = [[], []] as number[][];
      // check equality
      const r0 = oldF(), r1 = newF();
      const v0 = be.typedArrayFromHeap(r0), v1 = be.typedArrayFromHeap(r1);
      let m = 0, sc = 1e-30; for (let i = 0; i < v0.length; i++) { m = Math.max(m, Math.abs(v0[i] - v1[i])); sc = Math.max(sc, Math.abs(v0[i])); }
      be.disposeData(r0.dataId); be.disposeData(r1.dataId);
      for (let r = 0; r < 7; r++) for (const k of [0, 1]) { const f = k ? newF : oldF; const c0 = process.cpuUsage(); const o = f(); const c1 = process.cpuUsage(c0); T[k].push((c1.user + c1.system) / 1000); be.disposeData(o.dataId); }
      const med = (a: number[]) => a.sort((p, q) => p - q)[a.length >> 1];
      const [mo, mn] = [med(T[0]), med(T[1])];
      line += ` | ${op} ${mo.toFixed(2)}→${mn.toFixed(2)}ms ${(100 * flops / mn / 1e6 / roof).toFixed(0)}% err${(m / sc).toExponential(0)}`;
    }
    console.log(line);
    tf.dispose([x, w, y, dy]);
  }
})();
