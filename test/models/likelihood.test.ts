import { beforeAll, describe, expect, it } from "vitest";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../src/runtime/backend";
import { Rng } from "../../src/runtime/rng";
import { meanAndSE } from "../../src/runtime/check";
import { bernoulliLogLikelihood, gaussianKlStdNormal, gaussianLogLikelihood, logNormalFromEps, logStdNormal } from "../../src/models/likelihood";

beforeAll(async () => {
  await initBackend();
});

describe("VAE loss terms", () => {
  it("analytic KL(N(μ,σ²) ‖ N(0,I)) equals its Monte Carlo estimate E_q[log q − log p] within 4 SE", () => {
    const mu = [0.7, -1.2, 0.1];
    const logvar = [-0.5, 0.8, -2.0];
    const kl = tf.tidy(() => gaussianKlStdNormal(tf.tensor2d([mu]), tf.tensor2d([logvar])).dataSync()[0]);
    // Kingma & Welling App. B by hand, in double precision
    const exact = mu.reduce((s, m, j) => s + 0.5 * (Math.exp(logvar[j]) + m * m - 1 - logvar[j]), 0);
    expect(kl).toBeCloseTo(exact, 5);
    const r = new Rng(3);
    const n = 20000;
    const d = 3;
    const eps = r.normals(new Float32Array(n * d));
    const lv = new Float32Array(n * d).map((_, i) => logvar[i % d]);
    const z = new Float32Array(n * d).map((_, i) => mu[i % d] + Math.exp(0.5 * logvar[i % d]) * eps[i]);
    const terms = tf.tidy(() => tf.sub(logNormalFromEps(tf.tensor2d(lv, [n, d]), tf.tensor2d(eps, [n, d])), logStdNormal(tf.tensor2d(z, [n, d]))).dataSync());
    const { mean, se } = meanAndSE(terms);
    expect(Math.abs(mean - exact)).toBeLessThan(4 * se);
  });

  it("the Bernoulli log-likelihood from logits equals minus the binary cross-entropy", () => {
    const logits = [[-3, 0.2, 5, -0.7]];
    const x = [[0, 1, 1, 0]];
    const ll = tf.tidy(() => bernoulliLogLikelihood(tf.tensor2d(logits), tf.tensor2d(x)).dataSync()[0]);
    let bce = 0;
    logits[0].forEach((l, j) => {
      const p = 1 / (1 + Math.exp(-l));
      bce -= x[0][j] * Math.log(p) + (1 - x[0][j]) * Math.log(1 - p);
    });
    expect(ll).toBeCloseTo(-bce, 5);
  });

  it("the fixed-variance Gaussian log-likelihood is the L2 loss scaled, plus the normaliser", () => {
    const m = [[0.1, 0.5, 0.9]];
    const x = [[0.0, 0.7, 1.0]];
    const s = 0.3;
    const ll = tf.tidy(() => gaussianLogLikelihood(tf.tensor2d(m), tf.tensor2d(x), s).dataSync()[0]);
    const l2 = m[0].reduce((a, v, j) => a + (x[0][j] - v) ** 2, 0);
    expect(ll).toBeCloseTo(-l2 / (2 * s * s) - 1.5 * Math.log(2 * Math.PI * s * s), 5);
    expect(() => gaussianLogLikelihood(tf.tensor2d(m), tf.tensor2d(x), 0)).toThrow(/sigma must be > 0/);
  });
});
