/** The definition language refuses a wrong aggregation with a message naming the view, the aggregation and the problem. */
import { describe, expect, it } from 'vitest';
import { evaluateView } from '../../src/domain/feature-vector.js';
import { tileStartMs } from '../../src/domain/windows.js';
import { clickstream, user, userClickstream } from '../../src/features/catalog.js';
import { type Aggregation, defineCatalog, defineFeatureView } from '../../src/features/define.js';
import { count } from '../../src/features/kinds/count.js';
import { defineLabel } from '../../src/features/labels.js';

const view = (aggregation: Omit<Partial<Aggregation>, 'kind'> & { kind: string }) =>
  defineFeatureView({
    name: 'v',
    description: '',
    entity: user,
    source: clickstream,
    windows: [{ name: '1h', length: '1h', hop: '10m' }],
    ttl: '2h',
    aggregations: [{ name: 'a', description: '', ...aggregation } as Aggregation],
  });

describe('defineFeatureView', () => {
  it.each([
    [{ kind: 'median', field: 'price' }, /feature view v: aggregation "a": unknown kind "median"; kinds: count, sum/],
    [{ kind: 'sum' }, /aggregation "a" \(sum\) needs a field/],
    [{ kind: 'sum', field: 'event_type' }, /aggregation "a" \(sum\) needs a numeric field; "event_type" is not one/],
    [{ kind: 'stddev', field: 'category' }, /needs a numeric field/],
    [{ kind: 'count', field: 'price' }, /aggregation "a" \(count\) reads no field, yet names "price"/],
    [{ kind: 'time_since_last', field: 'price' }, /reads no field/],
    [{ kind: 'last_k_distinct', field: 'product_id' }, /aggregation "a" \(last_k_distinct\) needs k, an integer 1–100/],
    [{ kind: 'last_k_distinct', field: 'product_id', k: 101 }, /needs k/],
    [{ kind: 'last', field: 'nope' }, /reads unknown field "nope"/],
    [{ kind: 'percentile', field: 'price' }, /\(percentile\) needs quantile, a number from 0 to 1/],
    [{ kind: 'percentile', field: 'price', quantile: 1.5 }, /needs quantile/],
    [{ kind: 'percentile', field: 'event_type', quantile: 0.5 }, /needs a numeric field/],
  ])('refuses %j', (aggregation, message) => {
    expect(() => view(aggregation)).toThrow(message);
  });

  it.each([
    [{ kind: 'sum', field: 'price' }],
    [{ kind: 'last', field: 'event_type' }],
    [{ kind: 'first', field: 'category' }],
    [{ kind: 'time_since_last' }],
    [{ kind: 'last_k_distinct', field: 'product_id', k: 5 }],
  ])('accepts %j', (aggregation) => {
    expect(() => view(aggregation)).not.toThrow();
  });
});

describe('defineCatalog', () => {
  const catalog = { sources: [clickstream], entities: [user], featureViews: [userClickstream] };

  it('accepts the example catalog', () => {
    expect(() => defineCatalog(catalog)).not.toThrow();
  });

  it.each([
    [{ ...catalog, sources: [] }, /feature view user_clickstream reads source clickstream, which the catalog does not list/],
    [{ ...catalog, entities: [] }, /feature view user_clickstream describes entity user, which the catalog does not list/],
    [{ ...catalog, sources: [clickstream, clickstream] }, /source "clickstream" is defined twice/],
    [{ ...catalog, featureViews: [userClickstream, userClickstream] }, /feature view "user_clickstream" is defined twice/],
  ])('refuses a catalog that does not hold together (%#)', (bad, message) => {
    expect(() => defineCatalog(bad)).toThrow(message);
  });
});

describe('windows', () => {
  const withWindows = (windows: { name: string; length: string; hop?: string; edge?: string }[]) =>
    defineFeatureView({
      name: 'v',
      description: '',
      entity: user,
      source: clickstream,
      windows: windows as never,
      ttl: '91d',
      aggregations: [{ name: 'a', kind: 'count', description: '' }],
    });

  it('chooses a hop of about a twelfth of each window, from 5 minutes to 90 days, within the view’s budget', () => {
    const view = withWindows([
      { name: '5m', length: '5m' },
      { name: '1h', length: '1h' },
      { name: '24h', length: '24h' },
      { name: '7d', length: '7d' },
      { name: '90d', length: '90d' },
    ]);
    // Worked out by hand: 5m/1m → 6 tiles; 1h/5m → 13; 24h/2h → 13; 7d/1d → 8; 90d/10d → 10: 50 ≤ 64.
    expect(view.windows.map((w) => [w.name, w.hopSeconds])).toEqual([
      ['5m', 60],
      ['1h', 300],
      ['24h', 7_200],
      ['7d', 86_400],
      ['90d', 864_000],
    ]);
  });

  it('falls back to the finest hop within 60 tiles for lengths no width divides in twelve', () => {
    // 25h/30m → 51 tiles, 31d/1d → 32 (12 h would be 63), 13m/1m → 14 (each alone in its view).
    expect(withWindows([{ name: '25h', length: '25h' }]).windows[0]?.hopSeconds).toBe(1_800);
    expect(withWindows([{ name: '31d', length: '31d' }]).windows[0]?.hopSeconds).toBe(86_400);
    expect(withWindows([{ name: '13m', length: '13m' }]).windows[0]?.hopSeconds).toBe(60);
    // 61 min has no ladder divisor but the minute, and 1 min gives 62 tiles.
    expect(() => withWindows([{ name: 'odd', length: '61m' }])).toThrow(/divides 61m in ≤ 59 hops \(60 tiles\); give one/);
  });

  it('refuses a window or a view that would read too many tiles per request', () => {
    expect(() => withWindows([{ name: '7d', length: '7d', hop: '1h' }])).toThrow(/reads 169 tiles; at most 60/);
    // 1h/1m shares no width with the rest: 61 tiles alone is too many for one window.
    expect(() => withWindows([{ name: '1h', length: '1h', hop: '1m' }])).toThrow(/reads 61 tiles/);
    // 24h/30m → 49 tiles and 7d/6h → 29: 78 in all.
    expect(() =>
      withWindows([
        { name: '24h', length: '24h', hop: '30m' },
        { name: '7d', length: '7d', hop: '6h' },
      ]),
    ).toThrow(/its windows read 78 tiles per request; at most 64/);
  });

  it('takes a lifetime window: one tile that never expires, whatever the ttl', () => {
    const view = withWindows([
      { name: '1h', length: '1h', hop: '10m' },
      { name: 'lifetime', length: 'lifetime' },
    ]);
    expect(view.windows[1]).toEqual({ name: 'lifetime', lengthSeconds: Number.POSITIVE_INFINITY, hopSeconds: 0, edgeSeconds: 0 });
    expect(view.longestWindowSeconds).toBe(3_600);
    expect(() => withWindows([{ name: 'lifetime', length: 'lifetime', hop: '1d' }])).toThrow(/a lifetime window has no hop/);
  });

  describe('hierarchical windows (edge tiles finer than the hop)', () => {
    it('takes a 90-day window exact to the day within the tile budget, and writes both widths', () => {
      const view = withWindows([{ name: '90d', length: '90d', hop: '10d', edge: '1d' }]);
      expect(view.windows[0]).toEqual({ name: '90d', lengthSeconds: 90 * 86_400, hopSeconds: 10 * 86_400, edgeSeconds: 86_400 });
      expect(view.hopsSeconds).toEqual([86_400, 10 * 86_400]);
      // Without edges, exact to the day would read 91 daily tiles: over the budget.
      expect(() => withWindows([{ name: '90d', length: '90d', hop: '1d' }])).toThrow(/reads 91 tiles/);
    });

    it.each([
      [{ hop: '10d', edge: '3d' }, /edge 3d must divide the hop/],
      [{ length: '10d', hop: '1d', edge: '2d' }, /edge 2d must divide the hop/],
      [{ hop: '10d', edge: '7h' }, /must divide/],
    ])('refuses %j', (spec, message) => {
      expect(() => withWindows([{ name: '90d', length: '90d', ...spec } as never])).toThrow(message);
    });
  });
});

describe('trends (a count over a recent window against its pace over a baseline)', () => {
  const trendView = (trend: Record<string, unknown>) =>
    defineFeatureView({
      name: 'v',
      description: '',
      entity: user,
      source: clickstream,
      windows: [
        { name: '1d', length: '1d' },
        { name: '7d', length: '7d' },
        { name: 'all', length: 'lifetime' },
      ],
      ttl: '8d',
      aggregations: [
        { name: 'events', kind: 'count', description: '' },
        { name: 'last_type', kind: 'last', field: 'event_type', description: '' },
      ],
      trends: [
        { name: 'trend', aggregation: 'events', recent: '1d', baseline: '7d', whenUndefined: null, description: '', ...trend },
      ],
    });

  it.each([
    [{ aggregation: 'nope' }, /trend "trend" refers to unknown aggregation "nope"/],
    [{ aggregation: 'last_type' }, /trend "trend" needs a count or sum, not last/],
    [{ recent: '2d' }, /unknown window "2d"/],
    [{ recent: '7d', baseline: '1d' }, /window 7d must be shorter than 1d/],
    [{ baseline: 'all' }, /neither a lifetime/],
    [{ name: 'events_1d' }, /has the name of another feature/],
  ])('refuses %j', (trend, message) => {
    expect(() => trendView(trend)).toThrow(message);
  });

  it("serves seed 000's recent_access_trend: count_24h / max(1, count_7d / 7)", () => {
    const view = trendView({ minBaseline: 1 });
    const now = Date.UTC(2026, 0, 10, 12);
    // 3 events in the last day, 11 more over the week before: 3 / max(1, 14 / 7) = 1.5.
    const times = [1, 2, 3]
      .map((h) => now - h * 3_600_000)
      .concat(Array.from({ length: 11 }, (_, i) => now - (2 + i * 0.4) * 86_400_000));
    const ops = count.bind(view.aggregations[0] as Aggregation);
    const lookupOf = (eventTimes: number[]) => (hop: number, start: number) => {
      const state = ops.empty();
      for (const t of eventTimes) if (tileStartMs(t, hop) === start) ops.add(state, undefined, t);
      return state.n ? [state, undefined] : undefined;
    };
    const served = evaluateView(view, now, lookupOf(times)).features;
    expect(served.events_1d).toBe(3);
    expect(served.events_7d).toBe(14);
    expect(served.trend).toBeCloseTo(3 / Math.max(1, 14 / 7), 12);
    // A quiet week: the floor of 1 keeps the trend at the recent count (2 / max(1, 2 / 7)), not a blow-up.
    expect(evaluateView(view, now, lookupOf(times.slice(0, 2))).features.trend).toBeCloseTo(2, 12);
    // Without a floor and with no events the trend is undefined.
    expect(evaluateView(trendView({}), now, () => undefined).features.trend).toBeNull();
  });
});

describe('defineLabel', () => {
  const label = (spec: Record<string, unknown>) =>
    defineLabel({
      name: 'bought',
      description: '',
      entity: user,
      source: clickstream,
      where: { field: 'event_type', equals: 'purchase' },
      horizon: '1h',
      atLeast: 1,
      ...spec,
    } as never);

  it('resolves the horizon and observes the label source by default', () => {
    const defined = label({});
    expect(defined.horizonSeconds).toBe(3_600);
    expect(defined.observe.source).toBe(clickstream);
  });

  it.each([
    [{ name: 'Bought' }, /label Bought: name must be snake_case/],
    [{ horizon: 'soon' }, /invalid duration "soon"/],
    [{ atLeast: 0 }, /atLeast must be an integer ≥ 1/],
    [{ atLeast: 1.5 }, /atLeast must be an integer ≥ 1/],
    [{ where: { field: 'nope', equals: 1 } }, /filters its source clickstream on unknown field "nope"/],
    [{ observe: { where: { field: 'nope', equals: 1 } } }, /filters its observed source clickstream on unknown field "nope"/],
    [{ entity: { name: 'shop', description: '', keyField: 'shop_id' } }, /its source clickstream has no field shop_id/],
  ])('refuses %j', (spec, message) => {
    expect(() => label(spec)).toThrow(message);
  });

  it('is refused by a catalog that does not list its source', () => {
    expect(() => defineCatalog({ sources: [], entities: [user], featureViews: [], labels: [label({})] })).toThrow(
      /label bought reads source clickstream, which the catalog does not list/,
    );
  });
});
