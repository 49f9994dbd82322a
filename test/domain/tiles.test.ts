import { describe, expect, it } from 'vitest';
import { evaluateView } from '../../src/domain/feature-vector.js';
import { createRecordDecoder, type ValidEvent } from '../../src/domain/records.js';
import { compileView, preaggregate, type Tile, tileId, unappliedPart } from '../../src/domain/tiles.js';
import { clickstream, userClickstream } from '../../src/features/catalog.js';
import { asRecords, clickEvents } from '../support/events.js';
import { expectFeatures, referenceFeatures } from '../support/reference.js';

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 10, 23, 12, 34, 56, 789);
const decode = createRecordDecoder([clickstream], { maxLatenessMs: 30 * DAY, maxClockSkewMs: 60_000 });
const compiled = compileView(userClickstream);

function validEvents(payloads: unknown[]): ValidEvent[] {
  return asRecords(payloads, { arrivalTimeMs: NOW }).map((r) => {
    const d = decode(r);
    if (!d.ok) throw new Error(d.rejected.detail);
    return d.event;
  });
}

function lookupIn(tiles: Map<string, Tile>, entityId: string) {
  return (hopSeconds: number, startMs: number) => tiles.get(tileId(userClickstream.name, entityId, hopSeconds, startMs))?.states;
}

describe('an event ahead of the stream’s clock (within the skew allowance)', () => {
  // Arrival at 12:09:30; the producer's clock runs 45 s ahead, so its event time falls in the next 10-minute tile.
  const arrival = Date.UTC(2026, 10, 23, 12, 9, 30);
  const at = (ms: number) => new Date(ms).toISOString();
  const payloads = [
    {
      source: 'clickstream',
      event_id: 'a',
      user_id: 'u',
      event_type: 'page_view',
      product_id: 'p1',
      price: 5,
      event_time: at(arrival - 120_000),
    },
    {
      source: 'clickstream',
      event_id: 'b',
      user_id: 'u',
      event_type: 'add_to_cart',
      product_id: 'p2',
      event_time: at(arrival + 45_000),
    },
  ];
  const events = asRecords(payloads, { arrivalTimeMs: arrival }).map((r) => {
    const d = decode(r);
    if (!d.ok) throw new Error(d.rejected.detail);
    return d.event;
  });
  const tiles = preaggregate(events, [compiled]);

  it('counts in every window from the moment it arrives, at its arrival time', () => {
    const served = evaluateView(userClickstream, arrival + 1_000, lookupIn(tiles, 'u')).features;
    // Written out by hand: both events count in 1h, 24h and 7d alike, and the newest is the add_to_cart.
    for (const window of ['1h', '24h', '7d']) {
      expect(served[`events_${window}`], window).toBe(2);
      expect(served[`add_to_carts_${window}`], window).toBe(1);
      expect(served[`last_event_type_${window}`], window).toBe('add_to_cart');
      expect(served[`seconds_since_last_event_${window}`], window).toBe(1);
    }
  });

  it('keeps the producer’s event time for the lake, and serves what the reference computes', () => {
    expect(events[1]?.eventTimeMs).toBe(arrival + 45_000);
    expect(events[1]?.windowTimeMs).toBe(arrival);
    const reference = referenceFeatures(
      userClickstream,
      payloads.map((p, order) => ({ data: p, eventTimeMs: Date.parse(p.event_time), arrivalMs: arrival, order })),
      arrival + 1_000,
    );
    expectFeatures(evaluateView(userClickstream, arrival + 1_000, lookupIn(tiles, 'u')).features, reference.features, 'u', 9);
  });
});

describe('pre-aggregated tiles evaluated under the window semantics', () => {
  const payloads = clickEvents({ count: 3_000, users: 7, nowMs: NOW, spanMs: 9 * DAY, seed: 11 });
  const events = validEvents(payloads);
  const tiles = preaggregate(events, [compiled]);

  it('equal a brute-force scan of the same (out-of-order) events, for every user and feature', () => {
    const users = [...new Set(payloads.map((p) => p.user_id))];
    for (const userId of users) {
      const mine = events
        .map((e, order) => ({ data: e.data as Record<string, unknown>, eventTimeMs: e.eventTimeMs, order }))
        .filter((e) => e.data.user_id === userId);
      const expected = referenceFeatures(userClickstream, mine, NOW);
      const actual = evaluateView(userClickstream, NOW, lookupIn(tiles, userId));
      expectFeatures(actual.features, expected.features, userId, 9);
      expect(actual.freshness).toEqual(expected.freshness);
    }
  });

  it('write one tile per user and tile width (10 min, 1 h, 1 d and the lifetime tile), not one per event', () => {
    const sameTile = validEvents(
      clickEvents({ count: 10_000, users: 100, nowMs: Date.UTC(2026, 10, 23, 12, 5), spanMs: 60_000, seed: 3 }),
    );
    expect(preaggregate(sameTile, [compiled]).size).toBe(100 * 4);
  });
});

describe('the idempotency guard (unapplied part of a tile)', () => {
  const events = validEvents(clickEvents({ count: 40, users: 1, nowMs: NOW, spanMs: 60_000, seed: 5 }));
  const [tile] = [...preaggregate(events, [compiled]).values()] as [Tile];
  const eventsIdx = userClickstream.aggregations.findIndex((a) => a.name === 'events');

  it('applies the whole tile when nothing from this shard was applied', () => {
    expect(unappliedPart(tile, compiled, undefined, () => events)?.states[eventsIdx]?.n).toBe(events.length);
  });

  it('applies nothing when the watermark is at or past the tile’s last event', () => {
    expect(unappliedPart(tile, compiled, tile.maxSequence, () => events)).toBeUndefined();
  });

  it('applies exactly the events above the watermark after a partial replay', () => {
    const sorted = [...events].sort((a, b) => (a.sequence < b.sequence ? -1 : 1));
    const watermark = (sorted[9] as ValidEvent).sequence;
    const part = unappliedPart(tile, compiled, watermark, () => events);
    expect(part?.states[eventsIdx]?.n).toBe(events.length - 10);
    expect(part?.minSequence).toBe((sorted[10] as ValidEvent).sequence);
  });
});
