/**
 * The chain rule of probability as a DGM (lecture 001, "chain rule"; lecture 000, "RNN as a DGM"):
 *
 *   p(x_1, …, x_T) = Π_t p(x_t | x_1, …, x_{t−1}),
 *
 * which holds for ANY joint distribution. `chainRuleNet` turns a joint table into the complete
 * DAG (every earlier variable is a parent of every later one) whose CPT rows are the
 * conditionals p(x_t | x_{<t}) = p(x_{≤t}) / p(x_{<t}), obtained by marginalizing the joint.
 */
import { BayesNet, type DiscreteNodeSpec } from "./bayesnet";

/**
 * The complete-DAG Bayesian network that reproduces `joint` exactly.
 *
 * `joint` has Π cards entries in row-major order (the first variable varies slowest), the
 * same mixed radix as a CPT's rows. A prefix x_{<t} of probability 0 gets a uniform row (any
 * row reproduces the joint there, since the product is already 0).
 */
export function chainRuleNet(names: readonly string[], cards: readonly number[], joint: ArrayLike<number>): BayesNet {
  if (names.length === 0 || names.length !== cards.length) {
    throw new RangeError(`chainRuleNet: need one cardinality per name; got ${names.length} names and ${cards.length} cardinalities.`);
  }
  for (const c of cards) {
    if (!Number.isInteger(c) || c < 1) throw new RangeError(`chainRuleNet: cardinalities must be positive integers; got ${c}.`);
  }
  const size = cards.reduce((a, b) => a * b, 1);
  if (joint.length !== size) throw new RangeError(`chainRuleNet: the joint needs ${size} entries (Π cards); got ${joint.length}.`);
  let total = 0;
  for (let i = 0; i < size; i++) {
    const v = joint[i];
    if (!(v >= 0) || !Number.isFinite(v)) throw new RangeError(`chainRuleNet: joint[${i}] = ${v}; probabilities must be finite and ≥ 0.`);
    total += v;
  }
  if (Math.abs(total - 1) > 1e-9) throw new RangeError(`chainRuleNet: the joint sums to ${total}, not 1. Normalize it first.`);

  const specs: DiscreteNodeSpec[] = [];
  for (let t = 0; t < names.length; t++) {
    // Marginal of the prefix x_{≤t}: sum out the trailing variables (row-major, so contiguous blocks).
    const prefixSize = cards.slice(0, t + 1).reduce((a, b) => a * b, 1);
    const block = size / prefixSize;
    const rows: number[][] = [];
    for (let r = 0; r < prefixSize / cards[t]; r++) {
      const row: number[] = [];
      for (let k = 0; k < cards[t]; k++) {
        let s = 0;
        const start = (r * cards[t] + k) * block;
        for (let j = 0; j < block; j++) s += joint[start + j];
        row.push(s);
      }
      const z = row.reduce((a, b) => a + b, 0);
      rows.push(z > 0 ? row.map((v) => v / z) : row.map(() => 1 / cards[t]));
    }
    specs.push({ name: names[t], parents: names.slice(0, t), cpt: rows });
  }
  return new BayesNet(specs);
}
