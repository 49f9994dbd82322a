/**
 * Small-file compaction on the S3 emulator: one day of app_logs written by the
 * lake writer as a stream would deliver it (one batch per minute, so ~60
 * files an hour), then one day's app_logs_metrics (1h × user) on the local
 * engine before and after `compactDay` — files opened and time — and the
 * compaction's own rows/s.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { s3Client } from '../src/aws/clients.js';
import type { StreamRecord } from '../src/domain/records.js';
import { appLogs as appLogsSource, sources } from '../src/features/catalog.js';
import { compactDay } from '../src/lake/compaction.js';
import { createLakeWriter } from '../src/lake/lake-writer.js';
import { partitionSchemeFor } from '../src/lake/layout.js';
import { encodeParquet } from '../src/lake/parquet/index.js';
import { lakeTables } from '../src/lake/tables.js';
import { S3RVER_OBJECT_SUFFIX, startEmulators } from '../src/local/emulators.js';
import { s3Storage } from '../src/query/lake-storage.js';
import { openLocalLake } from '../src/query/local-engine.js';
import { bindParams, resolveQuery } from '../src/query/sql-library.js';
import { appLogs } from '../src/workloads/app-logs.js';

export interface CompactionBenchResult {
  readonly rows: number;
  readonly batches: number;
  readonly filesBefore: number;
  readonly filesAfter: number;
  readonly compactionMs: number;
  readonly query: {
    readonly beforeMs: number;
    readonly afterMs: number;
    readonly filesReadBefore: number;
    readonly filesReadAfter: number;
  };
}

const DAY = '2025-01-01';
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

export async function benchCompaction(rowsPerDay = 200_000, log: (s: string) => void = () => {}): Promise<CompactionBenchResult> {
  const dir = mkdtempSync(path.join(tmpdir(), 'featurelake-compaction-bench-'));
  const emulators = await startEmulators(dir);
  try {
    const s3 = s3Client(emulators.env);
    const bucket = 'lake';
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    await s3.send(new CreateBucketCommand({ Bucket: 'quarantine' }));
    const settings = { timePartitioning: 'hour' } as const;
    const write = createLakeWriter({
      s3,
      bucket,
      quarantineBucket: 'quarantine',
      sources,
      policy: { maxLatenessMs: 10 * 365 * 86_400_000, maxClockSkewMs: 300_000 },
      scheme: (source) => partitionSchemeFor(source.name, settings),
      compression: 'snappy',
      encode: encodeParquet,
    });
    const start = Date.parse(`${DAY}T00:00:00Z`);
    const minute = 60_000;
    let batch: StreamRecord[] = [];
    let batchMinute = 0;
    let batches = 0;
    let sequence = 49_000_000_000_000_000_000_000_000_000_000_000_000_000_000n;
    const flush = async () => {
      if (batch.length === 0) return;
      await write(batch);
      batches++;
      batch = [];
    };
    for (const e of appLogs.generate({ events: rowsPerDay, seed: 7, startMs: start, ratePerSecond: rowsPerDay / 86_400 })) {
      const t = Date.parse(e.timestamp);
      if (Math.floor((t - start) / minute) !== batchMinute) {
        await flush();
        batchMinute = Math.floor((t - start) / minute);
      }
      sequence += 3n;
      batch.push({
        data: Buffer.from(JSON.stringify(e)).toString('base64'),
        sequenceNumber: String(sequence),
        partitionKey: e.user,
        shardId: 'shardId-000000000000',
        arrivalTimeMs: t + 1_000,
      });
    }
    await flush();
    log(`  wrote ${rowsPerDay} rows in ${batches} one-minute batches; querying, compacting…\n`);

    const storage = s3Storage({ s3, bucket, root: path.join(emulators.s3Directory, bucket), suffix: S3RVER_OBJECT_SUFFIX });
    const lake = await openLocalLake({ storage, tables: lakeTables([appLogsSource], settings) });
    const sql = bindParams(resolveQuery('app_logs_metrics'), {
      start: `${DAY}T00:00:00Z`,
      end: `${DAY}T23:59:59Z`,
      granularity: '1h',
      dims: 'user',
    });
    const measure = async () => {
      await lake.run(sql);
      const times: number[] = [];
      let files = 0;
      for (let i = 0; i < 3; i++) {
        const r = await lake.run(sql);
        times.push(r.elapsedMs);
        files = r.filesRead ?? Number.NaN;
      }
      return { ms: median(times), files };
    };
    const before = await measure();
    const t0 = performance.now();
    const summary = await compactDay(
      {
        s3,
        bucket,
        sources: [appLogsSource],
        scheme: (source) => partitionSchemeFor(source.name, settings),
        encode: encodeParquet,
        compression: 'snappy',
        minAgeMs: 0,
        maxInputBytes: 64 * 1024 * 1024,
      },
      DAY,
    );
    const compactionMs = performance.now() - t0;
    const after = await measure();
    lake.close();
    const merged = summary.partitions.reduce((n, p) => n + p.inputs, 0);
    return {
      rows: rowsPerDay,
      batches,
      filesBefore: before.files,
      filesAfter: before.files - merged + summary.partitions.length,
      compactionMs,
      query: { beforeMs: before.ms, afterMs: after.ms, filesReadBefore: before.files, filesReadAfter: after.files },
    };
  } finally {
    await emulators.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
