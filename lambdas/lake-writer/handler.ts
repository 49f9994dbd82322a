/**
 * Kinesis → lake writer: maps the Lambda event to stream records, writes the
 * batch's valid events as Parquet files into the lake (src/lake/lake-writer.ts),
 * publishes metrics and answers with a partial batch response.
 */
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { KinesisStreamBatchResponse, KinesisStreamEvent } from 'aws-lambda';
import { s3Client } from '../../src/aws/clients.js';
import { type Env, numberEnv, oneOfEnv, requireEnv } from '../../src/aws/env.js';
import { toStreamRecord } from '../../src/aws/kinesis-event.js';
import { powertools } from '../../src/aws/powertools.js';
import { sources } from '../../src/features/catalog.js';
import { COMPRESSIONS, createLakeWriter } from '../../src/lake/lake-writer.js';
import { partitionSchemeFor, TIME_PARTITIONINGS } from '../../src/lake/layout.js';
import { encodeParquet } from '../../src/lake/parquet/index.js';

export function createHandler(env: Env) {
  const { logger, metrics } = powertools(env, 'lake-writer');
  const partitioning = {
    timePartitioning: oneOfEnv(env, 'TIME_PARTITIONING', TIME_PARTITIONINGS),
    predictionModels: (env.PREDICTION_MODELS ?? '').split(',').filter((m) => m !== ''),
  };
  const write = createLakeWriter({
    s3: s3Client(env),
    bucket: requireEnv(env, 'LAKE_BUCKET'),
    quarantineBucket: requireEnv(env, 'QUARANTINE_BUCKET'),
    sources,
    policy: {
      maxLatenessMs: numberEnv(env, 'MAX_LATENESS_SECONDS') * 1000,
      maxClockSkewMs: numberEnv(env, 'MAX_CLOCK_SKEW_SECONDS') * 1000,
    },
    scheme: (source) => partitionSchemeFor(source.name, partitioning),
    compression: oneOfEnv(env, 'PARQUET_COMPRESSION', COMPRESSIONS),
    encode: encodeParquet,
  });

  return async function handler(event: KinesisStreamEvent): Promise<KinesisStreamBatchResponse> {
    const { summary, retryFrom, firstError } = await write(event.Records.map(toStreamRecord));
    const quarantined = Object.values(summary.quarantined).reduce((a, b) => a + (b ?? 0), 0);
    metrics.addMetric('RecordsReceived', MetricUnit.Count, summary.records);
    metrics.addMetric('LakeRowsWritten', MetricUnit.Count, summary.rowsWritten);
    metrics.addMetric('LakeRowsAlreadyWritten', MetricUnit.Count, summary.rowsAlreadyWritten);
    metrics.addMetric('LakeFilesWritten', MetricUnit.Count, summary.files);
    metrics.addMetric('LakeBytesWritten', MetricUnit.Bytes, summary.bytesWritten);
    metrics.addMetric('QuarantinedRecords', MetricUnit.Count, quarantined);
    metrics.addMetric('LakeWriteFailures', MetricUnit.Count, summary.failures);
    metrics.publishStoredMetrics();
    if (quarantined > 0) logger.warn('records quarantined', { quarantined: summary.quarantined });
    if (retryFrom.length > 0) {
      logger.error('batch partially failed; asking for a retry', { retryFrom, summary, error: firstError as Error });
    } else {
      logger.info('batch written to the lake', { summary });
    }
    return { batchItemFailures: retryFrom.map((itemIdentifier) => ({ itemIdentifier })) };
  };
}
