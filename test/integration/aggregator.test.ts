/**
 * The aggregator's batch logic against real DynamoDB and S3 emulators
 * (dynalite, s3rver): exact features, exactly-once under duplicate delivery,
 * a crash halfway through a batch, overlapping replays, and quarantine.
 */

import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { type DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { createAggregator } from '../../src/aggregator/aggregate-batch.js';
import { dynamoDocumentClient, s3Client } from '../../src/aws/clients.js';
import type { StreamRecord } from '../../src/domain/records.js';
import { appMetrics, appUserMetrics, sources, userClickstream } from '../../src/features/catalog.js';
import type { FeatureView } from '../../src/features/define.js';
import { listenerActivity, songPlays } from '../../src/features/examples/music.js';
import { objectAccess } from '../../src/features/examples/tiering.js';
import type { Emulators } from '../../src/local/emulators.js';
import { readFeatures } from '../../src/online-store/feature-reader.js';
import { headFromItem } from '../../src/online-store/head-item.js';
import { workloads } from '../../src/workloads/index.js';
import { Random } from '../../src/workloads/random.js';
import { useEmulators } from '../support/emulators.js';
import { asRecords, clickEvents } from '../support/events.js';
import { asReferenceEvents, createOnlineTable, expectServedAsReference } from '../support/online-store.js';

const DAY = 86_400_000;
const NOW = Date.now();
const policy = { maxLatenessMs: 8 * DAY, maxClockSkewMs: 300_000 };

let emulators: Emulators;
let doc: DynamoDBDocumentClient;
let s3: S3Client;
let tableCounter = 0;

useEmulators('featurelake-agg-', async (started) => {
  emulators = started;
  doc = dynamoDocumentClient(emulators.env);
  s3 = s3Client(emulators.env);
});

/** A fresh table and bucket per test, so tests cannot see each other's tiles. */
async function freshStore(views: readonly FeatureView[] = [userClickstream]) {
  const tableName = `tiles-${++tableCounter}`;
  const bucket = `quarantine-${tableCounter}`;
  await createOnlineTable(doc, tableName);
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  const options = { doc, s3, tableName, quarantineBucket: bucket, policy, sources, views };
  return { tableName, bucket, options, aggregate: createAggregator(options) };
}

/** A DocumentClient whose writes (UpdateItem, PutItem) fail after the first `n`: a Lambda dying mid-batch. */
function crashingAfter(n: number): DynamoDBDocumentClient {
  const crashing = dynamoDocumentClient(emulators.env);
  let updates = 0;
  crashing.middlewareStack.add(
    (next, context) => async (args) => {
      if (/^(UpdateItem|PutItem)Command$/.test(context.commandName ?? '') && ++updates > n) throw new Error('simulated crash');
      return next(args);
    },
    { step: 'initialize', name: 'crash-after-n' },
  );
  return crashing;
}

const payloads = clickEvents({ count: 2_000, users: 25, nowMs: NOW, spanMs: 7.5 * DAY, seed: 7 });
const records = asRecords(payloads, { arrivalTimeMs: NOW });
const users = [...new Set(payloads.map((p) => p.user_id))];

async function expectFeaturesMatchReference(tableName: string, events: typeof payloads) {
  const reference = asReferenceEvents(events);
  for (const userId of users.slice(0, 8))
    await expectServedAsReference({ doc, tableName }, userClickstream, userId, reference, NOW);
}

describe('aggregator on dynalite + s3rver', () => {
  it('serves exactly the features a brute-force scan of the events gives', async () => {
    const { tableName, aggregate } = await freshStore();
    for (let i = 0; i < records.length; i += 500) {
      const result = await aggregate(records.slice(i, i + 500));
      expect(result.retryFrom).toEqual([]);
    }
    await expectFeaturesMatchReference(tableName, payloads);
  });

  it('a batch delivered twice leaves the totals unchanged', async () => {
    const { tableName, aggregate } = await freshStore();
    const first = await aggregate(records);
    const second = await aggregate(records);
    expect(first.summary.tilesWritten).toBeGreaterThan(0);
    expect(second.summary.tilesWritten).toBe(0);
    // Every tile was applied, or is a closed tile no window reads any more (not written at all).
    expect(second.summary.tilesAlreadyApplied + second.summary.tilesOutOfReach).toBe(first.summary.tiles);
    await expectFeaturesMatchReference(tableName, payloads);
  });

  it('a crash halfway through a batch, then a retry, gives the totals of one clean run', async () => {
    const { tableName, options } = await freshStore();
    // 25 users: 10 of their heads are written, the other 15 and every put of a closed tile fail.
    const crashed = await createAggregator({ ...options, doc: crashingAfter(10) })(records);
    expect(crashed.summary.tilesWritten).toBe(10);
    expect(crashed.retryFrom).toHaveLength(1);
    // Lambda restarts from the reported sequence number: only the records from there on come back.
    const from = records.findIndex((r) => r.sequenceNumber === crashed.retryFrom[0]);
    const retried = await createAggregator(options)(records.slice(from));
    expect(retried.retryFrom).toEqual([]);
    await expectFeaturesMatchReference(tableName, payloads);
  });

  it('overlapping and bisected re-deliveries add only what was never added', async () => {
    const { tableName, aggregate } = await freshStore();
    await aggregate(records.slice(0, 1_200));
    await aggregate(records.slice(600, 900)); // a bisected half, re-delivered
    await aggregate(records.slice(800, 2_000)); // a replay overlapping what was applied
    await expectFeaturesMatchReference(tableName, payloads);
  });

  it('serves seed 004’s metric sums per user and per app as a brute-force scan of the logs gives', async () => {
    const { tableName, aggregate } = await freshStore([appUserMetrics, appMetrics]);
    // 1,500 log rows of 12 users over the last 26 hours: inside and outside both windows, out of order by user.
    const logs = [
      ...(workloads['app-logs']?.generate({
        events: 1_500,
        seed: 4,
        startMs: NOW - 26 * 3_600_000,
        ratePerSecond: 1_500 / (26 * 3_600),
        entities: 12,
      }) ?? []),
    ] as unknown as Record<string, unknown>[];
    const result = await aggregate(asRecords(logs, { arrivalTimeMs: NOW }));
    expect(result.summary.valid).toBe(logs.length);
    expect(result.retryFrom).toEqual([]);
    const reference = asReferenceEvents(logs, (row) => Date.parse(row.timestamp as string));
    for (const [view, field] of [
      [appUserMetrics, 'user'],
      [appMetrics, 'app'],
    ] as const) {
      const ids = [...new Set(logs.map((l) => l[field] as string))];
      expect(ids.length).toBeGreaterThan(1);
      for (const id of ids) await expectServedAsReference({ doc, tableName }, view, id, reference, NOW, `${view.name} ${id}`);
    }
  });

  it.each([
    // Seed 000: 40 objects, 100 users (so every distinct count stays exact), ISO timestamps.
    ['tiering', [objectAccess], { entities: 40 }, (e: Record<string, unknown>) => Date.parse(e.timestamp as string)],
    // Seed 003: 30 listeners, 60 songs, epoch-millisecond ts; one source feeding a song view and a listener view.
    ['music', [songPlays, listenerActivity], { entities: 30, songs: 60 }, (e: Record<string, unknown>) => e.ts as number],
  ] as const)('serves the %s example’s views as a brute-force scan of its events gives', async (name, views, pool, timeOf) => {
    const { tableName, aggregate } = await freshStore(views);
    // 1,500 events over the last 7.9 days: inside and outside every window (7 d reads back to 8 d).
    const span = 7.9 * DAY;
    const events = [
      ...(workloads[name]?.generate({
        events: 1_500,
        seed: 3,
        startMs: NOW - span,
        ratePerSecond: 1_500 / (span / 1000),
        ...pool,
      }) ?? []),
    ] as unknown as Record<string, unknown>[];
    // Delivered out of order (a fixed shuffle), in batches of 500: the tiles must not care.
    const random = new Random(11);
    const order = events.map((event) => ({ event, key: random.next() })).sort((a, b) => a.key - b.key);
    const shuffled = order.map((o) => o.event);
    const records = asRecords(shuffled, { arrivalTimeMs: NOW });
    for (let i = 0; i < records.length; i += 500) {
      const result = await aggregate(records.slice(i, i + 500));
      expect(result.summary.valid).toBe(Math.min(500, records.length - i));
      expect(result.retryFrom).toEqual([]);
    }
    const reference = asReferenceEvents(shuffled, timeOf);
    for (const view of views) {
      const key = view.entity.keyField;
      // The first 20 entities to appear: popular and tail ones alike, and a bounded number of reads.
      const ids = [...new Set(events.map((e) => e[key] as string))].slice(0, 20);
      expect(ids.length, view.name).toBe(20);
      const seen = new Map<string, Set<string>>();
      for (const id of ids) {
        const expected = await expectServedAsReference({ doc, tableName }, view, id, reference, NOW, `${view.name} ${id}`);
        for (const [feature, value] of Object.entries(expected))
          seen.set(feature, (seen.get(feature) ?? new Set()).add(JSON.stringify(value)));
      }
      // A comparison of zeros proves nothing: over the longest window (and the trends) every feature varies by entity.
      const longest = view.windows.at(-1)?.name;
      for (const [feature, values] of seen)
        if (feature.endsWith(`_${longest}`) || view.trends.some((t) => t.name === feature))
          expect(values.size, `${view.name} ${feature} across entities`).toBeGreaterThan(1);
    }
  });

  it('stores and serves states past 2^53 (a variance of large prices) through DynamoDB', async () => {
    const { tableName, aggregate } = await freshStore();
    const at = (ms: number) => new Date(ms).toISOString();
    const big = [0, 2e8, 3e8].map((price, i) => ({
      source: 'clickstream',
      event_id: `big-${i}`,
      user_id: 'big_spender',
      event_type: 'page_view',
      price,
      event_time: at(NOW - 60_000 * (i + 1)),
    }));
    const result = await aggregate(asRecords(big, { arrivalTimeMs: NOW }));
    expect(result.retryFrom).toEqual([]);
    const served = (await readFeatures('big_spender', [userClickstream], NOW, { doc, tableName })).user_clickstream;
    // Sample stddev of 0, 2e8, 3e8, worked out by hand: mean 5e8/3, squared deviations sum to 4.666…e16, over 2.
    const expected = Math.sqrt((0 - 5e8 / 3) ** 2 / 2 + (2e8 - 5e8 / 3) ** 2 / 2 + (3e8 - 5e8 / 3) ** 2 / 2);
    expect(served?.features.price_viewed_stddev_1h as number).toBeCloseTo(expected, 3);
    expect(served?.features.price_viewed_stddev_lifetime as number).toBeCloseTo(expected, 3);
  });

  it('keeps the lifetime tile in a head without an expiry (DynamoDB TTL never deletes it), closed tiles with one', async () => {
    const { tableName, aggregate } = await freshStore();
    await aggregate(records);
    const userId = (payloads[0] as { user_id: string }).user_id;
    const items = await doc.send(
      new QueryCommand({
        TableName: tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': `user#${userId}` },
      }),
    );
    const heads = (items.Items ?? []).filter((i) => i.sk === 'user_clickstream#head');
    const closed = (items.Items ?? []).filter((i) => i.sk !== 'user_clickstream#head');
    expect(heads).toHaveLength(1);
    expect(heads[0]).not.toHaveProperty('ttl');
    expect(headFromItem(userClickstream, heads[0]).open.find((t) => t.h === 0)?.states[0]?.n).toBe(
      payloads.filter((p) => p.user_id === userId).length,
    );
    expect(closed.filter((i) => /#0#000000000000$/.test(i.sk as string))).toHaveLength(0);
    expect(closed.length).toBeGreaterThan(0);
    for (const item of closed) expect(typeof item.ttl).toBe('number');
  });

  it('accepts events of a source no view reads without quarantining or aggregating them', async () => {
    const { aggregate } = await freshStore();
    const log = { source: 'app_logs', timestamp: new Date(NOW).toISOString(), user: 'user1', app: 'maps' };
    const metrics = Object.fromEntries(Array.from({ length: 9 }, (_, i) => [`metric_${i + 1}`, i]));
    const result = await aggregate(asRecords([{ ...log, ...metrics }], { arrivalTimeMs: NOW }));
    expect(result.summary).toMatchObject({ valid: 1, quarantined: {}, tiles: 0 });
  });

  it('quarantines every poison record with its reason and counts every good event', async () => {
    const { tableName, bucket, aggregate } = await freshStore();
    const mixed: unknown[] = payloads.slice(0, 990).flatMap((p, i) => {
      if (i % 99 !== 50) return [p];
      const poison = [
        '{"truncated": ',
        { ...p, source: 'unknown-source' },
        { ...p, event_type: 'hover' },
        { ...p, event_time: new Date(NOW - 9 * DAY).toISOString() },
        { ...p, event_time: new Date(NOW + DAY).toISOString() },
      ][((i - 50) / 99) % 5];
      return [p, poison];
    });
    const batch: StreamRecord[] = asRecords(mixed, { arrivalTimeMs: NOW });
    const good = payloads.slice(0, 990);
    const result = await aggregate(batch);
    expect(result.retryFrom).toEqual([]);
    expect(result.summary.valid).toBe(990);
    expect(result.summary.quarantined).toEqual({
      not_json: 2,
      unknown_source: 2,
      schema_violation: 2,
      late_event: 2,
      future_event: 2,
    });

    const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'invalid/consumer=aggregator/' }));
    expect(listed.KeyCount).toBe(10);
    const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: listed.Contents?.[0]?.Key }));
    const body = JSON.parse(await (object.Body as { transformToString(): Promise<string> }).transformToString());
    const original = batch.find((r) => r.sequenceNumber === body.sequenceNumber);
    expect(body.dataBase64).toBe(original?.data);
    expect(body.reason).toMatch(/not_json|unknown_source|schema_violation|late_event|future_event/);
    expect(body.detail.length).toBeGreaterThan(5);

    await expectFeaturesMatchReference(tableName, good);
  });
});
