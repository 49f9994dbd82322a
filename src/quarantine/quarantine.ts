/**
 * The quarantine: where every record a consumer cannot use goes, with its
 * reason and its raw bytes, so nothing is dropped silently and nothing is
 * retried forever. One S3 object per record under a key derived from the
 * record's shard and sequence number, so quarantining the same record again
 * (a retried or replayed batch) overwrites instead of duplicating:
 *
 *   invalid/consumer=<consumer>/dt=<arrival date>/<shard id>/<sequence number>.json
 */
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { forEachConcurrent } from '../domain/concurrency.js';
import type { RejectedRecord } from '../domain/records.js';

export interface QuarantineOptions {
  readonly s3: S3Client;
  readonly bucket: string;
  /** Which stream consumer quarantines (aggregator, lake-writer). */
  readonly consumer: string;
  /** PutObject calls in flight. @default 16 */
  readonly concurrency?: number;
}

/** What a quarantined object holds. */
export interface QuarantinedRecord {
  readonly reason: RejectedRecord['reason'];
  readonly detail: string;
  readonly source: string | null;
  readonly consumer: string;
  readonly shardId: string;
  readonly sequenceNumber: string;
  readonly partitionKey: string;
  readonly arrivalTime: string;
  /** The payload exactly as received, base64. */
  readonly dataBase64: string;
}

/** Where the consumers' quarantine objects live in the bucket (the rest belongs to Lambda's on-failure destination). */
export const QUARANTINE_PREFIX = 'invalid/';

export function quarantineKey(consumer: string, rejected: RejectedRecord): string {
  const { record } = rejected;
  const day = new Date(record.arrivalTimeMs).toISOString().slice(0, 10);
  return `${QUARANTINE_PREFIX}consumer=${consumer}/dt=${day}/${record.shardId}/${record.sequenceNumber}.json`;
}

export function quarantineBody(consumer: string, rejected: RejectedRecord): QuarantinedRecord {
  const { record } = rejected;
  return {
    reason: rejected.reason,
    detail: rejected.detail,
    source: rejected.source ?? null,
    consumer,
    shardId: record.shardId,
    sequenceNumber: record.sequenceNumber,
    partitionKey: record.partitionKey,
    arrivalTime: new Date(record.arrivalTimeMs).toISOString(),
    dataBase64: record.data,
  };
}

/** Stores each rejected record; returns those that could not be stored. */
export async function quarantine(
  records: readonly RejectedRecord[],
  { s3, bucket, consumer, concurrency }: QuarantineOptions,
): Promise<{ rejected: RejectedRecord; error: unknown }[]> {
  const failures: { rejected: RejectedRecord; error: unknown }[] = [];
  await forEachConcurrent(records, concurrency ?? 16, async (rejected) => {
    try {
      await s3.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: quarantineKey(consumer, rejected),
          Body: JSON.stringify(quarantineBody(consumer, rejected)),
          ContentType: 'application/json',
        }),
      );
    } catch (error) {
      failures.push({ rejected, error });
    }
  });
  return failures;
}
