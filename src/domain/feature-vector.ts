/**
 * Evaluates a feature view's windows at time T from its tiles: the online
 * read path, and the reference the offline SQL must agree with.
 */
import type { Aggregation, FeatureView, Window } from '../features/define.js';
import { featureName } from '../features/define.js';
import { type AggregationState, emptyState, finalValue, mergeStates, type Scalar } from './aggregation-state.js';
import { windowTileStarts } from './windows.js';

export interface FeatureValues {
  /** Feature name → value (see aggregation-state.ts for the defaults of empty windows). */
  readonly features: Record<string, Scalar | null>;
  /** Feature name → event time (ISO-8601) of the newest event included, or null when none is. */
  readonly freshness: Record<string, string | null>;
}

export interface TileRef {
  readonly hopSeconds: number;
  readonly startMs: number;
}

/** Every tile a view's windows read at `nowMs`, each once. */
export function tilesToRead(view: FeatureView, nowMs: number): TileRef[] {
  const seen = new Set<string>();
  const refs: TileRef[] = [];
  for (const window of view.windows) {
    for (const startMs of windowTileStarts(nowMs, window)) {
      const id = `${window.hopSeconds}:${startMs}`;
      if (seen.has(id)) continue;
      seen.add(id);
      refs.push({ hopSeconds: window.hopSeconds, startMs });
    }
  }
  return refs;
}

/** Looks up the stored states of one tile, aligned with the view's aggregations. */
export type TileLookup = (hopSeconds: number, startMs: number) => readonly (AggregationState | undefined)[] | undefined;

function windowStates(view: FeatureView, window: Window, nowMs: number, lookup: TileLookup): AggregationState[] {
  const totals = view.aggregations.map(emptyState);
  for (const startMs of windowTileStarts(nowMs, window)) {
    const states = lookup(window.hopSeconds, startMs);
    if (!states) continue;
    view.aggregations.forEach((agg: Aggregation, i) => {
      const state = states[i];
      if (state) totals[i] = mergeStates(agg.kind, totals[i] as AggregationState, state);
    });
  }
  return totals;
}

const iso = (ms: number): string | null => (ms > 0 ? new Date(ms).toISOString() : null);

/** The feature values of `view` at `nowMs`. */
export function evaluateView(view: FeatureView, nowMs: number, lookup: TileLookup): FeatureValues {
  const features: Record<string, Scalar | null> = {};
  const freshness: Record<string, string | null> = {};
  for (const window of view.windows) {
    const totals = windowStates(view, window, nowMs, lookup);
    const byName = new Map<string, AggregationState>();
    view.aggregations.forEach((agg, i) => {
      const state = totals[i] as AggregationState;
      byName.set(agg.name, state);
      const name = featureName(agg.name, window);
      features[name] = finalValue(agg.kind, state);
      freshness[name] = iso(state.t);
    });
    for (const ratio of view.ratios) {
      const numerator = byName.get(ratio.numerator) as AggregationState;
      const denominator = byName.get(ratio.denominator) as AggregationState;
      const top = finalValue(view.aggregations.find((a) => a.name === ratio.numerator)?.kind ?? 'count', numerator);
      const bottom = finalValue(view.aggregations.find((a) => a.name === ratio.denominator)?.kind ?? 'count', denominator);
      const name = featureName(ratio.name, window);
      features[name] = typeof top === 'number' && typeof bottom === 'number' && bottom !== 0 ? top / bottom : ratio.whenUndefined;
      freshness[name] = iso(Math.max(numerator.t, denominator.t));
    }
  }
  return { features, freshness };
}

/** What an entity with no events at all serves: the documented defaults. */
export function defaultValues(view: FeatureView): FeatureValues {
  return evaluateView(view, 0, () => undefined);
}
