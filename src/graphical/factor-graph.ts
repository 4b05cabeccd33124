/**
 * Factor graphs (undirected, globally normalized models), lecture 000 "Locally Normalized
 * vs. Globally Normalized":
 *
 *   p(x) = (1/Z) Π_α ψ_α(x_α),   Z = Σ_x Π_α ψ_α(x_α),
 *
 * versus a directed model's Π_t P(x_t | parents(x_t)), whose factors are already
 * normalized (Z = 1). Exact Z and marginals by enumeration on small graphs.
 */
import { type Factor, factorIndex, makeFactor } from "./factor";

export class FactorGraph {
  readonly variables: readonly string[];
  readonly card: Record<string, number>;
  readonly factors: Factor[] = [];

  /** `variables`: name → number of states. */
  constructor(variables: Record<string, number>) {
    this.card = { ...variables };
    this.variables = Object.keys(variables);
    for (const [v, k] of Object.entries(variables)) {
      if (!Number.isInteger(k) || k < 1) throw new RangeError(`FactorGraph: variable ${v} needs a positive integer number of states; got ${k}.`);
    }
  }

  /** Add a potential ψ(x_scope) ≥ 0, a table row-major over `scope` (first variable slowest). */
  addFactor(scope: string[], table: ArrayLike<number>): this {
    for (const v of scope) if (!(v in this.card)) throw new RangeError(`FactorGraph.addFactor: unknown variable ${v}.`);
    this.factors.push(makeFactor(scope, scope.map((v) => this.card[v]), table, `factor over [${scope.join(", ")}]`));
    return this;
  }

  /** log Π_α ψ_α(x_α) for a full assignment (the unnormalized log-probability). */
  logUnnormalized(x: Record<string, number>): number {
    let s = 0;
    for (const f of this.factors) s += Math.log(f.table[factorIndex(f, f.vars.map((v) => x[v]))]);
    return s;
  }

  private enumerate(visit: (x: Record<string, number>, w: number) => void): void {
    const total = this.variables.reduce((a, v) => a * this.card[v], 1);
    if (total > 1 << 22) throw new RangeError(`FactorGraph: ${total} joint states is too many to enumerate.`);
    const x: Record<string, number> = {};
    for (const v of this.variables) x[v] = 0;
    for (let idx = 0; idx < total; idx++) {
      visit(x, Math.exp(this.logUnnormalized(x)));
      for (let k = this.variables.length - 1; k >= 0; k--) {
        const v = this.variables[k];
        if (++x[v] < this.card[v]) break;
        x[v] = 0;
      }
    }
  }

  /** The partition function Z = Σ_x Π_α ψ_α(x_α). */
  partitionFunction(): number {
    let z = 0;
    this.enumerate((_, w) => (z += w));
    return z;
  }

  /** p(x) = Π_α ψ_α(x_α) / Z. */
  prob(x: Record<string, number>, Z = this.partitionFunction()): number {
    return Math.exp(this.logUnnormalized(x)) / Z;
  }

  /** Exact single-variable marginals by enumeration. */
  marginals(): Record<string, Float64Array> {
    const acc: Record<string, Float64Array> = {};
    for (const v of this.variables) acc[v] = new Float64Array(this.card[v]);
    let z = 0;
    this.enumerate((x, w) => {
      z += w;
      for (const v of this.variables) acc[v][x[v]] += w;
    });
    for (const v of this.variables) acc[v] = acc[v].map((a) => a / z);
    return acc;
  }
}
