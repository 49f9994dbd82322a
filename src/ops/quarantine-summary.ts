/**
 * What the quarantine holds, counted: records per consumer and reason, and the
 * hard data-quality expectations broken (reason `expectation_failed`, the
 * expectation named in the record or its detail `expectation:<name>: …`),
 * each record once whichever consumers set it aside. Reads the stream
 * consumers' objects under `invalid/consumer=<consumer>/dt=<day>/`
 * (src/quarantine/) for the days asked, the same on the local stack's emulator
 * and in AWS. (Batch ingest's reports, `invalid/consumer=batch-ingest/`, are
 * per file, not per record: not counted here.)
 */
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { objectsUnder } from '../aws/s3-objects.js';
import { forEachConcurrent } from '../domain/concurrency.js';
import { QUARANTINE_PREFIX } from '../quarantine/quarantine.js';
import { type ExpectationFailureCount, type QuarantineCount, STREAM_CONSUMERS } from './status.js';

export interface QuarantineSummaryOptions {
  readonly s3: S3Client;
  readonly bucket: string;
  /** Arrival days counted, ending today (UTC). @default 1 */
  readonly days?: number;
  readonly now?: Date;
  /** Objects read at most (each is a GET); past it, counts are of the first ones. @default 10_000 */
  readonly maxObjects?: number;
}

export interface QuarantineSummary {
  readonly quarantine: QuarantineCount[];
  readonly expectationFailures: ExpectationFailureCount[];
  /** `today (UTC)` or `the last 3 days (UTC)`. */
  readonly window: string;
  /** Set when more objects were there than were read. */
  readonly truncatedAt?: number;
}

interface QuarantinedBody {
  readonly reason?: string;
  readonly detail?: string;
  readonly source?: string | null;
  readonly expectation?: string;
  readonly shardId?: string;
  readonly sequenceNumber?: string;
}

/** The UTC days (yyyy-MM-dd) from `days - 1` days before `now` to `now`'s. */
export function arrivalDays(now: Date, days: number): string[] {
  return Array.from({ length: days }, (_, i) => new Date(now.getTime() - i * 86_400_000).toISOString().slice(0, 10));
}

/** The expectation a quarantined record broke, if it was an expectation. */
export function brokenExpectation(body: QuarantinedBody): string | undefined {
  if (body.reason !== 'expectation_failed') return undefined;
  return body.expectation ?? /^expectation:([^:]+):/.exec(body.detail ?? '')?.[1] ?? 'unknown';
}

export async function summarizeQuarantine(options: QuarantineSummaryOptions): Promise<QuarantineSummary> {
  const { s3, bucket } = options;
  const days = options.days ?? 1;
  const maxObjects = options.maxObjects ?? 10_000;
  const dayList = arrivalDays(options.now ?? new Date(), days);
  const keys: { consumer: string; key: string }[] = [];
  let total = 0;
  for (const consumer of STREAM_CONSUMERS) {
    for (const day of dayList) {
      // Listed by full prefix, not by child "folders": S3 emulators differ on delimiters with `=` in keys.
      for await (const object of objectsUnder(s3, bucket, `${QUARANTINE_PREFIX}consumer=${consumer}/dt=${day}/`)) {
        total++;
        if (keys.length < maxObjects && object.Key) keys.push({ consumer, key: object.Key });
      }
    }
  }

  const byReason = new Map<string, QuarantineCount>();
  const expectations = new Map<string, { source: string; expectation: string; records: Set<string> }>();
  await forEachConcurrent(keys, 16, async ({ consumer, key }) => {
    const response = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    const body = JSON.parse((await response.Body?.transformToString()) ?? '{}') as QuarantinedBody;
    const reason = body.reason ?? 'unknown';
    const id = `${consumer}\u0000${reason}`;
    const count = byReason.get(id) ?? { consumer, reason, records: 0 };
    byReason.set(id, { ...count, records: count.records + 1 });
    const expectation = brokenExpectation(body);
    if (expectation !== undefined) {
      const source = body.source ?? 'unknown';
      const entry = expectations.get(`${source}\u0000${expectation}`) ?? { source, expectation, records: new Set<string>() };
      // The same record quarantined by both consumers is one record.
      entry.records.add(`${body.shardId}/${body.sequenceNumber ?? key}`);
      expectations.set(`${source}\u0000${expectation}`, entry);
    }
  });

  const byName =
    <T>(key: (t: T) => string) =>
    (a: T, b: T) =>
      key(a).localeCompare(key(b));
  return {
    quarantine: [...byReason.values()].sort(byName((q) => `${q.consumer} ${q.reason}`)),
    expectationFailures: [...expectations.values()]
      .map((e) => ({ source: e.source, expectation: e.expectation, records: e.records.size }))
      .sort(byName((e) => `${e.source} ${e.expectation}`)),
    window: days === 1 ? 'today (UTC)' : `the last ${days} days (UTC)`,
    ...(total > keys.length ? { truncatedAt: keys.length } : {}),
  };
}
