import { describe, expect, it } from "vitest";
import { rng } from "../../src/runtime/rng";
import { chainRuleNet, enumerationMarginals } from "../../src/graphical";

function randomJoint(seed: number, size: number, zeros: number[] = []): number[] {
  const r = rng(seed);
  const w = Array.from({ length: size }, (_, i) => (zeros.includes(i) ? 0 : -Math.log(r.uniformOpen())));
  const s = w.reduce((a, b) => a + b, 0);
  return w.map((v) => v / s);
}

/** All assignments of the mixed radix `cards`, first variable slowest (the joint's order). */
function assignments(cards: number[]): number[][] {
  let out: number[][] = [[]];
  for (const c of cards) out = out.flatMap((a) => Array.from({ length: c }, (_, k) => [...a, k]));
  return out;
}

describe("chainRuleNet: p(x) = Π_t p(x_t | x_<t) for any joint", () => {
  it("reproduces every entry of a random joint over cards (2, 3, 2, 3)", () => {
    const cards = [2, 3, 2, 3];
    const names = ["a", "b", "c", "d"];
    const joint = randomJoint(5, 36);
    const net = chainRuleNet(names, cards, joint);
    assignments(cards).forEach((x, i) => {
      const asg = Object.fromEntries(names.map((n, t) => [n, x[t]]));
      expect(Math.abs(Math.exp(net.logProb(asg)) - joint[i])).toBeLessThan(1e-15);
    });
    // The complete DAG: node t has all earlier nodes as parents.
    expect(net.nodes.map((n) => n.parents.length)).toEqual([0, 1, 2, 3]);
  });

  it("has the joint's marginals (p(b = 2) summed by hand)", () => {
    const cards = [2, 3, 2];
    const joint = randomJoint(9, 12);
    const net = chainRuleNet(["a", "b", "c"], cards, joint);
    let pb2 = 0;
    assignments(cards).forEach((x, i) => { if (x[1] === 2) pb2 += joint[i]; });
    expect(enumerationMarginals(net).marginals.b[2]).toBeCloseTo(pb2, 14);
  });

  it("handles a zero-probability prefix (uniform row) and still reproduces the joint", () => {
    const cards = [2, 2, 2];
    const joint = randomJoint(3, 8, [0, 1]); // p(a=0, b=0) = 0
    const net = chainRuleNet(["a", "b", "c"], cards, joint);
    expect(Array.from(net.cptRow("c", { a: 0, b: 0 }))).toEqual([0.5, 0.5]);
    assignments(cards).forEach((x, i) => {
      expect(Math.exp(net.logProb({ a: x[0], b: x[1], c: x[2] }))).toBeCloseTo(joint[i], 15);
    });
  });

  it("rejects bad input with a clear message", () => {
    expect(() => chainRuleNet(["a", "b"], [2], [0.5, 0.5])).toThrow(/one cardinality per name/);
    expect(() => chainRuleNet(["a"], [2], [0.5, 0.5, 0])).toThrow(/needs 2 entries/);
    expect(() => chainRuleNet(["a"], [2], [0.7, 0.7])).toThrow(/sums to/);
    expect(() => chainRuleNet(["a"], [2], [1.5, -0.5])).toThrow(/≥ 0/);
  });
});
