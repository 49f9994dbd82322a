/**
 * Reading and validating a batch file: CSV (a header line naming the columns;
 * RFC 4180 quoting, no line breaks inside quotes) or Parquet (read with
 * hyparquet, pure JavaScript, so the Lambda bundle carries no native code).
 * Every row is checked against the source's zod schema: a bad row is kept
 * aside with its line (CSV: the file's line, the header being line 1;
 * Parquet: the row's position, from 1) and the reason; the good ones go on.
 * Problems with the file as a whole (unknown format, no header, a required
 * column missing, an unreadable Parquet footer) throw a BatchFileError.
 *
 * CSV cells are typed by the column the schema gives them (numbers for
 * integer and number fields, true/false for booleans); an empty cell is an
 * absent value. Times without a zone ("2026-11-23 10:00:00") are UTC.
 */
import { parquetMetadata, parquetReadObjects, parquetSchema } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import { describeIssues } from '../domain/records.js';
import type { BatchSource } from '../features/batch-source.js';
import type { LakeColumn } from '../lake/columns.js';
import { csvValue, splitCsvLine } from '../lake/import.js';
import { fileColumns } from './lake-table.js';

export type BatchFormat = 'csv' | 'parquet';

/** A problem with the whole file: nothing in it is used. */
export class BatchFileError extends Error {
  override name = 'BatchFileError';
}

/** One valid row: its entity, the time its values are true as of, and the row as the schema parsed it. */
export interface BatchRow {
  readonly line: number;
  readonly entityId: string;
  readonly asOfMs: number;
  readonly data: Readonly<Record<string, unknown>>;
}

export interface BatchRejection {
  readonly line: number;
  readonly reason: string;
}

export interface ValidatedFile {
  readonly rows: BatchRow[];
  readonly rejected: BatchRejection[];
}

/** The format from the file name: .csv or .parquet (also .pq). */
export function batchFormatOf(name: string): BatchFormat {
  const lower = name.toLowerCase();
  if (lower.endsWith('.csv')) return 'csv';
  if (lower.endsWith('.parquet') || lower.endsWith('.pq')) return 'parquet';
  throw new BatchFileError(`${name}: cannot tell the format from the name (expected .csv or .parquet)`);
}

/** A Parquet value as the schema expects it: int64 → number, timestamps → ISO-8601, null → absent. */
function parquetValue(value: unknown, column: LakeColumn): unknown {
  if (value === null || value === undefined) return undefined;
  if (typeof value === 'bigint') {
    const n = Number(value);
    if (column.type === 'string') return value.toString();
    return Number.isSafeInteger(n) ? n : value.toString();
  }
  if (value instanceof Date) return value.toISOString();
  return value;
}

function checkColumns(source: BatchSource, names: readonly string[], where: string): Map<string, LakeColumn> {
  const columns = new Map(fileColumns(source).map((c) => [c.name, c]));
  const twice = names.filter((n, i) => names.indexOf(n) !== i);
  if (twice.length > 0) throw new BatchFileError(`${where}: columns named twice: ${[...new Set(twice)].join(', ')}`);
  const unknown = names.filter((n) => !columns.has(n));
  if (unknown.length > 0)
    throw new BatchFileError(
      `${where}: unknown columns ${unknown.join(', ')} for batch source ${source.name} (its columns: ${[...columns.keys()].join(', ')})`,
    );
  const missing = [...columns.values()].filter((c) => !c.nullable && !names.includes(c.name)).map((c) => c.name);
  if (missing.length > 0) throw new BatchFileError(`${where}: required columns missing: ${missing.join(', ')}`);
  return columns;
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: a header line holding these is binary, not CSV.
const BINARY = /[\u0000-\u0008\u000e-\u001f\u007f\ufffd]/u;

/** The raw records of a file, each with its line (CSV) or row number (Parquet); bad CSV lines rejected here. */
async function rawRecords(
  source: BatchSource,
  body: Uint8Array,
  format: BatchFormat,
  fileName: string,
  reject: (r: BatchRejection) => void,
): Promise<{ line: number; data: Record<string, unknown> }[]> {
  if (format === 'parquet') {
    const file = body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength) as ArrayBuffer;
    const unreadable = (error: unknown) =>
      new BatchFileError(`${fileName}: not a readable Parquet file (${(error as Error).message})`);
    let metadata: ReturnType<typeof parquetMetadata>;
    let names: string[];
    try {
      metadata = parquetMetadata(file);
      names = parquetSchema(metadata).children.map((c) => c.element.name);
    } catch (error) {
      throw unreadable(error);
    }
    // The columns from the footer alone: a file with the wrong ones is refused before its rows are decoded.
    const columns = checkColumns(source, names, fileName);
    let objects: Record<string, unknown>[];
    try {
      objects = (await parquetReadObjects({ file, metadata, compressors })) as Record<string, unknown>[];
    } catch (error) {
      throw unreadable(error);
    }
    return objects.map((o, i) => {
      const data: Record<string, unknown> = {};
      for (const [name, value] of Object.entries(o)) {
        const v = parquetValue(value, columns.get(name) as LakeColumn);
        if (v !== undefined) data[name] = v;
      }
      return { line: i + 1, data };
    });
  }
  let text = new TextDecoder('utf-8', { fatal: false }).decode(body);
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const lines = text.split(/\r?\n/);
  const headerLine = lines[0] ?? '';
  if (headerLine.trim() === '') throw new BatchFileError(`${fileName}: empty, or no header line naming the columns`);
  if (BINARY.test(headerLine))
    throw new BatchFileError(`${fileName}:1: not CSV text (control characters or bytes that are not UTF-8 in the first line)`);
  const header = splitCsvLine(headerLine).map((h) => h.trim());
  if (!header.includes(source.entity.keyField))
    throw new BatchFileError(
      `${fileName}:1: the first line must name the columns, including the entity key ${source.entity.keyField}; found ${JSON.stringify(headerLine.slice(0, 200))}`,
    );
  const columns = checkColumns(source, header, `${fileName}:1`);
  const out: { line: number; data: Record<string, unknown> }[] = [];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i] as string;
    if (line.trim() === '') continue;
    let cells: string[];
    try {
      cells = splitCsvLine(line);
    } catch (error) {
      reject({ line: i + 1, reason: (error as Error).message });
      continue;
    }
    if (cells.length !== header.length) {
      reject({ line: i + 1, reason: `expected ${header.length} fields (${header.join(',')}), found ${cells.length}` });
      continue;
    }
    const data: Record<string, unknown> = {};
    header.forEach((name, j) => {
      const value = csvValue(cells[j] as string, columns.get(name) as LakeColumn);
      if (value !== undefined) data[name] = value;
    });
    out.push({ line: i + 1, data });
  }
  return out;
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: an entity id with control characters cannot be served.
const ENTITY_ID = /^[^\u0000-\u001f\u007f]{1,128}$/u;

/**
 * Reads and validates a batch file. `uploadTimeMs` is every row's as-of time when the source has
 * no as-of field.
 */
export async function readBatchFile(
  source: BatchSource,
  body: Uint8Array,
  options: { readonly fileName: string; readonly format: BatchFormat; readonly uploadTimeMs: number },
): Promise<ValidatedFile> {
  const rejected: BatchRejection[] = [];
  const rows: BatchRow[] = [];
  const records = await rawRecords(source, body, options.format, options.fileName, (r) => rejected.push(r));
  for (const { line, data } of records) {
    const result = source.schema.safeParse(data);
    if (!result.success) {
      rejected.push({ line, reason: describeIssues(result.error) });
      continue;
    }
    const valid = result.data as Record<string, unknown>;
    const entityId = String(valid[source.entity.keyField]);
    if (!ENTITY_ID.test(entityId)) {
      rejected.push({ line, reason: `${source.entity.keyField}: must be 1–128 characters with no control characters` });
      continue;
    }
    let asOfMs = options.uploadTimeMs;
    if (source.asOfField !== undefined) {
      const raw = valid[source.asOfField];
      asOfMs = typeof raw === 'number' ? raw : typeof raw === 'string' ? Date.parse(raw) : Number.NaN;
      if (!Number.isFinite(asOfMs)) {
        rejected.push({ line, reason: `${source.asOfField}: not a time (ISO-8601 with offset, or epoch ms)` });
        continue;
      }
    }
    rows.push({ line, entityId, asOfMs, data: valid });
  }
  rejected.sort((a, b) => a.line - b.line);
  return { rows, rejected };
}

/** The newest row of each entity: the greatest as-of time, then the later line (a file may correct itself). */
export function latestPerEntity(rows: readonly BatchRow[]): Map<string, BatchRow> {
  const latest = new Map<string, BatchRow>();
  for (const row of rows) {
    const held = latest.get(row.entityId);
    if (!held || row.asOfMs > held.asOfMs || (row.asOfMs === held.asOfMs && row.line > held.line)) latest.set(row.entityId, row);
  }
  return latest;
}
