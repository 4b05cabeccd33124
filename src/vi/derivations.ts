/**
 * The ELBO derivations of lectures 000, 001, 002 and 003 as executable, checked derivations.
 * Notebook 04 renders and checks these very objects, and test/vi/derivations.test.ts checks
 * every one of them (and that a flipped sign is caught at the right step).
 *
 * Models used for the numbers:
 * - Gaussian model: z ∼ N(0, 1), x | z ∼ N(z, σ²); p(x) = N(x | 0, 1 + σ²),
 *   p(z | x) = N(x/(1+σ²), σ²/(1+σ²)); q(z) = N(m, s²) with arbitrary m, s.
 * - Discrete model: z ∈ {1, 2, 3} with prior w, x | z ∼ N(μ_z, sd_z²); q an arbitrary categorical.
 */
import { Derivation, derivation } from "./derivation";

/** Parameters and definitions of the Gaussian latent model (ranges keep quadrature clear of underflow). */
const gaussianModel = {
  params: {
    x: [-2.5, 2.5] as const,
    sigma: [0.6, 2] as const,
    m: [-1.5, 1.5] as const,
    s: [0.3, 1] as const,
  },
  defs: ["sx = sqrt(1 + sigma^2)", "mp = x / (1 + sigma^2)", "sp = sigma / sqrt(1 + sigma^2)"],
};

/** Parameters and definitions of the 3-component discrete-latent model. */
const discreteModel = {
  params: {
    x: [-3, 3] as const,
    w: { simplex: 3 },
    mu: { min: -2.5, max: 2.5, size: 3 },
    sd: { min: 0.5, max: 1.5, size: 3 },
    q: { simplex: 3 },
    K: { value: 3 },
  },
  defs: ["px = sumk(w[k] * npdf(x, mu[k], sd[k]), k, K)", "post(z) = w[z] * npdf(x, mu[z], sd[z]) / px"],
};

const T = {
  logpx: "\\log p_\\theta(x)",
  Eq: (inner: string): string => `\\mathbb{E}_{z\\sim q(z)}\\left[${inner}\\right]`,
  klPrior: "\\mathrm{KL}\\left(q(z)\\,\\|\\,p_\\theta(z)\\right)",
  klPost: "\\mathrm{KL}\\left(q(z)\\,\\|\\,p_\\theta(z\\mid x)\\right)",
};

function build(): Record<string, Derivation> {
  const elboAnyQGaussian = derivation({
    name: "elbo-any-q-gaussian",
    title: "log p(x) = E_q[log p(x|z)] − KL(q‖p(z)) + KL(q‖p(z|x)) for any q (Gaussian model)",
    source: "lecture 002 (the ELBO derivation step by step), lecture 003 (ELBO for any q(z))",
    ...gaussianModel,
    steps: [
      { expr: "lognormal(x, 0, sx)", tex: T.logpx },
      { expr: "EN(lognormal(x, 0, sx), z, m, s)", why: "p(x) does not depend on z", tex: T.Eq(T.logpx) },
      {
        expr: "EN(log(npdf(x, z, sigma) * npdf(z, 0, 1) / npdf(z, mp, sp)), z, m, s)",
        why: "Bayes' rule",
        tex: T.Eq("\\log\\frac{p_\\theta(x\\mid z)\\,p_\\theta(z)}{p_\\theta(z\\mid x)}"),
      },
      {
        expr: "EN(log(npdf(x, z, sigma) * npdf(z, 0, 1) / npdf(z, mp, sp) * npdf(z, m, s) / npdf(z, m, s)), z, m, s)",
        why: "multiply by q/q",
        tex: T.Eq("\\log\\frac{p_\\theta(x\\mid z)\\,p_\\theta(z)}{p_\\theta(z\\mid x)}\\,\\frac{q(z)}{q(z)}"),
      },
      {
        expr:
          "EN(lognormal(x, z, sigma), z, m, s) - EN(lognormal(z, m, s) - lognormal(z, 0, 1), z, m, s)" +
          " + EN(lognormal(z, m, s) - lognormal(z, mp, sp), z, m, s)",
        why: "logarithms, linearity of E",
        tex:
          T.Eq("\\log p_\\theta(x\\mid z)") +
          " - " +
          T.Eq("\\log\\frac{q(z)}{p_\\theta(z)}") +
          " + " +
          T.Eq("\\log\\frac{q(z)}{p_\\theta(z\\mid x)}"),
      },
      {
        expr: "EN(lognormal(x, z, sigma), z, m, s) - klnormal(m, s, 0, 1) + klnormal(m, s, mp, sp)",
        why: "definition of KL",
        tex: `${T.Eq("\\log p_\\theta(x\\mid z)")} - ${T.klPrior} + ${T.klPost}`,
      },
      {
        expr: "EN(lognormal(x, z, sigma), z, m, s) - klnormal(m, s, 0, 1)",
        relation: "≥",
        why: "KL ≥ 0",
        tex: `${T.Eq("\\log p_\\theta(x\\mid z)")} - ${T.klPrior} = \\mathrm{ELBO}(q)`,
      },
    ],
  });

  const elboAnyQDiscrete = derivation({
    name: "elbo-any-q-discrete",
    title: "The same identity on a discrete latent (3-component mixture, q any categorical)",
    source: "lecture 003 (ELBO for any q(z)): the sum replaces the integral",
    ...discreteModel,
    steps: [
      { expr: "log(px)", tex: T.logpx },
      { expr: "Ecat(log(px), z, q)", why: "p(x) does not depend on z", tex: T.Eq(T.logpx) },
      {
        expr: "Ecat(log(npdf(x, mu[z], sd[z]) * w[z] / post(z)), z, q)",
        why: "Bayes' rule",
        tex: T.Eq("\\log\\frac{p_\\theta(x\\mid z)\\,p_\\theta(z)}{p_\\theta(z\\mid x)}"),
      },
      {
        expr: "Ecat(log(npdf(x, mu[z], sd[z]) * w[z] / post(z) * q[z] / q[z]), z, q)",
        why: "multiply by q/q",
        tex: T.Eq("\\log\\frac{p_\\theta(x\\mid z)\\,p_\\theta(z)}{p_\\theta(z\\mid x)}\\,\\frac{q(z)}{q(z)}"),
      },
      {
        expr: "Ecat(lognormal(x, mu[z], sd[z]), z, q) - Ecat(log(q[z] / w[z]), z, q) + Ecat(log(q[z] / post(z)), z, q)",
        why: "logarithms, linearity of E",
        tex:
          T.Eq("\\log p_\\theta(x\\mid z)") +
          " - " +
          T.Eq("\\log\\frac{q(z)}{p_\\theta(z)}") +
          " + " +
          T.Eq("\\log\\frac{q(z)}{p_\\theta(z\\mid x)}"),
      },
      {
        expr:
          "Ecat(lognormal(x, mu[z], sd[z]), z, q) - sumk(q[k] * log(q[k] / w[k]), k, K)" +
          " + sumk(q[k] * log(q[k] / post(k)), k, K)",
        why: "definition of KL",
        tex: `${T.Eq("\\log p_\\theta(x\\mid z)")} - ${T.klPrior} + ${T.klPost}`,
      },
      {
        expr: "Ecat(lognormal(x, mu[z], sd[z]), z, q) - sumk(q[k] * log(q[k] / w[k]), k, K)",
        relation: "≥",
        why: "KL ≥ 0",
        tex: `${T.Eq("\\log p_\\theta(x\\mid z)")} - ${T.klPrior} = \\mathrm{ELBO}(q)`,
      },
    ],
  });

  const elboBoundByKL = derivation({
    name: "elbo-bound-by-kl",
    title: "Proof #1: log p(x) − ELBO(q) = KL(q‖p(z|x)) ≥ 0",
    source: "lecture 000 (ELBO as lower bound, proof #1)",
    ...gaussianModel,
    steps: [
      { expr: "klnormal(m, s, mp, sp)", tex: T.klPost },
      {
        expr: "EN(lognormal(z, m, s), z, m, s) - EN(lognormal(z, mp, sp), z, m, s)",
        why: "definition of KL",
        tex: `${T.Eq("\\log q(z)")} - ${T.Eq("\\log p_\\theta(z\\mid x)")}`,
      },
      {
        expr: "EN(lognormal(z, m, s), z, m, s) - EN(lognormal(x, z, sigma) + lognormal(z, 0, 1), z, m, s) + lognormal(x, 0, sx)",
        why: "Bayes' rule: p(z|x) = p(x,z)/p(x)",
        tex: `${T.Eq("\\log q(z)")} - ${T.Eq("\\log p_\\theta(x, z)")} + ${T.logpx}`,
      },
      {
        expr: "lognormal(x, 0, sx) - (EN(lognormal(x, z, sigma) + lognormal(z, 0, 1), z, m, s) - EN(lognormal(z, m, s), z, m, s))",
        why: "rearrange: the bracket is ELBO(q)",
        tex: `${T.logpx} - \\underbrace{\\left(${T.Eq("\\log p_\\theta(x, z)")} - ${T.Eq("\\log q(z)")}\\right)}_{\\mathrm{ELBO}(q)}`,
      },
      { expr: "0", relation: "≥", why: "KL ≥ 0", tex: "0" },
    ],
  });

  const elboBoundByJensen = derivation({
    name: "elbo-bound-by-jensen",
    title: "Proof #2: log p(x) ≥ ELBO(q) by Jensen's inequality",
    source: "lecture 000 (ELBO's relation to log p(x), proof #2)",
    ...discreteModel,
    steps: [
      { expr: "log(px)", tex: T.logpx },
      {
        expr: "log(sumk(w[k] * npdf(x, mu[k], sd[k]), k, K))",
        why: "marginalize: p(x) is the sum of p(x, z) over z",
        tex: "\\log\\sum_z p_\\theta(x, z)",
      },
      {
        expr: "log(sumk(q[k] * w[k] * npdf(x, mu[k], sd[k]) / q[k], k, K))",
        why: "multiply by q/q",
        tex: "\\log\\sum_z q(z)\\,\\frac{p_\\theta(x, z)}{q(z)}",
      },
      {
        expr: "log(Ecat(w[z] * npdf(x, mu[z], sd[z]) / q[z], z, q))",
        why: "definition of expectation",
        tex: `\\log ${T.Eq("\\frac{p_\\theta(x, z)}{q(z)}")}`,
      },
      {
        expr: "Ecat(log(w[z] * npdf(x, mu[z], sd[z]) / q[z]), z, q)",
        relation: "≥",
        why: "Jensen's inequality, log is concave",
        tex: T.Eq("\\log\\frac{p_\\theta(x, z)}{q(z)}"),
      },
      {
        expr: "Ecat(log(w[z]) + lognormal(x, mu[z], sd[z]), z, q) - Ecat(log(q[z]), z, q)",
        why: "log of a ratio",
        tex: `${T.Eq("\\log p_\\theta(x, z)")} - ${T.Eq("\\log q(z)")} = \\mathrm{ELBO}(q)`,
      },
    ],
  });

  const klMinimizationIsElboMaximization = derivation({
    name: "kl-minimization-is-elbo-maximization",
    title: "argmin_q KL(q‖p(z|x)) = argmax_q ELBO(q): the two differ by log p(x), constant in q",
    source: "lecture 000 (Optimizing KL divergence, answer #2)",
    ...gaussianModel,
    steps: [
      { expr: "klnormal(m, s, mp, sp)", tex: T.klPost },
      {
        expr: "EN(lognormal(z, m, s), z, m, s) - EN(lognormal(x, z, sigma) + lognormal(z, 0, 1), z, m, s) + lognormal(x, 0, sx)",
        why: "definition of KL, Bayes' rule",
        tex: `${T.Eq("\\log q(z)")} - ${T.Eq("\\log p_\\theta(x, z)")} + ${T.logpx}`,
      },
      {
        expr: "EN(lognormal(z, m, s), z, m, s) - EN(lognormal(x, z, sigma) + lognormal(z, 0, 1), z, m, s)",
        relation: "=c",
        constIn: ["m", "s"],
        why: "drop log p(x): it does not depend on q",
        tex: `${T.Eq("\\log q(z)")} - ${T.Eq("\\log p_\\theta(x, z)")}`,
      },
      {
        expr: "-(EN(lognormal(x, z, sigma) + lognormal(z, 0, 1) - lognormal(z, m, s), z, m, s))",
        why: "linearity of E",
        tex: "-\\mathrm{ELBO}(q)",
      },
    ],
  });

  const elboAsEnergyPlusEntropy = derivation({
    name: "elbo-energy-entropy",
    title: "ELBO = E_q[log p(x,z)] + H(q) = E_q[log p(x|z)] − KL(q‖p(z)), in closed form",
    source: "lecture 000 (ELBO as objective function), lecture 002 (reconstruction and KL terms)",
    ...gaussianModel,
    steps: [
      {
        expr: "EN(lognormal(x, z, sigma) + lognormal(z, 0, 1) - lognormal(z, m, s), z, m, s)",
        tex: `\\mathrm{ELBO}(q) = ${T.Eq("\\log p_\\theta(x, z) - \\log q(z)")}`,
      },
      {
        expr: "EN(lognormal(x, z, sigma) + lognormal(z, 0, 1), z, m, s) + 0.5 * log(2 * pi * e * s^2)",
        why: "entropy of a Gaussian, H(q) = ½ log 2πe s²",
        tex: `${T.Eq("\\log p_\\theta(x, z)")} + \\tfrac12\\log(2\\pi e s^2)`,
      },
      {
        expr: "EN(lognormal(x, z, sigma), z, m, s) - EN(lognormal(z, m, s) - lognormal(z, 0, 1), z, m, s)",
        why: "log p(x,z) = log p(x|z) + log p(z)",
        tex: `${T.Eq("\\log p_\\theta(x\\mid z)")} - ${T.klPrior}`,
      },
      {
        expr: "-0.5 * log(2 * pi * sigma^2) - ((x - m)^2 + s^2) / (2 * sigma^2) - 0.5 * (s^2 + m^2 - 1 - log(s^2))",
        why: "under q, E(x−z)² = (x−m)² + s²; closed-form KL",
        tex: "-\\tfrac12\\log(2\\pi\\sigma^2) - \\frac{(x-m)^2 + s^2}{2\\sigma^2} - \\tfrac12\\left(s^2 + m^2 - 1 - \\log s^2\\right)",
      },
    ],
  });

  const klDataIsMaximumLikelihood = derivation({
    name: "kl-data-is-maximum-likelihood",
    title: "min_θ KL(p_data‖p_θ) is max_θ E_{p_data} log p_θ(x) (a die with softmax probabilities)",
    source: "lecture 003 (Measuring how good a distribution is)",
    params: { pdata: { simplex: 6 }, theta: { min: -2, max: 2, size: 6 }, K: { value: 6 } },
    defs: ["Z = sumk(exp(theta[k]), k, K)", "ptheta(k) = exp(theta[k]) / Z"],
    steps: [
      {
        expr: "sumk(pdata[k] * log(pdata[k] / ptheta(k)), k, K)",
        tex: "\\mathcal{D}_{\\mathrm{KL}}(p_{\\mathrm{data}}\\,\\|\\,p_\\theta) = \\sum_x p_{\\mathrm{data}}(x)\\log\\frac{p_{\\mathrm{data}}(x)}{p_\\theta(x)}",
      },
      {
        expr: "sumk(-pdata[k] * log(ptheta(k)), k, K) + sumk(pdata[k] * log(pdata[k]), k, K)",
        why: "log of a ratio",
        tex: "\\sum_x -p_{\\mathrm{data}}(x)\\log p_\\theta(x) + \\sum_x p_{\\mathrm{data}}(x)\\log p_{\\mathrm{data}}(x)",
      },
      {
        expr: "sumk(-pdata[k] * log(ptheta(k)), k, K)",
        relation: "=c",
        constIn: ["theta"],
        why: "the data entropy does not depend on θ",
        tex: "\\sum_x -p_{\\mathrm{data}}(x)\\log p_\\theta(x)",
      },
      {
        expr: "-Ecat(log(ptheta(x)), x, pdata)",
        why: "definition of expectation",
        tex: "-\\mathbb{E}_{x\\sim p_{\\mathrm{data}}}\\log p_\\theta(x)",
      },
    ],
  });

  const l2IsGaussianNll = derivation({
    name: "l2-is-gaussian-nll",
    title: "The reconstruction term with a fixed-variance Gaussian decoder is an L2 loss plus a constant",
    source: "lecture 003 (VAE losses, Example: L2 loss)",
    params: {
      x: { min: -2, max: 2, size: 4 },
      xr: { min: -2, max: 2, size: 4 },
      sigma0: [0.2, 2],
      D: { value: 4 },
    },
    steps: [
      { expr: "-sumk(lognormal(x[j], xr[j], sigma0), j, D)", tex: "-\\log p_\\theta(x\\mid z) = -\\log\\mathcal{N}(x\\mid x', \\sigma_0^2 I)" },
      {
        expr: "-sumk(log((2 * pi * sigma0^2)^(-1/2) * exp(-(x[j] - xr[j])^2 / (2 * sigma0^2))), j, D)",
        why: "Gaussian density with fixed σ0",
        tex: "-\\sum_{j=1}^{D}\\log\\left[(2\\pi\\sigma_0^2)^{-1/2}\\exp\\left(-\\frac{(x_j - x'_j)^2}{2\\sigma_0^2}\\right)\\right]",
      },
      {
        expr: "sumk((x[j] - xr[j])^2, j, D) / (2 * sigma0^2) + D / 2 * log(2 * pi * sigma0^2)",
        why: "log of a product, log of exp",
        tex: "\\frac{1}{2\\sigma_0^2}\\|x - x'\\|^2 + \\frac{D}{2}\\log(2\\pi\\sigma_0^2)",
      },
      {
        expr: "sumk((x[j] - xr[j])^2, j, D) / (2 * sigma0^2)",
        relation: "=c",
        constIn: ["xr", "x"],
        why: "the constant does not depend on x or the decoder output x'",
        tex: "\\frac{1}{2\\sigma_0^2}\\|x - x'\\|^2",
      },
    ],
  });

  const klDiagonalGaussian = derivation({
    name: "kl-diagonal-gaussian",
    title: "Closed-form KL(N(μ, diag σ²) ‖ N(0, I))",
    source: "lecture 001/003 (analytic Gaussian KL); Kingma & Welling 2014, App. B",
    params: { mu: { min: -2, max: 2, size: 3 }, sigma: { min: 0.3, max: 2, size: 3 }, D: { value: 3 } },
    steps: [
      {
        expr: "ENdiag(sumk(lognormal(z[j], mu[j], sigma[j]), j, D) - sumk(lognormal(z[j], 0, 1), j, D), z, mu, sigma)",
        tex: "\\mathrm{KL}\\left(\\mathcal{N}(\\mu, \\mathrm{diag}\\,\\sigma^2)\\,\\|\\,\\mathcal{N}(0, I)\\right) = \\mathbb{E}_{q}\\left[\\log q(z) - \\log p(z)\\right]",
      },
      {
        expr: "ENdiag(sumk(-log(sigma[j]) - (z[j] - mu[j])^2 / (2 * sigma[j]^2) + z[j]^2 / 2, j, D), z, mu, sigma)",
        why: "Gaussian log-densities; the log √2π terms cancel",
        tex: "\\mathbb{E}_{q}\\left[\\sum_{j}\\left(-\\log\\sigma_j - \\frac{(z_j-\\mu_j)^2}{2\\sigma_j^2} + \\frac{z_j^2}{2}\\right)\\right]",
      },
      {
        expr: "sumk(-log(sigma[j]) - 1/2 + (sigma[j]^2 + mu[j]^2) / 2, j, D)",
        why: "E(zⱼ−μⱼ)² = σⱼ², E zⱼ² = σⱼ² + μⱼ²",
        tex: "\\sum_j\\left(-\\log\\sigma_j - \\tfrac12 + \\tfrac12(\\sigma_j^2 + \\mu_j^2)\\right)",
      },
      {
        expr: "1/2 * sumk(sigma[j]^2 + mu[j]^2 - 1 - log(sigma[j]^2), j, D)",
        why: "collect terms",
        tex: "\\tfrac12\\sum_j\\left(\\sigma_j^2 + \\mu_j^2 - 1 - \\log\\sigma_j^2\\right)",
      },
    ],
  });

  return {
    elboAnyQGaussian,
    elboAnyQDiscrete,
    elboBoundByKL,
    elboBoundByJensen,
    klMinimizationIsElboMaximization,
    elboAsEnergyPlusEntropy,
    klDataIsMaximumLikelihood,
    l2IsGaussianNll,
    klDiagonalGaussian,
  };
}

export type LectureDerivationName =
  | "elboAnyQGaussian"
  | "elboAnyQDiscrete"
  | "elboBoundByKL"
  | "elboBoundByJensen"
  | "klMinimizationIsElboMaximization"
  | "elboAsEnergyPlusEntropy"
  | "klDataIsMaximumLikelihood"
  | "l2IsGaussianNll"
  | "klDiagonalGaussian";

let cache: Record<LectureDerivationName, Derivation> | null = null;

/** Every derivation notebook 04 shows, built once (mathjs parsing happens on first use). */
export function lectureDerivations(): Record<LectureDerivationName, Derivation> {
  if (!cache) cache = build() as Record<LectureDerivationName, Derivation>;
  return cache;
}
