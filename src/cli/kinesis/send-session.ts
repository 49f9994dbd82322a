/**
 * One run of sending lines to the stream, shared by `send` and
 * `generate --send`: connect, queue lines as records, and end with either a
 * summary line or an error that says how many records failed.
 */

import { RecordTooLargeError } from '../../aws/put-records/batches.js';
import { PutRecordsFailedError } from '../../aws/put-records/retry.js';
import type { Catalog } from '../../features/define.js';
import { type CliError, runtimeError, usageError } from '../errors.js';
import type { StreamTarget } from '../targets.js';
import { connectKinesis, describeKinesisError, type KinesisConnection } from './connect.js';
import { type EntityKeyFields, entityKeyFields, partitionKeyFor } from './partition-key.js';
import { type SendStats, StreamSender } from './stream-sender.js';

export interface SendSessionOptions {
  /** The catalog whose entity keys partition the records (all events of an entity on one shard). */
  readonly catalog: Catalog;
  readonly concurrency: number;
  readonly onBatch?: (stats: Readonly<SendStats>) => void;
}

const count = (n: number) => n.toLocaleString('en-US');

export class SendSession {
  readonly sender: StreamSender;
  private readonly startedAt = performance.now();
  private readonly keyFields: EntityKeyFields;

  private constructor(
    private readonly target: StreamTarget,
    private readonly connection: KinesisConnection,
    options: SendSessionOptions,
  ) {
    this.sender = new StreamSender(connection.put, { concurrency: options.concurrency, onBatch: options.onBatch });
    this.keyFields = entityKeyFields(options.catalog);
  }

  static async open(target: StreamTarget, options: SendSessionOptions): Promise<SendSession> {
    return new SendSession(target, await connectKinesis(target), options);
  }

  /** Queues one line; `parsed` is its JSON value (undefined if it is not JSON). */
  async add(line: string, parsed: unknown, origin: string): Promise<void> {
    try {
      await this.sender.add({
        data: Buffer.from(line, 'utf8'),
        partitionKey: partitionKeyFor(line, parsed, this.keyFields),
        origin,
      });
    } catch (error) {
      throw this.explain(error);
    }
  }

  /** Waits for everything in flight; returns the summary line. */
  async finish(): Promise<string> {
    try {
      await this.sender.close();
    } catch (error) {
      throw this.explain(error);
    } finally {
      this.connection.client.destroy();
    }
    const { records, batches, retries, retriedRecords } = this.sender.stats;
    const seconds = (performance.now() - this.startedAt) / 1000;
    return (
      `sent ${count(records)} records to ${this.target.streamName} in ${count(batches)} batches, ` +
      `${count(retries)} retries (${count(retriedRecords)} records resent), ` +
      `${seconds.toFixed(2)} s, ${count(Math.round(records / Math.max(seconds, 0.001)))} records/s`
    );
  }

  /** After an error elsewhere: let requests in flight settle so the counts are true, then release the client. */
  async abandon(error: CliError): Promise<CliError> {
    await this.sender.close().catch(() => undefined);
    this.connection.client.destroy();
    const { records, failedRecords } = this.sender.stats;
    const failed = failedRecords > 0 ? `, ${count(failedRecords)} failed` : '';
    return Object.assign(error, { message: `${error.message} (stopped after sending ${count(records)} records${failed})` });
  }

  /** Releases the client without waiting (the command is failing anyway). */
  dispose(): void {
    this.connection.client.destroy();
  }

  private explain(error: unknown): CliError {
    if (error instanceof RecordTooLargeError) return usageError(error.message);
    const { records, failedRecords } = this.sender.stats;
    const detail = error instanceof PutRecordsFailedError ? error.message : describeKinesisError(error, this.target).message;
    return runtimeError(
      `${count(failedRecords)} record(s) failed to reach stream "${this.target.streamName}" at ${this.target.endpoint}: ` +
        `${detail}; ${count(records)} were sent`,
    );
  }
}
