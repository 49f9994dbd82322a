import type { ValueState } from './extreme.js';
import type { AggregationKindDef, AggregationOps } from './kind.js';
import { newer, storedBase } from './kind.js';

const ops: AggregationOps<ValueState> = {
  empty: () => ({ n: 0, t: 0, v: undefined }),
  add(state, value, t) {
    // `>=`: of two events with the same time, the one later in the stream wins.
    if (state.v === undefined || t >= state.t) state.v = value;
    state.n += 1;
    if (t > state.t) state.t = t;
  },
  merge(earlier, later) {
    if (later.n === 0) return { ...earlier };
    if (earlier.n === 0) return { ...later };
    return { n: earlier.n + later.n, t: newer(earlier.t, later.t), v: later.t >= earlier.t ? later.v : earlier.v };
  },
  value: (state) => state.v ?? null,
  defaultValue: null,
  encode: (state) => ({ n: state.n, t: state.t, v: state.v }),
  decode: (stored) => ({ ...storedBase(stored), v: stored.v as ValueState['v'] }),
  // The newest by window time, then by stream order: what `add` and `merge` keep. FILTER, as Trino's
  // max_by does not skip rows on a NULL key.
  sql: (rows) => `max_by(${rows.value}, ${rows.order}) FILTER (WHERE ${rows.hit})`,
};

/** The field's value in the newest event (ties on event time: the later in the stream). */
export const last: AggregationKindDef<ValueState> = {
  name: 'last',
  description: 'value of the newest event (null when empty)',
  field: 'any',
  bind: () => ops,
};
