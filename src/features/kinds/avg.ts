import type { AggregationKindDef } from './kind.js';
import { type SumState, sumOps } from './sum.js';

const ops = sumOps((state) => state.s / state.n, null, 'avg');

/** Mean of a numeric field; null for an empty window. */
export const avg: AggregationKindDef<SumState> = {
  name: 'avg',
  description: 'mean of a numeric field (null when empty)',
  field: 'number',
  bind: () => ops,
};
