import { type AggregationKindDef, type AggregationOps, type AggregationState, newer, type Scalar, storedBase } from './kind.js';

/** The oldest event's value and its event time `f` (`t` stays the newest, for freshness). */
export interface FirstState extends AggregationState {
  v: Scalar | undefined;
  f: number;
}

const ops: AggregationOps<FirstState> = {
  empty: () => ({ n: 0, t: 0, v: undefined, f: 0 }),
  add(state, value, t) {
    // `<`: of two events with the same time, the one earlier in the stream stays first.
    if (state.n === 0 || t < state.f) {
      state.v = value;
      state.f = t;
    }
    state.n += 1;
    if (t > state.t) state.t = t;
  },
  merge(earlier, later) {
    if (later.n === 0) return { ...earlier };
    if (earlier.n === 0) return { ...later };
    const keepEarlier = earlier.f <= later.f;
    return {
      n: earlier.n + later.n,
      t: newer(earlier.t, later.t),
      v: keepEarlier ? earlier.v : later.v,
      f: keepEarlier ? earlier.f : later.f,
    };
  },
  value: (state) => state.v ?? null,
  defaultValue: null,
  encode: (state) => ({ n: state.n, t: state.t, v: state.v, f: state.f }),
  decode: (stored) => ({ ...storedBase(stored), v: stored.v as Scalar | undefined, f: Number(stored.f ?? 0) }),
  sql: (rows) => `min_by(${rows.value}, ${rows.order}) FILTER (WHERE ${rows.hit})`,
};

/** The field's value in the oldest event of the window (ties on event time: the earlier in the stream). */
export const first: AggregationKindDef<FirstState> = {
  name: 'first',
  description: 'value of the oldest event (null when empty)',
  field: 'any',
  bind: () => ops,
};
