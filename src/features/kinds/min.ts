import { extremeOps, type ValueState } from './extreme.js';
import type { AggregationKindDef } from './kind.js';

const ops = extremeOps((candidate, kept) => candidate < kept, 'min');

export const min: AggregationKindDef<ValueState> = {
  name: 'min',
  description: 'smallest value of a numeric field (null when empty)',
  field: 'number',
  bind: () => ops,
};
