import { type AggregationKindDef, type AggregationOps, type AggregationState, newer, storedBase } from './kind.js';

/**
 * Count, mean and sum of squared deviations (`q`, Welford's M2): stable where
 * a sum of squares would cancel, and mergeable by Chan et al.'s formula.
 */
export interface MomentsState extends AggregationState {
  m: number;
  q: number;
}

/** The sample variance (n − 1), as Athena's and DuckDB's `variance`/`var_samp`; null below two values. */
export const sampleVariance = (state: MomentsState): number | null => (state.n < 2 ? null : state.q / (state.n - 1));

export const momentsOps = (
  value: (state: MomentsState) => number | null,
  sqlFunction: 'var_samp' | 'stddev_samp',
): AggregationOps<MomentsState> => ({
  empty: () => ({ n: 0, t: 0, m: 0, q: 0 }),
  add(state, value, t) {
    const x = value as number;
    state.n += 1;
    const delta = x - state.m;
    state.m += delta / state.n;
    state.q += delta * (x - state.m);
    if (t > state.t) state.t = t;
  },
  merge(earlier, later) {
    if (later.n === 0) return { ...earlier };
    if (earlier.n === 0) return { ...later };
    const n = earlier.n + later.n;
    const delta = later.m - earlier.m;
    return {
      n,
      t: newer(earlier.t, later.t),
      m: earlier.m + (delta * later.n) / n,
      q: earlier.q + later.q + (delta * delta * earlier.n * later.n) / n,
    };
  },
  value,
  defaultValue: null,
  encode: (state) => ({ n: state.n, t: state.t, m: state.m, q: state.q }),
  decode: (stored) => ({ ...storedBase(stored), m: Number(stored.m ?? 0), q: Number(stored.q ?? 0) }),
  sql: (rows) => `${sqlFunction}(${rows.value})`,
});

const ops = momentsOps(sampleVariance, 'var_samp');

export const variance: AggregationKindDef<MomentsState> = {
  name: 'variance',
  description: 'sample variance of a numeric field (null below two values)',
  field: 'number',
  bind: () => ops,
};
