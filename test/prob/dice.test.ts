import { describe, expect, it } from "vitest";
import { rng } from "../../src/runtime/rng";
import { DICE_HANDS, diceHand, diceHandProbabilities, simulateDiceHands } from "../../src/prob/dice";

describe("five dice (lecture 003)", () => {
  const { outcomes, counts, probs } = diceHandProbabilities(5);
  it("enumerates 6^5 = 7776 outcomes and the probabilities sum to 1", () => {
    expect(outcomes).toBe(7776);
    expect(DICE_HANDS.reduce((a, h) => a + counts[h], 0)).toBe(7776);
    expect(DICE_HANDS.reduce((a, h) => a + probs[h], 0)).toBeCloseTo(1, 14);
  });
  it("matches hand-counted cases", () => {
    expect(counts["five of a kind"]).toBe(6); // 6 faces
    expect(counts["four of a kind"]).toBe(6 * 5 * 5); // face, odd face, position of the odd die
    expect(counts["full house"]).toBe(6 * 5 * 10); // triple face, pair face, C(5,3) positions = 300
    expect(counts["straight"]).toBe(2 * 120); // {1..5} or {2..6}, 5! orders
    expect(counts["three of a kind"]).toBe(6 * 10 * 5 * 4); // = 1200
    expect(counts["two pairs"]).toBe(15 * 4 * 30); // C(6,2) pair faces, odd face, 5!/(2!2!1!) = 1800
    expect(counts["one pair"]).toBe(6 * 10 * 5 * 4 * 3); // = 3600
    expect(probs["full house"]).toBe(300 / 7776);
    expect(diceHand([3, 3, 5, 5, 3])).toBe("full house");
    expect(diceHand([2, 4, 3, 6, 5])).toBe("straight");
    expect(diceHand([1, 2, 3, 4, 6])).toBe("nothing");
    expect(() => diceHand([0, 1, 2, 3, 4])).toThrow(/not 1..6/);
  });
  it("simulation frequencies agree with the exact probabilities within 4 SE", () => {
    const sim = simulateDiceHands(rng(21), 50_000);
    for (const h of DICE_HANDS) {
      const se = Math.sqrt((probs[h] * (1 - probs[h])) / 50_000);
      expect(Math.abs(sim[h].freq - probs[h]), h).toBeLessThan(4 * se);
    }
  });
});
