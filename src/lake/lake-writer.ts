/**
 * The lake writer's work on one batch of stream records: decode and validate
 * (the quarantine takes the rest) → group valid events by source and
 * partition → one Parquet file per (partition, shard, batch) under a key made
 * of the shard id and the sequence range it holds.
 *
 * Exactly-once: a retried batch rewrites the same key. A bisected or partly
 * failed batch restarts at another sequence number, so its files would get
 * other keys; therefore, before writing a partition, the writer lists that
 * partition's files from this shard and drops the records at or below the
 * highest sequence number they hold. Within a shard, records reach a partition
 * in sequence order, so those records are exactly the ones already written.
 *
 * Beside it, the data-quality counts of what it keeps (what the lake holds)
 * and quarantines (src/quality/batch-quality.ts): the figures the daily report
 * over the lake gives again.
 */
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { objectsUnder } from '../aws/s3-objects.js';
import { dedupingSources, repeatedEvents } from '../dedupe/first-occurrence.js';
import { groupBy } from '../domain/collections.js';
import { forEachConcurrent } from '../domain/concurrency.js';
import {
  createRecordDecoder,
  padSequence,
  type RejectedRecord,
  type StreamRecord,
  type ValidationPolicy,
  type ValidEvent,
} from '../domain/records.js';
import type { EventSource, FeatureView } from '../features/define.js';
import { createQualityCheck, type QualityReport } from '../quality/batch-quality.js';
import { quarantine } from '../quarantine/quarantine.js';
import { type LakeColumn, lakeColumns } from './columns.js';
import { type PartitionScheme, parseStreamObjectKey, partitionPath, streamObjectKey } from './layout.js';

export const CONSUMER = 'lake-writer';

/** One lake row: the event's fields (event time as epoch ms) plus the lineage columns. */
export type LakeRow = Record<string, unknown>;

export const COMPRESSIONS = ['snappy', 'zstd', 'gzip', 'none'] as const;
export type Compression = (typeof COMPRESSIONS)[number];

/** Turns rows into a Parquet file (src/lake/parquet). */
export type ParquetEncoder = (
  columns: readonly LakeColumn[],
  rows: readonly LakeRow[],
  compression: Compression,
) => Promise<Uint8Array>;

export interface LakeWriterOptions {
  readonly s3: S3Client;
  readonly bucket: string;
  readonly quarantineBucket: string;
  readonly sources: readonly EventSource[];
  readonly policy: ValidationPolicy;
  /** How each source is partitioned. */
  readonly scheme: (source: EventSource) => PartitionScheme;
  readonly compression: Compression;
  readonly encode: ParquetEncoder;
  /** Partitions written in parallel. @default 8 */
  readonly concurrency?: number;
  /** Where the markers of sources with `dedupeBy` live (the online table); required when a source has one. */
  readonly dedupe?: { readonly doc: DynamoDBDocumentClient; readonly tableName: string };
  /** Feature views whose expectations the source's events are counted against too (the aggregator's). @default none */
  readonly views?: readonly FeatureView[];
}

export interface LakeBatchSummary {
  records: number;
  valid: number;
  quarantined: Partial<Record<RejectedRecord['reason'], number>>;
  files: number;
  rowsWritten: number;
  /** Rows skipped because a file of an earlier attempt already holds them. */
  rowsAlreadyWritten: number;
  bytesWritten: number;
  failures: number;
  /** Events dropped as repeats of an earlier one (sources with `dedupeBy`). */
  duplicates: number;
  /** Expectations' counts per source over the events kept and quarantined (the handler publishes them). */
  quality: QualityReport;
}

export interface LakeBatchResult {
  readonly summary: LakeBatchSummary;
  /** Sequence numbers to restart from, at most one per shard. */
  readonly retryFrom: readonly string[];
  readonly firstError?: unknown;
}

interface PartitionGroup {
  readonly source: EventSource;
  readonly partition: string;
  readonly events: ValidEvent[];
}

export function createLakeWriter(options: LakeWriterOptions) {
  const decode = createRecordDecoder(options.sources, options.policy);
  const bySource = new Map(options.sources.map((s) => [s.name, s]));
  const dedupe = dedupingSources(options.sources);
  const quality = createQualityCheck(options.sources, options.views);

  return async function writeBatch(records: readonly StreamRecord[]): Promise<LakeBatchResult> {
    const summary: LakeBatchSummary = {
      records: records.length,
      valid: 0,
      quarantined: {},
      files: 0,
      rowsWritten: 0,
      rowsAlreadyWritten: 0,
      bytesWritten: 0,
      failures: 0,
      duplicates: 0,
      quality: [],
    };
    const retryFrom: string[] = [];
    let firstError: unknown;
    const checks = quality.start();

    for (const [shardId, shardRecords] of groupBy(records, (r) => r.shardId)) {
      const groups = new Map<string, PartitionGroup>();
      const rejected: RejectedRecord[] = [];
      for (const record of shardRecords) {
        const decoded = decode(record);
        if (!decoded.ok) {
          rejected.push(decoded.rejected);
          continue;
        }
        const { event } = decoded;
        const source = bySource.get(event.source) as EventSource;
        const partition = partitionPath(source.name, options.scheme(source), event.eventTimeMs, event.data);
        let group = groups.get(partition);
        if (!group) {
          group = { source, partition, events: [] };
          groups.set(partition, group);
        }
        group.events.push(event);
        summary.valid++;
      }
      const held = dedupe.size > 0 ? [...groups.values()].flatMap((g) => g.events).filter((e) => dedupe.has(e.source)) : [];
      if (held.length > 0) {
        let repeated: Set<string>;
        try {
          if (!options.dedupe)
            throw new Error(`source ${held[0]?.source} deduplicates: the lake writer needs the table of its markers`);
          repeated = await repeatedEvents(held, dedupe, { ...options.dedupe, consumer: CONSUMER });
        } catch (error) {
          // Nothing of the shard's batch is written yet: retry all of it.
          firstError ??= error;
          retryFrom.push((shardRecords[0] as StreamRecord).sequenceNumber);
          continue;
        }
        for (const [partition, group] of groups) {
          const kept = group.events.filter((e) => !repeated.has(e.sequence));
          if (kept.length === 0) groups.delete(partition);
          else groups.set(partition, { ...group, events: kept });
        }
        summary.duplicates += repeated.size;
      }
      for (const r of rejected) {
        summary.quarantined[r.reason] = (summary.quarantined[r.reason] ?? 0) + 1;
        checks.reject(r);
      }
      // What the lake keeps of the shard's batch: after deduplication.
      for (const group of groups.values()) for (const event of group.events) checks.add(event);

      const failedFrom: string[] = [];
      const quarantineWrite = quarantine(rejected, { s3: options.s3, bucket: options.quarantineBucket, consumer: CONSUMER }).then(
        (failures) => {
          for (const f of failures) {
            firstError ??= f.error;
            failedFrom.push(padSequence(f.rejected.record.sequenceNumber));
          }
        },
      );
      await forEachConcurrent([...groups.values()], options.concurrency ?? 8, async (group) => {
        try {
          await writePartition(group, shardId, options, summary);
        } catch (error) {
          summary.failures++;
          firstError ??= error;
          failedFrom.push(group.events.map((e) => e.sequence).sort()[0] as string);
        }
      });
      await quarantineWrite;

      if (failedFrom.length > 0) {
        const lowest = [...failedFrom].sort()[0];
        retryFrom.push((shardRecords.find((r) => padSequence(r.sequenceNumber) === lowest) as StreamRecord).sequenceNumber);
      }
    }
    summary.quality = checks.report();
    return { summary, retryFrom, ...(firstError === undefined ? {} : { firstError }) };
  };
}

async function writePartition(group: PartitionGroup, shardId: string, options: LakeWriterOptions, summary: LakeBatchSummary) {
  const written = await highestWrittenSequence(options.s3, options.bucket, group.partition, shardId);
  const events = written === undefined ? group.events : group.events.filter((e) => e.sequence > written);
  summary.rowsAlreadyWritten += group.events.length - events.length;
  if (events.length === 0) return;

  const columns = lakeColumns(group.source);
  const rows = events.map((e) => toRow(group.source, e));
  const body = await options.encode(columns, rows, options.compression);
  const sequences = events.map((e) => e.sequence).sort();
  const key = streamObjectKey(group.partition, shardId, unpad(sequences[0] as string), unpad(sequences.at(-1) as string));
  await options.s3.send(
    new PutObjectCommand({ Bucket: options.bucket, Key: key, Body: body, ContentType: 'application/vnd.apache.parquet' }),
  );
  summary.files++;
  summary.rowsWritten += rows.length;
  summary.bytesWritten += body.byteLength;
}

/** The highest sequence number (padded) in this shard's stream files of a partition, if any. */
async function highestWrittenSequence(
  s3: S3Client,
  bucket: string,
  partition: string,
  shardId: string,
): Promise<string | undefined> {
  let highest: string | undefined;
  for await (const object of objectsUnder(s3, bucket, `${partition}${shardId}-`)) {
    const parsed = object.Key ? parseStreamObjectKey(object.Key) : undefined;
    if (!parsed) continue;
    const last = padSequence(parsed.lastSequence);
    if (highest === undefined || last > highest) highest = last;
  }
  return highest;
}

/**
 * A lake row: the source's columns in order — the event's fields, its event
 * time as epoch ms, then the lineage columns. Built key by key from an empty
 * object so every row of a source shares one V8 hidden class: a spread
 * (`{ ...data, timestamp: ms }`) gave each row its own, and the Parquet
 * encoder's reads of 10,000 such rows ran several times slower (measured in
 * docs/parquet-writer.md).
 */
export function lakeRow(
  source: EventSource,
  data: Readonly<Record<string, unknown>>,
  eventTimeMs: number,
  lineage: { readonly arrivalTimeMs: number; readonly recordId: string },
): LakeRow {
  const row: LakeRow = {};
  for (const { name } of lakeColumns(source)) {
    if (name === source.eventTimeField) row[name] = eventTimeMs;
    else if (name === 'arrival_time') row[name] = lineage.arrivalTimeMs;
    else if (name === 'record_id') row[name] = lineage.recordId;
    else row[name] = data[name];
  }
  return row;
}

/** The lake row of a stream event. */
export function toRow(source: EventSource, event: ValidEvent): LakeRow {
  return lakeRow(source, event.data, event.eventTimeMs, {
    arrivalTimeMs: event.record.arrivalTimeMs,
    recordId: `${event.record.shardId}:${event.record.sequenceNumber}`,
  });
}

const unpad = (padded: string) => padded.replace(/^0+(?=\d)/, '');
