/**
 * Numerical integration for checking closed forms: composite Gauss–Legendre (10 points
 * per panel) on [a, b]. With smooth integrands and a few hundred panels the error is at
 * the level of rounding.
 */

const GL_X = [
  0.1488743389816312, 0.4333953941292472, 0.6794095682990244, 0.8650633666889845, 0.9739065285171717,
];
const GL_W = [
  0.2955242247147529, 0.2692667193099963, 0.219086362515982, 0.1494513491505806, 0.0666713443086881,
];

/** ∫_a^b f(x) dx by composite 10-point Gauss–Legendre over `panels` equal panels. */
export function gaussLegendre(f: (x: number) => number, a: number, b: number, panels = 200): number {
  if (!(b > a)) throw new RangeError(`gaussLegendre: need a < b; got [${a}, ${b}].`);
  if (!Number.isInteger(panels) || panels < 1) throw new RangeError(`gaussLegendre: panels must be a positive integer; got ${panels}.`);
  const h = (b - a) / panels;
  let s = 0;
  for (let k = 0; k < panels; k++) {
    const c = a + (k + 0.5) * h;
    const r = h / 2;
    for (let i = 0; i < 5; i++) {
      s += GL_W[i] * (f(c - r * GL_X[i]) + f(c + r * GL_X[i]));
    }
  }
  return (s * h) / 2;
}
