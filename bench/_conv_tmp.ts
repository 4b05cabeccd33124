import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../src/runtime/backend";
import { registerWasmKernels, unregisterWasmKernels } from "../src/kernels";
function t(f: () => tf.Tensor, reps = 8) { for (let i=0;i<2;i++) f().dispose(); const ts: number[] = []; for (let i=0;i<reps;i++){const t0=performance.now(); const o=f(); o.dataSync(); ts.push(performance.now()-t0); o.dispose();} ts.sort((a,b)=>a-b); return ts[reps>>1].toFixed(2); }
async function main() {
  await initBackend();
  const B = 128;
  const shapes: [number[], number[], number][] = [[[B,28,28,1],[4,4,1,16],2],[[B,14,14,16],[4,4,16,32],2]];
  for (const mode of ["latentlab", "tfjs", "latentlab"]) {
    if (mode === "tfjs") unregisterWasmKernels(); else registerWasmKernels();
    for (const [xs, fs, s] of shapes) {
      const x = tf.randomNormal(xs) as tf.Tensor4D, w = tf.randomNormal(fs) as tf.Tensor4D;
      const y = tf.conv2d(x, w, s, "same");
      const fwd = t(() => tf.conv2d(x, w, s, "same"));
      const bi = t(() => tf.conv2dTranspose(y, w, xs as [number,number,number,number], s, "same"));
      const bf = mode === "tfjs" ? "n/a" : t(() => tf.engine().runKernel("Conv2DBackpropFilter", {x, dy: y}, {strides: s, pad: "same", dataFormat: "NHWC", filterShape: fs} as any) as tf.Tensor);
      console.log(mode, xs.join("x"), fs.join("x"), "conv2d", fwd, "backpropInput", bi, "backpropFilter", bf, "ms");
      tf.dispose([x, w, y]);
    }
  }
}
main();
