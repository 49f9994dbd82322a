/**
 * Hourly rollup: on the schedule's event, rebuilds the `ROLLUP_HOURS_BACK`
 * closed hours before the event's time through Athena
 * (src/query/rollup.ts); invoked by hand with `{"hour": "<ISO time>"}`, it
 * rebuilds that one hour (a backfill). Each hour is deleted, then inserted:
 * retries and overlapping runs replace rows, never add them.
 */
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { z } from 'zod';
import { athenaClient, s3Client } from '../../src/aws/clients.js';
import { type Env, numberEnv, oneOfEnv, requireEnv } from '../../src/aws/env.js';
import { powertools } from '../../src/aws/powertools.js';
import { TIME_PARTITIONINGS } from '../../src/lake/layout.js';
import { athenaEngine } from '../../src/query/athena-engine.js';
import { deleteS3Prefix } from '../../src/query/lake-storage.js';
import { hourStart, hoursToRollUp, type RollupResult, rollupHour } from '../../src/query/rollup.js';

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

export function createHandler(env: Env) {
  const { logger, metrics } = powertools(env, 'rollup');
  const bucket = requireEnv(env, 'LAKE_BUCKET');
  const hoursBack = numberEnv(env, 'ROLLUP_HOURS_BACK');
  const layout = { timePartitioning: oneOfEnv(env, 'TIME_PARTITIONING', TIME_PARTITIONINGS) };
  const s3 = s3Client(env);
  const engine = athenaEngine({
    athena: athenaClient(env),
    workgroup: requireEnv(env, 'ATHENA_WORKGROUP'),
    database: requireEnv(env, 'GLUE_DATABASE'),
  });
  const target = { run: (sql: string) => engine.run(sql), deletePrefix: (prefix: string) => deleteS3Prefix(s3, bucket, prefix) };

  return async function handler(event: unknown): Promise<{ hours: RollupResult[] }> {
    const parsed = rollupEvent.safeParse(event);
    if (!parsed.success) {
      // A malformed manual invocation: say what is expected; retrying would not help.
      throw new Error(`rollup expects a scheduled event or {"hour": "<ISO-8601 time>"}: ${z.prettifyError(parsed.error)}`);
    }
    const results: RollupResult[] = [];
    try {
      for (const hour of hoursOf(parsed.data, hoursBack)) {
        const result = await rollupHour(target, hour, layout);
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
