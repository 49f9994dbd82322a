/**
 * Recent input values against a model's training distribution: the recent
 * values cut into the artifact's reference bins (decile edges of a numeric
 * input, the categories of a categorical one) and the population stability
 * index between the two. The report's own small implementation, until the
 * drift monitor's (src/drift/) exists to be shared.
 *
 *   PSI = Σ (recent − training) · ln(recent / training), shares floored at 1e-4
 *
 * Convention (credit scoring, where PSI comes from): < 0.1 stable, 0.1–0.2 a
 * moderate shift, above 0.2 a significant one (the threshold drawn).
 */
import type { Distribution } from '../models/artifact.js';
import { categoryOf, numericValue } from '../models/encode.js';
import { OTHER } from '../models/train/distribution.js';

export const PSI_THRESHOLD = 0.2;
/** A share of zero would make the logarithm infinite: an empty bin counts as this share. */
const FLOOR = 1e-4;

export interface BinnedValues {
  readonly labels: string[];
  readonly training: number[];
  readonly recent: number[];
  /** Values binned (missing and unusable values are left out). */
  readonly count: number;
}

const short = (x: number) => (Number.isInteger(x) ? String(x) : Number(x.toPrecision(3)).toString());

/** Labels of numeric bins: x falls in bin i when edges[i] < x ≤ edges[i+1], null meaning ∓∞. */
function numericLabels(edges: readonly (number | null)[]): string[] {
  return edges.slice(0, -1).map((lo, i) => {
    const hi = edges[i + 1] ?? null;
    if (lo === null && hi === null) return 'all';
    if (lo === null) return `≤ ${short(hi as number)}`;
    if (hi === null) return `> ${short(lo)}`;
    return `(${short(lo)}, ${short(hi)}]`;
  });
}

/** The bin of a numeric value: the first i with x ≤ edges[i+1] (the last bin takes the rest). */
export function numericBin(edges: readonly (number | null)[], x: number): number {
  const last = edges.length - 2;
  for (let i = 0; i < last; i++) {
    const hi = edges[i + 1];
    if (hi === null || hi === undefined || x <= hi) return i;
  }
  return last;
}

/** Recent values in the reference's bins, as shares beside the reference's. */
export function binAgainst(reference: Distribution, values: Iterable<unknown>): BinnedValues {
  if (reference.type === 'numeric') {
    const { edges, shares } = reference.bins;
    const counts = new Array<number>(shares.length).fill(0);
    let count = 0;
    for (const value of values) {
      const x = numericValue(value);
      if (!Number.isFinite(x)) continue;
      const bin = numericBin(edges, x);
      counts[bin] = (counts[bin] ?? 0) + 1;
      count++;
    }
    return {
      labels: numericLabels(edges),
      training: [...shares],
      recent: counts.map((c) => (count > 0 ? c / count : 0)),
      count,
    };
  }
  const labels = Object.keys(reference.shares).filter((k) => k !== OTHER);
  // Categories the reference lumped together, and categories it never saw, are "__other__" to it.
  labels.push(OTHER);
  const index = new Map(labels.map((label, i) => [label, i]));
  const counts = new Array<number>(labels.length).fill(0);
  let count = 0;
  for (const value of values) {
    const category = categoryOf(value);
    if (category === undefined) continue;
    const i = index.get(category) ?? labels.length - 1;
    counts[i] = (counts[i] ?? 0) + 1;
    count++;
  }
  return {
    labels,
    training: labels.map((label) => reference.shares[label] ?? 0),
    recent: counts.map((c) => (count > 0 ? c / count : 0)),
    count,
  };
}

/** Population stability index of recent shares against training shares (same bins). 0 when there is nothing recent. */
export function psi(training: readonly number[], recent: readonly number[]): number {
  if (!recent.some((r) => r > 0)) return 0;
  let sum = 0;
  training.forEach((t, i) => {
    const e = Math.max(t, FLOOR);
    const a = Math.max(recent[i] ?? 0, FLOOR);
    sum += (a - e) * Math.log(a / e);
  });
  return sum;
}
