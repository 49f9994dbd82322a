/**
 * End to end on the embedded local stack, built from the synthesized CDK
 * template: PutRecords on the real (emulated) stream → event source mappings →
 * aggregator → DynamoDB → the HTTP API, and → lake writer → Parquet in S3.
 * Every feature is compared with a brute-force computation of the documented
 * semantics at the API's `asOf`; the lake is read back with DuckDB.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { s3Client } from '../../src/aws/clients.js';
import { userClickstream } from '../../src/features/catalog.js';
import { type LocalStack, startLocalStack } from '../../src/local/stack.js';
import { duckdbQuery, sqlString } from '../support/duckdb.js';
import { clickEvents } from '../support/events.js';
import { deliveryFaults } from '../support/faults.js';
import { expectFeatures, referenceFeatures } from '../support/reference.js';
import { putOnStream } from '../support/stream.js';

const HOUR = 3_600_000;
/** Delivery faults around each real stream consumer's handler, switched per scenario. */
const faults = deliveryFaults();

let stack: LocalStack;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'featurelake-e2e-'));
  stack = await startLocalStack({
    stateDir: dir,
    // One-second windows keep the suite quick; every other mapping setting is the dev template's.
    mappingOverrides: { maxBatchingWindowSeconds: 1 },
    wrapKinesisHandler: faults.wrap,
  });
});

afterAll(async () => {
  await stack?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const put = (payloads: readonly unknown[]) =>
  putOnStream(stack, payloads, (p) => String((p as { user_id?: string }).user_id || 'poison'));

async function getFeatures(entityType: string, id: string, query = '', headers: Record<string, string> = {}) {
  const response = await fetch(`${stack.info.api.url}/features/${entityType}/${encodeURIComponent(id)}${query}`, {
    headers: { 'x-api-key': stack.info.api.key, ...headers },
  });
  return { status: response.status, body: (await response.json()) as Record<string, any> };
}

/** Asserts the API serves, for each user, exactly what the reference computes from `events` at the API's asOf. */
async function expectServedFeatures(events: ReturnType<typeof clickEvents>) {
  const users = [...new Set(events.map((e) => e.user_id))];
  for (const userId of users) {
    const { status, body } = await getFeatures('user', userId);
    expect(status).toBe(200);
    const asOf = Date.parse(body.asOf);
    const mine = events
      .map((e, order) => ({ data: e as Record<string, unknown>, eventTimeMs: Date.parse(e.event_time), order }))
      .filter((e) => e.data.user_id === userId);
    const expected = referenceFeatures(userClickstream, mine, asOf);
    const served = body.views[userClickstream.name];
    expectFeatures(served.features, expected.features, userId);
    expect(served.freshness).toEqual(expected.freshness);
  }
}

function scenarioEvents(prefix: string, count: number, seed: number) {
  // Within the dev environment's 24 h lateness; generated in random (out-of-order) event-time order.
  return clickEvents({ count, users: 6, nowMs: Date.now(), spanMs: 20 * HOUR, seed }).map((e) => ({
    ...e,
    user_id: `${prefix}-${e.user_id}`,
  }));
}

describe('the local stack, end to end', () => {
  it('says in local-stack.json how its lake writer runs (dev: hourly partitions; the 1 s window this suite asked for)', () => {
    const written = JSON.parse(readFileSync(stack.infoFile, 'utf8')) as { lake?: unknown };
    expect(written.lake).toEqual({ timePartitioning: 'hour', batchingWindowSeconds: 1 });
  });

  it('serves, over HTTP, exactly the features of a known (out-of-order) event set', async () => {
    faults.mode = 'normal';
    const events = scenarioEvents('known', 1_500, 21);
    await put(events);
    await stack.drain();
    await expectServedFeatures(events);
  });

  it('a batch delivered twice leaves the totals unchanged', async () => {
    faults.mode = 'twice';
    const events = scenarioEvents('twice', 1_200, 22);
    await put(events);
    await stack.drain();
    faults.mode = 'normal';
    await expectServedFeatures(events);
  });

  it('a crash halfway through a batch, then the retry, gives the totals of one clean run', async () => {
    faults.mode = 'crash-halfway';
    faults.crashed.clear();
    const events = scenarioEvents('crash', 1_200, 23);
    await put(events);
    await stack.drain();
    faults.mode = 'normal';
    // Both consumers (aggregator and lake writer) crashed once and were retried.
    expect(faults.crashed.size).toBe(2);
    for (const mapping of stack.mappings) expect(mapping.stats.errors).toBeGreaterThanOrEqual(1);
    await expectServedFeatures(events);
  });

  it('quarantines every poison record of a 1% poison batch with its reason, and counts every good event', async () => {
    faults.mode = 'normal';
    const good = scenarioEvents('poison', 990, 24);
    const poison = [
      '{"source": "clickstream", "user_id": ',
      { ...good[0], source: 'nope' },
      { ...good[1], event_type: 'teleport' },
      { ...good[2], event_time: new Date(Date.now() - 30 * HOUR).toISOString() },
      { ...good[3], event_time: new Date(Date.now() + 2 * HOUR).toISOString() },
      { ...good[4], price: -5 },
      { ...good[5], user_id: '' },
      '42',
      { source: 'clickstream' },
      { ...good[6], event_type: 'purchase', price: undefined },
    ];
    const mixed: unknown[] = [...good];
    for (const [i, p] of poison.entries()) mixed.splice(i * 99 + 50, 0, p);
    const before = await listQuarantine('aggregator');
    const lakeBefore = await listQuarantine('lake-writer');
    await put(mixed);
    await stack.drain();
    const added = (await listQuarantine('aggregator')).filter((k) => !before.includes(k));
    expect(added).toHaveLength(poison.length);
    const s3 = s3Client(stack.clientEnv);
    const reasons: string[] = [];
    for (const key of added) {
      const object = await s3.send(new GetObjectCommand({ Bucket: stack.info.resources.quarantineBucket, Key: key }));
      const body = JSON.parse(await (object.Body as { transformToString(): Promise<string> }).transformToString());
      expect(body.detail).toBeTruthy();
      expect(Buffer.from(body.dataBase64, 'base64').toString().length).toBeGreaterThan(0);
      reasons.push(body.reason);
    }
    expect(reasons.sort()).toEqual(
      [
        'not_json',
        'unknown_source',
        'schema_violation',
        'late_event',
        'future_event',
        'schema_violation',
        'schema_violation',
        'not_an_object',
        'schema_violation',
        'schema_violation',
      ].sort(),
    );
    await expectServedFeatures(good);
    // The lake keeps late events longer (7 days) than the online store (24 h in dev): the lake writer
    // quarantines every poison record but the 30-hour-late one, which it writes to the lake.
    const lakeAdded = (await listQuarantine('lake-writer')).filter((k) => !lakeBefore.includes(k));
    expect(lakeAdded).toHaveLength(poison.length - 1);
    const late = await lakeRows(
      `SELECT count(*)::INTEGER AS n FROM lake WHERE event_id = ${sqlString(String(good[2]?.event_id))}`,
    );
    expect(late[0]?.n).toBe(2); // good[2] itself and its late copy
  });

  it('lands every valid event in the lake once, despite the duplicate delivery and the crash', async () => {
    const [totals] = await lakeRows('SELECT count(*)::INTEGER AS rows, count(DISTINCT record_id)::INTEGER AS records FROM lake');
    expect(totals?.rows).toBe(totals?.records);
    const perScenario = await lakeRows(
      "SELECT split_part(user_id, '-', 1) AS scenario, count(*)::INTEGER AS n FROM lake GROUP BY 1 ORDER BY 1",
    );
    // Counted from what the scenarios sent: 1,500 + 1,200 + 1,200 events, 990 good + the late copy.
    expect(Object.fromEntries(perScenario.map((r) => [r.scenario, r.n]))).toEqual({
      crash: 1_200,
      known: 1_500,
      poison: 991,
      twice: 1_200,
    });
    // Each row sits in the partition of its own event time.
    const [misplaced] = await lakeRows(
      "SELECT count(*)::INTEGER AS n FROM lake WHERE dt <> strftime(event_time, '%Y-%m-%d') OR hr <> hour(event_time)",
    );
    expect(misplaced?.n).toBe(0);
  });
});

async function listQuarantine(consumer: string): Promise<string[]> {
  const s3 = s3Client(stack.clientEnv);
  const listed = await s3.send(
    new ListObjectsV2Command({ Bucket: stack.info.resources.quarantineBucket, Prefix: `invalid/consumer=${consumer}/` }),
  );
  return (listed.Contents ?? []).map((o) => o.Key as string);
}

/** Runs SQL over the clickstream lake (as `lake`), read by DuckDB from the emulator's files. */
async function lakeRows(sql: string) {
  const { s3Directory, s3ObjectSuffix, resources } = stack.info;
  const glob = path.join(s3Directory, resources.lakeBucket, 'events/clickstream/**', `*.parquet${s3ObjectSuffix}`);
  return duckdbQuery(
    `WITH lake AS (SELECT * FROM read_parquet(${sqlString(glob)}, hive_partitioning = true, hive_types = {'dt': VARCHAR, 'hr': INTEGER})) ${sql}`,
  );
}

describe('the feature API', () => {
  it('answers an unknown entity with 200 and the documented defaults', async () => {
    const { status, body } = await getFeatures('user', 'nobody-at-all');
    expect(status).toBe(200);
    const features = body.views[userClickstream.name].features;
    expect(features.views_1h).toBe(0);
    expect(features.revenue_7d).toBe(0);
    expect(features.avg_order_value_24h).toBeNull();
    expect(features.last_event_type_1h).toBeNull();
    expect(features.cart_rate_7d).toBe(0);
  });

  it('filters by view', async () => {
    const { status, body } = await getFeatures('user', 'u1', `?views=${userClickstream.name}`);
    expect(status).toBe(200);
    expect(Object.keys(body.views)).toEqual([userClickstream.name]);
  });

  it.each([
    ['an unknown view', 'user', 'u1', '?views=nope', 400, 'views'],
    ['an empty view list', 'user', 'u1', '?views=', 400, 'views'],
    ['an unknown parameter', 'user', 'u1', '?colour=red', 400, 'colour'],
    ['an unknown entity type', 'planet', 'u1', '', 404, 'entityType'],
    ['a control character in the id', 'user', 'a\u0001b', '', 400, 'entityId'],
  ])('rejects %s with a JSON error naming the field', async (_what, type, id, query, status, field) => {
    const response = await getFeatures(type, id, query);
    expect(response.status).toBe(status);
    expect(response.body.field).toBe(field);
    expect(response.body.message).toBeTruthy();
  });

  it('refuses a request without the API key, as API Gateway does', async () => {
    const response = await fetch(`${stack.info.api.url}/features/user/u1`);
    expect(response.status).toBe(403);
  });
});
