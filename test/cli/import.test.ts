/** `featurelake generate --workload app-logs --days` and `featurelake import`, read back with DuckDB. */
import { appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { duckdbQuery, sqlString } from '../support/duckdb.js';
import { runCli } from './support.js';

let work: string;
let logs: string;

beforeAll(async () => {
  work = mkdtempSync(path.join(tmpdir(), 'featurelake-import-'));
  logs = path.join(work, 'csv_logs');
  const generated = await runCli([
    'generate',
    '--workload',
    'app-logs',
    '--days',
    '2',
    '--per-day',
    '700',
    '--start',
    '2025-01-01',
    '--out',
    logs,
  ]);
  expect(generated.code).toBe(0);
});

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

/** The CSV rows, parsed here without the importer's code. */
function csvRows(file: string) {
  return readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .slice(1)
    .map((line) => line.split(','))
    .filter((cells) => cells.length === 12 && cells.slice(3).every((c) => /^\d+$/.test(c)))
    .map((c) => ({ time: Date.parse(`${(c[0] as string).replace(' ', 'T')}Z`), user: c[1], app: c[2], m1: Number(c[3]) }));
}

const lakeGlob = (lake: string) => sqlString(path.join(lake, 'events/app_logs/**/*.parquet'));

describe('generate --workload app-logs --days', () => {
  it("writes one CSV per day in seed 004's format, inside its day", () => {
    expect(readdirSync(logs).sort()).toEqual(['2025-01-01.log.csv', '2025-01-02.log.csv']);
    const text = readFileSync(path.join(logs, '2025-01-02.log.csv'), 'utf8').trim().split('\n');
    expect(text[0]).toBe('timestamp,user,app,metric_1,metric_2,metric_3,metric_4,metric_5,metric_6,metric_7,metric_8,metric_9');
    expect(text).toHaveLength(701);
    for (const line of text.slice(1)) expect(line).toMatch(/^2025-01-02 \d\d:\d\d:\d\d,user\d+,[a-z]+(,\d{1,3}){9}$/);
  });
});

describe('featurelake import', () => {
  it('imports valid rows with their types, reports each bad row with file:line and reason, and exits 1', async () => {
    const dir = path.join(work, 'bad');
    rmSync(dir, { recursive: true, force: true });
    const bad = path.join(work, 'bad.csv');
    writeFileSync(bad, readFileSync(path.join(logs, '2025-01-01.log.csv')));
    appendFileSync(bad, '2025-01-01 10:00:00,user1,maps,1,2,3\n2025-01-01 11:00:00,user1,maps,1,2,3,4,5,6,7,8,lots\n');
    const lake = path.join(work, 'lake-bad');
    const rejects = path.join(work, 'rejects.jsonl');
    const result = await runCli(['import', bad, '--source', 'app_logs', '--lake-dir', lake, '--rejects', rejects]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`${bad}:702: expected 12 fields`);
    expect(result.stderr).toContain(`${bad}:703: metric_9: Invalid input: expected number`);
    expect(result.stdout).toMatch(/^imported 700 rows from 1 files .* rows\/s; rejected 2 rows \(above\)\n$/);
    expect(
      readFileSync(rejects, 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l).line),
    ).toEqual([702, 703]);

    const expected = csvRows(bad);
    const [stats] = await duckdbQuery(
      `SELECT count(*)::INT AS n, sum(metric_1)::INT AS m1, min("timestamp") AS first, typeof(min("timestamp")) AS type
       FROM read_parquet(${lakeGlob(lake)}, hive_partitioning = false)`,
    );
    expect(stats).toMatchObject({
      n: 700,
      m1: expected.reduce((s, r) => s + r.m1, 0),
      type: 'TIMESTAMP WITH TIME ZONE',
    });
    expect((stats as { first: Date }).first.getTime()).toBe(Math.min(...expected.map((r) => r.time)));
  });

  it('partitions like the stream writer, and re-importing the same files changes nothing', async () => {
    const lake = path.join(work, 'lake');
    const files = readdirSync(logs).map((f) => path.join(logs, f));
    const first = await runCli(['import', ...files, '--source', 'app_logs', '--lake-dir', lake]);
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/imported 1,400 rows from 2 files .* into 48 Parquet files .*; rejected 0 rows/);
    const perHour = async () =>
      duckdbQuery(
        `SELECT dt::VARCHAR AS dt, hr::INT AS hr, count(*)::INT AS n, count(DISTINCT filename)::INT AS files
         FROM read_parquet(${lakeGlob(lake)}, hive_partitioning = true, filename = true) GROUP BY ALL ORDER BY ALL`,
      );
    const before = await perHour();
    const again = await runCli(['import', ...files, '--source', 'app_logs', '--lake-dir', lake]);
    expect(again.code).toBe(0);
    expect(await perHour()).toEqual(before);
    const rows = files.flatMap(csvRows);
    const expected = new Map<string, number>();
    for (const r of rows) {
      const iso = new Date(r.time).toISOString();
      const key = `${iso.slice(0, 10)}/${Number(iso.slice(11, 13))}`;
      expected.set(key, (expected.get(key) ?? 0) + 1);
    }
    expect(Object.fromEntries(before.map((r) => [`${r.dt}/${Number(r.hr)}`, r.n]))).toEqual(Object.fromEntries(expected));
    expect(before.every((r) => r.files === 1)).toBe(true);
  });

  it('takes headerless CSV (the seed files) and JSONL', async () => {
    const headerless = path.join(work, 'seed.csv');
    writeFileSync(headerless, '2025-01-01 00:15:23,user42,facebook,234,567,123,890,456,789,321,654,987\n');
    const jsonl = path.join(work, 'rows.jsonl');
    writeFileSync(
      jsonl,
      `${JSON.stringify({ source: 'app_logs', timestamp: '2025-01-01T00:22:45Z', user: 'user17', app: 'twitter', ...Object.fromEntries(Array.from({ length: 9 }, (_, i) => [`metric_${i + 1}`, i])) })}\n`,
    );
    const lake = path.join(work, 'lake-mixed');
    const result = await runCli(['import', headerless, jsonl, '--source', 'app_logs', '--lake-dir', lake]);
    expect(result.code).toBe(0);
    const rows = await duckdbQuery(
      `SELECT "user", app, metric_1, metric_9 FROM read_parquet(${lakeGlob(lake)}) ORDER BY "timestamp"`,
    );
    expect(rows.map((r) => [r.user, r.app, Number(r.metric_1), Number(r.metric_9)])).toEqual([
      ['user42', 'facebook', 234, 987],
      ['user17', 'twitter', 0, 8],
    ]);
  });

  it.each([
    [['import', 'x.csv', '--source', 'nope'], /--source.*nope/],
    [['import', '/nonexistent.csv', '--source', 'app_logs', '--lake-dir', '.'], /\/nonexistent.csv: no such file/],
    [['import', 'README.md', '--source', 'app_logs', '--lake-dir', '.'], /README.md: cannot tell the format/],
    [
      ['generate', '--workload', 'clickstream', '--days', '2', '--out', '/tmp/x'],
      /--days writes CSV log files: it needs --workload app-logs/,
    ],
  ])('exits 2 with a clear message: %j', async (args, message) => {
    const result = await runCli(args);
    expect(result.stderr).toMatch(message);
    expect(result.code).toBe(2);
  });
});
