import { type AggregationOps, type AggregationState, newer, type Scalar, storedBase } from './kind.js';

/** A kept value: the smallest (min), largest (max), newest (last) or oldest (first) seen. */
export interface ValueState extends AggregationState {
  v: Scalar | undefined;
}

/** min and max: keep the value that `wins` over the other. */
export function extremeOps(
  wins: (candidate: number, kept: number) => boolean,
  sqlFunction: 'min' | 'max',
): AggregationOps<ValueState> {
  return {
    empty: () => ({ n: 0, t: 0, v: undefined }),
    add(state, value, t) {
      if (state.v === undefined || wins(value as number, state.v as number)) state.v = value;
      state.n += 1;
      if (t > state.t) state.t = t;
    },
    merge(earlier, later) {
      if (later.n === 0) return { ...earlier };
      if (earlier.n === 0) return { ...later };
      const v = wins(later.v as number, earlier.v as number) ? later.v : earlier.v;
      return { n: earlier.n + later.n, t: newer(earlier.t, later.t), v };
    },
    value: (state) => state.v ?? null,
    defaultValue: null,
    encode: (state) => ({ n: state.n, t: state.t, v: state.v }),
    decode: (stored) => ({ ...storedBase(stored), v: stored.v as Scalar | undefined }),
    sql: (rows) => `${sqlFunction}(${rows.value})`,
  };
}
