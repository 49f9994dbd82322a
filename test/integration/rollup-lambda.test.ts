/**
 * The rollup Lambda's handler end to end on the embedded stack: S3 on the
 * emulator, Athena's API served by the local DuckDB lake over the same
 * bucket. The scheduled event rebuilds the closed hours before it; a second
 * run replaces them; the counts match the raw events. Also the Athena
 * client's polling, paging, typing and failure reporting.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CreateBucketCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHandler } from '../../lambdas/rollup/handler.js';
import { athenaClient, s3Client } from '../../src/aws/clients.js';
import { type AthenaEmulator, startAthenaEmulator } from '../../src/local/athena-emulator.js';
import { type Emulators, S3RVER_OBJECT_SUFFIX, startEmulators } from '../../src/local/emulators.js';
import { athenaEngine } from '../../src/query/athena-engine.js';
import { s3Storage } from '../../src/query/lake-storage.js';
import { type LocalLake, openLocalLake } from '../../src/query/local-engine.js';
import { type LakeFixture, within, writeLakeFixture } from '../support/lake-fixture.js';

const BUCKET = 'lake';
let dir: string;
let emulators: Emulators;
let fixture: LakeFixture;
let lake: LocalLake;
let athena: AthenaEmulator;
let env: Record<string, string>;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'featurelake-rollup-'));
  emulators = await startEmulators(dir);
  const s3 = s3Client(emulators.env);
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
  const storage = s3Storage({
    s3,
    bucket: BUCKET,
    root: path.join(emulators.s3Directory, BUCKET),
    suffix: S3RVER_OBJECT_SUFFIX,
  });
  fixture = await writeLakeFixture({ storage, seed: 5 });
  lake = await openLocalLake({ storage, tables: fixture.tables });
  athena = await startAthenaEmulator({ engine: lake, maxPageSize: 3 });
  env = {
    ...emulators.env,
    AWS_ENDPOINT_URL_ATHENA: athena.endpoint,
    LAKE_BUCKET: BUCKET,
    ATHENA_WORKGROUP: 'featurelake-test',
    GLUE_DATABASE: 'featurelake_test',
    ROLLUP_HOURS_BACK: '3',
    TIME_PARTITIONING: 'hour',
    POWERTOOLS_METRICS_DISABLED: 'true',
    POWERTOOLS_LOG_LEVEL: 'ERROR',
  };
});

afterAll(async () => {
  await athena?.stop();
  lake?.close();
  await emulators?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const scheduled = (time: string) => ({ 'detail-type': 'Scheduled Event', source: 'aws.events', time, detail: {} });

async function hourlyEvents(): Promise<Record<string, number>> {
  const result = await lake.run('SELECT dt, hr, sum(events)::BIGINT AS events FROM clickstream_hourly GROUP BY 1, 2');
  return Object.fromEntries(result.rows.map((r) => [`${r.dt}/${r.hr}`, Number(r.events)]));
}

const rawEvents = (hour: string) => within(fixture.clicks, hour, new Date(Date.parse(hour) + 3_600_000).toISOString()).length;

describe('rollup Lambda', () => {
  it('rebuilds the closed hours before the scheduled time, through Athena, and a rerun replaces them', async () => {
    const handler = createHandler(env);
    const first = await handler(scheduled('2024-03-05T03:15:00Z'));
    expect(first.hours.map((h) => [h.hour, h.replacedFiles])).toEqual([
      ['2024-03-05T00:00:00.000Z', 0],
      ['2024-03-05T01:00:00.000Z', 0],
      ['2024-03-05T02:00:00.000Z', 0],
    ]);
    const expected = {
      '2024-03-05/0': rawEvents('2024-03-05T00:00:00Z'),
      '2024-03-05/1': rawEvents('2024-03-05T01:00:00Z'),
      '2024-03-05/2': rawEvents('2024-03-05T02:00:00Z'),
    };
    expect(await hourlyEvents()).toEqual(expected);

    // The next run overlaps two of those hours: they are replaced, not added to.
    const second = await handler(scheduled('2024-03-05T04:15:00Z'));
    expect(second.hours.map((h) => h.hour)).toEqual([
      '2024-03-05T01:00:00.000Z',
      '2024-03-05T02:00:00.000Z',
      '2024-03-05T03:00:00.000Z',
    ]);
    expect(second.hours[0]?.replacedFiles).toBeGreaterThan(0);
    expect(await hourlyEvents()).toEqual({ ...expected, '2024-03-05/3': rawEvents('2024-03-05T03:00:00Z') });

    const sent = [...athena.executions.values()];
    expect(sent.every((e) => e.workgroup === 'featurelake-test' && e.database === 'featurelake_test')).toBe(true);
    expect(sent.filter((e) => e.sql.includes('INSERT INTO clickstream_hourly'))).toHaveLength(6);

    const keys = await s3Client(emulators.env).send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'rollups/' }));
    for (const { Key } of keys.Contents ?? [])
      expect(Key).toMatch(/^rollups\/clickstream_hourly\/dt=2024-03-05\/hr=[0-3]\/part-.*\.parquet$/);
  });

  it('backfills one hour when invoked with {"hour": …}', async () => {
    const result = await createHandler(env)({ hour: '2024-03-04T23:30:00Z' });
    expect(result.hours.map((h) => h.hour)).toEqual(['2024-03-04T23:00:00.000Z']);
    expect((await hourlyEvents())['2024-03-04/23']).toBe(rawEvents('2024-03-04T23:00:00Z'));
  });

  it('refuses an event it does not understand, saying what it expects', async () => {
    await expect(createHandler(env)({ hour: 'yesterday' })).rejects.toThrow(
      /rollup expects a scheduled event or \{"hour": "<ISO-8601 time>"\}/,
    );
  });
});

describe('a query is stopped before its caller’s deadline', () => {
  /** An Athena whose queries take `ms` to run: long enough to outlive any deadline below. */
  async function slowAthena(ms: number) {
    return startAthenaEmulator({
      engine: {
        run: () => new Promise((resolve) => setTimeout(() => resolve({ columns: ['rows'], rows: [], elapsedMs: ms }), ms)),
      },
    });
  }

  it('the engine calls StopQueryExecution when the deadline passes, and fails saying so', async () => {
    const slow = await slowAthena(3_000);
    try {
      const engine = athenaEngine({
        athena: athenaClient({ ...env, AWS_ENDPOINT_URL_ATHENA: slow.endpoint }),
        workgroup: 'featurelake-test',
        database: 'featurelake_test',
        pollMs: 50,
      });
      const started = Date.now();
      await expect(engine.run('SELECT 1', { deadline: started + 400 })).rejects.toThrow(
        /Athena query [0-9a-f-]+ still running at the caller's deadline: stopped it/,
      );
      expect(Date.now() - started).toBeLessThan(1_500);
      expect([...slow.executions.values()].map((e) => e.state)).toEqual(['CANCELLED']);
      await expect(engine.run('SELECT 1', { deadline: Date.now() - 1 })).rejects.toThrow(/no time left/);
      expect(slow.executions.size).toBe(1);
    } finally {
      await slow.stop();
    }
  });

  it('the rollup Lambda stops its INSERT before the function’s own timeout (remaining time less the margin)', async () => {
    const slow = await slowAthena(3_000);
    try {
      const handler = createHandler({ ...env, AWS_ENDPOINT_URL_ATHENA: slow.endpoint }, { stopMarginMs: 500 });
      const timeout = Date.now() + 1_200;
      const context = { getRemainingTimeInMillis: () => timeout - Date.now() };
      await expect(handler({ hour: '2024-03-10T05:00:00Z' }, context)).rejects.toThrow(/at the caller's deadline: stopped it/);
      // Stopped with the margin still left, before Lambda would have killed the function.
      expect(Date.now()).toBeLessThan(timeout);
      const [execution] = [...slow.executions.values()];
      expect(execution?.sql).toContain('INSERT INTO clickstream_hourly');
      expect(execution?.state).toBe('CANCELLED');
    } finally {
      await slow.stop();
    }
  });
});

describe('Athena engine', () => {
  const engine = () =>
    athenaEngine({ athena: athenaClient(env), workgroup: 'featurelake-test', database: 'featurelake_test', pollMs: 10 });

  it('pages through results and types the values', async () => {
    const result = await engine().run(
      "SELECT user_id, count(*) AS events, avg(price) AS avg_price, max(event_time) AS last_seen FROM clickstream WHERE dt = '2024-03-05' GROUP BY 1 ORDER BY 1",
    );
    const users = new Set(
      fixture.clicks.filter((r) => new Date(r.time).toISOString().startsWith('2024-03-05')).map((r) => r.user_id),
    );
    // Page size 3 (header included) forces many pages.
    expect(result.rows).toHaveLength(users.size);
    expect(result.columns).toEqual(['user_id', 'events', 'avg_price', 'last_seen']);
    const first = result.rows[0] as Record<string, unknown>;
    expect(typeof first.events).toBe('number');
    expect(first.last_seen).toBeInstanceOf(Date);
    const mine = fixture.clicks.filter(
      (r) => r.user_id === first.user_id && new Date(r.time).toISOString().startsWith('2024-03-05'),
    );
    expect(first.events).toBe(mine.length);
    expect((first.last_seen as Date).getTime()).toBe(Math.max(...mine.map((r) => r.time)));
    expect(result.queryExecutionId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('reports a failed query with Athena’s reason', async () => {
    await expect(engine().run('SELECT nope FROM clickstream')).rejects.toThrow(/Athena query .* failed: .*nope/);
  });
});
