/**
 * The notebooks' loaders train on the thread count they are given (fit's `threads`) and record
 * the count the last step ran on in the provenance (FitResult.threads); bad counts are refused
 * by fit with its message. Smoke mode (the tests' default): a few batches, nothing saved.
 */
import { describe, expect, it } from "vitest";
import { loadOrTrainVqVae } from "../../src/models/vqvae/recipes";
import { PIXELCNN_RECIPES, loadOrTrainPixelCnn } from "../../src/models/pixelcnn/recipes";
import { Rng } from "../../src/runtime/rng";
import { isSmoke } from "../../src/runtime/env";

describe("threads in the loaders the notebooks call", () => {
  it("runs in smoke mode (training, not loading checkpoints)", () => {
    expect(isSmoke()).toBe(true);
  });

  it("loadOrTrainVqVae: 1 thread by default, 2 when asked, the same training up to float summation order", async () => {
    const one = await loadOrTrainVqVae({ showProgress: false });
    const two = await loadOrTrainVqVae({ showProgress: false, threads: 2 });
    try {
      expect(one.source).toBe("trained");
      expect(one.provenance.threads).toBe(1);
      expect(two.provenance.threads).toBe(2);
      expect(two.history.length).toBe(one.history.length);
      const last = (h: typeof one.history) => h[h.length - 1].terms.loss;
      expect(Math.abs(last(two.history) - last(one.history))).toBeLessThan(1e-3 * Math.abs(last(one.history)));
      await expect(loadOrTrainVqVae({ showProgress: false, threads: 0 })).rejects.toThrow(/threads must be a positive integer or "auto"/);
    } finally {
      one.model.dispose();
      two.model.dispose();
    }
  }, 120_000);

  it("loadOrTrainPixelCnn: the recipe's count by default (1 in smoke mode), the option's when given", async () => {
    const r = new Rng(3);
    const x = Float32Array.from({ length: 200 * 784 }, () => (r.uniform() < 0.2 ? 1 : 0));
    const recipe = PIXELCNN_RECIPES["pixelcnn-mnist"];
    const one = await loadOrTrainPixelCnn(recipe, x);
    const two = await loadOrTrainPixelCnn(recipe, x, { threads: 2 });
    try {
      expect((one.provenance.training as { threads: number }).threads).toBe(1);
      expect((two.provenance.training as { threads: number }).threads).toBe(2);
      const last = (h: typeof one.history) => h[h.length - 1].terms.loss;
      expect(Math.abs(last(two.history) - last(one.history))).toBeLessThan(1e-3 * Math.abs(last(one.history)));
      await expect(loadOrTrainPixelCnn(recipe, x, { threads: 1.5 })).rejects.toThrow(/threads must be a positive integer or "auto"/);
    } finally {
      one.model.dispose();
      two.model.dispose();
    }
  }, 120_000);
});
