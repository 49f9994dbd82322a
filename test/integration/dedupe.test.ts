/**
 * `dedupeBy` on the emulators: a producer that puts the same events twice
 * (a timed-out PutRecords that had succeeded, retried seconds later) counts
 * them once online and once in the lake; a retry of the batch that carried
 * the first occurrences keeps them; a repeat within one batch is dropped; a
 * repeat after the horizon counts again. Online values are checked against
 * the naive reference over the distinct events; lake rows read back with DuckDB.
 */
import { CreateBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import { createAggregator } from '../../src/aggregator/aggregate-batch.js';
import { dynamoDocumentClient, s3Client } from '../../src/aws/clients.js';
import type { StreamRecord } from '../../src/domain/records.js';
import { clickstream, user } from '../../src/features/catalog.js';
import { defineFeatureView, defineSource } from '../../src/features/define.js';
import { createLakeWriter } from '../../src/lake/lake-writer.js';
import { partitionSchemeFor } from '../../src/lake/layout.js';
import { encodeParquet } from '../../src/lake/parquet/index.js';
import { type Emulators, S3RVER_OBJECT_SUFFIX } from '../../src/local/emulators.js';
import { readFeatures } from '../../src/online-store/feature-reader.js';
import { duckdbQuery, sqlString } from '../support/duckdb.js';
import { useEmulators } from '../support/emulators.js';
import { asRecords, clickEvents } from '../support/events.js';
import { asReferenceEvents, createOnlineTable, expectServedAsReference } from '../support/online-store.js';

const MINUTE = 60_000;
const NOW = Date.now();
const policy = { maxLatenessMs: 86_400_000, maxClockSkewMs: 300_000 };

/** The clickstream, deduplicated on event_id within 10 minutes. */
const clicks = defineSource({
  ...clickstream,
  schema: clickstream.schema as z.ZodObject,
  dedupeBy: { field: 'event_id', horizon: '10m' },
});
const view = defineFeatureView({
  name: 'clicks_once',
  description: 'Counts of a deduplicated clickstream.',
  entity: user,
  source: clicks,
  windows: [
    { name: '1h', length: '1h', hop: '10m' },
    { name: 'all', length: 'lifetime' },
  ],
  ttl: '9d',
  aggregations: [
    { name: 'events', kind: 'count', description: '' },
    { name: 'spend', kind: 'sum', field: 'price', description: '' },
  ],
});

let emulators: Emulators;
let doc: DynamoDBDocumentClient;
let s3: S3Client;
let n = 0;

useEmulators('featurelake-dedupe-', async (started) => {
  emulators = started;
  doc = dynamoDocumentClient(emulators.env);
  s3 = s3Client(emulators.env);
});

async function fresh() {
  const tableName = `dedupe-${++n}`;
  await createOnlineTable(doc, tableName);
  for (const bucket of [`lake-${n}`, `quarantine-${n}`]) await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  const aggregate = createAggregator({
    doc,
    s3,
    tableName,
    quarantineBucket: `quarantine-${n}`,
    policy,
    sources: [clicks],
    views: [view],
  });
  const writeLake = createLakeWriter({
    s3,
    bucket: `lake-${n}`,
    quarantineBucket: `quarantine-${n}`,
    sources: [clicks],
    policy,
    scheme: (source) => partitionSchemeFor(source.name, { timePartitioning: 'hour' }),
    compression: 'snappy',
    encode: encodeParquet,
    dedupe: { doc, tableName },
  });
  const lakeRows = async () => {
    const [row] = await duckdbQuery(
      `SELECT count(*) AS rows, count(DISTINCT event_id) AS ids FROM read_parquet(${sqlString(`${emulators.s3Directory}/lake-${n}/**/*.parquet${S3RVER_OBJECT_SUFFIX}`)})`,
    );
    return { rows: Number(row?.rows), ids: Number(row?.ids) };
  };
  // As the event source mapping does: a batch that asks for a retry (a slow emulator under load) is delivered again.
  const untilDone =
    <R extends { retryFrom: readonly string[] }>(consume: (records: StreamRecord[]) => Promise<R>) =>
    async (records: StreamRecord[]): Promise<R> => {
      for (let attempt = 1; ; attempt++) {
        const result = await consume(records);
        if (result.retryFrom.length === 0 || attempt === 5) return result;
      }
    };
  const served = async (userId: string) =>
    (await readFeatures(userId, [view], NOW + MINUTE, { doc, tableName }))[view.name]?.features ?? {};
  return { tableName, aggregate: untilDone(aggregate), writeLake: untilDone(writeLake), lakeRows, served };
}

const events = clickEvents({ count: 300, users: 5, nowMs: NOW - 5 * MINUTE, spanMs: 30 * MINUTE, seed: 9 });
const reference = asReferenceEvents(events);
const users = [...new Set(events.map((e) => e.user_id))];

describe('dedupeBy', () => {
  it('counts a producer’s retried PutRecords once, online and in the lake, through retries of either batch', async () => {
    const store = await fresh();
    const first = asRecords(events, { arrivalTimeMs: NOW - 4 * MINUTE, firstSequence: 49_000_000_000_000_000n });
    // The producer timed out and put the second half again, a minute later: new sequence numbers, same event ids.
    const again = asRecords(events.slice(150), { arrivalTimeMs: NOW - 3 * MINUTE, firstSequence: 49_100_000_000_000_000n });
    for (const batch of [first, again, first, again]) {
      const result = await store.aggregate(batch);
      expect(result.retryFrom).toEqual([]);
      const lake = await store.writeLake(batch);
      expect(lake.retryFrom).toEqual([]);
    }
    // The first batch again (a retry) kept its events; the repeats were dropped each time by each consumer.
    for (const userId of users)
      await expectServedAsReference({ doc, tableName: store.tableName }, view, userId, reference, NOW + MINUTE);
    expect(await store.lakeRows()).toEqual({ rows: 300, ids: 300 });
  });

  it('drops a repeat within one batch, keeping the earlier sequence', async () => {
    const store = await fresh();
    const doubled = [...events.slice(0, 50), ...events.slice(0, 50)];
    const result = await store.aggregate(asRecords(doubled, { arrivalTimeMs: NOW - 4 * MINUTE }));
    expect(result.summary.duplicates).toBe(50);
    const lake = await store.writeLake(asRecords(doubled, { arrivalTimeMs: NOW - 4 * MINUTE }));
    expect(lake.summary.duplicates).toBe(50);
    expect(await store.lakeRows()).toEqual({ rows: 50, ids: 50 });
  });

  it('counts a repeat again once the horizon has passed', async () => {
    const store = await fresh();
    const one = [{ ...(events[0] as (typeof events)[number]), event_time: new Date(NOW - 20 * MINUTE).toISOString() }];
    await store.aggregate(asRecords(one, { arrivalTimeMs: NOW - 20 * MINUTE, firstSequence: 49_000_000_000n }));
    // 11 minutes later, past the 10-minute horizon: a new occurrence.
    const late = await store.aggregate(asRecords(one, { arrivalTimeMs: NOW - 9 * MINUTE, firstSequence: 49_500_000_000n }));
    expect(late.summary.duplicates).toBe(0);
    expect((await store.served(one[0]?.user_id as string)).events_all).toBe(2);
  });

  it('refuses a dedupeBy field the schema lacks, or a horizon over a day', () => {
    const schema = z.object({ id: z.string(), t: z.number() });
    expect(() =>
      defineSource({
        name: 's',
        description: '',
        schema,
        eventTimeField: 't',
        dedupeBy: { field: 'nope' as 'id', horizon: '1h' },
      }),
    ).toThrow(/dedupeBy field "nope" is not in its schema/);
    expect(() =>
      defineSource({ name: 's', description: '', schema, eventTimeField: 't', dedupeBy: { field: 'id', horizon: '2d' } }),
    ).toThrow(/horizon over a day/);
  });
});
