/**
 * An independent, deliberately naive implementation of the documented window
 * semantics, used as the expected value in tests: for each feature, scan every
 * event and keep those with event time in [floor((T − L)/H)·H, T].
 * It shares no code with src/ beyond the feature definitions themselves.
 */
import { expect } from 'vitest';
import type { FeatureView } from '../../src/features/define.js';

export interface ReferenceEvent {
  readonly data: Record<string, unknown>;
  readonly eventTimeMs: number;
  /** Arrival on the stream: an event counts at its event time capped at its arrival. @default never caps */
  readonly arrivalMs?: number;
  /** Stream order: later events win ties for `last`. */
  readonly order: number;
}

export function referenceFeatures(view: FeatureView, given: readonly ReferenceEvent[], nowMs: number) {
  // docs/window-semantics.md: the time an event counts at is the earlier of its event time and its arrival.
  const events = given.map((e) => ({ ...e, eventTimeMs: Math.min(e.eventTimeMs, e.arrivalMs ?? Number.POSITIVE_INFINITY) }));
  const features: Record<string, unknown> = {};
  const freshness: Record<string, string | null> = {};
  for (const window of view.windows) {
    // The old edge steps by the edge width (the hop, unless the window has finer edge tiles).
    const hopMs = window.edgeSeconds * 1000;
    // A lifetime window (hop 0) holds every event up to now.
    const startMs = hopMs === 0 ? Number.NEGATIVE_INFINITY : Math.floor((nowMs - window.lengthSeconds * 1000) / hopMs) * hopMs;
    const inWindow = events.filter((e) => e.eventTimeMs >= startMs && e.eventTimeMs <= nowMs);
    const values: Record<string, unknown> = {};
    for (const agg of view.aggregations) {
      const matching = inWindow.filter((e) => {
        if (!agg.where) return true;
        const v = e.data[agg.where.field];
        return 'equals' in agg.where ? v === agg.where.equals : agg.where.in.includes(v as string);
      });
      const withValue = agg.field ? matching.filter((e) => e.data[agg.field as string] !== undefined) : matching;
      const nums = withValue.map((e) => e.data[agg.field as string] as number);
      let value: unknown;
      const byTime = [...withValue].sort((a, b) => a.eventTimeMs - b.eventTimeMs || a.order - b.order);
      const mean = nums.length ? nums.reduce((a, b) => a + b, 0) / nums.length : 0;
      const sampleVariance = nums.length > 1 ? nums.reduce((a, x) => a + (x - mean) ** 2, 0) / (nums.length - 1) : null;
      switch (agg.kind) {
        case 'count':
          value = withValue.length;
          break;
        case 'sum':
          value = nums.reduce((a, b) => a + b, 0);
          break;
        case 'avg':
          value = nums.length ? nums.reduce((a, b) => a + b, 0) / nums.length : null;
          break;
        case 'min':
          value = nums.length ? Math.min(...nums) : null;
          break;
        case 'max':
          value = nums.length ? Math.max(...nums) : null;
          break;
        case 'last': {
          const newest = byTime.at(-1);
          value = newest ? (newest.data[agg.field as string] as string) : null;
          break;
        }
        case 'first': {
          const oldest = byTime[0];
          value = oldest ? (oldest.data[agg.field as string] as string) : null;
          break;
        }
        case 'variance':
          value = sampleVariance;
          break;
        case 'stddev':
          value = sampleVariance === null ? null : Math.sqrt(sampleVariance);
          break;
        case 'time_since_last': {
          const newest = byTime.at(-1);
          value = newest ? Math.max(0, nowMs - newest.eventTimeMs) / 1000 : null;
          break;
        }
        case 'distinct_count':
          // Exact: the online sketch is exact up to 100 values, then within its documented error.
          value = new Set(withValue.map((e) => e.data[agg.field as string])).size;
          break;
        case 'percentile': {
          // The inverted CDF: the sorted values' element ⌈q·n⌉ − 1 (the online sketch is within 1 % of it).
          const sorted = [...nums].sort((a, b) => a - b);
          value = sorted.length ? sorted[Math.max(0, Math.ceil((agg.quantile as number) * sorted.length) - 1)] : null;
          break;
        }
        case 'last_k_distinct': {
          const distinct: unknown[] = [];
          for (const e of [...byTime].reverse()) {
            const v = e.data[agg.field as string];
            if (!distinct.includes(v)) distinct.push(v);
          }
          value = distinct.slice(0, agg.k);
          break;
        }
      }
      const name = `${agg.name}_${window.name}`;
      values[agg.name] = value;
      features[name] = value;
      const newestTime = Math.max(0, ...withValue.map((e) => e.eventTimeMs));
      freshness[name] = newestTime > 0 ? new Date(newestTime).toISOString() : null;
    }
    for (const ratio of view.ratios) {
      const top = values[ratio.numerator] as number;
      const bottom = values[ratio.denominator] as number;
      features[`${ratio.name}_${window.name}`] = bottom ? top / bottom : ratio.whenUndefined;
      const times = [ratio.numerator, ratio.denominator].map((n) => freshness[`${n}_${window.name}`]).filter(Boolean);
      freshness[`${ratio.name}_${window.name}`] = times.length ? (times.sort().at(-1) as string) : null;
    }
  }
  // Trends (seed 000's recent_access_trend): recent / max(floor, baseline × recent length / baseline length).
  for (const trend of view.trends) {
    const recent = view.windows.find((w) => w.name === trend.recent);
    const baseline = view.windows.find((w) => w.name === trend.baseline);
    if (!recent || !baseline) throw new Error(`trend ${trend.name}: unknown window`);
    const top = features[`${trend.aggregation}_${recent.name}`] as number;
    const scaled =
      ((features[`${trend.aggregation}_${baseline.name}`] as number) * recent.lengthSeconds) / baseline.lengthSeconds;
    const bottom = Math.max(trend.minBaseline ?? 0, scaled);
    features[trend.name] = bottom === 0 ? trend.whenUndefined : top / bottom;
    freshness[trend.name] = freshness[`${trend.aggregation}_${baseline.name}`] ?? null;
  }
  return { features, freshness };
}

/** Asserts served features equal the reference's: numbers to `digits` decimals, lists and strings exactly. */
export function expectFeatures(
  served: Readonly<Record<string, unknown>> | undefined,
  expected: Readonly<Record<string, unknown>>,
  label: string,
  digits = 6,
): void {
  for (const [name, value] of Object.entries(expected)) {
    if (typeof value === 'number') expect(served?.[name], `${label} ${name}`).toBeCloseTo(value, digits);
    else expect(served?.[name], `${label} ${name}`).toEqual(value);
  }
}
