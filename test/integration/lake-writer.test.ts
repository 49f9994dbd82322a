/**
 * The lake writer's batch logic against a real S3 emulator (s3rver), every
 * file read back by DuckDB: typed columns, Hive partition paths from event
 * time, deterministic keys, and no duplicate rows under retries, overlapping
 * replays and a partition write failing mid-batch. Expected rows are computed
 * from the input events, not by the writer.
 */
import path from 'node:path';
import {
  CreateBucketCommand,
  DeleteObjectsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { s3Client } from '../../src/aws/clients.js';
import { groupBy } from '../../src/domain/collections.js';
import type { StreamRecord } from '../../src/domain/records.js';
import { sources } from '../../src/features/catalog.js';
import { type CompactionOptions, compactDay } from '../../src/lake/compaction.js';
import { type Compression, createLakeWriter } from '../../src/lake/lake-writer.js';
import { COMPACTION_PREFIX, partitionSchemeFor } from '../../src/lake/layout.js';
import { encodeParquet } from '../../src/lake/parquet/index.js';
import { type Emulators, S3RVER_OBJECT_SUFFIX } from '../../src/local/emulators.js';
import { duckdbQuery, sqlString } from '../support/duckdb.js';
import { useEmulators } from '../support/emulators.js';
import { asRecords, clickEvents } from '../support/events.js';
import { failingClient } from '../support/faults.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
// The top of the current hour: a 5-hour span of event times before it crosses several hour partitions.
const NOW = Math.floor(Date.now() / HOUR) * HOUR;
const policy = { maxLatenessMs: 7 * DAY, maxClockSkewMs: 300_000 };

let emulators: Emulators;
let s3: S3Client;
let counter = 0;

useEmulators('featurelake-lake-', async (started) => {
  emulators = started;
  s3 = s3Client(emulators.env);
});

async function freshLake(options: { compression?: Compression; s3?: S3Client; timePartitioning?: 'date' | 'hour' } = {}) {
  const bucket = `lake-${++counter}`;
  const quarantineBucket = `quarantine-${counter}`;
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  await s3.send(new CreateBucketCommand({ Bucket: quarantineBucket }));
  const settings = { timePartitioning: options.timePartitioning ?? 'hour' } as const;
  const write = createLakeWriter({
    s3: options.s3 ?? s3,
    bucket,
    quarantineBucket,
    sources,
    policy,
    scheme: (source) => partitionSchemeFor(source.name, settings),
    compression: options.compression ?? 'snappy',
    encode: encodeParquet,
  });
  return { bucket, quarantineBucket, write };
}

async function keys(bucket: string, prefix = ''): Promise<string[]> {
  const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
  return (page.Contents ?? []).map((o) => o.Key as string).sort();
}

/** Every row of a source's files, read by DuckDB from the emulator's files with Hive partitioning. */
function lakeGlob(bucket: string, source: string): string {
  return sqlString(path.join(emulators.s3Directory, bucket, 'events', source, '**', `*.parquet${S3RVER_OBJECT_SUFFIX}`));
}
async function lakeRows(bucket: string, source = 'clickstream') {
  return duckdbQuery(
    `SELECT * FROM read_parquet(${lakeGlob(bucket, source)}, hive_partitioning = true, hive_types = {'dt': VARCHAR, 'hr': INTEGER}) ORDER BY record_id`,
  );
}

const events = clickEvents({ count: 600, users: 40, nowMs: NOW, spanMs: 5 * HOUR, seed: 11 });
const records = asRecords(events, { arrivalTimeMs: NOW + 1_000 });
const hourOf = (iso: string) => new Date(iso).toISOString().slice(0, 13);

describe('lake writer', () => {
  it('writes every valid event once, typed, into the partition of its event time', async () => {
    const lake = await freshLake();
    const { summary, retryFrom } = await lake.write(records);
    expect(retryFrom).toEqual([]);
    expect(summary.valid).toBe(events.length);

    const expectedHours = [...new Set(events.map((e) => hourOf(e.event_time)))].sort();
    const files = await keys(lake.bucket);
    expect(files).toHaveLength(expectedHours.length);
    for (const [i, key] of files.entries()) {
      const hour = expectedHours[i] as string;
      expect(key).toMatch(
        new RegExp(
          `^events/clickstream/dt=${hour.slice(0, 10)}/hr=${hour.slice(11, 13)}/shardId-000000000000-\\d+-\\d+\\.parquet$`,
        ),
      );
    }

    const rows = await lakeRows(lake.bucket);
    expect(rows).toHaveLength(events.length);
    const byId = new Map(rows.map((r) => [r.event_id, r]));
    for (const [i, e] of events.entries()) {
      const row = byId.get(e.event_id) as Record<string, unknown>;
      expect((row.event_time as Date).getTime()).toBe(Date.parse(e.event_time));
      expect(row.user_id).toBe(e.user_id);
      expect(row.event_type).toBe(e.event_type);
      expect(row.price ?? undefined).toBe(e.price);
      expect(row.category ?? undefined).toBe(e.category);
      expect(row.dt).toBe(e.event_time.slice(0, 10));
      expect(row.hr).toBe(new Date(e.event_time).getUTCHours());
      expect(row.record_id).toBe(`shardId-000000000000:${records[i]?.sequenceNumber}`);
      expect((row.arrival_time as Date).getTime()).toBe(NOW + 1_000);
    }

    const [types] = await duckdbQuery(
      `SELECT typeof(event_time) AS t, typeof(price) AS p, typeof(user_id) AS u FROM read_parquet(${lakeGlob(lake.bucket, 'clickstream')}) LIMIT 1`,
    );
    expect(types?.t).toMatch(/^TIMESTAMP/);
    expect(types?.p).toBe('DOUBLE');
    expect(types?.u).toBe('VARCHAR');
  });

  it('partitions by day only when told to', async () => {
    const lake = await freshLake({ timePartitioning: 'date' });
    await lake.write(records);
    const days = [...new Set(events.map((e) => e.event_time.slice(0, 10)))].sort();
    const files = await keys(lake.bucket);
    expect(files.map((k) => k.split('/').slice(0, 3).join('/'))).toEqual(days.map((d) => `events/clickstream/dt=${d}`));
  });

  it('a retried batch rewrites its own files: same keys, no duplicate rows', async () => {
    const lake = await freshLake();
    await lake.write(records);
    const first = await keys(lake.bucket);
    const again = await lake.write(records);
    expect(again.summary.rowsAlreadyWritten).toBe(events.length);
    expect(await keys(lake.bucket)).toEqual(first);
    expect(await lakeRows(lake.bucket)).toHaveLength(events.length);
  });

  it('overlapping replays (bisected or partial retries) add only the records not yet written', async () => {
    const lake = await freshLake();
    await lake.write(records.slice(0, 400));
    await lake.write(records.slice(150, 500)); // bisect-style retry from the middle
    await lake.write(records.slice(300)); // a replay overlapping both
    const rows = await lakeRows(lake.bucket);
    expect(rows).toHaveLength(events.length);
    expect(new Set(rows.map((r) => r.record_id)).size).toBe(events.length);
  });

  it('a failed partition asks for a retry from its lowest sequence number, and the retry completes exactly once', async () => {
    // An S3 client whose PutObject fails for one partition, once.
    const failHour = hourOf(events[0]?.event_time as string);
    const failPrefix = `events/clickstream/dt=${failHour.slice(0, 10)}/hr=${failHour.slice(11, 13)}/`;
    let failed = false;
    const flaky = failingClient(s3, (command) => {
      if (failed || !(command instanceof PutObjectCommand) || !command.input.Key?.startsWith(failPrefix)) return undefined;
      failed = true;
      return new Error('injected PutObject failure');
    });
    const lake = await freshLake({ s3: flaky });
    const { retryFrom, summary } = await lake.write(records);
    expect(summary.failures).toBe(1);
    const lowestInFailed = records.find((_, i) => hourOf(events[i]?.event_time as string) === failHour) as StreamRecord;
    expect(retryFrom).toEqual([lowestInFailed.sequenceNumber]);

    // Lambda retries from that record on.
    const from = records.findIndex((r) => r.sequenceNumber === retryFrom[0]);
    const retry = await lake.write(records.slice(from));
    expect(retry.retryFrom).toEqual([]);
    const rows = await lakeRows(lake.bucket);
    expect(rows).toHaveLength(events.length);
    expect(new Set(rows.map((r) => r.record_id)).size).toBe(events.length);
  });

  it('quarantines invalid records with their reason and writes the rest', async () => {
    const lake = await freshLake();
    const bad = asRecords(['not json', { source: 'clickstream', event_id: 'x' }], {
      arrivalTimeMs: NOW,
      firstSequence: 59_000_000_000_000_000_000_000_000_000_000_000_000_000_000n,
    });
    const { summary } = await lake.write([...records.slice(0, 10), ...bad]);
    expect(summary.valid).toBe(10);
    expect(summary.quarantined).toEqual({ not_json: 1, schema_violation: 1 });
    const quarantined = await keys(lake.quarantineBucket);
    expect(quarantined).toHaveLength(2);
    for (const key of quarantined) expect(key).toMatch(/^invalid\//);
    expect(await lakeRows(lake.bucket)).toHaveLength(10);
  });

  it.each(['snappy', 'zstd', 'gzip', 'none'] as const)('writes %s-compressed files DuckDB reads', async (compression) => {
    const lake = await freshLake({ compression });
    await lake.write(records.slice(0, 50));
    const [file] = await keys(lake.bucket);
    const [meta] = await duckdbQuery(
      `SELECT DISTINCT compression FROM parquet_metadata(${sqlString(path.join(emulators.s3Directory, lake.bucket, `${file}${S3RVER_OBJECT_SUFFIX}`))})`,
    );
    expect(String(meta?.compression).toLowerCase()).toBe(compression === 'none' ? 'uncompressed' : compression);
    const rows = await lakeRows(lake.bucket);
    expect(rows.length).toBe(50);
  });

  it('writes app_logs with integer metrics as BIGINT', async () => {
    const lake = await freshLake();
    const logs: Record<string, unknown>[] = Array.from({ length: 20 }, (_, i) => ({
      source: 'app_logs',
      timestamp: new Date(NOW - i * 60_000).toISOString(),
      user: `u${i % 3}`,
      app: `app${i % 2}`,
      ...Object.fromEntries(Array.from({ length: 9 }, (_, m) => [`metric_${m + 1}`, i * 10 + m])),
    }));
    await lake.write(asRecords(logs, { arrivalTimeMs: NOW }));
    const [sums] = await duckdbQuery(
      `SELECT sum(metric_1)::BIGINT AS m1, sum(metric_9)::BIGINT AS m9, typeof(any_value(metric_1)) AS t FROM read_parquet(${lakeGlob(lake.bucket, 'app_logs')})`,
    );
    expect(Number(sums?.m1)).toBe(logs.reduce((a, l) => a + (l.metric_1 as number), 0));
    expect(Number(sums?.m9)).toBe(logs.reduce((a, l) => a + (l.metric_9 as number), 0));
    expect(sums?.t).toBe('BIGINT');
  });
});

describe('small-file compaction', () => {
  const compaction = (bucket: string, over: Partial<CompactionOptions> = {}): CompactionOptions => ({
    s3,
    bucket,
    sources,
    scheme: (source) => partitionSchemeFor(source.name, { timePartitioning: 'hour' }),
    encode: encodeParquet,
    compression: 'snappy',
    minAgeMs: 0,
    maxInputBytes: 64 * 1024 ** 2,
    ...over,
  });
  const days = [...new Set(events.map((e) => e.event_time.slice(0, 10)))].sort();
  const compactAll = async (options: CompactionOptions) => {
    const summaries = [];
    for (const day of days) summaries.push(await compactDay(options, day));
    return summaries;
  };
  /** A lake written in six batches of 100 records: several stream files per hour partition. */
  async function batchedLake() {
    const lake = await freshLake();
    for (let i = 0; i < records.length; i += 100) await lake.write(records.slice(i, i + 100));
    return lake;
  }
  const byPartition = (files: string[]) => groupBy(files, (k) => k.slice(0, k.lastIndexOf('/') + 1));

  it('merges each partition into one file plus the newest stream file, with exactly the same rows', async () => {
    const lake = await batchedLake();
    const before = await lakeRows(lake.bucket);
    const filesBefore = await keys(lake.bucket);
    const summaries = await compactAll(compaction(lake.bucket));

    expect(await lakeRows(lake.bucket)).toEqual(before);
    const filesAfter = await keys(lake.bucket);
    expect(filesAfter.length).toBeLessThan(filesBefore.length);
    for (const [partition, files] of byPartition(filesBefore)) {
      const after = filesAfter.filter((k) => k.startsWith(partition));
      // The newest stream file stays (it carries the shard's watermark); the rest, if two or more, become one file.
      const newest = files.reduce((a, b) =>
        BigInt(b.split('-').at(-1)?.split('.')[0] as string) > BigInt(a.split('-').at(-1)?.split('.')[0] as string) ? b : a,
      );
      expect(after).toContain(newest);
      expect(after).toHaveLength(files.length >= 3 ? 2 : files.length);
    }
    const compacted = summaries.flatMap((s) => s.partitions);
    expect(compacted.reduce((n, p) => n + p.inputs, 0)).toBe(filesBefore.length - filesAfter.length + compacted.length);
    expect(await keys(lake.bucket, COMPACTION_PREFIX)).toEqual([]);
  });

  it('a replay after compaction still writes nothing twice', async () => {
    const lake = await batchedLake();
    await compactAll(compaction(lake.bucket));
    const again = await lake.write(records.slice(150, 450));
    expect(again.summary.rowsAlreadyWritten).toBe(300);
    const rows = await lakeRows(lake.bucket);
    expect(rows).toHaveLength(events.length);
    expect(new Set(rows.map((r) => r.record_id)).size).toBe(events.length);
  });

  it('a run that dies after writing its output is finished by the next run: no duplicate rows remain', async () => {
    const lake = await batchedLake();
    const before = await lakeRows(lake.bucket);
    let failed = false;
    const dying = failingClient(s3, (command) => {
      if (failed || !(command instanceof DeleteObjectsCommand)) return undefined;
      failed = true;
      return new Error('injected crash before the inputs are deleted');
    });
    const crashed = await compactAll(compaction(lake.bucket, { s3: dying }));
    expect(crashed.flatMap((s) => s.failed)).toEqual([
      expect.objectContaining({ reason: 'injected crash before the inputs are deleted' }),
    ]);
    expect((await lakeRows(lake.bucket)).length).toBeGreaterThan(before.length); // what readers could see until the next run
    expect(await keys(lake.bucket, COMPACTION_PREFIX)).toHaveLength(1);

    const [first] = await compactAll(compaction(lake.bucket));
    expect(first?.recovered).toBe(1);
    expect(await lakeRows(lake.bucket)).toEqual(before);
    expect(await keys(lake.bucket, COMPACTION_PREFIX)).toEqual([]);
  });

  it('leaves files younger than the minimum age alone', async () => {
    const lake = await batchedLake();
    const files = await keys(lake.bucket);
    const summaries = await compactAll(compaction(lake.bucket, { minAgeMs: 3_600_000 }));
    expect(summaries.flatMap((s) => s.partitions)).toEqual([]);
    expect(await keys(lake.bucket)).toEqual(files);
  });
});
