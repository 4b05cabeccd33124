/**
 * One switch that makes TensorFlow.js's wasm backend complete and fast for the arc's models:
 *
 *   missing kernels (training failed without them)
 *     Conv2DBackpropFilter                   ∂W of conv2d and of conv2dTranspose: one XNNPACK
 *                                            convolution of xᵀ with ∂yᵀ (conv2d.ts); few input channels:
 *                                            im2col written transposed + one GEMM packing the smaller operand
 *     DepthwiseConv2dNativeBackpropFilter    ∂W of depthwise convolutions
 *     DepthwiseConv2dNativeBackpropInput     ∂x of depthwise convolutions
 *     UnsortedSegmentSum                     ∂ of gather (codebook / embedding lookups)
 *   replaced kernels (slow paths)
 *     BatchMatMul, _FusedMatMul              transposed operands materialized first (XNNPACK path)
 *     Conv2D                                 1×1 layers as one GEMM, few input channels as im2col + GEMM,
 *                                            zero rows/columns of taps (masked convolutions) skipped (conv2d.ts)
 *     Conv2DBackpropInput                    ∂x of conv2d, conv2dTranspose: stride 1 as the convolution of ∂y
 *                                            with the flipped filter, strided as col2im(∂Y·Wᵀ); not a scalar loop
 *     Identity                               shares the data instead of copying (tape clones)
 *     Softplus                               max(x, 0) − log σ(|x|) on vectorized kernels
 *     Sum                                    over leading axes (bias gradients) in one pass, four columns at a
 *                                            time, no transpose (sum.ts)
 *   fused optimizer
 *     tf.train.adam                          one kernel per variable instead of 13
 *
 * `registerWasmKernels()` is idempotent and cheap; src/runtime/backend.ts calls it when it
 * selects wasm. `unregisterWasmKernels()` puts tfjs's own kernels back (benchmarks compare).
 */
import * as tf from "@tensorflow/tfjs";
import { captureOriginal, type KernelArgs } from "./wasmBackend";
import { batchMatMulNoTranspose, fusedMatMulNoTranspose } from "./matMul";
import { conv2dBackpropFilterWasm } from "./conv2dBackpropFilter";
import { conv2dBackpropInputWasm } from "./conv2dBackpropInput";
import { conv2dBackpropFilterConv, conv2dBackpropInputConv, conv2dWasm } from "./conv2d";
import { depthwiseBackpropFilterWasm, depthwiseBackpropInputWasm } from "./depthwiseConv2dBackprop";
import { unsortedSegmentSumWasm } from "./unsortedSegmentSum";
import { identityShared } from "./identity";
import { softplusWasm } from "./softplus";
import { sumWasm } from "./sum";
import { ADAM_KERNEL, adamUpdateWasm, patchAdamOptimizer, unpatchAdamOptimizer } from "./adam";

type Fn = (args: never) => unknown;

/** Kernels the wasm backend lacks: added. */
const ADDED: Record<string, Fn> = {
  Conv2DBackpropFilter: (args: KernelArgs) => conv2dBackpropFilterConv(args, conv2dBackpropFilterWasm),
  DepthwiseConv2dNativeBackpropFilter: depthwiseBackpropFilterWasm,
  DepthwiseConv2dNativeBackpropInput: depthwiseBackpropInputWasm,
  UnsortedSegmentSum: unsortedSegmentSumWasm,
  [ADAM_KERNEL]: adamUpdateWasm,
};

/** Kernels the wasm backend has but runs slowly for some inputs: wrapped. */
const REPLACED: Record<string, Fn> = {
  BatchMatMul: batchMatMulNoTranspose,
  _FusedMatMul: fusedMatMulNoTranspose,
  Conv2D: conv2dWasm,
  Conv2DBackpropInput: (args: KernelArgs) => conv2dBackpropInputConv(args, conv2dBackpropInputWasm),
  Identity: identityShared,
  Softplus: softplusWasm,
  Sum: sumWasm,
};

export interface WasmKernelOptions {
  /** Replace slow wasm kernels (BatchMatMul, _FusedMatMul, Conv2D, Conv2DBackpropInput, Identity, Softplus, Sum) too (default true). */
  replaceSlow?: boolean;
  /** Route tf.train.adam updates through the fused kernel on wasm (default true). */
  fuseAdam?: boolean;
}

const state = { added: new Set<string>(), replaced: new Set<string>(), adam: false };

function loadWasmPackage(): void {
  // Importing the package registers the wasm backend and its kernels (idempotent).
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  require("@tensorflow/tfjs-backend-wasm");
}

/**
 * Register latentlab's kernels for the "wasm" backend (idempotent: a second call changes
 * nothing). Safe before or after the backend starts. Returns the kernel names now provided.
 */
export function registerWasmKernels(opts: WasmKernelOptions = {}): string[] {
  loadWasmPackage();
  for (const [name, fn] of Object.entries(ADDED)) {
    if (state.added.has(name)) continue;
    if (tf.getKernel(name, "wasm")) continue; // a future tfjs provides it: keep theirs
    tf.registerKernel({ kernelName: name, backendName: "wasm", kernelFunc: fn as unknown as tf.KernelFunc });
    state.added.add(name);
  }
  if (opts.replaceSlow ?? true) {
    for (const [name, fn] of Object.entries(REPLACED)) {
      if (state.replaced.has(name)) continue;
      const orig = captureOriginal(name);
      if (!orig) continue;
      tf.unregisterKernel(name, "wasm");
      tf.registerKernel({ kernelName: name, backendName: "wasm", setupFunc: orig.setupFunc, disposeFunc: orig.disposeFunc, kernelFunc: fn as unknown as tf.KernelFunc });
      state.replaced.add(name);
    }
  }
  if ((opts.fuseAdam ?? true) && !state.adam) {
    patchAdamOptimizer();
    state.adam = true;
  }
  return wasmKernelsRegistered();
}

/**
 * Benchmarks and tests: put tfjs's own kernel `name` (one of the replaced ones) back (`on`
 * false), or latentlab's replacement again (`on` true). No-op when already so.
 */
export function useReplacedKernel(name: string, on: boolean): void {
  const fn = REPLACED[name];
  if (!fn) throw new Error(`useReplacedKernel: "${name}" is not one of ${Object.keys(REPLACED).join(", ")}.`);
  const orig = captureOriginal(name);
  if (!orig || state.replaced.has(name) === on) return;
  tf.unregisterKernel(name, "wasm");
  if (on) {
    tf.registerKernel({ kernelName: name, backendName: "wasm", setupFunc: orig.setupFunc, disposeFunc: orig.disposeFunc, kernelFunc: fn as unknown as tf.KernelFunc });
    state.replaced.add(name);
  } else {
    tf.registerKernel(orig);
    state.replaced.delete(name);
  }
}

/** Undo registerWasmKernels: tfjs's own wasm kernels and Adam again. */
export function unregisterWasmKernels(): void {
  for (const name of state.added) tf.unregisterKernel(name, "wasm");
  state.added.clear();
  for (const name of state.replaced) {
    const orig = captureOriginal(name);
    tf.unregisterKernel(name, "wasm");
    if (orig) tf.registerKernel(orig);
  }
  state.replaced.clear();
  if (state.adam) unpatchAdamOptimizer();
  state.adam = false;
}

/** Names of the kernels latentlab currently provides for wasm (added, replaced, and "adam"). */
export function wasmKernelsRegistered(): string[] {
  return [...state.added, ...state.replaced, ...(state.adam ? ["adam (fused update)"] : [])];
}
