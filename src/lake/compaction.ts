/**
 * Small-file compaction. The lake writer leaves a file per partition per
 * batch and shard (a minute's batching window: ~60 files an hour per shard),
 * and Athena pays per file opened. Compaction merges a closed partition's
 * stream files into one `compacted-<id>.parquet`, without ever losing or
 * doubling a row for long:
 *
 * - The newest stream file of each shard is never compacted. The writer's
 *   exactly-once rule (src/lake/lake-writer.ts) drops records at or below the
 *   highest sequence number among a shard's files in the partition; that file
 *   keeps the watermark, so a retry or replay after compaction still writes
 *   nothing twice.
 * - Import files are left alone: they are large already, and re-running an
 *   import overwrites them by key.
 * - Crash safety: a manifest (`_compaction/<partition><id>.json`, outside the
 *   tables' locations) names the inputs and the output before anything
 *   changes. Output, then deletes of the inputs, then the manifest. A run
 *   first finishes what a crashed run left: output present → delete the
 *   inputs it holds; output absent → drop the manifest, the inputs are intact.
 *   Each manifest is recovered on its own: one that fails is reported against
 *   its partition, which this run then leaves alone; the others go on.
 *   Readers can see an input and its compacted copy together only between the
 *   output's PUT and the inputs' DELETE, a matter of milliseconds.
 */
import { createHash } from 'node:crypto';
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { parquetReadObjects } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import { childPrefixes, deleteKeys, objectExists, objectsUnder } from '../aws/s3-objects.js';
import { DAY_MS, isIsoDay, utcDay } from '../domain/days.js';
import type { EventSource } from '../features/define.js';
import { type LakeColumn, lakeColumns } from './columns.js';
import type { Compression, LakeRow, ParquetEncoder } from './lake-writer.js';
import { COMPACTION_PREFIX, EVENTS_PREFIX, type PartitionScheme, parseStreamObjectKey } from './layout.js';

export interface CompactionOptions {
  readonly s3: S3Client;
  readonly bucket: string;
  readonly sources: readonly EventSource[];
  readonly scheme: (source: EventSource) => PartitionScheme;
  readonly encode: ParquetEncoder;
  readonly compression: Compression;
  /** Only files written at least this long ago are merged (the writer may still be adding to younger partitions). */
  readonly minAgeMs: number;
  /** Input bytes per compacted file; a partition with more becomes several. */
  readonly maxInputBytes: number;
  readonly now?: () => number;
}

export interface PartitionCompaction {
  readonly partition: string;
  readonly output: string;
  readonly inputs: number;
  readonly rows: number;
  readonly inputBytes: number;
  readonly outputBytes: number;
}

export interface CompactionSummary {
  readonly day: string;
  readonly partitions: PartitionCompaction[];
  /** Partitions left as they were, and why (the next run retries them), including interrupted runs not recovered. */
  readonly failed: { readonly partition: string; readonly reason: string }[];
  /** Manifests of interrupted runs that this run completed or discarded. */
  readonly recovered: number;
}

interface ListedObject {
  readonly key: string;
  readonly size: number;
  readonly lastModified: number;
}

interface Manifest {
  readonly output: string;
  readonly inputs: readonly string[];
}

async function listAll(s3: S3Client, bucket: string, prefix: string): Promise<ListedObject[]> {
  const out: ListedObject[] = [];
  for await (const o of objectsUnder(s3, bucket, prefix))
    out.push({ key: o.Key as string, size: o.Size ?? 0, lastModified: o.LastModified?.getTime() ?? 0 });
  return out;
}

async function getBytes(s3: S3Client, bucket: string, key: string): Promise<Uint8Array> {
  const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return (await object.Body?.transformToByteArray()) ?? new Uint8Array();
}

/** The partitions (directories ending in '/') of a source on one day: `events/<source>/[model=…/]dt=<day>/[hr=…/]`. */
async function partitionsOfDay(
  options: CompactionOptions,
  source: EventSource,
  day: string,
): Promise<Map<string, ListedObject[]>> {
  const root = `${EVENTS_PREFIX}${source.name}/`;
  const dayPrefixes = options.scheme(source).byField
    ? (await childPrefixes(options.s3, options.bucket, root)).map((p) => `${p}dt=${day}/`)
    : [`${root}dt=${day}/`];
  const partitions = new Map<string, ListedObject[]>();
  for (const prefix of dayPrefixes) {
    for (const object of await listAll(options.s3, options.bucket, prefix)) {
      const dir = object.key.slice(0, object.key.lastIndexOf('/') + 1);
      const files = partitions.get(dir);
      if (files) files.push(object);
      else partitions.set(dir, [object]);
    }
  }
  return partitions;
}

/**
 * The stream files of a partition that may be merged: all but each shard's
 * newest, written at least `minAgeMs` ago, oldest first, grouped so no group
 * exceeds `maxInputBytes` (a group of one file is not worth rewriting).
 */
function compactionGroups(
  objects: readonly ListedObject[],
  minAgeMs: number,
  maxInputBytes: number,
  now: number,
): ListedObject[][] {
  const stream = objects
    .map((o) => ({ o, parsed: parseStreamObjectKey(o.key) }))
    .filter((s): s is { o: ListedObject; parsed: NonNullable<typeof s.parsed> } => s.parsed !== undefined);
  const newest = new Map<string, { key: string; last: bigint }>();
  for (const { o, parsed } of stream) {
    const last = BigInt(parsed.lastSequence);
    const seen = newest.get(parsed.shardId);
    if (!seen || last > seen.last) newest.set(parsed.shardId, { key: o.key, last });
  }
  const keep = new Set([...newest.values()].map((n) => n.key));
  const candidates = stream
    .map((s) => s.o)
    .filter((o) => !keep.has(o.key) && now - o.lastModified >= minAgeMs)
    .sort((a, b) => a.lastModified - b.lastModified || a.key.localeCompare(b.key));
  const groups: ListedObject[][] = [];
  let group: ListedObject[] = [];
  let bytes = 0;
  for (const o of candidates) {
    if (group.length > 0 && bytes + o.size > maxInputBytes) {
      groups.push(group);
      group = [];
      bytes = 0;
    }
    group.push(o);
    bytes += o.size;
  }
  groups.push(group);
  return groups.filter((g) => g.length >= 2);
}

/**
 * Lake rows of a Parquet file as the encoder takes them back: timestamps and
 * INT64 as numbers. hyparquet alone decodes snappy only; the lake is written
 * with any of `lake.compression`'s codecs (prod: zstd), and files written
 * before a codec change stay in the old one, so every codec is read.
 */
async function readRows(bytes: Uint8Array, columns: readonly LakeColumn[]): Promise<LakeRow[]> {
  const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  const rows = (await parquetReadObjects({ file, compressors })) as Record<string, unknown>[];
  return rows.map((r) => {
    const row: LakeRow = {};
    for (const c of columns) {
      const v = r[c.name];
      row[c.name] = v instanceof Date ? v.getTime() : typeof v === 'bigint' ? Number(v) : (v ?? null);
    }
    return row;
  });
}

interface Recovery {
  readonly recovered: number;
  /** Partitions whose interrupted run could not be finished: compacting them again could double rows. */
  readonly failed: { readonly partition: string; readonly reason: string }[];
}

/** The partition a manifest `_compaction/<partition><id>.json` belongs to. */
const partitionOfManifest = (key: string) => key.slice(COMPACTION_PREFIX.length, key.lastIndexOf('/') + 1);

/**
 * Completes or discards the manifests an interrupted run left, each on its
 * own: one that fails (S3 refusing, a corrupt manifest) is reported against
 * its partition and the rest go on.
 */
async function recover(options: CompactionOptions): Promise<Recovery> {
  const { s3, bucket } = options;
  const manifests = (await listAll(s3, bucket, COMPACTION_PREFIX)).filter((o) => o.key.endsWith('.json'));
  let recovered = 0;
  const failed: { partition: string; reason: string }[] = [];
  for (const { key } of manifests) {
    try {
      const manifest = JSON.parse(new TextDecoder().decode(await getBytes(s3, bucket, key))) as Manifest;
      // Output written: its inputs are inside it, so any left are duplicates. Output absent: nothing changed.
      if (await objectExists(s3, bucket, manifest.output)) await deleteKeys(s3, bucket, manifest.inputs);
      await deleteKeys(s3, bucket, [key]);
      recovered += 1;
    } catch (error) {
      failed.push({ partition: partitionOfManifest(key), reason: `recovering ${key}: ${(error as Error).message}` });
    }
  }
  return { recovered, failed };
}

/** The `count` days (yyyy-MM-dd, UTC) before the day of `time`, oldest first. */
export function daysBefore(time: number, count: number): string[] {
  const today = Math.floor(time / DAY_MS) * DAY_MS;
  return Array.from({ length: count }, (_, i) => utcDay(today - (count - i) * DAY_MS));
}

/** The days a scheduled run at `time` compacts: `daysBack` days before it, and, run hourly, its own day too. */
export function daysToCompact(time: number, daysBack: number, frequency: 'daily' | 'hourly'): string[] {
  const days = daysBefore(time, daysBack);
  return frequency === 'hourly' ? [...days, utcDay(time)] : days;
}

/** Merges one group of a partition's files: manifest, output, deletes, manifest gone. */
async function compactGroup(
  options: CompactionOptions,
  partition: string,
  group: readonly ListedObject[],
  columns: readonly LakeColumn[],
): Promise<PartitionCompaction> {
  const { s3, bucket } = options;
  const inputs = group.map((o) => o.key);
  const id = createHash('sha256').update(inputs.join('\n')).digest('hex').slice(0, 16);
  const output = `${partition}compacted-${id}.parquet`;
  const manifestKey = `${COMPACTION_PREFIX}${partition}${id}.json`;
  const manifest: Manifest = { output, inputs };
  await s3.send(
    new PutObjectCommand({ Bucket: bucket, Key: manifestKey, Body: JSON.stringify(manifest), ContentType: 'application/json' }),
  );
  const rows: LakeRow[] = [];
  for (const key of inputs) rows.push(...(await readRows(await getBytes(s3, bucket, key), columns)));
  const body = await options.encode(columns, rows, options.compression);
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: output, Body: body, ContentType: 'application/vnd.apache.parquet' }));
  await deleteKeys(s3, bucket, inputs);
  await deleteKeys(s3, bucket, [manifestKey]);
  return {
    partition,
    output,
    inputs: inputs.length,
    rows: rows.length,
    inputBytes: group.reduce((n, o) => n + o.size, 0),
    outputBytes: body.byteLength,
  };
}

/**
 * Compacts every partition of one day (yyyy-MM-dd) of every source. A
 * partition that fails (an unreadable file, S3 refusing) is reported in
 * `failed` and the others go on; its manifest lets the next run clean up.
 */
export async function compactDay(options: CompactionOptions, day: string): Promise<CompactionSummary> {
  if (!isIsoDay(day)) throw new Error(`compaction: "${day}" is not a day yyyy-MM-dd`);
  const now = (options.now ?? Date.now)();
  const { recovered, failed } = await recover(options);
  // A partition whose interrupted run is unfinished may hold an output beside its inputs: merging them again would double rows.
  const unrecovered = new Set(failed.map((f) => f.partition));
  const partitions: PartitionCompaction[] = [];
  for (const source of options.sources) {
    const columns = lakeColumns(source);
    for (const [partition, objects] of await partitionsOfDay(options, source, day)) {
      if (unrecovered.has(partition)) continue;
      for (const group of compactionGroups(objects, options.minAgeMs, options.maxInputBytes, now)) {
        try {
          partitions.push(await compactGroup(options, partition, group, columns));
        } catch (error) {
          failed.push({ partition, reason: (error as Error).message });
        }
      }
    }
  }
  return { day, partitions, failed, recovered };
}
