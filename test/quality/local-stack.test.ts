/**
 * Data quality end to end on the embedded local stack (the example catalog's
 * clickstream expectations): events put on the stream, both consumers' real
 * handlers through their event source mappings, their EMF metrics read back
 * from stdout. An event breaking the hard `price_plausible` lands in the
 * quarantine of both consumers with its expectation's name, and neither in
 * the lake nor in the features served; an event breaking the soft
 * `price_typical` is counted and kept. The daily report, run as
 * `featurelake query data_quality_daily` runs it locally, counts what the lake
 * writer's metrics counted. Expected figures come from the events as sent.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { s3Client } from '../../src/aws/clients.js';
import { resolveLakeTarget } from '../../src/cli/lake-target.js';
import { exampleCatalog } from '../../src/features/catalog.js';
import { type LocalStack, startLocalStack } from '../../src/local/stack.js';
import { DQ_METRICS } from '../../src/quality/metrics.js';
import { DATA_QUALITY_QUERY } from '../../src/quality/report-sql.js';
import { bindParams, resolveQuery } from '../../src/query/sql-library.js';
import { clickEvents } from '../support/events.js';
import { putOnStream } from '../support/stream.js';

const DAY = 86_400_000;
const now = Date.now();
/** 300 events of the last 10 minutes; a third of them without a category (not_null's share). */
const good = clickEvents({ count: 300, users: 5, nowMs: now, spanMs: 600_000, seed: 41 }).map((e, i) => ({
  ...e,
  event_id: `dq-${i}`,
  user_id: `dq-${e.user_id}`,
  price: Math.min(e.price ?? 10, 100_000),
}));
/** Soft: a price above 100,000 (price_typical) is counted and kept. */
const unusual = [0, 1, 2, 3].map((i) => ({ ...good[i], event_id: `dq-unusual-${i}`, user_id: 'dq-whale', price: 250_000 + i }));
/** Hard: a price above a billion (price_plausible) is quarantined. */
const corrupt = [0, 1, 2].map((i) => ({ ...good[i], event_id: `dq-corrupt-${i}`, user_id: 'dq-whale', price: 5e9 + i }));
const sent = [...good.slice(0, 150), ...corrupt, ...unusual, ...good.slice(150)];

let stack: LocalStack;
let dir: string;
const emf: Record<string, any>[] = [];

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'featurelake-dq-'));
  // Powertools writes EMF to the global console in dev mode: the metrics as CloudWatch would receive them.
  vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'false');
  vi.stubEnv('POWERTOOLS_DEV', 'true');
  const log = console.log;
  vi.spyOn(console, 'log').mockImplementation((line: unknown, ...rest: unknown[]) => {
    if (typeof line === 'string' && line.includes('"_aws"')) emf.push(JSON.parse(line));
    else log(line, ...rest);
  });
  stack = await startLocalStack({ stateDir: dir, mappingOverrides: { maxBatchingWindowSeconds: 1 } });
  await putOnStream(stack, sent, (e) => String((e as { user_id?: unknown }).user_id));
  await stack.drain();
});

afterAll(async () => {
  await stack?.stop();
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Sums of a metric over every EMF record of one function with these dimension values. */
function metricSum(service: string, metric: string, dimensions: Record<string, string>): number {
  return emf
    .filter((r) => r.service === service && Object.entries(dimensions).every(([k, v]) => r[k] === v) && metric in r)
    .reduce((total, r) => total + Number(r[metric]), 0);
}

const kept = [...good, ...unusual];
const withoutCategory = kept.filter((e) => e.category === undefined).length;

describe('data quality on the local stack', () => {
  it('quarantines the events breaking a hard expectation with its name, in both consumers', async () => {
    const s3 = s3Client(stack.clientEnv);
    for (const consumer of ['aggregator', 'lake-writer']) {
      const listed = await s3.send(
        new ListObjectsV2Command({ Bucket: stack.info.resources.quarantineBucket, Prefix: `invalid/consumer=${consumer}/` }),
      );
      const bodies = await Promise.all(
        (listed.Contents ?? []).map(async (o) => {
          const got = await s3.send(new GetObjectCommand({ Bucket: stack.info.resources.quarantineBucket, Key: o.Key }));
          return JSON.parse(await (got.Body as { transformToString(): Promise<string> }).transformToString());
        }),
      );
      expect(bodies.map((b) => JSON.parse(Buffer.from(b.dataBase64, 'base64').toString()).event_id).sort(), consumer).toEqual(
        corrupt.map((e) => e.event_id).sort(),
      );
      for (const body of bodies) {
        expect(body.reason).toBe('expectation_failed');
        expect(body.detail).toMatch(/^expectation:price_plausible: price 5000000\d{3} is outside \[-∞, 1000000000\]$/);
      }
    }
  });

  it('keeps the soft failures in the features served, never the hard ones', async () => {
    const response = await fetch(`${stack.info.api.url}/features/user/dq-whale`, {
      headers: { 'x-api-key': stack.info.api.key },
    });
    const body = (await response.json()) as { views: Record<string, { features: Record<string, unknown> }> };
    const features = body.views.user_clickstream?.features ?? {};
    expect(features.events_lifetime).toBe(unusual.length);
    expect(features.max_price_viewed_lifetime).toBeLessThan(1e9);
  });

  it('publishes per source and expectation what each consumer counted: hard ones quarantined, soft ones kept', () => {
    for (const service of ['aggregator', 'lake-writer']) {
      const clicks = { source: 'clickstream' };
      expect(metricSum(service, DQ_METRICS.eventsInBatch, clicks), service).toBe(kept.length);
      const count = (expectation: string, severity: string) => ({
        checked: metricSum(service, DQ_METRICS.checked, { ...clicks, expectation, severity }),
        failed: metricSum(service, DQ_METRICS.failures, { ...clicks, expectation, severity }),
      });
      expect(count('price_plausible', 'hard'), service).toEqual({
        checked: kept.length + corrupt.length,
        failed: corrupt.length,
      });
      expect(count('price_typical', 'soft'), service).toEqual({ checked: kept.length, failed: unusual.length });
      expect(count('category_mostly_present', 'soft'), service).toEqual({ checked: kept.length, failed: withoutCategory });
      expect(count('event_id_unique', 'soft').failed, service).toBe(0);
      expect(metricSum(service, DQ_METRICS.newestEventAge, clicks), service).toBeGreaterThanOrEqual(0);
    }
  });

  it('gives the same counts offline: the daily report over the lake (featurelake query data_quality_daily)', async () => {
    const target = await resolveLakeTarget({ stateDir: dir }, { sources: exampleCatalog.sources });
    try {
      const start = new Date(Math.floor((now - DAY) / DAY) * DAY).toISOString();
      const end = new Date(Math.floor(now / DAY) * DAY + DAY).toISOString();
      const result = await target.run(bindParams(resolveQuery(DATA_QUALITY_QUERY), { start, end }, target.layout));
      const row = (expectation: string) => result.rows.find((r) => r.source === 'clickstream' && r.expectation === expectation);
      const lake = 'lake-writer';
      for (const expectation of ['price_typical', 'category_mostly_present', 'event_id_unique']) {
        expect({ expectation, checked: Number(row(expectation)?.checked), failed: Number(row(expectation)?.failed) }).toEqual({
          expectation,
          checked: metricSum(lake, DQ_METRICS.checked, { source: 'clickstream', expectation }),
          failed: metricSum(lake, DQ_METRICS.failures, { source: 'clickstream', expectation }),
        });
      }
      // The lake holds none of the quarantined: checked = events kept, failed = 0.
      expect([Number(row('price_plausible')?.checked), Number(row('price_plausible')?.failed)]).toEqual([kept.length, 0]);
      expect(row('price_typical')?.holds).toBe(false);
    } finally {
      target.close();
    }
  });
});
