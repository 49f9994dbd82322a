/**
 * Local Athena: the lake's tables as DuckDB views with Glue's names, columns
 * and partition columns, over the same Hive layout of Parquet files — read
 * from a directory that mirrors the bucket (a plain folder, or the S3
 * emulator's own files). DuckDB's S3 support is an extension it would have to
 * download, so reads go through files and writes through the S3 API.
 *
 * Athena parity: timestamps are exposed as TIMESTAMP (UTC, no zone) like
 * Athena's `timestamp`; `dt` is VARCHAR and `hr` INTEGER as in Glue; a table
 * with no files yet is an empty view of the right columns. INSERT INTO a
 * rollup table writes the SELECT's rows as Parquet under its partitions.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import type { LakeType } from '../lake/columns.js';
import type { LakeTable } from '../lake/tables.js';
import type { LakeStorage } from './lake-storage.js';
import { parseInsertInto, toDuckDb } from './rewrite.js';

export interface QueryResult {
  readonly columns: readonly string[];
  readonly rows: readonly Record<string, unknown>[];
  readonly elapsedMs: number;
  /**
   * Local: rows the query took from the lake's files after partition pruning
   * and the filters DuckDB pushes into the scan (the sum of its table scans'
   * output). DuckDB's own "rows scanned" counter counts vectors more than once,
   * so it is not used.
   */
  readonly inputRows?: number;
  /** Local: Parquet files the query opened, after partition pruning. */
  readonly filesRead?: number;
  /** Athena: data scanned, which is what a query costs ($5 per TB). */
  readonly bytesScanned?: number;
  /** Athena: the query execution id, to find it in the console. */
  readonly queryExecutionId?: string;
  /** For INSERT INTO: files written. */
  readonly filesWritten?: number;
}

const DUCKDB_TYPES: Readonly<Record<LakeType, string>> = {
  string: 'VARCHAR',
  double: 'DOUBLE',
  bigint: 'BIGINT',
  boolean: 'BOOLEAN',
  timestamp: 'TIMESTAMP',
};
const PARTITION_TYPES = { string: 'VARCHAR', int: 'INTEGER' } as const;

const literal = (s: string) => `'${s.replaceAll("'", "''")}'`;
const ident = (s: string) => `"${s.replaceAll('"', '""')}"`;

/** The view of one table: its files with Glue's types, or an empty relation of the same columns. */
export function viewSql(table: LakeTable, storage: Pick<LakeStorage, 'root' | 'suffix'>): string {
  const dir = path.join(storage.root, table.prefix);
  const columns = [
    ...table.columns.map((c) => ({ name: c.name, sqlType: DUCKDB_TYPES[c.type] })),
    ...table.partitionKeys.map((k) => ({ name: k.name, sqlType: PARTITION_TYPES[k.type] })),
  ];
  const select = columns
    .map((c) =>
      c.sqlType === 'TIMESTAMP'
        ? // The lake's UTC instants (TIMESTAMPTZ to DuckDB) as Athena's zoneless timestamp, by arithmetic:
          // CAST(… AS TIMESTAMP) goes through ICU time zones and made scans several times slower (docs/benchmarks.md).
          `make_timestamp(epoch_us(${ident(c.name)})) AS ${ident(c.name)}`
        : `CAST(${ident(c.name)} AS ${c.sqlType}) AS ${ident(c.name)}`,
    )
    .join(', ');
  if (!filesUnder(dir).some((f) => f.endsWith(`.parquet${storage.suffix}`))) {
    const nulls = columns.map((c) => `CAST(NULL AS ${c.sqlType}) AS ${ident(c.name)}`).join(', ');
    return `CREATE OR REPLACE VIEW ${ident(table.name)} AS SELECT ${nulls} WHERE false`;
  }
  const glob = path.join(dir, '**', `*.parquet${storage.suffix}`);
  const hiveTypes = table.partitionKeys.map((k) => `${literal(k.name)}: ${PARTITION_TYPES[k.type]}`).join(', ');
  return `CREATE OR REPLACE VIEW ${ident(table.name)} AS SELECT ${select} FROM read_parquet(${literal(glob)}, hive_partitioning = true, hive_types = {${hiveTypes}}, union_by_name = true)`;
}

interface ProfileNode {
  operator_type?: string;
  operator_cardinality?: number;
  extra_info?: Record<string, string>;
  children?: ProfileNode[];
}

export interface LocalRunOptions {
  /**
   * Aborting it interrupts the statement (Athena's StopQueryExecution, emulated): an INSERT
   * stopped before its files are uploaded writes none of them.
   */
  readonly signal?: AbortSignal;
}

export interface LocalLake {
  run(sql: string, options?: LocalRunOptions): Promise<QueryResult>;
  close(): void;
}

export async function openLocalLake(options: { storage: LakeStorage; tables: readonly LakeTable[] }): Promise<LocalLake> {
  const { storage, tables } = options;
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  const work = mkdtempSync(path.join(tmpdir(), 'featurelake-query-'));
  await connection.run("SET TimeZone = 'UTC'");
  const refreshViews = async () => {
    for (const table of tables) await connection.run(viewSql(table, storage));
  };
  await refreshViews();

  const profile = path.join(work, 'profile.json');
  await connection.run(
    `SET custom_profiling_settings = '{"OPERATOR_TYPE": "true", "OPERATOR_CARDINALITY": "true", "EXTRA_INFO": "true"}'`,
  );
  await connection.run("SET enable_profiling = 'json'");
  await connection.run(`SET profiling_output = ${literal(profile)}`);
  /** Runs one statement with the profiler on; resolves to its reader and what its table scans read. */
  async function profiled(sql: string) {
    // A statement answered from metadata may write no profile: never read an older one.
    rmSync(profile, { force: true });
    const reader = await connection.runAndReadAll(sql);
    return { reader, ...scanned() };
  }
  /** Rows the table scans produced and Parquet files they opened, from the profile. */
  function scanned(): { inputRows?: number; filesRead?: number } {
    let tree: ProfileNode;
    try {
      tree = JSON.parse(readFileSync(profile, 'utf8')) as ProfileNode;
    } catch {
      return {};
    }
    let inputRows = 0;
    let filesRead = 0;
    const visit = (node: ProfileNode): void => {
      if (node.operator_type === 'TABLE_SCAN') {
        inputRows += Number(node.operator_cardinality ?? 0);
        filesRead += Number(node.extra_info?.['Total Files Read'] ?? 0);
      }
      for (const child of node.children ?? []) visit(child);
    };
    visit(tree);
    return { inputRows, filesRead };
  }

  return {
    async run(sql, options = {}) {
      const { signal } = options;
      signal?.throwIfAborted();
      const interrupt = () => connection.interrupt();
      signal?.addEventListener('abort', interrupt, { once: true });
      try {
        return await runStatement(sql, signal);
      } finally {
        signal?.removeEventListener('abort', interrupt);
      }
    },
    close() {
      connection.closeSync();
      instance.closeSync();
      rmSync(work, { recursive: true, force: true });
    },
  };

  async function runStatement(sql: string, signal: AbortSignal | undefined): Promise<QueryResult> {
    const started = performance.now();
    const insert = parseInsertInto(sql);
    if (insert) {
      const table = tables.find((t) => t.name === insert.table && t.kind === 'rollup');
      if (!table) throw new Error(`INSERT INTO ${insert.table}: only rollup tables are written by queries`);
      const out = path.join(work, `insert-${Date.now()}`);
      const keys = table.partitionKeys.map((k) => ident(k.name)).join(', ');
      const { reader, inputRows, filesRead } = await profiled(
        `COPY (${toDuckDb(insert.select)}) TO ${literal(out)} (FORMAT parquet, COMPRESSION snappy, PARTITION_BY (${keys}), FILENAME_PATTERN 'part-{uuid}', OVERWRITE_OR_IGNORE)`,
      );
      // COPY answers with the number of rows it wrote.
      const rowsWritten = Number(reader.getRowsJS()[0]?.[0] ?? 0);
      if (signal?.aborted) {
        rmSync(out, { recursive: true, force: true });
        signal.throwIfAborted();
      }
      const filesWritten = await uploadTree(out, table.prefix, storage);
      rmSync(out, { recursive: true, force: true });
      await refreshViews();
      return {
        columns: ['rows'],
        rows: [{ rows: rowsWritten }],
        ...(inputRows === undefined ? {} : { inputRows }),
        ...(filesRead === undefined ? {} : { filesRead }),
        elapsedMs: performance.now() - started,
        filesWritten,
      };
    }
    const { reader, inputRows, filesRead } = await profiled(toDuckDb(sql));
    return {
      ...(inputRows === undefined ? {} : { inputRows }),
      ...(filesRead === undefined ? {} : { filesRead }),
      columns: reader.columnNames(),
      rows: reader.getRowObjectsJS() as Record<string, unknown>[],
      elapsedMs: performance.now() - started,
    };
  }
}

/** Every file under a directory, as paths relative to it with '/' separators. */
function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((rel) => statSync(path.join(dir, rel)).isFile())
    .map((rel) => rel.split(path.sep).join('/'));
}

/** Puts every file DuckDB wrote (dt=…/hr=…/part-….parquet) under the table's prefix; resolves to how many. */
async function uploadTree(dir: string, prefix: string, target: LakeStorage): Promise<number> {
  const files = filesUnder(dir);
  for (const rel of files) await target.put(`${prefix}${rel}`, readFileSync(path.join(dir, rel)));
  return files.length;
}
