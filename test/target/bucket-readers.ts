/**
 * Reads back, through the S3 API, what the target wrote for this run: lake
 * Parquet files (downloaded, then read by DuckDB, the independent reader) and
 * quarantine objects. Only objects written since the run started are read, and
 * only rows and records of the run's own entities count, so a shared
 * deployment's other data does not get in the way.
 *
 * Paths are the documented layout, written out here rather than taken from
 * src/lake/layout.ts: `events/clickstream/dt=YYYY-MM-DD/[hr=HH/]…parquet`,
 * `invalid/consumer=<consumer>/dt=<arrival day>/…json`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { GetObjectCommand, paginateListObjectsV2, type S3Client } from '@aws-sdk/client-s3';
import { duckdbQuery, sqlString } from '../support/duckdb.js';

/** Objects under `prefix` last modified at or after `sinceMs`. */
async function keysSince(s3: S3Client, bucket: string, prefix: string, sinceMs: number) {
  const found: { key: string; etag: string }[] = [];
  for await (const page of paginateListObjectsV2({ client: s3 }, { Bucket: bucket, Prefix: prefix })) {
    for (const o of page.Contents ?? []) {
      if (o.Key && (o.LastModified?.getTime() ?? 0) >= sinceMs) found.push({ key: o.Key, etag: o.ETag ?? '' });
    }
  }
  return found;
}

/** The object's bytes, or undefined when it is gone (compaction may replace a file between list and get). */
async function getBytes(s3: S3Client, bucket: string, key: string): Promise<Uint8Array | undefined> {
  try {
    const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return await (object.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray();
  } catch (error) {
    if ((error as { name?: string }).name === 'NoSuchKey') return undefined;
    throw error;
  }
}

export interface LakeRow {
  readonly event_id: string;
  readonly user_id: string;
  readonly event_type: string;
  readonly price: number | null;
  readonly event_time_ms: number;
  /** The object key the row was read from. */
  readonly key: string;
}

/** Lake files of one source, downloaded once each (by key and ETag) into `dir`. */
export class LakeReader {
  /** `<key>#<etag>` → local file, and local file → key. */
  private readonly downloaded = new Map<string, string>();
  private readonly keyOf = new Map<string, string>();

  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
    private readonly dir: string,
  ) {}

  /** Rows whose user_id starts with `userPrefix`, from files under `partitions` written since `sinceMs`. */
  async rows(partitions: readonly string[], sinceMs: number, userPrefix: string): Promise<{ rows: LakeRow[]; files: number }> {
    const files: string[] = [];
    for (const partition of partitions) {
      for (const { key, etag } of await keysSince(this.s3, this.bucket, partition, sinceMs)) {
        if (!key.endsWith('.parquet')) continue;
        const id = `${key}#${etag}`;
        let local = this.downloaded.get(id);
        if (!local) {
          const bytes = await getBytes(this.s3, this.bucket, key);
          if (!bytes) continue;
          local = path.join(this.dir, `${this.downloaded.size}`, key);
          mkdirSync(path.dirname(local), { recursive: true });
          writeFileSync(local, bytes);
          this.downloaded.set(id, local);
          this.keyOf.set(local, key);
        }
        files.push(local);
      }
    }
    if (files.length === 0) return { rows: [], files: 0 };
    const rows = await duckdbQuery(`
      SELECT event_id, user_id, event_type, price, epoch_ms(event_time)::DOUBLE AS event_time_ms, filename
      FROM read_parquet([${files.map(sqlString).join(', ')}], filename = true, hive_partitioning = false, union_by_name = true)
      WHERE starts_with(user_id, ${sqlString(userPrefix)})`);
    return {
      rows: rows.map((r) => ({
        event_id: String(r.event_id),
        user_id: String(r.user_id),
        event_type: String(r.event_type),
        price: r.price === null || r.price === undefined ? null : Number(r.price),
        event_time_ms: Number(r.event_time_ms),
        key: this.keyOf.get(String(r.filename)) ?? String(r.filename),
      })),
      files: files.length,
    };
  }
}

export interface QuarantinedObject {
  readonly key: string;
  readonly reason: string;
  readonly detail: string;
  readonly partitionKey: string;
  readonly payload: string;
}

/** Quarantine objects of one consumer, each fetched once. */
export class QuarantineReader {
  /** Key → the object, or null when it is not the run's. */
  private readonly seen = new Map<string, QuarantinedObject | null>();

  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
    private readonly consumer: string,
  ) {}

  /** Objects that arrived on `days`, written since `sinceMs`, whose partition key starts with `partitionKeyPrefix`. */
  async objects(days: readonly string[], sinceMs: number, partitionKeyPrefix: string): Promise<QuarantinedObject[]> {
    const found: QuarantinedObject[] = [];
    for (const day of days) {
      for (const { key } of await keysSince(this.s3, this.bucket, `invalid/consumer=${this.consumer}/dt=${day}/`, sinceMs)) {
        if (!this.seen.has(key)) {
          const bytes = await getBytes(this.s3, this.bucket, key);
          if (!bytes) continue;
          const body = JSON.parse(Buffer.from(bytes).toString('utf8'));
          const ours = typeof body.partitionKey === 'string' && body.partitionKey.startsWith(partitionKeyPrefix);
          this.seen.set(
            key,
            ours
              ? {
                  key,
                  reason: body.reason,
                  detail: body.detail,
                  partitionKey: body.partitionKey,
                  payload: Buffer.from(String(body.dataBase64), 'base64').toString('utf8'),
                }
              : null,
          );
        }
        const object = this.seen.get(key);
        if (object) found.push(object);
      }
    }
    return found;
  }
}

/** UTC days (YYYY-MM-DD) from `fromMs` to `toMs`, both included. */
export function utcDays(fromMs: number, toMs: number): string[] {
  const days: string[] = [];
  for (let t = Date.UTC(...ymd(fromMs)); t <= toMs; t += 86_400_000) days.push(new Date(t).toISOString().slice(0, 10));
  return days;
}

function ymd(ms: number): [number, number, number] {
  const d = new Date(ms);
  return [d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()];
}
