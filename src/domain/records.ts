/**
 * Turns raw stream records into validated events, or into rejections that say
 * why. Shared by every stream consumer (aggregator, lake writer) and the CLI.
 *
 * A record is a JSON object whose `source` field names an event source of the
 * catalog; the rest must satisfy that source's schema. Lateness and clock skew
 * are judged against the record's arrival time on the stream, not against the
 * consumer's clock, so a retry or replay days later classifies every record
 * exactly as the first attempt did.
 *
 * A source's hard expectations (src/quality/expectations.ts) are judged right
 * after its schema, before the time bounds: they are about the content, so
 * every consumer, whatever its bounds, quarantines such an event alike, as
 * `expectation_failed` for the first one (in declaration order) it breaks.
 */
import type { EventSource } from '../features/define.js';
import { expectationKind, severityOf } from '../quality/expectations.js';
import { parseDuration } from './duration.js';

/** A stream record as every consumer sees it, independent of the AWS event shape. */
export interface StreamRecord {
  /** Base64 of the payload bytes, as Kinesis delivers them to Lambda. */
  readonly data: string;
  readonly sequenceNumber: string;
  readonly partitionKey: string;
  readonly shardId: string;
  /** ApproximateArrivalTimestamp, epoch ms. */
  readonly arrivalTimeMs: number;
}

export type RejectReason =
  | 'not_json'
  | 'not_an_object'
  | 'unknown_source'
  | 'schema_violation'
  | 'expectation_failed'
  | 'late_event'
  | 'future_event';

export interface ValidEvent {
  readonly source: string;
  readonly data: Readonly<Record<string, unknown>>;
  /** The event time the producer wrote (the lake keeps it as is). */
  readonly eventTimeMs: number;
  /**
   * The time windows count the event at: its event time, capped at its arrival
   * on the stream (docs/window-semantics.md). A producer clock running ahead
   * (within the skew allowance) cannot put an event in the pipeline's future,
   * so every window counts it from the moment it arrives.
   */
  readonly windowTimeMs: number;
  /** Sequence number zero-padded to a fixed width, so string order is numeric order. */
  readonly sequence: string;
  readonly record: StreamRecord;
}

export interface RejectedRecord {
  readonly reason: RejectReason;
  readonly detail: string;
  readonly source?: string;
  /** With `expectation_failed`: the name of the hard expectation broken (the detail starts `expectation:<name>`). */
  readonly expectation?: string;
  readonly record: StreamRecord;
}

export interface ValidationPolicy {
  /** Oldest acceptable event time, relative to arrival. */
  readonly maxLatenessMs: number;
  /** Newest acceptable event time, relative to arrival (producer clocks run ahead). */
  readonly maxClockSkewMs: number;
}

export type Decoded = { ok: true; event: ValidEvent } | { ok: false; rejected: RejectedRecord };

/** Kinesis sequence numbers are decimal strings of up to 56 digits (128-bit). */
export const SEQUENCE_WIDTH = 64;

export function padSequence(sequenceNumber: string): string {
  return sequenceNumber.padStart(SEQUENCE_WIDTH, '0');
}

function reject(record: StreamRecord, reason: RejectReason, detail: string, source?: string): Decoded {
  return { ok: false, rejected: { reason, detail, record, ...(source === undefined ? {} : { source }) } };
}

const iso = (ms: number) => new Date(ms).toISOString();

/** What a parsed JSON value is, in JSON's own words (`typeof null` would say "object"). */
function jsonKind(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}

/** A schema failure as one line: `field: message; …`. */
export function describeIssues(error: { issues: readonly { path: readonly PropertyKey[]; message: string }[] }): string {
  return error.issues.map((i) => `${i.path.map(String).join('.') || '(event)'}: ${i.message}`).join('; ');
}

/** The event time of a schema-valid event, epoch ms (the field is ISO-8601 or epoch ms). */
export function eventTimeMsOf(source: EventSource, data: Readonly<Record<string, unknown>>): number {
  const raw = data[source.eventTimeField] as number | string;
  return typeof raw === 'number' ? raw : Date.parse(raw);
}

/** A hard expectation compiled for the decoder: the field it reads and whether a value breaks it. */
interface HardCheck {
  readonly name: string;
  readonly field: string;
  readonly breaks: (value: unknown) => boolean;
  readonly explain: (value: unknown) => string;
}

function hardChecks(source: EventSource): HardCheck[] {
  return (source.expectations ?? [])
    .filter((e) => severityOf(e) === 'hard')
    .map((e) => {
      const kind = expectationKind(e);
      // validateExpectations allows hard only on record kinds, which read one field and judge a value.
      const breaks = kind.breaks?.(e) as (value: unknown) => boolean;
      return { name: e.name, field: kind.fields(e)[0] as string, breaks, explain: (v: unknown) => kind.explain?.(e, v) ?? '' };
    });
}

/** Builds a decoder for the given sources. Hot path: one call per record, so no closures or avoidable copies. */
export function createRecordDecoder(sources: readonly EventSource[], policy: ValidationPolicy) {
  const bySource = new Map(sources.map((s) => [s.name, s]));
  const known = [...bySource.keys()].join(', ');
  const hard = new Map(sources.map((s) => [s.name, hardChecks(s)]));
  // Each source's bounds: its own where it declares them, within the consumer's.
  const bounds = new Map(
    sources.map((s) => [
      s.name,
      {
        maxLatenessMs: Math.min(policy.maxLatenessMs, s.allowedLateness ? parseDuration(s.allowedLateness) * 1000 : Infinity),
        maxClockSkewMs: Math.min(policy.maxClockSkewMs, s.clockSkew ? parseDuration(s.clockSkew) * 1000 : Infinity),
      },
    ]),
  );

  return function decode(record: StreamRecord): Decoded {
    let body: unknown;
    try {
      body = JSON.parse(Buffer.from(record.data, 'base64').toString('utf8'));
    } catch (error) {
      return reject(record, 'not_json', `payload is not JSON: ${(error as Error).message}`);
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      return reject(record, 'not_an_object', `payload is JSON ${jsonKind(body)}, expected an object`);
    }
    const sourceName = (body as { source?: unknown }).source;
    const source = typeof sourceName === 'string' ? bySource.get(sourceName) : undefined;
    if (!source) {
      return reject(
        record,
        'unknown_source',
        `field "source" is ${JSON.stringify(sourceName) ?? 'missing'}; expected one of: ${known}`,
      );
    }
    const parsed = source.schema.safeParse(body);
    if (!parsed.success) {
      return reject(record, 'schema_violation', describeIssues(parsed.error), source.name);
    }
    const data = parsed.data as Record<string, unknown>;
    for (const check of hard.get(source.name) as HardCheck[]) {
      const value = data[check.field];
      if (check.breaks(value)) {
        const detail = `expectation:${check.name}: ${check.explain(value)}`;
        return {
          ok: false,
          rejected: { reason: 'expectation_failed', detail, source: source.name, expectation: check.name, record },
        };
      }
    }
    const eventTimeMs = eventTimeMsOf(source, data);
    const { maxLatenessMs, maxClockSkewMs } = bounds.get(source.name) as ValidationPolicy;
    const arrival = record.arrivalTimeMs;
    if (eventTimeMs < arrival - maxLatenessMs) {
      const detail = `${source.eventTimeField} ${iso(eventTimeMs)} is more than ${maxLatenessMs / 1000}s before arrival ${iso(arrival)}`;
      return reject(record, 'late_event', detail, source.name);
    }
    if (eventTimeMs > arrival + maxClockSkewMs) {
      const detail = `${source.eventTimeField} ${iso(eventTimeMs)} is more than ${maxClockSkewMs / 1000}s after arrival ${iso(arrival)}`;
      return reject(record, 'future_event', detail, source.name);
    }
    return {
      ok: true,
      event: {
        source: source.name,
        data,
        eventTimeMs,
        windowTimeMs: Math.min(eventTimeMs, arrival),
        sequence: padSequence(record.sequenceNumber),
        record,
      },
    };
  };
}
