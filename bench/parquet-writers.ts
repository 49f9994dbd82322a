/**
 * The Parquet writer, chosen by measurement: the same rows (seed 004's
 * app_logs: timestamp, user, app, nine int64 metrics, plus the lake's lineage
 * columns) encoded with snappy by each candidate, timed in one run, each file
 * read back by DuckDB to check the row count. DuckDB's own COPY … TO parquet,
 * from a table already in memory, is the ceiling. Bundle size is what each
 * writer adds to a minified Lambda bundle (esbuild), wasm included.
 */
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { build } from 'esbuild';
import { appLogs as appLogsSource } from '../src/features/catalog.js';
import { lakeColumns } from '../src/lake/columns.js';
import { type LakeRow, lakeRow } from '../src/lake/lake-writer.js';
import { encodeParquet } from '../src/lake/parquet/index.js';
import { appLogs } from '../src/workloads/app-logs.js';

export interface WriterResult {
  readonly writer: string;
  readonly ms: number;
  readonly rowsPerSecond: number;
  readonly bytes: number;
  readonly bundleBytes?: number;
  readonly note?: string;
}

const ROOT = path.resolve(import.meta.dirname ?? '.', '..');

/** The rows as the lake writer Lambda builds them: schema-parsed events through lakeRow. */
function rowsOf(n: number): LakeRow[] {
  const start = Date.parse('2025-01-01T00:00:00Z');
  const out: LakeRow[] = [];
  let i = 0;
  for (const e of appLogs.generate({ events: n, seed: 1, startMs: start, ratePerSecond: n / 86_400 })) {
    const data = appLogsSource.schema.parse(e) as Record<string, unknown>;
    out.push(
      lakeRow(appLogsSource, data, Date.parse(e.timestamp), { arrivalTimeMs: start + 86_400_000, recordId: `bench:${i++}` }),
    );
  }
  return out;
}

async function duckdbCount(file: string): Promise<number> {
  const db = await DuckDBInstance.create(':memory:');
  const c = await db.connect();
  try {
    const r = await c.runAndReadAll(`SELECT count(*)::BIGINT AS n FROM read_parquet('${file}')`);
    return Number((r.getRowObjectsJS()[0] as { n: bigint }).n);
  } finally {
    c.closeSync();
    db.closeSync();
  }
}

/** Minified bundle size of a one-line entry that uses the writer (platform node, like the Lambdas). */
async function bundleBytes(entry: string, extraFiles: string[] = []): Promise<number> {
  const dir = mkdtempSync(path.join(tmpdir(), 'featurelake-bundle-'));
  try {
    const file = path.join(dir, 'entry.ts');
    writeFileSync(file, entry);
    const out = path.join(dir, 'out.mjs');
    await build({
      entryPoints: [file],
      bundle: true,
      minify: true,
      platform: 'node',
      format: 'esm',
      outfile: out,
      absWorkingDir: ROOT,
      nodePaths: [path.join(ROOT, 'node_modules')],
      logLevel: 'silent',
      loader: { '.wasm': 'file' },
    });
    return statSync(out).size + extraFiles.reduce((s, f) => s + statSync(path.join(ROOT, f)).size, 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function benchParquetWriters(n = 1_000_000): Promise<WriterResult[]> {
  const rows = rowsOf(n);
  const columns = lakeColumns(appLogsSource);
  const dir = mkdtempSync(path.join(tmpdir(), 'featurelake-parquet-bench-'));
  const results: WriterResult[] = [];
  const record = async (writer: string, file: string, ms: number, bundle?: number, note?: string) => {
    const count = await duckdbCount(file);
    if (count !== n) throw new Error(`${writer}: DuckDB reads ${count} rows, expected ${n}`);
    results.push({
      writer,
      ms,
      rowsPerSecond: (n / ms) * 1000,
      bytes: statSync(file).size,
      ...(bundle === undefined ? {} : { bundleBytes: bundle }),
      ...(note ? { note } : {}),
    });
  };
  try {
    // DuckDB: the ceiling. Rows loaded from a CSV first (untimed), then COPY timed alone.
    {
      const csv = path.join(dir, 'rows.csv');
      const names = columns.map((c) => c.name);
      const lines = [names.join(',')];
      for (const r of rows)
        lines.push(
          names
            .map((k) => (k === 'timestamp' || k === 'arrival_time' ? new Date(r[k] as number).toISOString() : String(r[k])))
            .join(','),
        );
      writeFileSync(csv, `${lines.join('\n')}\n`);
      const db = await DuckDBInstance.create(':memory:');
      const c = await db.connect();
      await c.run("SET TimeZone = 'UTC'");
      await c.run(
        `CREATE TABLE t AS SELECT * REPLACE (CAST("timestamp" AS TIMESTAMPTZ) AS "timestamp", CAST(arrival_time AS TIMESTAMPTZ) AS arrival_time) FROM read_csv('${csv}', header = true)`,
      );
      const file = path.join(dir, 'duckdb.parquet');
      const t0 = performance.now();
      await c.run(`COPY t TO '${file}' (FORMAT parquet, COMPRESSION snappy)`);
      const ms = performance.now() - t0;
      await record('DuckDB COPY (native, in-memory table)', file, ms, undefined, 'ceiling; not embeddable in a small Lambda');
      // The same on one thread, as a single-vCPU Lambda would run it: context for the JS writers, not the ceiling.
      const single = path.join(dir, 'duckdb-1.parquet');
      await c.run('SET threads = 1');
      const t1 = performance.now();
      await c.run(`COPY t TO '${single}' (FORMAT parquet, COMPRESSION snappy)`);
      const ms1 = performance.now() - t1;
      c.closeSync();
      db.closeSync();
      await record('DuckDB COPY, one thread', single, ms1, undefined, 'context');
    }

    // The lake's encoder (what the Lambda runs).
    {
      const file = path.join(dir, 'lake.parquet');
      const t0 = performance.now();
      const bytes = await encodeParquet(columns, rows, 'snappy');
      writeFileSync(file, bytes);
      const ms = performance.now() - t0;
      const bundle = await bundleBytes(
        `import { encodeParquet } from '${path.join(ROOT, 'src/lake/parquet/index.ts')}';\nconsole.log(encodeParquet);`,
      );
      await record('featurelake encoder (on hyparquet-writer parts)', file, ms, bundle, 'chosen');
    }

    // hyparquet-writer's own column writer: INT64 as BigInt.
    {
      const { parquetWriteBuffer } = await import('hyparquet-writer');
      const file = path.join(dir, 'hyparquet.parquet');
      const t0 = performance.now();
      const columnData = columns.map((c) => ({
        name: c.name,
        data: rows.map((r) => (c.type === 'string' ? r[c.name] : BigInt(r[c.name] as number))),
        type: c.type === 'string' ? ('STRING' as const) : c.type === 'timestamp' ? ('TIMESTAMP' as const) : ('INT64' as const),
        nullable: false,
      }));
      const bytes = parquetWriteBuffer({ columnData: columnData as never, codec: 'SNAPPY', rowGroupSize: 100_000 });
      writeFileSync(file, new Uint8Array(bytes));
      const ms = performance.now() - t0;
      const bundle = await bundleBytes(
        "import { parquetWriteBuffer } from 'hyparquet-writer';\nconsole.log(parquetWriteBuffer);",
      );
      await record('hyparquet-writer 0.17 (its own writer)', file, ms, bundle, 'INT64 as BigInt');
    }

    // parquet-wasm (Rust parquet via wasm) from an Arrow table.
    {
      const arrow = await import('apache-arrow');
      const wasm = await import('parquet-wasm');
      const file = path.join(dir, 'parquet-wasm.parquet');
      const t0 = performance.now();
      const int64 = (name: string) => BigInt64Array.from(rows, (r) => BigInt(r[name] as number));
      const table = arrow.tableFromArrays({
        timestamp: arrow.vectorFromArray(
          rows.map((r) => r.timestamp as number),
          new arrow.TimestampMillisecond('UTC'),
        ),
        user: rows.map((r) => r.user as string),
        app: rows.map((r) => r.app as string),
        ...Object.fromEntries(Array.from({ length: 9 }, (_, i) => [`metric_${i + 1}`, int64(`metric_${i + 1}`)])),
        arrival_time: arrow.vectorFromArray(
          rows.map((r) => r.arrival_time as number),
          new arrow.TimestampMillisecond('UTC'),
        ),
        record_id: rows.map((r) => r.record_id as string),
      } as unknown as Record<string, never>) as unknown as Parameters<typeof arrow.tableToIPC>[0];
      const props = new wasm.WriterPropertiesBuilder().setCompression(wasm.Compression.SNAPPY).build();
      const bytes = wasm.writeParquet(wasm.Table.fromIPCStream(arrow.tableToIPC(table, 'stream')), props);
      writeFileSync(file, bytes);
      const ms = performance.now() - t0;
      const bundle = await bundleBytes(
        "import * as a from 'apache-arrow';\nimport * as w from 'parquet-wasm';\nconsole.log(a.tableToIPC, w.writeParquet);",
        ['node_modules/parquet-wasm/node/parquet_wasm_bg.wasm'],
      );
      await record('parquet-wasm 0.8 (+ apache-arrow)', file, ms, bundle, 'incl. building the Arrow table');
    }

    // The row-by-row writers.
    for (const [name, module] of [
      ['@dsnp/parquetjs 1.8', '@dsnp/parquetjs'],
      ['parquetjs-lite 0.8', 'parquetjs-lite'],
    ] as const) {
      const lib = (await import(module)) as any;
      const api = lib.default ?? lib;
      const file = path.join(dir, `${module.replace(/\W/g, '_')}.parquet`);
      const schema = new api.ParquetSchema({
        timestamp: { type: 'TIMESTAMP_MILLIS', compression: 'SNAPPY' },
        user: { type: 'UTF8', compression: 'SNAPPY' },
        app: { type: 'UTF8', compression: 'SNAPPY' },
        ...Object.fromEntries(Array.from({ length: 9 }, (_, i) => [`metric_${i + 1}`, { type: 'INT64', compression: 'SNAPPY' }])),
        arrival_time: { type: 'TIMESTAMP_MILLIS', compression: 'SNAPPY' },
        record_id: { type: 'UTF8', compression: 'SNAPPY' },
      });
      const t0 = performance.now();
      const writer = await api.ParquetWriter.openFile(schema, file, { rowGroupSize: 100_000 });
      for (const r of rows) {
        await writer.appendRow({
          ...r,
          timestamp: new Date(r.timestamp as number),
          arrival_time: new Date(r.arrival_time as number),
        });
      }
      await writer.close();
      const ms = performance.now() - t0;
      const bundle = await bundleBytes(`import p from '${module}';\nconsole.log(p.ParquetWriter);`);
      await record(name, file, ms, bundle, 'row by row');
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return results;
}
