import { type AggregationKindDef, type AggregationOps, type AggregationState, newer, storedBase } from './kind.js';

const ops: AggregationOps = {
  empty: () => ({ n: 0, t: 0 }),
  add(state, _value, t) {
    state.n += 1;
    if (t > state.t) state.t = t;
  },
  merge: (earlier, later) => ({ n: earlier.n + later.n, t: newer(earlier.t, later.t) }),
  value: (state) => state.n,
  defaultValue: 0,
  encode: (state) => ({ n: state.n, t: state.t }),
  decode: (stored): AggregationState => storedBase(stored),
  sql: (rows) => `count(CASE WHEN ${rows.hit} THEN 1 END)`,
};

/** Events (that pass the aggregation's filter). */
export const count: AggregationKindDef = {
  name: 'count',
  description: 'number of events',
  field: 'none',
  bind: () => ops,
};
