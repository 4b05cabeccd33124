/**
 * A procedurally generated dSprites-like dataset (after Matthey et al. 2017, used by Higgins
 * et al. 2017 for β-VAE) with known generative factors, for the disentanglement part of
 * lecture 002:
 *
 *   shape ∈ {square, ellipse, heart},  scale,  rotation,  position x,  position y,
 *
 * each on a small grid of values; every combination renders to one binary image. The real
 * dSprites is 64×64 with 3·6·40·32·32 images; ours defaults to 32×32 with 3·6·10·10·10 so it
 * is generated in milliseconds and needs no download.
 */
import { Rng } from "../runtime/rng";
import { ImageDataset } from "./mnist";

export const DSPRITES_FACTOR_NAMES = ["shape", "scale", "rotation", "posX", "posY"] as const;
export const DSPRITES_SHAPES = ["square", "ellipse", "heart"] as const;

export interface DspritesSpec {
  /** Image side in pixels (default 32). */
  size: number;
  /** Number of values of each factor: [shape (≤ 3), scale, rotation, posX, posY]. */
  factorSizes: [number, number, number, number, number];
}

export const DEFAULT_DSPRITES_SPEC: DspritesSpec = { size: 32, factorSizes: [3, 6, 10, 10, 10] };

export interface DspritesDataset extends ImageDataset {
  /** Factor indices, count×5 row-major (shape, scale, rotation, posX, posY). */
  readonly factors: Int32Array;
  readonly spec: DspritesSpec;
}

function checkSpec(s: DspritesSpec): void {
  if (!Number.isInteger(s.size) || s.size < 8) throw new Error(`dSprites: size must be an integer ≥ 8, got ${s.size}.`);
  if (s.factorSizes.length !== 5 || s.factorSizes.some((k) => !Number.isInteger(k) || k < 1)) {
    throw new Error(`dSprites: factorSizes must be 5 positive integers (shape, scale, rotation, posX, posY), got ${JSON.stringify(s.factorSizes)}.`);
  }
  if (s.factorSizes[0] > 3) throw new Error(`dSprites: at most 3 shapes, got ${s.factorSizes[0]}.`);
}

/** The continuous factor values of factor indices: scale in [0.5, 1], angle in [0, 2π), centre in pixels. */
export function dspriteFactorValues(idx: ArrayLike<number>, spec: DspritesSpec = DEFAULT_DSPRITES_SPEC) {
  const [ns, nsc, nr, nx, ny] = spec.factorSizes;
  const frac = (i: number, n: number) => (n === 1 ? 0.5 : i / (n - 1));
  for (let f = 0; f < 5; f++) {
    if (!Number.isInteger(idx[f]) || idx[f] < 0 || idx[f] >= spec.factorSizes[f]) {
      throw new Error(`dSprites: factor ${DSPRITES_FACTOR_NAMES[f]} index ${idx[f]} is outside 0..${spec.factorSizes[f] - 1}.`);
    }
  }
  void ns;
  return {
    shape: DSPRITES_SHAPES[idx[0]],
    scale: 0.5 + 0.5 * frac(idx[1], nsc),
    angle: (2 * Math.PI * idx[2]) / nr,
    cx: spec.size * (0.25 + 0.5 * frac(idx[3], nx)),
    cy: spec.size * (0.25 + 0.5 * frac(idx[4], ny)),
  };
}

function inside(shape: string, u: number, v: number): boolean {
  if (shape === "square") return Math.abs(u) <= 0.8 && Math.abs(v) <= 0.8;
  if (shape === "ellipse") return u * u + (v * v) / 0.3 <= 1;
  // heart: (X² + Y² − 1)³ − X² Y³ ≤ 0, point up at the bottom
  const X = u * 1.15;
  const Y = -v * 1.15 + 0.25;
  const q = X * X + Y * Y - 1;
  return q * q * q - X * X * Y * Y * Y <= 0;
}

/**
 * Render one sprite from its factor indices into `out` (size² binary pixels): pixel centre p
 * belongs to the shape when R(−angle)(p − centre) / (scale · size/5) is inside the unit shape.
 */
export function renderDsprite(idx: ArrayLike<number>, spec: DspritesSpec = DEFAULT_DSPRITES_SPEC, out?: Float32Array): Float32Array {
  const S = spec.size;
  const img = out ?? new Float32Array(S * S);
  const { shape, scale, angle, cx, cy } = dspriteFactorValues(idx, spec);
  const r = (scale * S) / 5;
  const c = Math.cos(angle);
  const s = Math.sin(angle);
  for (let y = 0; y < S; y++) {
    for (let x = 0; x < S; x++) {
      const dx = x + 0.5 - cx;
      const dy = y + 0.5 - cy;
      const u = (c * dx + s * dy) / r;
      const v = (-s * dx + c * dy) / r;
      img[y * S + x] = inside(shape, u, v) ? 1 : 0;
    }
  }
  return img;
}

/** Render many sprites: factors is n×5 indices → n·size² pixels. */
export function renderDsprites(factors: Int32Array | number[], spec: DspritesSpec = DEFAULT_DSPRITES_SPEC): Float32Array {
  checkSpec(spec);
  const n = factors.length / 5;
  if (!Number.isInteger(n)) throw new Error(`renderDsprites: ${factors.length} indices is not a multiple of 5 factors.`);
  const P = spec.size * spec.size;
  const out = new Float32Array(n * P);
  for (let i = 0; i < n; i++) renderDsprite(Array.prototype.slice.call(factors, i * 5, i * 5 + 5), spec, out.subarray(i * P, (i + 1) * P));
  return out;
}

/** n factor vectors drawn independently and uniformly from the grid (n×5 indices). */
export function sampleDspriteFactors(n: number, r: Rng, spec: DspritesSpec = DEFAULT_DSPRITES_SPEC): Int32Array {
  const f = new Int32Array(n * 5);
  for (let i = 0; i < n; i++) for (let k = 0; k < 5; k++) f[i * 5 + k] = r.int(spec.factorSizes[k]);
  return f;
}

/** A dSprites-like dataset of n random sprites (labels = shape index). */
export function makeDsprites(n: number, r: Rng, spec: Partial<DspritesSpec> = {}): DspritesDataset {
  const full: DspritesSpec = { ...DEFAULT_DSPRITES_SPEC, ...spec };
  checkSpec(full);
  if (!Number.isInteger(n) || n < 1) throw new Error(`makeDsprites: n must be a positive integer, got ${n}.`);
  const factors = sampleDspriteFactors(n, r, full);
  const images = renderDsprites(factors, full);
  const labels = new Uint8Array(n);
  for (let i = 0; i < n; i++) labels[i] = factors[i * 5];
  return {
    name: "dsprites-like",
    images,
    labels,
    count: n,
    height: full.size,
    width: full.size,
    source: `generated by latentlab (shapes ${DSPRITES_SHAPES.slice(0, full.factorSizes[0]).join("/")}, factor sizes ${full.factorSizes.join("×")})`,
    factors,
    spec: full,
  };
}
