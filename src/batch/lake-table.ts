/**
 * A batch source's table in the lake: `events/<source>/`, partitioned like the
 * stream's tables (src/lake/layout.ts), typed from its schema by the same
 * column rules (src/lake/columns.ts). The as-of time is the table's time
 * column: the source's `asOfField`, or an added `as_of` column holding the
 * upload time when the source has none. Lineage: `arrival_time` is when the
 * file was uploaded, `record_id` is `batch:<run>:<line>`.
 *
 * A file's rows go to one partition, the one of its newest as-of time, as
 * `batch-<run>-<n>.parquet`. The run id is a hash of the source, the file's
 * bytes and (without an as-of field) the upload time, so ingesting the same
 * file again rewrites the same keys instead of adding rows.
 */
import * as z from 'zod';
import { AS_OF_COLUMN, type BatchSource } from '../features/batch-source.js';
import type { EventSource } from '../features/define.js';
import { type LakeColumn, lakeColumns } from '../lake/columns.js';
import { type Compression, type LakeRow, lakeRow, type ParquetEncoder } from '../lake/lake-writer.js';
import { type PartitionScheme, partitionPath } from '../lake/layout.js';
import type { BatchRow } from './rows.js';

const cache = new WeakMap<BatchSource, EventSource>();

/**
 * The batch source as the lake sees a source: same name and schema, its as-of field as the time
 * column (an `as_of` field added when it has none). Lets the lake's tables, columns and Glue
 * definitions treat it like any other source.
 */
export function batchLakeSource(source: BatchSource): EventSource {
  const cached = cache.get(source);
  if (cached) return cached;
  const lake: EventSource =
    source.asOfField === undefined
      ? {
          name: source.name,
          description: source.description,
          schema: source.schema.extend({ [AS_OF_COLUMN]: z.number().int() }),
          eventTimeField: AS_OF_COLUMN,
        }
      : { name: source.name, description: source.description, schema: source.schema, eventTimeField: source.asOfField };
  cache.set(source, lake);
  return lake;
}

/** The source's data columns as files carry them (no lineage, no added as_of column). */
export function fileColumns(source: BatchSource): LakeColumn[] {
  return lakeColumns(batchLakeSource(source)).filter(
    (c) => c.name !== 'arrival_time' && c.name !== 'record_id' && (source.asOfField !== undefined || c.name !== AS_OF_COLUMN),
  );
}

/** A batch file's key in the lake: deterministic from its run, so a re-ingest overwrites. */
export function batchObjectKey(partition: string, runId: string, index: number): string {
  return `${partition}batch-${runId}-${String(index).padStart(5, '0')}.parquet`;
}

export interface LakeFile {
  readonly key: string;
  readonly body: Uint8Array;
  readonly rows: number;
}

/** The Parquet files of a run's good rows (none without rows). */
export async function batchLakeFiles(
  source: BatchSource,
  rows: readonly BatchRow[],
  options: {
    readonly runId: string;
    readonly uploadTimeMs: number;
    readonly scheme: PartitionScheme;
    readonly compression: Compression;
    readonly encode: ParquetEncoder;
    /** @default 500,000 */
    readonly maxRowsPerFile?: number;
  },
): Promise<LakeFile[]> {
  if (rows.length === 0) return [];
  const lake = batchLakeSource(source);
  const newest = rows.reduce((max, r) => Math.max(max, r.asOfMs), Number.NEGATIVE_INFINITY);
  const partition = partitionPath(lake.name, options.scheme, newest);
  const columns = lakeColumns(lake);
  const maxRows = options.maxRowsPerFile ?? 500_000;
  const files: LakeFile[] = [];
  for (let start = 0, index = 0; start < rows.length; start += maxRows, index++) {
    const part = rows.slice(start, start + maxRows);
    const lakeRows: LakeRow[] = part.map((r) =>
      lakeRow(lake, r.data, r.asOfMs, { arrivalTimeMs: options.uploadTimeMs, recordId: `batch:${options.runId}:${r.line}` }),
    );
    const body = await options.encode(columns, lakeRows, options.compression);
    files.push({ key: batchObjectKey(partition, options.runId, index), body, rows: part.length });
  }
  return files;
}
