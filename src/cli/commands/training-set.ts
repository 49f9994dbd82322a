/**
 * `featurelake training-set`: a point-in-time training set from the lake —
 * label rows (a catalog label computed from the stream, or a table of
 * labels) joined with every feature of one or more views as of each row's
 * time (src/query/training-set.ts) — written as Parquet or CSV. Locally on
 * DuckDB (the local stack's lake or --lake-dir); on Athena with --athena.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import type { Command } from 'commander';
import { ENVIRONMENTS } from '../../../lib/config/environments.js';
import type { Catalog, FeatureView } from '../../features/define.js';
import { epochMs, type FeatureSqlOptions, ident } from '../../query/feature-sql.js';
import { type LabelRows, TIME_COLUMNS, trainingColumns, trainingSetSql } from '../../query/training-set.js';
import { runtimeError, usageError } from '../errors.js';
import { environmentName, type LakeTarget, type LakeTargetFlags, layoutOf } from '../lake-target.js';
import { commaList, isoInstant } from '../options.js';
import { ticker } from '../progress.js';
import { lakeTargetOptions, withTarget } from './query.js';

interface TrainingSetOptions extends LakeTargetFlags {
  view: string[];
  labels?: string;
  labelsTable?: string;
  timeColumn: string;
  from?: number;
  to?: number;
  out?: string;
  printSql?: boolean;
}

const FORMATS = { '.parquet': 'parquet', '.csv': 'csv' } as const;

const literal = (s: string) => `'${s.replaceAll("'", "''")}'`;

function pickViews(catalog: Catalog, names: readonly string[]): FeatureView[] {
  return names.map((name) => {
    const view = catalog.featureViews.find((v) => v.name === name);
    if (!view)
      throw usageError(`--view: unknown feature view "${name}" (known: ${catalog.featureViews.map((v) => v.name).join(', ')})`);
    return view;
  });
}

function sqlOptions(envName: LakeTarget['envName']): FeatureSqlOptions {
  const { maxLatenessSeconds, maxClockSkewSeconds } = ENVIRONMENTS[envName].aggregator;
  return { policy: { maxLatenessSeconds, maxClockSkewSeconds }, layout: layoutOf(envName) };
}

/** A stream label's rows: the catalog's label over [from, to). */
function streamRows(catalog: Catalog, options: TrainingSetOptions): LabelRows | undefined {
  const label = catalog.labels?.find((l) => l.name === options.labels);
  if (!label) return undefined;
  if (options.from === undefined || options.to === undefined) {
    throw usageError(`--labels ${label.name} observes the stream: say when, with --from and --to`);
  }
  if (options.to <= options.from) throw usageError('--to must be after --from');
  return { kind: 'stream', label, fromMs: options.from, toMs: options.to };
}

/** A table of labels: its columns and the span of its times, read through the engine. */
/** Runs `work`; an engine error becomes a usage error saying which input it is about (the user's file or table). */
async function blaming<T>(input: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if ((error as { exitCode?: number }).exitCode !== undefined) throw error;
    throw usageError(`${input}: ${(error as Error).message.split('\n')[0]}`);
  }
}

async function tableRows(target: LakeTarget, relation: string, input: string, options: TrainingSetOptions): Promise<LabelRows> {
  const columns = (await blaming(input, () => target.run(`SELECT * FROM ${relation} LIMIT 0`))).columns;
  if (!columns.includes(options.timeColumn)) {
    throw usageError(
      `the labels have no column ${options.timeColumn} (columns: ${columns.join(', ')}); name it with --time-column`,
    );
  }
  const time = epochMs(`CAST(${ident(options.timeColumn)} AS TIMESTAMP)`);
  const span = await blaming(`${input}, column ${options.timeColumn} (timestamps)`, () =>
    target.run(`SELECT min(${time}) AS lo, max(${time}) AS hi, count(*) AS n FROM ${relation}`),
  );
  const row = span.rows[0] ?? {};
  if (Number(row.n ?? 0) === 0) throw usageError('the labels have no rows');
  return {
    kind: 'table',
    relation,
    columns,
    timeColumn: options.timeColumn,
    fromMs: Number(row.lo),
    toMs: Number(row.hi),
  };
}

async function trainingSet(catalog: Catalog, options: TrainingSetOptions): Promise<void> {
  const views = pickViews(catalog, options.view);
  if (options.labels !== undefined && options.labelsTable !== undefined)
    throw usageError('--labels and --labels-table are exclusive');
  if (options.labels === undefined && options.labelsTable === undefined) {
    const known = (catalog.labels ?? []).map((l) => l.name).join(', ') || 'none';
    throw usageError(
      `say which labels: --labels <label of the catalog (${known}) | file.csv | file.parquet>, or --labels-table <table>`,
    );
  }
  const format = options.out ? FORMATS[path.extname(options.out).toLowerCase() as keyof typeof FORMATS] : undefined;
  if (!options.printSql) {
    if (!options.out) throw usageError('--out <file.parquet|file.csv> is required (or --print-sql)');
    if (!format) throw usageError(`--out: ${options.out} must end in .parquet or .csv`);
  }
  const stream = options.labels === undefined ? undefined : streamRows(catalog, options);
  if (!stream && options.labels !== undefined && !existsSync(options.labels)) {
    const known = (catalog.labels ?? []).map((l) => l.name).join(', ') || 'none';
    throw usageError(`--labels: "${options.labels}" is neither a label of the catalog (${known}) nor a file`);
  }
  // A stream label's SQL needs no engine: print it for the environment asked for.
  if (stream && options.printSql) {
    process.stdout.write(`${trainingSetSql(views, stream, sqlOptions(environmentName(options.env)))};\n`);
    return;
  }

  await withTarget(catalog, options, async (target) => {
    let rows = stream;
    if (!rows) {
      let relation: string;
      let input: string;
      if (options.labels !== undefined) {
        if (target.engine === 'athena') {
          throw usageError('--labels <file> reads a local file: on Athena, load it as a table and pass --labels-table');
        }
        const file = path.resolve(options.labels);
        const reader = file.toLowerCase().endsWith('.parquet') ? 'read_parquet' : 'read_csv';
        relation = ident('__labels');
        input = `--labels ${options.labels}`;
        await blaming(input, () => target.run(`CREATE OR REPLACE VIEW ${relation} AS SELECT * FROM ${reader}(${literal(file)})`));
      } else {
        relation = ident(options.labelsTable as string);
        input = `--labels-table ${options.labelsTable}`;
      }
      rows = await tableRows(target, relation, input, options);
    }
    let sql: string;
    try {
      sql = trainingSetSql(views, rows, sqlOptions(target.envName));
    } catch (error) {
      throw usageError((error as Error).message);
    }
    if (options.printSql) {
      process.stdout.write(`${sql};\n`);
      return;
    }
    const out = path.resolve(options.out as string);
    const started = performance.now();
    const stop = ticker(`building the training set on ${target.description}`);
    let written: number;
    try {
      written = await write(target, sql, out, format as 'parquet' | 'csv');
    } finally {
      stop();
    }
    const seconds = (performance.now() - started) / 1000;
    const columns = rows.kind === 'stream' ? 3 + TIME_COLUMNS.length : rows.columns.length;
    const balance = rows.kind === 'stream' ? await labelBalance(target, out, format as 'parquet' | 'csv', rows) : '';
    process.stdout.write(
      `wrote ${written.toLocaleString('en-US')} rows × ${columns + trainingColumns(views).length} columns to ${options.out} in ${seconds.toFixed(1)} s (${Math.round(written / Math.max(seconds, 0.001)).toLocaleString('en-US')} rows/s)${balance}\n`,
    );
  });
}

/** Writes the query's rows to `out`: DuckDB's COPY locally; on Athena, the result rows through DuckDB. */
async function write(target: LakeTarget, sql: string, out: string, format: 'parquet' | 'csv'): Promise<number> {
  const options = format === 'parquet' ? '(FORMAT parquet, COMPRESSION zstd)' : '(FORMAT csv, HEADER)';
  if (target.engine === 'local') {
    const result = await target.run(`COPY (${sql}) TO ${literal(out)} ${options}`);
    return Number(Object.values(result.rows[0] ?? {})[0] ?? 0);
  }
  const result = await target.run(sql);
  process.stderr.write(`featurelake: ${target.summary(result)}\n`);
  // The rows as JSON lines, typed by DuckDB on the way to the file.
  const dir = mkdtempSync(path.join(tmpdir(), 'featurelake-training-'));
  try {
    const lines = path.join(dir, 'rows.jsonl');
    writeFileSync(lines, result.rows.map((r) => JSON.stringify(r)).join('\n'));
    const db = await DuckDBInstance.create(':memory:');
    const connection = await db.connect();
    try {
      await connection.run(`COPY (SELECT * FROM read_json_auto(${literal(lines)})) TO ${literal(out)} ${options}`);
    } finally {
      connection.closeSync();
      db.closeSync();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return result.rows.length;
}

/** ", 12.5 % positive (1,234 of 9,876)" for a 0/1 label; the mean for a count. */
async function labelBalance(target: LakeTarget, out: string, format: 'parquet' | 'csv', rows: LabelRows): Promise<string> {
  if (rows.kind !== 'stream' || target.engine !== 'local') return '';
  const reader = format === 'parquet' ? 'read_parquet' : 'read_csv';
  const name = ident(rows.label.name);
  const result = await target.run(`SELECT count(*) AS n, sum(${name}) AS s FROM ${reader}(${literal(out)})`);
  const n = Number(result.rows[0]?.n ?? 0);
  const s = Number(result.rows[0]?.s ?? 0);
  if (n === 0) return '';
  return rows.label.atLeast === undefined
    ? `; mean ${rows.label.name} ${(s / n).toFixed(3)}`
    : `; ${rows.label.name}: ${((100 * s) / n).toFixed(1)} % positive (${s.toLocaleString('en-US')} of ${n.toLocaleString('en-US')})`;
}

export function registerTrainingSet(program: Command, catalog: Catalog): void {
  lakeTargetOptions(
    program
      .command('training-set')
      .summary('a point-in-time training set: labels joined with features as of each label row')
      .description(
        'Join label rows with every feature of the views as of each row: only events at or before its time (docs/training-sets.md). Labels: a label of the catalog (a future window over the stream), a CSV or Parquet file, or a table.',
      )
      .requiredOption('--view <views>', 'feature views, comma-separated', commaList)
      .option('--labels <label|file>', 'a label of the catalog, or a .csv/.parquet file of label rows')
      .option('--labels-table <table>', 'a table of label rows the engine knows (a Glue table on Athena)')
      .option('--time-column <name>', "the label rows' time column (tables and files)", 'event_timestamp')
      .option('--from <time>', 'observations from (catalog labels; ISO-8601 with zone)', isoInstant)
      .option('--to <time>', 'observations until, exclusive', isoInstant)
      .option('--out <file>', 'where to write: .parquet or .csv')
      .option('--print-sql', 'print the SQL instead of running it'),
  ).action((options: TrainingSetOptions) =>
    trainingSet(catalog, options).catch((error: unknown) => {
      if ((error as { exitCode?: number }).exitCode !== undefined) throw error;
      throw runtimeError(`training-set failed: ${(error as Error).message}`);
    }),
  );
}
