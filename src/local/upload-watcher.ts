/**
 * Locally, S3 → EventBridge → the batch-ingest function. s3rver emits no
 * EventBridge events, so the local stack watches the lake bucket's `sources/`
 * prefix instead: every `intervalMs` it lists the prefix and hands each new
 * or changed object (by key and ETag) to the handler as the "Object Created"
 * event S3 would send, its time the object's LastModified. As on AWS, a failed
 * run is retried (twice) and then given up on, logged.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { objectsUnder } from '../aws/s3-objects.js';
import { SOURCES_PREFIX } from '../batch/ingest.js';
import { type ObjectCreatedEvent, objectCreatedEvent } from '../batch/object-created.js';

export type ObjectCreatedHandler = (event: ObjectCreatedEvent) => Promise<unknown>;

export interface UploadWatcherOptions {
  readonly s3: S3Client;
  readonly bucket: string;
  readonly handler: ObjectCreatedHandler;
  /** @default 500 */
  readonly intervalMs?: number;
  /** Runs of one upload before it is given up on (Lambda's asynchronous retries: 2). @default 3 */
  readonly attempts?: number;
  readonly log?: (line: string) => void;
}

export class UploadWatcher {
  private readonly seen = new Map<string, string>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;
  private stopped = false;

  constructor(private readonly options: UploadWatcherOptions) {}

  start(): void {
    const tick = () => {
      if (this.stopped) return;
      this.running = this.scan().finally(() => {
        if (!this.stopped) this.timer = setTimeout(tick, this.options.intervalMs ?? 500);
      });
    };
    tick();
  }

  /** Resolves once a full scan after this call has found nothing new (every upload so far handled). */
  async idle(timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    await this.running;
    // A scan that starts now sees everything uploaded before the call.
    while (await this.scan()) {
      if (Date.now() > deadline) throw new Error(`uploads under ${SOURCES_PREFIX} still arriving after ${timeoutMs} ms`);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running?.catch(() => {});
  }

  /** One pass; resolves true when it handled something. Passes never overlap. */
  private scanning: Promise<boolean> | undefined;
  private scan(): Promise<boolean> {
    this.scanning = (this.scanning ?? Promise.resolve(false)).catch(() => false).then(() => this.scanOnce());
    return this.scanning;
  }

  private async scanOnce(): Promise<boolean> {
    const { s3, bucket } = this.options;
    let handled = false;
    for await (const object of objectsUnder(s3, bucket, SOURCES_PREFIX)) {
      if (!object.Key || this.seen.get(object.Key) === object.ETag) continue;
      this.seen.set(object.Key, object.ETag ?? '');
      handled = true;
      await this.handle(object.Key, objectCreatedEvent(bucket, object.Key, object.LastModified ?? new Date(), object.Size));
    }
    return handled;
  }

  /** Runs the handler on one upload, retrying as Lambda would; a run that still fails is logged and given up on. */
  private async handle(key: string, event: ObjectCreatedEvent): Promise<void> {
    const { handler, log, bucket } = this.options;
    const attempts = this.options.attempts ?? 3;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      try {
        await handler(event);
        return;
      } catch (error) {
        log?.(`batch-ingest of s3://${bucket}/${key} failed (attempt ${attempt}/${attempts}): ${(error as Error).message}`);
      }
    }
  }
}
