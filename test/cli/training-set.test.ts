/**
 * `featurelake training-set` through the real bin on a lake folder filled by
 * `generate` and `import`: the files it writes are read back with DuckDB (an
 * independent reader) and checked against counts computed here from the
 * generated events; wrong invocations exit 2 naming what is wrong.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tablesFor } from '../../src/cli/lake-target.js';
import { exampleCatalog } from '../../src/features/catalog.js';
import { startAthenaEmulator } from '../../src/local/athena-emulator.js';
import { directoryStorage } from '../../src/query/lake-storage.js';
import { openLocalLake } from '../../src/query/local-engine.js';
import { duckdbQuery, sqlString } from '../support/duckdb.js';
import { cleanEnv, runCli } from './support.js';

const HOUR = 3_600_000;
const FROM = '2025-03-02T00:00:00Z';
const TO = '2025-03-03T00:00:00Z';
let work: string;
let lake: string;
let events: { user_id: string; event_type: string; event_time: string }[];

beforeAll(async () => {
  work = mkdtempSync(path.join(tmpdir(), 'featurelake-training-'));
  lake = path.join(work, 'lake');
  const file = path.join(work, 'events.jsonl');
  // Two days of clickstream, a little over one event a second.
  const generated = await runCli([
    'generate',
    '--workload',
    'clickstream',
    '--events',
    '20000',
    '--users',
    '60',
    '--rate',
    '0.12',
    '--start',
    '2025-03-01T12:00:00Z',
    '--out',
    file,
  ]);
  expect(generated.code, generated.stderr).toBe(0);
  const imported = await runCli(['import', file, '--source', 'clickstream', '--lake-dir', lake]);
  expect(imported.code, imported.stderr).toBe(0);
  events = readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line));
}, 120_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

/** `featurelake training-set --view user_clickstream …` */
const trainingSet = (...args: string[]) => runCli(['training-set', '--view', 'user_clickstream', ...args]);
/** The catalog label over [from, to). */
const purchases = (from = FROM, to = TO) => ['--labels', 'purchase_within_1h', '--from', from, '--to', to];

describe('featurelake training-set', () => {
  it('writes a Parquet file: a row per page view of the day, labelled by the next hour, with every feature', async () => {
    const out = path.join(work, 'train.parquet');
    const result = await trainingSet(...purchases(), '--lake-dir', lake, '--out', out);
    expect(result.code, result.stderr).toBe(0);

    // Independently: page views in [FROM, TO) whose next hour is inside the data, one per (user, instant).
    const newest = Math.max(...events.map((e) => Date.parse(e.event_time)));
    const views = new Map<string, boolean>();
    for (const e of events) {
      const t = Date.parse(e.event_time);
      if (e.event_type !== 'page_view' || t < Date.parse(FROM) || t >= Date.parse(TO) || t + HOUR > newest) continue;
      const bought = events.some(
        (p) =>
          p.user_id === e.user_id &&
          p.event_type === 'purchase' &&
          Date.parse(p.event_time) > t &&
          Date.parse(p.event_time) <= t + HOUR,
      );
      views.set(`${e.user_id}@${t}`, bought);
    }
    const positives = [...views.values()].filter(Boolean).length;
    expect(result.stdout).toMatch(new RegExp(`wrote ${views.size.toLocaleString('en-US')} rows`));
    expect(result.stdout).toMatch(
      new RegExp(`purchase_within_1h: [0-9.]+ % positive \\(${positives.toLocaleString('en-US')} of`),
    );

    const rows = await duckdbQuery(
      `SELECT user_id, epoch_ms(event_timestamp) AS t, purchase_within_1h AS label, events_1h, events_lifetime FROM read_parquet(${sqlString(out)})`,
    );
    expect(rows).toHaveLength(views.size);
    for (const row of rows.slice(0, 300)) {
      const t = Number(row.t);
      expect(row.label, `${row.user_id} at ${t}`).toBe(views.get(`${row.user_id}@${t}`) ? 1 : 0);
      // Every event of the user at or before t, and in the hour's window (sawtooth: from the 10-minute tile of t − 1 h).
      const mine = events.filter((e) => e.user_id === row.user_id).map((e) => Date.parse(e.event_time));
      expect(Number(row.events_lifetime)).toBe(mine.filter((x) => x <= t).length);
      const start = Math.floor((t - HOUR) / 600_000) * 600_000;
      expect(Number(row.events_1h)).toBe(mine.filter((x) => x >= start && x <= t).length);
    }
    const columns = await duckdbQuery(`DESCRIBE SELECT * FROM read_parquet(${sqlString(out)})`);
    expect(columns.map((c) => c.column_name)).toContain('last_products_viewed_24h');
  }, 120_000);

  it('joins a CSV of labels, keeping its columns, as of each row', async () => {
    const labels = path.join(work, 'labels.csv');
    writeFileSync(labels, 'user_id,event_timestamp,churned\nuser_000001,2025-03-02T06:00:00Z,1\nnobody,2025-03-02T07:00:00Z,0\n');
    const out = path.join(work, 'train.csv');
    const result = await trainingSet('--labels', labels, '--lake-dir', lake, '--out', out);
    expect(result.code, result.stderr).toBe(0);
    const rows = await duckdbQuery(`SELECT user_id, churned, events_24h FROM read_csv(${sqlString(out)}, header = true)`);
    const t = Date.parse('2025-03-02T06:00:00Z');
    const expected = events.filter(
      (e) => e.user_id === 'user_000001' && Date.parse(e.event_time) <= t && Date.parse(e.event_time) >= t - 24 * HOUR,
    ).length;
    expect(rows.map((r) => [r.user_id, Number(r.churned), Number(r.events_24h)])).toEqual([
      ['user_000001', 1, expected],
      ['nobody', 0, 0],
    ]);
  }, 60_000);

  it('builds the same training set on Athena (the Athena API emulated over the same lake)', async () => {
    const lakeEngine = await openLocalLake({ storage: directoryStorage(lake), tables: tablesFor('dev', exampleCatalog.sources) });
    const athena = await startAthenaEmulator({ engine: lakeEngine, maxPageSize: 500 });
    try {
      const local = path.join(work, 'local.parquet');
      const remote = path.join(work, 'athena.parquet');
      const args = ['training-set', '--view', 'user_clickstream', ...purchases('2025-03-02T10:00:00Z', '2025-03-02T12:00:00Z')];
      const onLake = await runCli([...args, '--lake-dir', lake, '--out', local]);
      expect(onLake.code, onLake.stderr).toBe(0);
      const onAthena = await runCli([...args, '--athena', '--out', remote], {
        env: cleanEnv({
          AWS_ENDPOINT_URL_ATHENA: athena.endpoint,
          AWS_REGION: 'us-east-1',
          AWS_ACCESS_KEY_ID: 'x',
          AWS_SECRET_ACCESS_KEY: 'x',
        }),
      });
      expect(onAthena.code, onAthena.stderr).toBe(0);
      const read = (file: string) =>
        duckdbQuery(
          `SELECT user_id, epoch_ms(CAST(event_timestamp AS TIMESTAMP)) AS t, purchase_within_1h, events_24h, revenue_7d, last_products_viewed_1h FROM read_parquet(${sqlString(file)}) ORDER BY t, user_id`,
        );
      const [a, b] = [await read(local), await read(remote)];
      expect(a.length).toBeGreaterThan(50);
      expect(b).toHaveLength(a.length);
      for (const [i, row] of a.entries()) {
        const other = b[i] as Record<string, unknown>;
        // Sums may differ in the last bit: two DuckDB runs add in another order.
        expect(Number(other.revenue_7d)).toBeCloseTo(Number(row.revenue_7d), 9);
        // Integers may come back wider (BIGINT from the Athena rows' JSON): compared as numbers.
        const plainRow = (r: Record<string, unknown>) =>
          Object.fromEntries(Object.entries({ ...r, revenue_7d: 0 }).map(([k, v]) => [k, typeof v === 'bigint' ? Number(v) : v]));
        expect(plainRow(other)).toEqual(plainRow(row));
      }
    } finally {
      await athena.stop();
      lakeEngine.close();
    }
  }, 60_000);

  it('prints its SQL', async () => {
    const result = await trainingSet(...purchases(), '--print-sql');
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^WITH spine AS \(/);
    expect(result.stdout).toContain('FROM "clickstream"');
  });

  it.each([
    [['--view', 'nope', '--labels', 'purchase_within_1h'], /--view: unknown feature view "nope" \(known: user_clickstream/],
    [['--view', 'user_clickstream'], /say which labels: --labels/],
    [
      ['--view', 'user_clickstream', '--labels', 'purchase_within_1h', '--out', 'x.parquet'],
      /observes the stream: say when, with --from and --to/,
    ],
    [
      ['--view', 'user_clickstream', '--labels', 'purchase_within_1h', '--from', TO, '--to', FROM, '--out', 'x.parquet'],
      /--to must be after --from/,
    ],
    [
      ['--view', 'user_clickstream', '--labels', 'purchase_within_1h', '--from', FROM, '--to', TO, '--out', 'x.json'],
      /--out: x.json must end in .parquet or .csv/,
    ],
    [
      ['--view', 'user_clickstream', '--labels', 'no_such_label', '--out', 'x.csv'],
      /"no_such_label" is neither a label of the catalog \(purchase_within_1h/,
    ],
  ])('refuses %j with exit 2', async (args, message) => {
    const result = await runCli(['training-set', ...args]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
  });

  it.each([
    ['binary garbage named .csv', 'garbage.csv', Buffer.from([0, 159, 146, 150, 255, 0, 1, 2, 10, 0, 255, 254])],
    ['an empty CSV', 'empty.csv', ''],
    ['a truncated Parquet file', 'truncated.parquet', Buffer.from('PAR1\u0000\u0001garbage')],
  ])('refuses %s as labels with exit 2, naming the flag and the file', async (_what, name, content) => {
    const labels = path.join(work, name);
    writeFileSync(labels, content);
    const result = await trainingSet('--labels', labels, '--lake-dir', lake, '--out', path.join(work, 'x.csv'));
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toMatch(new RegExp(`--labels ${labels.replaceAll('.', '\\.')}|labels have no`));
  });

  it('refuses a time column that holds no timestamps, naming it', async () => {
    const labels = path.join(work, 'bad-times.csv');
    writeFileSync(labels, 'user_id,event_timestamp\nuser_000001,yesterday-ish\n');
    const result = await trainingSet('--labels', labels, '--lake-dir', lake, '--out', path.join(work, 'x.csv'));
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/column event_timestamp \(timestamps\)/);
  });

  it('refuses a labels table the engine does not know, naming it', async () => {
    const result = await trainingSet('--labels-table', 'no_such_table', '--lake-dir', lake, '--out', path.join(work, 'x.csv'));
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--labels-table no_such_table: .*no_such_table/);
  });

  it('refuses labels without the entity key of a view, naming the column', async () => {
    const labels = path.join(work, 'bad-labels.csv');
    writeFileSync(labels, 'customer,event_timestamp\nc1,2025-03-02T06:00:00Z\n');
    const result = await trainingSet('--labels', labels, '--lake-dir', lake, '--out', path.join(work, 'x.csv'));
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/no column user_id, the key of user/);
  });
});
