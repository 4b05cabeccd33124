/**
 * Five dice (lecture 003, "Probabilistic plants"): 6^5 = 7,776 equally likely outcomes.
 * Each hand's probability is (number of outcomes with that hand) / 7,776, counted here by
 * enumerating every outcome and checked against simulation.
 */
import type { Rng } from "../runtime/rng";

export const DICE_HANDS = [
  "five of a kind",
  "four of a kind",
  "full house",
  "straight",
  "three of a kind",
  "two pairs",
  "one pair",
  "nothing",
] as const;
export type DiceHand = (typeof DICE_HANDS)[number];

/** The hand of one roll (faces 1..6; any number of dice ≥ 1, hands defined for five). */
export function diceHand(faces: ArrayLike<number>): DiceHand {
  const counts = new Array(7).fill(0);
  for (let i = 0; i < faces.length; i++) {
    const f = faces[i];
    if (!Number.isInteger(f) || f < 1 || f > 6) throw new RangeError(`diceHand: face ${f} at position ${i} is not 1..6.`);
    counts[f]++;
  }
  const c = counts.slice(1).filter((x) => x > 0).sort((a, b) => b - a);
  if (c[0] === 5) return "five of a kind";
  if (c[0] === 4) return "four of a kind";
  if (c[0] === 3 && c[1] === 2) return "full house";
  if (c[0] === 3) return "three of a kind";
  if (c[0] === 2 && c[1] === 2) return "two pairs";
  if (c[0] === 2) return "one pair";
  const straight = faces.length === 5 && (counts[1] === 0 || counts[6] === 0);
  return straight ? "straight" : "nothing";
}

/** Exact hand counts and probabilities by enumerating all 6^n outcomes of n dice (n ≤ 8). */
export function diceHandProbabilities(nDice = 5): { outcomes: number; counts: Record<DiceHand, number>; probs: Record<DiceHand, number> } {
  if (!Number.isInteger(nDice) || nDice < 1 || nDice > 8) throw new RangeError(`diceHandProbabilities: nDice must be 1..8; got ${nDice}.`);
  const outcomes = 6 ** nDice;
  const counts = Object.fromEntries(DICE_HANDS.map((h) => [h, 0])) as Record<DiceHand, number>;
  const faces = new Array(nDice).fill(1);
  for (let k = 0; k < outcomes; k++) {
    counts[diceHand(faces)]++;
    for (let i = nDice - 1; i >= 0; i--) {
      if (++faces[i] <= 6) break;
      faces[i] = 1;
    }
  }
  const probs = Object.fromEntries(DICE_HANDS.map((h) => [h, counts[h] / outcomes])) as Record<DiceHand, number>;
  return { outcomes, counts, probs };
}

/** Roll n hands of `nDice` dice and return each hand's frequency and its binomial standard error √(f(1−f)/n). */
export function simulateDiceHands(rng: Rng, n: number, nDice = 5): Record<DiceHand, { freq: number; se: number }> {
  if (!Number.isInteger(n) || n < 2) throw new RangeError(`simulateDiceHands: n must be an integer ≥ 2; got ${n}.`);
  const counts = Object.fromEntries(DICE_HANDS.map((h) => [h, 0])) as Record<DiceHand, number>;
  const faces = new Array(nDice).fill(1);
  for (let k = 0; k < n; k++) {
    for (let i = 0; i < nDice; i++) faces[i] = 1 + rng.int(6);
    counts[diceHand(faces)]++;
  }
  return Object.fromEntries(
    DICE_HANDS.map((h) => {
      const f = counts[h] / n;
      return [h, { freq: f, se: Math.sqrt(Math.max(f * (1 - f), 1 / n) / n) }];
    }),
  ) as Record<DiceHand, { freq: number; se: number }>;
}
