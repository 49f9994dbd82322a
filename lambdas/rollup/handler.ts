/**
 * Hourly rollup: on the schedule's event, rebuilds the `ROLLUP_HOURS_BACK`
 * closed hours before the event's time through Athena
 * (src/query/rollup.ts); invoked by hand with `{"hour": "<ISO time>"}`, it
 * rebuilds that one hour (a backfill). Each hour is deleted, then inserted:
 * retries and overlapping runs replace rows, never add them.
 *
 * The SQL (athena/, shipped in the bundle) is loaded when the function starts,
 * so a bundle without it fails its first invocation loudly. Every query is
 * stopped before the function's own deadline (its remaining time less
 * `stopMarginMs`): a query left running after a timeout could write its hour
 * after the next run had rebuilt it.
 */
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { z } from 'zod';
import { athenaClient, s3Client } from '../../src/aws/clients.js';
import { type Env, numberEnv, oneOfEnv, requireEnv } from '../../src/aws/env.js';
import { powertools } from '../../src/aws/powertools.js';
import { TIME_PARTITIONINGS } from '../../src/lake/layout.js';
import { athenaEngine } from '../../src/query/athena-engine.js';
import { deleteS3Prefix } from '../../src/query/lake-storage.js';
import { hourStart, hoursToRollUp, ROLLUP_QUERY, type RollupResult, rollupHour } from '../../src/query/rollup.js';
import { resolveQuery } from '../../src/query/sql-library.js';

const isoTime = z.iso.datetime({ offset: true });

/** EventBridge's scheduled event, or a manual backfill of one hour. */
export const rollupEvent = z.union([
  z.object({ 'detail-type': z.literal('Scheduled Event'), time: isoTime }),
  z.object({ hour: isoTime }).strict(),
]);

export type RollupEvent = z.infer<typeof rollupEvent>;

/** The hours an event asks for. */
export function hoursOf(event: RollupEvent, hoursBack: number): Date[] {
  return 'hour' in event ? [hourStart(Date.parse(event.hour))] : hoursToRollUp(Date.parse(event.time), hoursBack);
}

/** What the handler reads of Lambda's context: its remaining time. */
export interface RollupContext {
  getRemainingTimeInMillis(): number;
}

export interface RollupHandlerOptions {
  /** Time kept before the function's deadline to stop a running query and report. @default 10_000 */
  readonly stopMarginMs?: number;
}

export function createHandler(env: Env, options: RollupHandlerOptions = {}) {
  const stopMarginMs = options.stopMarginMs ?? 10_000;
  const { logger, metrics } = powertools(env, 'rollup');
  const bucket = requireEnv(env, 'LAKE_BUCKET');
  const hoursBack = numberEnv(env, 'ROLLUP_HOURS_BACK');
  const rollup = { timePartitioning: oneOfEnv(env, 'TIME_PARTITIONING', TIME_PARTITIONINGS), query: resolveQuery(ROLLUP_QUERY) };
  const s3 = s3Client(env);
  const engine = athenaEngine({
    athena: athenaClient(env),
    workgroup: requireEnv(env, 'ATHENA_WORKGROUP'),
    database: requireEnv(env, 'GLUE_DATABASE'),
  });
  const deletePrefix = (prefix: string) => deleteS3Prefix(s3, bucket, prefix);

  return async function handler(event: unknown, context?: RollupContext): Promise<{ hours: RollupResult[] }> {
    const deadline = context ? Date.now() + context.getRemainingTimeInMillis() - stopMarginMs : undefined;
    const target = { run: (sql: string) => engine.run(sql, deadline === undefined ? {} : { deadline }), deletePrefix };
    const parsed = rollupEvent.safeParse(event);
    if (!parsed.success) {
      // A malformed manual invocation: say what is expected; retrying would not help.
      throw new Error(`rollup expects a scheduled event or {"hour": "<ISO-8601 time>"}: ${z.prettifyError(parsed.error)}`);
    }
    const results: RollupResult[] = [];
    try {
      for (const hour of hoursOf(parsed.data, hoursBack)) {
        // Not even started: the hour keeps its previous rows, and the next run's lookback covers it.
        if (deadline !== undefined && Date.now() >= deadline)
          throw new Error(`rollup ran out of time before ${hour.toISOString()}; done: ${results.map((r) => r.hour).join(', ')}`);
        const result = await rollupHour(target, hour, rollup);
        logger.info('rolled up hour', { ...result });
        metrics.addMetric('RollupRowsWritten', MetricUnit.Count, result.rows ?? 0);
        metrics.addMetric('RollupFilesReplaced', MetricUnit.Count, result.replacedFiles);
        results.push(result);
      }
      metrics.addMetric('RollupHoursDone', MetricUnit.Count, results.length);
      return { hours: results };
    } finally {
      metrics.publishStoredMetrics();
    }
  };
}
