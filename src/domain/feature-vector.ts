/**
 * Evaluates a feature view's windows at time T from its tiles: the online
 * read path, and the reference the offline SQL must agree with.
 */
import type { FeatureView, TrendFeature, Window } from '../features/define.js';
import { featureName } from '../features/define.js';
import { type AggregationState, type FeatureValue, opsOf } from '../features/kinds/index.js';
import { type TileRef, windowTiles } from './windows.js';

export interface FeatureValues {
  /** Feature name → value (each kind in src/features/kinds/ says its default for an empty window). */
  readonly features: Record<string, FeatureValue>;
  /** Feature name → event time (ISO-8601) of the newest event included, or null when none is. */
  readonly freshness: Record<string, string | null>;
}

export type { TileRef } from './windows.js';

/** Every tile a view's windows read at `nowMs`, each once. */
export function tilesToRead(view: FeatureView, nowMs: number): TileRef[] {
  const seen = new Set<string>();
  const refs: TileRef[] = [];
  for (const window of view.windows) {
    for (const ref of windowTiles(nowMs, window)) {
      const id = `${ref.hopSeconds}:${ref.startMs}`;
      if (seen.has(id)) continue;
      seen.add(id);
      refs.push(ref);
    }
  }
  return refs;
}

/** Looks up the stored states of one tile, aligned with the view's aggregations. */
export type TileLookup = (hopSeconds: number, startMs: number) => readonly (AggregationState | undefined)[] | undefined;

function windowStates(view: FeatureView, window: Window, nowMs: number, lookup: TileLookup): AggregationState[] {
  const ops = view.aggregations.map(opsOf);
  const totals = ops.map((o) => o.empty());
  for (const { hopSeconds, startMs } of windowTiles(nowMs, window)) {
    const states = lookup(hopSeconds, startMs);
    if (!states) continue;
    ops.forEach((o, i) => {
      const state = states[i];
      if (state) totals[i] = o.merge(totals[i] as AggregationState, state);
    });
  }
  return totals;
}

const iso = (ms: number): string | null => (ms > 0 ? new Date(ms).toISOString() : null);

/** The feature values of `view` at `nowMs`. */
export function evaluateView(view: FeatureView, nowMs: number, lookup: TileLookup): FeatureValues {
  const features: Record<string, FeatureValue> = {};
  const context = { nowMs };
  const freshness: Record<string, string | null> = {};
  for (const window of view.windows) {
    const totals = windowStates(view, window, nowMs, lookup);
    const byName = new Map<string, { state: AggregationState; value: FeatureValue }>();
    view.aggregations.forEach((agg, i) => {
      const state = totals[i] as AggregationState;
      const ops = opsOf(agg);
      const value = state.n === 0 ? ops.defaultValue : ops.value(state, context);
      byName.set(agg.name, { state, value });
      const name = featureName(agg.name, window);
      features[name] = value;
      freshness[name] = iso(state.t);
    });
    for (const ratio of view.ratios) {
      const { state: numerator, value: top } = byName.get(ratio.numerator) as { state: AggregationState; value: FeatureValue };
      const { state: denominator, value: bottom } = byName.get(ratio.denominator) as {
        state: AggregationState;
        value: FeatureValue;
      };
      const name = featureName(ratio.name, window);
      features[name] = typeof top === 'number' && typeof bottom === 'number' && bottom !== 0 ? top / bottom : ratio.whenUndefined;
      freshness[name] = iso(Math.max(numerator.t, denominator.t));
    }
  }
  for (const trend of view.trends) {
    const recent = view.windows.find((w) => w.name === trend.recent) as Window;
    const baseline = view.windows.find((w) => w.name === trend.baseline) as Window;
    const top = features[featureName(trend.aggregation, recent)] as number;
    const bottom = trendBaseline(trend, features[featureName(trend.aggregation, baseline)] as number, recent, baseline);
    features[trend.name] = bottom === 0 ? trend.whenUndefined : top / bottom;
    freshness[trend.name] = freshness[featureName(trend.aggregation, baseline)] ?? null;
  }
  return { features, freshness };
}

/** A trend's denominator: the baseline scaled to the recent window's length, at least `minBaseline`. */
export function trendBaseline(trend: TrendFeature, baselineValue: number, recent: Window, baseline: Window): number {
  return Math.max(trend.minBaseline ?? 0, (baselineValue * recent.lengthSeconds) / baseline.lengthSeconds);
}

/** What an entity with no events at all serves: the documented defaults. */
export function defaultValues(view: FeatureView): FeatureValues {
  return evaluateView(view, 0, () => undefined);
}
