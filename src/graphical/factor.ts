/**
 * Discrete factors φ(x_S): non-negative tables over a scope S of named variables, the
 * building block of variable elimination and factor graphs. A table is row-major over the
 * scope (the first variable varies slowest).
 */

export interface Factor {
  readonly vars: readonly string[];
  readonly card: readonly number[];
  readonly table: Float64Array;
}

/** Check shapes and values; returns the factor. */
export function makeFactor(vars: readonly string[], card: readonly number[], table: ArrayLike<number>, where = "factor"): Factor {
  if (vars.length !== card.length) throw new RangeError(`${where}: ${vars.length} variables but ${card.length} cardinalities.`);
  if (new Set(vars).size !== vars.length) throw new RangeError(`${where}: repeated variable in scope [${vars.join(", ")}].`);
  const size = card.reduce((a, c) => a * c, 1);
  if (table.length !== size) {
    throw new RangeError(`${where}: scope [${vars.join(", ")}] with cardinalities [${card.join(", ")}] needs ${size} entries; got ${table.length}.`);
  }
  const t = Float64Array.from(table);
  t.forEach((v, i) => {
    if (!(v >= 0) || !Number.isFinite(v)) throw new RangeError(`${where}: entry ${i} is ${v}; potentials must be finite and ≥ 0.`);
  });
  return { vars: [...vars], card: [...card], table: t };
}

function strides(card: readonly number[]): number[] {
  const s = new Array(card.length).fill(1);
  for (let i = card.length - 2; i >= 0; i--) s[i] = s[i + 1] * card[i + 1];
  return s;
}

/** Index of an assignment (values in scope order) in a factor's table. */
export function factorIndex(f: Factor, values: readonly number[]): number {
  let idx = 0;
  for (let i = 0; i < f.vars.length; i++) idx = idx * f.card[i] + values[i];
  return idx;
}

/** ψ = φ₁ · φ₂ over the union of the scopes. */
export function factorProduct(a: Factor, b: Factor): Factor {
  const vars = [...a.vars];
  const card = [...a.card];
  b.vars.forEach((v, i) => {
    const j = vars.indexOf(v);
    if (j < 0) {
      vars.push(v);
      card.push(b.card[i]);
    } else if (card[j] !== b.card[i]) {
      throw new RangeError(`factorProduct: variable ${v} has cardinality ${card[j]} in one factor and ${b.card[i]} in the other.`);
    }
  });
  const size = card.reduce((x, c) => x * c, 1);
  const out = new Float64Array(size);
  const sa = strides(a.card);
  const sb = strides(b.card);
  const mapA = vars.map((v) => a.vars.indexOf(v));
  const mapB = vars.map((v) => b.vars.indexOf(v));
  const x = new Array(vars.length).fill(0);
  for (let idx = 0; idx < size; idx++) {
    let ia = 0;
    let ib = 0;
    for (let k = 0; k < vars.length; k++) {
      if (mapA[k] >= 0) ia += x[k] * sa[mapA[k]];
      if (mapB[k] >= 0) ib += x[k] * sb[mapB[k]];
    }
    out[idx] = a.table[ia] * b.table[ib];
    for (let k = vars.length - 1; k >= 0; k--) {
      if (++x[k] < card[k]) break;
      x[k] = 0;
    }
  }
  return { vars, card, table: out };
}

/** Σ_{x_v} φ: sum variable v out of the factor. */
export function factorSumOut(f: Factor, v: string): Factor {
  const k = f.vars.indexOf(v);
  if (k < 0) return f;
  const vars = f.vars.filter((_, i) => i !== k);
  const card = f.card.filter((_, i) => i !== k);
  const out = new Float64Array(card.reduce((a, c) => a * c, 1));
  const s = strides(f.card);
  const outer = f.table.length / (f.card[k] * s[k]);
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < f.card[k]; j++) {
      for (let inner = 0; inner < s[k]; inner++) {
        out[o * s[k] + inner] += f.table[o * f.card[k] * s[k] + j * s[k] + inner];
      }
    }
  }
  return { vars, card, table: out };
}

/** φ(x_S) restricted to x_v = value (v leaves the scope). */
export function factorReduce(f: Factor, v: string, value: number): Factor {
  const k = f.vars.indexOf(v);
  if (k < 0) return f;
  if (!Number.isInteger(value) || value < 0 || value >= f.card[k]) {
    throw new RangeError(`factorReduce: value ${value} of ${v} is outside 0..${f.card[k] - 1}.`);
  }
  const vars = f.vars.filter((_, i) => i !== k);
  const card = f.card.filter((_, i) => i !== k);
  const out = new Float64Array(card.reduce((a, c) => a * c, 1));
  const s = strides(f.card);
  const outer = f.table.length / (f.card[k] * s[k]);
  for (let o = 0; o < outer; o++) {
    for (let inner = 0; inner < s[k]; inner++) out[o * s[k] + inner] = f.table[o * f.card[k] * s[k] + value * s[k] + inner];
  }
  return { vars, card, table: out };
}

/** Sum of all entries. */
export function factorTotal(f: Factor): number {
  let s = 0;
  for (const v of f.table) s += v;
  return s;
}
