import { describe, expect, it } from "vitest";
import { rng, type Rng } from "../../src/runtime/rng";
import {
  BayesNet,
  conditionGaussian,
  dSeparated,
  enumerationMarginals,
  gaussianJoint,
  mixedPosterior,
  variableElimination,
  variableEliminationMarginals,
  type NodeSpec,
} from "../../src/graphical";
import { MultivariateNormal } from "../../src/prob";

function randomRow(r: Rng, k: number): number[] {
  const w = Array.from({ length: k }, () => r.uniform() + 0.05);
  const s = w.reduce((a, b) => a + b, 0);
  return w.map((x) => x / s);
}

/** A random DAG over n discrete nodes: node i picks up to 3 parents among 0..i−1. */
function randomNet(r: Rng, n: number): BayesNet {
  const specs: NodeSpec[] = [];
  const cards: number[] = [];
  for (let i = 0; i < n; i++) {
    const card = 2 + r.int(2);
    cards.push(card);
    const parents: number[] = [];
    for (let j = 0; j < i; j++) if (r.uniform() < 0.4 && parents.length < 3) parents.push(j);
    const rows = parents.reduce((a, p) => a * cards[p], 1);
    specs.push({ name: `X${i + 1}`, parents: parents.map((p) => `X${p + 1}`), cpt: Array.from({ length: rows }, () => randomRow(r, card)) });
  }
  return new BayesNet(specs);
}

/** The lecture's five-variable network. */
const five = new BayesNet([
  { name: "X1", cpt: [0.6, 0.4] },
  { name: "X2", parents: ["X1"], cpt: [[0.7, 0.3], [0.2, 0.8]] },
  { name: "X3", cpt: [0.3, 0.7] },
  { name: "X4", parents: ["X2", "X3"], cpt: [[0.9, 0.1], [0.5, 0.5], [0.4, 0.6], [0.05, 0.95]] },
  { name: "X5", parents: ["X3"], cpt: [[0.8, 0.2], [0.25, 0.75]] },
]);

describe("Bayesian networks: structure", () => {
  it("prints the factorization", () => {
    expect(five.factorization()).toBe("P(X1, X2, X3, X4, X5) = P(X1) P(X2 | X1) P(X3) P(X4 | X2, X3) P(X5 | X3)");
    expect(five.factorizationLatex()).toContain("P(X_{4} \\mid X_{2}, X_{3})");
  });
  it("rejects cycles, missing parents and wrong CPT shapes with clear errors", () => {
    expect(() => new BayesNet([{ name: "A", parents: ["B"], cpt: [[1, 0], [0, 1]] }, { name: "B", parents: ["A"], cpt: [[1, 0], [0, 1]] }])).toThrow(/cycle through A, B/);
    expect(() => new BayesNet([{ name: "A", parents: ["Z"], cpt: [[1, 0], [0, 1]] }])).toThrow(/parent Z, which is not a node/);
    expect(() => new BayesNet([{ name: "A", cpt: [0.5, 0.5] }, { name: "B", parents: ["A"], cpt: [[0.5, 0.5]] }])).toThrow(/1 CPT rows.*2 configurations/);
    expect(() => new BayesNet([{ name: "A", cpt: [0.5, 0.6] }])).toThrow(/sums to 1.1/);
    expect(() => new BayesNet([{ name: "C", kind: "gaussian", sigma: 1 }, { name: "A", parents: ["C"], cpt: [[1, 0]] }])).toThrow(/continuous parent C/);
  });
  it("the joint sums to 1 over all assignments", () => {
    expect(enumerationMarginals(five).evidenceProb).toBeCloseTo(1, 14);
  });
});

describe("exact inference", () => {
  it("variable elimination equals enumeration to 1e-12 on random networks", () => {
    const r = rng(3);
    for (let t = 0; t < 15; t++) {
      const net = randomNet(r, 7);
      const ev: Record<string, number> = {};
      for (const name of net.names) if (r.uniform() < 0.25) ev[name] = r.int((net.node(name) as { card: number }).card);
      const en = enumerationMarginals(net, ev);
      const ve = variableEliminationMarginals(net, ev);
      expect(Math.abs(ve.evidenceProb - en.evidenceProb)).toBeLessThan(1e-12);
      for (const name of Object.keys(en.marginals)) {
        en.marginals[name].forEach((p, k) => expect(Math.abs(ve.marginals[name][k] - p)).toBeLessThan(1e-12));
      }
    }
  });
  it("hand-computed marginal P(X2 = 1) = Σ_x1 P(x1) P(X2=1|x1)", () => {
    expect(variableElimination(five, "X2").marginal[1]).toBeCloseTo(0.6 * 0.3 + 0.4 * 0.8, 14);
    // Bayes' rule: P(X1=1 | X2=1) = 0.4·0.8 / 0.5.
    expect(variableElimination(five, "X1", { X2: 1 }).marginal[1]).toBeCloseTo(0.32 / 0.5, 14);
  });
  it("ancestral sampling frequencies agree with the exact marginals (4 SE)", () => {
    const n = 40_000;
    const cols = five.sample(rng(5), n);
    const exact = enumerationMarginals(five).marginals;
    for (const name of five.names) {
      const p = exact[name][1];
      const freq = cols[name].reduce((a, b) => a + b, 0) / n;
      expect(Math.abs(freq - p)).toBeLessThan(4 * Math.sqrt((p * (1 - p)) / n));
    }
  });
});

describe("linear-Gaussian networks", () => {
  // The lecture's a,b,c,d example with Gaussian CPDs: A ~ N(1, 1), B ~ N(−1, 0.5²), C ~ N(A + B, 0.8²), D ~ N(2 + C, 0.6²).
  const abcd = new BayesNet([
    { name: "A", kind: "gaussian", bias: 1, sigma: 1 },
    { name: "B", kind: "gaussian", bias: -1, sigma: 0.5 },
    { name: "C", kind: "gaussian", parents: ["A", "B"], sigma: 0.8 },
    { name: "D", kind: "gaussian", parents: ["C"], bias: 2, sigma: 0.6 },
  ]);
  it("the joint Gaussian has the closed-form moments and its density equals the factorized one", () => {
    const j = gaussianJoint(abcd);
    expect(Array.from(j.mean)).toEqual([1, -1, 0, 2]);
    const varC = 1 + 0.25 + 0.64;
    expect(j.cov[2 * 4 + 2]).toBeCloseTo(varC, 14);
    expect(j.cov[3 * 4 + 3]).toBeCloseTo(varC + 0.36, 14);
    expect(j.cov[0 * 4 + 3]).toBeCloseTo(1, 14);
    const mvn = new MultivariateNormal(j.mean, j.cov);
    const x = { A: 0.3, B: -0.2, C: 0.5, D: 1.7 };
    expect(mvn.logProb([x.A, x.B, x.C, x.D])).toBeCloseTo(abcd.logProb(x), 12);
  });
  it("conditioning on D equals the scalar closed form and rejection-free sampling", () => {
    const d = 3.5;
    const post = conditionGaussian(gaussianJoint(abcd), { D: d });
    // P(A | D = d): Cov(A, D) = 1, Var(D) = 1 + 0.25 + 0.64 + 0.36 = 2.25.
    expect(post.mean[0]).toBeCloseTo(1 + (1 / 2.25) * (d - 2), 14);
    expect(post.cov[0]).toBeCloseTo(1 - 1 / 2.25, 14);
    expect(post.logEvidence).toBeCloseTo(-0.5 * ((d - 2) ** 2 / 2.25) - 0.5 * Math.log(2 * Math.PI * 2.25), 12);
    // Sampling check: E[A | D ≈ d] by regression on joint samples: A − βD is independent of D.
    const n = 40_000;
    const cols = abcd.sample(rng(9), n);
    const beta = 1 / 2.25;
    const resid = Float64Array.from(cols.A, (a, i) => a - beta * (cols.D[i] - 2));
    const m = resid.reduce((s, v) => s + v, 0) / n;
    const v = resid.reduce((s, x) => s + (x - m) ** 2, 0) / (n - 1);
    expect(Math.abs(m + beta * (d - 2) - post.mean[0])).toBeLessThan(4 * Math.sqrt(v / n));
    expect(Math.abs(v - post.cov[0])).toBeLessThan(4 * v * Math.sqrt(2 / n));
  });
  it("mixed network: discrete A, B with the lecture's CPTs, Gaussian C and D", () => {
    const mixed = new BayesNet([
      { name: "A", cpt: [0.75, 0.25] },
      { name: "B", cpt: [0.33, 0.67] },
      { name: "C", kind: "gaussian", parents: ["A", "B"], sigma: 0.5 },
      { name: "D", kind: "gaussian", parents: ["C"], bias: 1, sigma: 0.5 },
    ]);
    const d = 2.8;
    const post = mixedPosterior(mixed, { D: d });
    // By hand: D | a, b ~ N(1 + a + b, 0.5² + 0.5²).
    const lik = (s: number) => Math.exp(-((d - 1 - s) ** 2) / (2 * 0.5)) / Math.sqrt(2 * Math.PI * 0.5);
    const w = [0.75 * 0.33 * lik(0), 0.75 * 0.67 * lik(1), 0.25 * 0.33 * lik(1), 0.25 * 0.67 * lik(2)];
    const z = w.reduce((a, b) => a + b, 0);
    expect(post.discrete.A[1]).toBeCloseTo((w[2] + w[3]) / z, 13);
    expect(post.discrete.B[1]).toBeCloseTo((w[1] + w[3]) / z, 13);
    expect(post.logEvidence).toBeCloseTo(Math.log(z), 12);
    // E[C | a, b, d] = (a + b) + ½(d − 1 − a − b).
    const ec = [0, 1, 1, 2].map((s) => s + 0.5 * (d - 1 - s));
    expect(post.continuous.C.mean).toBeCloseTo(w.reduce((a, wi, i) => a + wi * ec[i], 0) / z, 12);
  });
});

describe("d-separation (Bayes ball), textbook cases", () => {
  const chain = new BayesNet([
    { name: "A", cpt: [0.5, 0.5] },
    { name: "B", parents: ["A"], cpt: [[0.5, 0.5], [0.5, 0.5]] },
    { name: "C", parents: ["B"], cpt: [[0.5, 0.5], [0.5, 0.5]] },
  ]);
  const fork = new BayesNet([
    { name: "B", cpt: [0.5, 0.5] },
    { name: "A", parents: ["B"], cpt: [[0.5, 0.5], [0.5, 0.5]] },
    { name: "C", parents: ["B"], cpt: [[0.5, 0.5], [0.5, 0.5]] },
  ]);
  const vstruct = new BayesNet([
    { name: "A", cpt: [0.5, 0.5] },
    { name: "C", cpt: [0.5, 0.5] },
    { name: "B", parents: ["A", "C"], cpt: [[0.5, 0.5], [0.5, 0.5], [0.5, 0.5], [0.5, 0.5]] },
    { name: "D", parents: ["B"], cpt: [[0.5, 0.5], [0.5, 0.5]] },
  ]);
  it("chain, fork, collider, collider's descendant", () => {
    expect(dSeparated(chain, "A", "C")).toBe(false);
    expect(dSeparated(chain, "A", "C", ["B"])).toBe(true);
    expect(dSeparated(fork, "A", "C")).toBe(false);
    expect(dSeparated(fork, "A", "C", ["B"])).toBe(true);
    expect(dSeparated(vstruct, "A", "C")).toBe(true);
    expect(dSeparated(vstruct, "A", "C", ["B"])).toBe(false);
    expect(dSeparated(vstruct, "A", "C", ["D"])).toBe(false);
  });
  it("the five-variable network: X1 ⊥ X3, X1 ⊥ X5 | X3 … and the independence holds numerically", () => {
    expect(dSeparated(five, "X1", "X3")).toBe(true);
    expect(dSeparated(five, "X1", "X3", ["X4"])).toBe(false);
    expect(dSeparated(five, "X1", "X5")).toBe(true);
    expect(dSeparated(five, "X2", "X5", ["X3"])).toBe(true);
    expect(dSeparated(five, "X2", "X5", ["X4"])).toBe(false);
    expect(dSeparated(five, "X1", "X4", ["X2"])).toBe(true);
    // Numeric: P(X1 | X3 = 1) = P(X1), but P(X1 | X3 = 1, X4 = 1) ≠ P(X1 | X4 = 1).
    expect(variableElimination(five, "X1", { X3: 1 }).marginal[1]).toBeCloseTo(0.4, 14);
    const a = variableElimination(five, "X1", { X3: 1, X4: 1 }).marginal[1];
    const b = variableElimination(five, "X1", { X4: 1 }).marginal[1];
    expect(Math.abs(a - b)).toBeGreaterThan(1e-3);
  });
});
