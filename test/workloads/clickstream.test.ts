import { describe, expect, it } from 'vitest';
import { clickstream as clickstreamSource } from '../../src/features/catalog.js';
import { type ClickstreamRecord, clickstreamEvents, generateClickstream } from '../../src/workloads/clickstream.js';
import { workloads } from '../../src/workloads/index.js';

const START = Date.parse('2025-03-01T12:00:00.000Z');
const base = { seed: 42, startMs: START, ratePerSecond: 100 };

/** Events whose time is earlier than some event emitted before them. */
function outOfOrderCount(events: readonly ClickstreamRecord[]): number {
  let max = Number.NEGATIVE_INFINITY;
  let late = 0;
  for (const e of events) {
    const t = Date.parse(e.event_time);
    if (t < max) late++;
    max = Math.max(max, t);
  }
  return late;
}

describe('clickstream workload', () => {
  it('is registered under its name with the clickstream source', () => {
    expect(workloads.clickstream?.source).toBe('clickstream');
  });

  it('is deterministic for a seed and start, and differs across seeds and starts', () => {
    const a = JSON.stringify(generateClickstream({ ...base, events: 5_000 }));
    const b = JSON.stringify(generateClickstream({ ...base, events: 5_000 }));
    const otherSeed = generateClickstream({ ...base, seed: 43, events: 5_000 });
    const otherStart = generateClickstream({ ...base, startMs: START + 1, events: 5_000 });
    expect(a).toBe(b);
    expect(JSON.stringify(otherSeed)).not.toBe(a);
    const users = (events: readonly ClickstreamRecord[]) => events.map((e) => e.user_id).join();
    expect(users(otherSeed)).not.toBe(users(JSON.parse(a)));
    // A different start shifts the run: no event_id is shared, so two runs can both be sent.
    const ids = new Set((JSON.parse(a) as ClickstreamRecord[]).map((e) => e.event_id));
    expect(otherStart.some((e) => ids.has(e.event_id))).toBe(false);
  });

  it('produces events that pass the catalog schema, with source first', () => {
    const events = generateClickstream({ ...base, events: 20_000 });
    for (const event of events) {
      const parsed = clickstreamSource.schema.safeParse(event);
      expect(parsed.success, JSON.stringify(event)).toBe(true);
      expect(Object.keys(event)[0]).toBe('source');
      expect(event.source).toBe('clickstream');
      expect(event.event_time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      if (event.price !== undefined) expect(Math.round(event.price * 100) / 100).toBe(event.price);
    }
    expect(new Set(events.map((e) => e.event_id)).size).toBe(events.length);
    expect(events.filter((e) => e.event_type === 'page_view' && e.product_id === undefined).length).toBeGreaterThan(0);
  });

  it('draws users from a pool of --users ids, user_000001 upwards', () => {
    const events = generateClickstream({ ...base, events: 10_000, entities: 50 });
    const ids = new Set(events.map((e) => e.user_id));
    for (const id of ids) expect(id).toMatch(/^user_0000(0[1-9]|[1-4]\d|50)$/);
    expect(ids.size).toBeGreaterThan(40);
  });

  it('walks the funnel with decreasing rates: purchases are 2–5 % of page views', () => {
    const counts: Record<string, number> = { page_view: 0, click: 0, add_to_cart: 0, purchase: 0 };
    for (const e of clickstreamEvents({ ...base, events: 200_000 })) counts[e.event_type] = (counts[e.event_type] ?? 0) + 1;
    const views = counts.page_view ?? 0;
    const rate = (type: string) => (counts[type] ?? 0) / views;
    expect(rate('click')).toBeGreaterThan(0.25);
    expect(rate('click')).toBeLessThan(0.45);
    expect(rate('add_to_cart')).toBeGreaterThan(0.05);
    expect(rate('add_to_cart')).toBeLessThan(rate('click'));
    expect(rate('purchase')).toBeGreaterThan(0.02);
    expect(rate('purchase')).toBeLessThan(0.05);
  });

  it('buys what was put in the cart: a purchase follows an add_to_cart of the same product in its session', () => {
    const events = generateClickstream({ ...base, events: 50_000 });
    const bySession = new Map<string, ClickstreamRecord[]>();
    for (const e of events) bySession.set(e.session_id, [...(bySession.get(e.session_id) ?? []), e]);
    let purchases = 0;
    for (const session of bySession.values()) {
      // Event time, not arrival order, is the order things happened in.
      const ordered = [...session].sort((x, y) => Date.parse(x.event_time) - Date.parse(y.event_time));
      ordered.forEach((e, i) => {
        if (e.event_type !== 'purchase') return;
        purchases++;
        expect(ordered[i - 1]?.event_type).toBe('add_to_cart');
        expect(ordered[i - 1]?.product_id).toBe(e.product_id);
        expect(e.price).toBeGreaterThan(0);
      });
    }
    expect(purchases).toBeGreaterThan(0);
  });

  it('spaces event times by the rate: first at start, last at start + (n−1)/rate', () => {
    const events = generateClickstream({ ...base, ratePerSecond: 50, events: 1_001 });
    const times = events.map((e) => Date.parse(e.event_time));
    expect(Math.min(...times)).toBe(START);
    expect(Math.max(...times)).toBe(START + 1_000 * 20);
  });

  it('delivers a few percent of events out of order, by at most 30 s', () => {
    const events = generateClickstream({ ...base, events: 100_000 });
    const fraction = outOfOrderCount(events) / events.length;
    expect(fraction).toBeGreaterThan(0.02);
    expect(fraction).toBeLessThan(0.045);
    let max = 0;
    let worst = 0;
    for (const e of events) {
      const t = Date.parse(e.event_time);
      worst = Math.max(worst, max - t);
      max = Math.max(max, t);
    }
    expect(worst).toBeLessThanOrEqual(30_000);
    expect(outOfOrderCount(generateClickstream({ ...base, events: 10_000, outOfOrderFraction: 0 }))).toBe(0);
  });

  it('is lazy: the first events of a 10M-event run come at once', () => {
    const started = performance.now();
    const iterator = clickstreamEvents({ ...base, events: 10_000_000 });
    for (let i = 0; i < 1_000; i++) iterator.next();
    expect(performance.now() - started).toBeLessThan(1_000);
    iterator.return(undefined);
  });

  it('yields exactly the requested number of events, including tiny runs', () => {
    for (const n of [1, 2, 3, 10, 777]) expect(generateClickstream({ ...base, events: n })).toHaveLength(n);
  });
});
