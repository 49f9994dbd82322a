/**
 * The training rows `train` learns from: a training-set file (CSV or
 * Parquet, as `featurelake training-set` writes them) read with DuckDB, or
 * the model's point-in-time training set built from the lake by the same SQL
 * (src/query/training-set.ts). Also the fingerprint that ties an artifact to
 * the exact rows it was trained on.
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import type { FeatureSqlOptions } from '../../query/feature-sql.js';
import { trainingSetSql } from '../../query/training-set.js';
import type { Model } from '../define.js';

export interface TrainingTable {
  /** In the order read. */
  readonly columns: readonly string[];
  readonly rows: readonly Readonly<Record<string, unknown>>[];
  /** Where it came from: a file path, or the label and views it was built from. */
  readonly origin: string;
}

const literal = (s: string) => `'${s.replaceAll("'", "''")}'`;

/** A training set written by `featurelake training-set` (or any CSV with a header, or Parquet file). */
export async function readTrainingTable(file: string): Promise<TrainingTable> {
  const resolved = path.resolve(file);
  const reader = resolved.toLowerCase().endsWith('.parquet') ? 'read_parquet' : 'read_csv';
  const db = await DuckDBInstance.create(':memory:');
  const connection = await db.connect();
  try {
    const result = await connection.runAndReadAll(`SELECT * FROM ${reader}(${literal(resolved)})`);
    return { columns: result.columnNames(), rows: result.getRowObjectsJS() as Record<string, unknown>[], origin: file };
  } finally {
    connection.closeSync();
    db.closeSync();
  }
}

/** What runs the training set's SQL: a lake target of the CLI, or the local engine. */
export interface SqlRunner {
  run(sql: string): Promise<{ readonly columns: readonly string[]; readonly rows: readonly Record<string, unknown>[] }>;
}

/** The model's point-in-time training set: its label's observations in [fromMs, toMs) with its views' features. */
export async function buildTrainingTable(
  model: Model,
  runner: SqlRunner,
  fromMs: number,
  toMs: number,
  options: FeatureSqlOptions,
): Promise<TrainingTable> {
  const sql = trainingSetSql(model.views, { kind: 'stream', label: model.label, fromMs, toMs }, options);
  const result = await runner.run(sql);
  const views = model.views.map((v) => v.name).join(', ');
  const span = `${new Date(fromMs).toISOString()}/${new Date(toMs).toISOString()}`;
  return { columns: result.columns, rows: result.rows, origin: `label ${model.label.name} × ${views} over ${span}` };
}

/** A value as text for the fingerprint: unambiguous, and the same for the same value however it was read. */
function text(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (value instanceof Date) return value.toISOString();
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'number':
    case 'bigint':
    case 'boolean':
      return String(value);
    default:
      return JSON.stringify(value, (_, v) => (typeof v === 'bigint' ? String(v) : v));
  }
}

/** sha256 of the header and every row as read: columns in order, values as text, tab-separated, one line each. */
export function fingerprintTable(table: Pick<TrainingTable, 'columns' | 'rows'>): string {
  const hash = createHash('sha256');
  hash.update(`${table.columns.map((c) => JSON.stringify(c)).join('\t')}\n`);
  for (const row of table.rows) hash.update(`${table.columns.map((c) => text(row[c])).join('\t')}\n`);
  return hash.digest('hex');
}
