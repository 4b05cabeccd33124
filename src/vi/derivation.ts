/**
 * Executable derivations. A derivation is a chain of expressions (mathjs syntax) where each
 * step is related to the previous one by "=", "≥", "≤" or "=c" (equal up to a term that does
 * not depend on the listed parameters, the "+ const" of lecture 003), with a justification
 * ("Bayes' rule", "multiply by q/q", "Jensen's inequality", "KL ≥ 0").
 *
 * `check({ rng, draws })` draws the parameters at random from their ranges, evaluates every
 * step and confirms each relation; the FIRST step that fails is reported with the parameter
 * values and both sides. `toLatex(report)` renders the aligned chain with the justifications
 * and a ✓/✗ per checked step. Helpers available in expressions: see `DERIVATION_HELPERS`
 * (lognormal, npdf, klnormal, EN, ENdiag, Ecat, sumk, integral) plus per-derivation `helpers`.
 */
import type { MathNode, EvalFunction } from "mathjs";
import type { Rng } from "../runtime/rng";
import { CheckError } from "../runtime/check";
import { derivationMath, toNumber, DERIVATION_HELPERS } from "./mathScope";

export type Relation = "=" | "≥" | "≤" | "=c";

export interface DerivationStep {
  /** The expression of this step, in mathjs syntax. */
  expr: string;
  /** Relation of this step to the previous one: prev = this, prev ≥ this, prev ≤ this, prev =c this. Ignored for step 0. */
  relation?: Relation;
  /** Why the relation holds ("Bayes' rule", "Jensen's inequality", …). */
  why?: string;
  /** Hand-written LaTeX for this step (default: mathjs `toTex()` of `expr`). */
  tex?: string;
  /** For "=c": the parameters the difference (prev − this) must not depend on. */
  constIn?: string[];
}

/** How to draw a parameter: `[min, max]` (uniform), a spec object, a simplex, or a fixed value. */
export type ParamSpec =
  | readonly [number, number]
  | { min: number; max: number; size?: number; log?: boolean; integer?: boolean }
  | { simplex: number }
  | { value: number | readonly number[] };

export interface DerivationSpec {
  /** Short identifier, e.g. "elbo-any-q-gaussian". */
  name: string;
  /** Human title shown above the rendered derivation. */
  title?: string;
  /** Where the derivation comes from (lecture and slide). */
  source?: string;
  params: Record<string, ParamSpec>;
  /** Definitions evaluated in order after the draw, mathjs assignments ("mp = x/(1+sigma^2)", "post(z) = …"). */
  defs?: string[];
  /** Extra numeric functions callable from the expressions. */
  helpers?: Record<string, (...args: never[]) => unknown>;
  steps: DerivationStep[];
  /** Relative tolerance of "=" (|a − b| ≤ tol · max(1, |a|, |b|)); default 1e-9. */
  tol?: number;
}

export interface StepResult {
  index: number;
  relation: Relation | null;
  why: string;
  ok: boolean;
  /** Largest |prev − this| / max(1, |prev|, |this|) over draws (for "=" and "=c"); violation size for inequalities. */
  worst: number;
}

export interface StepFailure {
  index: number;
  relation: Relation;
  why: string;
  expr: string;
  previousExpr: string;
  params: Record<string, number | number[]>;
  /** Value of the previous step (the left side of the relation). */
  lhs: number;
  /** Value of this step (the right side). */
  rhs: number;
  message: string;
}

export interface DerivationReport {
  name: string;
  ok: boolean;
  draws: number;
  steps: StepResult[];
  firstFailure: StepFailure | null;
}

const RELATION_TEX: Record<Relation, string> = { "=": "=", "≥": "\\ge", "≤": "\\le", "=c": "\\overset{c}{=}" };

function normalizeRelation(r: string | undefined): Relation {
  if (r === undefined || r === "=") return "=";
  if (r === "≥" || r === ">=") return "≥";
  if (r === "≤" || r === "<=") return "≤";
  if (r === "=c") return "=c";
  throw new RangeError(`Derivation: unknown relation "${r}"; use "=", "≥", "≤" or "=c".`);
}

function fmt(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  return Math.abs(x) !== 0 && (Math.abs(x) < 1e-4 || Math.abs(x) >= 1e6) ? x.toExponential(6) : x.toPrecision(10).replace(/\.?0+$/, "");
}

function fmtParams(p: Record<string, number | number[]>): string {
  return Object.entries(p)
    .map(([k, v]) => `${k} = ${Array.isArray(v) ? `[${v.map(fmt).join(", ")}]` : fmt(v)}`)
    .join(", ");
}

function drawParam(name: string, spec: ParamSpec, rng: Rng): number | number[] {
  if (Array.isArray(spec)) return drawParam(name, { min: spec[0], max: spec[1] }, rng);
  const s = spec as Exclude<ParamSpec, readonly [number, number]>;
  if ("value" in s) return typeof s.value === "number" ? s.value : [...s.value];
  if ("simplex" in s) {
    const k = s.simplex;
    if (!Number.isInteger(k) || k < 1) throw new RangeError(`Derivation parameter ${name}: simplex size must be a positive integer, got ${k}.`);
    const e = Array.from({ length: k }, () => -Math.log(rng.uniformOpen()));
    const t = e.reduce((a, b) => a + b, 0);
    return e.map((x) => x / t);
  }
  const { min, max } = s;
  if (!(Number.isFinite(min) && Number.isFinite(max) && max >= min)) {
    throw new RangeError(`Derivation parameter ${name}: need finite min ≤ max, got [${min}, ${max}].`);
  }
  if (s.log && !(min > 0)) throw new RangeError(`Derivation parameter ${name}: a log-uniform range needs min > 0, got ${min}.`);
  const one = (): number => {
    const u = rng.uniform();
    let v = s.log ? Math.exp(Math.log(min) + u * (Math.log(max) - Math.log(min))) : min + u * (max - min);
    if (s.integer) v = Math.min(max, Math.floor(min + u * (max - min + 1)));
    return v;
  };
  return s.size === undefined ? one() : Array.from({ length: s.size }, one);
}

export class Derivation {
  readonly name: string;
  readonly title: string;
  readonly source: string;
  readonly steps: readonly DerivationStep[];
  private readonly spec: DerivationSpec;
  private readonly nodes: MathNode[];
  private readonly code: EvalFunction[];
  private readonly defs: EvalFunction[];

  constructor(spec: DerivationSpec) {
    if (!spec.steps || spec.steps.length < 2) {
      throw new RangeError(`Derivation ${spec.name}: needs at least two steps (a start and one relation).`);
    }
    const math = derivationMath();
    for (const key of Object.keys(spec.params)) {
      if (key in DERIVATION_HELPERS) throw new RangeError(`Derivation ${spec.name}: parameter name "${key}" is a reserved helper name.`);
    }
    this.spec = spec;
    this.name = spec.name;
    this.title = spec.title ?? spec.name;
    this.source = spec.source ?? "";
    this.steps = spec.steps.map((s, i) => ({ ...s, relation: i === 0 ? undefined : normalizeRelation(s.relation) }));
    this.nodes = spec.steps.map((s, i) => {
      try {
        return math.parse(s.expr);
      } catch (e) {
        throw new SyntaxError(`Derivation ${spec.name}, step ${i}: cannot parse "${s.expr}": ${(e as Error).message}`);
      }
    });
    this.code = this.nodes.map((n) => n.compile());
    this.defs = (spec.defs ?? []).map((d, i) => {
      try {
        return math.parse(d).compile();
      } catch (e) {
        throw new SyntaxError(`Derivation ${spec.name}, definition ${i} "${d}": ${(e as Error).message}`);
      }
    });
    this.steps.forEach((s, i) => {
      if (s.relation === "=c" && !(s.constIn && s.constIn.length)) {
        throw new RangeError(`Derivation ${spec.name}, step ${i}: relation "=c" needs constIn (the parameters the dropped term must not depend on).`);
      }
      for (const p of s.constIn ?? []) {
        if (!(p in spec.params)) throw new RangeError(`Derivation ${spec.name}, step ${i}: constIn names unknown parameter "${p}".`);
      }
    });
  }

  /** A copy with step `index` changed (e.g. a sign flipped) — to see the checker catch it. */
  withStep(index: number, patch: Partial<DerivationStep>): Derivation {
    if (!Number.isInteger(index) || index < 0 || index >= this.spec.steps.length) {
      throw new RangeError(`Derivation ${this.name}.withStep: index ${index} is outside 0..${this.spec.steps.length - 1}.`);
    }
    const steps = this.spec.steps.map((s, i) => (i === index ? { ...s, ...patch, tex: patch.tex ?? (patch.expr ? undefined : s.tex) } : s));
    return new Derivation({ ...this.spec, steps });
  }

  /** Draw one parameter set. */
  drawParams(rng: Rng): Record<string, number | number[]> {
    const out: Record<string, number | number[]> = {};
    for (const [k, s] of Object.entries(this.spec.params)) out[k] = drawParam(k, s, rng);
    return out;
  }

  private scopeFor(params: Record<string, number | number[]>): Map<string, unknown> {
    const math = derivationMath();
    const scope = new Map<string, unknown>();
    for (const [k, v] of Object.entries(params)) scope.set(k, Array.isArray(v) ? math.matrix(v) : v);
    for (const [k, f] of Object.entries(this.spec.helpers ?? {})) scope.set(k, f);
    this.defs.forEach((d) => d.evaluate(scope));
    return scope;
  }

  /** Evaluate every step at one parameter set; a step that throws or is not finite gives NaN and its error. */
  evaluate(params: Record<string, number | number[]>): { values: number[]; errors: (string | null)[] } {
    let scope: Map<string, unknown>;
    try {
      scope = this.scopeFor(params);
    } catch (e) {
      const msg = `definitions failed: ${(e as Error).message}`;
      return { values: this.code.map(() => NaN), errors: this.code.map(() => msg) };
    }
    const values: number[] = [];
    const errors: (string | null)[] = [];
    for (let i = 0; i < this.code.length; i++) {
      try {
        const v = toNumber(this.code[i].evaluate(scope), `step ${i}`);
        values.push(v);
        errors.push(Number.isFinite(v) ? null : `step ${i} evaluated to ${v}`);
      } catch (e) {
        values.push(NaN);
        errors.push(`step ${i} threw: ${(e as Error).message}`);
      }
    }
    return { values, errors };
  }

  /**
   * Check every relation on `draws` random parameter sets (default 20). Returns a report; the
   * first failing step (lowest index) is described with the parameters and both sides.
   */
  check(opts: { rng: Rng; draws?: number; tol?: number }): DerivationReport {
    const draws = opts.draws ?? 20;
    if (!Number.isInteger(draws) || draws < 1) throw new RangeError(`Derivation ${this.name}.check: draws must be a positive integer, got ${draws}.`);
    const tol = opts.tol ?? this.spec.tol ?? 1e-9;
    const n = this.steps.length;
    const worst = new Array<number>(n).fill(0);
    const failures: (StepFailure | null)[] = new Array(n).fill(null);
    for (let d = 0; d < draws; d++) {
      const params = this.drawParams(opts.rng);
      const { values, errors } = this.evaluate(params);
      // "=c" steps need a second evaluation with the constIn parameters redrawn.
      const alt = new Map<number, { values: number[]; errors: (string | null)[]; params: Record<string, number | number[]> }>();
      for (let i = 1; i < n; i++) {
        const s = this.steps[i];
        if (s.relation !== "=c") continue;
        const p2 = { ...params };
        const fresh = this.drawParams(opts.rng);
        for (const k of s.constIn ?? []) p2[k] = fresh[k];
        alt.set(i, { ...this.evaluate(p2), params: p2 });
      }
      for (let i = 1; i < n; i++) {
        if (failures[i]) continue;
        const s = this.steps[i];
        const rel = s.relation as Relation;
        const a = values[i - 1];
        const b = values[i];
        const scale = Math.max(1, Math.abs(a), Math.abs(b));
        let ok: boolean;
        let err: number;
        let why = "";
        if (errors[i] || errors[i - 1]) {
          ok = false;
          err = Infinity;
          why = (errors[i] ?? errors[i - 1]) as string;
        } else if (rel === "=") {
          err = Math.abs(a - b) / scale;
          ok = err <= tol;
          if (!ok) why = `the two sides differ by ${fmt(a - b)}`;
        } else if (rel === "≥") {
          err = Math.max(0, (b - a) / scale);
          ok = err <= tol;
          if (!ok) why = `the previous step is smaller, by ${fmt(b - a)}`;
        } else if (rel === "≤") {
          err = Math.max(0, (a - b) / scale);
          ok = err <= tol;
          if (!ok) why = `the previous step is larger, by ${fmt(a - b)}`;
        } else {
          const o = alt.get(i)!;
          const a2 = o.values[i - 1];
          const b2 = o.values[i];
          if (o.errors[i] || o.errors[i - 1]) {
            ok = false;
            err = Infinity;
            why = (o.errors[i] ?? o.errors[i - 1]) as string;
          } else {
            const diff1 = a - b;
            const diff2 = a2 - b2;
            err = Math.abs(diff1 - diff2) / Math.max(1, Math.abs(diff1), Math.abs(diff2), scale);
            ok = err <= tol;
            if (!ok) {
              const changed = (s.constIn ?? []).map((k) => `${k}: ${JSON.stringify(params[k])} → ${JSON.stringify(o.params[k])}`).join("; ");
              why = `the dropped term (previous − this) is ${fmt(diff1)}, but ${fmt(diff2)} after changing ${changed}: it depends on ${s.constIn!.join(", ")}`;
            }
          }
        }
        if (Number.isFinite(err)) worst[i] = Math.max(worst[i], err);
        if (!ok) {
          const relText = rel === "=c" ? "= (up to a constant)" : rel;
          failures[i] = {
            index: i,
            relation: rel,
            why: s.why ?? "",
            expr: s.expr,
            previousExpr: this.steps[i - 1].expr,
            params,
            lhs: a,
            rhs: b,
            message:
              `${this.name}: step ${i} (${relText}${s.why ? `, "${s.why}"` : ""}) fails at ${fmtParams(params)}: ` +
              `previous step = ${fmt(a)}, this step = ${fmt(b)} — ${why}.\n  previous: ${this.steps[i - 1].expr}\n  this:     ${s.expr}`,
          };
        }
      }
    }
    const steps: StepResult[] = this.steps.map((s, i) => ({
      index: i,
      relation: i === 0 ? null : (s.relation as Relation),
      why: s.why ?? "",
      ok: i === 0 ? true : failures[i] === null,
      worst: worst[i],
    }));
    const firstFailure = failures.find((f) => f !== null) ?? null;
    return { name: this.name, ok: firstFailure === null, draws, steps, firstFailure };
  }

  /**
   * Check and throw a CheckError naming the first failing step (for notebooks); prints a
   * one-line verdict when it passes and returns the report.
   */
  verify(opts: { rng: Rng; draws?: number; tol?: number; print?: boolean }): DerivationReport {
    const r = this.check(opts);
    if (!r.ok) throw new CheckError(`✗ ${r.firstFailure!.message}`);
    if (opts.print ?? true) {
      const worst = Math.max(...r.steps.map((s) => s.worst));
      console.log(`✓ ${this.title}: ${stepsHold(this.steps.length)} on ${r.draws} random draws (worst relative error ${fmt(worst)})`);
    }
    return r;
  }

  /** LaTeX of one step: the override, or mathjs `toTex()` of the expression. */
  stepTex(i: number): string {
    return this.steps[i].tex ?? this.nodes[i].toTex({ parenthesis: "auto", implicit: "hide", handler: derivationTexHandler });
  }

  /**
   * The derivation as an `aligned` block: one step per line, the relation, the justification
   * and (given a report) a green ✓ or red ✗ for each checked step.
   */
  toLatex(opts: { report?: DerivationReport } = {}): string {
    const lines: string[] = [];
    const r = opts.report;
    for (let i = 0; i < this.steps.length; i++) {
      const s = this.steps[i];
      const rel = i === 0 ? "" : RELATION_TEX[s.relation as Relation];
      let mark = "";
      if (r && i > 0) mark = r.steps[i].ok ? "\\;{\\color{green}\\checkmark}" : "\\;{\\color{red}\\boldsymbol{\\times}}";
      const why = s.why ? `\\text{(${s.why.replace(/[{}\\]/g, "")})}` : "";
      lines.push(`${rel} \\;& ${this.stepTex(i)} && ${why}${mark}`);
    }
    return `\\begin{aligned}\n${lines.join(" \\\\\n")}\n\\end{aligned}`;
  }

  /** A Markdown block for showMarkdown: title, source and the displayed derivation. */
  toMarkdown(opts: { report?: DerivationReport } = {}): string {
    const head = `**${this.title}**${this.source ? ` — ${this.source}` : ""}`;
    const status = opts.report
      ? opts.report.ok
        ? `\n\n${capitalize(stepsHold(this.steps.length, "checked"))} on ${opts.report.draws} random parameter draws.`
        : `\n\nStep ${opts.report.firstFailure!.index} fails: ${opts.report.firstFailure!.message.split("\n")[0]}`
      : "";
    return `${head}\n\n$$\n${this.toLatex(opts)}\n$$${status}`;
  }
}

/**
 * "steps 1–n hold" for a derivation of `count` steps: the steps are numbered from 0 (the
 * starting expression) and steps 1…n are the relations checked, as in the failure messages.
 */
export function stepsHold(count: number, verb: "hold" | "checked" = "hold"): string {
  const n = count - 1;
  if (n === 1) return verb === "hold" ? "step 1 holds" : "step 1 checked";
  return `steps 1–${n} ${verb}`;
}

const capitalize = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);

/**
 * mathjs `toTex` handler for derivation symbols. A parameter is never a unit (mathjs sets `m`,
 * `s`, `m2` upright as metre, second, square metre), and a trailing number is a subscript:
 * `m1` → `m_{1}`, `s2` → `s_{2}`, `sigma0` → `\sigma_{0}`. Other nodes keep mathjs's LaTeX.
 */
export function derivationTexHandler(node: MathNode): string | undefined {
  if (node.type !== "SymbolNode") return undefined;
  const name = (node as MathNode & { name: string }).name;
  const indexed = /^([A-Za-z]+)(\d+)$/.exec(name);
  if (indexed) return ` ${symbolTex(indexed[1])}_{${indexed[2]}}`;
  const tex = symbolTex(name);
  return tex.startsWith("\\") ? tex : ` ${tex}`;
}

/** mathjs's LaTeX of a bare symbol (greek letters as `\sigma`), without the unit's `\mathrm{}`. */
function symbolTex(name: string): string {
  const tex = derivationMath().parse(name).toTex().trim();
  return /^\\mathrm\{[A-Za-z]+\}$/.test(tex) ? name : tex;
}

/** Build a derivation from its spec (the steps are parsed and validated at once). */
export function derivation(spec: DerivationSpec): Derivation {
  return new Derivation(spec);
}

/**
 * d expr / d variable by mathjs's symbolic differentiation, simplified; returns the expression
 * (mathjs syntax), its LaTeX, and an evaluator (e.g. to check a gradient numerically).
 */
export function symbolicDerivative(
  expr: string,
  variable: string,
): { expr: string; tex: string; evaluate: (scope: Record<string, number>) => number } {
  const math = derivationMath();
  let node: MathNode;
  try {
    node = math.derivative(expr, variable);
  } catch (e) {
    throw new Error(`symbolicDerivative: cannot differentiate "${expr}" with respect to ${variable}: ${(e as Error).message}`);
  }
  const code = node.compile();
  return {
    expr: node.toString(),
    tex: node.toTex({ parenthesis: "auto", implicit: "hide", handler: derivationTexHandler }),
    evaluate: (scope) => toNumber(code.evaluate(new Map(Object.entries(scope))), `derivative of ${expr}`),
  };
}
