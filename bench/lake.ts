/**
 * Seed 004's workload on the lake: D days × N rows of CSV logs (default 90 ×
 * 50,000 = 4.5 M rows) imported as Parquet, then the two seed aggregations
 * (1day × user, 30m × user+app, over all days) through the SQL library on the
 * local lake, beside DuckDB aggregating the raw CSV files directly — in the
 * same run, measured the same way: DuckDB's time to the finished result
 * (median of three runs after a warm-up). The local engine's end-to-end time,
 * which adds turning every result row into a JS object for printing, is
 * reported beside them (one run).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { ENVIRONMENTS } from '../lib/config/environments.js';
import { appLogs as appLogsSource, sources } from '../src/features/catalog.js';
import { importFiles } from '../src/lake/import.js';
import { partitionSchemeFor } from '../src/lake/layout.js';
import { encodeParquet } from '../src/lake/parquet/index.js';
import { lakeTables } from '../src/lake/tables.js';
import { directoryStorage } from '../src/query/lake-storage.js';
import { openLocalLake, viewSql } from '../src/query/local-engine.js';
import { toDuckDb } from '../src/query/rewrite.js';
import { bindParams, resolveQuery } from '../src/query/sql-library.js';
import { appLogDayFile } from '../src/workloads/app-logs.js';
import { hash32 } from '../src/workloads/random.js';

export interface LakeBenchResult {
  readonly days: number;
  readonly perDay: number;
  readonly rows: number;
  readonly csvBytes: number;
  readonly import: { readonly ms: number; readonly rowsPerSecond: number; readonly files: number; readonly parquetBytes: number };
  readonly queries: readonly {
    readonly name: string;
    readonly lakeMs: number;
    readonly csvMs: number;
    readonly engineMs: number;
    readonly resultRows: number;
  }[];
}

const DAY = 86_400_000;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

async function timed(run: () => Promise<unknown>): Promise<number> {
  await run();
  const times: number[] = [];
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    await run();
    times.push(performance.now() - t0);
  }
  return median(times);
}

export async function benchLake(days = 90, perDay = 50_000, log: (s: string) => void = () => {}): Promise<LakeBenchResult> {
  const dir = mkdtempSync(path.join(tmpdir(), 'featurelake-lake-bench-'));
  try {
    const csvDir = path.join(dir, 'csv_logs');
    mkdirSync(csvDir);
    const start = Date.parse('2025-01-01T00:00:00Z');
    let csvBytes = 0;
    const files: string[] = [];
    for (let d = 0; d < days; d++) {
      const { name, text } = appLogDayFile({ dayStartMs: start + d * DAY, perDay, seed: hash32(1, d) });
      const file = path.join(csvDir, name);
      writeFileSync(file, text);
      csvBytes += text.length;
      files.push(file);
    }
    log(`  generated ${days} CSV files (${(csvBytes / 1e6).toFixed(0)} MB); importing…\n`);

    const lakeDir = path.join(dir, 'lake');
    const storage = directoryStorage(lakeDir);
    const settings = ENVIRONMENTS.dev.lake;
    const imported = await importFiles(files, {
      source: appLogsSource,
      scheme: partitionSchemeFor('app_logs', settings),
      compression: settings.compression,
      encode: encodeParquet,
      put: (key, body) => storage.put(key, body),
    });
    log(`  imported ${imported.rows} rows into ${imported.filesWritten} files; querying…\n`);

    const tables = lakeTables(sources, settings);
    const lake = await openLocalLake({ storage, tables });
    const db = await DuckDBInstance.create(':memory:');
    const raw = await db.connect();
    await raw.run("SET TimeZone = 'UTC'");
    // The lake's views, as the local engine defines them, on the same connection as the raw-CSV queries.
    for (const table of tables) await raw.run(viewSql(table, storage));
    const csvGlob = `'${path.join(csvDir, '*.csv')}'`;
    const end = new Date(start + days * DAY).toISOString();
    const queries = [
      {
        name: '1day × user',
        params: { granularity: '1day', dims: 'user' },
        csv: `SELECT date_trunc('day', "timestamp") AS bucket, "user", count(*), ${metricSums()} FROM read_csv(${csvGlob}, header = true, timestampformat = '%Y-%m-%d %H:%M:%S') GROUP BY 1, 2 ORDER BY 1, 2`,
      },
      {
        name: '30m × user, app',
        params: { granularity: '30m', dims: 'user_app' },
        csv: `SELECT time_bucket(INTERVAL 30 MINUTE, "timestamp") AS bucket, "user", app, count(*), ${metricSums()} FROM read_csv(${csvGlob}, header = true, timestampformat = '%Y-%m-%d %H:%M:%S') GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`,
      },
    ];
    const results = [];
    for (const q of queries) {
      const sql = bindParams(resolveQuery('app_logs_metrics'), { start: new Date(start).toISOString(), end, ...q.params });
      let resultRows = 0;
      const lakeMs = await timed(async () => {
        resultRows = (await raw.runAndReadAll(toDuckDb(sql))).currentRowCount;
      });
      let csvRows = 0;
      const csvMs = await timed(async () => {
        csvRows = (await raw.runAndReadAll(q.csv)).currentRowCount;
      });
      if (csvRows !== resultRows) throw new Error(`${q.name}: lake gives ${resultRows} groups, raw CSV ${csvRows}`);
      const engine = await lake.run(sql);
      if (engine.rows.length !== resultRows) throw new Error(`${q.name}: engine gives ${engine.rows.length} rows`);
      results.push({ name: q.name, lakeMs, csvMs, engineMs: engine.elapsedMs, resultRows });
    }
    lake.close();
    raw.closeSync();
    db.closeSync();
    return {
      days,
      perDay,
      rows: imported.rows,
      csvBytes,
      import: {
        ms: imported.elapsedMs,
        rowsPerSecond: (imported.rows / imported.elapsedMs) * 1000,
        files: imported.filesWritten,
        parquetBytes: imported.bytesWritten,
      },
      queries: results,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function metricSums(): string {
  return Array.from({ length: 9 }, (_, i) => `sum(metric_${i + 1})`).join(', ');
}
