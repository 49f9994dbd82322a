/** DuckDB as the independent reader of the Parquet files the code under test writes. */
import { DuckDBInstance } from '@duckdb/node-api';

export type Row = Record<string, unknown>;

/** Runs SQL on a fresh in-memory DuckDB (UTC session) and returns rows as plain JS values. */
export async function duckdbQuery(sql: string): Promise<Row[]> {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    await connection.run("SET TimeZone = 'UTC'");
    const reader = await connection.runAndReadAll(sql);
    return reader.getRowObjectsJS() as Row[];
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

/** A SQL string literal. */
export const sqlString = (value: string) => `'${value.replaceAll("'", "''")}'`;
