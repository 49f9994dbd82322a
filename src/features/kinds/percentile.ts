import type { Aggregation } from '../define.js';
import { type AggregationKindDef, type AggregationOps, type AggregationState, newer, sqlDouble, storedBase } from './kind.js';

/**
 * A DDSketch (Masson, Rim, Lee: "DDSketch: a fast and fully-mergeable quantile
 * sketch with relative-error guarantees", VLDB 2019): values fall in
 * logarithmic buckets of ratio γ = (1 + α)/(1 − α), so any quantile comes
 * back within a relative error α of the exact one. α = 1 %. Buckets are kept
 * as index → count; past MAX_BUCKETS per sign the smallest magnitudes are
 * collapsed into one (DDSketch's own bound: only the quantiles of the values
 * nearest zero lose the guarantee — the lowest positive ones, or for negative
 * values the highest — and only for data spanning more than γ^2048 ≈ 10¹⁷).
 */
export const RELATIVE_ACCURACY = 0.01;
const GAMMA = (1 + RELATIVE_ACCURACY) / (1 - RELATIVE_ACCURACY);
const LOG_GAMMA = Math.log(GAMMA);
export const MAX_BUCKETS = 2048;
/** Magnitudes below this count as zero (DDSketch's minimum indexable value, here 1e-9). */
const MIN_MAGNITUDE = 1e-9;

export interface PercentileState extends AggregationState {
  /** Values within ±MIN_MAGNITUDE of 0. */
  z: number;
  /** Bucket index → count, for positive values and for negative values (by magnitude). */
  positive: Map<number, number>;
  negative: Map<number, number>;
}

const bucketOf = (magnitude: number) => Math.ceil(Math.log(magnitude) / LOG_GAMMA);
/** The value a bucket stands for: within α of every value it holds. */
const bucketValue = (index: number) => (2 * GAMMA ** index) / (GAMMA + 1);

function collapse(buckets: Map<number, number>): void {
  if (buckets.size <= MAX_BUCKETS) return;
  // Fold the smallest magnitudes into the lowest bucket kept, leaving exactly MAX_BUCKETS.
  const indices = [...buckets.keys()].sort((a, b) => a - b);
  const cut = indices.length - MAX_BUCKETS;
  const lowest = indices[cut] as number;
  let folded = 0;
  for (const index of indices.slice(0, cut)) {
    folded += buckets.get(index) as number;
    buckets.delete(index);
  }
  buckets.set(lowest, (buckets.get(lowest) ?? 0) + folded);
}

function addTo(buckets: Map<number, number>, index: number, count: number): void {
  buckets.set(index, (buckets.get(index) ?? 0) + count);
}

/**
 * The q-quantile by the inverted CDF (Hyndman and Fan's type 1, DuckDB's `quantile_disc`): the sorted
 * values' element ⌈q·n⌉ − 1 (0-based; the smallest value with at least q·n values at or below it), within α.
 */
export function quantile(state: PercentileState, q: number): number {
  const rank = Math.max(0, Math.ceil(q * state.n) - 1);
  let seen = 0;
  const negatives = [...state.negative.entries()].sort((a, b) => b[0] - a[0]);
  for (const [index, count] of negatives) {
    seen += count;
    if (seen > rank) return -bucketValue(index);
  }
  seen += state.z;
  if (seen > rank) return 0;
  const positives = [...state.positive.entries()].sort((a, b) => a[0] - b[0]);
  for (const [index, count] of positives) {
    seen += count;
    if (seen > rank) return bucketValue(index);
  }
  return bucketValue((positives.at(-1) as [number, number])[0]);
}

const pairs = (buckets: Map<number, number>) => [...buckets.entries()].sort((a, b) => a[0] - b[0]);
const fromPairs = (stored: unknown) => new Map(((stored ?? []) as [number, number][]).map(([i, c]) => [Number(i), Number(c)]));

function opsFor(q: number): AggregationOps<PercentileState> {
  return {
    empty: () => ({ n: 0, t: 0, z: 0, positive: new Map(), negative: new Map() }),
    add(state, value, t) {
      const x = value as number;
      if (x > MIN_MAGNITUDE) {
        addTo(state.positive, bucketOf(x), 1);
        collapse(state.positive);
      } else if (x < -MIN_MAGNITUDE) {
        addTo(state.negative, bucketOf(-x), 1);
        collapse(state.negative);
      } else state.z += 1;
      state.n += 1;
      if (t > state.t) state.t = t;
    },
    merge(earlier, later) {
      const positive = new Map(earlier.positive);
      const negative = new Map(earlier.negative);
      for (const [i, c] of later.positive) addTo(positive, i, c);
      for (const [i, c] of later.negative) addTo(negative, i, c);
      collapse(positive);
      collapse(negative);
      return { n: earlier.n + later.n, t: newer(earlier.t, later.t), z: earlier.z + later.z, positive, negative };
    },
    value: (state) => quantile(state, q),
    // Locally DuckDB's quantile_disc: exact, the same rank. Athena's approx_percentile is within about 1 % of rank.
    sql: (rows) => `approx_percentile(${rows.value}, ${sqlDouble(q)})`,
    defaultValue: null,
    encode: (state) => ({ n: state.n, t: state.t, z: state.z, p: pairs(state.positive), m: pairs(state.negative) }),
    decode: (stored) => ({
      ...storedBase(stored),
      z: Number(stored.z ?? 0),
      positive: fromPairs(stored.p),
      negative: fromPairs(stored.m),
    }),
  };
}

/** One quantile of a numeric field (e.g. quantile 0.9 for p90), within 1 % relative error; null when empty. */
export const percentile: AggregationKindDef<PercentileState> = {
  name: 'percentile',
  description: `a quantile of a numeric field (quantile 0–1), DDSketch within ${RELATIVE_ACCURACY * 100} % relative error (null when empty)`,
  field: 'number',
  validate: (aggregation: Aggregation) =>
    typeof aggregation.quantile === 'number' && aggregation.quantile >= 0 && aggregation.quantile <= 1
      ? undefined
      : 'needs quantile, a number from 0 to 1 (0.9 for p90)',
  bind: (aggregation) => opsFor(aggregation.quantile as number),
};
