import { extremeOps, type ValueState } from './extreme.js';
import type { AggregationKindDef } from './kind.js';

const ops = extremeOps((candidate, kept) => candidate > kept, 'max');

export const max: AggregationKindDef<ValueState> = {
  name: 'max',
  description: 'largest value of a numeric field (null when empty)',
  field: 'number',
  bind: () => ops,
};
