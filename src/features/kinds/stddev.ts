import type { AggregationKindDef } from './kind.js';
import { type MomentsState, momentsOps, sampleVariance } from './variance.js';

const ops = momentsOps((state) => {
  const v = sampleVariance(state);
  return v === null ? null : Math.sqrt(v);
}, 'stddev_samp');

export const stddev: AggregationKindDef<MomentsState> = {
  name: 'stddev',
  description: 'sample standard deviation of a numeric field (null below two values)',
  field: 'number',
  bind: () => ops,
};
