/**
 * The status of a running local stack, from its emulators only (the CLI runs
 * in another process than the stack): consumer lag from the stream and the
 * consumers' traces (./consumer-lag.ts), the quarantine (./quarantine-summary.ts),
 * the model registry's versions and aliases (./model-summary.ts), each
 * model's latest drift run in the lake (./drift-summary.ts). The local stack
 * has no alarms.
 */
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import type { S3Client } from '@aws-sdk/client-s3';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { LocalStackInfo } from '../local/local-stack-info.js';
import {
  lakeFilePositions,
  listShardIds,
  quarantinePositions,
  type ShardPositions,
  shardLag,
  watermarkPositions,
} from './consumer-lag.js';
import { summarizeDrift } from './drift-summary.js';
import { summarizeModels } from './model-summary.js';
import { summarizeQuarantine } from './quarantine-summary.js';
import type { ConsumerStatus, StatusReport } from './status.js';

export interface LocalStatusClients {
  readonly kinesis: KinesisClient;
  readonly s3: S3Client;
  readonly doc: DynamoDBDocumentClient;
}

export interface LocalStatusOptions {
  /** Quarantine days counted, ending today (UTC). @default 1 */
  readonly days?: number;
  readonly now?: () => Date;
}

/** A consumer's lag over every shard, from its positions. */
async function consumerStatus(
  name: string,
  positions: ShardPositions,
  shardIds: readonly string[],
  kinesis: KinesisClient,
  streamName: string,
  now: Date,
): Promise<ConsumerStatus & { capped: boolean }> {
  let lagRecords = 0;
  let oldestWaiting: number | undefined;
  let lastBatch: number | undefined;
  let capped = false;
  for (const shardId of shardIds) {
    const lag = await shardLag(kinesis, streamName, shardId, positions.get(shardId));
    lagRecords += lag.records;
    capped ||= lag.capped;
    if (lag.oldestWaitingMs !== undefined) oldestWaiting = Math.min(oldestWaiting ?? lag.oldestWaitingMs, lag.oldestWaitingMs);
    if (lag.positionArrivalMs !== undefined) lastBatch = Math.max(lastBatch ?? 0, lag.positionArrivalMs);
  }
  return {
    name,
    lagRecords,
    lagMs: oldestWaiting === undefined ? 0 : Math.max(0, now.getTime() - oldestWaiting),
    ...(lastBatch === undefined ? {} : { lastBatchAt: new Date(lastBatch) }),
    capped,
  };
}

export async function collectLocalStatus(
  info: LocalStackInfo,
  clients: LocalStatusClients,
  options: LocalStatusOptions = {},
): Promise<StatusReport> {
  const now = (options.now ?? (() => new Date()))();
  const { kinesis, s3, doc } = clients;
  const { streamName, tableName, quarantineBucket, lakeBucket, modelsBucket } = info.resources;
  const shardIds = await listShardIds(kinesis, streamName);

  const aggregator = await watermarkPositions(
    doc,
    tableName,
    shardIds,
    await quarantinePositions(s3, quarantineBucket, 'aggregator'),
  );
  const lakeWriter = await lakeFilePositions(s3, lakeBucket, await quarantinePositions(s3, quarantineBucket, 'lake-writer'));
  const consumers = [
    await consumerStatus('aggregator', aggregator, shardIds, kinesis, streamName, now),
    await consumerStatus('lake-writer', lakeWriter, shardIds, kinesis, streamName, now),
  ];
  const quarantine = await summarizeQuarantine({
    s3,
    bucket: quarantineBucket,
    now,
    ...(options.days ? { days: options.days } : {}),
  });
  const models = modelsBucket ? await summarizeModels({ s3, bucket: modelsBucket }) : [];
  const driftRuns = await summarizeDrift(s3, lakeBucket);

  const notes = [
    'lag: records after the newest one each consumer left a trace of (watermark, lake file, quarantined record); last batch: that record’s arrival',
    ...consumers.filter((c) => c.capped).map((c) => `${c.name}: more records behind than were counted`),
    ...(quarantine.truncatedAt
      ? [`quarantine: counted the first ${quarantine.truncatedAt.toLocaleString('en-US')} records`]
      : []),
    ...(modelsBucket ? [] : ['models: the local stack has no models bucket']),
    'drift: the latest run per model in the lake (`featurelake drift` writes one here); the local stack has no alarms',
  ];
  return {
    target: `local stack (${info.env}), started ${info.startedAt}`,
    at: now,
    consumers: consumers.map(({ capped: _, ...c }) => c),
    quarantineWindow: quarantine.window,
    quarantine: quarantine.quarantine,
    expectationFailures: quarantine.expectationFailures,
    models,
    drift: [],
    driftRuns,
    notes,
  };
}
