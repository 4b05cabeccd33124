import { beforeAll, describe, expect, it } from "vitest";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../../src/runtime/backend";
import { Rng } from "../../../src/runtime/rng";
import { PixelCnn, PixelCnnConfig } from "../../../src/models/pixelcnn/network";
import { blindSpotPairs, dependenceMatrix, inputGradients } from "../../../src/models/pixelcnn/receptiveField";

beforeAll(async () => {
  await initBackend();
});

/** |∂ Σ_k logits(i, k) / ∂ input(j)| summed over input channels: J[i][j] for every output i, input j. */
function jacobian(model: PixelCnn, labels?: number): number[][] {
  const { height: H, width: W } = model.config;
  const D = H * W;
  const r = new Rng(7);
  const x = new Float32Array(D * model.inputChannels).map(() => 0.2 + 0.6 * r.uniform());
  return dependenceMatrix(model, [x], labels).map((row) => Array.from(row));
}

const small = (c: Partial<PixelCnnConfig>) => new PixelCnn({ height: 5, width: 5, channels: 8, blocks: 3, firstKernel: 3, blockKernel: 3, ...c }, new Rng(3));

describe("autoregressive property of the whole stacked network (exhaustive on 5×5 images)", () => {
  const cases: [string, Partial<PixelCnnConfig>][] = [
    ["PixelCNN, Bernoulli", {}],
    ["PixelCNN, 7×7 first layer, categorical K = 3", { firstKernel: 7, output: "categorical", numCategories: 3 }],
    ["PixelCNN, categorical K = 6 with a learned code embedding", { output: "categorical", numCategories: 6, embedding: 4, numLabels: 3 }],
    ["gated PixelCNN, Bernoulli", { architecture: "gated" }],
    ["gated PixelCNN, class-conditional categorical", { architecture: "gated", output: "categorical", numCategories: 4, numLabels: 2 }],
  ];
  for (const [name, cfg] of cases) {
    it(`${name}: ∂ output i / ∂ input j = 0 for every j ≥ i`, () => {
      const m = small(cfg);
      const J = jacobian(m, cfg.numLabels ? 1 : undefined);
      let checked = 0;
      for (let i = 0; i < J.length; i++) {
        for (let j = i; j < J.length; j++) {
          expect(J[i][j], `output ${i}, input ${j}`).toBe(0);
          checked++;
        }
      }
      expect(checked).toBe((25 * 26) / 2);
      // and the network is not trivially zero: the left neighbour matters
      for (let i = 0; i < J.length; i++) if (i % 5 > 0) expect(J[i][i - 1], `output ${i}, input ${i - 1}`).toBeGreaterThan(0);
      m.dispose();
    });
  }

  it("stacked mask-A/B convolutions have a blind spot; the gated variant has none (every earlier pixel within reach matters)", () => {
    const plain = small({ blocks: 3 });
    const gated = small({ architecture: "gated", blocks: 3 });
    // reach 1 + 3 = 4 ≥ 4: the whole 5×5 image is within reach of every output
    expect(plain.reach()).toEqual({ up: 4, side: 4 });
    const Jp = jacobian(plain);
    const Jg = jacobian(gated);
    let blind = 0;
    for (let i = 0; i < 25; i++) {
      for (let j = 0; j < i; j++) {
        expect(Jg[i][j], `gated: output ${i}, input ${j}`).toBeGreaterThan(0);
        // Stacked 3×3 masks move information by steps (−1, −1), (−1, 0), (−1, +1), (0, −1) (and
        // (0, 0) after mask A): an earlier pixel dy rows up and dx columns right is reached iff
        // dx ≤ −dy. The rest — up and more to the right than up — is the blind spot.
        const dy = Math.floor(j / 5) - Math.floor(i / 5);
        const dx = (j % 5) - (i % 5);
        const isBlind = dy < 0 && dx > -dy;
        if (isBlind) blind++;
        expect(Jp[i][j] === 0, `PixelCNN: output ${i}, input ${j} (dy ${dy}, dx ${dx})`).toBe(isBlind);
      }
    }
    expect(blind).toBeGreaterThan(0);
    // blindSpotPairs (what notebook 11 counts) finds exactly these pairs, over two inputs; none for the gated net.
    const r = new Rng(8);
    const inputs = [0, 1].map(() => new Float32Array(25).map(() => 0.2 + 0.6 * r.uniform()));
    const bp = blindSpotPairs(plain, inputs);
    expect(bp.earlierPairs).toBe((25 * 24) / 2);
    expect(bp.unseen.length).toBe(blind);
    for (const { output, input } of bp.unseen) expect(input[1] - output[1]).toBeGreaterThan(output[0] - input[0]);
    expect(blindSpotPairs(gated, inputs).unseen).toEqual([]);
    expect(() => blindSpotPairs(plain, [])).toThrow(/at least one input/);
    plain.dispose();
    gated.dispose();
  });

  it("leaves no tensors behind", () => {
    const m = small({});
    const before = tf.memory().numTensors;
    inputGradients(m, new Float32Array(25).fill(0.5), 2, 2);
    expect(tf.memory().numTensors).toBe(before);
    m.dispose();
  });
});
