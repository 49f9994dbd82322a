/**
 * Training-set generation on DuckDB: seed 002's clickstream (the example
 * workload) written as the lake writer writes it, then `purchase_within_1h`
 * over every page view joined with every feature of user_clickstream (4
 * windows up to a lifetime, 15 aggregations, 2 ratios) as of each view — the
 * SQL `featurelake training-set` runs, written to Parquet by DuckDB's COPY.
 *
 * Baseline, same run, same engine, same files: the raw join those rows need
 * (each label row with the events of its user the view reads: all before it,
 * as the view has a lifetime window) and one count per row — the data
 * movement no feature engine avoids; the ratio is what computing every
 * feature costs on top of it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ENVIRONMENTS } from '../lib/config/environments.js';
import { clickstream, purchaseWithin1h, userClickstream } from '../src/features/catalog.js';
import { lakeRow } from '../src/lake/lake-writer.js';
import { partitionPath } from '../src/lake/layout.js';
import { encodeParquet } from '../src/lake/parquet/index.js';
import { lakeTables } from '../src/lake/tables.js';
import { lookbackMs } from '../src/query/feature-sql.js';
import { directoryStorage } from '../src/query/lake-storage.js';
import { openLocalLake } from '../src/query/local-engine.js';
import { trainingSetSql } from '../src/query/training-set.js';
import { workloads } from '../src/workloads/index.js';

export interface TrainingBenchResult {
  readonly events: number;
  readonly users: number;
  readonly labelRows: number;
  readonly columns: number;
  readonly trainingMs: number;
  readonly rowsPerSecond: number;
  readonly joinedRows: number;
  readonly rawJoinMs: number;
  readonly ratioToRawJoin: number;
}

const HOUR = 3_600_000;

export async function benchTrainingSet(events: number, users: number, log: (line: string) => void): Promise<TrainingBenchResult> {
  const root = mkdtempSync(path.join(tmpdir(), 'featurelake-bench-training-'));
  try {
    const storage = directoryStorage(root);
    const tables = lakeTables([clickstream], { timePartitioning: 'hour' });
    const table = tables.find((t) => t.name === 'clickstream');
    if (!table?.scheme) throw new Error('no clickstream table');
    const workload = workloads.clickstream;
    if (!workload) throw new Error('no clickstream workload');
    // Events of the example workload, as the lake writer would have written them (arrival a moment later).
    const startMs = Date.UTC(2026, 0, 1);
    const files = new Map<string, Record<string, unknown>[]>();
    let i = 0;
    let lastMs = startMs;
    for (const event of workload.generate({ events, seed: 7, startMs, ratePerSecond: 2, entities: users })) {
      const data = event as unknown as Record<string, unknown>;
      const t = Date.parse(data.event_time as string);
      lastMs = t;
      const row = lakeRow(clickstream, data, t, { arrivalTimeMs: t + 400, recordId: `shardId-000000000000:${49_000_000 + i++}` });
      const key = partitionPath('clickstream', table.scheme, t, row);
      let rows = files.get(key);
      if (!rows) {
        rows = [];
        files.set(key, rows);
      }
      rows.push(row);
    }
    log(`  writing ${events.toLocaleString('en-US')} events as ${files.size} hourly Parquet files…\n`);
    for (const [key, rows] of files)
      await storage.put(`${key}part-0.parquet`, await encodeParquet(table.columns, rows, 'snappy'));
    files.clear();

    const lake = await openLocalLake({ storage, tables });
    try {
      const { maxLatenessSeconds, maxClockSkewSeconds } = ENVIRONMENTS.dev.aggregator;
      const options = { policy: { maxLatenessSeconds, maxClockSkewSeconds }, layout: { timePartitioning: 'hour' as const } };
      // Every page view but those of the first and the last hour.
      const labels = { kind: 'stream' as const, label: purchaseWithin1h, fromMs: startMs + HOUR, toMs: lastMs - HOUR };
      const sql = trainingSetSql([userClickstream], labels, options);
      const out = path.join(root, 'train.parquet');
      log('  building the training set…\n');
      const t0 = performance.now();
      const copied = await lake.run(`COPY (${sql}) TO '${out}' (FORMAT parquet, COMPRESSION zstd)`);
      const trainingMs = performance.now() - t0;
      const labelRows = Number(Object.values(copied.rows[0] ?? {})[0] ?? 0);
      const columns = (await lake.run(`SELECT * FROM read_parquet('${out}') LIMIT 0`)).columns.length;

      // The raw join: each label row with the events of its user the view reads, one count per row.
      const lookback = lookbackMs(userClickstream);
      const since = lookback === undefined ? '' : ` AND e.t >= s.t - ${lookback}`;
      const join = `FROM (SELECT user_id, epoch_ms(event_timestamp) AS t FROM read_parquet('${out}')) s
        JOIN (SELECT user_id, epoch_ms(event_time) AS t FROM clickstream) e ON e.user_id = s.user_id AND e.t <= s.t${since}`;
      log('  the raw join, for the baseline…\n');
      const t1 = performance.now();
      await lake.run(`SELECT count(*) AS n FROM (SELECT s.user_id, s.t, count(*) AS n ${join} GROUP BY s.user_id, s.t)`);
      const rawJoinMs = performance.now() - t1;
      const joinedRows = Number((await lake.run(`SELECT count(*) AS joined ${join}`)).rows[0]?.joined ?? 0);
      return {
        events,
        users,
        labelRows,
        columns,
        trainingMs,
        rowsPerSecond: labelRows / (trainingMs / 1000),
        joinedRows,
        rawJoinMs,
        ratioToRawJoin: trainingMs / rawJoinMs,
      };
    } finally {
      lake.close();
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
