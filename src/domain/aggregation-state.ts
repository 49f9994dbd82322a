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

/** Folds one event's value into `state` in place. `value` is ignored for count. */
export function addValue(kind: AggregationKind, state: AggregationState, value: Scalar | undefined, eventTimeMs: number): void {
  switch (kind) {
    case 'count':
      break;
    case 'sum':
    case 'avg':
      state.s = (state.s ?? 0) + (value as number);
      break;
    case 'min':
      if (state.v === undefined || (value as number) < (state.v as number)) state.v = value;
      break;
    case 'max':
      if (state.v === undefined || (value as number) > (state.v as number)) state.v = value;
      break;
    case 'last':
      if (state.v === undefined || eventTimeMs >= state.t) state.v = value;
      break;
  }
  state.n += 1;
  if (eventTimeMs > state.t) state.t = eventTimeMs;
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
      merged.v = (later.v as number) < (earlier.v as number) ? later.v : earlier.v;
      break;
    case 'max':
      merged.v = (later.v as number) > (earlier.v as number) ? later.v : earlier.v;
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
