/**
 * Each expectation kind against small batches whose counts are worked out by
 * hand in the comments; the decoder's hard checks (quarantined as
 * expectation_failed, before the time bounds); the definitions refused with a
 * message naming the owner and the expectation; and the metrics published
 * through a real Powertools Metrics (its EMF records read back from stdout).
 */
import { Metrics } from '@aws-lambda-powertools/metrics';
import { afterEach, describe, expect, it, vi } from 'vitest';
import * as z from 'zod';
import { createRecordDecoder, type RejectedRecord, type ValidEvent } from '../../src/domain/records.js';
import { clickstream, exampleCatalog, user } from '../../src/features/catalog.js';
import { defineCatalog, defineFeatureView, defineSource, type EventSource } from '../../src/features/define.js';
import { createQualityCheck } from '../../src/quality/batch-quality.js';
import type { Expectation } from '../../src/quality/expectations.js';
import { DQ_METRICS, expectationThresholds, publishQuality } from '../../src/quality/metrics.js';
import { asRecords } from '../support/events.js';

const NOW = Date.UTC(2026, 10, 23, 12, 0);
const policy = { maxLatenessMs: 3_600_000, maxClockSkewMs: 60_000 };

function source(expectations: readonly Expectation[]): EventSource {
  return defineSource({
    name: 'readings',
    description: '',
    eventTimeField: 't',
    schema: z.object({
      t: z.number(),
      id: z.string(),
      kind: z.string().nullish(),
      value: z.number().optional(),
      flag: z.boolean().optional(),
    }),
    expectations,
  });
}

/** Decodes payloads (arriving at NOW) and runs one batch's quality counts over what is kept and rejected. */
function batch(src: EventSource, payloads: readonly Record<string, unknown>[], arrivalTimeMs = NOW) {
  const decode = createRecordDecoder([src], policy);
  const check = createQualityCheck([src]).start();
  const rejected: RejectedRecord[] = [];
  const kept: ValidEvent[] = [];
  for (const record of asRecords(
    payloads.map((p) => ({ source: src.name, ...p })),
    { arrivalTimeMs },
  )) {
    const decoded = decode(record);
    if (decoded.ok) {
      kept.push(decoded.event);
      check.add(decoded.event);
    } else {
      rejected.push(decoded.rejected);
      check.reject(decoded.rejected);
    }
  }
  const [report] = check.report();
  const outcome = (name: string) => report?.expectations.find((e) => e.name === name);
  return { kept, rejected, report, outcome };
}

const row = (i: number, extra: Record<string, unknown> = {}) => ({ t: NOW - 1000 * i, id: `r${i}`, ...extra });

describe('record kinds, soft: counted, never quarantined', () => {
  it('not_null: nulls over events; holds while the present share ≥ minRate', () => {
    const src = source([{ name: 'kind_present', kind: 'not_null', field: 'kind', minRate: 0.6 }]);
    // 5 events, kind missing on 2 (absent, null): present share 3/5 = 0.6 ≥ 0.6.
    const b = batch(src, [row(1, { kind: 'a' }), row(2), row(3, { kind: null }), row(4, { kind: 'b' }), row(5, { kind: 'c' })]);
    expect(b.rejected).toEqual([]);
    expect(b.outcome('kind_present')).toEqual({
      name: 'kind_present',
      kind: 'not_null',
      severity: 'soft',
      checked: 5,
      failed: 2,
      holds: true,
    });
    // A third missing: 2/5 = 0.4 < 0.6.
    const worse = batch(src, [row(1, { kind: 'a' }), row(2), row(3), row(4), row(5, { kind: 'c' })]);
    expect(worse.outcome('kind_present')).toMatchObject({ checked: 5, failed: 3, holds: false });
  });

  it('range: values outside [min, max] fail, bounds included, missing values pass', () => {
    const src = source([{ name: 'value_range', kind: 'range', field: 'value', min: 0, max: 10 }]);
    // -1 and 10.5 are outside; 0 and 10 are the bounds; a missing value passes.
    const b = batch(src, [row(1, { value: -1 }), row(2, { value: 0 }), row(3, { value: 10 }), row(4, { value: 10.5 }), row(5)]);
    expect(b.outcome('value_range')).toMatchObject({ checked: 5, failed: 2, holds: false });
  });

  it('allowed_values: a value not listed fails, compared by type (1 is not "1"), missing passes', () => {
    const src = source([{ name: 'kind_known', kind: 'allowed_values', field: 'kind', values: ['a', 'b'] }]);
    const b = batch(src, [row(1, { kind: 'a' }), row(2, { kind: 'z' }), row(3, { kind: 'b' }), row(4)]);
    expect(b.outcome('kind_known')).toMatchObject({ checked: 4, failed: 1 });
    const flags = source([{ name: 'flag_true', kind: 'allowed_values', field: 'flag', values: [true] }]);
    expect(batch(flags, [row(1, { flag: true }), row(2, { flag: false })]).outcome('flag_true')).toMatchObject({ failed: 1 });
  });
});

describe('record kinds, hard: quarantined by the decoder, before the time bounds', () => {
  const src = source([
    { name: 'value_positive', kind: 'range', field: 'value', min: 0, severity: 'hard' },
    { name: 'kind_known', kind: 'allowed_values', field: 'kind', values: ['a'], severity: 'hard' },
  ]);

  it('rejects as expectation_failed naming the first expectation broken; counts checked = kept + quarantined', () => {
    // r2 breaks value_positive; r3 breaks kind_known; r4 breaks both (the first declared wins); r5 is also 2 h late.
    const b = batch(src, [
      row(1, { value: 1, kind: 'a' }),
      row(2, { value: -1 }),
      row(3, { kind: 'x' }),
      row(4, { value: -2, kind: 'x' }),
      { ...row(5, { value: -3 }), t: NOW - 7_200_000 },
    ]);
    expect(b.kept.map((e) => e.data.id)).toEqual(['r1']);
    expect(b.rejected.map((r) => [r.reason, r.expectation])).toEqual([
      ['expectation_failed', 'value_positive'],
      ['expectation_failed', 'kind_known'],
      ['expectation_failed', 'value_positive'],
      ['expectation_failed', 'value_positive'],
    ]);
    expect(b.rejected[0]?.detail).toBe('expectation:value_positive: value -1 is outside [0, ∞]');
    expect(b.rejected[1]?.detail).toBe('expectation:kind_known: kind "x" is not one of "a"');
    expect(b.rejected.every((r) => r.source === 'readings')).toBe(true);
    // value_positive: 1 kept + 3 quarantined; kind_known: 1 kept + 1 quarantined.
    expect(b.outcome('value_positive')).toMatchObject({ severity: 'hard', checked: 4, failed: 3, holds: false });
    expect(b.outcome('kind_known')).toMatchObject({ severity: 'hard', checked: 2, failed: 1 });
  });

  it('a hard not_null quarantines an event without the field', () => {
    const present = source([{ name: 'kind_required', kind: 'not_null', field: 'kind', severity: 'hard' }]);
    const b = batch(present, [row(1, { kind: 'a' }), row(2)]);
    expect(b.rejected.map((r) => r.detail)).toEqual(['expectation:kind_required: kind is missing']);
  });
});

describe('batch kinds', () => {
  it('unique_within_batch: events repeating an earlier value fail; missing values are not repeats', () => {
    const src = source([{ name: 'id_unique', kind: 'unique_within_batch', field: 'kind' }]);
    // a, a, a, b, b, missing, missing: 2 repeats of a, 1 of b.
    const kinds = ['a', 'a', 'a', 'b', 'b', undefined, undefined];
    const b = batch(
      src,
      kinds.map((kind, i) => row(i, kind === undefined ? {} : { kind })),
    );
    expect(b.outcome('id_unique')).toMatchObject({ checked: 7, failed: 3, holds: false });
  });

  it('freshness: one check per batch, the newest event against the newest arrival', () => {
    const src = source([{ name: 'fresh', kind: 'freshness', maxAgeSeconds: 60 }]);
    // Newest event 30 s before arrival: fresh. Newest 90 s: stale.
    const fresh = batch(src, [row(30), row(300)]);
    expect(fresh.report?.newestEventAgeSeconds).toBe(30);
    expect(fresh.outcome('fresh')).toMatchObject({ checked: 1, failed: 0, holds: true });
    const stale = batch(src, [row(90), row(300)]);
    expect(stale.report?.newestEventAgeSeconds).toBe(90);
    expect(stale.outcome('fresh')).toMatchObject({ checked: 1, failed: 1 });
  });

  it('volume_per_hour is not judged per batch (EventsInBatch carries it); a source without events reports no age', () => {
    const src = source([{ name: 'busy', kind: 'volume_per_hour', min: 10 }]);
    const b = batch(src, [row(1), row(2)]);
    expect(b.report).toEqual({ source: 'readings', events: 2, newestEventAgeSeconds: 1, expectations: [] });
  });
});

describe('definitions', () => {
  it.each([
    [[{ name: 'Bad', kind: 'range', field: 'value', max: 1 }], /source readings: expectation "Bad" needs a snake_case name/],
    [[{ name: 'x', kind: 'range', field: 'nope', max: 1 }], /expectation "x" reads unknown field "nope"/],
    [[{ name: 'x', kind: 'range', field: 'kind', max: 1 }], /\(range\) needs a numeric field; "kind" is not one/],
    [[{ name: 'x', kind: 'range', field: 'value' }], /needs min, max or both/],
    [[{ name: 'x', kind: 'range', field: 'value', min: 2, max: 1 }], /has min 2 above max 1/],
    [[{ name: 'x', kind: 'allowed_values', field: 'kind', values: [] }], /needs at least one value/],
    [[{ name: 'x', kind: 'not_null', field: 'kind', minRate: 1.5 }], /needs minRate from 0 to 1/],
    [[{ name: 'x', kind: 'not_null', field: 'kind', minRate: 0.9, severity: 'hard' }], /is hard, so every event must have/],
    [[{ name: 'x', kind: 'freshness', maxAgeSeconds: 60, severity: 'hard' }], /\(freshness\) cannot be hard/],
    [[{ name: 'x', kind: 'unique_within_batch', field: 'id', severity: 'hard' }], /cannot be hard/],
    [[{ name: 'x', kind: 'volume_per_hour' }], /needs min, max or both \(events per hour\)/],
    [[{ name: 'x', kind: 'freshness', maxAgeSeconds: 0 }], /needs maxAgeSeconds above 0/],
    [[{ name: 'x', kind: 'median', field: 'value' }], /unknown kind "median"/],
    [
      [
        { name: 'x', kind: 'freshness', maxAgeSeconds: 1 },
        { name: 'x', kind: 'freshness', maxAgeSeconds: 2 },
      ],
      /expectation "x" is declared twice/,
    ],
  ])('refuses %j', (expectations, message) => {
    expect(() => source(expectations as Expectation[])).toThrow(message);
  });

  const view = (expectations: readonly Expectation[]) =>
    defineFeatureView({
      name: 'v',
      description: '',
      entity: user,
      source: clickstream,
      windows: [{ name: '1h', length: '1h', hop: '10m' }],
      ttl: '2h',
      aggregations: [{ name: 'a', kind: 'count', description: '' }],
      expectations,
    });

  it('a view adds soft expectations on its source events, under a name of its own', () => {
    expect(() => view([{ name: 'device_present', kind: 'not_null', field: 'device', minRate: 0.5 }])).not.toThrow();
    expect(() =>
      view([{ name: 'device_known', kind: 'allowed_values', field: 'device', values: ['mobile'], severity: 'hard' }]),
    ).toThrow(/feature view v: expectation "device_known" cannot be hard here/);
    expect(() => view([{ name: 'price_plausible', kind: 'range', field: 'price', max: 1 }])).toThrow(/declared twice/);
    const a = view([{ name: 'device_present', kind: 'not_null', field: 'device', minRate: 0.5 }]);
    const b = { ...a, name: 'w' };
    expect(() => defineCatalog({ sources: [clickstream], entities: [user], featureViews: [a, b] })).toThrow(
      /expectation "device_present" of source clickstream is declared by v and w/,
    );
  });

  it('view expectations are counted with the source, under its name', () => {
    const v = view([{ name: 'device_present', kind: 'not_null', field: 'device', minRate: 0.5 }]);
    const check = createQualityCheck([clickstream], [v]).start();
    const decode = createRecordDecoder([clickstream], policy);
    const good = { source: 'clickstream', event_id: 'e', user_id: 'u', event_type: 'page_view', event_time: NOW };
    for (const record of asRecords([good, { ...good, device: 'mobile' }], { arrivalTimeMs: NOW })) {
      const d = decode(record);
      if (d.ok) check.add(d.event);
    }
    const [report] = check.report();
    expect(report?.source).toBe('clickstream');
    expect(report?.expectations.find((e) => e.name === 'device_present')).toMatchObject({ checked: 2, failed: 1, holds: true });
  });
});

describe('metrics', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
    vi.restoreAllMocks();
  });

  it('publishes per source and per expectation, with exactly their dimensions beside the defaults', () => {
    vi.stubEnv('POWERTOOLS_DEV', 'true');
    vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'false');
    const lines: string[] = [];
    vi.spyOn(console, 'log').mockImplementation((line: string) => void lines.push(line));
    const metrics = new Metrics({
      namespace: 'featurelake',
      serviceName: 'lake-writer',
      defaultDimensions: { environment: 'test' },
    });
    publishQuality(metrics, [
      {
        source: 'readings',
        events: 4,
        newestEventAgeSeconds: 12.5,
        expectations: [{ name: 'value_range', kind: 'range', severity: 'soft', checked: 4, failed: 1, holds: false }],
      },
    ]);
    const records = lines.map((l) => JSON.parse(l));
    expect(records).toHaveLength(2);
    const [perSource, perExpectation] = records;
    expect(perSource._aws.CloudWatchMetrics[0].Dimensions).toEqual([['service', 'environment', 'source']]);
    expect(perSource).toMatchObject({ source: 'readings', [DQ_METRICS.eventsInBatch]: 4, [DQ_METRICS.newestEventAge]: 12.5 });
    expect(perExpectation._aws.CloudWatchMetrics[0].Dimensions).toEqual([
      ['service', 'environment', 'source', 'expectation', 'severity'],
    ]);
    expect(perExpectation).toMatchObject({
      source: 'readings',
      expectation: 'value_range',
      severity: 'soft',
      [DQ_METRICS.checked]: 4,
      [DQ_METRICS.failures]: 1,
    });
    expect(perExpectation._aws.CloudWatchMetrics[0].Metrics).toEqual([
      { Name: 'ExpectationChecked', Unit: 'Count' },
      { Name: 'ExpectationFailures', Unit: 'Count' },
    ]);
  });

  it('gives an alarm its thresholds from the catalog', () => {
    const thresholds = expectationThresholds(exampleCatalog);
    expect(thresholds.find((t) => t.expectation === 'category_mostly_present')?.maxFailureRate).toBeCloseTo(0.3, 12);
    expect(thresholds.find((t) => t.expectation === 'hourly_volume')).toMatchObject({
      source: 'clickstream',
      eventsPerHour: { min: 1, max: 3_600_000 },
    });
    expect(thresholds.find((t) => t.expectation === 'fresh_within_5m')?.maxAgeSeconds).toBe(300);
  });
});
