/**
 * Compaction (src/lake/compaction.ts) against the S3 emulator, on what prod
 * actually writes and on how AWS actually answers:
 * - files written by the lake's own encoder with zstd and gzip are merged, and
 *   DuckDB (an independent reader) reads the same rows back, from an output in
 *   the environment's codec;
 * - a crashed run's manifest is recovered even when HeadObject answers 403 for
 *   a missing key (what AWS does without an s3:ListBucket that applies to it);
 * - a manifest that cannot be recovered fails its own partition only: it is
 *   reported, the partition is left alone this run, the others go on.
 * Expected rows are what DuckDB reads before compaction, not what compaction says.
 */
import path from 'node:path';
import {
  CreateBucketCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  type S3Client,
} from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { s3Client } from '../../src/aws/clients.js';
import { sources } from '../../src/features/catalog.js';
import { type CompactionOptions, compactDay } from '../../src/lake/compaction.js';
import { type Compression, createLakeWriter } from '../../src/lake/lake-writer.js';
import { COMPACTION_PREFIX, partitionSchemeFor } from '../../src/lake/layout.js';
import { encodeParquet } from '../../src/lake/parquet/index.js';
import { type Emulators, S3RVER_OBJECT_SUFFIX } from '../../src/local/emulators.js';
import { duckdbQuery, sqlString } from '../support/duckdb.js';
import { useEmulators } from '../support/emulators.js';
import { asRecords, clickEvents } from '../support/events.js';
import { failingClient, s3ServiceError } from '../support/faults.js';

const HOUR = 3_600_000;
const NOW = Date.parse('2026-03-02T06:00:00Z');
const DAY = '2026-03-02';
// Four hours of events before NOW, all on DAY: written in six batches, several stream files per hour partition.
const events = clickEvents({ count: 600, users: 40, nowMs: NOW, spanMs: 4 * HOUR, seed: 5 });
const records = asRecords(events, { arrivalTimeMs: NOW });

let emulators: Emulators;
let s3: S3Client;
let counter = 0;

useEmulators('featurelake-compaction-', async (started) => {
  emulators = started;
  s3 = s3Client(emulators.env);
});

async function batchedLake(compression: Compression) {
  const bucket = `compaction-${++counter}`;
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  await s3.send(new CreateBucketCommand({ Bucket: `${bucket}-quarantine` }));
  const write = createLakeWriter({
    s3,
    bucket,
    quarantineBucket: `${bucket}-quarantine`,
    sources,
    policy: { maxLatenessMs: 30 * 24 * HOUR, maxClockSkewMs: 300_000 },
    scheme: (source) => partitionSchemeFor(source.name, { timePartitioning: 'hour' }),
    compression,
    encode: encodeParquet,
  });
  const writeBatches = async (batch: typeof records) => {
    for (let i = 0; i < batch.length; i += 100) await write(batch.slice(i, i + 100));
  };
  await writeBatches(records);
  return { bucket, writeBatches };
}

const options = (bucket: string, over: Partial<CompactionOptions> = {}): CompactionOptions => ({
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

const glob = (bucket: string, file = '*') =>
  sqlString(path.join(emulators.s3Directory, bucket, 'events', '**', `${file}.parquet${S3RVER_OBJECT_SUFFIX}`));

/** Every row of the lake as DuckDB reads it, in record order. */
const rows = (bucket: string) => duckdbQuery(`SELECT * FROM read_parquet(${glob(bucket)}) ORDER BY record_id`);

async function keys(bucket: string, prefix: string): Promise<string[]> {
  const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
  return (page.Contents ?? []).map((o) => o.Key as string).sort();
}

/** A run that dies before deleting its inputs, in the partitions it reaches first: leaves `count` manifests. */
async function crashedRun(bucket: string, count: number): Promise<void> {
  let deletes = 0;
  const dying = failingClient(s3, (command) =>
    command instanceof DeleteObjectsCommand && deletes++ < count ? new Error('injected crash before the deletes') : undefined,
  );
  const summary = await compactDay(options(bucket, { s3: dying }), DAY);
  expect(summary.failed).toHaveLength(count);
  expect(await keys(bucket, COMPACTION_PREFIX)).toHaveLength(count);
}

describe('compaction of the codecs the lake writes', () => {
  it.each(['zstd', 'gzip'] as const)('merges %s files into the same rows, written in that codec', async (codec) => {
    const { bucket } = await batchedLake(codec);
    const before = await rows(bucket);
    expect(before).toHaveLength(events.length);

    const summary = await compactDay(options(bucket, { compression: codec }), DAY);
    expect(summary.failed).toEqual([]);
    expect(summary.partitions.length).toBeGreaterThan(0);
    expect(await rows(bucket)).toEqual(before);
    const codecs = await duckdbQuery(
      `SELECT DISTINCT compression FROM parquet_metadata(${glob(bucket, 'compacted-*')}) ORDER BY compression`,
    );
    expect(codecs).toEqual([{ compression: codec.toUpperCase() }]);
  });
});

describe('crash recovery as AWS answers it', () => {
  it('recovers a manifest although HeadObject of a missing key answers 403 (no s3:ListBucket applies)', async () => {
    const { bucket } = await batchedLake('snappy');
    const before = await rows(bucket);
    await crashedRun(bucket, 1);
    const forbidden = failingClient(s3, (command) =>
      command instanceof HeadObjectCommand ? s3ServiceError('Forbidden', 403) : undefined,
    );
    const summary = await compactDay(options(bucket, { s3: forbidden }), DAY);
    expect(summary.failed).toEqual([]);
    expect(summary.recovered).toBe(1);
    expect(await rows(bucket)).toEqual(before);
    expect(await keys(bucket, COMPACTION_PREFIX)).toEqual([]);
  });

  it('a manifest that cannot be recovered fails its partition only: reported, left alone, the rest compacted', async () => {
    const { bucket, writeBatches } = await batchedLake('snappy');
    await crashedRun(bucket, 2);
    // Two more batches after the crash: every partition has stream files to merge again.
    const later = clickEvents({ count: 200, users: 40, nowMs: NOW, spanMs: 4 * HOUR, seed: 6 });
    await writeBatches(
      asRecords(later, { arrivalTimeMs: NOW, firstSequence: 49_000_000_000_000_000_000_000_000_000_000_000_000_100_000n }),
    );
    // What a reader should see once every crash is cleaned up: each record once.
    const expected = await duckdbQuery(`SELECT DISTINCT * FROM read_parquet(${glob(bucket)}) ORDER BY record_id`);
    expect(expected).toHaveLength(events.length + later.length);
    const [stuck, other] = await keys(bucket, COMPACTION_PREFIX);
    const partitionOf = (manifest: string) => manifest.slice(COMPACTION_PREFIX.length, manifest.lastIndexOf('/') + 1);
    const stuckFilesBefore = await keys(bucket, partitionOf(stuck as string));
    const denied = failingClient(s3, (command) =>
      command instanceof GetObjectCommand && command.input.Key === stuck ? s3ServiceError('AccessDenied', 403) : undefined,
    );

    const summary = await compactDay(options(bucket, { s3: denied }), DAY);
    expect(summary.recovered).toBe(1);
    expect(summary.failed).toEqual([
      { partition: partitionOf(stuck as string), reason: expect.stringMatching(/^recovering .*\.json: AccessDenied/) },
    ]);
    // The stuck partition is exactly as the crash left it (its manifest too); every other one was compacted.
    expect(await keys(bucket, partitionOf(stuck as string))).toEqual(stuckFilesBefore);
    expect(await keys(bucket, COMPACTION_PREFIX)).toEqual([stuck]);
    expect(summary.partitions.map((p) => p.partition)).not.toContain(partitionOf(stuck as string));
    expect(summary.partitions.map((p) => p.partition)).toContain(partitionOf(other as string));

    // The next run, allowed, finishes it: every row once.
    const next = await compactDay(options(bucket), DAY);
    expect(next.failed).toEqual([]);
    expect(next.recovered).toBe(1);
    expect(await rows(bucket)).toEqual(expected);
    expect(await keys(bucket, COMPACTION_PREFIX)).toEqual([]);
  });
});
