import { beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../../src/runtime/backend";
import { Rng } from "../../src/runtime/rng";
import { createVae } from "../../src/models/vae";
import { klPerUnit, latentTraversal } from "../../src/models/traversal";

beforeAll(async () => {
  await initBackend();
});

describe("latent traversals", () => {
  it("orders units by KL, varies exactly one unit per row over [−range, range], and decodes every code", () => {
    const model = createVae({ height: 8, width: 8, hidden: [16], latentDim: 3 }, new Rng(1));
    const images = new Rng(2).uniforms(new Float32Array(20 * 64));
    const kl = klPerUnit(model, images);
    // by hand for unit 0
    const { mu, variance } = model.encodeGaussian(images);
    let k0 = 0;
    for (let i = 0; i < 20; i++) k0 += 0.5 * (variance[3 * i] + mu[3 * i] ** 2 - 1 - Math.log(variance[3 * i])) / 20;
    expect(kl[0]).toBeCloseTo(k0, 10);
    const tr = latentTraversal(model, images, { base: 1, steps: 5, range: 2 });
    expect(tr.kl).toEqual([...kl].sort((a, b) => b - a));
    const z0 = model.encodeMeans(images.subarray(64, 128));
    tr.order.forEach((u, row) => {
      for (let t = 0; t < 5; t++) for (let j = 0; j < 3; j++) {
        const v = tr.latents[(row * 5 + t) * 3 + j];
        if (j === u) expect(v).toBeCloseTo(-2 + t, 6);
        else expect(v).toBe(z0[j]);
      }
    });
    expect(Array.from(tr.images)).toEqual(Array.from(model.decodeLatents(tr.latents)));
    expect(() => latentTraversal(model, images, { base: 20 })).toThrow(/base image/);
    model.dispose();
  });
});
