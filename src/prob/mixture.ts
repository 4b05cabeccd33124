/**
 * Finite mixtures p(x) = Σ_k π_k p_k(x) of components with the same event shape: sampled
 * ancestrally (k ~ Categorical(π), then x ~ p_k), scored with log-sum-exp.
 */
import type { Rng } from "../runtime/rng";
import { logSumExp } from "../math/special";
import { ScalarDistribution, VectorDistribution, type Distribution } from "./distribution";
import { cumulativeProbs, sampleFromCdf } from "./samplers";
import { requireProbVector } from "./validate";

type SampleOf<D> = D extends ScalarDistribution ? Float64Array : Float64Array[];
type ValueOf<D> = D extends ScalarDistribution ? number : ArrayLike<number>;
type MeanOf<D> = D extends ScalarDistribution ? number : Float64Array;

/** A finite mixture Σ_k π_k p_k(x). Scalar components give scalar draws, vector ones vectors. */
export class Mixture<D extends Distribution = Distribution> {
  readonly name = "Mixture";
  readonly weights: Float64Array;
  readonly components: readonly D[];
  readonly event: "scalar" | "vector";
  readonly dim: number;
  private readonly cdf: Float64Array;
  constructor(weights: ArrayLike<number>, components: readonly D[]) {
    this.weights = requireProbVector("Mixture", "weights", weights);
    if (!Array.isArray(components) || components.length !== this.weights.length) {
      throw new RangeError(
        `Mixture: ${this.weights.length} weights but ${components?.length} components (shape mismatch); give one weight per component.`,
      );
    }
    const first = components[0];
    components.forEach((c, k) => {
      if (!(c instanceof ScalarDistribution || c instanceof VectorDistribution)) {
        throw new TypeError(`Mixture: component ${k} is not a latentlab distribution.`);
      }
      if (c.event !== first.event || c.dim !== first.dim) {
        throw new RangeError(
          `Mixture: component ${k} (${c.name}, ${c.event}, dim ${c.dim}) does not match component 0 (${first.name}, ${first.event}, dim ${first.dim}).`,
        );
      }
    });
    this.components = components;
    this.event = first.event;
    this.dim = first.dim;
    this.cdf = cumulativeProbs(this.weights);
  }

  /** Draw the component k ~ Categorical(π) for each of n samples. */
  sampleComponents(rng: Rng, n: number): Int32Array {
    const ks = new Int32Array(n);
    for (let i = 0; i < n; i++) ks[i] = sampleFromCdf(rng, this.cdf);
    return ks;
  }

  /** Ancestral sampling: k ~ Categorical(π), x ~ p_k. */
  sample(rng: Rng, n: number): SampleOf<D> {
    const ks = this.sampleComponents(rng, n);
    if (this.event === "scalar") {
      const out = new Float64Array(n);
      for (let i = 0; i < n; i++) out[i] = (this.components[ks[i]] as ScalarDistribution).sampleOne(rng);
      return out as SampleOf<D>;
    }
    const out: Float64Array[] = [];
    for (let i = 0; i < n; i++) out.push((this.components[ks[i]] as VectorDistribution).sampleOne(rng));
    return out as SampleOf<D>;
  }

  /** Per-component log π_k + log p_k(x). */
  componentLogJoint(x: ValueOf<D>): Float64Array {
    return Float64Array.from(this.components, (c, k) => Math.log(this.weights[k]) + (c.logProb as (v: unknown) => number)(x));
  }

  /** log p(x) = log Σ_k π_k p_k(x). */
  logProb(x: ValueOf<D>): number {
    return logSumExp(this.componentLogJoint(x));
  }

  /** Responsibilities p(k | x) = π_k p_k(x) / Σ_j π_j p_j(x). */
  posterior(x: ValueOf<D>): Float64Array {
    const l = this.componentLogJoint(x);
    const z = logSumExp(l);
    return l.map((v) => Math.exp(v - z));
  }

  /** E[x] = Σ_k π_k E_k[x]. */
  mean(): MeanOf<D> {
    if (this.event === "scalar") {
      let m = 0;
      this.components.forEach((c, k) => (m += this.weights[k] * (c as ScalarDistribution).mean()));
      return m as MeanOf<D>;
    }
    const m = new Float64Array(this.dim);
    this.components.forEach((c, k) => {
      const mk = (c as VectorDistribution).mean();
      for (let i = 0; i < this.dim; i++) m[i] += this.weights[k] * mk[i];
    });
    return m as MeanOf<D>;
  }

  /** Law of total variance: Var[x] = Σ_k π_k (Var_k + E_k²) − E[x]² (per dimension for vectors). */
  variance(): MeanOf<D> {
    if (this.event === "scalar") {
      const m = this.mean() as number;
      let s = 0;
      this.components.forEach((c, k) => {
        const d = c as ScalarDistribution;
        s += this.weights[k] * (d.variance() + d.mean() ** 2);
      });
      return (s - m * m) as MeanOf<D>;
    }
    const m = this.mean() as Float64Array;
    const s = new Float64Array(this.dim);
    this.components.forEach((c, k) => {
      const d = c as VectorDistribution;
      const mk = d.mean();
      const vk = d.variance();
      for (let i = 0; i < this.dim; i++) s[i] += this.weights[k] * (vk[i] + mk[i] * mk[i]);
    });
    for (let i = 0; i < this.dim; i++) s[i] -= m[i] * m[i];
    return s as MeanOf<D>;
  }

  /** The entropy of a mixture has no closed form. */
  entropy(): number {
    throw new Error(
      "Mixture.entropy: no closed form for the entropy of a mixture. Estimate it by Monte Carlo: −mean(logProb(x)) over x = sample(rng, n).",
    );
  }
}
