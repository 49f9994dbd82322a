/**
 * What the drift job publishes to CloudWatch (namespace `featurelake`, through
 * Powertools, which adds the `service` = "drift" and `environment`
 * dimensions to every metric): the names here are the contract with the
 * alarms (lib/constructs/drift-monitor.ts) and the dashboard.
 *
 *   FeatureDriftPsi   {service, environment, model, feature}  PSI of an input (numeric and categorical)
 *   FeatureDriftKs    {service, environment, model, feature}  KS of a numeric input
 *   ScoreDriftPsi     {service, environment, model}           PSI of the score
 *   ScoreDriftKs      {service, environment, model}           KS of the score
 *   DriftBreaches     {service, environment, model}           inputs and score past their thresholds
 *
 * Only judged rows (at least the model's minCount predictions in the window)
 * are published: a thin window's statistics are noise, and no data is not an
 * alarm. DriftBreaches is published on every run of a model with a current
 * version, 0 included.
 */
import type { DriftReport } from './job.js';
import { SCORE } from './query.js';

export const DRIFT_METRICS = {
  featurePsi: 'FeatureDriftPsi',
  featureKs: 'FeatureDriftKs',
  scorePsi: 'ScoreDriftPsi',
  scoreKs: 'ScoreDriftKs',
  breaches: 'DriftBreaches',
} as const;
export type DriftMetricName = (typeof DRIFT_METRICS)[keyof typeof DRIFT_METRICS];

/** The Powertools service name of the drift function: the `service` dimension of its metrics. */
export const DRIFT_SERVICE = 'drift';

/** Every dimension of a drift metric as CloudWatch stores it. */
export function driftMetricDimensions(envName: string, model: string, feature?: string): Record<string, string> {
  return { service: DRIFT_SERVICE, environment: envName, model, ...(feature === undefined ? {} : { feature }) };
}

export interface DriftMetric {
  readonly name: DriftMetricName;
  /** Beside service and environment (added by Powertools). */
  readonly dimensions: { readonly model: string; readonly feature?: string };
  readonly value: number;
  readonly unit: 'None' | 'Count';
}

/** The metrics of one report. */
export function driftMetrics(report: DriftReport): DriftMetric[] {
  const model = report.model;
  const out: DriftMetric[] = [];
  for (const row of report.rows) {
    if (!row.judged) continue;
    const score = row.feature === SCORE;
    const dimensions = score ? { model } : { model, feature: row.feature };
    if (row.psi !== null)
      out.push({ name: score ? DRIFT_METRICS.scorePsi : DRIFT_METRICS.featurePsi, dimensions, value: row.psi, unit: 'None' });
    if (row.ks !== null)
      out.push({ name: score ? DRIFT_METRICS.scoreKs : DRIFT_METRICS.featureKs, dimensions, value: row.ks, unit: 'None' });
  }
  out.push({ name: DRIFT_METRICS.breaches, dimensions: { model }, value: report.breaches, unit: 'Count' });
  return out;
}
