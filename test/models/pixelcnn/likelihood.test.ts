import { beforeAll, describe, expect, it } from "vitest";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../../src/runtime/backend";
import { Rng } from "../../../src/runtime/rng";
import { PixelCnn, PixelCnnConfig } from "../../../src/models/pixelcnn/network";
import { pixelCnnNll } from "../../../src/models/pixelcnn/likelihood";
import { pixelConditionals } from "../../../src/models/pixelcnn/sampling";

beforeAll(async () => {
  await initBackend();
});

function zeroed(m: PixelCnn): PixelCnn {
  for (const v of m.params.values()) v.assign(tf.zerosLike(v));
  return m;
}

const cfg = (c: Partial<PixelCnnConfig>): Partial<PixelCnnConfig> => ({ height: 6, width: 5, channels: 8, blocks: 2, firstKernel: 3, ...c });

describe("PixelCNN exact likelihood", () => {
  it("zero logits give −log p(x) = H·W·log 2 for binary images (0.5 per pixel) and 1 bit per dimension", () => {
    const m = zeroed(new PixelCnn(cfg({}), new Rng(1)));
    const r = new Rng(2);
    const x = new Float32Array(3 * 30).map(() => (r.uniform() < 0.3 ? 1 : 0));
    const nll = pixelCnnNll(m, x);
    for (const v of nll.perImage) expect(v).toBeCloseTo(30 * Math.LN2, 4);
    expect(nll.bitsPerDim).toBeCloseTo(1, 6);
    m.dispose();
  });

  it("zero logits give H·W·log K for code maps (uniform over K codes), whatever the architecture", () => {
    for (const architecture of ["pixelcnn", "gated"] as const) {
      const K = 7;
      const m = zeroed(new PixelCnn(cfg({ output: "categorical", numCategories: K, architecture }), new Rng(1)));
      const r = new Rng(3);
      const x = new Int32Array(4 * 30).map(() => r.int(K));
      const nll = pixelCnnNll(m, x, { batchSize: 3 });
      for (const v of nll.perImage) expect(v).toBeCloseTo(30 * Math.log(K), 3);
      expect(nll.natsPerDim).toBeCloseTo(Math.log(K), 5);
      m.dispose();
    }
  });

  it("−log p(x) is the sum of −log p(x_i | x_<i) over pixels (chain rule), computed independently in double precision", () => {
    const m = new PixelCnn(cfg({ output: "categorical", numCategories: 4, numLabels: 3 }), new Rng(4));
    const r = new Rng(5);
    const n = 3;
    const x = new Int32Array(n * 30).map(() => r.int(4));
    const labels = Int32Array.from([0, 2, 1]);
    const p = pixelConditionals(m, x, labels);
    const nll = pixelCnnNll(m, x, { labels, batchSize: 2 });
    for (let s = 0; s < n; s++) {
      let sum = 0;
      for (let i = 0; i < 30; i++) sum -= Math.log(p[(s * 30 + i) * 4 + x[s * 30 + i]]);
      expect(nll.perImage[s]).toBeCloseTo(sum, 3);
    }
    // labels change the likelihood (the conditioning is wired in)
    const other = pixelCnnNll(m, x, { labels: 0, batchSize: 2 });
    expect(other.perImage[1]).not.toBeCloseTo(nll.perImage[1], 3);
    m.dispose();
  });

  it("gives clear errors for a code ≥ K, a non-binary pixel, a wrong image size and missing labels", () => {
    const m = new PixelCnn(cfg({ output: "categorical", numCategories: 4 }), new Rng(1));
    expect(() => pixelCnnNll(m, new Int32Array(30).fill(4))).toThrow(/code 4 .*K = 4/);
    expect(() => pixelCnnNll(m, new Int32Array(49))).toThrow(/not a whole number of 6×5/);
    const b = new PixelCnn(cfg({}), new Rng(1));
    expect(() => pixelCnnNll(b, new Float32Array(30).fill(0.5))).toThrow(/binary pixels.*Binarize/);
    const c = new PixelCnn(cfg({ numLabels: 2 }), new Rng(1));
    expect(() => pixelCnnNll(c, new Float32Array(30))).toThrow(/class-conditional/);
    expect(() => pixelCnnNll(c, new Float32Array(30), { labels: 2 })).toThrow(/label 2/);
    [m, b, c].forEach((x) => x.dispose());
  });
});
