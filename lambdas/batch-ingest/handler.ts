/**
 * Upload under the lake bucket's `sources/<batch source>/` → the file's good
 * rows into the lake and the online store, its bad rows reported in the
 * quarantine (src/batch/ingest.ts). A file refused as a whole (unknown source
 * or format, missing columns, unreadable) is reported there too and not
 * retried: no retry can fix it. Anything else throws, so Lambda's
 * asynchronous retries, then the failure queue, take it; every step is
 * idempotent, so a retry is safe.
 */
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { dynamoDocumentClient, s3Client } from '../../src/aws/clients.js';
import { type Env, requireEnv } from '../../src/aws/env.js';
import { lakeLayoutFromEnv } from '../../src/aws/lake-env.js';
import { powertools } from '../../src/aws/powertools.js';
import { type BatchIngestSummary, batchRunId, batchSourceOfKey, ingestBatchFile } from '../../src/batch/ingest.js';
import { type ObjectCreatedEvent, uploadedObjects } from '../../src/batch/object-created.js';
import { batchReportKey, fileErrorReport } from '../../src/batch/report.js';
import { BatchFileError } from '../../src/batch/rows.js';
import type { Catalog } from '../../src/features/define.js';
import { partitionSchemeFor } from '../../src/lake/layout.js';
import { encodeParquet } from '../../src/lake/parquet/index.js';

export interface BatchIngestResult {
  readonly files: readonly (
    | ({ readonly key: string; readonly ok: true } & BatchIngestSummary)
    | { readonly key: string; readonly ok: false; readonly reason: string; readonly reportKey: string }
  )[];
}

export function createHandler(env: Env, { catalog }: { readonly catalog: Catalog }) {
  const { logger, metrics } = powertools(env, 'batch-ingest');
  const s3 = s3Client(env);
  const lakeBucket = requireEnv(env, 'LAKE_BUCKET');
  const quarantineBucket = requireEnv(env, 'QUARANTINE_BUCKET');
  const { partitioning, compression } = lakeLayoutFromEnv(env);
  const sources = catalog.batchSources ?? [];
  const target = {
    doc: dynamoDocumentClient(env),
    tableName: requireEnv(env, 'TABLE_NAME'),
    putLake: async (key: string, body: Uint8Array) => {
      await s3.send(
        new PutObjectCommand({ Bucket: lakeBucket, Key: key, Body: body, ContentType: 'application/vnd.apache.parquet' }),
      );
    },
    putQuarantine: async (key: string, body: string) => {
      await s3.send(new PutObjectCommand({ Bucket: quarantineBucket, Key: key, Body: body, ContentType: 'application/json' }));
    },
    scheme: (source: { name: string }) => partitionSchemeFor(source.name, partitioning),
    compression,
    encode: encodeParquet,
  };

  return async function handler(event: ObjectCreatedEvent): Promise<BatchIngestResult> {
    const files: BatchIngestResult['files'][number][] = [];
    for (const object of uploadedObjects(event)) {
      const origin = `s3://${object.bucket}/${object.key}`;
      if (object.bucket !== lakeBucket) throw new Error(`${origin}: not in the lake bucket ${lakeBucket}`);
      const named = batchSourceOfKey(object.key, sources);
      const response = await s3.send(new GetObjectCommand({ Bucket: object.bucket, Key: object.key }));
      const body = await (response.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray();
      try {
        if (!named.ok) throw new BatchFileError(named.reason);
        const summary = await ingestBatchFile(
          { source: named.source, body, name: object.key, origin, uploadTimeMs: object.timeMs },
          target,
        );
        metrics.addMetric('BatchRowsKept', MetricUnit.Count, summary.rowsKept);
        metrics.addMetric('BatchRowsRejected', MetricUnit.Count, summary.rowsRejected);
        metrics.addMetric('BatchEntitiesWritten', MetricUnit.Count, summary.entitiesWritten);
        logger.info('batch file ingested', { origin, ...summary, firstRejections: summary.firstRejections.slice(0, 5) });
        files.push({ key: object.key, ok: true, ...summary });
      } catch (error) {
        if (!(error instanceof BatchFileError)) throw error;
        const sourceName = named.ok ? named.source.name : null;
        const runId = batchRunId(named.ok ? named.source : { name: '_unknown' }, body, object.timeMs);
        const reportKey = batchReportKey(sourceName, runId);
        await target.putQuarantine(
          reportKey,
          JSON.stringify(fileErrorReport(sourceName, runId, origin, object.timeMs, error.message)),
        );
        metrics.addMetric('BatchFilesRefused', MetricUnit.Count, 1);
        logger.warn('batch file refused', { origin, reason: error.message, reportKey });
        files.push({ key: object.key, ok: false, reason: error.message, reportKey });
      }
    }
    metrics.publishStoredMetrics();
    return { files };
  };
}
