import { describe, expect, it } from "vitest";
import * as fs from "fs";
import { Rng } from "../../src/runtime/rng";
import { isSmoke } from "../../src/runtime/env";
import { loadOrTrainVae, checkpointDir, VAE_RECIPES, mnistSplitForVae } from "../../src/models/recipes";
import { readVaeCheckpointInfo, hasVaeCheckpoint } from "../../src/models/checkpoint";

describe("VAE recipes and checkpoints", () => {
  it("the notebook split is stratified 90/10 and its fixed binary test set is binary", () => {
    const s = mnistSplitForVae(0);
    expect(s.train.count + s.test.count).toBe(10000);
    expect(Math.abs(s.test.count - 1000)).toBeLessThanOrEqual(10);
    expect(s.testBinary.every((v) => v === 0 || v === 1)).toBe(true);
    // the same seed gives the same split
    expect(Array.from(mnistSplitForVae(0).testBinary.subarray(0, 2000))).toEqual(Array.from(s.testBinary.subarray(0, 2000)));
  });

  it("in smoke mode loadOrTrainVae trains (1 epoch) and writes nothing", async () => {
    expect(isSmoke()).toBe(true);
    const recipe = { name: "test-recipe-never-saved", data: "mnist" as const, seed: 3, config: { hidden: [16], latentDim: 2 }, train: { epochs: 5, showProgress: false } };
    const images = new Rng(1).uniforms(new Float32Array(64 * 784));
    const res = await loadOrTrainVae(recipe, images);
    expect(res.source).toBe("trained");
    expect(res.history.length).toBe(1);
    expect(fs.existsSync(checkpointDir(recipe.name))).toBe(false);
    res.model.dispose();
  });

  it("every shipped checkpoint matches its recipe and says how it was made", () => {
    for (const [name, recipe] of Object.entries(VAE_RECIPES)) {
      const dir = checkpointDir(name);
      if (!hasVaeCheckpoint(dir)) continue;
      const info = readVaeCheckpointInfo(dir);
      expect(info.config.latentDim).toBe(recipe.config.latentDim);
      expect(info.config.hidden).toEqual(recipe.config.hidden);
      expect(typeof info.provenance.command).toBe("string");
      expect(info.provenance.seed).toBe(recipe.seed);
      expect(fs.statSync(`${dir}/weights.bin`).size).toBeLessThan(5 * 1024 * 1024);
    }
  });
});
