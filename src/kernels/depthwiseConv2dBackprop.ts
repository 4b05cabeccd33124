/**
 * Gradients of the depthwise convolution for the wasm backend (absent from tfjs-backend-wasm
 * 4.22). With channel multiplier M, output channel c·M + q sees only input channel c:
 *
 *   y[b, h, w, c·M + q] = Σ_{i, j} x[b, h·s_h − p_t + i·d_h, w·s_w − p_l + j·d_w, c] · W[i, j, c, q]
 *
 *   ∂L/∂W[i, j, c, q] = Σ_{b, h, w} x[b, ĥ, ŵ, c] · ∂y[b, h, w, c·M + q]
 *   ∂L/∂x[b, ĥ, ŵ, c] = Σ_{h, w, i, j, q : ĥ = h·s_h − p_t + i·d_h, ŵ = …} ∂y[b, h, w, c·M + q] · W[i, j, c, q]
 *
 * Direct loops in JavaScript on the wasm heap: depthwise layers are cheap (no channel mixing),
 * none of the arc's models uses them, and these exist so that nothing silently lacks a gradient.
 */
import * as tf from "@tensorflow/tfjs";
import { KernelArgs, TensorInfo, WasmBackendLike, heapF32 } from "./wasmBackend";

function geometry(xShape: number[], filterShape: number[], attrs: Record<string, unknown>) {
  return tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    attrs.strides as [number, number],
    (attrs.dilations as [number, number] | number | undefined) ?? 1,
    attrs.pad as "same" | "valid" | number,
    attrs.dimRoundingMode as "floor" | "round" | "ceil" | undefined,
    true,
    "channelsLast",
  );
}

/** Visit every (b, h, w, i, j) with an in-image input position, giving flat x and dy offsets. */
function forEachTap(info: tf.backend_util.Conv2DInfo, visit: (xOff: number, dyOff: number, i: number, j: number) => void): void {
  const { batchSize: B, inHeight: H, inWidth: W, inChannels: C, outHeight: OH, outWidth: OW, outChannels: CO } = info;
  for (let b = 0; b < B; b++)
    for (let h = 0; h < OH; h++)
      for (let w = 0; w < OW; w++) {
        const dyOff = ((b * OH + h) * OW + w) * CO;
        for (let i = 0; i < info.filterHeight; i++) {
          const ih = h * info.strideHeight - info.padInfo.top + i * info.dilationHeight;
          if (ih < 0 || ih >= H) continue;
          for (let j = 0; j < info.filterWidth; j++) {
            const iw = w * info.strideWidth - info.padInfo.left + j * info.dilationWidth;
            if (iw < 0 || iw >= W) continue;
            visit(((b * H + ih) * W + iw) * C, dyOff, i, j);
          }
        }
      }
}

/** DepthwiseConv2dNativeBackpropFilter (NHWC) for wasm. */
export function depthwiseBackpropFilterWasm({ inputs, backend, attrs = {} }: KernelArgs): TensorInfo {
  const be = backend as WasmBackendLike;
  const { x, dy } = inputs;
  const filterShape = attrs.filterShape as number[];
  const info = geometry(x.shape, filterShape, attrs);
  const C = info.inChannels;
  const M = info.outChannels / C;
  const out = be.makeOutput(filterShape, "float32");
  const dw = heapF32(be, out);
  dw.fill(0);
  const xs = heapF32(be, x);
  const g = heapF32(be, dy);
  forEachTap(info, (xOff, dyOff, i, j) => {
    const wOff = (i * info.filterWidth + j) * C * M;
    for (let c = 0; c < C; c++) {
      const xv = xs[xOff + c];
      for (let q = 0; q < M; q++) dw[wOff + c * M + q] += xv * g[dyOff + c * M + q];
    }
  });
  return out;
}

/** DepthwiseConv2dNativeBackpropInput (NHWC) for wasm. */
export function depthwiseBackpropInputWasm({ inputs, backend, attrs = {} }: KernelArgs): TensorInfo {
  const be = backend as WasmBackendLike;
  const { dy, filter } = inputs;
  const inputShape = attrs.inputShape as number[];
  const info = geometry(inputShape, filter.shape, attrs);
  const C = info.inChannels;
  const M = info.outChannels / C;
  const out = be.makeOutput(inputShape, "float32");
  const dx = heapF32(be, out);
  dx.fill(0);
  const wv = heapF32(be, filter);
  const g = heapF32(be, dy);
  forEachTap(info, (xOff, dyOff, i, j) => {
    const wOff = (i * info.filterWidth + j) * C * M;
    for (let c = 0; c < C; c++) {
      let s = 0;
      for (let q = 0; q < M; q++) s += g[dyOff + c * M + q] * wv[wOff + c * M + q];
      dx[xOff + c] += s;
    }
  });
  return out;
}
