/**
 * Figures (data first: plain Plotly specs) and the small drivers behind them for notebooks 03
 * and 04: forward vs reverse KL fits, the exponential cost of exact inference, Ising
 * magnetization curves, CAVI traces and components, the closing ELBO gap, EM's staircase.
 */
import type { Figure, Trace } from "../plot/figure";
import type { Rng } from "../runtime/rng";
import { isingExact, isingGibbs, type IsingSpec } from "../graphical/ising";
import { meanFieldIsing, onsagerMagnetization, ISING_BETA_C_EXACT_2D, meanFieldCriticalBeta } from "./meanFieldIsing";
import { mixtureLogPdf, type GaussianMixture1D, type GaussianKLFit } from "./klFit";
import { gmmLogEvidenceExact, type CaviGmmResult } from "./caviGmm";
import type { EmElboRow } from "./emView";
import { GaussianLatentModel } from "./elbo";

function linspace(a: number, b: number, n: number): number[] {
  return Array.from({ length: n }, (_, i) => a + ((b - a) * i) / (n - 1));
}

const vline = (x: number, text: string, dash = "dash") => ({
  shape: { type: "line", x0: x, x1: x, yref: "paper", y0: 0, y1: 1, line: { dash, width: 1.5, color: "#555" } },
  annotation: { x, yref: "paper", y: 1.02, text, showarrow: false, font: { size: 11 } },
});

/** Two decimals, without the "-0.00" that a tiny negative number would print. */
const fixed2 = (v: number) => (Math.abs(v) < 0.005 ? 0 : v).toFixed(2);

/** Target density p(z) and the fitted Gaussians q(z), one curve each. */
export function klFitFigure(target: GaussianMixture1D, fits: { label: string; fit: GaussianKLFit }[], opts: { range?: [number, number] } = {}): Figure {
  const lo = opts.range?.[0] ?? Math.min(...target.means) - 4 * Math.max(...target.sds);
  const hi = opts.range?.[1] ?? Math.max(...target.means) + 4 * Math.max(...target.sds);
  const z = linspace(lo, hi, 400);
  const data: Trace[] = [
    { type: "scatter", mode: "lines", name: "target p(z)", x: z, y: z.map((v) => Math.exp(mixtureLogPdf(target, v))), fill: "tozeroy", line: { color: "#999" } },
    ...fits.map(({ label, fit }) => ({
      type: "scatter",
      mode: "lines",
      name: `${label}: N(${fixed2(fit.m)}, ${fixed2(fit.s)}²), KL = ${fit.kl.toFixed(3)}`,
      x: z,
      y: z.map((v) => Math.exp(-0.5 * ((v - fit.m) / fit.s) ** 2) / (fit.s * Math.sqrt(2 * Math.PI))),
      line: { dash: fit.direction === "forward" ? "solid" : "dash" },
    })),
  ];
  return {
    data,
    layout: {
      title: { text: "One Gaussian q fitted to a bimodal target p<br>forward KL(p‖q) covers both modes, reverse KL(q‖p) seeks one" },
      xaxis: { title: { text: "z" } },
      yaxis: { title: { text: "density" } },
    },
  };
}

export interface EnumerationTiming {
  n: number;
  assignments: number;
  milliseconds: number;
  logEvidence: number;
}

/**
 * Time the exact evidence sum Σ_c p(x, c) of a K-component mixture for growing n (Kⁿ terms):
 * the reason p(z | x) is intractable.
 */
export function timeExactEvidence(points: readonly number[], K: number, priorVariance: number, ns: readonly number[]): EnumerationTiming[] {
  return ns.map((n) => {
    if (n > points.length) throw new RangeError(`timeExactEvidence: n = ${n} exceeds the ${points.length} points given.`);
    // Fastest of several runs (≥ 3 and ~100 ms in total; one run when it alone takes > 300 ms):
    // the minimum filters out JIT warm-up, GC pauses and other processes on a shared machine.
    let best = Infinity;
    let total = 0;
    let r = { logEvidence: NaN, assignments: 0 };
    for (let rep = 0; rep < 50 && (rep < 3 || total < 100) && !(rep > 0 && best > 300); rep++) {
      const t0 = performance.now();
      r = gmmLogEvidenceExact(points.slice(0, n), K, priorVariance);
      const dt = performance.now() - t0;
      best = Math.min(best, dt);
      total += dt;
    }
    return { n, assignments: r.assignments, milliseconds: best, logEvidence: r.logEvidence };
  });
}

/** Kⁿ and the measured time on log axes. */
export function enumerationFigure(rows: EnumerationTiming[], K: number): Figure {
  return {
    data: [
      { type: "scatter", mode: "lines+markers", name: `number of assignments ${K}ⁿ`, x: rows.map((r) => r.n), y: rows.map((r) => r.assignments) },
      { type: "scatter", mode: "lines+markers", name: "time to sum them (ms)", x: rows.map((r) => r.n), y: rows.map((r) => Math.max(r.milliseconds, 1e-3)), yaxis: "y2" },
    ],
    layout: {
      title: { text: `Exact p(x) for a ${K}-component mixture sums over ${K}ⁿ assignments` },
      xaxis: { title: { text: "n (data points)" } },
      yaxis: { title: { text: "assignments" }, type: "log", dtick: 1, exponentformat: "power" },
      yaxis2: { title: { text: "milliseconds" }, type: "log", tickmode: "linear", tick0: 0, dtick: 1, exponentformat: "power", overlaying: "y", side: "right", showgrid: false },
      legend: { x: 0.02, y: 0.98 },
    },
  };
}

export interface IsingCurves {
  betas: number[];
  /** Homogeneous mean field m(β), z = 4. */
  meanField: number[];
  /** Onsager/Yang M(β) of the infinite lattice. */
  onsager: number[];
  /** Exact E|m| on the small periodic grid (enumeration). */
  exact: number[];
  exactSpec: IsingSpec;
  /** Gibbs E|m| ± SE on the larger periodic grid. */
  gibbs: number[];
  gibbsSE: number[];
  gibbsSpec: IsingSpec;
}

/** Magnetization against β four ways: mean field, exact enumeration, Gibbs sampling, Onsager. */
export function isingMagnetizationCurves(opts: {
  betas: readonly number[];
  exactSpec: IsingSpec;
  gibbsSpec: IsingSpec;
  rng: Rng;
  sweeps: number;
  burnIn: number;
}): IsingCurves {
  const betas = [...opts.betas];
  const gibbs = betas.map((b) => isingGibbs(opts.gibbsSpec, b, opts.rng, { sweeps: opts.sweeps, burnIn: opts.burnIn }));
  return {
    betas,
    meanField: betas.map((b) => meanFieldIsing({ z: 4, J: 1, h: 0 }, b, { maxIter: 200_000 }).m),
    onsager: betas.map((b) => onsagerMagnetization(b)),
    exact: betas.map((b) => isingExact(opts.exactSpec, b).meanAbsMagnetization),
    exactSpec: opts.exactSpec,
    gibbs: gibbs.map((g) => g.meanAbsMagnetization),
    gibbsSE: gibbs.map((g) => g.se),
    gibbsSpec: opts.gibbsSpec,
  };
}

export function isingMagnetizationFigure(c: IsingCurves): Figure {
  const mf = vline(meanFieldCriticalBeta(4, 1), "β = 1/4 (mean field)");
  const ex = vline(ISING_BETA_C_EXACT_2D, "β = 0.4407 (exact)", "dot");
  const grid = (s: IsingSpec) => `${s.rows}×${s.cols}${s.periodic ? " torus" : ""}`;
  // The closed-form curves on a fine grid (they have a kink at their critical points).
  const fine = linspace(Math.min(...c.betas), Math.max(...c.betas), 400);
  return {
    data: [
      { type: "scatter", mode: "lines", name: "mean field m = tanh(4βm)", x: fine, y: fine.map((b) => meanFieldIsing({ z: 4, J: 1, h: 0 }, b, { maxIter: 200_000 }).m) },
      { type: "scatter", mode: "lines", name: "Onsager/Yang M(β), infinite lattice", x: fine, y: fine.map((b) => onsagerMagnetization(b)), line: { dash: "dash" } },
      { type: "scatter", mode: "lines+markers", name: `exact E|m|, ${grid(c.exactSpec)} (enumeration)`, x: c.betas, y: c.exact },
      {
        type: "scatter",
        mode: "markers",
        name: `Gibbs E|m|, ${grid(c.gibbsSpec)}`,
        x: c.betas,
        y: c.gibbs,
        error_y: { type: "data", array: c.gibbsSE.map((s) => 2 * s), visible: true },
      },
    ],
    layout: {
      title: { text: "Ising magnetization against β: mean field orders too early" },
      xaxis: { title: { text: "β (J = 1, h = 0)" } },
      yaxis: { title: { text: "magnetization" }, range: [0, 1.05] },
      shapes: [mf.shape, ex.shape],
      // The exact-β label sits right of its line at m ≈ 0.3, where no curve runs (at the top it covered the mean-field curve).
      annotations: [mf.annotation, { ...ex.annotation, y: 0.3, xanchor: "left", xshift: 4 }],
    },
  };
}

/** The CAVI ELBO per iteration (and, optionally, the exact log evidence as a ceiling). */
export function caviElboFigure(trace: readonly number[], logEvidence?: number): Figure {
  const it = trace.map((_, i) => i + 1);
  const data: Trace[] = [{ type: "scatter", mode: "lines+markers", name: "ELBO (eq. 34)", x: it, y: [...trace] }];
  if (logEvidence !== undefined) data.push({ type: "scatter", mode: "lines", name: "log p(x) (exact)", x: it, y: it.map(() => logEvidence), line: { dash: "dash" } });
  return {
    data,
    layout: { title: { text: "CAVI for the Bayesian Gaussian mixture: the ELBO never decreases" }, xaxis: { title: { text: "iteration" } }, yaxis: { title: { text: "ELBO (nats)" } } },
  };
}

/** 2-D data coloured by argmax_k φ_ik, the variational means m_k, unit-variance circles, and the true means. */
export function caviComponentsFigure(x: readonly ArrayLike<number>[], res: CaviGmmResult, trueMeans?: readonly ArrayLike<number>[]): Figure {
  const K = res.m.length;
  const data: Trace[] = [];
  for (let k = 0; k < K; k++) {
    const idx = x.map((_, i) => i).filter((i) => {
      const row = res.phi[i];
      let best = 0;
      for (let j = 1; j < K; j++) if (row[j] > row[best]) best = j;
      return best === k;
    });
    data.push({ type: "scatter", mode: "markers", name: `points with argmax φ = ${k + 1}`, x: idx.map((i) => x[i][0]), y: idx.map((i) => x[i][1]), marker: { size: 5, opacity: 0.6 } });
  }
  const th = linspace(0, 2 * Math.PI, 80);
  for (let k = 0; k < K; k++) {
    data.push({
      type: "scatter",
      mode: "lines",
      name: k === 0 ? "N(m_k, I): 1 and 2 sd" : undefined,
      showlegend: k === 0,
      x: [...th.map((t) => res.m[k][0] + Math.cos(t)), null, ...th.map((t) => res.m[k][0] + 2 * Math.cos(t))],
      y: [...th.map((t) => res.m[k][1] + Math.sin(t)), null, ...th.map((t) => res.m[k][1] + 2 * Math.sin(t))],
      line: { color: "#333", width: 1 },
    });
  }
  data.push({ type: "scatter", mode: "markers", name: "E_q[μ_k] = m_k", x: res.m.map((m) => m[0]), y: res.m.map((m) => m[1]), marker: { symbol: "x", size: 12, color: "#000" } });
  if (trueMeans) {
    data.push({ type: "scatter", mode: "markers", name: "true μ_k", x: trueMeans.map((m) => m[0]), y: trueMeans.map((m) => m[1]), marker: { symbol: "circle-open", size: 14, color: "#d62728", line: { width: 2 } } });
  }
  return {
    data,
    layout: { title: { text: "CAVI fit: assignments q(c<sub>i</sub>) and component means q(μ<sub>k</sub>)" }, xaxis: { title: { text: "x₁" } }, yaxis: { title: { text: "x₂" }, scaleanchor: "x" } },
  };
}

export interface GapPathRow {
  t: number;
  m: number;
  s: number;
  elbo: number;
  klToPosterior: number;
  logEvidence: number;
}

/**
 * Move q along q_t = N((1−t) m₀ + t m_post, ((1−t) s₀ + t s_post)²) from q₀ to the posterior
 * and record ELBO(q_t), KL(q_t ‖ p(z|x)) and log p(x) (Gaussian model).
 */
export function elboGapPath(model: GaussianLatentModel, x: number, q0: { mu: number; sigma: number }, steps: number): GapPathRow[] {
  const post = model.posterior(x);
  return linspace(0, 1, steps).map((t) => {
    const m = (1 - t) * q0.mu + t * post.mu;
    const s = (1 - t) * q0.sigma + t * post.sigma;
    const p = model.elbo(x, { mu: m, sigma: s });
    return { t, m, s, elbo: p.elbo, klToPosterior: p.klToPosterior, logEvidence: p.logEvidence };
  });
}

export function elboGapFigure(rows: GapPathRow[]): Figure {
  const t = rows.map((r) => r.t);
  return {
    data: [
      { type: "scatter", mode: "lines", name: "log p(x)", x: t, y: rows.map((r) => r.logEvidence), line: { dash: "dash" } },
      { type: "scatter", mode: "lines", name: "ELBO(q_t)", x: t, y: rows.map((r) => r.elbo) },
      { type: "scatter", mode: "lines", name: "ELBO + KL(q_t‖p(z|x))", x: t, y: rows.map((r) => r.elbo + r.klToPosterior), line: { dash: "dot", width: 4 } },
      { type: "scatter", mode: "lines", name: "gap = KL(q_t‖p(z|x))", x: t, y: rows.map((r) => r.klToPosterior) },
    ],
    layout: {
      title: { text: "As q moves to the posterior, the gap KL(q‖p(z|x)) closes and the ELBO reaches log p(x)" },
      xaxis: { title: { text: "t  (q<sub>t</sub> interpolates from q₀ at t = 0 to p(z|x) at t = 1)" } },
      // One axis for all four curves, so the height of the gap curve is the vertical distance between log p(x) and the ELBO.
      yaxis: { title: { text: "nats" }, zeroline: true },
      legend: { orientation: "h", x: 0, y: -0.25 },
    },
  };
}

/** EM's staircase: ELBO(q, θ) and log p_θ(x) after every E and M step. */
export function emElboFigure(rows: EmElboRow[]): Figure {
  const x = rows.map((_, i) => i);
  const text = rows.map((r) => (r.phase === "start" ? "start" : `${r.phase}${r.iteration}`));
  return {
    data: [
      { type: "scatter", mode: "lines+markers", name: "log p_θ(x)", x, y: rows.map((r) => r.logLikelihood), line: { shape: "hv", dash: "dash" } },
      { type: "scatter", mode: "lines+markers", name: "ELBO(q, θ)", x, y: rows.map((r) => r.elbo), text, line: { shape: "linear" } },
    ],
    layout: {
      title: { text: "EM as max-max: the E-step closes the gap, the M-step raises the ELBO" },
      // A tick per update when few; else one per `every`-th iteration (its E-step), so labels never overlap.
      xaxis: (() => {
        const every = rows.length <= 25 ? 0 : Math.ceil(rows.length / 2 / 12);
        const keep = x.filter((i) => every === 0 || rows[i].phase === "start" || (rows[i].phase === "E" && rows[i].iteration % every === 0));
        return { title: { text: "update (start, E1, M1, E2, M2, …)" }, tickmode: "array", tickvals: keep, ticktext: keep.map((i) => text[i]) };
      })(),
      yaxis: { title: { text: "nats" } },
    },
  };
}

/** E_q[β_k] of a fitted LDA as a heatmap: topics × words. */
export function ldaTopicsFigure(topicWordMeans: readonly ArrayLike<number>[], vocab: readonly string[], title = "LDA topics: E<sub>q</sub>[β<sub>k</sub>] = λ<sub>k</sub> / Σ<sub>w</sub> λ<sub>kw</sub>, one row per fitted topic"): Figure {
  return {
    data: [
      {
        type: "heatmap",
        z: topicWordMeans.map((t) => Array.from(t)),
        x: [...vocab],
        y: topicWordMeans.map((_, k) => `topic ${k + 1}`),
        // White = 0, dark blue = high (Plotly's named "Blues" runs the other way).
        colorscale: [
          [0, "#f7fbff"],
          [0.5, "#6baed6"],
          [1, "#08306b"],
        ],
        zmin: 0,
        colorbar: { title: { text: "p(word | topic)" } },
      },
    ],
    layout: { title: { text: title }, xaxis: { title: { text: "word" } }, yaxis: { title: { text: "fitted topic" }, autorange: "reversed" } },
  };
}
