/**
 * Kinesis → aggregator: maps the Lambda event to stream records, runs the
 * shared batch logic, publishes metrics and answers with a partial batch
 * response (the lowest sequence number that must be retried).
 */
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { KinesisStreamBatchResponse, KinesisStreamEvent } from 'aws-lambda';
import { createAggregator } from '../../src/aggregator/aggregate-batch.js';
import { dynamoDocumentClient, s3Client } from '../../src/aws/clients.js';
import { type Env, requireEnv } from '../../src/aws/env.js';
import { batchResponse, quarantinedCount, toStreamRecord, validationPolicyFromEnv } from '../../src/aws/kinesis-event.js';
import { powertools } from '../../src/aws/powertools.js';
import type { Catalog } from '../../src/features/define.js';

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
    const outcome = await aggregate(event.Records.map(toStreamRecord));
    const { summary } = outcome;
    metrics.addMetric('RecordsReceived', MetricUnit.Count, summary.records);
    metrics.addMetric('EventsAggregated', MetricUnit.Count, summary.valid);
    metrics.addMetric('QuarantinedRecords', MetricUnit.Count, quarantinedCount(summary.quarantined));
    metrics.addMetric('TilesWritten', MetricUnit.Count, summary.tilesWritten);
    metrics.addMetric('TilesAlreadyApplied', MetricUnit.Count, summary.tilesAlreadyApplied);
    metrics.addMetric('DuplicatesDropped', MetricUnit.Count, summary.duplicates);
    metrics.addMetric('TileWriteFailures', MetricUnit.Count, summary.tilesFailed + summary.quarantineFailures);
    metrics.publishStoredMetrics();
    return batchResponse(logger, outcome, 'batch aggregated');
  };
}
