/**
 * Drift job: on the schedule's event, measures every catalog model's
 * current version over the `DRIFT_WINDOW_HOURS` closed hours before the
 * event's time (src/drift/job.ts, one Athena query per model), writes the
 * rows to the lake's drift table (registering its day), and publishes the
 * drift metrics the alarms watch (src/drift/metrics.ts). Invoked by hand
 * with `{"from": "<ISO>", "to": "<ISO>", "model"?: "<name>"}` it measures
 * that window (a backfill; its file replaces the window's earlier one).
 *
 * A model without a current version or without reference distributions is
 * skipped and logged; one that fails does not stop the others, but the run
 * then fails so its event ends in the failures queue.
 */
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { z } from 'zod';
import { athenaClient, s3Client } from '../../src/aws/clients.js';
import { type Env, numberEnv, requireEnv } from '../../src/aws/env.js';
import { lakeLayoutFromEnv } from '../../src/aws/lake-env.js';
import { powertools } from '../../src/aws/powertools.js';
import { measureDrift } from '../../src/drift/job.js';
import { driftMetrics } from '../../src/drift/metrics.js';
import { addDriftPartitionSql, driftPartition, writeDriftReport } from '../../src/drift/results.js';
import type { Catalog } from '../../src/features/define.js';
import { readAlias, readArtifact } from '../../src/models/registry.js';
import { athenaEngine } from '../../src/query/athena-engine.js';
import { s3Storage } from '../../src/query/lake-storage.js';
import { hourStart } from '../../src/query/rollup.js';

const isoTime = z.iso.datetime({ offset: true });

/** EventBridge's scheduled event, or a manual window. */
export const driftEvent = z.union([
  z.object({ 'detail-type': z.literal('Scheduled Event'), time: isoTime }),
  z.object({ from: isoTime, to: isoTime, model: z.string().min(1).optional() }).strict(),
]);
export type DriftEvent = z.infer<typeof driftEvent>;

/** The window an event asks for: the closed hours before a scheduled run, or the one given. */
export function windowOf(event: DriftEvent, windowHours: number): { fromMs: number; toMs: number } {
  if ('from' in event) return { fromMs: Date.parse(event.from), toMs: Date.parse(event.to) };
  const toMs = hourStart(Date.parse(event.time)).getTime();
  return { fromMs: toMs - windowHours * 3_600_000, toMs };
}

export interface DriftContext {
  getRemainingTimeInMillis(): number;
}

export interface DriftModelResult {
  readonly model: string;
  readonly version?: string;
  readonly predictions?: number;
  readonly breaches?: number;
  readonly key?: string;
  readonly skipped?: string;
}

export function createHandler(env: Env, deps: { catalog: Catalog }) {
  const { logger, metrics } = powertools(env, 'drift');
  const lakeBucket = requireEnv(env, 'LAKE_BUCKET');
  const models = { s3: s3Client(env), bucket: requireEnv(env, 'MODELS_BUCKET') };
  const windowHours = numberEnv(env, 'DRIFT_WINDOW_HOURS');
  const { partitioning, compression } = lakeLayoutFromEnv(env);
  const storage = s3Storage({ s3: s3Client(env), bucket: lakeBucket });
  const athena = athenaEngine({
    athena: athenaClient(env),
    workgroup: requireEnv(env, 'ATHENA_WORKGROUP'),
    database: requireEnv(env, 'GLUE_DATABASE'),
  });

  return async function handler(event: unknown, context?: DriftContext): Promise<{ models: DriftModelResult[] }> {
    const parsed = driftEvent.safeParse(event);
    if (!parsed.success)
      throw new Error(`drift expects a scheduled event or {"from", "to", "model"?}: ${z.prettifyError(parsed.error)}`);
    const window = windowOf(parsed.data, windowHours);
    if (!(window.toMs > window.fromMs)) throw new Error('drift: "to" must be after "from"');
    const wanted = 'model' in parsed.data ? parsed.data.model : undefined;
    const catalogModels = (deps.catalog.models ?? []).filter((m) => wanted === undefined || m.name === wanted);
    if (wanted !== undefined && catalogModels.length === 0) throw new Error(`drift: no model ${wanted} in the catalog`);
    // Queries stop 10 s before the function's deadline rather than run on unwatched.
    const deadline = context ? Date.now() + context.getRemainingTimeInMillis() - 10_000 : undefined;
    const engine = {
      dialect: 'athena' as const,
      run: (sql: string) => athena.run(sql, deadline === undefined ? {} : { deadline }),
    };
    const results: DriftModelResult[] = [];
    const failures: string[] = [];
    const registered = new Set<string>();
    try {
      for (const model of catalogModels) {
        try {
          const current = await readAlias(models, model.name, 'current');
          const artifact = current && (await readArtifact(models, model.name, current.version));
          if (!artifact?.reference) {
            const skipped = artifact ? 'its current version has no reference distributions' : 'no current version';
            logger.warn('drift not measured', { model: model.name, why: skipped });
            results.push({ model: model.name, skipped });
            continue;
          }
          const report = await measureDrift(engine, model, artifact, window, {
            timePartitioning: partitioning.timePartitioning,
            modelPartition: (partitioning.predictionModels ?? []).includes(model.name),
          });
          const key = await writeDriftReport(storage, report, compression);
          const day = driftPartition(report);
          if (!registered.has(day)) {
            await engine.run(addDriftPartitionSql(lakeBucket, day));
            registered.add(day);
          }
          for (const metric of driftMetrics(report)) {
            const single = metrics.singleMetric();
            single.addDimensions({ ...metric.dimensions });
            single.addMetric(metric.name, metric.unit === 'Count' ? MetricUnit.Count : MetricUnit.NoUnit, metric.value);
          }
          const breached = report.rows.filter((r) => r.breached).map((r) => r.feature);
          logger.info('drift measured', {
            model: model.name,
            version: report.version,
            predictions: report.predictions,
            breached,
            key,
          });
          results.push({
            model: model.name,
            version: report.version,
            predictions: report.predictions,
            breaches: report.breaches,
            key,
          });
        } catch (error) {
          logger.error('drift failed', { model: model.name, error: error as Error });
          failures.push(`${model.name}: ${(error as Error).message}`);
        }
      }
    } finally {
      metrics.publishStoredMetrics();
    }
    if (failures.length > 0) throw new Error(`drift failed for ${failures.join('; ')}`);
    return { models: results };
  };
}
