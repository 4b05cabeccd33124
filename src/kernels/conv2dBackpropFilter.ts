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
 * matrix, ∂W = Pᵀ · ∂Y. Pᵀ is written directly in JavaScript (`im2colT`: one pass along each
 * image row per tap and channel), and multiplied untransposed (XNNPACK's fast path) with ∂Y as
 * the operand XNNPACK packs — for the conv VAE's 16-channel layer, 7 ms against 15 ms for
 * ∂Wᵀ = ∂Yᵀ·P, which packs the bigger P. Writing Pᵀ directly replaced building P row by row and
 * transposing it with the backend's Transpose: the same matrix, bit for bit, built 1.5–5×
 * faster for every channel count measured (1 to 32), e.g. 4.1 → 1.2 ms for the conv VAE's
 * one-channel 4×4 layer at B = 128 and 32 → 6.4 ms for a one-channel 7×7 layer at B = 64.
 * (This route serves layers with fewer than convConfig.minGradChannels input channels; the
 * others go through conv2dBackpropFilterConv. Per-call times of a whole gradient:
 * `npx tsx bench/workloads/contention.ts <model> --profile`.)
 * When the layer has many more output channels than filter rows (K = kh·kw·C < 0.6·O), the
 * product is taken the other way round, ∂Wᵀ = ∂Yᵀ·P, so that XNNPACK packs the smaller P
 * (`swapIsCheaperForFilter`): measured 21–24 → 15 ms for the VQ-VAE's last layer (3×3, 32 → 1,
 * stride 1, B = 128) and 4.9–5.0 → 3.5–3.9 ms for its first (stride 2), the same numbers here.
 * Pᵀ is built in batch chunks of at most im2colConfig.chunkFloats numbers, so that large 7×7
 * PixelCNN layers never hold the whole im2col matrix; chunk results are summed.
 */
import * as tf from "@tensorflow/tfjs";
import { KernelArgs, TensorInfo, WasmBackendLike, heapF32, release, runOriginal } from "./wasmBackend";
import { transposeHeap } from "./conv2d";

/** Largest im2col chunk, in float32 numbers (default 2²² = 16 MB; tests shrink it). */
export const im2colConfig = {
  chunkFloats: 1 << 22,
  defaultChunkFloats: 1 << 22,
  /** Compute ∂Wᵀ = ∂Yᵀ·P when that packs fewer numbers (swapIsCheaperForFilter; tests turn it off). */
  swap: true,
};

/**
 * Whether ∂Wᵀ = ∂Yᵀ·P costs less than ∂W = Pᵀ·∂Y for K = kh·kw·C filter rows and O output
 * channels. Both products reduce over all R = B·OH·OW output pixels, so both operands are tall,
 * and XNNPACK packs its right-hand one for every new tensor at ~4 ns per number (strided reads;
 * src/kernels/matMul.ts) against ~1 ns to transpose one. Direct: pack ∂Y (R·O). Swapped:
 * transpose Pᵀ back to P (R·K) and ∂Y to ∂Yᵀ (R·O), pack P (R·K). Per output pixel:
 * 4O against 5K + O, i.e. swap when 5K < 3O (the VQ-VAE's one-channel 3×3 layers: K = 9, O = 32).
 */
export function swapIsCheaperForFilter(K: number, O: number): boolean {
  return 5 * K < 3 * O;
}

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

/**
 * Fill pt (row-major [fh·fw·ci, nb·oh·ow]) with the transpose of im2col's matrix for images
 * b0 … b0+nb−1: row (i, j, c) holds tap (i, j)'s channel c for every output pixel (b, h, w), in
 * that order; taps in the padding are 0. The same numbers as transposing im2col's P. Writes run
 * along w and reads step by s_w·ci through x.
 */
export function im2colT(x: Float32Array, b0: number, nb: number, g: Im2colGeometry, pt: Float32Array): void {
  const { inHeight: H, inWidth: W, inChannels: C, outHeight: OH, outWidth: OW, filterHeight: FH, filterWidth: FW } = g;
  const sh = g.strideHeight;
  const sw = g.strideWidth;
  const rows = nb * OH * OW;
  const step = sw * C;
  for (let i = 0; i < FH; i++) {
    for (let j = 0; j < FW; j++) {
      // Output columns w whose input column iw = w·s_w + off lies in [0, W): w0 ≤ w < w1.
      const off = j * g.dilationWidth - g.padLeft;
      const w0 = Math.min(OW, off >= 0 ? 0 : Math.ceil(-off / sw));
      const w1 = Math.max(w0, Math.min(OW, W - 1 - off < 0 ? 0 : Math.floor((W - 1 - off) / sw) + 1));
      for (let c = 0; c < C; c++) {
        let o = ((i * FW + j) * C + c) * rows;
        for (let b = b0; b < b0 + nb; b++) {
          const img = b * H * W * C + c;
          for (let h = 0; h < OH; h++) {
            const ih = h * sh - g.padTop + i * g.dilationHeight;
            if (ih < 0 || ih >= H) {
              pt.fill(0, o, o + OW);
              o += OW;
              continue;
            }
            for (let w = 0; w < w0; w++) pt[o++] = 0;
            let src = img + (ih * W + w0 * sw + off) * C;
            for (let w = w0; w < w1; w++, src += step) pt[o++] = x[src];
            for (let w = w1; w < OW; w++) pt[o++] = 0;
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
  // ∂W = Pᵀ · ∂Y per chunk (or ∂Wᵀ = ∂Yᵀ · P, see swapIsCheaperForFilter): Pᵀ written directly
  // (im2colT), then the untransposed XNNPACK product; chunk results summed in float32.
  const nbMax = Math.max(1, Math.floor(im2colConfig.chunkFloats / Math.max(1, K * R)));
  const out = be.makeOutput(filterShape, "float32");
  const swap = im2colConfig.swap && swapIsCheaperForFilter(K, O);
  for (let b0 = 0; b0 < B; b0 += nbMax) {
    const nb = Math.min(nbMax, B - b0);
    const rows = nb * R;
    const pt = be.makeOutput([K, rows], "float32");
    im2colT(heapF32(be, x), b0, nb, g, heapF32(be, pt));
    // A [rows, O] view of this chunk of dy (for one chunk, a view of dy itself: no copy).
    let dyc: TensorInfo;
    let own = false;
    if (nb === B) dyc = { dataId: dy.dataId, shape: [rows, O], dtype: "float32" } as TensorInfo;
    else {
      dyc = be.makeOutput([rows, O], "float32");
      heapF32(be, dyc).set(heapF32(be, dy).subarray(b0 * R * O, (b0 + nb) * R * O));
      own = true;
    }
    if (swap) {
      // ∂Wᵀ = ∂Yᵀ · P: P (the smaller of the two tall operands) is the one XNNPACK packs. P comes
      // from the Pᵀ already written, by one SIMD transpose (im2col's row-by-row build is the
      // slower way for few channels).
      const p = be.makeOutput([rows, K], "float32");
      transposeHeap(be, heapF32(be, pt), K, 1, rows, heapF32(be, p));
      release(be, pt);
      const dyt = be.makeOutput([O, rows], "float32");
      transposeHeap(be, heapF32(be, dyc), rows, 1, O, heapF32(be, dyt));
      if (own) release(be, dyc);
      const prod = runOriginal("BatchMatMul", backend, { a: dyt, b: p }, { transposeA: false, transposeB: false });
      release(be, dyt);
      release(be, p);
      const pr = heapF32(be, prod);
      const acc = heapF32(be, out);
      for (let k = 0; k < K; k++) {
        for (let o = 0; o < O; o++) acc[k * O + o] = b0 === 0 ? pr[o * K + k] : acc[k * O + o] + pr[o * K + k];
      }
      release(be, prod);
      continue;
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
