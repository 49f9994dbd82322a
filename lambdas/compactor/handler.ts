/**
 * Compaction: on the schedule's event, merges the small files of the
 * `COMPACTION_DAYS_BACK` days before the event's day, and of that day too when
 * `COMPACTION_FREQUENCY` is hourly (src/lake/compaction.ts);
 * invoked by hand with `{"day": "yyyy-MM-dd"}`, that one day. A run first
 * finishes or discards whatever an interrupted run left, so retries are safe.
 */
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { z } from 'zod';
import { s3Client } from '../../src/aws/clients.js';
import { type Env, numberEnv, oneOfEnv, requireEnv } from '../../src/aws/env.js';
import { lakeLayoutFromEnv } from '../../src/aws/lake-env.js';
import { powertools } from '../../src/aws/powertools.js';
import type { Catalog } from '../../src/features/define.js';
import { type CompactionSummary, compactDay, daysToCompact } from '../../src/lake/compaction.js';
import { partitionSchemeFor } from '../../src/lake/layout.js';
import { encodeParquet } from '../../src/lake/parquet/index.js';

const isoTime = z.iso.datetime({ offset: true });

/** EventBridge's scheduled event, or a manual run of one day. */
export const compactionEvent = z.union([
  z.object({ 'detail-type': z.literal('Scheduled Event'), time: isoTime }),
  z.object({ day: z.iso.date() }).strict(),
]);

export function createHandler(env: Env, { catalog }: { readonly catalog: Catalog }) {
  const { logger, metrics } = powertools(env, 'compactor');
  const { partitioning, compression } = lakeLayoutFromEnv(env);
  const daysBack = numberEnv(env, 'COMPACTION_DAYS_BACK');
  const frequency = oneOfEnv(env, 'COMPACTION_FREQUENCY', ['daily', 'hourly'] as const);
  const options = {
    s3: s3Client(env),
    bucket: requireEnv(env, 'LAKE_BUCKET'),
    sources: catalog.sources,
    scheme: (source: { name: string }) => partitionSchemeFor(source.name, partitioning),
    encode: encodeParquet,
    compression,
    minAgeMs: numberEnv(env, 'COMPACTION_MIN_AGE_HOURS') * 3_600_000,
    maxInputBytes: numberEnv(env, 'COMPACTION_MAX_INPUT_MB') * 1024 * 1024,
  };

  return async function handler(event: unknown): Promise<{ days: CompactionSummary[] }> {
    const parsed = compactionEvent.safeParse(event);
    if (!parsed.success) {
      // A malformed manual invocation: say what is expected; retrying would not help.
      throw new Error(`compactor expects a scheduled event or {"day": "yyyy-MM-dd"}: ${z.prettifyError(parsed.error)}`);
    }
    const days = 'day' in parsed.data ? [parsed.data.day] : daysToCompact(Date.parse(parsed.data.time), daysBack, frequency);
    const results: CompactionSummary[] = [];
    try {
      for (const day of days) {
        const summary = await compactDay(options, day);
        const inputs = summary.partitions.reduce((n, p) => n + p.inputs, 0);
        logger.info('compacted day', { day, partitions: summary.partitions.length, files: inputs, recovered: summary.recovered });
        for (const f of summary.failed) logger.error('partition not compacted', { day, ...f });
        metrics.addMetric('CompactedPartitions', MetricUnit.Count, summary.partitions.length);
        metrics.addMetric('CompactionFailures', MetricUnit.Count, summary.failed.length);
        metrics.addMetric('CompactedFiles', MetricUnit.Count, inputs);
        metrics.addMetric('CompactionsRecovered', MetricUnit.Count, summary.recovered);
        results.push(summary);
      }
      // Every day's run reports an unrecoverable manifest again (recovery is not per day): once is enough.
      const failed = [...new Set(results.flatMap((r) => r.failed.map((f) => `${f.partition}: ${f.reason}`)))];
      // The other partitions are done; failing the invocation raises the errors alarm for the rest.
      if (failed.length > 0) throw new Error(`${failed.length} partitions not compacted: ${failed.join('; ')}`);
      return { days: results };
    } finally {
      metrics.publishStoredMetrics();
    }
  };
}
