/**
 * End to end against any running featurelake stack (docs/targets.md):
 *
 *   npm run test:target -- <local-stack.json | cdk outputs file>
 *
 * Puts a run's clickstream events (unique entity ids, so it can run against a
 * shared deployment again and again) and a few invalid records on the stream,
 * then checks, through the public interfaces only: the API serves features
 * equal to counts and sums computed here from what was sent; every valid event
 * is in the Parquet lake exactly once, in its event time's partition; every
 * invalid record is quarantined once per consumer with its reason; and the API
 * refuses callers without a key and names the field of a malformed request.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { s3Client } from '../../src/aws/clients.js';
import type { Env } from '../../src/aws/env.js';
import { type ClickstreamRecord, generateClickstream } from '../../src/workloads/clickstream.js';
import { LakeReader, QuarantineReader, utcDays } from './bucket-readers.js';
import { getFeatures, putRecords, resolveApiKey, type SentRecord, waitFor } from './driver.js';
import { expectedFeatures, WINDOWS } from './expected-features.js';
import { clientEnv, loadTarget, type Target } from './target.js';

const MINUTE = 60_000;
const settings = process.env;
const file = settings.FEATURELAKE_TARGET;
if (!file) throw new Error('FEATURELAKE_TARGET is not set: run `npm run test:target -- <outputs file>`');
const target: Target = loadTarget(file, settings, settings.FEATURELAKE_TARGET_STACK || undefined);
const EVENTS = Number(settings.FEATURELAKE_TARGET_EVENTS || 1_000);
const USERS = Number(settings.FEATURELAKE_TARGET_USERS || 10);
/** Bounded waits: the consumer's batching window plus time to process and write. */
const featuresTimeoutMs = 1000 * Number(settings.FEATURELAKE_TARGET_FEATURES_TIMEOUT_S || target.aggregatorWindowSeconds + 180);
const lakeTimeoutMs = 1000 * Number(settings.FEATURELAKE_TARGET_LAKE_TIMEOUT_S || target.lake.batchingWindowSeconds + 240);
/** Listing filters allow this much clock difference between this machine and the target's storage. */
const CLOCK_SLACK_MS = 5 * MINUTE;

// Unique per run: every entity id, event id and partition key of the run starts with it.
const run = `e2e-${new Date().toISOString().replace(/\D/g, '').slice(0, 14)}-${randomBytes(3).toString('hex')}`;
const env: Env = clientEnv(target, settings);
let apiKey: string;
let s3: S3Client;
let lakeDir: string;
let startedMs: number;
let sentMs: number;
let valid: ClickstreamRecord[];
let invalid: { reason: string; field?: string; record: SentRecord }[];

beforeAll(async () => {
  if (target.api.auth === 'iam')
    throw new Error(`${target.description}: its API requires SigV4 (ApiAuth=iam, prod); this suite sends API keys only`);
  apiKey = await resolveApiKey(target, env);
  s3 = s3Client(env);
  lakeDir = mkdtempSync(path.join(tmpdir(), 'featurelake-target-'));
  const probe = await getFeatures(target, apiKey, 'user', `${run}-probe`).catch((error: Error) => {
    throw new Error(`${target.description}: the API at ${target.api.url} is unreachable (${error.message})`);
  });
  if (probe.status !== 200) throw new Error(`${target.description}: the API answered ${probe.status} to a valid request`);

  // 40 minutes of event time ending a minute ago: inside every window (1 h, 24 h, 7 d), never in the future.
  startedMs = Date.now();
  valid = generateClickstream({
    events: EVENTS,
    seed: 7,
    startMs: startedMs - 41 * MINUTE,
    ratePerSecond: EVENTS / (40 * 60),
    entities: USERS,
  }).map((e) => ({ ...e, user_id: `${run}-${e.user_id}`, event_id: `${run}-${e.event_id}` }));
  const base = valid[0] as ClickstreamRecord;
  const bad = (i: number, payload: string) => ({ data: payload, partitionKey: `${run}-invalid-${i}` });
  const variant = (i: number, change: Record<string, unknown>) =>
    bad(i, JSON.stringify({ ...base, event_id: `${run}-invalid-${i}`, ...change }));
  invalid = [
    { reason: 'not_json', record: bad(0, `{"source":"clickstream","user_id":"${base.user_id}",`) },
    { reason: 'not_an_object', record: bad(1, '[1,2,3]') },
    { reason: 'unknown_source', field: 'source', record: variant(2, { source: 'no_such_source' }) },
    { reason: 'schema_violation', field: 'event_type', record: variant(3, { event_type: 'hover' }) },
    { reason: 'schema_violation', field: 'price', record: variant(4, { event_type: 'purchase', price: -5 }) },
    {
      reason: 'future_event',
      field: 'event_time',
      record: variant(5, { event_time: new Date(startedMs + 120 * MINUTE).toISOString() }),
    },
  ];
  const records: SentRecord[] = valid.map((e) => ({ data: JSON.stringify(e), partitionKey: e.user_id }));
  const every = Math.floor(records.length / (invalid.length + 1));
  invalid.forEach((x, i) => {
    records.splice((i + 1) * every + i, 0, x.record);
  });
  await putRecords(target, env, records);
  sentMs = Date.now();
  console.log(`${run}: ${valid.length} events of ${USERS} users + ${invalid.length} invalid records put on ${target.streamName}`);
});

afterAll(() => {
  s3?.destroy();
  if (lakeDir) rmSync(lakeDir, { recursive: true, force: true });
});

describe(`featurelake at ${file}`, () => {
  it('refuses a request without the API key with 403', async () => {
    expect((await getFeatures(target, null, 'user', `${run}-user`)).status).toBe(403);
  });

  it.each([
    ['an unknown view', 'user', '?views=no_such_view', 400, 'views'],
    ['an unknown entity type', 'no_such_entity', '', 404, 'entityType'],
  ])('answers %s with a 4xx JSON error naming the field', async (_what, type, query, status, field) => {
    const response = await getFeatures(target, apiKey, type, `${run}-user`, query);
    expect(response.status).toBe(status);
    expect(response.contentType).toMatch(/json/);
    expect(response.body.field).toBe(field);
    expect(response.body.error).toBeTruthy();
  });

  it('answers an entity it has never seen with 200 and the documented defaults', async () => {
    const { status, body } = await getFeatures(target, apiKey, 'user', `${run}-nobody`);
    expect(status).toBe(200);
    const features = body.views.user_clickstream.features;
    expect([features.events_7d, features.revenue_24h, features.cart_rate_1h]).toEqual([0, 0, 0]);
    expect([features.avg_order_value_7d, features.last_event_type_1h]).toEqual([null, null]);
  });

  it('serves features equal to counts and sums of the events sent, for every user of the run', async () => {
    const expected = expectedFeatures(valid);
    const waited = await waitFor(
      `the API to count all ${valid.length} events of ${expected.size} users`,
      featuresTimeoutMs,
      async () => {
        let complete = 0;
        for (const [userId, user] of expected) {
          const { status, body } = await getFeatures(target, apiKey, 'user', userId);
          if (status === 200 && body.views?.user_clickstream?.features?.events_7d === user.events) complete++;
        }
        return { done: complete === expected.size, progress: `${complete} of ${expected.size} users show all their events` };
      },
    );
    console.log(`features complete ${((Date.now() - sentMs) / 1000).toFixed(1)} s after the last put (polled ${waited} ms)`);

    const oldestMs = Math.min(...valid.map((e) => Date.parse(e.event_time)));
    for (const [userId, user] of expected) {
      const { status, body } = await getFeatures(target, apiKey, 'user', userId);
      expect(status).toBe(200);
      // Every event must still be inside the shortest window for the expectations to hold.
      expect(Date.parse(body.asOf) - oldestMs, 'the run outlasted the 1 h window').toBeLessThan(60 * MINUTE);
      const served = body.views.user_clickstream;
      for (const [name, value] of Object.entries(user.features)) {
        if (typeof value === 'number') expect(served.features[name], `${userId} ${name}`).toBeCloseTo(value, 6);
        else expect(served.features[name], `${userId} ${name}`).toBe(value);
      }
      for (const window of WINDOWS)
        expect(Date.parse(served.freshness[`events_${window}`]), `${userId} freshness of events_${window}`).toBe(user.newestMs);
    }
  });

  it('lands every valid event in the lake exactly once, in the partition of its event time', async () => {
    const partitionOf = (eventTime: string) => {
      const iso = new Date(eventTime).toISOString();
      return `events/clickstream/dt=${iso.slice(0, 10)}/${target.lake.timePartitioning === 'hour' ? `hr=${iso.slice(11, 13)}/` : ''}`;
    };
    const partitions = [...new Set(valid.map((e) => partitionOf(e.event_time)))];
    const reader = new LakeReader(s3, target.lakeBucket, lakeDir);
    const wanted = new Set(valid.map((e) => e.event_id));
    let rows: Awaited<ReturnType<LakeReader['rows']>>['rows'] = [];
    await waitFor(
      `the lake writer's files (batching window ${target.lake.batchingWindowSeconds} s) to hold all ${valid.length} events`,
      Math.max(0, sentMs + lakeTimeoutMs - Date.now()),
      async () => {
        const read = await reader.rows(partitions, startedMs - CLOCK_SLACK_MS, `${run}-`);
        rows = read.rows;
        const found = new Set(rows.map((r) => r.event_id).filter((id) => wanted.has(id))).size;
        return { done: found === wanted.size, progress: `${found} of ${wanted.size} events found in ${read.files} files` };
      },
      5_000,
    );
    console.log(`lake complete ${((Date.now() - sentMs) / 1000).toFixed(1)} s after the last put`);

    const perEvent = new Map<string, number>();
    for (const row of rows) perEvent.set(row.event_id, (perEvent.get(row.event_id) ?? 0) + 1);
    expect(
      [...perEvent.entries()].filter(([, n]) => n !== 1),
      'events not exactly once',
    ).toEqual([]);
    expect(rows).toHaveLength(valid.length);
    const byId = new Map(rows.map((r) => [r.event_id, r]));
    for (const sent of valid) {
      const row = byId.get(sent.event_id);
      if (!row) throw new Error(`${sent.event_id} is not in the lake`);
      const { key, ...values } = row;
      expect(values).toEqual({
        event_id: sent.event_id,
        user_id: sent.user_id,
        event_type: sent.event_type,
        price: sent.price ?? null,
        event_time_ms: Date.parse(sent.event_time),
      });
      expect(key.startsWith(partitionOf(sent.event_time)), `${key} is not in ${partitionOf(sent.event_time)}`).toBe(true);
    }
  });

  it.each(['aggregator', 'lake-writer'])('quarantines every invalid record once, with its reason (%s)', async (consumer) => {
    const reader = new QuarantineReader(s3, target.quarantineBucket, consumer);
    const days = () => utcDays(startedMs - CLOCK_SLACK_MS, Date.now() + CLOCK_SLACK_MS);
    let found: Awaited<ReturnType<QuarantineReader['objects']>> = [];
    await waitFor(
      `${invalid.length} invalid records in s3://${target.quarantineBucket}/invalid/consumer=${consumer}/`,
      Math.max(0, sentMs + lakeTimeoutMs - Date.now()),
      async () => {
        found = await reader.objects(days(), startedMs - CLOCK_SLACK_MS, `${run}-`);
        return { done: found.length >= invalid.length, progress: `${found.length} found` };
      },
    );
    // Exactly the invalid records: no valid event of the run is quarantined, none twice.
    expect(found.map((o) => o.partitionKey).sort()).toEqual(invalid.map((x) => x.record.partitionKey).sort());
    for (const x of invalid) {
      const object = found.find((o) => o.partitionKey === x.record.partitionKey);
      expect(object?.reason, x.record.data).toBe(x.reason);
      expect(object?.payload).toBe(x.record.data);
      if (x.field) expect(object?.detail).toContain(x.field);
    }
  });
});
