/**
 * Masked convolutions convolve with their usable taps only (PixelCnn.crops, maskCrop): the
 * filter gradient is then not computed for taps the mask zeroes. Checked against the
 * uncropped network (the whole masked kernel with "same" padding): the same logits bit for bit
 * (the wasm kernels already skipped zero rows and columns of taps in the forward pass), and the
 * same gradients (masked taps get 0 either way; only the sign of those zeros may differ).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as tf from "@tensorflow/tfjs";
import { initBackend, useBackend } from "../../../src/runtime/backend";
import { Rng } from "../../../src/runtime/rng";
import { convMask, expandSpatialMask, gatedStackMask } from "../../../src/models/pixelcnn/masks";
import { type MaskCrop, PixelCnn, type PixelCnnConfig, maskCrop } from "../../../src/models/pixelcnn/network";

beforeAll(async () => {
  await initBackend();
});

afterAll(async () => {
  await useBackend("wasm");
});

describe("maskCrop", () => {
  const box = (c: MaskCrop | null) => (c ? { rows: [c.i0, c.i1], cols: [c.j0, c.j1], pad: c.pad } : null);

  it("mask A 7×7 keeps the top four rows (the centre row's left half is in row 3), padding moved", () => {
    expect(box(maskCrop(convMask(7, "A", { inChannels: 1, outChannels: 2 }), 7, 1, 2))).toEqual({ rows: [0, 4], cols: [0, 7], pad: [[0, 0], [3, 0], [3, 3], [0, 0]] });
  });

  it("mask B 3×3 keeps two rows", () => {
    expect(box(maskCrop(convMask(3, "B", { inChannels: 2, outChannels: 2 }), 3, 2, 2))).toEqual({ rows: [0, 2], cols: [0, 3], pad: [[0, 0], [1, 0], [1, 1], [0, 0]] });
  });

  it("gated stacks: the first vertical layer keeps its rows above and the centre row (the padding allows no more), the horizontal stack its centre row and left half", () => {
    const v0 = expandSpatialMask(gatedStackMask(3, "vertical", true), 1, 2);
    expect(box(maskCrop(v0, 3, 1, 2))).toEqual({ rows: [0, 2], cols: [0, 3], pad: [[0, 0], [1, 0], [1, 1], [0, 0]] });
    const h0 = expandSpatialMask(gatedStackMask(5, "horizontal", true), 1, 2);
    // taps (2, 0) and (2, 1): columns may only shrink to [0, 3) ("same" padding 2 on the right)
    expect(box(maskCrop(h0, 5, 1, 2))).toEqual({ rows: [2, 3], cols: [0, 3], pad: [[0, 0], [0, 0], [2, 0], [0, 0]] });
    const h = expandSpatialMask(gatedStackMask(3, "horizontal", false), 2, 2);
    expect(box(maskCrop(h, 3, 2, 2))).toEqual({ rows: [1, 2], cols: [0, 2], pad: [[0, 0], [0, 0], [1, 0], [0, 0]] });
  });

  it("counts a tap as used when any channel pair is, and leaves full and empty masks alone", () => {
    const m = new Float32Array(3 * 3 * 2 * 2);
    m[(2 * 3 + 2) * 4 + 3] = 1; // one entry of the bottom-right tap
    m[0] = 1; // one entry of the top-left tap
    expect(maskCrop(m, 3, 2, 2)).toBeNull(); // the box is the whole kernel
    expect(maskCrop(new Float32Array(9).fill(1), 3, 1, 1)).toBeNull();
    expect(maskCrop(new Float32Array(9), 3, 1, 1)).toBeNull();
    expect(() => maskCrop(new Float32Array(8), 3, 1, 1)).toThrow(/8 numbers, expected 3·3·1·1 = 9/);
  });
});

describe("the cropped masked convolutions against the whole masked kernels", () => {
  const configs: [string, Partial<PixelCnnConfig>][] = [
    ["PixelCNN, binary", { height: 9, width: 8, channels: 8, blocks: 2 }],
    ["PixelCNN, 5×5 first layer, categorical", { height: 7, width: 7, channels: 8, blocks: 1, output: "categorical", numCategories: 5, firstKernel: 5 }],
    ["gated, binary", { height: 9, width: 8, channels: 8, blocks: 2, architecture: "gated" }],
    ["gated, class-conditional, embedded codes", { height: 7, width: 7, channels: 8, blocks: 2, architecture: "gated", output: "categorical", numCategories: 6, numLabels: 3, embedding: 4 }],
  ];
  for (const [name, config] of configs) {
    it(`${name}: same logits (bit for bit) and gradients`, () => {
      const model = new PixelCnn(config, new Rng(3));
      expect(model.crops.size).toBeGreaterThan(0);
      const c = model.config;
      const n = 3;
      const r = new Rng(9);
      const D = c.height * c.width;
      const x = c.output === "categorical" ? Int32Array.from({ length: n * D }, () => r.int(c.numCategories)) : Float32Array.from({ length: n * D }, () => (r.uniform() < 0.3 ? 1 : 0));
      const proj = r.normals(new Float32Array(n * D * model.outputChannels));
      const run = () =>
        tf.tidy(() => {
          const labels = c.numLabels > 0 ? tf.tensor1d([0, 2, 1], "int32") : undefined;
          const input = model.inputTensor(x, n);
          const P = tf.tensor4d(proj, [n, c.height, c.width, model.outputChannels]);
          const logits = Float32Array.from(model.logits(input, labels).dataSync());
          const { grads } = tf.variableGrads(() => tf.sum(tf.mul(model.logits(input, labels), P)) as tf.Scalar, model.variables());
          return { logits, grads: Object.fromEntries(Object.entries(grads).map(([k, g]) => [k, Float32Array.from(g.dataSync())])) };
        });
      const cropped = run();
      const saved = new Map(model.crops);
      model.crops.clear();
      const whole = run();
      for (const [k, v] of saved) model.crops.set(k, v);
      expect(Buffer.from(cropped.logits.buffer).equals(Buffer.from(whole.logits.buffer))).toBe(true);
      for (const k of Object.keys(whole.grads)) {
        const a = cropped.grads[k];
        const b = whole.grads[k];
        for (let i = 0; i < b.length; i++) if (a[i] !== b[i]) throw new Error(`∂${k}[${i}]: cropped ${a[i]}, whole ${b[i]}`);
      }
      model.dispose();
    });
  }

  it("Adam steps from the same start reach the same weights bit for bit, cropped or not", () => {
    const config: Partial<PixelCnnConfig> = { height: 8, width: 8, channels: 8, blocks: 2 };
    const cropped = new PixelCnn(config, new Rng(4));
    const whole = new PixelCnn(config, new Rng(4));
    whole.crops.clear();
    const r = new Rng(10);
    const n = 4;
    const batches = [0, 1, 2].map(() => Float32Array.from({ length: n * 64 }, () => (r.uniform() < 0.3 ? 1 : 0)));
    for (const model of [cropped, whole]) {
      const opt = tf.train.adam(1e-2);
      for (const x of batches) {
        tf.tidy(() => {
          const input = model.inputTensor(x, n);
          opt.minimize(() => tf.losses.sigmoidCrossEntropy(input, model.logits(input)) as tf.Scalar, false, model.variables());
        });
      }
      opt.dispose();
    }
    const a = cropped.weights();
    const b = whole.weights();
    for (const k of Object.keys(b)) {
      expect(Buffer.from((a[k].dataSync() as Float32Array).buffer).equals(Buffer.from((b[k].dataSync() as Float32Array).buffer))).toBe(true);
    }
    tf.dispose([...Object.values(a), ...Object.values(b)]);
    cropped.dispose();
    whole.dispose();
  });
});
