/**
 * The prediction log (seed 001): every prediction the endpoint makes, as an
 * event of the catalog's `predictions` source on the ingest stream. From
 * there the lake writer lands it in the lake's `predictions` table
 * (partitioned by date, hour and model), once: the source dedupes on
 * `prediction_id`, so a PutRecords retried after a timeout is counted once.
 *
 * Records are buffered by the request and flushed after its response has
 * been sent (lambdas/predict streams the response, then flushes before the
 * invocation ends: nothing is left in memory when the environment is frozen
 * or shut down). A flush that fails keeps its records for the next one, up to
 * `maxBuffered`; past that the oldest are written to the function's log as
 * `prediction log overflow` lines (recoverable from CloudWatch Logs) and
 * counted as failed. A logging failure never fails a prediction.
 */
import { randomUUID } from 'node:crypto';
import { type KinesisClient, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { type OutgoingRecord, toBatches } from '../aws/put-records/batches.js';
import { PutRecordsFailedError, putWithRetry, type RetryPolicy } from '../aws/put-records/retry.js';

/** The stream record of one prediction: the `predictions` source's fields (src/features/catalog.ts). */
export interface PredictionRecord {
  readonly source: 'predictions';
  readonly timestamp: string;
  readonly prediction_id: string;
  readonly request_id: string;
  readonly model_name: string;
  readonly model_version: string;
  readonly entity_type: string;
  readonly entity_id: string;
  readonly label: string;
  readonly score: number;
  /** Read + score time of the request, ms (the same for every entity of it). */
  readonly inference_time_ms: number;
  /** The input values the model scored, as JSON ({name: value}). */
  readonly features: string;
  /** Scored by the model's shadow version: logged, never returned. */
  readonly shadow: boolean;
  readonly environment: string;
  readonly backend: string;
}

export interface PredictionLogCounts {
  /** Waiting for a flush (added, or kept after a failed flush). */
  readonly buffered: number;
  /** Accepted by the stream. */
  readonly written: number;
  /** Given up on: written to the function's log instead (overflow). */
  readonly failed: number;
  /** Flushes that could not write everything. */
  readonly failedFlushes: number;
}

export interface PredictionLogOptions {
  readonly kinesis: Pick<KinesisClient, 'send'>;
  readonly streamName: string;
  /** Records kept across failed flushes before the oldest go to the overflow. @default 10_000 */
  readonly maxBuffered?: number;
  /** @default 4 attempts, 50–400 ms: a flush runs after the response, but within the invocation. */
  readonly retry?: RetryPolicy;
  /** Records given up on (already counted): the handler logs them. */
  readonly onOverflow?: (records: readonly PredictionRecord[], reason: string) => void;
  /** A flush that failed (its records are kept). */
  readonly onFlushError?: (error: Error, kept: number) => void;
}

export const newPredictionId = (): string => randomUUID();

export class PredictionLog {
  private buffer: PredictionRecord[] = [];
  private written = 0;
  private failed = 0;
  private failedFlushes = 0;
  private flushing: Promise<void> | undefined;
  private readonly maxBuffered: number;
  private readonly retry: RetryPolicy;

  constructor(private readonly options: PredictionLogOptions) {
    this.maxBuffered = options.maxBuffered ?? 10_000;
    this.retry = options.retry ?? { maxAttempts: 4, baseDelayMs: 50, maxDelayMs: 400 };
  }

  add(records: readonly PredictionRecord[]): void {
    this.buffer.push(...records);
    const over = this.buffer.length - this.maxBuffered;
    if (over > 0) this.giveUp(this.buffer.splice(0, over), `more than ${this.maxBuffered} records waiting`);
  }

  counts(): PredictionLogCounts {
    return { buffered: this.buffer.length, written: this.written, failed: this.failed, failedFlushes: this.failedFlushes };
  }

  /** Writes every buffered record; a second call while one runs waits for it and then flushes what came since. */
  async flush(): Promise<void> {
    while (this.flushing) await this.flushing;
    if (this.buffer.length === 0) return;
    this.flushing = this.flushOnce().finally(() => {
      this.flushing = undefined;
    });
    await this.flushing;
  }

  private async flushOnce(): Promise<void> {
    const taken = this.buffer;
    this.buffer = [];
    const outgoing = taken.map(
      (record, i): OutgoingRecord => ({
        data: Buffer.from(JSON.stringify(record)),
        partitionKey: record.entity_id,
        origin: String(i),
      }),
    );
    const kept: PredictionRecord[] = [];
    let firstError: Error | undefined;
    // Batches go one after another: a request's records are few, and a failing stream is not hammered.
    for (const batch of toBatches(outgoing)) {
      try {
        await putWithRetry(batch, (records) => this.put(records), this.retry);
        this.written += batch.length;
      } catch (error) {
        firstError ??= error as Error;
        const failed = error instanceof PutRecordsFailedError ? error.failed : batch;
        this.written += batch.length - failed.length;
        for (const record of failed) kept.push(taken[Number(record.origin)] as PredictionRecord);
      }
    }
    if (kept.length > 0) {
      this.failedFlushes++;
      this.buffer = [...kept, ...this.buffer];
      this.options.onFlushError?.(firstError as Error, kept.length);
      this.add([]);
    }
  }

  private async put(records: readonly OutgoingRecord[]) {
    return this.options.kinesis.send(
      new PutRecordsCommand({
        StreamName: this.options.streamName,
        Records: records.map((r) => ({ Data: r.data, PartitionKey: r.partitionKey })),
      }),
    );
  }

  private giveUp(records: readonly PredictionRecord[], reason: string): void {
    if (records.length === 0) return;
    this.failed += records.length;
    this.options.onOverflow?.(records, reason);
  }
}
