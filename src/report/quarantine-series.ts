/**
 * (d) Quarantine by reason: the objects under `invalid/` of the quarantine
 * bucket (src/quarantine/quarantine.ts: one per stream record, with its
 * reason; src/batch/report.ts: one per batch-ingest run, with its rejected
 * rows) whose arrival falls in the range, counted per reason and consumer.
 * The stream consumers' keys carry the arrival day (`dt=`), so days outside
 * the range are not read.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { objectsUnder } from '../aws/s3-objects.js';
import { forEachConcurrent } from '../domain/concurrency.js';
import { QUARANTINE_PREFIX } from '../quarantine/quarantine.js';
import type { TimeRange } from './lake-series.js';
import type { QuarantineSeries } from './series.js';

/** Where the quarantine's objects are: a bucket, or a folder mirroring one. */
export interface QuarantineStore {
  /** For messages. */
  readonly description: string;
  keys(prefix: string): AsyncIterable<string>;
  read(key: string): Promise<string>;
}

export function s3QuarantineStore(s3: S3Client, bucket: string): QuarantineStore {
  return {
    description: `s3://${bucket}/${QUARANTINE_PREFIX}`,
    async *keys(prefix) {
      for await (const object of objectsUnder(s3, bucket, prefix)) if (object.Key) yield object.Key;
    },
    async read(key) {
      const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      return (out.Body as { transformToString(): Promise<string> }).transformToString();
    },
  };
}

/** A folder whose paths are the bucket's keys (plus `suffix`, as the S3 emulator stores them). */
export function directoryQuarantineStore(root: string, suffix = ''): QuarantineStore {
  return {
    description: path.join(root, QUARANTINE_PREFIX),
    async *keys(prefix) {
      const dir = path.join(root, prefix);
      if (!existsSync(dir)) return;
      for (const rel of readdirSync(dir, { recursive: true, encoding: 'utf8' }).sort()) {
        if (!rel.endsWith(suffix) || !statSync(path.join(dir, rel)).isFile()) continue;
        yield `${prefix}${rel
          .split(path.sep)
          .join('/')
          .slice(0, rel.length - suffix.length)}`;
      }
    },
    async read(key) {
      return readFileSync(path.join(root, `${key}${suffix}`), 'utf8');
    },
  };
}

/** One quarantine object's contribution: a stream record counts 1; a batch report its rejected rows (1 for a refused file). */
interface Counted {
  readonly consumer: string;
  readonly reason: string;
  readonly count: number;
  readonly atMs: number;
}

function countOf(body: unknown): Counted | undefined {
  if (body === null || typeof body !== 'object') return undefined;
  const o = body as Record<string, unknown>;
  if (typeof o.reason !== 'string' || typeof o.consumer !== 'string') return undefined;
  const at = Date.parse(String(o.arrivalTime ?? o.uploadTime ?? ''));
  if (!Number.isFinite(at)) return undefined;
  const rows = o.reason === 'invalid_rows' && typeof o.rowsRejected === 'number' ? o.rowsRejected : 1;
  return { consumer: o.consumer, reason: o.reason, count: rows, atMs: at };
}

const DAY_IN_KEY = /\/dt=(\d{4}-\d{2}-\d{2})\//;

export interface QuarantineOptions {
  /** Objects read at most; past it the chart says it counted a sample. @default 20_000 */
  readonly maxObjects?: number;
  readonly concurrency?: number;
  readonly onProgress?: (read: number) => void;
}

export async function quarantineByReason(
  store: QuarantineStore,
  range: TimeRange,
  options: QuarantineOptions = {},
): Promise<QuarantineSeries & { readonly truncated: boolean }> {
  const maxObjects = options.maxObjects ?? 20_000;
  const [firstDay, lastDay] = [new Date(range.fromMs), new Date(range.toMs - 1)].map((d) => d.toISOString().slice(0, 10));
  const keys: string[] = [];
  let truncated = false;
  for await (const key of store.keys(QUARANTINE_PREFIX)) {
    if (!key.endsWith('.json')) continue;
    const day = DAY_IN_KEY.exec(key)?.[1];
    if (day !== undefined && (day < (firstDay as string) || day > (lastDay as string))) continue;
    if (keys.length >= maxObjects) {
      truncated = true;
      break;
    }
    keys.push(key);
  }
  const totals = new Map<string, Map<string, number>>();
  let read = 0;
  await forEachConcurrent(keys, options.concurrency ?? 16, async (key) => {
    let counted: Counted | undefined;
    try {
      counted = countOf(JSON.parse(await store.read(key)));
    } catch {
      counted = undefined;
    }
    read++;
    if (read % 1000 === 0) options.onProgress?.(read);
    if (!counted || counted.atMs < range.fromMs || counted.atMs >= range.toMs) return;
    const byConsumer = totals.get(counted.reason) ?? new Map<string, number>();
    byConsumer.set(counted.consumer, (byConsumer.get(counted.consumer) ?? 0) + counted.count);
    totals.set(counted.reason, byConsumer);
  });
  const reasons = [...totals.keys()].sort();
  const consumers = [...new Set([...totals.values()].flatMap((m) => [...m.keys()]))].sort();
  return {
    reasons,
    consumers: consumers.map((consumer) => ({ consumer, counts: reasons.map((r) => totals.get(r)?.get(consumer) ?? 0) })),
    objectsRead: read,
    truncated,
  };
}
