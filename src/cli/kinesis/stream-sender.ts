/**
 * Streams records onto Kinesis: packs them into PutRecords batches, keeps a
 * few requests in flight for throughput, applies backpressure to the producer
 * (add() waits when all slots are busy, so memory stays bounded however large
 * the input), and stops at the first batch that fails for good.
 *
 * Records of one partition key can land out of order when two batches are in
 * flight or an entry is retried; the pipeline is built for out-of-order events.
 */
import { BatchBuilder, type BatchLimits, type OutgoingRecord, PUT_RECORDS_LIMITS } from '../../aws/put-records/batches.js';
import {
  DEFAULT_RETRY,
  type PutRecords,
  PutRecordsFailedError,
  putWithRetry,
  type RetryPolicy,
} from '../../aws/put-records/retry.js';

export interface SendStats {
  /** Records Kinesis accepted. */
  records: number;
  /** Batches sent (first attempts). */
  batches: number;
  /** Extra PutRecords calls made to resend failed entries. */
  retries: number;
  /** Entries resent, summed over the retries. */
  retriedRecords: number;
  /** Records of batches that failed for good (after retries, or with the whole request). */
  failedRecords: number;
}

export interface StreamSenderOptions {
  /** PutRecords requests in flight at once. @default 4 */
  readonly concurrency?: number;
  readonly retry?: RetryPolicy;
  readonly limits?: BatchLimits;
  /** Called after each batch is accepted. */
  readonly onBatch?: (stats: Readonly<SendStats>) => void;
}

export class StreamSender {
  readonly stats: SendStats = { records: 0, batches: 0, retries: 0, retriedRecords: 0, failedRecords: 0 };
  private readonly builder: BatchBuilder;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly concurrency: number;
  private failure: unknown;
  private openedAt = 0;

  constructor(
    private readonly put: PutRecords,
    private readonly options: StreamSenderOptions = {},
  ) {
    this.builder = new BatchBuilder(options.limits ?? PUT_RECORDS_LIMITS);
    this.concurrency = options.concurrency ?? 4;
  }

  /** Records waiting in the open batch. */
  get pending(): number {
    return this.builder.size;
  }

  /** How long the oldest waiting record has waited, ms. */
  pendingAgeMs(now = performance.now()): number {
    return this.builder.size === 0 ? 0 : now - this.openedAt;
  }

  /** Queues a record; resolves once there is room for more. Throws the first send failure. */
  async add(record: OutgoingRecord): Promise<void> {
    this.throwIfFailed();
    if (this.builder.size === 0) this.openedAt = performance.now();
    const closed = this.builder.add(record);
    if (closed) {
      this.openedAt = performance.now();
      await this.dispatch(closed);
    }
  }

  /** Sends the open batch now, however small (for paced sending). */
  async flush(): Promise<void> {
    this.throwIfFailed();
    const batch = this.builder.take();
    if (batch.length > 0) await this.dispatch(batch);
  }

  /** Sends what is left and waits for every request; returns the totals. */
  async close(): Promise<SendStats> {
    await this.flush();
    await Promise.all(this.inFlight);
    this.throwIfFailed();
    return this.stats;
  }

  private async dispatch(batch: OutgoingRecord[]): Promise<void> {
    while (this.inFlight.size >= this.concurrency) await Promise.race(this.inFlight);
    this.throwIfFailed();
    this.stats.batches++;
    const task = putWithRetry(batch, this.put, this.options.retry ?? DEFAULT_RETRY).then(
      (outcome) => {
        this.stats.records += batch.length;
        this.stats.retries += outcome.calls - 1;
        this.stats.retriedRecords += outcome.retriedRecords;
        this.options.onBatch?.(this.stats);
      },
      (error: unknown) => {
        // Entries accepted before the batch gave up count as sent; the rest as failed.
        const failed = error instanceof PutRecordsFailedError ? error.failed.length : batch.length;
        this.stats.records += batch.length - failed;
        this.stats.failedRecords += failed;
        this.failure ??= error;
      },
    );
    const tracked = task.finally(() => this.inFlight.delete(tracked));
    this.inFlight.add(tracked);
  }

  private throwIfFailed(): void {
    if (this.failure !== undefined) throw this.failure;
  }
}
