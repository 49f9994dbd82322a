/**
 * One batch file, end to end, the same for the Lambda (an upload under the
 * lake bucket's `sources/<name>/`), the local stack and `featurelake
 * ingest-batch`: read and validate it (./rows.ts), write its good rows to the
 * lake as Parquet (./lake-table.ts), the newest row of each entity to the
 * online table (./online-writer.ts), and a report of its bad rows to the
 * quarantine (./report.ts). Every step is idempotent, so a retry of a failed
 * run, or ingesting the same file again, changes nothing.
 */
import { createHash } from 'node:crypto';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { BatchSource } from '../features/batch-source.js';
import type { Compression, ParquetEncoder } from '../lake/lake-writer.js';
import type { PartitionScheme } from '../lake/layout.js';
import { batchLakeFiles } from './lake-table.js';
import { writeLatestValues } from './online-writer.js';
import { type BatchReport, batchReportKey, MAX_REPORTED_ROWS } from './report.js';
import { type BatchFormat, type BatchRejection, batchFormatOf, latestPerEntity, readBatchFile } from './rows.js';

/** Where uploads of batch files go in the lake bucket: `sources/<batch source>/<any name>.csv|.parquet`. */
export const SOURCES_PREFIX = 'sources/';

/** The batch source an uploaded key names (`sources/<name>/…`), or why none. */
export function batchSourceOfKey(
  key: string,
  sources: readonly BatchSource[],
): { ok: true; source: BatchSource } | { ok: false; reason: string } {
  const match = /^sources\/([^/]+)\/.+/.exec(key);
  if (!match) return { ok: false, reason: `${key} is not under ${SOURCES_PREFIX}<batch source>/` };
  const source = sources.find((s) => s.name === match[1]);
  if (!source)
    return {
      ok: false,
      reason: `${key}: unknown batch source "${match[1]}" (known: ${sources.map((s) => s.name).join(', ') || 'none'})`,
    };
  return { ok: true, source };
}

/** The run id: the first 16 hex digits of sha256(source, upload time when rows take it as their as-of, file bytes). */
export function batchRunId(source: Pick<BatchSource, 'name' | 'asOfField'>, body: Uint8Array, uploadTimeMs: number): string {
  const hash = createHash('sha256').update(source.name).update('\0');
  if (source.asOfField === undefined) hash.update(String(uploadTimeMs));
  return hash.update('\0').update(body).digest('hex').slice(0, 16);
}

export interface BatchIngestTarget {
  readonly doc: DynamoDBDocumentClient;
  readonly tableName: string;
  /** Writes a lake object (the lake bucket, or a folder). */
  readonly putLake: (key: string, body: Uint8Array) => Promise<void>;
  /** Writes a quarantine object (JSON). */
  readonly putQuarantine: (key: string, body: string) => Promise<void>;
  readonly scheme: (source: BatchSource) => PartitionScheme;
  readonly compression: Compression;
  readonly encode: ParquetEncoder;
}

export interface BatchFile {
  readonly source: BatchSource;
  readonly body: Uint8Array;
  /** For the format and messages: the file's name or key. */
  readonly name: string;
  /** Where it came from, for the report: s3://bucket/key or a path. */
  readonly origin: string;
  /** Every row's as-of time when the source has no as-of field. */
  readonly uploadTimeMs: number;
  /** @default from the name */
  readonly format?: BatchFormat;
}

export interface BatchIngestSummary {
  readonly source: string;
  readonly runId: string;
  readonly rowsKept: number;
  readonly rowsRejected: number;
  /** The first rejections, by line. */
  readonly firstRejections: readonly BatchRejection[];
  /** Entities the file holds rows of. */
  readonly entities: number;
  /** Entities whose online values this run wrote; the others held values as new already. */
  readonly entitiesWritten: number;
  readonly entitiesNotNewer: number;
  readonly lakeKeys: readonly string[];
  readonly lakeBytes: number;
  /** The quarantine report of the rejected rows, when there were any. */
  readonly reportKey?: string;
}

export type IngestPhase = 'read' | 'lake' | 'online' | 'report';

export async function ingestBatchFile(
  file: BatchFile,
  target: BatchIngestTarget,
  onProgress?: (phase: IngestPhase, done: number, total: number) => void,
): Promise<BatchIngestSummary> {
  const { source } = file;
  // Whole milliseconds: the lake's timestamps are int64 milliseconds (a file's mtime has fractions).
  const uploadTimeMs = Math.floor(file.uploadTimeMs);
  const format = file.format ?? batchFormatOf(file.name);
  const runId = batchRunId(source, file.body, uploadTimeMs);
  onProgress?.('read', 0, file.body.byteLength);
  const { rows, rejected } = await readBatchFile(source, file.body, {
    fileName: file.name,
    format,
    uploadTimeMs,
  });
  onProgress?.('read', file.body.byteLength, file.body.byteLength);

  const lakeFiles = await batchLakeFiles(source, rows, {
    runId,
    uploadTimeMs,
    scheme: target.scheme(source),
    compression: target.compression,
    encode: target.encode,
  });
  for (const [i, lakeFile] of lakeFiles.entries()) {
    await target.putLake(lakeFile.key, lakeFile.body);
    onProgress?.('lake', i + 1, lakeFiles.length);
  }

  const latest = latestPerEntity(rows);
  const online = await writeLatestValues(source, latest, {
    doc: target.doc,
    tableName: target.tableName,
    runId,
    onProgress: (done) => {
      if (done % 500 === 0 || done === latest.size) onProgress?.('online', done, latest.size);
    },
  });

  let reportKey: string | undefined;
  if (rejected.length > 0) {
    reportKey = batchReportKey(source.name, runId);
    const report: BatchReport = {
      reason: 'invalid_rows',
      source: source.name,
      consumer: 'batch-ingest',
      origin: file.origin,
      runId,
      uploadTime: new Date(uploadTimeMs).toISOString(),
      rowsKept: rows.length,
      rowsRejected: rejected.length,
      rejected: rejected.slice(0, MAX_REPORTED_ROWS),
    };
    await target.putQuarantine(reportKey, JSON.stringify(report));
    onProgress?.('report', 1, 1);
  }
  return {
    source: source.name,
    runId,
    rowsKept: rows.length,
    rowsRejected: rejected.length,
    firstRejections: rejected.slice(0, 20),
    entities: latest.size,
    entitiesWritten: online.written,
    entitiesNotNewer: online.notNewer,
    lakeKeys: lakeFiles.map((f) => f.key),
    lakeBytes: lakeFiles.reduce((sum, f) => sum + f.body.byteLength, 0),
    ...(reportKey ? { reportKey } : {}),
  };
}
