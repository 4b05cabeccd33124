/**
 * Convolutions on the wasm backend, each routed to the fastest of XNNPACK's convolution,
 * XNNPACK's GEMM, or im2col + GEMM, for NHWC float32 (the layout every latentlab model uses):
 *
 *   y[b, h, w, o] = Σ_{i, j, c} x[b, h·s_h − p_t + i·d_h, w·s_w − p_l + j·d_w, c] · W[i, j, c, o]
 *
 * Profiled here (B = 32…128, 28×28 digits; tfjs-backend-wasm 4.22, one thread):
 *
 * - XNNPACK's convolution (the backend's Conv2D) runs 3×3 and 4×4 layers with ≥ 16 channels at
 *   90–110% of the 512³ matmul roofline, but 1×1 layers at ~27% and one-channel 7×7 layers at
 *   ~21%. A 1×1 stride-1 convolution is the GEMM [B·H·W, C]·[C, O] (34 GFLOPS here), and a
 *   layer with few input channels is im2col + GEMM ([B·OH·OW, kh·kw·C]·[kh·kw·C, O]).
 * - Masked convolutions (PixelCNN: kernel ⊙ mask, mask A/B) have whole rows and columns of zero
 *   taps. `cropZeroTaps` finds the bounding box of the non-zero taps and runs the smaller
 *   kernel with the padding moved accordingly (a 3×3 mask-B layer becomes a 2×3 one, a 7×7
 *   mask-A layer 4×7), so the zeros are not multiplied. The result is the same sum without
 *   its zero terms — with one difference: a NaN or ±Inf in x that only zero taps would have
 *   multiplied no longer turns the output into NaN.
 *
 * The same routine computes ∂x of a stride-1 convolution (Conv2DBackpropInput: a stride-1
 * convolution of ∂y with the flipped, transposed filter) and the filter gradient
 * (Conv2DBackpropFilter: a convolution whose "images" are x's channels and whose "filter" is
 * ∂y, dilated by the stride); see conv2dBackpropInput.ts and conv2dBackpropFilter.ts.
 */
import * as tf from "@tensorflow/tfjs";
import { KernelArgs, TensorInfo, WasmBackendLike, heapF32, release, runOriginal } from "./wasmBackend";
import { im2col, type Im2colGeometry } from "./conv2dBackpropFilter";
import { transposeSimdConfig, transposeSimdFor } from "./transposeSimd";

/** A 2-D convolution's geometry with explicit padding (all pads ≥ 0). */
export interface ConvGeom {
  batch: number;
  inHeight: number;
  inWidth: number;
  inChannels: number;
  outChannels: number;
  filterHeight: number;
  filterWidth: number;
  strideHeight: number;
  strideWidth: number;
  dilationHeight: number;
  dilationWidth: number;
  padTop: number;
  padBottom: number;
  padLeft: number;
  padRight: number;
}

/** Switches for tests and benchmarks (all on by default). */
export const convConfig = {
  /** Skip zero border rows/columns of taps (masked convolutions). */
  cropZeroTaps: true,
  /** 1×1 stride-1 unpadded convolutions as one GEMM. */
  gemm1x1: true,
  /**
   * Use im2col + GEMM instead of XNNPACK's convolution when there are at most this many input
   * channels. Off (0): im2col in JavaScript costs more than XNNPACK loses on thin layers.
   */
  im2colMaxChannels: 0,
  /**
   * The convolution routes of the two gradients need this many channels: ∂W's convolution has
   * x's channels as its batch (too few and XNNPACK's set-up and packing of ∂y dominate), ∂x's
   * has x's channels as its outputs (a one-output-channel convolution runs slowly on XNNPACK).
   * Below it, the GEMM routes (im2col + GEMM, GEMM + col2im) are faster (measured).
   */
  minGradChannels: 8,
  /** Strided ∂x (and conv2dTranspose) as s_h·s_w stride-1 convolutions, one per output phase. */
  subpixel: true,
};

export function outSize(g: ConvGeom): [number, number] {
  const oh = Math.floor((g.inHeight + g.padTop + g.padBottom - g.dilationHeight * (g.filterHeight - 1) - 1) / g.strideHeight) + 1;
  const ow = Math.floor((g.inWidth + g.padLeft + g.padRight - g.dilationWidth * (g.filterWidth - 1) - 1) / g.strideWidth) + 1;
  return [oh, ow];
}

/** The geometry of tfjs conv attributes (computeConv2DInfo's padding, made explicit). */
export function geomFromInfo(info: tf.backend_util.Conv2DInfo): ConvGeom {
  return {
    batch: info.batchSize, inHeight: info.inHeight, inWidth: info.inWidth, inChannels: info.inChannels, outChannels: info.outChannels,
    filterHeight: info.filterHeight, filterWidth: info.filterWidth,
    strideHeight: info.strideHeight, strideWidth: info.strideWidth,
    dilationHeight: info.dilationHeight, dilationWidth: info.dilationWidth,
    padTop: info.padInfo.top, padBottom: info.padInfo.bottom, padLeft: info.padInfo.left, padRight: info.padInfo.right,
  };
}

/** Whether tap (i, j) of a [kh, kw, C, O] filter is all zeros. */
function tapIsZero(w: Float32Array, tap: number, size: number): boolean {
  const end = (tap + 1) * size;
  for (let k = tap * size; k < end; k++) if (w[k] !== 0) return false;
  return true;
}

/**
 * The bounding box [i0, i1) × [j0, j1) of the filter's non-zero taps, shrunk only as far as the
 * padding allows (cropping r rows off the top lowers the top padding by r·d_h, which must stay
 * ≥ 0; likewise for every side). Null when nothing can be cropped or every tap is zero.
 */
export function zeroTapCrop(w: Float32Array, g: ConvGeom): { i0: number; i1: number; j0: number; j1: number } | null {
  const { filterHeight: kh, filterWidth: kw } = g;
  const size = g.inChannels * g.outChannels;
  const rowZero = (i: number) => {
    for (let j = 0; j < kw; j++) if (!tapIsZero(w, i * kw + j, size)) return false;
    return true;
  };
  const colZero = (j: number, i0: number, i1: number) => {
    for (let i = i0; i < i1; i++) if (!tapIsZero(w, i * kw + j, size)) return false;
    return true;
  };
  let i0 = 0;
  let i1 = kh;
  const maxTop = Math.floor(g.padTop / g.dilationHeight);
  const maxBottom = Math.floor(g.padBottom / g.dilationHeight);
  while (i0 < kh && i0 < maxTop && rowZero(i0)) i0++;
  while (i1 > i0 + 1 && kh - i1 < maxBottom && rowZero(i1 - 1)) i1--;
  let j0 = 0;
  let j1 = kw;
  const maxLeft = Math.floor(g.padLeft / g.dilationWidth);
  const maxRight = Math.floor(g.padRight / g.dilationWidth);
  while (j0 < kw && j0 < maxLeft && colZero(j0, i0, i1)) j0++;
  while (j1 > j0 + 1 && kw - j1 < maxRight && colZero(j1 - 1, i0, i1)) j1--;
  if (i0 === 0 && i1 === kh && j0 === 0 && j1 === kw) return null;
  if (i0 >= i1 || j0 >= j1) return null;
  // Every tap zero: i0 stopped at the padding, not at a non-zero row. Then leave it alone.
  let any = false;
  for (let i = i0; i < i1 && !any; i++) for (let j = j0; j < j1 && !any; j++) any = !tapIsZero(w, i * kw + j, size);
  return any ? { i0, i1, j0, j1 } : null;
}

/** Copy taps [i0, i1) × [j0, j1) of a [kh, kw, C, O] filter into a new [i1−i0, j1−j0, C, O] tensor. */
function cropFilter(be: WasmBackendLike, filter: TensorInfo, g: ConvGeom, c: { i0: number; i1: number; j0: number; j1: number }): TensorInfo {
  const size = g.inChannels * g.outChannels;
  const kh2 = c.i1 - c.i0;
  const kw2 = c.j1 - c.j0;
  const out = be.makeOutput([kh2, kw2, g.inChannels, g.outChannels], "float32");
  const src = heapF32(be, filter);
  const dst = heapF32(be, out);
  for (let i = 0; i < kh2; i++) {
    const from = ((c.i0 + i) * g.filterWidth + c.j0) * size;
    dst.set(src.subarray(from, from + kw2 * size), i * kw2 * size);
  }
  return out;
}

/** A tensor info with another shape over the same data (a view: not released separately). */
function view(t: TensorInfo, shape: number[]): TensorInfo {
  return { dataId: t.dataId, shape, dtype: t.dtype } as TensorInfo;
}

/**
 * y = conv2d(x, filter) for the geometry g (x: [B, H, W, C], filter: [kh, kw, C, O], NHWC),
 * on the fastest path for its shape (see the file comment). Returns a new [B, OH, OW, O] tensor.
 */
export function convForward(be: WasmBackendLike, x: TensorInfo, filter: TensorInfo, g0: ConvGeom): TensorInfo {
  let g = g0;
  let f = filter;
  let ownFilter = false;
  if (convConfig.cropZeroTaps && g.filterHeight * g.filterWidth > 1) {
    const c = zeroTapCrop(heapF32(be, filter), g);
    if (c) {
      f = cropFilter(be, filter, g, c);
      ownFilter = true;
      g = {
        ...g,
        filterHeight: c.i1 - c.i0, filterWidth: c.j1 - c.j0,
        padTop: g.padTop - c.i0 * g.dilationHeight,
        padBottom: g.padBottom - (g.filterHeight - c.i1) * g.dilationHeight,
        padLeft: g.padLeft - c.j0 * g.dilationWidth,
        padRight: g.padRight - (g.filterWidth - c.j1) * g.dilationWidth,
      };
    }
  }
  try {
    const [oh, ow] = outSize(g);
    const { batch: B, inChannels: C, outChannels: O } = g;
    const K = g.filterHeight * g.filterWidth * C;
    const unpadded = g.padTop === 0 && g.padBottom === 0 && g.padLeft === 0 && g.padRight === 0;
    if (convConfig.gemm1x1 && g.filterHeight === 1 && g.filterWidth === 1 && g.strideHeight === 1 && g.strideWidth === 1 && unpadded) {
      const y = runOriginal("BatchMatMul", be, { a: view(x, [1, B * g.inHeight * g.inWidth, C]), b: view(f, [1, C, O]) }, { transposeA: false, transposeB: false });
      return view(y, [B, oh, ow, O]);
    }
    if (C <= convConfig.im2colMaxChannels) {
      const ig: Im2colGeometry = {
        inHeight: g.inHeight, inWidth: g.inWidth, inChannels: C, outHeight: oh, outWidth: ow,
        filterHeight: g.filterHeight, filterWidth: g.filterWidth, strideHeight: g.strideHeight, strideWidth: g.strideWidth,
        dilationHeight: g.dilationHeight, dilationWidth: g.dilationWidth, padTop: g.padTop, padLeft: g.padLeft,
      };
      const p = be.makeOutput([1, B * oh * ow, K], "float32");
      im2col(heapF32(be, x), 0, B, ig, heapF32(be, p));
      const y = runOriginal("BatchMatMul", be, { a: p, b: view(f, [1, K, O]) }, { transposeA: false, transposeB: false });
      release(be, p);
      return view(y, [B, oh, ow, O]);
    }
    return runOriginal("Conv2D", be, { x, filter: f }, {
      strides: [g.strideHeight, g.strideWidth],
      dilations: [g.dilationHeight, g.dilationWidth],
      pad: [[0, 0], [g.padTop, g.padBottom], [g.padLeft, g.padRight], [0, 0]],
      dataFormat: "NHWC",
    });
  } finally {
    if (ownFilter) release(be, f);
  }
}

/** Conv2D (NHWC) on the wasm backend via convForward; other layouts go to tfjs's kernel. */
export function conv2dWasm({ inputs, backend, attrs = {} }: KernelArgs): TensorInfo {
  const be = backend as WasmBackendLike;
  const { x, filter } = inputs;
  const dataFormat = (attrs.dataFormat as string | undefined) ?? "NHWC";
  if (dataFormat !== "NHWC" || x.dtype !== "float32" || filter.dtype !== "float32") return runOriginal("Conv2D", backend, inputs, attrs);
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    filter.shape as [number, number, number, number],
    attrs.strides as [number, number],
    (attrs.dilations as [number, number] | undefined) ?? 1,
    attrs.pad as "same" | "valid" | number,
    attrs.dimRoundingMode as "floor" | "round" | "ceil" | undefined,
    false,
    "channelsLast",
  );
  const g = geomFromInfo(info);
  const [oh, ow] = outSize(g);
  // Rounding modes that shrink the output below what the explicit pads give: tfjs's kernel.
  if (oh !== info.outHeight || ow !== info.outWidth || g.padTop < 0 || g.padBottom < 0 || g.padLeft < 0 || g.padRight < 0) {
    return runOriginal("Conv2D", backend, inputs, attrs);
  }
  return convForward(be, x, filter, g);
}

/**
 * dst[c, p, b] = src[b, p, c] for src [B, P, C] (x's channels become the batch of the filter
 * gradient's convolution). Tiled: 32 values of b at a time, so that the writes are contiguous
 * runs and the reads stay within a 32·C block (7 → ~1 ns per number for [25088, 1, 64]).
 */
export function transposeBPCtoCPB(src: Float32Array, B: number, P: number, C: number, dst: Float32Array): void {
  const TILE = 32;
  const PC = P * C;
  for (let p = 0; p < P; p++) {
    for (let b0 = 0; b0 < B; b0 += TILE) {
      const b1 = Math.min(B, b0 + TILE);
      for (let c = 0; c < C; c++) {
        let d = (c * P + p) * B + b0;
        let s = (b0 * P + p) * C + c;
        for (let b = b0; b < b1; b++, s += PC) dst[d++] = src[s];
      }
    }
  }
}

/**
 * transposeBPCtoCPB on the backend's heap: the 4×4 blocks by the SIMD transpose
 * (transposeSimd.ts), the last B mod 4 rows and C mod 4 columns in JavaScript; views not on
 * the wasm heap (or no SIMD) take the JavaScript loop. Same numbers either way.
 */
export function transposeHeap(be: WasmBackendLike, src: Float32Array, B: number, P: number, C: number, dst: Float32Array): void {
  const mem = (be as { wasm?: { asm?: { memory?: WebAssembly.Memory } } }).wasm?.asm?.memory;
  const fn = transposeSimdConfig.enabled && mem instanceof WebAssembly.Memory ? transposeSimdFor(mem) : null;
  if (!fn || !mem || src.buffer !== mem.buffer || dst.buffer !== mem.buffer || B < 4 || C < 4) {
    transposeBPCtoCPB(src, B, P, C, dst);
    return;
  }
  const B4 = B & ~3;
  const C4 = C & ~3;
  for (let p = 0; p < P; p++) fn(src.byteOffset + p * C * 4, P * C * 4, dst.byteOffset + p * B * 4, P * B * 4, B4, C4);
  const PB = P * B;
  for (let p = 0; p < P; p++) {
    for (let b = 0; b < B; b++) {
      const c0 = b < B4 ? C4 : 0;
      let s = (b * P + p) * C + c0;
      let d = (c0 * P + p) * B + b;
      for (let c = c0; c < C; c++, d += PB) dst[d] = src[s++];
    }
  }
}

/** dst[p, b, :] = src[b, p, :] for src [B, P, Q] (runs of Q numbers move whole). */
export function swapLeadingAxes(src: Float32Array, B: number, P: number, Q: number, dst: Float32Array): void {
  if (Q >= 16) {
    for (let b = 0; b < B; b++) {
      for (let p = 0; p < P; p++) {
        const s = (b * P + p) * Q;
        dst.set(src.subarray(s, s + Q), (p * B + b) * Q);
      }
    }
    return;
  }
  for (let b = 0; b < B; b++) {
    let s = b * P * Q;
    for (let p = 0; p < P; p++) {
      let d = (p * B + b) * Q;
      for (let q = 0; q < Q; q++) dst[d++] = src[s++];
    }
  }
}

/**
 * Conv2DBackpropFilter (NHWC) as one convolution on XNNPACK:
 *
 *   ∂W[i, j, c, o] = Σ_{h, w, b} x[b, h·s_h − p_t + i, w·s_w − p_l + j, c] · ∂y[b, h, w, o]
 *
 * is a convolution whose input is xᵀ = x as [C, H, W, B] (C "images" of B channels), whose
 * filter is ∂yᵀ = ∂y as [OH, OW, B, O], dilated by the stride (s_h, s_w), with padding p_t, p_l
 * on top and left, stride 1: its output at (c, i, j, o) is ∂W[i, j, c, o]. Bottom/right padding
 * is chosen so that the output has kh × kw pixels (more when the forward convolution never read
 * x's last rows; those extra outputs are dropped). Costs two transposes of x and ∂y, no im2col
 * matrix. Measured 15.4 → 4.4 ms for the conv VAE's 16→32 layer (B = 128) and 24.8 → 7.4 ms for
 * a one-channel 7×7 layer (B = 32). Falls back to `fallback` (im2col + GEMM) for shapes it does
 * not cover.
 */
export function conv2dBackpropFilterConv(args: KernelArgs, fallback: (a: KernelArgs) => TensorInfo): TensorInfo {
  const { inputs, backend, attrs = {} } = args;
  const be = backend as WasmBackendLike;
  const { x, dy } = inputs;
  const filterShape = attrs.filterShape as [number, number, number, number];
  const dataFormat = (attrs.dataFormat as string | undefined) ?? "NHWC";
  if (dataFormat !== "NHWC" || x.dtype !== "float32" || dy.dtype !== "float32") return fallback(args);
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number], filterShape, attrs.strides as [number, number], 1,
    attrs.pad as "same" | "valid" | number, attrs.dimRoundingMode as "floor" | "round" | "ceil" | undefined, false, "channelsLast",
  );
  const g = geomFromInfo(info);
  const { batch: B, inHeight: H, inWidth: W, inChannels: C, outChannels: O, filterHeight: kh, filterWidth: kw } = g;
  const OH = info.outHeight;
  const OW = info.outWidth;
  if (dy.shape[0] !== B || dy.shape[1] !== OH || dy.shape[2] !== OW || dy.shape[3] !== O) {
    throw new Error(`Conv2DBackpropFilter (latentlab wasm kernel): dy has shape [${dy.shape}], expected [${B}, ${OH}, ${OW}, ${O}] for x [${x.shape}] and filter [${filterShape}].`);
  }
  if (g.padTop < 0 || g.padLeft < 0 || B * H * W * C === 0 || B * OH * OW * O === 0) return fallback(args);
  const unpadded = g.padTop === 0 && g.padBottom === 0 && g.padLeft === 0 && g.padRight === 0;
  if (kh === 1 && kw === 1 && g.strideHeight === 1 && g.strideWidth === 1 && unpadded) return backpropFilter1x1(be, x, dy, B * H * W, C, O, filterShape);
  if (C < convConfig.minGradChannels) return fallback(args);
  // Bottom/right padding giving kh (kw) outputs; negative means rows the forward pass never read.
  const pb = kh + (OH - 1) * g.strideHeight - H - g.padTop;
  const pr = kw + (OW - 1) * g.strideWidth - W - g.padLeft;
  const ohT = kh + Math.max(0, -pb);
  const owT = kw + Math.max(0, -pr);
  const xT = be.makeOutput([C, H, W, B], "float32");
  const dyT = be.makeOutput([OH, OW, B, O], "float32");
  transposeHeap(be, heapF32(be, x), B, H * W, C, heapF32(be, xT));
  swapLeadingAxes(heapF32(be, dy), B, OH * OW, O, heapF32(be, dyT));
  const gT: ConvGeom = {
    batch: C, inHeight: H, inWidth: W, inChannels: B, outChannels: O,
    filterHeight: OH, filterWidth: OW, strideHeight: 1, strideWidth: 1,
    dilationHeight: g.strideHeight, dilationWidth: g.strideWidth,
    padTop: g.padTop, padBottom: Math.max(0, pb), padLeft: g.padLeft, padRight: Math.max(0, pr),
  };
  const [oh, ow] = outSize(gT);
  if (oh !== ohT || ow !== owT) {
    release(be, xT);
    release(be, dyT);
    return fallback(args);
  }
  // XNNPACK's convolution directly (cropping and the GEMM paths do not apply to this shape).
  const yT = runOriginal("Conv2D", be, { x: xT, filter: dyT }, {
    strides: [1, 1], dilations: [gT.dilationHeight, gT.dilationWidth],
    pad: [[0, 0], [gT.padTop, gT.padBottom], [gT.padLeft, gT.padRight], [0, 0]], dataFormat: "NHWC",
  });
  release(be, xT);
  release(be, dyT);
  // yT [C, ohT, owT, O] → ∂W [kh, kw, C, O] (rows i < kh, columns j < kw).
  const out = be.makeOutput(filterShape, "float32");
  const src = heapF32(be, yT);
  const dst = heapF32(be, out);
  for (let c = 0; c < C; c++) {
    for (let i = 0; i < kh; i++) {
      for (let j = 0; j < kw; j++) {
        const s = ((c * ohT + i) * owT + j) * O;
        dst.set(src.subarray(s, s + O), ((i * kw + j) * C + c) * O);
      }
    }
  }
  release(be, yT);
  return out;
}

/** Rows per chunk of the 1×1 filter gradient: each chunk operand within ~512 KB (about L2). */
export const gemmChunk = { maxFloats: 1 << 17, singleRows: 16384 };

/**
 * ∂W of a 1×1 stride-1 convolution: ∂W = xᵀ·∂y = Σ_chunks x_chunkᵀ · ∂y_chunk over chunks of
 * R rows. One GEMM over all B·H·W rows runs XNNPACK's microkernel along a reduction of 50,000
 * numbers with no cache blocking (measured 2.9 GFLOPS for [32, 50176]·[50176, 64]); chunks
 * keep both operands in cache. Chunk results are summed in float32, in chunk order.
 */
function backpropFilter1x1(be: WasmBackendLike, x: TensorInfo, dy: TensorInfo, rows: number, C: number, O: number, filterShape: number[]): TensorInfo {
  // One chunk when the reduction is short enough (each chunk costs an XNNPACK operator and a packing).
  const R = rows <= gemmChunk.singleRows ? rows : Math.max(64, Math.floor(gemmChunk.maxFloats / Math.max(C, O)));
  const out = be.makeOutput(filterShape, "float32");
  const xc = be.makeOutput([1, C, Math.min(R, rows)], "float32");
  let dyc: TensorInfo | null = null;
  try {
    for (let r0 = 0; r0 < rows; r0 += R) {
      const n = Math.min(R, rows - r0);
      const a: TensorInfo = n === R || r0 === 0 ? view(xc, [1, C, n]) : be.makeOutput([1, C, n], "float32");
      transposeHeap(be, heapF32(be, x).subarray(r0 * C, (r0 + n) * C), n, 1, C, heapF32(be, a));
      if (dyc) release(be, dyc);
      dyc = null;
      let b: TensorInfo;
      if (n === rows) b = view(dy, [1, n, O]);
      else {
        b = dyc = be.makeOutput([1, n, O], "float32");
        heapF32(be, dyc).set(heapF32(be, dy).subarray(r0 * O, (r0 + n) * O));
      }
      const prod = runOriginal("BatchMatMul", be, { a, b }, { transposeA: false, transposeB: false });
      if (a.dataId !== xc.dataId) release(be, a);
      const pr = heapF32(be, prod);
      const acc = heapF32(be, out);
      if (r0 === 0) acc.set(pr);
      else for (let i = 0; i < acc.length; i++) acc[i] += pr[i];
      release(be, prod);
    }
  } finally {
    release(be, xc);
    if (dyc) release(be, dyc);
  }
  return out;
}

/**
 * Conv2DBackpropInput (NHWC) for stride 1 as a convolution on XNNPACK (via convForward, so
 * 1×1 layers are one GEMM and masked filters skip their zero taps):
 *
 *   ∂x[b, h', w', c] = Σ_{i', j', o} ∂y[b, h' + i' − (kh−1−p_t), w' + j' − (kw−1−p_l), o] · W[kh−1−i', kw−1−j', c, o]
 *
 * i.e. ∂y convolved with the filter flipped in space and transposed in channels, padding
 * kh−1−p_t on top (likewise for every side). Strided layers (and anything else it does not
 * cover) go to `fallback` (GEMM + col2im).
 */
export function conv2dBackpropInputConv(args: KernelArgs, fallback: (a: KernelArgs) => TensorInfo): TensorInfo {
  const { inputs, backend, attrs = {} } = args;
  const be = backend as WasmBackendLike;
  const { dy, filter } = inputs;
  const dataFormat = (attrs.dataFormat as string | undefined) ?? "NHWC";
  if (dataFormat !== "NHWC" || dy.dtype !== "float32" || filter.dtype !== "float32") return fallback(args);
  const inputShape = attrs.inputShape as [number, number, number, number];
  const info = tf.backend_util.computeConv2DInfo(
    inputShape, filter.shape as [number, number, number, number], attrs.strides as [number, number], 1,
    attrs.pad as "same" | "valid" | number, attrs.dimRoundingMode as "floor" | "round" | "ceil" | undefined, false, "channelsLast",
  );
  const g = geomFromInfo(info);
  if (g.inChannels < convConfig.minGradChannels) return fallback(args);
  if (g.strideHeight !== 1 || g.strideWidth !== 1) {
    if (dy.shape[0] !== g.batch || dy.shape[1] !== info.outHeight || dy.shape[2] !== info.outWidth || dy.shape[3] !== g.outChannels) {
      throw new Error(`Conv2DBackpropInput (latentlab wasm kernel): dy has shape [${dy.shape}], expected [${g.batch}, ${info.outHeight}, ${info.outWidth}, ${g.outChannels}] for input [${inputShape}] and filter [${filter.shape}].`);
    }
    return convConfig.subpixel ? (backpropInputSubpixel(be, dy, filter, g, info.outHeight, info.outWidth) ?? fallback(args)) : fallback(args);
  }
  const { batch: B, inChannels: C, outChannels: O, filterHeight: kh, filterWidth: kw } = g;
  if (dy.shape[0] !== B || dy.shape[1] !== info.outHeight || dy.shape[2] !== info.outWidth || dy.shape[3] !== O) {
    throw new Error(`Conv2DBackpropInput (latentlab wasm kernel): dy has shape [${dy.shape}], expected [${B}, ${info.outHeight}, ${info.outWidth}, ${O}] for input [${inputShape}] and filter [${filter.shape}].`);
  }
  const gT: ConvGeom = {
    batch: B, inHeight: info.outHeight, inWidth: info.outWidth, inChannels: O, outChannels: C,
    filterHeight: kh, filterWidth: kw, strideHeight: 1, strideWidth: 1, dilationHeight: 1, dilationWidth: 1,
    padTop: kh - 1 - g.padTop, padBottom: kh - 1 - g.padBottom, padLeft: kw - 1 - g.padLeft, padRight: kw - 1 - g.padRight,
  };
  const [oh, ow] = outSize(gT);
  if (gT.padTop < 0 || gT.padBottom < 0 || gT.padLeft < 0 || gT.padRight < 0 || oh !== g.inHeight || ow !== g.inWidth || B * C * O === 0) return fallback(args);
  // W'[i', j', o, c] = W[kh−1−i', kw−1−j', c, o].
  const wT = be.makeOutput([kh, kw, O, C], "float32");
  const src = heapF32(be, filter);
  const dst = heapF32(be, wT);
  for (let i = 0; i < kh; i++) {
    for (let j = 0; j < kw; j++) {
      const s0 = ((kh - 1 - i) * kw + (kw - 1 - j)) * C * O;
      const d0 = (i * kw + j) * O * C;
      for (let c = 0; c < C; c++) {
        let s = s0 + c * O;
        let d = d0 + c;
        for (let o = 0; o < O; o++, d += C) dst[d] = src[s++];
      }
    }
  }
  try {
    return convForward(be, dy, wT, gT);
  } finally {
    release(be, wT);
  }
}

/** One output phase of a strided ∂x: which rows (columns) it fills and its stride-1 convolution. */
interface Phase1D {
  /** Filter taps of this phase: i = p + s·(M − 1 − m') for m' = 0 … M − 1. */
  taps: number[];
  /** First ∂y index u0 and the number of outputs U; output t is row s·(u0 + t) − pad + p. */
  u0: number;
  count: number;
  /** Leading outputs of the convolution to drop (output skip + t is the phase's output t). */
  skip: number;
  padBefore: number;
  padAfter: number;
  /** Outputs the stride-1 convolution produces (≥ count; the rest are dropped). */
  produced: number;
}

/** Rows y = s·u − pad + p (0 ≤ y < size) for each phase p, with the stride-1 convolution that computes them. */
function phases1D(size: number, outSize: number, k: number, s: number, pad: number): Phase1D[] | null {
  const out: Phase1D[] = [];
  for (let p = 0; p < s; p++) {
    const M = p < k ? Math.ceil((k - p) / s) : 0;
    const u0 = Math.max(0, Math.ceil((pad - p) / s));
    const u1 = Math.floor((size - 1 + pad - p) / s);
    const count = Math.max(0, u1 - u0 + 1);
    const taps = Array.from({ length: M }, (_, m) => p + s * (M - 1 - m));
    // Output j of a stride-1 convolution padded by padBefore reads ∂y from j − padBefore on;
    // output t of the phase needs u0 + t − (M − 1): j = t + skip.
    const padBefore = Math.max(0, M - 1 - u0);
    const skip = u0 - (M - 1) + padBefore;
    const padAfter = Math.max(0, skip + count + M - 1 - outSize - padBefore);
    const produced = outSize + padBefore + padAfter - M + 1;
    if (count > 0 && M > 0 && produced < skip + count) return null;
    out.push({ taps, u0, count, skip, padBefore, padAfter, produced });
  }
  return out;
}

/**
 * Strided ∂x (the forward pass of conv2dTranspose) as one stride-1 convolution per output phase
 * ("sub-pixel" decomposition): output rows y with (y + p_t) mod s_h = p get contributions only from
 * the taps i ≡ p (mod s_h),
 *
 *   ∂x[y] = Σ_m ∂y[u − m] · W[p + s_h·m],   y = s_h·u − p_t + p,
 *
 * a stride-1 convolution of ∂y with the sub-filter of those taps (flipped, channels transposed);
 * likewise for columns. Each phase runs on XNNPACK via convForward, and its outputs are
 * interleaved into ∂x. Null when the geometry does not fit (the caller falls back).
 */
function backpropInputSubpixel(be: WasmBackendLike, dy: TensorInfo, filter: TensorInfo, g: ConvGeom, OH: number, OW: number): TensorInfo | null {
  const { batch: B, inHeight: H, inWidth: W, inChannels: C, outChannels: O, filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw } = g;
  const rows = phases1D(H, OH, kh, sh, g.padTop);
  const cols = phases1D(W, OW, kw, sw, g.padLeft);
  if (!rows || !cols) return null;
  const dx = be.makeOutput([B, H, W, C], "float32");
  heapF32(be, dx).fill(0);
  for (let py = 0; py < sh; py++) {
    const r = rows[py];
    if (r.count === 0 || r.taps.length === 0) continue;
    for (let px = 0; px < sw; px++) {
      const c = cols[px];
      if (c.count === 0 || c.taps.length === 0) continue;
      const My = r.taps.length;
      const Mx = c.taps.length;
      // F[m'y, m'x, o, ci] = W[taps_y[m'y], taps_x[m'x], ci, o].
      const f = be.makeOutput([My, Mx, O, C], "float32");
      const src = heapF32(be, filter);
      const dst = heapF32(be, f);
      for (let a = 0; a < My; a++) {
        for (let b = 0; b < Mx; b++) {
          const s0 = (r.taps[a] * kw + c.taps[b]) * C * O;
          const d0 = (a * Mx + b) * O * C;
          for (let ci = 0; ci < C; ci++) {
            let si = s0 + ci * O;
            let di = d0 + ci;
            for (let o = 0; o < O; o++, di += C) dst[di] = src[si++];
          }
        }
      }
      const gp: ConvGeom = {
        batch: B, inHeight: OH, inWidth: OW, inChannels: O, outChannels: C,
        filterHeight: My, filterWidth: Mx, strideHeight: 1, strideWidth: 1, dilationHeight: 1, dilationWidth: 1,
        padTop: r.padBefore, padBottom: r.padAfter, padLeft: c.padBefore, padRight: c.padAfter,
      };
      let y: TensorInfo;
      try {
        y = convForward(be, dy, f, gp);
      } finally {
        release(be, f);
      }
      // Interleave: output (t, q) of this phase → ∂x row sh·(u0 + t) − p_t + py, column sw·(u0' + q) − p_l + px.
      const ys = heapF32(be, y);
      const xs = heapF32(be, dx);
      const PH = r.produced;
      const PW = c.produced;
      for (let b = 0; b < B; b++) {
        for (let t = 0; t < r.count; t++) {
          const row = sh * (r.u0 + t) - g.padTop + py;
          let si = ((b * PH + r.skip + t) * PW + c.skip) * C;
          let di = ((b * H + row) * W + (sw * c.u0 - g.padLeft + px)) * C;
          const step = sw * C;
          for (let q = 0; q < c.count; q++, si += C, di += step) {
            for (let ci = 0; ci < C; ci++) xs[di + ci] = ys[si + ci];
          }
        }
      }
      release(be, y);
    }
  }
  return dx;
}
