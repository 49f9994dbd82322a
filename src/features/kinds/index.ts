/**
 * The aggregation registry: every kind a feature view can use, by the name
 * a catalog writes in `kind:`. One file per kind, beside this one.
 */
import type { Aggregation } from '../define.js';
import { avg } from './avg.js';
import { count } from './count.js';
import { distinctCount } from './distinct-count.js';
import { first } from './first.js';
import type { AggregationKindDef, AggregationOps } from './kind.js';
import { last } from './last.js';
import { lastKDistinct } from './last-k-distinct.js';
import { max } from './max.js';
import { min } from './min.js';
import { percentile } from './percentile.js';
import { stddev } from './stddev.js';
import { sum } from './sum.js';
import { timeSinceLast } from './time-since-last.js';
import { variance } from './variance.js';

export const AGGREGATION_KINDS = {
  count,
  sum,
  avg,
  min,
  max,
  last,
  first,
  variance,
  stddev,
  time_since_last: timeSinceLast,
  last_k_distinct: lastKDistinct,
  distinct_count: distinctCount,
  percentile,
} as const;

export type AggregationKind = keyof typeof AGGREGATION_KINDS;

export function isAggregationKind(name: string): name is AggregationKind {
  return Object.hasOwn(AGGREGATION_KINDS, name);
}

/** The kind of an aggregation (its spec was validated by defineFeatureView). */
export function kindOf(kind: AggregationKind): AggregationKindDef {
  return AGGREGATION_KINDS[kind] as unknown as AggregationKindDef;
}

const bound = new WeakMap<Aggregation, AggregationOps>();

/** The operations of one aggregation of a view: its kind with its options bound, made once per aggregation. */
export function opsOf(aggregation: Aggregation): AggregationOps {
  let ops = bound.get(aggregation);
  if (!ops) {
    ops = kindOf(aggregation.kind).bind(aggregation);
    bound.set(aggregation, ops);
  }
  return ops;
}

export type {
  AggregationKindDef,
  AggregationOps,
  AggregationState,
  FeatureValue,
  Scalar,
  ServeContext,
  SqlRows,
} from './kind.js';
