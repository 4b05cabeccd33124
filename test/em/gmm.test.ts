import { describe, expect, it } from "vitest";
import { Rng } from "../../src/runtime/rng";
import { fitGmm, gmmEStep, gmmElbo, gmmLogJoint, sampleGmm, type CovarianceType, type GmmParams } from "../../src/em";

const quiet = { onWarning: () => {} };
const TYPES: CovarianceType[] = ["full", "diag", "spherical"];

function randomProblem(r: Rng, n: number, d: number, k: number) {
  const data = new Float64Array(n * d);
  for (let i = 0; i < n; i++) {
    const j = r.int(k);
    for (let t = 0; t < d; t++) data[i * d + t] = 3 * j * (t === 0 ? 1 : 0.5) + (0.5 + j) * r.normal() + (t === 1 ? 0.7 * data[i * d] : 0);
  }
  return { data, n, d };
}

describe("Gaussian mixture EM", () => {
  it("the log-likelihood never decreases (ε = 0) and the penalized objective never decreases (ε > 0), on many random problems", async () => {
    for (let s = 0; s < 24; s++) {
      const r = new Rng(s);
      const ps = randomProblem(r, 80, 2, 3);
      const type = TYPES[s % 3];
      for (const regCovar of [0, 1e-2]) {
        const fit = await fitGmm(ps, { k: 3, covarianceType: type, rng: r.fork(), regCovar, maxIterations: 60, ...quiet });
        const seg = fit.log.filter((l) => !l.reseeded);
        for (let t = 1; t < fit.log.length; t++) {
          if (fit.log[t - 1].reseeded) continue;
          const a = fit.log[t - 1], b = fit.log[t];
          const slack = 1e-9 * Math.max(1, Math.abs(a.objective));
          expect(b.objective).toBeGreaterThanOrEqual(a.objective - slack);
          if (regCovar === 0) expect(b.logLikelihood).toBeGreaterThanOrEqual(a.logLikelihood - slack);
        }
        expect(seg.length).toBeGreaterThan(0);
      }
    }
  });

  it("after an E-step the ELBO equals the log-likelihood to 1e-9, and the M-step sits between consecutive log-likelihoods", async () => {
    const r = new Rng(42);
    const ps = randomProblem(r, 300, 2, 3);
    for (const type of TYPES) {
      const fit = await fitGmm(ps, { k: 3, covarianceType: type, rng: r.fork(), regCovar: 0, maxIterations: 40, ...quiet });
      for (let t = 0; t < fit.log.length; t++) {
        const l = fit.log[t];
        expect(Math.abs(l.elboAfterE - l.logLikelihood)).toBeLessThan(1e-9 * Math.max(1, Math.abs(l.logLikelihood)));
        expect(l.elboAfterM).toBeGreaterThanOrEqual(l.logLikelihood - 1e-9 * Math.abs(l.logLikelihood));
        const next = t + 1 < fit.log.length ? fit.log[t + 1].logLikelihood : fit.logLikelihood;
        expect(l.elboAfterM).toBeLessThanOrEqual(next + 1e-9 * Math.abs(next));
      }
    }
  });

  it("for any q, log p(X) − ELBO(θ, q) = Σ_i KL(q_i ‖ p(z | x_i)) ≥ 0", () => {
    const r = new Rng(5);
    const ps = randomProblem(r, 50, 2, 3);
    const p: GmmParams = { k: 3, d: 2, covarianceType: "full", weights: Float64Array.of(0.2, 0.3, 0.5), means: Float64Array.of(0, 0, 3, 1, 6, 2), covariances: Float64Array.of(1, 0.3, 0.3, 2, 1, 0, 0, 1, 2, -0.5, -0.5, 1) };
    const e = gmmEStep(ps, p);
    const q = new Float64Array(50 * 3);
    for (let i = 0; i < 50; i++) {
      const w = [r.uniform() + 0.01, r.uniform() + 0.01, r.uniform() + 0.01];
      const s = w[0] + w[1] + w[2];
      for (let j = 0; j < 3; j++) q[i * 3 + j] = w[j] / s;
    }
    let kl = 0;
    for (let t = 0; t < q.length; t++) kl += q[t] * Math.log(q[t] / e.resp[t]);
    const gap = e.logLikelihood - gmmElbo(ps, p, q);
    expect(gap).toBeGreaterThan(0);
    expect(gap).toBeCloseTo(kl, 9);
  });

  it("full, diagonal and spherical log-densities agree with the closed form of N(x | μ, Σ)", () => {
    const x = { data: Float64Array.of(0.3, -1.2), n: 1, d: 2 };
    const mu = [1, -1], v = [2, 0.5];
    const exact = -Math.log(2 * Math.PI) - 0.5 * Math.log(v[0] * v[1]) - 0.5 * ((0.3 - 1) ** 2 / v[0] + (-1.2 + 1) ** 2 / v[1]);
    const full: GmmParams = { k: 1, d: 2, covarianceType: "full", weights: Float64Array.of(1), means: Float64Array.from(mu), covariances: Float64Array.of(v[0], 0, 0, v[1]) };
    const diag: GmmParams = { ...full, covarianceType: "diag", covariances: Float64Array.from(v) };
    expect(gmmLogJoint(x, full)[0]).toBeCloseTo(exact, 13);
    expect(gmmLogJoint(x, diag)[0]).toBeCloseTo(exact, 13);
    const sph: GmmParams = { ...full, covarianceType: "spherical", covariances: Float64Array.of(0.8) };
    expect(gmmLogJoint(x, sph)[0]).toBeCloseTo(-Math.log(2 * Math.PI * 0.8) - ((0.3 - 1) ** 2 + 0.2 ** 2) / 1.6, 13);
  });

  it("recovers the parameters of a well-separated mixture within sampling error", async () => {
    const truth: GmmParams = {
      k: 3, d: 2, covarianceType: "full",
      weights: Float64Array.of(0.5, 0.3, 0.2),
      means: Float64Array.of(-6, 0, 4, 5, 4, -5),
      covariances: Float64Array.of(1, 0.5, 0.5, 1.5, 0.6, 0, 0, 0.6, 2, -0.8, -0.8, 1),
    };
    const n = 4000;
    const r = new Rng(2024);
    const { points } = sampleGmm(truth, n, r);
    const fit = await fitGmm(points, { k: 3, rng: r, ...quiet });
    expect(fit.converged).toBe(true);
    // Match components by nearest mean.
    for (let j = 0; j < 3; j++) {
      let best = 0, bd = Infinity;
      for (let m = 0; m < 3; m++) {
        const dd = (fit.params.means[2 * m] - truth.means[2 * j]) ** 2 + (fit.params.means[2 * m + 1] - truth.means[2 * j + 1]) ** 2;
        if (dd < bd) { bd = dd; best = m; }
      }
      const nj = n * truth.weights[j];
      const pi = truth.weights[j];
      // 5 standard errors: weight sqrt(π(1−π)/n), mean coordinate sqrt(Σ_aa / n_j), covariance entry ≈ sqrt((Σ_aa Σ_bb + Σ_ab²)/n_j).
      expect(Math.abs(fit.params.weights[best] - pi)).toBeLessThan(5 * Math.sqrt((pi * (1 - pi)) / n));
      for (let a = 0; a < 2; a++) {
        const S = (x: number, y: number) => truth.covariances[j * 4 + x * 2 + y];
        expect(Math.abs(fit.params.means[best * 2 + a] - truth.means[j * 2 + a])).toBeLessThan(5 * Math.sqrt(S(a, a) / nj));
        for (let b = 0; b < 2; b++) {
          const se = Math.sqrt((S(a, a) * S(b, b) + S(a, b) ** 2) / nj);
          expect(Math.abs(fit.params.covariances[best * 4 + a * 2 + b] - S(a, b))).toBeLessThan(5 * se);
        }
      }
    }
  });

  it("degenerate inputs: clear errors, and empty or collapsing components are re-seeded with a warning, never NaN", async () => {
    await expect(fitGmm([[0, 1], [NaN, 2], [3, 3]], { k: 2 })).rejects.toThrow(/NaN/);
    await expect(fitGmm([[0, 1], [1, 2]], { k: 3 })).rejects.toThrow(/k = 3 clusters for only n = 2/);
    const zv = Array.from({ length: 30 }, (_, i) => [i % 5, 1]);
    await expect(fitGmm(zv, { k: 2, regCovar: 0 })).rejects.toThrow(/dimension 1 of the data has zero variance/);
    const ok = await fitGmm(zv, { k: 2, regCovar: 1e-6, rng: new Rng(1), ...quiet });
    expect(Number.isFinite(ok.logLikelihood)).toBe(true);
    // A component initialised far from all data gets no responsibility: re-seeded.
    const r = new Rng(3);
    const pts = Array.from({ length: 60 }, () => [r.normal(), r.normal()]);
    const init: GmmParams = { k: 2, d: 2, covarianceType: "spherical", weights: Float64Array.of(0.5, 0.5), means: Float64Array.of(0, 0, 1e4, 1e4), covariances: Float64Array.of(1, 1e-3) };
    const warnings: string[] = [];
    const fit = await fitGmm(pts, { k: 2, covarianceType: "spherical", init, onWarning: (m) => warnings.push(m) });
    expect(warnings[0]).toMatch(/component 1 is empty .* re-seeded at point \d+, the worst-explained point/);
    expect(Array.from(fit.params.means).every(Number.isFinite)).toBe(true);
    expect(Number.isFinite(fit.logLikelihood)).toBe(true);
    // Duplicate points with ε = 0: a component collapses onto them and is re-seeded, never NaN.
    const dup = [...Array.from({ length: 20 }, () => [1, 1]), ...pts.slice(0, 20)];
    const fit2 = await fitGmm(dup, { k: 3, regCovar: 0, rng: new Rng(4), maxIterations: 50, ...quiet });
    expect(Number.isFinite(fit2.logLikelihood)).toBe(true);
  });
});
