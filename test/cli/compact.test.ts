/**
 * Compaction's two entry points against the S3 emulator: `featurelake
 * compact` (a lake written in several batches is compacted per partition, its
 * rows read back by DuckDB are the same; bad invocations are usage errors)
 * and the compactor Lambda's handler (which days an event asks for).
 */

import path from 'node:path';
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { createHandler } from '../../lambdas/compactor/handler.js';
import { s3Client } from '../../src/aws/clients.js';
import { groupBy } from '../../src/domain/collections.js';
import { exampleCatalog, sources } from '../../src/features/catalog.js';
import { daysToCompact } from '../../src/lake/compaction.js';
import { createLakeWriter } from '../../src/lake/lake-writer.js';
import { partitionSchemeFor } from '../../src/lake/layout.js';
import { encodeParquet } from '../../src/lake/parquet/index.js';
import { type Emulators, S3RVER_OBJECT_SUFFIX } from '../../src/local/emulators.js';
import { duckdbQuery, sqlString } from '../support/duckdb.js';
import { useEmulators } from '../support/emulators.js';
import { asRecords, clickEvents } from '../support/events.js';
import { cleanEnv, runCli } from './support.js';

const HOUR = 3_600_000;
const NOW = Date.parse('2026-03-02T06:00:00Z');
const BUCKET = 'compact-cli';

let emulators: Emulators;
let s3: S3Client;

useEmulators('featurelake-compact-', async (started) => {
  emulators = started;
  s3 = s3Client(emulators.env);
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
  await s3.send(new CreateBucketCommand({ Bucket: `${BUCKET}-quarantine` }));
  const write = createLakeWriter({
    s3,
    bucket: BUCKET,
    quarantineBucket: `${BUCKET}-quarantine`,
    sources,
    policy: { maxLatenessMs: 30 * 24 * HOUR, maxClockSkewMs: 300_000 },
    scheme: (source) => partitionSchemeFor(source.name, { timePartitioning: 'hour' }),
    compression: 'snappy',
    encode: encodeParquet,
  });
  // Four hours before NOW, all on 2026-03-02, written in five batches: several files per hour partition.
  const records = asRecords(clickEvents({ count: 500, users: 30, nowMs: NOW, spanMs: 4 * HOUR, seed: 3 }), {
    arrivalTimeMs: NOW,
  });
  for (let i = 0; i < records.length; i += 100) await write(records.slice(i, i + 100));
});

async function files(): Promise<string[]> {
  const page = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'events/' }));
  return (page.Contents ?? []).map((o) => o.Key as string);
}

const rows = () =>
  duckdbQuery(
    `SELECT record_id, event_time, user_id, event_type FROM read_parquet(${sqlString(path.join(emulators.s3Directory, BUCKET, 'events', '**', `*.parquet${S3RVER_OBJECT_SUFFIX}`))}) ORDER BY record_id`,
  );

describe('featurelake compact', () => {
  it('merges the small files of a day on S3 and keeps every row once', async () => {
    const before = await rows();
    const filesBefore = await files();
    const result = await runCli(['compact', '--day', '2026-03-02', '--bucket', BUCKET, '--min-age-hours', '0'], {
      env: cleanEnv(emulators.env),
    });
    expect(result.stderr).toMatch(/\[1\/1\] 2026-03-02: \d+ files into \d+/);
    expect(result.code).toBe(0);
    const filesAfter = await files();
    // One shard: a partition of n ≥ 3 stream files keeps its newest and merges the other n − 1 into one.
    const perPartition = [...groupBy(filesBefore, (k) => k.slice(0, k.lastIndexOf('/') + 1)).values()].map((g) => g.length);
    const outputs = perPartition.filter((n) => n >= 3).length;
    const merged = perPartition.filter((n) => n >= 3).reduce((sum, n) => sum + n - 1, 0);
    expect(merged).toBeGreaterThan(0);
    expect(result.stdout).toContain(`compacted ${merged} files into ${outputs} `);
    expect(filesAfter.length).toBe(filesBefore.length - merged + outputs);
    expect(filesAfter.filter((k) => k.includes('/compacted-'))).toHaveLength(outputs);
    expect(await rows()).toEqual(before);
  });

  it.each([
    [[], /say which days/],
    [['--day', '02/03/2026'], /--day: "02\/03\/2026" is not a day yyyy-MM-dd/],
    [['--day', '2026-03-02', '--from', '2026-03-01'], /--day and --from\/--to are exclusive/],
    [['--from', '2026-03-02', '--to', '2026-03-01'], /--to must not be before --from/],
  ])('refuses %j with a usage error', async (args, message) => {
    const result = await runCli(['compact', ...args, '--bucket', BUCKET], { env: cleanEnv(emulators.env) });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
  });
});

describe('the compactor Lambda', () => {
  const env = () => ({
    ...emulators.env,
    LAKE_BUCKET: BUCKET,
    PARQUET_COMPRESSION: 'snappy',
    TIME_PARTITIONING: 'hour',
    COMPACTION_FREQUENCY: 'daily',
    COMPACTION_DAYS_BACK: '2',
    COMPACTION_MIN_AGE_HOURS: '0',
    COMPACTION_MAX_INPUT_MB: '64',
    POWERTOOLS_METRICS_DISABLED: 'true',
    POWERTOOLS_LOG_LEVEL: 'ERROR',
  });

  it('compacts the days before its scheduled time, and a manual {"day"}; refuses anything else', async () => {
    const handler = createHandler(env(), { catalog: exampleCatalog });
    const scheduled = await handler({ 'detail-type': 'Scheduled Event', time: '2026-03-03T03:00:00Z' });
    expect(scheduled.days.map((d) => d.day)).toEqual(['2026-03-01', '2026-03-02']);
    const manual = await handler({ day: '2026-03-02' });
    expect(manual.days.map((d) => d.day)).toEqual(['2026-03-02']);
    // Already compacted by the CLI above: nothing is left to merge, and nothing breaks.
    expect(manual.days[0]?.partitions).toEqual([]);
    await expect(handler({ day: 'yesterday' })).rejects.toThrow(/compactor expects a scheduled event or \{"day": "yyyy-MM-dd"\}/);
  });

  it('fails the invocation for a partition it cannot read; that partition stays as it was and no row is lost', async () => {
    const partition = 'events/clickstream/dt=2026-03-02/hr=03/';
    const junk = ['shardId-000000000000-1-2.parquet', 'shardId-000000000000-3-4.parquet'].map((k) => `${partition}${k}`);
    const before = await rows();
    for (const Key of junk) await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key, Body: 'not a parquet file' }));
    await expect(createHandler(env(), { catalog: exampleCatalog })({ day: '2026-03-02' })).rejects.toThrow(
      /1 partitions not compacted: events\/clickstream\/dt=2026-03-02\/hr=03\/: /,
    );
    expect((await files()).filter((k) => junk.includes(k))).toHaveLength(2);
    for (const Key of junk) await s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key }));
    expect(await rows()).toEqual(before);
  });

  it('days a scheduled run compacts: the previous N UTC days, oldest first, and its own day when hourly', () => {
    const time = Date.parse('2026-03-01T00:30:00Z');
    expect(daysToCompact(time, 3, 'daily')).toEqual(['2026-02-26', '2026-02-27', '2026-02-28']);
    expect(daysToCompact(time, 1, 'hourly')).toEqual(['2026-02-28', '2026-03-01']);
  });
});
