/**
 * How far each stream consumer of the local stack is behind, read from the
 * outside: the local stack's event source mappings live in its own process,
 * so a consumer's position on a shard is the newest record it left a trace
 * of — the aggregator's watermarks in the online table (`wm#<shard>`), the
 * lake writer's files (`<shard>-<first>-<last>.parquet`), and either's
 * quarantined records (`invalid/consumer=<c>/…/<shard>/<sequence>.json`).
 * Records after it on the shard are its lag; the oldest of them gives the
 * iterator age, the position's own record when it last got somewhere.
 *
 * Approximate in one direction only: a record a consumer processed without a
 * trace (a repeat dropped, an event too old for any window) counts as lag
 * until a later record's trace passes it; a record counted as processed was.
 */
import { GetRecordsCommand, GetShardIteratorCommand, type KinesisClient, ListShardsCommand } from '@aws-sdk/client-kinesis';
import type { S3Client } from '@aws-sdk/client-s3';
import { type DynamoDBDocumentClient, paginateScan } from '@aws-sdk/lib-dynamodb';
import { objectsUnder } from '../aws/s3-objects.js';
import { padSequence } from '../domain/records.js';
import { parseStreamObjectKey } from '../lake/layout.js';
import { watermarkAttribute } from '../online-store/tile-item.js';
import { QUARANTINE_PREFIX } from '../quarantine/quarantine.js';

/** Per shard id: the highest sequence number (zero-padded) a consumer is known to have processed. */
export type ShardPositions = Map<string, string>;

function advance(positions: ShardPositions, shardId: string, sequence: string): void {
  const padded = padSequence(sequence);
  const current = positions.get(shardId);
  if (current === undefined || padded > current) positions.set(shardId, padded);
}

export async function listShardIds(kinesis: KinesisClient, streamName: string): Promise<string[]> {
  const shards = await kinesis.send(new ListShardsCommand({ StreamName: streamName }));
  return (shards.Shards ?? []).map((s) => s.ShardId as string);
}

/** The records a consumer quarantined, by shard: the highest sequence of each. */
export async function quarantinePositions(
  s3: S3Client,
  bucket: string,
  consumer: string,
  positions: ShardPositions = new Map(),
): Promise<ShardPositions> {
  for await (const object of objectsUnder(s3, bucket, `${QUARANTINE_PREFIX}consumer=${consumer}/`)) {
    const match = /\/(shardId-[^/]+)\/(\d+)\.json$/.exec(object.Key ?? '');
    if (match) advance(positions, match[1] as string, match[2] as string);
  }
  return positions;
}

/** The lake writer's stream files under `events/`, by shard: the highest last sequence of each. */
export async function lakeFilePositions(
  s3: S3Client,
  bucket: string,
  positions: ShardPositions = new Map(),
): Promise<ShardPositions> {
  for await (const object of objectsUnder(s3, bucket, 'events/')) {
    const parsed = object.Key ? parseStreamObjectKey(object.Key) : undefined;
    if (parsed) advance(positions, parsed.shardId, parsed.lastSequence);
  }
  return positions;
}

/** The aggregator's watermarks in the online table (heads and tiles), by shard: the highest of each. */
export async function watermarkPositions(
  doc: DynamoDBDocumentClient,
  tableName: string,
  shardIds: readonly string[],
  positions: ShardPositions = new Map(),
): Promise<ShardPositions> {
  if (shardIds.length === 0) return positions;
  const names = Object.fromEntries(shardIds.map((id, i) => [`#w${i}`, watermarkAttribute(id)]));
  const pages = paginateScan(
    { client: doc },
    { TableName: tableName, ProjectionExpression: Object.keys(names).join(', '), ExpressionAttributeNames: names },
  );
  for await (const page of pages) {
    for (const item of page.Items ?? []) {
      shardIds.forEach((id) => {
        const value = item[watermarkAttribute(id)];
        if (typeof value === 'string') advance(positions, id, value.replace(/^0+(?=\d)/, ''));
      });
    }
  }
  return positions;
}

export interface ShardLag {
  /** Records after the position. */
  readonly records: number;
  /** Arrival of the first record after it, epoch ms. */
  readonly oldestWaitingMs?: number;
  /** Arrival of the position's own record, epoch ms. */
  readonly positionArrivalMs?: number;
  /** More records than `maxRecords` were behind: `records` is a lower bound. */
  readonly capped: boolean;
}

/** Reads the shard after `position` (from its start when there is none) to its end, counting. */
export async function shardLag(
  kinesis: KinesisClient,
  streamName: string,
  shardId: string,
  position: string | undefined,
  maxRecords = 100_000,
): Promise<ShardLag> {
  let positionArrivalMs: number | undefined;
  const sequence = position?.replace(/^0+(?=\d)/, '');
  if (sequence !== undefined) {
    const at = await kinesis.send(
      new GetShardIteratorCommand({
        StreamName: streamName,
        ShardId: shardId,
        ShardIteratorType: 'AT_SEQUENCE_NUMBER',
        StartingSequenceNumber: sequence,
      }),
    );
    const page = await kinesis.send(new GetRecordsCommand({ ShardIterator: at.ShardIterator, Limit: 1 }));
    positionArrivalMs = page.Records?.[0]?.ApproximateArrivalTimestamp?.getTime();
  }
  let iterator = (
    await kinesis.send(
      new GetShardIteratorCommand({
        StreamName: streamName,
        ShardId: shardId,
        ...(sequence === undefined
          ? { ShardIteratorType: 'TRIM_HORIZON' }
          : { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', StartingSequenceNumber: sequence }),
      }),
    )
  ).ShardIterator;
  let records = 0;
  let oldestWaitingMs: number | undefined;
  let emptyPages = 0;
  while (iterator && records < maxRecords && emptyPages < 5) {
    const page = await kinesis.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 10_000 }));
    const got = page.Records ?? [];
    if (got.length > 0 && oldestWaitingMs === undefined) oldestWaitingMs = got[0]?.ApproximateArrivalTimestamp?.getTime();
    records += got.length;
    // An open shard always has a next iterator: stop at its end (nothing returned, nothing behind).
    if (got.length === 0 && (page.MillisBehindLatest ?? 0) === 0) break;
    emptyPages = got.length === 0 ? emptyPages + 1 : 0;
    iterator = page.NextShardIterator;
  }
  return {
    records,
    capped: records >= maxRecords,
    ...(oldestWaitingMs === undefined ? {} : { oldestWaitingMs }),
    ...(positionArrivalMs === undefined ? {} : { positionArrivalMs }),
  };
}
