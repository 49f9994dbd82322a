import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import { createRecordDecoder, padSequence } from '../../src/domain/records.js';
import { clickstream } from '../../src/features/catalog.js';
import { defineSource } from '../../src/features/define.js';
import { asRecords } from '../support/events.js';

const NOW = Date.UTC(2026, 10, 23, 12, 0);
const decode = createRecordDecoder([clickstream], { maxLatenessMs: 3_600_000, maxClockSkewMs: 60_000 });
const good = { source: 'clickstream', event_id: 'e1', user_id: 'u1', event_type: 'page_view', event_time: NOW - 1000 };
const one = (payload: unknown) => decode(asRecords([payload], { arrivalTimeMs: NOW })[0] as never);

describe('record validation', () => {
  it('accepts a valid event with ISO or epoch-ms event time', () => {
    const iso = one({ ...good, event_time: '2026-11-23T11:59:59.000Z' });
    expect(iso.ok && iso.event.eventTimeMs).toBe(NOW - 1000);
    const epoch = one(good);
    expect(epoch.ok && epoch.event.eventTimeMs).toBe(NOW - 1000);
  });

  it.each([
    ['not_json', '{"user_id": "u1",', /not JSON/],
    ['not_an_object', '[1,2]', /^payload is JSON an array, expected an object$/],
    ['not_an_object', 'null', /^payload is JSON null, expected an object$/],
    ['not_an_object', '"click"', /^payload is JSON a string, expected an object$/],
    ['unknown_source', { ...good, source: 'nope' }, /"nope".*clickstream/],
    ['unknown_source', { ...good, source: undefined }, /missing/],
    ['schema_violation', { ...good, event_type: 'hover' }, /event_type/],
    ['schema_violation', { ...good, event_type: 'purchase' }, /price: a purchase needs a price/],
    ['schema_violation', { ...good, event_time: '2026-11-23 11:00' }, /event_time/],
    ['late_event', { ...good, event_time: NOW - 3_600_001 }, /before arrival/],
    ['future_event', { ...good, event_time: NOW + 60_001 }, /after arrival/],
  ] as const)('rejects as %s: %j', (reason, payload, detail) => {
    const decoded = one(payload);
    expect(decoded.ok).toBe(false);
    if (!decoded.ok) {
      expect(decoded.rejected.reason).toBe(reason);
      expect(decoded.rejected.detail).toMatch(detail);
    }
  });

  it('accepts events exactly at the lateness and skew limits', () => {
    expect(one({ ...good, event_time: NOW - 3_600_000 }).ok).toBe(true);
    expect(one({ ...good, event_time: NOW + 60_000 }).ok).toBe(true);
  });

  it('pads sequence numbers so string order is numeric order', () => {
    expect(padSequence('9') < padSequence('10')).toBe(true);
    expect(padSequence('49590338271490256608559692538361571095921575989136588898')).toHaveLength(64);
  });
});

describe('per-source lateness and clock skew (the catalog)', () => {
  // A prediction-log-like source written in real time: 10 minutes late at most, clocks within 5 s.
  const strict = defineSource({
    name: 'strict_source',
    description: '',
    eventTimeField: 'event_time',
    allowedLateness: '10m',
    clockSkew: '5s',
    schema: z.object({ id: z.string(), event_time: z.number() }),
  });
  // The consumer's own bounds: 1 h late, 60 s ahead.
  const both = createRecordDecoder([clickstream, strict], { maxLatenessMs: 3_600_000, maxClockSkewMs: 60_000 });
  const decodeAt = (payload: unknown) => both(asRecords([payload], { arrivalTimeMs: NOW })[0] as never);
  const strictEvent = (offsetMs: number) => ({ source: 'strict_source', id: 'x', event_time: NOW + offsetMs });
  const clickEvent = (offsetMs: number) => ({ ...good, event_time: NOW + offsetMs });

  it('tightens the consumer’s bounds for the source that declares its own', () => {
    const late = decodeAt(strictEvent(-11 * 60_000));
    expect(late.ok).toBe(false);
    if (!late.ok)
      expect(late.rejected).toMatchObject({
        reason: 'late_event',
        detail: expect.stringMatching(/more than 600s before arrival/),
      });
    const ahead = decodeAt(strictEvent(6_000));
    expect(ahead.ok).toBe(false);
    if (!ahead.ok)
      expect(ahead.rejected).toMatchObject({
        reason: 'future_event',
        detail: expect.stringMatching(/more than 5s after arrival/),
      });
    expect(decodeAt(strictEvent(-10 * 60_000)).ok).toBe(true);
    expect(decodeAt(strictEvent(5_000)).ok).toBe(true);
  });

  it('leaves the other sources at the consumer’s bounds, and never loosens them', () => {
    expect(decodeAt(clickEvent(-11 * 60_000)).ok).toBe(true);
    expect(decodeAt(clickEvent(30_000)).ok).toBe(true);
    const loose = defineSource({ ...strict, name: 'loose_source', allowedLateness: '7d', clockSkew: '1h' });
    const decodeLoose = createRecordDecoder([loose], { maxLatenessMs: 3_600_000, maxClockSkewMs: 60_000 });
    const tooLate = decodeLoose(
      asRecords([{ source: 'loose_source', id: 'x', event_time: NOW - 2 * 3_600_000 }], { arrivalTimeMs: NOW })[0] as never,
    );
    expect(tooLate.ok).toBe(false);
  });

  it('refuses a malformed duration when the source is defined', () => {
    expect(() => defineSource({ ...strict, name: 'bad', allowedLateness: 'soon' as never })).toThrow(/invalid duration "soon"/);
  });
});
