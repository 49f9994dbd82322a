/**
 * Kinesis → lake writer: maps the Lambda event to stream records, writes the
 * batch's valid events as Parquet files into the lake (src/lake/lake-writer.ts),
 * publishes metrics (the batch's, then its data-quality counts per source and
 * expectation: src/quality/metrics.ts) and answers with a partial batch response.
 */
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { KinesisStreamBatchResponse, KinesisStreamEvent } from 'aws-lambda';
import { dynamoDocumentClient, s3Client } from '../../src/aws/clients.js';
import { type Env, requireEnv } from '../../src/aws/env.js';
import { batchResponse, quarantinedCount, toStreamRecord, validationPolicyFromEnv } from '../../src/aws/kinesis-event.js';
import { lakeLayoutFromEnv } from '../../src/aws/lake-env.js';
import { powertools } from '../../src/aws/powertools.js';
import type { Catalog } from '../../src/features/define.js';
import { createLakeWriter } from '../../src/lake/lake-writer.js';
import { partitionSchemeFor } from '../../src/lake/layout.js';
import { encodeParquet } from '../../src/lake/parquet/index.js';
import { publishQuality } from '../../src/quality/metrics.js';

export function createHandler(env: Env, { catalog }: { readonly catalog: Catalog }) {
  const { logger, metrics } = powertools(env, 'lake-writer');
  const { partitioning, compression } = lakeLayoutFromEnv(env);
  const write = createLakeWriter({
    s3: s3Client(env),
    bucket: requireEnv(env, 'LAKE_BUCKET'),
    quarantineBucket: requireEnv(env, 'QUARANTINE_BUCKET'),
    sources: catalog.sources,
    // The views' expectations are counted against their sources' events, as the aggregator does.
    views: catalog.featureViews,
    policy: validationPolicyFromEnv(env),
    scheme: (source) => partitionSchemeFor(source.name, partitioning),
    compression,
    encode: encodeParquet,
    // Sources with dedupeBy keep their markers in the online table (TABLE_NAME, set only when one has).
    ...(catalog.sources.some((s) => s.dedupeBy)
      ? { dedupe: { doc: dynamoDocumentClient(env), tableName: requireEnv(env, 'TABLE_NAME') } }
      : {}),
  });

  return async function handler(event: KinesisStreamEvent): Promise<KinesisStreamBatchResponse> {
    const outcome = await write(event.Records.map(toStreamRecord));
    const { summary } = outcome;
    metrics.addMetric('RecordsReceived', MetricUnit.Count, summary.records);
    metrics.addMetric('LakeRowsWritten', MetricUnit.Count, summary.rowsWritten);
    metrics.addMetric('LakeRowsAlreadyWritten', MetricUnit.Count, summary.rowsAlreadyWritten);
    metrics.addMetric('LakeFilesWritten', MetricUnit.Count, summary.files);
    metrics.addMetric('LakeBytesWritten', MetricUnit.Bytes, summary.bytesWritten);
    metrics.addMetric('QuarantinedRecords', MetricUnit.Count, quarantinedCount(summary.quarantined));
    metrics.addMetric('LakeWriteFailures', MetricUnit.Count, summary.failures);
    metrics.addMetric('DuplicatesDropped', MetricUnit.Count, summary.duplicates);
    metrics.publishStoredMetrics();
    // Per source and expectation, each with its own dimensions: after the batch's own metrics.
    publishQuality(metrics, summary.quality);
    return batchResponse(logger, outcome, 'batch written to the lake');
  };
}
