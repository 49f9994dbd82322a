import { describe, expect, it } from 'vitest';
import { createRecordDecoder, padSequence } from '../../src/domain/records.js';
import { clickstream } from '../../src/features/catalog.js';
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
