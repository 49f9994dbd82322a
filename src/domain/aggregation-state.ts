/**
 * The mergeable state of one aggregation over a set of events, as kept in a
 * tile, and how states combine. One shape serves every kind:
 *   n — events included;  t — newest event time included (ms, the freshness);
 *   s — running sum (sum, avg);  v — the value (min, max, last).
 * Merging is associative; for `last`, ties on event time go to the state
 * merged later, which is the one later in the stream.
 */
import type { AggregationKind } from '../features/define.js';

export type Scalar = string | number | boolean;

export interface AggregationState {
  n: number;
  t: number;
  s?: number;
  v?: Scalar;
}

export function emptyState(): AggregationState {
  return { n: 0, t: 0 };
}

export type Adder = (state: AggregationState, value: Scalar | undefined, eventTimeMs: number) => void;

/** One adder per kind, chosen once per aggregation so the hot path does not switch on the kind per event. */
export const ADDERS: Readonly<Record<AggregationKind, Adder>> = {
  count: (state, _value, t) => {
    state.n += 1;
    if (t > state.t) state.t = t;
  },
  sum: (state, value, t) => {
    state.s = (state.s ?? 0) + (value as number);
    state.n += 1;
    if (t > state.t) state.t = t;
  },
  avg: (state, value, t) => {
    state.s = (state.s ?? 0) + (value as number);
    state.n += 1;
    if (t > state.t) state.t = t;
  },
  min: (state, value, t) => {
    if (state.v === undefined || (value as number) < (state.v as number)) state.v = value;
    state.n += 1;
    if (t > state.t) state.t = t;
  },
  max: (state, value, t) => {
    if (state.v === undefined || (value as number) > (state.v as number)) state.v = value;
    state.n += 1;
    if (t > state.t) state.t = t;
  },
  last: (state, value, t) => {
    // `>=`: of two events with the same time, the one later in the stream wins.
    if (state.v === undefined || t >= state.t) state.v = value;
    state.n += 1;
    if (t > state.t) state.t = t;
  },
};

/** Folds one event's value into `state` in place. `value` is ignored for count. */
export function addValue(kind: AggregationKind, state: AggregationState, value: Scalar | undefined, eventTimeMs: number): void {
  ADDERS[kind](state, value, eventTimeMs);
}

/** Combines `earlier` and `later` (later in the stream) into a new state. */
export function mergeStates(kind: AggregationKind, earlier: AggregationState, later: AggregationState): AggregationState {
  if (later.n === 0) return { ...earlier };
  if (earlier.n === 0) return { ...later };
  const merged: AggregationState = { n: earlier.n + later.n, t: Math.max(earlier.t, later.t) };
  switch (kind) {
    case 'count':
      break;
    case 'sum':
    case 'avg':
      merged.s = (earlier.s ?? 0) + (later.s ?? 0);
      break;
    case 'min':
      merged.v = Math.min(later.v as number, earlier.v as number);
      break;
    case 'max':
      merged.v = Math.max(later.v as number, earlier.v as number);
      break;
    case 'last':
      merged.v = later.t >= earlier.t ? later.v : earlier.v;
      break;
  }
  return merged;
}

/** The served value of a state. Empty states serve the kind's default (see `defaultValue`). */
export function finalValue(kind: AggregationKind, state: AggregationState): Scalar | null {
  if (state.n === 0) return defaultValue(kind);
  switch (kind) {
    case 'count':
      return state.n;
    case 'sum':
      return state.s ?? 0;
    case 'avg':
      return (state.s ?? 0) / state.n;
    default:
      return state.v ?? null;
  }
}

/** What a window with no matching events serves: 0 for count and sum, null otherwise. */
export function defaultValue(kind: AggregationKind): Scalar | null {
  return kind === 'count' || kind === 'sum' ? 0 : null;
}
