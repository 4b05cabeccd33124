/**
 * Rate and distortion of a VQ-VAE (lecture 002, "direct rate-distortion evaluation"):
 *
 *   rate with a uniform prior over codes:   R = h · w · log2 K   bits per image
 *   rate with a learned prior P_Φ(z):       R = −log2 P_Φ(z[X, Y])   (PixelCNN, next notebook)
 *   distortion:                             MSE per pixel, or MSE / Var(s)
 *   compression factor against raw pixels:  (H · W · C · 8 bits) / R
 *
 * and the reason a learned prior lowers the rate (lecture 003, "spatial tokens are not
 * independent"): the mutual information between neighbouring codes, I(z[x, y]; z[x+1, y]).
 */

function checkPositiveInt(v: unknown, name: string, where: string): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < 1) throw new RangeError(`${where}: ${name} must be a positive integer, got ${String(v)}.`);
  return v;
}

/** h · w · log2 K: the bits of one code map when every code is equally likely (a uniform prior). */
export function codeBitsUniform(K: number, h: number, w: number): number {
  checkPositiveInt(K, "K", "codeBitsUniform");
  if (K < 2) throw new RangeError(`codeBitsUniform: K = ${K}; a codebook needs K ≥ 2 codes (one code carries 0 bits).`);
  return checkPositiveInt(h, "h", "codeBitsUniform") * checkPositiveInt(w, "w", "codeBitsUniform") * Math.log2(K);
}

/** Raw bits of an image: height · width · channels · bitsPerValue (8 for 8-bit pixels). */
export function rawImageBits(height: number, width: number, channels = 1, bitsPerValue = 8): number {
  return checkPositiveInt(height, "height", "rawImageBits") * checkPositiveInt(width, "width", "rawImageBits") * checkPositiveInt(channels, "channels", "rawImageBits") * bitsPerValue;
}

/** How many times fewer bits the code map needs than the raw image. */
export function compressionFactor(rawBits: number, codeBits: number): number {
  if (!(rawBits > 0) || !(codeBits > 0)) throw new RangeError(`compressionFactor: both bit counts must be > 0, got ${rawBits} and ${codeBits}.`);
  return rawBits / codeBits;
}

/**
 * Bits per image under a learned prior, from its negative log-likelihoods −log P(z) in nats
 * (one per code map): the mean of −log2 P(z) = nats / ln 2. The hook for notebook 11's PixelCNN.
 */
export function bitsFromPriorNats(natsPerImage: ArrayLike<number>): number {
  if (natsPerImage.length === 0) throw new RangeError("bitsFromPriorNats: no log-likelihoods given.");
  let s = 0;
  for (let i = 0; i < natsPerImage.length; i++) {
    if (!Number.isFinite(natsPerImage[i]) || natsPerImage[i] < 0) throw new RangeError(`bitsFromPriorNats: −log P(z) of map ${i} is ${natsPerImage[i]}; it must be a finite number ≥ 0 (nats).`);
    s += natsPerImage[i];
  }
  return s / natsPerImage.length / Math.LN2;
}

/**
 * The ratios of VQ-VAE-2's figure 3 (lecture 002: latent maps "approximately 3072×, 768×, 192×
 * smaller than the original image"): values of a 1024×1024×3 image against the codes of its
 * 32×32, 64×64 and 128×128 maps (one code per position, the paper's counting).
 */
export function vqvae2LatentRatios(imageSide = 1024, channels = 3, mapSides: number[] = [32, 64, 128]): number[] {
  return mapSides.map((s) => (imageSide * imageSide * channels) / (s * s));
}

export interface MutualInformation {
  nats: number;
  bits: number;
}

export interface NeighbourMI {
  /** I(z[x, y]; z[x+1, y]) over all horizontally adjacent pairs of all maps (plug-in). */
  horizontal: MutualInformation;
  /** I(z[x, y]; z[x, y+1]) over vertically adjacent pairs. */
  vertical: MutualInformation;
  /**
   * The same estimator on pairs whose second code comes from the NEXT map (image i+1 mod n) at
   * the neighbouring position: the same marginals and the same positions, but no within-image
   * dependence. What remains is the estimator's bias plus what the position alone tells
   * (e.g. border positions are mostly background); the excess over it is within-image dependence.
   */
  baseline: { horizontal: MutualInformation; vertical: MutualInformation };
  /** Pairs counted per direction. */
  pairs: { horizontal: number; vertical: number };
  /** Miller–Madow-style first-order bias of the plug-in MI, (B_ab − B_a − B_b + 1) / (2N) nats, per direction. */
  biasEstimate: { horizontal: number; vertical: number };
  /** The entropy H(z) of one code (nats): MI ≤ H(z) ≤ log K. */
  codeEntropyNats: number;
  note: string;
}

function plugInMI(a: Int32Array, b: Int32Array, K: number): { mi: number; bias: number } {
  const N = a.length;
  const joint = new Map<number, number>();
  const pa = new Float64Array(K);
  const pb = new Float64Array(K);
  for (let i = 0; i < N; i++) {
    pa[a[i]]++;
    pb[b[i]]++;
    const key = a[i] * K + b[i];
    joint.set(key, (joint.get(key) ?? 0) + 1);
  }
  let mi = 0;
  for (const [key, c] of joint) {
    const i = Math.floor(key / K);
    const j = key % K;
    mi += (c / N) * Math.log((c * N) / (pa[i] * pb[j]));
  }
  const nz = (p: Float64Array) => p.reduce((s, v) => s + (v > 0 ? 1 : 0), 0);
  return { mi: Math.max(mi, 0), bias: (joint.size - nz(pa) - nz(pb) + 1) / (2 * N) };
}

const mi = (nats: number): MutualInformation => ({ nats, bits: nats / Math.LN2 });

/**
 * Plug-in mutual information between neighbouring codes of code maps `codes` (n maps of
 * height × width, row-major: index (i·height + y)·width + x), in nats and bits:
 *   I = Σ_{a,b} p̂(a, b) log( p̂(a, b) / (p̂(a) p̂(b)) ),
 * p̂ the empirical frequencies of (left, right) or (upper, lower) pairs pooled over positions
 * and maps. Independent codes give I = 0; the plug-in estimate is biased upwards by about
 * (B_ab − B_a − B_b + 1) / (2N) nats (B = occupied cells, N pairs), which `baseline` measures
 * directly. A dependence well above the baseline is what a joint (autoregressive) prior exploits.
 */
export function neighbourMutualInformation(codes: Int32Array, K: number, height: number, width: number): NeighbourMI {
  if (!(codes instanceof Int32Array)) throw new TypeError(`neighbourMutualInformation: codes must be an Int32Array of code maps, got ${Object.prototype.toString.call(codes)}.`);
  checkPositiveInt(K, "K", "neighbourMutualInformation");
  if (K < 2) throw new RangeError(`neighbourMutualInformation: K = ${K} must be ≥ 2.`);
  checkPositiveInt(height, "height", "neighbourMutualInformation");
  checkPositiveInt(width, "width", "neighbourMutualInformation");
  const hw = height * width;
  const n = codes.length / hw;
  if (!Number.isInteger(n) || n < 2) throw new RangeError(`neighbourMutualInformation: ${codes.length} codes is not a multiple (≥ 2 maps) of ${height} × ${width} = ${hw} per map.`);
  if (width < 2 || height < 2) throw new RangeError(`neighbourMutualInformation: maps of ${height} × ${width} have no horizontal or no vertical neighbours.`);
  for (let i = 0; i < codes.length; i++) if (!(codes[i] >= 0 && codes[i] < K)) throw new RangeError(`neighbourMutualInformation: code ${codes[i]} at position ${i} is not in [0, ${K}).`);
  const nh = n * height * (width - 1);
  const nv = n * (height - 1) * width;
  const pairs = (dx: number, dy: number, other: boolean) => {
    const a = new Int32Array(dx ? nh : nv);
    const b = new Int32Array(a.length);
    let t = 0;
    for (let i = 0; i < n; i++) {
      const j = other ? (i + 1) % n : i;
      for (let y = 0; y + dy < height; y++) for (let x = 0; x + dx < width; x++) {
        a[t] = codes[i * hw + y * width + x];
        b[t++] = codes[j * hw + (y + dy) * width + x + dx];
      }
    }
    return plugInMI(a, b, K);
  };
  const h = pairs(1, 0, false);
  const v = pairs(0, 1, false);
  const hb = pairs(1, 0, true);
  const vb = pairs(0, 1, true);
  const counts = new Float64Array(K);
  for (let i = 0; i < codes.length; i++) counts[codes[i]]++;
  let H = 0;
  for (let k = 0; k < K; k++) if (counts[k] > 0) H -= (counts[k] / codes.length) * Math.log(counts[k] / codes.length);
  return {
    horizontal: mi(h.mi),
    vertical: mi(v.mi),
    baseline: { horizontal: mi(hb.mi), vertical: mi(vb.mi) },
    pairs: { horizontal: nh, vertical: nv },
    biasEstimate: { horizontal: h.bias, vertical: v.bias },
    codeEntropyNats: H,
    note:
      "Plug-in estimates are biased upwards (about (B_ab − B_a − B_b + 1)/(2N) nats for N pairs); " +
      "`baseline` pairs codes of different images at the same positions, which keeps the marginals and the position effects and removes the within-image dependence: compare against it, not against 0.",
  };
}
