/**
 * How `featurelake consistency` compares (src/query/consistency.ts): exactly,
 * but for a percentile (within the sketch's relative accuracy) and a distinct
 * count past its exact phase (within three HyperLogLog standard errors);
 * entities with an event arrived within the in-flight allowance are left out,
 * not counted as mismatches.
 */
import { describe, expect, it } from 'vitest';
import { EXACT_LIMIT, HLL_TOLERANCE } from '../../src/features/kinds/distinct-count.js';
import { RELATIVE_ACCURACY } from '../../src/features/kinds/percentile.js';
import { agrees, compareView, consistencyRate } from '../../src/query/consistency.js';
import { everyKind } from '../support/every-kind.js';

describe('agrees', () => {
  it('holds counts, sums, strings, lists and nulls to exact equality (floats to 1e-9)', () => {
    expect(agrees(everyKind, 'events_1h', 3, 3n)).toBe(true);
    expect(agrees(everyKind, 'events_1h', 3, 4)).toBe(false);
    expect(agrees(everyKind, 'avg_price_1h', 0.1 + 0.2, 0.3)).toBe(true);
    expect(agrees(everyKind, 'avg_price_1h', 10, 10.001)).toBe(false);
    expect(agrees(everyKind, 'last_type_1h', 'click', 'click')).toBe(true);
    expect(agrees(everyKind, 'last_type_1h', 'click', null)).toBe(false);
    expect(agrees(everyKind, 'last_products_1h', ['p1', 'p2'], ['p1', 'p2'])).toBe(true);
    expect(agrees(everyKind, 'last_products_1h', ['p1', 'p2'], ['p2', 'p1'])).toBe(false);
    expect(agrees(everyKind, 'avg_price_1h', null, null)).toBe(true);
  });

  it('allows a percentile its relative accuracy, and no more', () => {
    expect(agrees(everyKind, 'p90_price_1h', 100 * (1 + RELATIVE_ACCURACY * 0.99), 100)).toBe(true);
    expect(agrees(everyKind, 'p90_price_1h', 100 * (1 + RELATIVE_ACCURACY * 1.01), 100)).toBe(false);
  });

  it('holds a distinct count exact up to its exact limit, within the HyperLogLog bound past it', () => {
    expect(agrees(everyKind, 'products_1d', EXACT_LIMIT - 1, EXACT_LIMIT)).toBe(false);
    const big = 10_000;
    expect(agrees(everyKind, 'products_1d', Math.round(big * (1 + HLL_TOLERANCE * 0.9)), big)).toBe(true);
    expect(agrees(everyKind, 'products_1d', Math.round(big * (1 + HLL_TOLERANCE * 1.1)), big)).toBe(false);
  });
});

describe('compareView', () => {
  const at = Date.UTC(2026, 0, 1, 12);
  const offline = new Map<string, Record<string, unknown>>([
    [`a@${at}`, { events_1h: 2, last_type_1h: 'click', __newest_arrival_ms: at - 60_000 }],
    [`b@${at}`, { events_1h: 5, last_type_1h: 'view', __newest_arrival_ms: at - 60_000 }],
    [`c@${at}`, { events_1h: 1, last_type_1h: 'buy', __newest_arrival_ms: at - 1_000 }],
  ]);
  const served = [
    { entity: 'a', atMs: at, features: { events_1h: 2, last_type_1h: 'click' } },
    { entity: 'b', atMs: at, features: { events_1h: 4, last_type_1h: 'view' } },
    // An event arrived a second before the read: in flight, left out whatever it served.
    { entity: 'c', atMs: at, features: { events_1h: 0, last_type_1h: null } },
  ];

  it('reports each value that differs, leaves in-flight entities out, and rates what it compared', () => {
    const report = compareView(everyKind, served, offline, 5_000);
    expect(report.mismatches).toEqual([{ entity: 'b', feature: 'events_1h', online: 4, offline: 5 }]);
    expect(report.inFlight).toEqual(['c']);
    expect(report.compared).toBe(4);
    expect(consistencyRate([report])).toBe(3 / 4);
  });

  it('compares in-flight entities too when the allowance is zero', () => {
    const report = compareView(everyKind, served, offline, 0);
    expect(report.inFlight).toEqual([]);
    expect(report.mismatches).toHaveLength(3);
  });

  it('refuses to compare what it has no offline row for', () => {
    expect(() => compareView(everyKind, [{ entity: 'zz', atMs: at, features: {} }], offline, 0)).toThrow(/no offline row for zz/);
  });
});
