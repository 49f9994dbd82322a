/**
 * Batch and stream features in one response, on the embedded local stack
 * built from the synthesized template: clickstream events through Kinesis and
 * the aggregator; a user-profiles CSV uploaded under the lake bucket's
 * `sources/user_profiles/` (ingested by the batch-ingest handler the stack
 * runs for it), then files through `featurelake ingest-batch` (the real CLI, a
 * child process); the HTTP API answers with both, each with its freshness.
 * Expected values are counted from the events and written from the files.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kinesisClient, s3Client } from '../../src/aws/clients.js';
import { type LocalStack, startLocalStack } from '../../src/local/stack.js';
import { cleanEnv, runCli } from '../cli/support.js';
import { clickEvents } from '../support/events.js';

const HOUR = 3_600_000;
const now = Date.now();
const events = clickEvents({ count: 300, users: 5, nowMs: now - 60_000, spanMs: 20 * HOUR, seed: 42 });
const USER = 'user_000001';

let stack: LocalStack;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'featurelake-batch-local-'));
  stack = await startLocalStack({ stateDir: dir, mappingOverrides: { maxBatchingWindowSeconds: 1 } });
  const kinesis = kinesisClient(stack.clientEnv);
  const result = await kinesis.send(
    new PutRecordsCommand({
      StreamName: stack.info.resources.streamName,
      Records: events.map((e) => ({ Data: Buffer.from(JSON.stringify(e)), PartitionKey: e.user_id })),
    }),
  );
  expect(result.FailedRecordCount ?? 0).toBe(0);
  await stack.drain(60_000);
}, 120_000);

afterAll(async () => {
  await stack?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function features(user: string, views?: string) {
  const response = await fetch(
    `${stack.info.api.url}/features/user/${user}${views ? `?views=${encodeURIComponent(views)}` : ''}`,
    { headers: { 'x-api-key': stack.info.api.key } },
  );
  expect(response.status).toBe(200);
  return (await response.json()) as {
    views: Record<string, { features: Record<string, unknown>; freshness: Record<string, string | null> }>;
  };
}

const csv = (rows: readonly string[]) => ['user_id,age,country,subscription_tier,activity_weight,updated_at', ...rows].join('\n');

describe('batch sources on the local stack', () => {
  it('an upload under sources/user_profiles/ is ingested; the API serves it beside the stream view, with freshness', async () => {
    const s3 = s3Client(stack.clientEnv);
    await s3.send(
      new PutObjectCommand({
        Bucket: stack.info.resources.lakeBucket,
        Key: 'sources/user_profiles/2026-11-20.csv',
        Body: csv([`${USER},34,DE,premium,1.5,2026-11-20T10:00:00Z`, 'user_000002,not-an-age,FR,free,1,2026-11-20T10:00:00Z']),
      }),
    );
    await stack.batchUploadsIngested(30_000);

    const body = await features(USER);
    const mine = events.filter((e) => e.user_id === USER);
    expect(body.views.user_clickstream?.features.views_24h).toBe(mine.filter((e) => e.event_type === 'page_view').length);
    const newest = mine
      .map((e) => e.event_time)
      .sort()
      .at(-1);
    expect(Object.values(body.views.user_clickstream?.freshness ?? {})).toContain(new Date(newest as string).toISOString());
    expect(body.views.user_profiles).toEqual({
      features: { age: 34, country: 'DE', subscription_tier: 'premium', activity_weight: 1.5 },
      freshness: {
        age: '2026-11-20T10:00:00.000Z',
        country: '2026-11-20T10:00:00.000Z',
        subscription_tier: '2026-11-20T10:00:00.000Z',
        activity_weight: '2026-11-20T10:00:00.000Z',
      },
    });
    // views= names the batch source like a view.
    expect(Object.keys((await features(USER, 'user_profiles')).views)).toEqual(['user_profiles']);
    // The bad row is reported in the quarantine; the good one is in the lake.
    const quarantined = await s3.send(
      new ListObjectsV2Command({ Bucket: stack.info.resources.quarantineBucket, Prefix: 'invalid/consumer=batch-ingest/' }),
    );
    expect(quarantined.Contents?.map((o) => o.Key)).toEqual([
      expect.stringMatching(/^invalid\/consumer=batch-ingest\/source=user_profiles\/[0-9a-f]{16}\.json$/),
    ]);
    const lake = await s3.send(
      new ListObjectsV2Command({ Bucket: stack.info.resources.lakeBucket, Prefix: 'events/user_profiles/' }),
    );
    expect(lake.Contents).toHaveLength(1);
  });

  it('featurelake ingest-batch: an older file changes nothing, a newer one replaces the values; errors exit 2', async () => {
    const older = path.join(dir, 'older.csv');
    writeFileSync(older, csv([`${USER},30,AT,free,,2026-01-01T00:00:00Z`]));
    const first = await runCli(['ingest-batch', older, '--source', 'user_profiles', '--state-dir', dir], {
      env: cleanEnv(),
    });
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/kept 1 rows, rejected 0; 1 entities, 0 written online, 1 already as new or newer/);
    expect((await features(USER)).views.user_profiles?.features.age).toBe(34);

    const newer = path.join(dir, 'newer.csv');
    writeFileSync(newer, csv([`${USER},35,DE,basic,0.5,2026-11-25T00:00:00Z`, 'user_000003,40,XX1,free,1,2026-11-25T00:00:00Z']));
    const second = await runCli(['ingest-batch', newer, '--source', 'user_profiles', '--state-dir', dir], {
      env: cleanEnv(),
    });
    expect(second.code).toBe(1);
    expect(second.stdout).toMatch(/kept 1 rows, rejected 1; 1 entities, 1 written online/);
    expect(second.stdout).toMatch(/newer\.csv:3: country: /);
    const served = (await features(USER)).views.user_profiles;
    expect(served?.features).toEqual({ age: 35, country: 'DE', subscription_tier: 'basic', activity_weight: 0.5 });
    expect(served?.freshness.age).toBe('2026-11-25T00:00:00.000Z');

    const unknown = await runCli(['ingest-batch', newer, '--source', 'nope', '--state-dir', dir], { env: cleanEnv() });
    expect(unknown.code).toBe(2);
    const missingColumn = path.join(dir, 'missing.csv');
    writeFileSync(missingColumn, 'user_id,age,updated_at\nuser_1,30,2026-11-01T00:00:00Z\n');
    const refused = await runCli(['ingest-batch', missingColumn, '--source', 'user_profiles', '--state-dir', dir], {
      env: cleanEnv(),
    });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/required columns missing: country, subscription_tier/);
  });
});
