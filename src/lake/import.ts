/**
 * Bulk import of historical files (seed 004's daily CSV logs, or JSONL) into
 * the lake, in the stream writer's layout and types. Each row is validated
 * against its source's schema; a bad row is rejected with file, line and
 * reason and never written. Keys are deterministic from the file's content
 * (`import-<content hash>-<n>.parquet`), so importing the same file again
 * overwrites its files instead of duplicating rows.
 *
 * CSV: a header line naming the columns is optional; without one, columns
 * are the source's fields in schema order (seed 004: timestamp, user, app,
 * metric_1…metric_9). Timestamps without a zone ("2025-01-01 14:30:45") are
 * UTC. Quoted fields follow RFC 4180 (no line breaks inside quotes).
 */
import { createHash } from 'node:crypto';
import { createReadStream, statSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { describeIssues, eventTimeMsOf } from '../domain/records.js';
import type { EventSource } from '../features/define.js';
import { type LakeColumn, lakeColumns } from './columns.js';
import { type Compression, type LakeRow, lakeRow, type ParquetEncoder } from './lake-writer.js';
import { importObjectKey, type PartitionScheme, partitionPath } from './layout.js';

export type ImportFormat = 'csv' | 'jsonl';

export interface ImportRejection {
  readonly file: string;
  readonly line: number;
  readonly reason: string;
}

export interface ImportOptions {
  readonly source: EventSource;
  readonly scheme: PartitionScheme;
  readonly compression: Compression;
  readonly encode: ParquetEncoder;
  /** Where files go: a lake folder or bucket (src/query/lake-storage.ts). */
  readonly put: (key: string, body: Uint8Array) => Promise<void>;
  /** Rows per file at most; a partition with more gets several files. */
  readonly maxRowsPerFile?: number;
  /** After each chunk of input: bytes read so far (all files), rows accepted so far. */
  readonly onProgress?: (bytesRead: number, rows: number) => void;
  /** Each rejected row, as it is found. */
  readonly onReject?: (rejection: ImportRejection) => void;
  /** Lineage: arrival_time of imported rows. Default: now. */
  readonly importTimeMs?: number;
}

export interface ImportSummary {
  readonly rows: number;
  readonly rejected: number;
  readonly inputFiles: number;
  readonly bytesRead: number;
  readonly filesWritten: number;
  readonly bytesWritten: number;
  readonly elapsedMs: number;
  /** Objects written, in order. */
  readonly keys: readonly string[];
}

/** The format of a file from its name: .csv (also .log.csv) or .jsonl/.ndjson/.json. */
export function formatOf(file: string): ImportFormat {
  const name = file.toLowerCase();
  if (name.endsWith('.csv')) return 'csv';
  if (name.endsWith('.jsonl') || name.endsWith('.ndjson') || name.endsWith('.json')) return 'jsonl';
  throw new Error(`${file}: cannot tell the format from the name (expected .csv, .jsonl or .ndjson)`);
}

/** Splits one CSV line (RFC 4180 quoting, no line breaks inside quotes). */
export function splitCsvLine(line: string): string[] {
  if (!line.includes('"')) return line.split(',');
  const out: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      out.push(field);
      field = '';
    } else field += c;
  }
  if (quoted) throw new Error('unterminated quoted field');
  out.push(field);
  return out;
}

const NAIVE_TIME = /^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?$/;

/** A CSV cell as the value the schema expects for the column. */
/**
 * A CSV cell as the schema expects it, by its lake column's type: empty → absent; a timestamp
 * zone-less → UTC ISO-8601, digits → epoch ms; numerals → numbers; true/false → booleans. Anything
 * else is kept as text, for the schema to refuse naming the field. Shared with batch sources' files.
 */
export function csvValue(raw: string, column: LakeColumn): unknown {
  if (raw === '') return undefined;
  switch (column.type) {
    case 'timestamp':
      if (NAIVE_TIME.test(raw)) return `${raw.replace(' ', 'T')}Z`;
      return /^\d+$/.test(raw) ? Number(raw) : raw;
    case 'bigint':
    case 'double':
      // Number('') and Number(' ') are 0: only real numerals become numbers; the schema rejects the rest.
      return /^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$/.test(raw) ? Number(raw) : raw;
    case 'boolean':
      return raw === 'true' ? true : raw === 'false' ? false : raw;
    default:
      return raw;
  }
}

export interface ValidRow {
  readonly line: number;
  /** The row as the schema parsed it (event time as given). */
  readonly data: Readonly<Record<string, unknown>>;
  readonly eventTimeMs: number;
}

/**
 * The valid rows of one file, in order; each invalid row goes to `reject`
 * with its line number and reason. `onBytes` reports bytes read so far.
 */
export async function* readValidRows(
  file: string,
  source: EventSource,
  reject: (line: number, reason: string) => void,
  onBytes?: (bytesRead: number) => void,
): AsyncGenerator<ValidRow> {
  const format = formatOf(file);
  const fields = lakeColumns(source).filter((c) => c.name !== 'arrival_time' && c.name !== 'record_id');
  const byName = new Map(fields.map((c) => [c.name, c]));
  const stream = createReadStream(file);
  const lines = createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY });
  let header: string[] | undefined;
  let lineNumber = 0;
  for await (const line of lines) {
    lineNumber++;
    if (lineNumber % 10_000 === 0) onBytes?.(stream.bytesRead);
    if (line.trim() === '') continue;
    let data: Record<string, unknown>;
    if (format === 'csv') {
      let cells: string[];
      try {
        cells = splitCsvLine(line);
      } catch (error) {
        reject(lineNumber, (error as Error).message);
        continue;
      }
      if (lineNumber === 1 && cells[0]?.trim() === source.eventTimeField) {
        header = cells.map((c) => c.trim());
        const unknown = header.filter((h) => !byName.has(h));
        if (unknown.length > 0)
          throw new Error(`${path.basename(file)}:1: unknown columns ${unknown.join(', ')} for source ${source.name}`);
        continue;
      }
      const names = header ?? fields.map((c) => c.name);
      if (cells.length !== names.length) {
        reject(lineNumber, `expected ${names.length} fields (${names.join(',')}), found ${cells.length}`);
        continue;
      }
      data = {};
      for (const [i, columnName] of names.entries()) {
        const value = csvValue(cells[i] as string, byName.get(columnName) as LakeColumn);
        if (value !== undefined) data[columnName] = value;
      }
    } else {
      let parsed: unknown;
      try {
        parsed = JSON.parse(line);
      } catch (error) {
        reject(lineNumber, `not JSON: ${(error as Error).message}`);
        continue;
      }
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
        reject(lineNumber, 'not a JSON object');
        continue;
      }
      const { source: named, ...rest } = parsed as Record<string, unknown>;
      if (named !== undefined && named !== source.name) {
        reject(lineNumber, `field "source" is ${JSON.stringify(named)}, importing ${source.name}`);
        continue;
      }
      data = rest;
    }
    const result = source.schema.safeParse(data);
    if (!result.success) {
      reject(lineNumber, describeIssues(result.error));
      continue;
    }
    const valid = result.data as Record<string, unknown>;
    yield { line: lineNumber, data: valid, eventTimeMs: eventTimeMsOf(source, valid) };
  }
  onBytes?.(stream.bytesRead);
}

/** The first 16 hex digits of sha256(source name, file content): the import run id of a file. */
export async function contentRunId(file: string, sourceName: string): Promise<string> {
  const hash = createHash('sha256').update(sourceName);
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex').slice(0, 16);
}

/** Imports files into the lake; resolves to what was written and what was rejected. */
export async function importFiles(files: readonly string[], options: ImportOptions): Promise<ImportSummary> {
  const { source, scheme } = options;
  const started = performance.now();
  const columns = lakeColumns(source);
  const maxRows = options.maxRowsPerFile ?? 500_000;
  const importTime = options.importTimeMs ?? Date.now();
  const keys: string[] = [];
  let rows = 0;
  let rejected = 0;
  let bytesRead = 0;
  let bytesWritten = 0;

  for (const file of files) {
    const size = statSync(file).size;
    // Keys name the file's content, so they are known before anything is written and equal on a re-import.
    const runId = await contentRunId(file, source.name);
    const partitions = new Map<string, LakeRow[]>();
    const counters = new Map<string, number>();
    const flush = async (partition: string, buffer: LakeRow[]) => {
      if (buffer.length === 0) return;
      const index = counters.get(partition) ?? 0;
      counters.set(partition, index + 1);
      const key = importObjectKey(partition, runId, index);
      const body = await options.encode(columns, buffer, options.compression);
      await options.put(key, body);
      keys.push(key);
      bytesWritten += body.byteLength;
    };
    const reject = (line: number, reason: string) => {
      rejected++;
      options.onReject?.({ file, line, reason });
    };
    const progress = (fileBytes: number) => options.onProgress?.(bytesRead + fileBytes, rows);
    for await (const { line, data, eventTimeMs } of readValidRows(file, source, reject, progress)) {
      const partition = partitionPath(source.name, scheme, eventTimeMs, data);
      let buffer = partitions.get(partition);
      if (!buffer) {
        buffer = [];
        partitions.set(partition, buffer);
      }
      buffer.push(lakeRow(source, data, eventTimeMs, { arrivalTimeMs: importTime, recordId: `import:${runId}:${line}` }));
      rows++;
      if (buffer.length >= maxRows) {
        partitions.set(partition, []);
        await flush(partition, buffer);
      }
    }
    for (const [partition, buffer] of partitions) await flush(partition, buffer);
    bytesRead += size;
    options.onProgress?.(bytesRead, rows);
  }
  return {
    rows,
    rejected,
    inputFiles: files.length,
    bytesRead,
    filesWritten: keys.length,
    bytesWritten,
    elapsedMs: performance.now() - started,
    keys,
  };
}
