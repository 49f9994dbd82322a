/**
 * Kinesis → aggregator: maps the Lambda event to stream records, runs the
 * shared batch logic, publishes metrics (the batch's, then its data-quality
 * counts per source and expectation: src/quality/metrics.ts) and answers with
 * a partial batch response (the lowest sequence number that must be retried).
 *
 * `ArrivalToOnlineMs` is the freshness of the online store: from the batch's
 * oldest record reaching the stream to its tiles being written, i.e. the
 * longest any event of the batch waited to be served (the operations
 * dashboard's freshness row and alarm, lib/constructs/monitoring.ts).
 */
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { KinesisStreamBatchResponse, KinesisStreamEvent } from 'aws-lambda';
import { createAggregator } from '../../src/aggregator/aggregate-batch.js';
import { dynamoDocumentClient, s3Client } from '../../src/aws/clients.js';
import { type Env, requireEnv } from '../../src/aws/env.js';
import { batchResponse, quarantinedCount, toStreamRecord, validationPolicyFromEnv } from '../../src/aws/kinesis-event.js';
import { powertools } from '../../src/aws/powertools.js';
import type { Catalog } from '../../src/features/define.js';
import { publishQuality } from '../../src/quality/metrics.js';

export function createHandler(env: Env, { catalog }: { readonly catalog: Catalog }) {
  const { logger, metrics } = powertools(env, 'aggregator');
  const aggregate = createAggregator({
    doc: dynamoDocumentClient(env),
    s3: s3Client(env),
    tableName: requireEnv(env, 'TABLE_NAME'),
    quarantineBucket: requireEnv(env, 'QUARANTINE_BUCKET'),
    sources: catalog.sources,
    views: catalog.featureViews,
    policy: validationPolicyFromEnv(env),
  });

  return async function handler(event: KinesisStreamEvent): Promise<KinesisStreamBatchResponse> {
    const records = event.Records.map(toStreamRecord);
    const outcome = await aggregate(records);
    const { summary } = outcome;
    if (records.length > 0) {
      const oldestArrivalMs = records.reduce((oldest, r) => Math.min(oldest, r.arrivalTimeMs), Number.POSITIVE_INFINITY);
      metrics.addMetric('ArrivalToOnlineMs', MetricUnit.Milliseconds, Math.max(0, Date.now() - oldestArrivalMs));
    }
    metrics.addMetric('RecordsReceived', MetricUnit.Count, summary.records);
    metrics.addMetric('EventsAggregated', MetricUnit.Count, summary.valid);
    metrics.addMetric('QuarantinedRecords', MetricUnit.Count, quarantinedCount(summary.quarantined));
    metrics.addMetric('TilesWritten', MetricUnit.Count, summary.tilesWritten);
    metrics.addMetric('TilesAlreadyApplied', MetricUnit.Count, summary.tilesAlreadyApplied);
    metrics.addMetric('DuplicatesDropped', MetricUnit.Count, summary.duplicates);
    metrics.addMetric('TileWriteFailures', MetricUnit.Count, summary.tilesFailed + summary.quarantineFailures);
    metrics.publishStoredMetrics();
    // Per source and expectation, each with its own dimensions: after the batch's own metrics.
    publishQuality(metrics, summary.quality);
    return batchResponse(logger, outcome, 'batch aggregated');
  };
}
