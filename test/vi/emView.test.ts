import { describe, expect, it } from "vitest";
import { emElboTrace } from "../../src/vi/emView";
import { rng } from "../../src/runtime/rng";

describe("EM as max-max on ELBO(q, θ) (1-D Gaussian mixture)", () => {
  it("the E-step closes the gap, the M-step raises the ELBO, the log-likelihood never decreases", () => {
    const r = rng(41);
    const x = Array.from({ length: 60 }, (_, i) => (i % 2 ? 2 : -2) + 0.7 * r.normal());
    const { rows } = emElboTrace(x, { weights: [0.5, 0.5], means: [-0.3, 0.2], sds: [2, 2] }, 15);
    for (let t = 1; t < rows.length; t++) {
      expect(rows[t].elbo).toBeGreaterThanOrEqual(rows[t - 1].elbo - 1e-9);
      expect(rows[t].gap).toBeGreaterThanOrEqual(-1e-10);
      if (rows[t].phase === "E") {
        expect(Math.abs(rows[t].gap)).toBeLessThan(1e-10);
        expect(rows[t].logLikelihood).toBeGreaterThanOrEqual(rows[t - 2 >= 0 ? t - 2 : 0].logLikelihood - 1e-9);
      }
    }
    expect(rows[0].gap).toBeGreaterThan(0);
  });
});
