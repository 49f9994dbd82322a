import { describe, expect, it } from 'vitest';
import { accessLogs, objectMetadata, sizeCategory } from '../../src/features/examples/tiering.js';
import { workloads } from '../../src/workloads/index.js';
import { type AccessLogRecord, accessLogEvents, objectMetadataRows, storedObjectSpec } from '../../src/workloads/tiering.js';

const START = Date.parse('2025-03-01T00:00:00.000Z');
const WEEK_S = 7 * 86_400;
/** 20,000 requests on 1,000 objects over a week: the seed's pool, about three requests per object a day. */
const week = (seed = 42) => [...accessLogEvents({ events: 20_000, seed, startMs: START, ratePerSecond: 20_000 / WEEK_S })];
const DAY = 86_400_000;

describe('tiering workload (seed 000)', () => {
  it('is registered under its name with the access_logs source', () => {
    expect(workloads.tiering?.source).toBe('access_logs');
    expect(workloads.tiering?.defaultEntities).toBe(1_000);
  });

  it('is deterministic for a seed, and differs across seeds', () => {
    const a = JSON.stringify(week());
    expect(JSON.stringify(week())).toBe(a);
    expect(JSON.stringify(week(43))).not.toBe(a);
  });

  it('produces events that pass the source schema, in event-time order, spaced by the rate', () => {
    const events = week();
    let previous = 0;
    for (const event of events) {
      expect(accessLogs.schema.safeParse(event).success, JSON.stringify(event)).toBe(true);
      expect(Object.keys(event)[0]).toBe('source');
      const t = Date.parse(event.timestamp);
      expect(t).toBeGreaterThanOrEqual(previous);
      previous = t;
    }
    expect(Date.parse(events.at(-1)?.timestamp ?? '') - START).toBeGreaterThan(WEEK_S * 1000 - DAY / 1000);
    expect(Date.parse(events.at(-1)?.timestamp ?? '') - START).toBeLessThanOrEqual(WEEK_S * 1000);
  });

  it('keeps each object’s bucket, size, type and tier fixed, and uses the seed’s action mix', () => {
    const events = week();
    const byKey = new Map<string, AccessLogRecord>();
    for (const e of events) {
      const first = byKey.get(e.object_key) ?? e;
      byKey.set(e.object_key, first);
      expect([e.bucket, e.size, e.content_type, e.tier]).toEqual([first.bucket, first.size, first.content_type, first.tier]);
    }
    const share = (action: string) => events.filter((e) => e.action === action).length / events.length;
    // The seed's 30 / 60 / 10 %, with a fifth of requests in download bursts.
    expect(share('download_object')).toBeGreaterThan(0.6);
    expect(share('download_object')).toBeLessThan(0.72);
    expect(share('delete_object')).toBeGreaterThan(0.06);
    expect(share('delete_object')).toBeLessThan(0.1);
    expect(events.filter((e) => e.success).length / events.length).toBeCloseTo(0.95, 1);
    // Sizes log-normal around e^15 ≈ 3.3 MB: the median within a factor of 3.
    const sizes = [...byKey.values()].map((e) => e.size).sort((a, b) => a - b);
    expect(sizes[sizes.length >> 1]).toBeGreaterThan(Math.exp(15) / 3);
    expect(sizes[sizes.length >> 1]).toBeLessThan(Math.exp(15) * 3);
  });

  it('has a long tail: the top 1 % of objects take over a quarter of the requests, most objects few', () => {
    const counts = new Map<string, number>();
    for (const e of week()) counts.set(e.object_key, (counts.get(e.object_key) ?? 0) + 1);
    const sorted = [...counts.values()].sort((a, b) => b - a);
    const top = sorted.slice(0, 10).reduce((a, b) => a + b, 0);
    expect(top / 20_000).toBeGreaterThan(0.25);
    // object_1 is the most popular (bursts aside).
    expect(counts.get(storedObjectSpec(42, 0).key)).toBe(sorted[0]);
    expect(sorted.filter((n) => n <= 7).length / 1_000).toBeGreaterThan(0.5);
  });

  it('makes some objects hot (≥ 3 downloads within 24 h after an access) and leaves most cold, the tail included', () => {
    const events = week();
    const downloads = new Map<string, number[]>();
    for (const e of events)
      if (e.action === 'download_object')
        downloads.set(e.object_key, [...(downloads.get(e.object_key) ?? []), Date.parse(e.timestamp)]);
    const hot = new Set<string>();
    for (const e of events) {
      const t = Date.parse(e.timestamp);
      if ((downloads.get(e.object_key) ?? []).filter((d) => d > t && d <= t + DAY).length >= 3) hot.add(e.object_key);
    }
    expect(hot.size).toBeGreaterThan(100);
    expect(hot.size).toBeLessThan(600);
    // Bursts reach past the popular head: objects beyond rank 500 become hot too.
    expect([...hot].filter((key) => Number(/object_(\d+)/.exec(key)?.[1]) > 500).length).toBeGreaterThan(5);
  });

  it('follows working hours per region: a bucket’s busiest hours see several times its quietest', () => {
    const events = [...accessLogEvents({ events: 60_000, seed: 5, startMs: START, ratePerSecond: 60_000 / WEEK_S })];
    const hours = new Array<number>(24).fill(0);
    const bucket = events[0]?.bucket;
    for (const e of events) {
      const hour = new Date(e.timestamp).getUTCHours();
      if (e.bucket === bucket) hours[hour] = (hours[hour] ?? 0) + 1;
    }
    // Three-hour sums, so the noise of a single hour does not decide.
    const sums = hours.map((_, h) => (hours[h] ?? 0) + (hours[(h + 1) % 24] ?? 0) + (hours[(h + 2) % 24] ?? 0));
    expect(Math.max(...sums) / Math.min(...sums)).toBeGreaterThan(2.5);
  });

  it('offers the same pool’s object metadata as rows the object_metadata batch source accepts', () => {
    const rows = objectMetadataRows({ seed: 42, objects: 200 });
    expect(rows).toHaveLength(200);
    for (const row of rows) expect(objectMetadata.schema.safeParse(row).success, JSON.stringify(row)).toBe(true);
    const spec = storedObjectSpec(42, 0);
    expect(rows[0]).toEqual({
      object_key: spec.key,
      bucket: spec.bucket,
      size: spec.size,
      content_type: spec.contentType,
      size_category: sizeCategory(spec.size),
    });
    // The seed's bins, edges included.
    expect([0, 1_024, 1_025, 1_048_576, 1_048_577, 104_857_600, 104_857_601].map(sizeCategory)).toEqual([
      'small',
      'small',
      'medium',
      'medium',
      'large',
      'large',
      'xlarge',
    ]);
  });
});
