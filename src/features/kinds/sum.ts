import { type AggregationKindDef, type AggregationOps, type AggregationState, newer, storedBase } from './kind.js';

/** The running sum of a numeric field: shared by sum and avg, which differ only in what they serve. */
export interface SumState extends AggregationState {
  s: number;
}

export const sumOps = (
  value: (state: SumState) => number | null,
  defaultValue: number | null,
  sqlFunction: 'sum' | 'avg',
): AggregationOps<SumState> => ({
  empty: () => ({ n: 0, t: 0, s: 0 }),
  add(state, value, t) {
    state.s += value as number;
    state.n += 1;
    if (t > state.t) state.t = t;
  },
  merge: (earlier, later) => ({ n: earlier.n + later.n, t: newer(earlier.t, later.t), s: earlier.s + later.s }),
  value,
  defaultValue,
  encode: (state) => ({ n: state.n, t: state.t, s: state.s }),
  decode: (stored) => ({ ...storedBase(stored), s: Number(stored.s ?? 0) }),
  sql: (rows) => `${sqlFunction}(${rows.value})`,
});

const ops = sumOps((state) => state.s, 0, 'sum');

/** Sum of a numeric field; 0 for an empty window. */
export const sum: AggregationKindDef<SumState> = {
  name: 'sum',
  description: 'sum of a numeric field (0 when empty)',
  field: 'number',
  bind: () => ops,
};
