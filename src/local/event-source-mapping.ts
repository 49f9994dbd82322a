/**
 * A Kinesis event source mapping for handlers running in this process, with
 * Lambda's semantics (docs/local-stack.md):
 *  - per shard, in order, one batch at a time, from the starting position;
 *  - a batch closes at `batchSize` records, 6 MB, or when the batching window
 *    (counted from its first record) ends;
 *  - a partial batch response restarts from the lowest reported sequence
 *    number, dropping the records before it; an unknown identifier fails the
 *    whole batch;
 *  - a thrown error retries the batch, bisected in halves when enabled;
 *  - after `retryAttempts` retries, or once records are older than
 *    `maxRecordAgeSeconds`, they go to the on-failure destination (an S3
 *    object holding the invocation record and the payload) and are skipped.
 */
import { randomUUID } from 'node:crypto';
import {
  GetRecordsCommand,
  type GetRecordsCommandOutput,
  GetShardIteratorCommand,
  type KinesisClient,
  type _Record as KinesisRecord,
  ListShardsCommand,
} from '@aws-sdk/client-kinesis';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { KinesisStreamBatchResponse, KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda';
import { sleep } from '../domain/concurrency.js';
import type { EventSourceMappingModel } from './template-model.js';

export type KinesisHandler = (event: KinesisStreamEvent) => Promise<KinesisStreamBatchResponse | undefined>;

export interface LocalEventSourceMappingOptions {
  readonly kinesis: KinesisClient;
  readonly s3: S3Client;
  readonly streamName: string;
  readonly streamArn: string;
  readonly functionArn: string;
  readonly settings: EventSourceMappingModel;
  readonly handler: KinesisHandler;
  /** Wait between polls of an idle shard. @default 100 */
  readonly idlePollMs?: number;
  readonly log?: (line: string) => void;
}

export interface MappingStats {
  invocations: number;
  recordsDelivered: number;
  partialFailures: number;
  errors: number;
  bisections: number;
  recordsToDestination: number;
  lastError?: string;
}

const MAX_PAYLOAD_BYTES = 6 * 1024 * 1024;

interface Pending {
  readonly records: KinesisStreamRecord[];
  readonly retries: number;
}

export class LocalEventSourceMapping {
  readonly uuid = randomUUID();
  readonly stats: MappingStats = {
    invocations: 0,
    recordsDelivered: 0,
    partialFailures: 0,
    errors: 0,
    bisections: 0,
    recordsToDestination: 0,
  };
  private running = false;
  private loops: Promise<void>[] = [];
  /** Per shard: when its latest poll that found nothing began, and whether a batch is in flight. */
  private readonly idleSince = new Map<string, number>();

  constructor(private readonly options: LocalEventSourceMappingOptions) {}

  /** The settings this mapping runs with (the template's, with any local overrides). */
  get settings(): LocalEventSourceMappingOptions['settings'] {
    return this.options.settings;
  }

  async start(): Promise<void> {
    const { kinesis, streamName } = this.options;
    const shards = await kinesis.send(new ListShardsCommand({ StreamName: streamName }));
    this.running = true;
    this.loops = (shards.Shards ?? []).map((s) => this.pollShard(s.ShardId as string));
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
  }

  /** Resolves once every shard was found empty by a poll that began after this call. */
  async drain(timeoutMs = 60_000): Promise<void> {
    const since = Date.now();
    const deadline = since + timeoutMs;
    while ([...this.idleSince.values()].some((t) => t <= since)) {
      if (Date.now() > deadline) throw new Error(`event source mapping did not drain within ${timeoutMs} ms`);
      await sleep(20);
    }
  }

  private async pollShard(shardId: string): Promise<void> {
    const { kinesis, streamName, settings } = this.options;
    const idlePollMs = this.options.idlePollMs ?? 100;
    this.idleSince.set(shardId, 0);
    let iterator = (
      await kinesis.send(
        new GetShardIteratorCommand({ StreamName: streamName, ShardId: shardId, ShardIteratorType: settings.startingPosition }),
      )
    ).ShardIterator;
    const buffer: KinesisStreamRecord[] = [];
    while (this.running && iterator) {
      const batch: KinesisStreamRecord[] = [];
      let bytes = 0;
      let windowEnds = Number.POSITIVE_INFINITY;
      // Records already fetched always join the batch (up to its size); the window only bounds waiting for more.
      while (this.running && batch.length < settings.batchSize) {
        if (buffer.length === 0) {
          if (batch.length > 0 && Date.now() >= windowEnds) break;
          const pollStarted = Date.now();
          const page: GetRecordsCommandOutput = await kinesis.send(
            new GetRecordsCommand({ ShardIterator: iterator, Limit: settings.batchSize }),
          );
          iterator = page.NextShardIterator;
          buffer.push(...(page.Records ?? []).map((r) => this.toLambdaRecord(shardId, r)));
          if (buffer.length === 0) {
            if (batch.length === 0) this.idleSince.set(shardId, pollStarted);
            const wait = batch.length === 0 ? idlePollMs : Math.min(idlePollMs, windowEnds - Date.now());
            if (wait > 0) await sleep(wait);
            continue;
          }
        }
        const next = buffer[0] as KinesisStreamRecord;
        const size = next.kinesis.data.length + 512;
        if (batch.length > 0 && bytes + size > MAX_PAYLOAD_BYTES) break;
        batch.push(buffer.shift() as KinesisStreamRecord);
        bytes += size;
        if (batch.length === 1) windowEnds = Date.now() + settings.maxBatchingWindowSeconds * 1000;
      }
      if (batch.length > 0) await this.deliver(shardId, batch);
    }
  }

  /** Runs one batch to completion: success, or records handed to the on-failure destination. */
  private async deliver(shardId: string, batch: KinesisStreamRecord[]): Promise<void> {
    const { settings } = this.options;
    const queue: Pending[] = [{ records: batch, retries: 0 }];
    while (queue.length > 0) {
      const { records: all, retries } = queue.shift() as Pending;
      let records = all;
      if (settings.maxRecordAgeSeconds >= 0) {
        const oldest = Date.now() / 1000 - settings.maxRecordAgeSeconds;
        const expired = records.filter((r) => r.kinesis.approximateArrivalTimestamp < oldest);
        if (expired.length > 0) {
          await this.toDestination(shardId, expired, 'RecordAgeExceeded', retries);
          records = records.filter((r) => r.kinesis.approximateArrivalTimestamp >= oldest);
        }
      }
      if (records.length === 0) continue;
      if (retries > 0) await sleep(Math.min(1_000, 50 * 2 ** Math.min(retries, 5)));
      const failure = await this.invoke(records);
      if (!failure) continue;
      const retry = failure.retry;
      const exhausted = settings.retryAttempts >= 0 && retries >= settings.retryAttempts;
      if (exhausted) {
        await this.toDestination(shardId, retry, 'RetryAttemptsExhausted', retries + 1);
      } else if (failure.kind === 'error' && settings.bisectOnError && records.length > 1) {
        const half = Math.ceil(records.length / 2);
        this.stats.bisections++;
        queue.unshift(
          { records: records.slice(0, half), retries: retries + 1 },
          { records: records.slice(half), retries: retries + 1 },
        );
      } else {
        queue.unshift({ records: retry, retries: retries + 1 });
      }
    }
  }

  /** Invokes the handler; says what to retry, or undefined when the batch succeeded. */
  private async invoke(
    records: KinesisStreamRecord[],
  ): Promise<{ kind: 'error' | 'partial'; retry: KinesisStreamRecord[] } | undefined> {
    this.stats.invocations++;
    this.stats.recordsDelivered += records.length;
    let response: KinesisStreamBatchResponse | undefined;
    try {
      response = await this.options.handler({ Records: records });
    } catch (error) {
      this.stats.errors++;
      this.stats.lastError = (error as Error).message;
      this.options.log?.(`batch of ${records.length} records failed: ${(error as Error).message}`);
      return { kind: 'error', retry: records };
    }
    const failures = this.options.settings.reportBatchItemFailures ? (response?.batchItemFailures ?? []) : [];
    if (failures.length === 0) return undefined;
    this.stats.partialFailures++;
    const positions = failures.map((f) => records.findIndex((r) => r.kinesis.sequenceNumber === f.itemIdentifier));
    // Lambda treats an unknown identifier as a failure of the whole batch.
    if (positions.some((p) => p < 0)) return { kind: 'error', retry: records };
    return { kind: 'partial', retry: records.slice(Math.min(...positions)) };
  }

  private async toDestination(shardId: string, records: KinesisStreamRecord[], condition: string, invokeCount: number) {
    const { settings, s3, streamArn, functionArn } = this.options;
    this.stats.recordsToDestination += records.length;
    const first = records[0] as KinesisStreamRecord;
    const last = records.at(-1) as KinesisStreamRecord;
    this.options.log?.(`${records.length} records of ${shardId} sent to the on-failure destination (${condition})`);
    if (!settings.onFailureBucket) return;
    const now = new Date();
    const stamp = now.toISOString().slice(0, 19).replaceAll(':', '.');
    await s3.send(
      new PutObjectCommand({
        Bucket: settings.onFailureBucket,
        Key: `aws/lambda/${this.uuid}/${shardId}/${stamp.slice(0, 10).replaceAll('-', '/')}/${stamp}-${randomUUID()}`,
        ContentType: 'application/json',
        Body: JSON.stringify({
          version: '1.0',
          timestamp: now.toISOString(),
          requestContext: { requestId: randomUUID(), functionArn, condition, approximateInvokeCount: invokeCount },
          responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
          KinesisBatchInfo: {
            shardId,
            startSequenceNumber: first.kinesis.sequenceNumber,
            endSequenceNumber: last.kinesis.sequenceNumber,
            approximateArrivalOfFirstRecord: new Date(first.kinesis.approximateArrivalTimestamp * 1000).toISOString(),
            approximateArrivalOfLastRecord: new Date(last.kinesis.approximateArrivalTimestamp * 1000).toISOString(),
            batchSize: records.length,
            streamArn,
          },
          payload: JSON.stringify({ Records: records }),
        }),
      }),
    );
  }

  private toLambdaRecord(shardId: string, record: KinesisRecord): KinesisStreamRecord {
    return {
      kinesis: {
        kinesisSchemaVersion: '1.0',
        partitionKey: record.PartitionKey as string,
        sequenceNumber: record.SequenceNumber as string,
        data: Buffer.from(record.Data ?? new Uint8Array()).toString('base64'),
        approximateArrivalTimestamp: (record.ApproximateArrivalTimestamp?.getTime() ?? Date.now()) / 1000,
      },
      eventSource: 'aws:kinesis',
      eventVersion: '1.0',
      eventID: `${shardId}:${record.SequenceNumber}`,
      eventName: 'aws:kinesis:record',
      invokeIdentityArn: `${this.options.functionArn}-role`,
      awsRegion: 'us-east-1',
      eventSourceARN: this.options.streamArn,
    };
  }
}
