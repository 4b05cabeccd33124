/**
 * Adam's update as one kernel per variable on the wasm backend (Kingma & Ba 2015, Alg. 1, in
 * the form tfjs's AdamOptimizer computes it):
 *
 *   m ← β₁ m + (1 − β₁) g
 *   v ← β₂ v + (1 − β₂) g²
 *   θ ← θ − η · (m / (1 − β₁ᵗ)) / (√(v / (1 − β₂ᵗ)) + ε)
 *
 * tfjs runs this as 13 elementwise kernels per variable, each a full pass over the variable
 * through the wasm heap (~660k parameters per pass for the 784-400-20 VAE); here it is one
 * pass that reads θ, m, v, g once and writes the three new tensors: a 4-lane WebAssembly
 * SIMD loop on the backend's memory (adamSimd.ts), with a JavaScript loop for the last n mod 4
 * entries (or all of them without SIMD). Both round to float32 after every operation in
 * tfjs's order, so the update is bit-identical to tfjs's own; test/kernels/adam.test.ts checks.
 *
 * `AdamOptimizer.prototype.applyGradients` is wrapped (by registerWasmKernels) so that
 * tf.train.adam optimizers use the kernel whenever the wasm backend is active: no API change,
 * the same moment variables (so optimizer weights save and load as before).
 */
import * as tf from "@tensorflow/tfjs";
import { KernelArgs, TensorInfo, WasmBackendLike, heapF32 } from "./wasmBackend";
import { AdamSimdFn, adamSimdFor } from "./adamSimd";

/** The SIMD loop bound to this backend's memory, and byte offsets of tensors in it (or null). */
function simdUpdate(backend: unknown): { fn: AdamSimdFn; offset: (t: TensorInfo) => number } | null {
  if (!simdConfig.enabled) return null;
  const be = backend as { wasm?: { asm?: { memory?: WebAssembly.Memory } }; dataIdMap?: { get(id: object): { memoryOffset: number } | undefined } };
  const memory = be.wasm?.asm?.memory;
  if (!(memory instanceof WebAssembly.Memory) || !be.dataIdMap) return null;
  const fn = adamSimdFor(memory);
  if (!fn) return null;
  const map = be.dataIdMap;
  return { fn, offset: (t) => (map.get(t.dataId) as { memoryOffset: number }).memoryOffset };
}

/** Whether the active wasm backend runs the SIMD Adam loop (false: JavaScript loop, or not wasm). */
export function adamSimdActive(): boolean {
  return tf.getBackend() === "wasm" && simdUpdate(tf.backend()) !== null;
}

/** Tests switch the SIMD path off to check that the JavaScript path gives the same bits. */
export const simdConfig = { enabled: true };

export const ADAM_KERNEL = "LatentlabAdamUpdate";

const f = Math.fround;

/** Inputs {x, m, v, g, accBeta1, accBeta2}; attrs {beta1, beta2, epsilon, learningRate}; outputs [x', m', v']. */
export function adamUpdateWasm({ inputs, backend, attrs = {} }: KernelArgs): TensorInfo[] {
  const be = backend as WasmBackendLike;
  const { x, m, v, g, accBeta1, accBeta2 } = inputs;
  const n = x.shape.reduce((a, b) => a * b, 1);
  for (const [k, t] of [["m", m], ["v", v], ["g", g]] as const) {
    if (t.shape.reduce((a, b) => a * b, 1) !== n) throw new Error(`${ADAM_KERNEL}: ${k} has shape [${t.shape}], the variable [${x.shape}].`);
  }
  const xo = be.makeOutput(x.shape, "float32");
  const mo = be.makeOutput(x.shape, "float32");
  const vo = be.makeOutput(x.shape, "float32");
  const beta1 = attrs.beta1 as number;
  const beta2 = attrs.beta2 as number;
  const b1 = f(beta1);
  const b2 = f(beta2);
  const c1 = f(1 - beta1);
  const c2 = f(1 - beta2);
  const eps = f(attrs.epsilon as number);
  const negLr = f(-(attrs.learningRate as number));
  const omab1 = f(1 - heapF32(be, accBeta1)[0]);
  const omab2 = f(1 - heapF32(be, accBeta2)[0]);
  const simd = simdUpdate(backend);
  const n4 = simd ? n & ~3 : 0;
  if (simd && n4 > 0) {
    const ptr = (t: TensorInfo) => simd.offset(t);
    simd.fn(n4 * 4, ptr(x), ptr(m), ptr(v), ptr(g), ptr(xo), ptr(mo), ptr(vo), b1, b2, c1, c2, omab1, omab2, eps, negLr);
  }
  // The remainder (or everything, without SIMD) in JavaScript, rounding to float32 after
  // every operation in the same order, so both paths give the same bits.
  const X = heapF32(be, x);
  const M = heapF32(be, m);
  const V = heapF32(be, v);
  const G = heapF32(be, g);
  const XO = heapF32(be, xo);
  const MO = heapF32(be, mo);
  const VO = heapF32(be, vo);
  for (let i = n4; i < n; i++) {
    const gi = G[i];
    const mi = f(f(M[i] * b1) + f(gi * c1));
    const vi = f(f(V[i] * b2) + f(f(gi * gi) * c2));
    MO[i] = mi;
    VO[i] = vi;
    XO[i] = f(f(f(mi / omab1) / f(f(Math.sqrt(f(vi / omab2))) + eps)) * negLr) + X[i];
  }
  return [xo, mo, vo];
}

type NamedTensor = { name: string; tensor: tf.Tensor };

type AdamInternals = {
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  accBeta1: tf.Variable;
  accBeta2: tf.Variable;
  accumulatedFirstMoment: ({ originalName: string; variable: tf.Variable } | null | undefined)[];
  accumulatedSecondMoment: ({ originalName: string; variable: tf.Variable } | null | undefined)[];
  incrementIterations(): void;
};

type ApplyGradients = (this: tf.AdamOptimizer, g: tf.NamedTensorMap | NamedTensor[]) => void;

let originalApply: ApplyGradients | null = null;

function fusedApplyGradients(this: tf.AdamOptimizer, variableGradients: tf.NamedTensorMap | NamedTensor[]): void {
  const orig = originalApply as ApplyGradients;
  if (tf.getBackend() !== "wasm" || !tf.getKernel(ADAM_KERNEL, "wasm")) return orig.call(this, variableGradients);
  const self = this as unknown as AdamInternals;
  const isArray = Array.isArray(variableGradients);
  const names = isArray ? (variableGradients as NamedTensor[]).map((v) => v.name) : Object.keys(variableGradients);
  const registered = tf.engine().registeredVariables;
  if (names.some((name) => registered[name]?.dtype !== "float32")) return orig.call(this, variableGradients);
  tf.tidy(() => {
    names.forEach((name, i) => {
      const value = registered[name];
      if (self.accumulatedFirstMoment[i] == null) {
        self.accumulatedFirstMoment[i] = { originalName: `${name}/m`, variable: tf.tidy(() => tf.zerosLike(value).variable(false)) };
      }
      if (self.accumulatedSecondMoment[i] == null) {
        self.accumulatedSecondMoment[i] = { originalName: `${name}/v`, variable: tf.tidy(() => tf.zerosLike(value).variable(false)) };
      }
      const gradient = isArray ? (variableGradients as NamedTensor[])[i].tensor : (variableGradients as tf.NamedTensorMap)[name];
      if (gradient == null) return;
      const m = self.accumulatedFirstMoment[i]!.variable;
      const v = self.accumulatedSecondMoment[i]!.variable;
      const [x2, m2, v2] = tf.engine().runKernel(
        ADAM_KERNEL,
        { x: value, m, v, g: gradient, accBeta1: self.accBeta1, accBeta2: self.accBeta2 },
        { beta1: self.beta1, beta2: self.beta2, epsilon: self.epsilon, learningRate: self.learningRate } as unknown as tf.NamedAttrMap,
      ) as tf.Tensor[];
      m.assign(m2);
      v.assign(v2);
      value.assign(x2);
    });
    self.accBeta1.assign(tf.mul(self.accBeta1, self.beta1));
    self.accBeta2.assign(tf.mul(self.accBeta2, self.beta2));
  });
  self.incrementIterations();
}

/** Route tf.train.adam's updates through the fused kernel while wasm is active (idempotent). */
export function patchAdamOptimizer(): void {
  if (originalApply) return;
  originalApply = tf.AdamOptimizer.prototype.applyGradients as ApplyGradients;
  tf.AdamOptimizer.prototype.applyGradients = fusedApplyGradients as unknown as typeof tf.AdamOptimizer.prototype.applyGradients;
}

/** Restore tfjs's own AdamOptimizer.applyGradients. */
export function unpatchAdamOptimizer(): void {
  if (!originalApply) return;
  tf.AdamOptimizer.prototype.applyGradients = originalApply as unknown as typeof tf.AdamOptimizer.prototype.applyGradients;
  originalApply = null;
}

/** Whether tf.train.adam currently uses the fused update on wasm. */
export function adamIsFused(): boolean {
  return originalApply !== null;
}
