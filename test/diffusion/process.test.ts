/**
 * The forward chain of a DDPM: the schedules against their definitions, q(x_t | x_0) in closed
 * form against the chain run step by step (Monte Carlo, within standard errors), and the posterior
 * q(x_{t−1} | x_t, x_0) against Bayes' rule computed directly on the two Gaussians (to 1e-10).
 */
import { describe, expect, it } from "vitest";
import { Rng } from "../../src/runtime/rng";
import { InputError } from "../../src/runtime/validate";
import {
  forwardChain,
  meanFromEpsilon,
  noiseSchedule,
  posteriorCoefficients,
  posteriorMeanVariance,
  qMarginal,
  qSample,
} from "../../src/models/diffusion";

const logNormal = (x: number, m: number, v: number) => -0.5 * (Math.log(2 * Math.PI * v) + ((x - m) * (x - m)) / v);

describe("noise schedules", () => {
  it("linear: β_1, β_T as given, evenly spaced; ᾱ_t = Π (1 − β_s)", () => {
    const s = noiseSchedule(50, { betaStart: 1e-3, betaEnd: 0.1 });
    expect(s.betas[1]).toBeCloseTo(1e-3, 15);
    expect(s.betas[50]).toBeCloseTo(0.1, 15);
    expect(s.betas[26] - s.betas[25]).toBeCloseTo((0.1 - 1e-3) / 49, 14);
    let p = 1;
    for (let t = 1; t <= 50; t++) p *= 1 - s.betas[t];
    expect(Math.abs(s.alphaBars[50] - p)).toBeLessThan(1e-15);
  });

  it("linear default rescales DDPM's 1e-4 … 0.02 to T steps: e^{−12} < ᾱ_T < e^{−10} for T = 50 … 1000", () => {
    for (const T of [50, 100, 1000]) {
      const s = noiseSchedule(T);
      expect(s.betas[1]).toBeCloseTo(0.1 / T, 12);
      expect(s.betas[T]).toBeCloseTo(20 / T, 12);
      expect(Math.log(s.alphaBars[T])).toBeGreaterThan(-12);
      expect(Math.log(s.alphaBars[T])).toBeLessThan(-10);
    }
  });

  it("cosine: ᾱ_t = f(t)/f(0) with f(t) = cos²((t/T + s)/(1 + s)·π/2) where β is not clipped", () => {
    const T = 100;
    const s = noiseSchedule(T, { kind: "cosine" });
    const f = (t: number) => Math.cos(((t / T + 0.008) / 1.008) * (Math.PI / 2)) ** 2;
    for (let t = 1; t < T; t++) expect(Math.abs(s.alphaBars[t] - f(t) / f(0))).toBeLessThan(1e-12);
    for (let t = 1; t <= T; t++) expect(s.alphaBars[t]).toBeLessThan(s.alphaBars[t - 1]);
    expect(s.betas[T]).toBeCloseTo(0.999, 15);
  });

  it("bad input says what, where and what to do", () => {
    expect(() => noiseSchedule(0)).toThrow(InputError);
    expect(() => noiseSchedule(0)).toThrow(/noiseSchedule: T must be a positive integer, got 0/);
    expect(() => noiseSchedule(10)).toThrow(/betaEnd must be a number in \(0, 1\).*pass betaEnd explicitly/);
    expect(() => noiseSchedule(100, { kind: "quadratic" as never })).toThrow(/options.kind must be one of "linear", "cosine"/);
    expect(() => noiseSchedule(100, { betaStart: 0.1, betaEnd: 0.01 })).toThrow(/betaEnd .* must be ≥ options.betaStart/);
    const s = noiseSchedule(10, { betaEnd: 0.5 });
    expect(() => qMarginal(s, 11)).toThrow(/qMarginal: t must be an integer step in \[0, 10\]/);
    expect(() => posteriorCoefficients(s, 0)).toThrow(/Step 0 is the data x_0 itself/);
    expect(() => qSample(s, [1, 2] as never, 3, { rng: new Rng(1) })).toThrow(/x0 must be a Float32Array or Float64Array/);
    expect(() => qSample(s, new Float64Array([1, NaN]), 3, { rng: new Rng(1) })).toThrow(/x0/);
    expect(() => qSample(s, new Float64Array([1, 2]), 3, {})).toThrow(/Pass rng: rng\(seed\)/);
  });
});

describe("q(x_t | x_0) in closed form", () => {
  it("matches the chain x_0 → x_1 → … → x_t run step by step (mean and variance within 4 SE)", () => {
    const s = noiseSchedule(100);
    const n = 20000;
    const x0 = new Float64Array(n).map((_, i) => (i % 2 === 0 ? 1.5 : -0.7));
    for (const t of [1, 10, 40]) {
      const xt = forwardChain(s, x0, t, new Rng(100 + t));
      const { meanCoef, variance } = qMarginal(s, t);
      for (const [c, x] of [[0, 1.5], [1, -0.7]] as const) {
        const m = n / 2;
        let sum = 0;
        for (let i = c; i < n; i += 2) sum += xt[i];
        const mean = sum / m;
        let ss = 0;
        for (let i = c; i < n; i += 2) ss += (xt[i] - mean) ** 2;
        const v = ss / (m - 1);
        // SE of the mean √(v/m); of the sample variance of a normal ≈ v √(2/(m − 1)).
        expect(Math.abs(mean - meanCoef * x)).toBeLessThan(4 * Math.sqrt(variance / m));
        expect(Math.abs(v - variance)).toBeLessThan(4 * variance * Math.sqrt(2 / (m - 1)));
      }
    }
  });

  it("qSample is the reparameterized draw √ᾱ_t x_0 + √(1 − ᾱ_t) ε", () => {
    const s = noiseSchedule(100, { kind: "cosine" });
    const x0 = new Float64Array([0.3, -2]);
    const eps = new Float64Array([1.1, 0.4]);
    const xt = qSample(s, x0, 37, { eps });
    for (let i = 0; i < 2; i++) expect(Math.abs(xt[i] - (Math.sqrt(s.alphaBars[37]) * x0[i] + Math.sqrt(1 - s.alphaBars[37]) * eps[i]))).toBeLessThan(1e-15);
  });
});

describe("the posterior q(x_{t−1} | x_t, x_0)", () => {
  it("equals Bayes' rule as a product of Gaussians in x_{t−1} (to 1e-10)", () => {
    for (const kind of ["linear", "cosine"] as const) {
      const s = noiseSchedule(100, { kind });
      for (const t of [2, 3, 17, 60, 100]) {
        const x0 = 0.8;
        const xt = -0.35;
        // q(x_t | x_{t−1}) as a function of x_{t−1}: ∝ N(x_{t−1}; x_t/√α_t, β_t/α_t); q(x_{t−1} | x_0) = N(√ᾱ_{t−1} x_0, 1 − ᾱ_{t−1}).
        const m1 = xt / Math.sqrt(s.alphas[t]);
        const v1 = s.betas[t] / s.alphas[t];
        const m2 = Math.sqrt(s.alphaBars[t - 1]) * x0;
        const v2 = 1 - s.alphaBars[t - 1];
        const prec = 1 / v1 + 1 / v2;
        const vBayes = 1 / prec;
        const mBayes = vBayes * (m1 / v1 + m2 / v2);
        const { mean, variance } = posteriorMeanVariance(s, new Float64Array([xt]), new Float64Array([x0]), t);
        expect(Math.abs(mean[0] - mBayes)).toBeLessThan(1e-10);
        expect(Math.abs(variance - vBayes)).toBeLessThan(1e-10);
      }
    }
  });

  it("satisfies log q(x_{t−1}|x_t,x_0) = log q(x_t|x_{t−1}) + log q(x_{t−1}|x_0) − log q(x_t|x_0) at every point (to 1e-10)", () => {
    const s = noiseSchedule(100);
    const r = new Rng(7);
    for (let k = 0; k < 50; k++) {
      const t = 2 + r.int(99);
      const x0 = 2 * r.normal();
      const xt = r.normal();
      const xPrev = r.normal();
      const { mean, variance } = posteriorMeanVariance(s, new Float64Array([xt]), new Float64Array([x0]), t);
      const lhs = logNormal(xPrev, mean[0], variance);
      const rhs =
        logNormal(xt, Math.sqrt(s.alphas[t]) * xPrev, s.betas[t]) +
        logNormal(xPrev, Math.sqrt(s.alphaBars[t - 1]) * x0, 1 - s.alphaBars[t - 1]) -
        logNormal(xt, Math.sqrt(s.alphaBars[t]) * x0, 1 - s.alphaBars[t]);
      expect(Math.abs(lhs - rhs)).toBeLessThan(1e-10);
    }
  });

  it("its mean written with the noise: μ̃_t = (x_t − β_t/√(1 − ᾱ_t) ε)/√α_t (to 1e-12)", () => {
    const s = noiseSchedule(100, { kind: "cosine" });
    const r = new Rng(8);
    for (const t of [1, 2, 50, 100]) {
      const x0 = new Float64Array([r.normal(), r.normal()]);
      const eps = new Float64Array([r.normal(), r.normal()]);
      const xt = qSample(s, x0, t, { eps });
      const viaEps = meanFromEpsilon(s, xt, eps, t);
      const direct = posteriorMeanVariance(s, xt, x0, t).mean;
      for (let i = 0; i < 2; i++) expect(Math.abs(viaEps[i] - direct[i])).toBeLessThan(1e-12);
    }
    expect(posteriorCoefficients(s, 1)).toEqual({ c0: 1, ct: 0, variance: 0 });
  });
});
