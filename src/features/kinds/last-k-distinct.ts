import type { Aggregation } from '../define.js';
import { type AggregationKindDef, type AggregationOps, type AggregationState, newer, type Scalar, storedBase } from './kind.js';

/** Up to k distinct values, newest first, each with the time it was last seen. */
export interface LastKState extends AggregationState {
  /** Values and their newest event times, newest first. */
  items: [Scalar, number][];
}

/** The largest k: a tile item holds k values per tile of every window; 100 keeps a hot entity's item small. */
export const MAX_K = 100;

/** Inserts `value` seen at `t`, keeping one entry per value, newest first, at most `k`. Ties: the newcomer first. */
function insert(items: [Scalar, number][], value: Scalar, t: number, k: number): void {
  const at = items.findIndex(([v]) => v === value);
  if (at !== -1) {
    if ((items[at] as [Scalar, number])[1] > t) return;
    items.splice(at, 1);
  }
  let position = 0;
  while (position < items.length && (items[position] as [Scalar, number])[1] > t) position++;
  if (position >= k) return;
  items.splice(position, 0, [value, t]);
  if (items.length > k) items.length = k;
}

function opsFor(k: number): AggregationOps<LastKState> {
  return {
    empty: () => ({ n: 0, t: 0, items: [] }),
    add(state, value, t) {
      insert(state.items, value as Scalar, t, k);
      state.n += 1;
      if (t > state.t) state.t = t;
    },
    merge(earlier, later) {
      // The top k of a union is within the union of the top k's; inserting the later state last lets it win ties.
      const items: [Scalar, number][] = earlier.items.map(([v, t]) => [v, t]);
      for (let i = later.items.length - 1; i >= 0; i--) {
        const [v, t] = later.items[i] as [Scalar, number];
        insert(items, v, t, k);
      }
      return { n: earlier.n + later.n, t: newer(earlier.t, later.t), items };
    },
    value: (state) => state.items.map(([v]) => v),
    defaultValue: [],
    encode: (state) => ({ n: state.n, t: state.t, k: state.items }),
    decode: (stored) => ({
      ...storedBase(stored),
      items: ((stored.k ?? []) as [Scalar, number][]).map(([v, t]) => [v, Number(t)] as [Scalar, number]),
    }),
    // Each value's newest occurrence at the row's time, the k newest of them (window time, then stream order) first:
    // max_by with a count keeps k entries per row, where an ordered array_agg would hold every event.
    sql: (rows) => {
      const next = rows.nextOccurrenceMs();
      return `max_by(${rows.value}, ${rows.order}, ${k}) FILTER (WHERE ${rows.hit} AND (${next} IS NULL OR ${next} > ${rows.asOfMs}))`;
    },
  };
}

/** The last k distinct values of a field, newest first (e.g. the last 5 products viewed); [] when empty. */
export const lastKDistinct: AggregationKindDef<LastKState> = {
  name: 'last_k_distinct',
  description: `the last k distinct values, newest first (k ≤ ${MAX_K}; [] when empty)`,
  field: 'any',
  validate: (aggregation: Aggregation) =>
    Number.isInteger(aggregation.k) && (aggregation.k as number) >= 1 && (aggregation.k as number) <= MAX_K
      ? undefined
      : `needs k, an integer 1–${MAX_K}`,
  bind: (aggregation) => opsFor(aggregation.k as number),
};
