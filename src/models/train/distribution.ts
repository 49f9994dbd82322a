/**
 * Reference distributions (the artifact's `Distribution`): what each input
 * and the score looked like in training, for drift monitoring to compare
 * recent values against — 101 quantiles for a KS test and decile bins for
 * PSI of a numeric value, shares of the 50 most frequent values of a
 * categorical one.
 */
import type { Distribution } from '../artifact.js';
import { categoryOf, numericValue } from '../encode.js';

export type NumericDistribution = Extract<Distribution, { type: 'numeric' }>;
export type CategoricalDistribution = Extract<Distribution, { type: 'categorical' }>;

export const OTHER = '__other__';
const TOP = 50;

/** The p-quantile of ascending values by the inverted CDF: the smallest x with F(x) ≥ p. */
export function quantile(sorted: ArrayLike<number>, p: number): number {
  const n = sorted.length;
  if (n === 0) return 0;
  return sorted[Math.min(n - 1, Math.max(0, Math.ceil(p * n) - 1))] as number;
}

/** Of numbers (nulls and non-finite values counted as nulls). */
export function numericDistribution(values: Iterable<unknown>): NumericDistribution {
  const finite: number[] = [];
  let nulls = 0;
  for (const value of values) {
    const x = numericValue(value);
    if (Number.isFinite(x)) finite.push(x);
    else nulls++;
  }
  const sorted = Float64Array.from(finite).sort();
  const n = sorted.length;
  let mean = 0;
  for (const x of sorted) mean += x / (n || 1);
  let variance = 0;
  for (const x of sorted) variance += (x - mean) ** 2 / (n || 1);
  const quantiles = Array.from({ length: 101 }, (_, i) => quantile(sorted, i / 100));
  // Decile edges, deduplicated: a value x falls in bin i when edges[i] < x ≤ edges[i+1] (null = ∓∞).
  const inner = [...new Set(Array.from({ length: 9 }, (_, i) => quantile(sorted, (i + 1) / 10)))];
  const edges: (number | null)[] = [null, ...inner, null];
  const counts = new Array<number>(inner.length + 1).fill(0);
  for (const x of sorted) {
    let bin = 0;
    while (bin < inner.length && x > (inner[bin] as number)) bin++;
    counts[bin] = (counts[bin] as number) + 1;
  }
  return {
    type: 'numeric',
    count: n,
    nulls,
    mean,
    std: Math.sqrt(variance),
    min: n > 0 ? (sorted[0] as number) : 0,
    max: n > 0 ? (sorted[n - 1] as number) : 0,
    quantiles,
    bins: { edges, shares: counts.map((c) => (n > 0 ? c / n : 0)) },
  };
}

/** Of categories: the 50 most frequent (ties by name), the rest as "__other__". */
export function categoricalDistribution(values: Iterable<unknown>): CategoricalDistribution {
  const counts = new Map<string, number>();
  let nulls = 0;
  let count = 0;
  for (const value of values) {
    const category = categoryOf(value);
    if (category === undefined) {
      nulls++;
      continue;
    }
    count++;
    counts.set(category, (counts.get(category) ?? 0) + 1);
  }
  const ranked = [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const shares: Record<string, number> = {};
  let rest = 0;
  ranked.forEach(([name, c], i) => {
    if (i < TOP && name !== OTHER) shares[name] = c / count;
    else rest += c;
  });
  if (rest > 0) shares[OTHER] = rest / count;
  return { type: 'categorical', count, nulls, shares };
}
