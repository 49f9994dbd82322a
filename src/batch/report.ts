/**
 * What the quarantine keeps of a batch file (as src/quarantine/quarantine.ts
 * keeps each stream record it cannot use): one JSON object per ingest run with
 * the bad rows' lines and reasons, or the reason the whole file was refused.
 * The key is a function of the run, so a re-ingest overwrites its report:
 *
 *   invalid/consumer=batch-ingest/source=<batch source>/<run id>.json
 */
import { QUARANTINE_PREFIX } from '../quarantine/quarantine.js';
import type { BatchRejection } from './rows.js';

export const BATCH_CONSUMER = 'batch-ingest';

/** Rejected rows listed in one report; the count covers the rest. */
export const MAX_REPORTED_ROWS = 10_000;

export interface BatchReport {
  /** invalid_rows: some rows were rejected, the others ingested; invalid_file: nothing was used. */
  readonly reason: 'invalid_rows' | 'invalid_file';
  /** The batch source, or null when the key named none. */
  readonly source: string | null;
  readonly consumer: typeof BATCH_CONSUMER;
  /** s3://bucket/key, or the path the CLI was given. */
  readonly origin: string;
  readonly runId: string;
  readonly uploadTime: string;
  readonly rowsKept: number;
  readonly rowsRejected: number;
  /** Line (CSV, header = 1) or row (Parquet, from 1) and reason, at most MAX_REPORTED_ROWS. */
  readonly rejected: readonly BatchRejection[];
  /** Why the whole file was refused (invalid_file). */
  readonly detail?: string;
}

export function batchReportKey(sourceName: string | null, runId: string): string {
  return `${QUARANTINE_PREFIX}consumer=${BATCH_CONSUMER}/source=${sourceName ?? '_unknown'}/${runId}.json`;
}

/** The report of a file refused as a whole (unknown source or format, no header, unreadable Parquet). */
export function fileErrorReport(
  sourceName: string | null,
  runId: string,
  origin: string,
  uploadTimeMs: number,
  detail: string,
): BatchReport {
  return {
    reason: 'invalid_file',
    source: sourceName,
    consumer: BATCH_CONSUMER,
    origin,
    runId,
    uploadTime: new Date(uploadTimeMs).toISOString(),
    rowsKept: 0,
    rowsRejected: 0,
    rejected: [],
    detail,
  };
}
