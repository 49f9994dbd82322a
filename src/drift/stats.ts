/**
 * Drift statistics: how far recent values are from a model's reference
 * distribution (the artifact's `reference`, src/models/train/distribution.ts).
 *
 *  - KS: the Kolmogorov–Smirnov statistic sup |F_recent − F_ref|, the
 *    reference CDF being the piecewise-linear one through its 101 quantiles
 *    (a vertical step where quantiles repeat: an atom such as 30 % zeros);
 *    exactly from a sample, or at the knots from bucket counts (what the
 *    drift query returns: within 0.01, the reference's quantile step).
 *  - PSI: Σ (a − e) · ln(a / e) over the reference's bins or categories, an
 *    empty share counted as PSI_EPSILON (else one empty bin makes it ∞).
 *  - Chi-square goodness of fit of categorical counts, with its p-value from
 *    the regularized upper incomplete gamma function Q(df/2, χ²/2) (Numerical
 *    Recipes §6.2: series below a + 1, Lentz's continued fraction above).
 *    Written here, not taken from npm: forty lines against a dependency tree
 *    (jStat, @stdlib) for one function, checked against textbook tables.
 *
 * Plain numbers in, plain numbers out: no SQL, no AWS.
 */

/** The share an empty bin or unseen category counts as, in PSI and chi-square. */
export const PSI_EPSILON = 1e-4;

/** The reference CDF through quantiles q[0..m] at probabilities i/m: F(x) and its left limit F(x⁻). */
export interface ReferenceCdf {
  at(x: number): number;
  before(x: number): number;
}

/** The piecewise-linear CDF through ascending quantiles (the artifact's 101: 0th … 100th percentile). */
export function referenceCdf(quantiles: readonly number[]): ReferenceCdf {
  const q = quantiles;
  const m = q.length - 1;
  if (m < 1) throw new Error('a reference CDF needs at least two quantiles');
  /** Index of the last quantile ≤ x (strict: < x), or -1. */
  const lastAtOrBelow = (x: number, strict: boolean): number => {
    let lo = -1;
    let hi = m;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      const v = q[mid] as number;
      if (strict ? v < x : v <= x) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  };
  const value = (x: number, i: number): number => {
    if (i < 0) return 0;
    if (i >= m) return 1;
    const [a, b] = [q[i] as number, q[i + 1] as number];
    const within = b > a ? Math.min(1, Math.max(0, (x - a) / (b - a))) : 0;
    return (i + within) / m;
  };
  return {
    at: (x) => value(x, lastAtOrBelow(x, false)),
    before: (x) => value(x, lastAtOrBelow(x, true)),
  };
}

/** One-sample KS statistic of ascending values against a CDF: max over i of i/n − F(xᵢ) and F(xᵢ⁻) − (i−1)/n. */
export function ksStatistic(sorted: ArrayLike<number>, cdf: ReferenceCdf): number {
  const n = sorted.length;
  let d = 0;
  for (let i = 0; i < n; i++) {
    const x = sorted[i] as number;
    d = Math.max(d, (i + 1) / n - cdf.at(x), cdf.before(x) - i / n);
  }
  return d;
}

/**
 * Recent numeric values as counts around ascending knots k₀ < … < k_m: bucket 2j holds values in
 * (k_{j−1}, k_j) (k₋₁ = −∞), bucket 2j + 1 values equal to k_j, bucket 2m + 2 values above k_m.
 * A value's bucket is #(knots < x) + #(knots ≤ x).
 */
export interface KnotCounts {
  readonly knots: readonly number[];
  readonly counts: readonly number[];
}

/** The bucket of a value (KnotCounts): how the drift query files it, in JavaScript. */
export function knotBucket(knots: readonly number[], x: number): number {
  let below = 0;
  let atOrBelow = 0;
  for (const k of knots) {
    if (k < x) below++;
    if (k <= x) atOrBelow++;
  }
  return below + atOrBelow;
}

/** Counts of values by bucket (tests, and a sample read whole). */
export function knotCounts(knots: readonly number[], values: Iterable<number>): KnotCounts {
  const counts = new Array<number>(2 * knots.length + 1).fill(0);
  for (const x of values) {
    const b = knotBucket(knots, x);
    counts[b] = (counts[b] as number) + 1;
  }
  return { knots, counts };
}

/** How many values are ≤ (or < with `strict`) knot j, from the bucket counts. */
function cumulative(c: KnotCounts): { atOrBelow: number[]; below: number[]; n: number } {
  const atOrBelow: number[] = [];
  const below: number[] = [];
  let sum = 0;
  c.knots.forEach((_, j) => {
    sum += c.counts[2 * j] ?? 0;
    below.push(sum);
    sum += c.counts[2 * j + 1] ?? 0;
    atOrBelow.push(sum);
  });
  sum += c.counts[2 * c.knots.length] ?? 0;
  return { atOrBelow, below, n: sum };
}

/**
 * KS at the knots: max over knots of |F_n(k) − F(k)| and |F_n(k⁻) − F(k⁻)|. A lower bound of the
 * exact statistic, below it by at most the reference mass between two adjacent knots (0.01 when
 * the knots include the 101 quantiles). Undefined (NaN) without values.
 */
export function ksFromCounts(c: KnotCounts, cdf: ReferenceCdf): number {
  const { atOrBelow, below, n } = cumulative(c);
  if (n === 0) return Number.NaN;
  let d = 0;
  c.knots.forEach((k, j) => {
    d = Math.max(d, Math.abs((atOrBelow[j] as number) / n - cdf.at(k)), Math.abs((below[j] as number) / n - cdf.before(k)));
  });
  return d;
}

/**
 * Counts in the reference's PSI bins (edges ascending, null = ∓∞; bin i is (eᵢ, eᵢ₊₁]) from knot
 * counts whose knots include every finite edge.
 */
export function binCounts(c: KnotCounts, edges: readonly (number | null)[]): number[] {
  const { atOrBelow, n } = cumulative(c);
  const upTo = (edge: number | null, last: boolean): number => {
    if (edge === null) return last ? n : 0;
    const j = c.knots.indexOf(edge);
    if (j < 0) throw new Error(`bin edge ${edge} is not a knot`);
    return atOrBelow[j] as number;
  };
  return edges.slice(1).map((edge, i) => upTo(edge, true) - upTo(edges[i] as number | null, false));
}

/**
 * Population stability index of actual counts against expected shares, bin by bin:
 * Σ (aᵢ − eᵢ) · ln(aᵢ / eᵢ), each share at least `epsilon`. NaN without counts.
 */
export function psi(expected: readonly number[], actual: readonly number[], epsilon = PSI_EPSILON): number {
  if (expected.length !== actual.length) throw new Error(`psi: ${expected.length} expected shares, ${actual.length} counts`);
  const n = actual.reduce((s, x) => s + x, 0);
  if (n === 0) return Number.NaN;
  let total = 0;
  expected.forEach((e, i) => {
    const a = Math.max((actual[i] as number) / n, epsilon);
    const r = Math.max(e, epsilon);
    total += (a - r) * Math.log(a / r);
  });
  return total;
}

export interface ChiSquare {
  readonly statistic: number;
  readonly df: number;
  readonly pValue: number;
}

/**
 * Chi-square goodness of fit of observed counts to expected shares. A category neither expected
 * nor seen is left out; one seen but never expected is expected at `epsilon` (shares renormalised
 * to sum to 1). df = categories − 1. Undefined (NaN) with fewer than two categories or no counts.
 */
export function chiSquare(expected: readonly number[], observed: readonly number[], epsilon = PSI_EPSILON): ChiSquare {
  const n = observed.reduce((s, x) => s + x, 0);
  const used = expected
    .map((e, i) => ({ e: e > 0 ? e : (observed[i] as number) > 0 ? epsilon : 0, o: observed[i] as number }))
    .filter((c) => c.e > 0);
  const df = used.length - 1;
  if (n === 0 || df < 1) return { statistic: Number.NaN, df: Math.max(df, 0), pValue: Number.NaN };
  const total = used.reduce((s, c) => s + c.e, 0);
  let statistic = 0;
  for (const c of used) {
    const expectedCount = (n * c.e) / total;
    statistic += (c.o - expectedCount) ** 2 / expectedCount;
  }
  return { statistic, df, pValue: chiSquareSurvival(statistic, df) };
}

/** P(X ≥ x) for X ~ χ²(df): the regularized upper incomplete gamma Q(df/2, x/2). */
export function chiSquareSurvival(x: number, df: number): number {
  if (!(df > 0)) throw new Error('chi-square needs df > 0');
  if (x <= 0) return 1;
  return gammaQ(df / 2, x / 2);
}

/** ln Γ(a), a > 0 (Lanczos, g = 7, 9 terms: ~15 significant digits). */
export function logGamma(a: number): number {
  if (a < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * a)) - logGamma(1 - a);
  const g = 7;
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905,
    -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  const z = a - 1;
  let sum = c[0] as number;
  for (let i = 1; i < g + 2; i++) sum += (c[i] as number) / (z + i);
  const t = z + g + 0.5;
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(sum);
}

const EPS = 1e-15;
const TINY = 1e-300;

/** Regularized upper incomplete gamma Q(a, x) = Γ(a, x) / Γ(a). */
export function gammaQ(a: number, x: number): number {
  if (x <= 0) return 1;
  const front = Math.exp(-x + a * Math.log(x) - logGamma(a));
  if (x < a + 1) {
    // P(a, x) by its series; Q = 1 − P.
    let term = 1 / a;
    let sum = term;
    for (let k = 1; k < 10_000 && Math.abs(term) > Math.abs(sum) * EPS; k++) {
      term *= x / (a + k);
      sum += term;
    }
    return Math.max(0, 1 - sum * front);
  }
  // Q(a, x) by its continued fraction (modified Lentz).
  let b = x + 1 - a;
  let c = 1 / TINY;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < 10_000; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < TINY) d = TINY;
    c = b + an / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < EPS) break;
  }
  return Math.min(1, front * h);
}
