/**
 * The GAN game in closed form, for low-dimensional densities we can integrate (Goodfellow et
 * al. 2014, §4; lecture 001's discriminator and generator losses). With the value function
 *
 *   V(D, G) = E_{x∼p_data}[log D(x)] + E_{x∼p_g}[log(1 − D(x))],
 *
 * the discriminator's best response is the optimal discriminator
 *
 *   D*(x) = p_data(x) / (p_data(x) + p_g(x)),
 *
 * (pointwise, a log D + b log(1 − D) is maximised at D = a / (a + b)), and at D* the game's
 * value is a divergence:
 *
 *   V(D*, G) = −log 4 + 2 · JSD(p_data ‖ p_g),   JSD(p‖q) = ½ KL(p‖m) + ½ KL(q‖m),  m = (p + q)/2,
 *
 * so min_G max_D V is reached at p_g = p_data with value −log 4. Everything here integrates by
 * composite Gauss–Legendre quadrature (10 points per panel) over a box the caller chooses; terms
 * where a density is 0 contribute 0 (the limit of t log t).
 */
import { gaussLegendre } from "../../vi/quadrature";

export type Density1 = (x: number) => number;
export type Density2 = (x: number, y: number) => number;

/** A quadrature grid: nodes and weights of composite Gauss–Legendre over [a, b]. */
export interface QuadratureGrid {
  nodes: Float64Array;
  weights: Float64Array;
}

/** Composite Gauss–Legendre nodes on [a, b] with `panels` equal panels of `order` points each. */
export function quadratureGrid(a: number, b: number, panels = 400, order = 10): QuadratureGrid {
  if (!(Number.isFinite(a) && Number.isFinite(b) && b > a)) throw new RangeError(`quadratureGrid: need finite a < b, got [${a}, ${b}].`);
  if (!Number.isInteger(panels) || panels < 1) throw new RangeError(`quadratureGrid: panels must be a positive integer, got ${panels}.`);
  const rule = gaussLegendre(order);
  const h = (b - a) / panels;
  const nodes = new Float64Array(panels * order);
  const weights = new Float64Array(panels * order);
  for (let k = 0; k < panels; k++) {
    const c = a + (k + 0.5) * h;
    for (let i = 0; i < order; i++) {
      nodes[k * order + i] = c + (h / 2) * rule.nodes[i];
      weights[k * order + i] = (h / 2) * rule.weights[i];
    }
  }
  return { nodes, weights };
}

/** t · log(t / s) with the limits 0 · log(0 / s) = 0. */
function xlogxy(t: number, s: number): number {
  return t > 0 ? t * Math.log(t / s) : 0;
}

/** The optimal discriminator D*(x) = p_data(x) / (p_data(x) + p_g(x)) (½ where both are 0). */
export function optimalDiscriminator(pData: Density1, pG: Density1): Density1 {
  return (x: number) => {
    const a = pData(x);
    const b = pG(x);
    return a + b > 0 ? a / (a + b) : 0.5;
  };
}

/** D*(x, y) for 2-D densities. */
export function optimalDiscriminator2d(pData: Density2, pG: Density2): Density2 {
  return (x: number, y: number) => {
    const a = pData(x, y);
    const b = pG(x, y);
    return a + b > 0 ? a / (a + b) : 0.5;
  };
}

/** p log D + q log(1 − D) with 0 · log 0 = 0. */
function valueIntegrand(p: number, q: number, d: number): number {
  return (p > 0 ? p * Math.log(d) : 0) + (q > 0 ? q * Math.log1p(-d) : 0);
}

/** ½ p log(2p/(p+q)) + ½ q log(2q/(p+q)). */
function jsdIntegrand(p: number, q: number): number {
  const m = 0.5 * (p + q);
  return 0.5 * xlogxy(p, m) + 0.5 * xlogxy(q, m);
}

export interface Box1 {
  range: [number, number];
  panels?: number;
}

export interface Box2 {
  xRange: [number, number];
  yRange: [number, number];
  panels?: number;
}

/** V(D, G) = ∫ p_data log D + p_g log(1 − D) dx over `range` (1-D). */
export function ganValue(D: Density1, pData: Density1, pG: Density1, box: Box1): number {
  const g = quadratureGrid(box.range[0], box.range[1], box.panels ?? 400);
  let s = 0;
  for (let i = 0; i < g.nodes.length; i++) {
    const x = g.nodes[i];
    s += g.weights[i] * valueIntegrand(pData(x), pG(x), D(x));
  }
  return s;
}

/** JSD(p ‖ q) = ½ KL(p‖m) + ½ KL(q‖m) by quadrature over `range` (nats; between 0 and log 2). */
export function jensenShannon(p: Density1, q: Density1, box: Box1): number {
  const g = quadratureGrid(box.range[0], box.range[1], box.panels ?? 400);
  let s = 0;
  for (let i = 0; i < g.nodes.length; i++) s += g.weights[i] * jsdIntegrand(p(g.nodes[i]), q(g.nodes[i]));
  return s;
}

/** KL(p ‖ q) = ∫ p log(p/q) by quadrature over `range` (1-D). */
export function klDivergence1d(p: Density1, q: Density1, box: Box1): number {
  const g = quadratureGrid(box.range[0], box.range[1], box.panels ?? 400);
  let s = 0;
  for (let i = 0; i < g.nodes.length; i++) s += g.weights[i] * xlogxy(p(g.nodes[i]), q(g.nodes[i]));
  return s;
}

function grid2(box: Box2): { gx: QuadratureGrid; gy: QuadratureGrid } {
  const panels = box.panels ?? 200;
  return { gx: quadratureGrid(box.xRange[0], box.xRange[1], panels), gy: quadratureGrid(box.yRange[0], box.yRange[1], panels) };
}

/** V(D, G) for 2-D densities, by tensor-product quadrature over the box. */
export function ganValue2d(D: Density2, pData: Density2, pG: Density2, box: Box2): number {
  const { gx, gy } = grid2(box);
  let s = 0;
  for (let i = 0; i < gx.nodes.length; i++) {
    const x = gx.nodes[i];
    let row = 0;
    for (let j = 0; j < gy.nodes.length; j++) {
      const y = gy.nodes[j];
      row += gy.weights[j] * valueIntegrand(pData(x, y), pG(x, y), D(x, y));
    }
    s += gx.weights[i] * row;
  }
  return s;
}

/** JSD(p ‖ q) for 2-D densities, by tensor-product quadrature over the box. */
export function jensenShannon2d(p: Density2, q: Density2, box: Box2): number {
  const { gx, gy } = grid2(box);
  let s = 0;
  for (let i = 0; i < gx.nodes.length; i++) {
    const x = gx.nodes[i];
    let row = 0;
    for (let j = 0; j < gy.nodes.length; j++) row += gy.weights[j] * jsdIntegrand(p(x, gy.nodes[j]), q(x, gy.nodes[j]));
    s += gx.weights[i] * row;
  }
  return s;
}

/** ∫ f over the 2-D box (e.g. to check that a density integrates to 1 on it). */
export function integrate2d(f: Density2, box: Box2): number {
  const { gx, gy } = grid2(box);
  let s = 0;
  for (let i = 0; i < gx.nodes.length; i++) {
    let row = 0;
    for (let j = 0; j < gy.nodes.length; j++) row += gy.weights[j] * f(gx.nodes[i], gy.nodes[j]);
    s += gx.weights[i] * row;
  }
  return s;
}

export type GeneratorLossKind = "saturating" | "non-saturating";

/**
 * The generator's loss per sample as a function of d = D(G(z)) (lecture 001's slide):
 *   saturating       log(1 − d)   (the minimax game: G minimises V's second term)
 *   non-saturating   −log d       (Goodfellow et al.'s practical variant)
 * Both decrease in d: each pushes D(G(z)) up.
 */
export function generatorLossOf(kind: GeneratorLossKind, d: number): number {
  return kind === "saturating" ? Math.log1p(-d) : -Math.log(d);
}

/**
 * The derivative of the generator's per-sample loss with respect to the discriminator's logit
 * ℓ (D = σ(ℓ)): saturating ∂ log(1 − σ(ℓ))/∂ℓ = −σ(ℓ) = −D, non-saturating ∂(−log σ(ℓ))/∂ℓ =
 * −(1 − σ(ℓ)) = −(1 − D). Where D is confident that a sample is fake (D → 0) the saturating
 * gradient vanishes and the non-saturating one is largest.
 */
export function generatorLogitGradient(kind: GeneratorLossKind, d: number): number {
  return kind === "saturating" ? -d : -(1 - d);
}

/** E_{x∼p_g}[L(D(x))] for the generator loss L of `kind`, by quadrature (1-D). */
export function generatorObjective(kind: GeneratorLossKind, D: Density1, pG: Density1, box: Box1): number {
  const g = quadratureGrid(box.range[0], box.range[1], box.panels ?? 400);
  let s = 0;
  for (let i = 0; i < g.nodes.length; i++) {
    const q = pG(g.nodes[i]);
    if (q > 0) s += g.weights[i] * q * generatorLossOf(kind, D(g.nodes[i]));
  }
  return s;
}

/** Density of N(μ, σ²) at x. */
export function normalPdf(x: number, mu: number, sigma: number): number {
  const z = (x - mu) / sigma;
  return Math.exp(-0.5 * z * z) / (sigma * Math.sqrt(2 * Math.PI));
}

/** Density of a 1-D Gaussian mixture Σ_k w_k N(μ_k, σ_k²). */
export function gaussianMixture1d(weights: number[], means: number[], sigmas: number[]): Density1 {
  if (weights.length !== means.length || means.length !== sigmas.length) throw new RangeError("gaussianMixture1d: weights, means and sigmas must have the same length.");
  const tot = weights.reduce((a, b) => a + b, 0);
  if (!(tot > 0) || weights.some((w) => w < 0) || sigmas.some((s) => !(s > 0))) throw new RangeError("gaussianMixture1d: weights must be ≥ 0 with a positive sum, sigmas > 0.");
  return (x: number) => {
    let s = 0;
    for (let k = 0; k < weights.length; k++) s += (weights[k] / tot) * normalPdf(x, means[k], sigmas[k]);
    return s;
  };
}

/**
 * The generator's gradient in a 1-D game with p_data given and p_g = N(θ, σ²) (G(z) = θ + σz):
 * hold the discriminator at its best response D*_θ and differentiate the generator's objective
 * E_{x∼N(θ', σ²)}[L(D*_θ(x))] at θ' = θ (central differences of quadrature, step h).
 * Gradient descent moves θ by −η times this. The losses are evaluated in log space,
 * log D* = log p_data − log(p_data + p_θ) and log(1 − D*) = log p_θ − log(p_data + p_θ), so that
 * they stay finite where D* rounds to 0 or 1.
 */
export function generatorShiftGradient(kind: GeneratorLossKind, pData: Density1, sigma: number, theta: number, box: Box1, h = 1e-4): number {
  const g = quadratureGrid(box.range[0], box.range[1], box.panels ?? 400);
  const logNormal = (x: number, mu: number) => -0.5 * ((x - mu) / sigma) ** 2 - Math.log(sigma * Math.sqrt(2 * Math.PI));
  // The per-x loss L(D*_θ(x)), fixed while θ' moves.
  const loss = new Float64Array(g.nodes.length);
  for (let i = 0; i < g.nodes.length; i++) {
    const x = g.nodes[i];
    const lp = Math.log(pData(x));
    const lq = logNormal(x, theta);
    const m = Math.max(lp, lq);
    const lsum = m + Math.log(Math.exp(lp - m) + Math.exp(lq - m));
    loss[i] = kind === "saturating" ? lq - lsum : lsum - lp;
  }
  const f = (t: number) => {
    let s = 0;
    for (let i = 0; i < g.nodes.length; i++) s += g.weights[i] * Math.exp(logNormal(g.nodes[i], t)) * loss[i];
    return s;
  };
  return (f(theta + h) - f(theta - h)) / (2 * h);
}
