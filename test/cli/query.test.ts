/** `featurelake query` and `featurelake rollup` as a user runs them, on a fixture lake folder. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { END, type LakeFixture, START, within, writeLakeFixture } from '../support/lake-fixture.js';
import { cleanEnv, runCli } from './support.js';

let fixture: LakeFixture;
let work: string;

beforeAll(async () => {
  fixture = await writeLakeFixture({ seed: 11 });
  work = mkdtempSync(path.join(tmpdir(), 'featurelake-query-cli-'));
});

afterAll(() => {
  if (fixture) rmSync(fixture.root, { recursive: true, force: true });
  if (work) rmSync(work, { recursive: true, force: true });
});

const window = ['-p', `start=${START}`, '-p', `end=${END}`];

function parseCsv(text: string): Record<string, string>[] {
  const [header, ...lines] = text.trim().split('\n');
  const names = (header as string).split(',');
  return lines.map((line) => Object.fromEntries(line.split(',').map((v, i) => [names[i], v])));
}

describe('featurelake query', () => {
  it('--list shows every query with its parameters', async () => {
    const result = await runCli(['query', '--list']);
    expect(result.code).toBe(0);
    for (const name of ['app_logs_metrics', 'clickstream_top_items', 'predictions_latency', 'rollup_clickstream_hourly'])
      expect(result.stdout).toContain(name);
    expect(result.stdout).toMatch(/--param granularity=<30m\|1h\|1day> \(default 1h\)/);
  });

  it('runs a library query on a lake folder; CSV matches the events; a summary line on stderr', async () => {
    const result = await runCli([
      'query',
      'clickstream_active_users',
      ...window,
      '-p',
      'granularity=1h',
      '--format',
      'csv',
      '--lake-dir',
      fixture.root,
    ]);
    expect(result.stderr).toMatch(
      /5 rows in \d+ ms; [\d,]+ rows read from \d+ lake files \([\d,]+ rows\/s\) \(local DuckDB over /,
    );
    expect(result.code).toBe(0);
    const rows = parseCsv(result.stdout);
    expect(rows.map((r) => r.bucket)).toEqual([
      '2024-03-04T22:00:00.000Z',
      '2024-03-04T23:00:00.000Z',
      '2024-03-05T00:00:00.000Z',
      '2024-03-05T01:00:00.000Z',
      '2024-03-05T02:00:00.000Z',
    ]);
    const events = rows.reduce((s, r) => s + Number(r.events), 0);
    expect(events).toBe(within(fixture.clicks, START, END).length);
  });

  it('prints JSON and aligned tables', async () => {
    const json = await runCli(['query', 'predictions_volume', ...window, '--format', 'json', '--lake-dir', fixture.root]);
    expect(json.code).toBe(0);
    const rows = JSON.parse(json.stdout) as { predictions: number; environment: string }[];
    expect(rows.reduce((s, r) => s + r.predictions, 0)).toBe(within(fixture.predictions, START, END).length);
    const table = await runCli(['query', 'predictions_volume', ...window, '--lake-dir', fixture.root]);
    const [header, rule] = table.stdout.split('\n');
    expect(header).toMatch(/^day\s+environment\s+predictions\s+estimated_cost_usd$/);
    expect(rule).toMatch(/^-+( {2}-+){3}$/);
  });

  it('runs a .sql file; --sql prints the bound SQL', async () => {
    const file = path.join(work, 'mine.sql');
    writeFileSync(
      file,
      "-- Purchases of one user.\n-- @param user string  Who\nSELECT count(*) AS n FROM clickstream WHERE user_id = {{user}} AND event_type = 'purchase'\n",
    );
    const result = await runCli(['query', file, '-p', 'user=user_3', '--format', 'json', '--lake-dir', fixture.root]);
    expect(result.code).toBe(0);
    const expected = fixture.clicks.filter((r) => r.user_id === 'user_3' && r.event_type === 'purchase').length;
    expect(JSON.parse(result.stdout)).toEqual([{ n: expected }]);
    const printed = await runCli(['query', file, '-p', "user=o'neil", '--sql']);
    expect(printed.stdout).toContain("user_id = 'o''neil'");
  });

  it.each([
    [['query', 'nope'], /unknown query "nope"; the library has: app_logs_metrics/],
    // start defaults to yesterday: an end in the past without a start is an empty range, said so.
    [['query', 'clickstream_active_users', '-p', 'end=2024-03-05'], /the range is empty: end 2024-03-05T00:00:00.000Z/],
    [['query', 'clickstream_top_items', ...window, '-p', 'item=brand'], /item: "brand" is not one of product, category/],
    [['query', 'clickstream_top_items', ...window, '-p', 'colour=red'], /has no parameter colour/],
    [
      ['query', 'clickstream_active_users', ...window, '--state-dir', '/nonexistent'],
      /no lake to query: no local stack is running/,
    ],
    [['query', 'clickstream_active_users', ...window, '--athena', '--lake-dir', '.'], /--athena and --lake-dir are exclusive/],
    [['rollup', '--lake-dir', '.'], /say which hours/],
  ])('exits 2 with a clear message: %j', async (args, message) => {
    const result = await runCli(args, { env: cleanEnv() });
    expect(result.stderr).toMatch(message);
    expect(result.code).toBe(2);
  });

  it('filters app_logs by lists of users and apps (seed 004’s --user=user1,user2), grouped by user,app', async () => {
    const result = await runCli([
      'query',
      'app_logs_metrics',
      '-p',
      `from=${START}`,
      '-p',
      'to=2024-03-05T02:59:59Z',
      '-p',
      'granularity=1day',
      '-p',
      'dims=user,app',
      '-p',
      'user=u2,u4',
      '-p',
      'app=maps',
      '--format',
      'json',
      '--lake-dir',
      fixture.root,
    ]);
    expect(result.stderr).not.toMatch(/error/i);
    expect(result.code).toBe(0);
    const rows = JSON.parse(result.stdout) as { bucket: string; user: string; app: string; events: number; metric_1: number }[];
    const wanted = within(fixture.logs, START, END).filter((r) => (r.user === 'u2' || r.user === 'u4') && r.app === 'maps');
    const expected = new Map<string, { events: number; metric_1: number }>();
    for (const r of wanted) {
      const key = `${new Date(r.time).toISOString().slice(0, 10)}T00:00:00.000Z|${r.user}|maps`;
      const e = expected.get(key) ?? { events: 0, metric_1: 0 };
      expected.set(key, { events: e.events + 1, metric_1: e.metric_1 + (r.metrics[0] as number) });
    }
    expect(expected.size).toBeGreaterThan(1);
    expect(new Map(rows.map((r) => [`${r.bucket}|${r.user}|${r.app}`, { events: r.events, metric_1: r.metric_1 }]))).toEqual(
      expected,
    );
  });

  it.each([
    [['-p', 'start=2025-02-30', '-p', 'end=2025-03-05'], /parameter start: "2025-02-30" is not a real date/],
    [['-p', 'start=2024-03-05', '-p', 'end=2025-02-30T00:00:00Z'], /parameter end: "2025-02-30T00:00:00Z" is not a real date/],
    [['-p', 'start=2024-03-05', '-p', 'end=2024-03-04'], /the range is empty: end 2024-03-04T00:00:00.000Z is not after start/],
    [['-p', 'limit=-1'], /parameter limit: -1 is too small \(at least 1\)/],
  ])('refuses silent wrong answers with exit 2: %j', async (params, message) => {
    const result = await runCli(['query', 'predictions_low_confidence', ...params, '--lake-dir', fixture.root]);
    expect(result.stderr).toMatch(message);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
  });

  it('refuses a --lake-dir that does not exist (exit 2), instead of an empty lake', async () => {
    const missing = path.join(work, 'no-such-lake');
    const query = await runCli(['query', 'clickstream_active_users', ...window, '--lake-dir', missing]);
    expect(query.stderr).toContain(`--lake-dir: ${missing} is not a directory`);
    expect(query.code).toBe(2);
    const rollup = await runCli(['rollup', '--hour', START, '--lake-dir', missing]);
    expect(rollup.code).toBe(2);
    const badHour = await runCli(['rollup', '--hour', '2025-02-30T00:00:00Z', '--lake-dir', fixture.root]);
    expect(badHour.stderr).toMatch(/--hour.*2025-02-30/);
    expect(badHour.code).toBe(2);
  });

  it('exits 1 when the engine refuses the SQL', async () => {
    const file = path.join(work, 'broken.sql');
    writeFileSync(file, '-- Broken.\nSELECT no_such_column FROM clickstream\n');
    const result = await runCli(['query', file, '--lake-dir', fixture.root]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/query failed on local DuckDB over .*no_such_column/s);
  });
});

describe('featurelake rollup', () => {
  it('backfills hours, and running it again replaces them', async () => {
    const args = ['rollup', '--from', START, '--to', END, '--lake-dir', fixture.root];
    const first = await runCli(args);
    expect(first.code).toBe(0);
    expect(first.stderr).toMatch(/\[5\/5\] 2024-03-05T02:00:00.000Z: \d+ rows, replaced 0 files/);
    const again = await runCli(args);
    expect(again.stderr).toMatch(/\[5\/5\] 2024-03-05T02:00:00.000Z: \d+ rows, replaced [1-9]\d* files/);
    const file = path.join(work, 'total.sql');
    writeFileSync(file, '-- Total.\nSELECT sum(events) AS events FROM clickstream_hourly\n');
    const total = await runCli(['query', file, '--format', 'json', '--lake-dir', fixture.root]);
    expect(JSON.parse(total.stdout)).toEqual([{ events: within(fixture.clicks, START, END).length }]);
  });
});
