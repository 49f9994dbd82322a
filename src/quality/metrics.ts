/**
 * The data-quality metrics the stream consumers publish per batch (CloudWatch,
 * through Powertools' embedded metric format), their names and dimensions as
 * constants for the dashboard and alarms, and the thresholds an alarm needs
 * from the catalog.
 *
 * Every metric also carries Powertools' `service` (aggregator or lake-writer:
 * both consumers count every batch, each with its own time bounds) and the
 * `environment` default dimension. Counts are at least once: a retried batch
 * is counted again.
 */
import type { Catalog } from '../features/define.js';
import type { QualityReport } from './batch-quality.js';
import { expectationsOf } from './batch-quality.js';
import { type ExpectationKindName, expectationKind, type Severity, severityOf } from './expectations.js';

export const DQ_METRICS = {
  /** Count, {source, expectation, severity}: units checked (events; batches for freshness). */
  checked: 'ExpectationChecked',
  /** Count, {source, expectation, severity}: units that broke it (hard: quarantined). */
  failures: 'ExpectationFailures',
  /** Seconds, {source}: newest arrival less newest event time in a batch (Maximum is the staleness). */
  newestEventAge: 'NewestEventAgeSeconds',
  /** Count, {source}: events kept; Sum over an hour is volume_per_hour's figure. */
  eventsInBatch: 'EventsInBatch',
} as const;

export const DQ_DIMENSIONS = { source: 'source', expectation: 'expectation', severity: 'severity' } as const;

/** What publishing needs of Powertools' Metrics (structural, so domain code does not import it). */
export interface MetricSink {
  addDimension(name: string, value: string): void;
  addMetric(name: string, unit: 'Count' | 'Seconds', value: number): void;
  publishStoredMetrics(): void;
}

/**
 * Publishes a batch's report: one EMF record per source ({source}) and one per expectation
 * checked ({source, expectation, severity}). Publish the handler's own metrics first: each
 * group is flushed with its dimensions (addDimension: the record's one dimension set, beside
 * the defaults; addDimensions would add a second set), which Powertools clears after each flush.
 */
export function publishQuality(metrics: MetricSink, report: QualityReport): void {
  for (const source of report) {
    if (source.events > 0) {
      metrics.addDimension(DQ_DIMENSIONS.source, source.source);
      metrics.addMetric(DQ_METRICS.eventsInBatch, 'Count', source.events);
      metrics.addMetric(DQ_METRICS.newestEventAge, 'Seconds', source.newestEventAgeSeconds ?? 0);
      metrics.publishStoredMetrics();
    }
    for (const e of source.expectations) {
      metrics.addDimension(DQ_DIMENSIONS.source, source.source);
      metrics.addDimension(DQ_DIMENSIONS.expectation, e.name);
      metrics.addDimension(DQ_DIMENSIONS.severity, e.severity);
      metrics.addMetric(DQ_METRICS.checked, 'Count', e.checked);
      metrics.addMetric(DQ_METRICS.failures, 'Count', e.failed);
      metrics.publishStoredMetrics();
    }
  }
}

/** An expectation as an alarm sees it. */
export interface ExpectationThreshold {
  readonly source: string;
  readonly expectation: string;
  readonly kind: ExpectationKindName;
  readonly severity: Severity;
  /** Alarm when failures / checked (over the alarm's period) exceeds this. */
  readonly maxFailureRate: number;
  /** volume_per_hour: the band for Sum of EventsInBatch {source} over one hour. */
  readonly eventsPerHour?: { readonly min?: number; readonly max?: number };
  /** freshness: the bound for Maximum of NewestEventAgeSeconds {source}. */
  readonly maxAgeSeconds?: number;
}

/** Every expectation of the catalog, with what its alarm compares. */
export function expectationThresholds(catalog: Pick<Catalog, 'sources' | 'featureViews'>): ExpectationThreshold[] {
  return catalog.sources.flatMap((source) =>
    expectationsOf(source, catalog.featureViews).map((e) => ({
      source: source.name,
      expectation: e.name,
      kind: e.kind,
      severity: severityOf(e),
      maxFailureRate: expectationKind(e).maxFailureRate(e),
      ...(e.kind === 'volume_per_hour'
        ? { eventsPerHour: { ...(e.min === undefined ? {} : { min: e.min }), ...(e.max === undefined ? {} : { max: e.max }) } }
        : {}),
      ...(e.kind === 'freshness' ? { maxAgeSeconds: e.maxAgeSeconds } : {}),
    })),
  );
}
