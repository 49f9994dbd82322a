/**
 * The expectations' counts over one stream-consumer batch, shared by the
 * aggregator and the lake writer so both judge the same batch alike. A
 * consumer feeds it the events it keeps (after its time bounds and
 * deduplication: what reaches the lake or the online store) and the records
 * it quarantines; hard expectations were already judged by the decoder
 * (src/domain/records.ts), so their failures are read off the quarantined
 * records, never judged twice.
 *
 * Per source of the batch: the events kept, the newest event's age (newest
 * arrival less newest event time) and, per expectation, checked and failed:
 *  - soft record kinds: checked = events kept, failed = those breaking it;
 *  - hard record kinds: checked = events kept + those it quarantined, failed = the latter;
 *  - batch kinds: the kind's own count over the batch;
 *  - volume_per_hour: nothing here (no batch sees an hour; see ./expectations.ts).
 * Cost: one pass of field reads per soft record expectation, and a value
 * array per field a batch kind reads (measured in bench/aggregator.ts).
 */
import type { RejectedRecord, ValidEvent } from '../domain/records.js';
import type { EventSource, FeatureView } from '../features/define.js';
import {
  type Expectation,
  type ExpectationKindName,
  expectationKind,
  newestEventAgeSeconds,
  type Severity,
  severityOf,
} from './expectations.js';

export interface ExpectationOutcome {
  readonly name: string;
  readonly kind: ExpectationKindName;
  readonly severity: Severity;
  readonly checked: number;
  readonly failed: number;
  /** failed ≤ the kind's allowed share of checked. */
  readonly holds: boolean;
}

export interface SourceQuality {
  readonly source: string;
  /** Events of the source the consumer kept. */
  readonly events: number;
  /** Undefined when the batch kept none of the source's events. */
  readonly newestEventAgeSeconds?: number;
  readonly expectations: readonly ExpectationOutcome[];
}

/** Per source present in the batch (kept or quarantined by an expectation). */
export type QualityReport = readonly SourceQuality[];

/** Every expectation a source's events answer to: its own, then those of the views that read it. */
export function expectationsOf(source: EventSource, views: readonly FeatureView[] = []): Expectation[] {
  return [
    ...(source.expectations ?? []),
    ...views.filter((v) => v.source.name === source.name).flatMap((v) => v.expectations ?? []),
  ];
}

interface RecordCheck {
  readonly index: number;
  readonly field: string;
  readonly breaks: (value: unknown) => boolean;
}

interface SourcePlan {
  readonly expectations: readonly Expectation[];
  /** Soft record kinds, judged on each kept event. */
  readonly recordChecks: readonly RecordCheck[];
  /** Fields batch kinds read: their values are kept for the batch. */
  readonly batchFields: readonly string[];
  readonly hardIndex: ReadonlyMap<string, number>;
}

interface SourceState {
  readonly plan: SourcePlan;
  events: number;
  newestEventTimeMs: number;
  newestArrivalMs: number;
  /** Failures per expectation (index in plan.expectations). */
  readonly failed: number[];
  readonly values: Map<string, unknown[]>;
}

/** One batch's counts: `add` each kept event, `reject` each quarantined record, then `report`. */
export interface BatchQuality {
  add(event: ValidEvent): void;
  reject(rejected: RejectedRecord): void;
  report(): QualityReport;
}

/** Compiles the catalog's expectations once per process; `start` one BatchQuality per batch. */
export function createQualityCheck(sources: readonly EventSource[], views: readonly FeatureView[] = []) {
  const plans = new Map<string, SourcePlan>();
  for (const source of sources) {
    const expectations = expectationsOf(source, views);
    const recordChecks: RecordCheck[] = [];
    const batchFields = new Set<string>();
    const hardIndex = new Map<string, number>();
    expectations.forEach((e, index) => {
      const kind = expectationKind(e);
      if (severityOf(e) === 'hard') hardIndex.set(e.name, index);
      else if (kind.level === 'record' && kind.breaks) {
        recordChecks.push({ index, field: kind.fields(e)[0] as string, breaks: kind.breaks(e) });
      } else if (kind.level === 'batch') for (const f of kind.fields(e)) batchFields.add(f);
    });
    plans.set(source.name, { expectations, recordChecks, batchFields: [...batchFields], hardIndex });
  }

  return {
    start(): BatchQuality {
      const states = new Map<string, SourceState>();
      const stateOf = (source: string): SourceState | undefined => {
        let state = states.get(source);
        if (!state) {
          const plan = plans.get(source);
          if (!plan) return undefined;
          state = {
            plan,
            events: 0,
            newestEventTimeMs: Number.NEGATIVE_INFINITY,
            newestArrivalMs: Number.NEGATIVE_INFINITY,
            failed: plan.expectations.map(() => 0),
            values: new Map(plan.batchFields.map((f) => [f, []])),
          };
          states.set(source, state);
        }
        return state;
      };
      return {
        add(event) {
          const state = stateOf(event.source);
          if (!state) return;
          state.events++;
          if (event.eventTimeMs > state.newestEventTimeMs) state.newestEventTimeMs = event.eventTimeMs;
          if (event.record.arrivalTimeMs > state.newestArrivalMs) state.newestArrivalMs = event.record.arrivalTimeMs;
          const { data } = event;
          for (const check of state.plan.recordChecks) {
            if (check.breaks(data[check.field])) state.failed[check.index] = (state.failed[check.index] as number) + 1;
          }
          for (const [field, values] of state.values) values.push(data[field]);
        },
        reject(rejected) {
          if (rejected.reason !== 'expectation_failed' || rejected.source === undefined || rejected.expectation === undefined)
            return;
          const state = stateOf(rejected.source);
          const index = state?.plan.hardIndex.get(rejected.expectation);
          if (state && index !== undefined) state.failed[index] = (state.failed[index] as number) + 1;
        },
        report() {
          return [...states.entries()].map(([source, state]) => sourceReport(source, state));
        },
      };
    },
  };
}

function sourceReport(source: string, state: SourceState): SourceQuality {
  const { plan, events } = state;
  const view = {
    values: (field: string) => state.values.get(field) ?? [],
    newestEventTimeMs: state.newestEventTimeMs,
    newestArrivalMs: state.newestArrivalMs,
  };
  const expectations: ExpectationOutcome[] = [];
  plan.expectations.forEach((e, index) => {
    const kind = expectationKind(e);
    const severity = severityOf(e);
    let counts: { checked: number; failed: number } | undefined;
    if (kind.level === 'record') {
      const failed = state.failed[index] as number;
      counts = { checked: severity === 'hard' ? events + failed : events, failed };
    } else if (kind.level === 'batch' && events > 0) counts = kind.batch?.(e, view);
    if (!counts) return;
    const holds = counts.failed <= kind.maxFailureRate(e) * counts.checked;
    expectations.push({ name: e.name, kind: e.kind, severity, ...counts, holds });
  });
  return {
    source,
    events,
    ...(events > 0 ? { newestEventAgeSeconds: newestEventAgeSeconds(state.newestArrivalMs, state.newestEventTimeMs) } : {}),
    expectations,
  };
}
