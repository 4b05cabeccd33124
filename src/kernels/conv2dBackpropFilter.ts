/**
 * The gradient of a 2-D convolution with respect to its filter, for the wasm backend
 * (tfjs-backend-wasm 4.22 has no Conv2DBackpropFilter kernel, so no convolution trained there).
 *
 * For y = conv2d(x, W) in NHWC with strides (s_h, s_w), dilations (d_h, d_w) and top/left
 * padding (p_t, p_l):
 *
 *   ∂L/∂W[i, j, c, o] = Σ_{b, h, w} x[b, h·s_h − p_t + i·d_h, w·s_w − p_l + j·d_w, c] · ∂L/∂y[b, h, w, o]
 *
 * (x is zero outside the image). Written as one matrix product: with the im2col matrix
 * P[(b, h, w), (i, j, c)] (each row one receptive field) and ∂Y = ∂L/∂y as a [(b, h, w), o]
 * matrix, ∂W = Pᵀ · ∂Y. P is built row by row in JavaScript (contiguous reads: 5 ms for the
 * conv VAE's second layer against 30 ms for writing Pᵀ directly), turned into Pᵀ by the
 * backend's Transpose, and multiplied untransposed (XNNPACK's fast path) with the small ∂Y as
 * the operand XNNPACK packs — measured 7 ms against 15 ms for ∂Wᵀ = ∂Yᵀ·P, which packs the
 * big P. P is built in batch chunks of at most im2colConfig.chunkFloats numbers, so that
 * large 7×7 PixelCNN layers never hold the whole im2col matrix; chunk results are summed.
 */
import * as tf from "@tensorflow/tfjs";
import { KernelArgs, TensorInfo, WasmBackendLike, heapF32, release, runOriginal } from "./wasmBackend";

/** Largest im2col chunk, in float32 numbers (default 2²² = 16 MB; tests shrink it). */
export const im2colConfig = { chunkFloats: 1 << 22, defaultChunkFloats: 1 << 22 };

export interface Im2colGeometry {
  inHeight: number;
  inWidth: number;
  inChannels: number;
  outHeight: number;
  outWidth: number;
  filterHeight: number;
  filterWidth: number;
  strideHeight: number;
  strideWidth: number;
  dilationHeight: number;
  dilationWidth: number;
  padTop: number;
  padLeft: number;
}

/**
 * Fill p (row-major [nb·oh·ow, fh·fw·ci]) with the im2col matrix of images b0 … b0+nb−1 of x
 * (NHWC, flat): row (b, h, w) is the receptive field of output pixel (h, w), in filter order
 * (i, j, c). Entries that fall in the padding are 0. Reads and writes run along c, contiguous.
 */
export function im2col(x: Float32Array, b0: number, nb: number, g: Im2colGeometry, p: Float32Array): void {
  const { inHeight: H, inWidth: W, inChannels: C, outHeight: OH, outWidth: OW, filterHeight: FH, filterWidth: FW } = g;
  let o = 0;
  for (let b = b0; b < b0 + nb; b++) {
    const img = b * H * W * C;
    for (let h = 0; h < OH; h++) {
      for (let w = 0; w < OW; w++) {
        for (let i = 0; i < FH; i++) {
          const ih = h * g.strideHeight - g.padTop + i * g.dilationHeight;
          if (ih < 0 || ih >= H) {
            p.fill(0, o, o + FW * C);
            o += FW * C;
            continue;
          }
          for (let j = 0; j < FW; j++) {
            const iw = w * g.strideWidth - g.padLeft + j * g.dilationWidth;
            if (iw < 0 || iw >= W) {
              for (let c = 0; c < C; c++) p[o++] = 0;
              continue;
            }
            let src = img + (ih * W + iw) * C;
            for (let c = 0; c < C; c++) p[o++] = x[src++];
          }
        }
      }
    }
  }
}

/** Conv2DBackpropFilter (NHWC) on the wasm backend: ∂W = Σ_chunks Pᵀ_chunk · ∂Y_chunk. */
export function conv2dBackpropFilterWasm({ inputs, backend, attrs = {} }: KernelArgs): TensorInfo {
  const be = backend as WasmBackendLike;
  const { x, dy } = inputs;
  const filterShape = attrs.filterShape as [number, number, number, number];
  const dataFormat = (attrs.dataFormat as "NHWC" | "NCHW" | undefined) ?? "NHWC";
  if (dataFormat !== "NHWC") {
    throw new Error(`Conv2DBackpropFilter (latentlab wasm kernel): only NHWC is supported, got ${dataFormat}. Transpose to NHWC first.`);
  }
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    filterShape,
    attrs.strides as [number, number],
    1,
    attrs.pad as "same" | "valid" | number,
    attrs.dimRoundingMode as "floor" | "round" | "ceil" | undefined,
    false,
    "channelsLast",
  );
  const g: Im2colGeometry = {
    inHeight: info.inHeight, inWidth: info.inWidth, inChannels: info.inChannels,
    outHeight: info.outHeight, outWidth: info.outWidth,
    filterHeight: info.filterHeight, filterWidth: info.filterWidth,
    strideHeight: info.strideHeight, strideWidth: info.strideWidth,
    dilationHeight: info.dilationHeight, dilationWidth: info.dilationWidth,
    padTop: info.padInfo.top, padLeft: info.padInfo.left,
  };
  const B = info.batchSize;
  const O = info.outChannels;
  const K = g.filterHeight * g.filterWidth * g.inChannels;
  const R = g.outHeight * g.outWidth;
  if (dy.shape[0] !== B || dy.shape[1] !== g.outHeight || dy.shape[2] !== g.outWidth || dy.shape[3] !== O) {
    throw new Error(`Conv2DBackpropFilter (latentlab wasm kernel): dy has shape [${dy.shape}], expected [${B}, ${g.outHeight}, ${g.outWidth}, ${O}] for x [${x.shape}] and filter [${filterShape}].`);
  }
  // ∂W = Pᵀ · ∂Y per chunk: P built in JavaScript (contiguous), Pᵀ by the backend's Transpose,
  // then the untransposed XNNPACK product with the small ∂Y as its packed right operand;
  // chunk results summed in float32.
  const nbMax = Math.max(1, Math.floor(im2colConfig.chunkFloats / Math.max(1, K * R)));
  const out = be.makeOutput(filterShape, "float32");
  for (let b0 = 0; b0 < B; b0 += nbMax) {
    const nb = Math.min(nbMax, B - b0);
    const rows = nb * R;
    const p = be.makeOutput([rows, K], "float32");
    im2col(heapF32(be, x), b0, nb, g, heapF32(be, p));
    const pt = runOriginal("Transpose", backend, { x: p }, { perm: [1, 0] });
    release(be, p);
    // A [rows, O] view of this chunk of dy (for one chunk, a view of dy itself: no copy).
    let dyc: TensorInfo;
    let own = false;
    if (nb === B) dyc = { dataId: dy.dataId, shape: [rows, O], dtype: "float32" } as TensorInfo;
    else {
      dyc = be.makeOutput([rows, O], "float32");
      heapF32(be, dyc).set(heapF32(be, dy).subarray(b0 * R * O, (b0 + nb) * R * O));
      own = true;
    }
    const prod = runOriginal("BatchMatMul", backend, { a: pt, b: dyc }, { transposeA: false, transposeB: false });
    const pr = heapF32(be, prod);
    const acc = heapF32(be, out);
    if (b0 === 0) acc.set(pr);
    else for (let i = 0; i < acc.length; i++) acc[i] += pr[i];
    release(be, pt);
    release(be, prod);
    if (own) release(be, dyc);
  }
  return out;
}
