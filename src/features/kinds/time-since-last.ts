import { count } from './count.js';
import type { AggregationKindDef, AggregationOps, AggregationState } from './kind.js';

const counted = count.bind({ name: '', kind: 'count', description: '' });

const ops: AggregationOps = {
  ...counted,
  // Computed when served: the age of the newest event included, never negative (a clock-skewed event is "now").
  value: (state, { nowMs }) => Math.max(0, nowMs - state.t) / 1000,
  defaultValue: null,
  decode: (stored): AggregationState => counted.decode(stored),
  sql: (rows) => `CAST(${rows.asOfMs} - max(CASE WHEN ${rows.hit} THEN ${rows.timeMs} END) AS DOUBLE) / 1000`,
};

/** Seconds from the newest event of the window to the time of the read; null when the window is empty. */
export const timeSinceLast: AggregationKindDef = {
  name: 'time_since_last',
  description: 'seconds since the newest event, at read time (null when empty)',
  field: 'none',
  bind: () => ops,
};
