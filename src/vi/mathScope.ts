/**
 * The private mathjs instance behind the derivation checker, with the helper functions the
 * lecture derivations need: Gaussian log-densities, the closed-form Gaussian KL, and
 * expectation / sum / integral operators that bind a variable (they take the unevaluated
 * body, like Σ and 𝔼 in the slides). Each helper renders to LaTeX in the lecture's notation.
 */
import type { MathJsInstance, MathNode, EvalFunction } from "mathjs";
import { expectNormal, gaussHermite, integrate } from "./quadrature";
import { LOG_SQRT_2PI } from "../math/special";

/** A Map-like scope that binds a few names on top of a parent scope (mathjs accepts any Map-like). */
export class LayeredScope {
  private readonly own = new Map<string, unknown>();
  constructor(private readonly parent: ScopeLike) {}
  get(k: string): unknown {
    return this.own.has(k) ? this.own.get(k) : this.parent.get(k);
  }
  has(k: string): boolean {
    return this.own.has(k) || this.parent.has(k);
  }
  set(k: string, v: unknown): this {
    this.own.set(k, v);
    return this;
  }
  delete(k: string): boolean {
    return this.own.delete(k);
  }
  clear(): void {
    this.own.clear();
  }
  keys(): IterableIterator<string> {
    return new Set<string>([...this.parent.keys(), ...this.own.keys()]).values();
  }
  get size(): number {
    return new Set<string>([...this.parent.keys(), ...this.own.keys()]).size;
  }
  [Symbol.iterator](): IterableIterator<[string, unknown]> {
    return [...this.keys()].map((k) => [k, this.get(k)] as [string, unknown])[Symbol.iterator]();
  }
  forEach(cb: (v: unknown, k: string) => void): void {
    for (const k of this.keys()) cb(this.get(k), k);
  }
  entries(): IterableIterator<[string, unknown]> {
    return this[Symbol.iterator]();
  }
}

export interface ScopeLike {
  get(k: string): unknown;
  has(k: string): boolean;
  keys(): IterableIterator<string>;
}

/** Numbers out of a mathjs value (number, Matrix, array) — for helpers that take vectors. */
export function toNumbers(v: unknown, where: string): number[] {
  if (typeof v === "number") return [v];
  if (Array.isArray(v)) return v.flat(Infinity).map((x) => toNumber(x, where));
  if (v && typeof v === "object" && "toArray" in v && typeof (v as { toArray: unknown }).toArray === "function") {
    return toNumbers((v as { toArray(): unknown[] }).toArray(), where);
  }
  throw new TypeError(`${where}: expected a number or a vector, got ${String(v)}.`);
}

/** One number out of a mathjs value (a 1-element vector is accepted). */
export function toNumber(v: unknown, where: string): number {
  if (typeof v === "number") return v;
  if (typeof v === "boolean") return v ? 1 : 0;
  const xs = v !== null && typeof v === "object" ? toNumbers(v, where) : [];
  if (xs.length === 1) return xs[0];
  throw new TypeError(`${where}: expected a number, got ${typeof v === "object" ? JSON.stringify(v) : String(v)}.`);
}

/** log N(x | mu, s²). */
export function logNormalDensity(x: number, mu: number, s: number): number {
  if (!(s > 0)) throw new RangeError(`lognormal: standard deviation must be > 0, got ${s}.`);
  const u = (x - mu) / s;
  return -LOG_SQRT_2PI - Math.log(s) - 0.5 * u * u;
}

/** KL(N(m1, s1²) ‖ N(m2, s2²)) = log(s2/s1) + (s1² + (m1 − m2)²)/(2 s2²) − 1/2. */
export function klNormalClosedForm(m1: number, s1: number, m2: number, s2: number): number {
  if (!(s1 > 0) || !(s2 > 0)) throw new RangeError(`klnormal: standard deviations must be > 0, got ${s1}, ${s2}.`);
  return Math.log(s2 / s1) + (s1 * s1 + (m1 - m2) ** 2) / (2 * s2 * s2) - 0.5;
}

type RawFn = ((args: MathNode[], math: MathJsInstance, scope: ScopeLike) => unknown) & {
  rawArgs?: boolean;
  toTex?: string;
};

const compiled = new WeakMap<MathNode, EvalFunction>();
function compileNode(node: MathNode): EvalFunction {
  let c = compiled.get(node);
  if (!c) {
    c = node.compile();
    compiled.set(node, c);
  }
  return c;
}

function boundName(node: MathNode, fn: string): string {
  const n = node as MathNode & { name?: string };
  if (node.type !== "SymbolNode" || !n.name) {
    throw new TypeError(`${fn}: the second argument must be the name of the bound variable (e.g. z), got ${node.toString()}.`);
  }
  return n.name;
}

function rawFn(fn: (args: MathNode[], scope: ScopeLike) => unknown, tex: string): RawFn {
  const f: RawFn = (args, _math, scope) => fn(args, scope);
  f.rawArgs = true;
  f.toTex = tex;
  return f;
}

function evalArg(node: MathNode, scope: ScopeLike): unknown {
  return compileNode(node).evaluate(scope as never);
}

/**
 * EN(body, z, m, s) = E_{z∼N(m, s²)}[body] by 32-node Gauss–Hermite quadrature: exact for
 * bodies polynomial in z up to degree 63 (all Gaussian log-densities), and the outermost node
 * (7.1 sd) keeps Gaussian densities of moderate width clear of underflow.
 */
const EN = rawFn((args, scope) => {
  if (args.length !== 4) throw new TypeError(`EN(body, z, m, s): expected 4 arguments, got ${args.length}.`);
  const name = boundName(args[1], "EN");
  const m = toNumber(evalArg(args[2], scope), "EN mean");
  const s = toNumber(evalArg(args[3], scope), "EN sd");
  const body = compileNode(args[0]);
  const inner = new LayeredScope(scope);
  return expectNormal((z) => toNumber(body.evaluate(inner.set(name, z) as never), "EN body"), m, s, 32);
}, "\\mathbb{E}_{${args[1]}\\sim\\mathcal{N}(${args[2]},\\,${args[3]}^2)}\\left[${args[0]}\\right]");

/**
 * ENdiag(body, z, mu, sigma) = E_{z∼N(mu, diag sigma²)}[body] for a vector z (1-based z[j]),
 * by a tensor-product Gauss–Hermite rule (8 nodes per dimension, d ≤ 4): exact for bodies
 * polynomial in each z[j] up to degree 15, e.g. sums of Gaussian log-densities.
 */
const ENdiag = rawFn((args, scope) => {
  if (args.length !== 4) throw new TypeError(`ENdiag(body, z, mu, sigma): expected 4 arguments, got ${args.length}.`);
  const name = boundName(args[1], "ENdiag");
  const mu = toNumbers(evalArg(args[2], scope), "ENdiag mu");
  const sg = toNumbers(evalArg(args[3], scope), "ENdiag sigma");
  const d = mu.length;
  if (sg.length !== d || d < 1 || d > 4) {
    throw new RangeError(`ENdiag: mu and sigma must have the same length d in 1..4, got ${d} and ${sg.length}.`);
  }
  const { nodes, weights } = gaussHermite(8);
  const n = nodes.length;
  const body = compileNode(args[0]);
  const inner = new LayeredScope(scope);
  const idx = new Array<number>(d).fill(0);
  const z = new Array<number>(d).fill(0);
  let total = 0;
  for (;;) {
    let w = 1;
    for (let j = 0; j < d; j++) {
      z[j] = mu[j] + Math.SQRT2 * sg[j] * nodes[idx[j]];
      w *= weights[idx[j]] / Math.sqrt(Math.PI);
    }
    inner.set(name, z.slice());
    total += w * toNumber(body.evaluate(inner as never), "ENdiag body");
    let j = 0;
    while (j < d && ++idx[j] === n) idx[j++] = 0;
    if (j === d) break;
  }
  return total;
}, "\\mathbb{E}_{${args[1]}\\sim\\mathcal{N}(${args[2]},\\,\\mathrm{diag}\\,${args[3]}^2)}\\left[${args[0]}\\right]");

/** Ecat(body, z, q) = Σ_{z=1}^{K} q[z] · body, the expectation under a categorical q (1-based). */
const Ecat = rawFn((args, scope) => {
  if (args.length !== 3) throw new TypeError(`Ecat(body, z, q): expected 3 arguments, got ${args.length}.`);
  const name = boundName(args[1], "Ecat");
  const q = toNumbers(evalArg(args[2], scope), "Ecat q");
  const body = compileNode(args[0]);
  const inner = new LayeredScope(scope);
  let t = 0;
  for (let k = 0; k < q.length; k++) {
    if (q[k] === 0) continue;
    t += q[k] * toNumber(body.evaluate(inner.set(name, k + 1) as never), "Ecat body");
  }
  return t;
}, "\\mathbb{E}_{${args[1]}\\sim ${args[2]}}\\left[${args[0]}\\right]");

/** sumk(body, k, n) = Σ_{k=1}^{n} body. */
const sumk = rawFn((args, scope) => {
  if (args.length !== 3) throw new TypeError(`sumk(body, k, n): expected 3 arguments, got ${args.length}.`);
  const name = boundName(args[1], "sumk");
  const n = toNumber(evalArg(args[2], scope), "sumk n");
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`sumk: the upper limit must be a non-negative integer, got ${n}.`);
  const body = compileNode(args[0]);
  const inner = new LayeredScope(scope);
  let t = 0;
  for (let k = 1; k <= n; k++) t += toNumber(body.evaluate(inner.set(name, k) as never), "sumk body");
  return t;
}, "\\sum_{${args[1]}=1}^{${args[2]}}${args[0]}");

/** integral(body, z, a, b) = ∫_a^b body dz (composite Gauss–Legendre, 200 panels × 16 nodes). */
const integral = rawFn((args, scope) => {
  if (args.length !== 4) throw new TypeError(`integral(body, z, a, b): expected 4 arguments, got ${args.length}.`);
  const name = boundName(args[1], "integral");
  const a = toNumber(evalArg(args[2], scope), "integral a");
  const b = toNumber(evalArg(args[3], scope), "integral b");
  const body = compileNode(args[0]);
  const inner = new LayeredScope(scope);
  return integrate((z) => toNumber(body.evaluate(inner.set(name, z) as never), "integral body"), a, b);
}, "\\int_{${args[2]}}^{${args[3]}}${args[0]}\\,\\mathrm{d}${args[1]}");

function plain(fn: (...a: number[]) => number, tex: string, name: string): ((...a: unknown[]) => number) & { toTex: string } {
  const f = ((...a: unknown[]) => fn(...a.map((x, i) => toNumber(x, `${name} argument ${i + 1}`)))) as ((
    ...a: unknown[]
  ) => number) & { toTex: string };
  f.toTex = tex;
  return f;
}

/** The helpers every derivation can call (names are reserved in derivation scopes). */
export const DERIVATION_HELPERS = {
  lognormal: plain(logNormalDensity, "\\log\\mathcal{N}\\left(${args[0]}\\mid ${args[1]},\\,${args[2]}^2\\right)", "lognormal"),
  npdf: plain(
    (x, mu, s) => Math.exp(logNormalDensity(x, mu, s)),
    "\\mathcal{N}\\left(${args[0]}\\mid ${args[1]},\\,${args[2]}^2\\right)",
    "npdf",
  ),
  klnormal: plain(
    klNormalClosedForm,
    "\\mathrm{KL}\\left(\\mathcal{N}(${args[0]},${args[1]}^2)\\,\\|\\,\\mathcal{N}(${args[2]},${args[3]}^2)\\right)",
    "klnormal",
  ),
  EN,
  ENdiag,
  Ecat,
  sumk,
  integral,
};

let instance: MathJsInstance | null = null;

/**
 * The shared private mathjs instance with the helpers imported. mathjs itself is loaded here,
 * on first use, not when latentlab is imported: requiring it costs about half a second (more
 * on a loaded machine), which every `import … from "latentlab"` paid even in notebooks that
 * never check a derivation.
 */
export function derivationMath(): MathJsInstance {
  if (!instance) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { create, all } = require("mathjs") as typeof import("mathjs");
    instance = create(all, {});
    instance.import(DERIVATION_HELPERS as unknown as Record<string, unknown>, { override: true });
  }
  return instance;
}
