/**
 * Directed graphical models (Bayesian networks), lecture 000 "Directed Graphical Model":
 *
 *   P(X_1, …, X_T) = Π_t P(X_t | parents(X_t)).
 *
 * Nodes are either discrete, with a conditional probability table (CPT), or linear-Gaussian
 * (a CPD X = b + Σ_j w_j X_{pa_j} + σ ε, ε ~ N(0, 1)); a linear-Gaussian node may have
 * discrete parents (their state index, or the `values` given for their states, enters the
 * mean linearly), as in the lecture's mixed example C ~ N(A + B, Σ_c). A discrete node may
 * not have a continuous parent.
 *
 * CPT layout: `cpt[row][state]`, one row per parent configuration, rows in mixed radix over
 * the parents in the order listed (the first parent varies slowest): for parents (A, B)
 * with 2 states each, rows are (a⁰b⁰), (a⁰b¹), (a¹b⁰), (a¹b¹). A root node has one row.
 */
import type { Rng } from "../runtime/rng";
import { LOG_SQRT_2PI } from "../math/special";
import { cumulativeProbs, sampleFromCdf } from "../prob/samplers";

export interface DiscreteNodeSpec {
  name: string;
  kind?: "discrete";
  parents?: string[];
  /** Labels of the states (default "0", "1", …); their count is the cardinality. */
  states?: string[];
  /** One probability row per parent configuration; a root may give the single row as number[]. */
  cpt: number[][] | number[];
  /** Numeric value of each state when a linear-Gaussian child uses it (default: the index). */
  values?: number[];
}

export interface LinearGaussianNodeSpec {
  name: string;
  kind: "gaussian";
  parents?: string[];
  /** One weight per parent (default all 1). */
  weights?: number[];
  /** Intercept b (default 0). */
  bias?: number;
  /** Standard deviation σ of the noise (> 0). */
  sigma: number;
}

export type NodeSpec = DiscreteNodeSpec | LinearGaussianNodeSpec;

interface DiscreteNode {
  kind: "discrete";
  name: string;
  parents: string[];
  states: string[];
  card: number;
  cpt: Float64Array[];
  cdf: Float64Array[];
  values: number[];
}
interface GaussianNode {
  kind: "gaussian";
  name: string;
  parents: string[];
  weights: number[];
  bias: number;
  sigma: number;
}
export type BayesNode = DiscreteNode | GaussianNode;

/** A full or partial assignment: discrete nodes take state indices, Gaussian nodes reals. */
export type Assignment = Record<string, number>;

export class BayesNet {
  readonly nodes: readonly BayesNode[];
  /** Node names in a topological order (parents before children). */
  readonly order: readonly string[];
  private readonly byName: Map<string, BayesNode>;

  constructor(specs: readonly NodeSpec[]) {
    if (!Array.isArray(specs) || specs.length === 0) throw new RangeError("BayesNet: give a non-empty list of nodes.");
    const byName = new Map<string, NodeSpec>();
    for (const s of specs) {
      if (!s || typeof s.name !== "string" || !s.name) throw new RangeError("BayesNet: every node needs a non-empty name.");
      if (byName.has(s.name)) throw new RangeError(`BayesNet: node ${s.name} is defined twice.`);
      byName.set(s.name, s);
    }
    for (const s of specs) {
      for (const p of s.parents ?? []) {
        if (!byName.has(p)) {
          throw new RangeError(`BayesNet: node ${s.name} lists parent ${p}, which is not a node. Define ${p} or remove it from ${s.name}.parents.`);
        }
        if (p === s.name) throw new RangeError(`BayesNet: node ${s.name} lists itself as a parent (a cycle).`);
      }
    }
    this.order = topologicalOrder(specs);
    const nodes: BayesNode[] = specs.map((s) => buildNode(s, byName));
    this.nodes = nodes;
    this.byName = new Map(nodes.map((n) => [n.name, n]));
  }

  node(name: string): BayesNode {
    const n = this.byName.get(name);
    if (!n) throw new RangeError(`BayesNet: no node named ${name}. Nodes: ${this.nodes.map((x) => x.name).join(", ")}.`);
    return n;
  }

  get names(): string[] {
    return this.nodes.map((n) => n.name);
  }

  /** Children of a node. */
  children(name: string): string[] {
    return this.nodes.filter((n) => n.parents.includes(name)).map((n) => n.name);
  }

  get isDiscrete(): boolean {
    return this.nodes.every((n) => n.kind === "discrete");
  }

  get isGaussian(): boolean {
    return this.nodes.every((n) => n.kind === "gaussian");
  }

  /** The factorization as text: "P(X1, X2) = P(X1) P(X2 | X1)" (factors in declaration order). */
  factorization(): string {
    const f = this.nodes.map((n) => (n.parents.length ? `P(${n.name} | ${n.parents.join(", ")})` : `P(${n.name})`));
    return `P(${this.names.join(", ")}) = ${f.join(" ")}`;
  }

  /** The factorization in LaTeX, e.g. "P(X_1, X_2) = P(X_1)\,P(X_2 \mid X_1)". */
  factorizationLatex(): string {
    const tex = (s: string) => s.replace(/^([A-Za-z]+)(\d+)$/, "$1_{$2}");
    const f = this.nodes.map((n) =>
      n.parents.length ? `P(${tex(n.name)} \\mid ${n.parents.map(tex).join(", ")})` : `P(${tex(n.name)})`,
    );
    return `P(${this.names.map(tex).join(", ")}) = ${f.join("\\,")}`;
  }

  /** Row of a discrete node's CPT for the parent values in `x`. */
  cptRow(name: string, x: Assignment): Float64Array {
    const n = this.node(name);
    if (n.kind !== "discrete") throw new RangeError(`cptRow: ${name} is not discrete.`);
    return n.cpt[this.parentRow(n, x)];
  }

  private parentRow(n: DiscreteNode, x: Assignment): number {
    let row = 0;
    for (const p of n.parents) {
      const pn = this.byName.get(p) as DiscreteNode;
      const v = x[p];
      if (!Number.isInteger(v) || v < 0 || v >= pn.card) {
        throw new RangeError(`BayesNet: parent ${p} of ${n.name} has value ${v}; expected a state index 0..${pn.card - 1}.`);
      }
      row = row * pn.card + v;
    }
    return row;
  }

  /** Mean of a Gaussian node given its parents' values: b + Σ_j w_j value(x_{pa_j}). */
  gaussianMean(n: GaussianNode, x: Assignment): number {
    let m = n.bias;
    n.parents.forEach((p, j) => {
      const pn = this.byName.get(p) as BayesNode;
      const v = x[p];
      if (typeof v !== "number" || Number.isNaN(v)) throw new RangeError(`BayesNet: parent ${p} of ${n.name} has no value.`);
      m += n.weights[j] * (pn.kind === "discrete" ? pn.values[v] : v);
    });
    return m;
  }

  /** log p(x | parents) of one node. */
  logProbNode(name: string, x: Assignment): number {
    const n = this.node(name);
    const v = x[name];
    if (typeof v !== "number" || Number.isNaN(v)) throw new RangeError(`BayesNet.logProb: node ${name} has no value in the assignment.`);
    if (n.kind === "discrete") {
      if (!Number.isInteger(v) || v < 0 || v >= n.card) throw new RangeError(`BayesNet.logProb: ${name} = ${v}; expected 0..${n.card - 1}.`);
      return Math.log(n.cpt[this.parentRow(n, x)][v]);
    }
    const z = (v - this.gaussianMean(n, x)) / n.sigma;
    return -0.5 * z * z - Math.log(n.sigma) - LOG_SQRT_2PI;
  }

  /** Joint log-probability (log density for Gaussian nodes): Σ_t log P(x_t | parents(x_t)). */
  logProb(x: Assignment): number {
    let s = 0;
    for (const n of this.nodes) s += this.logProbNode(n.name, x);
    return s;
  }

  /** Ancestral sampling: visit nodes parents-first and draw each from P(x_t | parents). */
  sampleOne(rng: Rng): Assignment {
    const x: Assignment = {};
    for (const name of this.order) {
      const n = this.byName.get(name) as BayesNode;
      if (n.kind === "discrete") x[name] = sampleFromCdf(rng, n.cdf[this.parentRow(n, x)]);
      else x[name] = this.gaussianMean(n, x) + n.sigma * rng.normal();
    }
    return x;
  }

  /** n ancestral samples, as one column (Float64Array of n) per node. */
  sample(rng: Rng, n: number): Record<string, Float64Array> {
    if (!Number.isInteger(n) || n < 0) throw new RangeError(`BayesNet.sample: n must be a non-negative integer; got ${n}.`);
    const cols: Record<string, Float64Array> = {};
    for (const name of this.names) cols[name] = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const x = this.sampleOne(rng);
      for (const name of this.names) cols[name][i] = x[name];
    }
    return cols;
  }
}

function buildNode(s: NodeSpec, specs: Map<string, NodeSpec>): BayesNode {
  const parents = [...(s.parents ?? [])];
  if (s.kind === "gaussian") {
    const weights = s.weights ?? parents.map(() => 1);
    if (weights.length !== parents.length) {
      throw new RangeError(`BayesNet: Gaussian node ${s.name} has ${parents.length} parents but ${weights.length} weights (shape mismatch).`);
    }
    if (!(s.sigma > 0) || !Number.isFinite(s.sigma)) {
      throw new RangeError(`BayesNet: Gaussian node ${s.name} needs a standard deviation sigma > 0; got ${s.sigma}.`);
    }
    const bias = s.bias ?? 0;
    if (!Number.isFinite(bias) || weights.some((w) => !Number.isFinite(w))) {
      throw new RangeError(`BayesNet: Gaussian node ${s.name} has a non-finite bias or weight.`);
    }
    return { kind: "gaussian", name: s.name, parents, weights: [...weights], bias, sigma: s.sigma };
  }
  const rows: number[][] = Array.isArray(s.cpt[0]) ? (s.cpt as number[][]) : [s.cpt as number[]];
  const card = s.states?.length ?? rows[0]?.length;
  if (!card || card < 1) throw new RangeError(`BayesNet: discrete node ${s.name} needs a CPT with at least one state.`);
  let nRows = 1;
  for (const p of parents) {
    const ps = specs.get(p) as NodeSpec;
    if (ps.kind === "gaussian") {
      throw new RangeError(`BayesNet: discrete node ${s.name} has a continuous parent ${p}; discrete nodes may only have discrete parents.`);
    }
    const pr: number[][] = Array.isArray(ps.cpt[0]) ? (ps.cpt as number[][]) : [ps.cpt as number[]];
    nRows *= ps.states?.length ?? pr[0].length;
  }
  if (rows.length !== nRows) {
    throw new RangeError(
      `BayesNet: node ${s.name} has ${rows.length} CPT rows; its parents (${parents.join(", ") || "none"}) have ${nRows} configurations. ` +
        "Give one row per configuration, first parent slowest.",
    );
  }
  const cpt = rows.map((r, i) => {
    if (r.length !== card) throw new RangeError(`BayesNet: node ${s.name}, CPT row ${i} has ${r.length} entries; expected ${card}.`);
    let t = 0;
    r.forEach((v, k) => {
      if (!(v >= 0) || !Number.isFinite(v)) throw new RangeError(`BayesNet: node ${s.name}, CPT row ${i}, entry ${k} = ${v}; must be ≥ 0.`);
      t += v;
    });
    if (Math.abs(t - 1) > 1e-9 * card) throw new RangeError(`BayesNet: node ${s.name}, CPT row ${i} sums to ${t}, not 1.`);
    return Float64Array.from(r);
  });
  const values = s.values ?? Array.from({ length: card }, (_, k) => k);
  if (values.length !== card) throw new RangeError(`BayesNet: node ${s.name} has ${card} states but ${values.length} values.`);
  return {
    kind: "discrete",
    name: s.name,
    parents,
    states: s.states ?? Array.from({ length: card }, (_, k) => String(k)),
    card,
    cpt,
    cdf: cpt.map((r) => cumulativeProbs(r)),
    values,
  };
}

/** Kahn's algorithm; throws naming the nodes on a cycle. */
function topologicalOrder(specs: readonly NodeSpec[]): string[] {
  const indeg = new Map(specs.map((s) => [s.name, (s.parents ?? []).length]));
  const order: string[] = [];
  const queue = specs.filter((s) => (s.parents ?? []).length === 0).map((s) => s.name);
  while (queue.length) {
    const v = queue.shift() as string;
    order.push(v);
    for (const s of specs) {
      if ((s.parents ?? []).includes(v)) {
        const d = (indeg.get(s.name) as number) - 1;
        indeg.set(s.name, d);
        if (d === 0) queue.push(s.name);
      }
    }
  }
  if (order.length !== specs.length) {
    const left = specs.filter((s) => !order.includes(s.name)).map((s) => s.name);
    throw new RangeError(`BayesNet: the graph has a directed cycle through ${left.join(", ")}; a Bayesian network must be a DAG.`);
  }
  return order;
}
