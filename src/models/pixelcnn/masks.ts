/**
 * Masks of the masked convolutions of PixelCNN (lecture 001, "Factorized models for images":
 * "represent the conditional distribution as a convolution layer … implemented by applying a
 * mask, zeroing out 'future' pixels").
 *
 * Pixels are ordered in raster order (row by row, left to right), so that
 *
 *   p(x) = Π_{i=1}^{n²} p(x_i | x_1, …, x_{i−1}).
 *
 * A k×k kernel centred on pixel i may only see pixels before i: every tap in the rows above the
 * centre, and the taps left of the centre in the centre row. Mask **A** (the first layer)
 * also excludes the centre, since the output at i predicts x_i itself; mask **B** (every later
 * layer) includes it, since the centre's features already depend only on x_<i. The lecture's
 * 5×5 mask is mask A:
 *
 *   1 1 1 1 1
 *   1 1 1 1 1
 *   1 1 0 0 0
 *   0 0 0 0 0
 *   0 0 0 0 0
 *
 * Multi-channel (colour) masks: with `colorGroups` = G > 1, the input and output channels are
 * split into G consecutive groups (R, G, B for G = 3), the colour channels of one pixel are
 * ordered too, and at the centre tap output group g sees input groups < g (mask A) or ≤ g
 * (mask B); off-centre taps follow the spatial mask for every channel pair (van den Oord et
 * al. 2016, "Pixel Recurrent Neural Networks", section 3.4).
 */

export type MaskType = "A" | "B";

function checkKernel(k: number, where: string): void {
  if (!Number.isInteger(k) || k < 1 || k % 2 !== 1) {
    throw new Error(`${where}: the kernel size must be an odd positive integer (1, 3, 5, 7, …), got ${String(k)}.`);
  }
}

function checkType(type: unknown, where: string): asserts type is MaskType {
  if (type !== "A" && type !== "B") throw new Error(`${where}: the mask type must be "A" (centre excluded) or "B" (centre included), got ${JSON.stringify(type)}.`);
}

/**
 * The spatial mask of a k×k masked convolution as rows of 0/1 (row 0 at the top):
 * m[r][c] = 1 when tap (r, c) comes before the centre in raster order, or is the centre and
 * the type is "B".
 */
export function spatialMask(kernelSize: number, type: MaskType): number[][] {
  checkKernel(kernelSize, "spatialMask");
  checkType(type, "spatialMask");
  const c = (kernelSize - 1) / 2;
  const m: number[][] = [];
  for (let r = 0; r < kernelSize; r++) {
    const row: number[] = [];
    for (let q = 0; q < kernelSize; q++) row.push(r < c || (r === c && (q < c || (q === c && type === "B"))) ? 1 : 0);
    m.push(row);
  }
  return m;
}

/** The 5×5 mask printed on lecture 001's slide (mask A: the centre and every later pixel zeroed). */
export function lectureMask5x5(): number[][] {
  return spatialMask(5, "A");
}

export interface ConvMaskOptions {
  inChannels: number;
  outChannels: number;
  /** Colour groups G (default 1: one colour, every channel of a pixel sees the same pixels). */
  colorGroups?: number;
}

/** The colour group (0 … G−1) of channel `ch` out of `n` channels split into G consecutive groups. */
export function channelGroup(ch: number, n: number, groups: number): number {
  return Math.floor((ch * groups) / n);
}

/**
 * The full mask of a masked convolution, laid out like a TensorFlow.js conv2d filter
 * [k, k, inChannels, outChannels] (flattened in that order): the spatial mask for every
 * channel pair, and at the centre tap the colour rule described at the top of this file.
 * With one colour group, mask A's centre is 0 and mask B's centre is 1 for every channel pair.
 */
export function convMask(kernelSize: number, type: MaskType, opts: ConvMaskOptions): Float32Array {
  checkKernel(kernelSize, "convMask");
  checkType(type, "convMask");
  const { inChannels: cin, outChannels: cout } = opts ?? ({} as ConvMaskOptions);
  const G = opts?.colorGroups ?? 1;
  for (const [name, v] of [["inChannels", cin], ["outChannels", cout], ["colorGroups", G]] as const) {
    if (!Number.isInteger(v) || v < 1) throw new Error(`convMask: ${name} must be a positive integer, got ${String(v)}.`);
  }
  if (G > 1 && (cin % G !== 0 || cout % G !== 0)) {
    // Mask A's first layer sees the raw image: its input channels are the G colours themselves.
    throw new Error(`convMask: with ${G} colour groups, inChannels (${cin}) and outChannels (${cout}) must be multiples of ${G}.`);
  }
  const s = spatialMask(kernelSize, "A");
  const c = (kernelSize - 1) / 2;
  const out = new Float32Array(kernelSize * kernelSize * cin * cout);
  for (let r = 0; r < kernelSize; r++) {
    for (let q = 0; q < kernelSize; q++) {
      const centre = r === c && q === c;
      for (let i = 0; i < cin; i++) {
        const gi = channelGroup(i, cin, G);
        for (let o = 0; o < cout; o++) {
          let v: number;
          if (!centre) v = s[r][q];
          else {
            const go = channelGroup(o, cout, G);
            v = type === "A" ? (gi < go ? 1 : 0) : gi <= go ? 1 : 0;
          }
          out[((r * kernelSize + q) * cin + i) * cout + o] = v;
        }
      }
    }
  }
  return out;
}

/**
 * The masks of the gated PixelCNN's two stacks (van den Oord et al. 2016, "Conditional Image
 * Generation with PixelCNN Decoders", section 2.2), as k×k spatial masks:
 *
 * - vertical: every row above the centre row, and (`includeCentreRow`) the centre row itself;
 *   the first layer excludes the centre row so that the vertical stack at row r sees only
 *   rows < r, and later layers may then include it;
 * - horizontal: the centre row only, taps left of the centre, and the centre when the type
 *   is "B" (every layer after the first).
 *
 * Together they cover every earlier pixel (no blind spot): the vertical stack sees a widening
 * cone of rows above, the horizontal stack everything to the left in the current row.
 */
export function gatedStackMask(kernelSize: number, stack: "vertical" | "horizontal", first: boolean): number[][] {
  checkKernel(kernelSize, "gatedStackMask");
  if (stack !== "vertical" && stack !== "horizontal") throw new Error(`gatedStackMask: stack must be "vertical" or "horizontal", got ${JSON.stringify(stack)}.`);
  const c = (kernelSize - 1) / 2;
  const m: number[][] = [];
  for (let r = 0; r < kernelSize; r++) {
    const row: number[] = [];
    for (let q = 0; q < kernelSize; q++) {
      let v: boolean;
      if (stack === "vertical") v = r < c || (r === c && !first);
      else v = r === c && (q < c || (q === c && !first));
      row.push(v ? 1 : 0);
    }
    m.push(row);
  }
  return m;
}

/** A spatial mask repeated over channel pairs, in conv2d filter layout [k, k, cin, cout]. */
export function expandSpatialMask(mask: number[][], inChannels: number, outChannels: number): Float32Array {
  const k = mask.length;
  const out = new Float32Array(k * k * inChannels * outChannels);
  for (let r = 0; r < k; r++) {
    for (let q = 0; q < k; q++) {
      if (!mask[r][q]) continue;
      const base = (r * k + q) * inChannels * outChannels;
      out.fill(1, base, base + inChannels * outChannels);
    }
  }
  return out;
}
