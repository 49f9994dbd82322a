/**
 * Every query of the athena/ library on the local lake (DuckDB over the
 * writer's Parquet layout), against answers computed here in plain
 * TypeScript from the fixture rows. The window's edges carry rows exactly on
 * them (start included, end excluded) and the partitions around it hold rows
 * outside it, so both the time filter and partition pruning are exercised.
 */
import { readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openLocalLake } from '../../src/query/local-engine.js';
import { parseInsertInto, stripComments } from '../../src/query/rewrite.js';
import { bindParams, loadSqlLibrary, renderSaved, resolveQuery } from '../../src/query/sql-library.js';
import { bucketOf, END, groupBy, plain, START, useFixtureLake, within, writeLakeFixture } from '../support/lake-fixture.js';

const local = useFixtureLake();

/** Binds for the fixture's layout (partitioned by hour) and runs on the fixture lake. */
async function query(name: string, params: Record<string, string> = {}) {
  const sql = bindParams(resolveQuery(name), { start: START, end: END, ...params }, { timePartitioning: 'hour' });
  const result = await local.lake.run(sql);
  return { ...result, rows: plain(result.rows) };
}

const distinct = (values: readonly unknown[]) => new Set(values.filter((v) => v !== undefined)).size;
const sum = (values: readonly number[]) => values.reduce((a, b) => a + b, 0);

/** The p-quantile by the inverted CDF: the sorted values' element ⌈p·n⌉ − 1 (DuckDB's quantile_disc; Athena's approx_percentile is within ~1 % of that rank). */
function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)] as number;
}

/** Asserts rows equal, numbers to 9 significant digits. */
function expectRows(actual: Record<string, unknown>[], expected: Record<string, unknown>[]) {
  expect(actual).toHaveLength(expected.length);
  actual.forEach((row, i) => {
    const want = expected[i] as Record<string, unknown>;
    expect(Object.keys(row).sort()).toEqual(Object.keys(want).sort());
    for (const [k, v] of Object.entries(want)) {
      if (typeof v === 'number' && !Number.isInteger(v)) expect(row[k], `row ${i} ${k}`).toBeCloseTo(v, 6);
      else expect(row[k], `row ${i} ${k}`).toEqual(v);
    }
  });
}

describe('the library', () => {
  it('has a described, runnable query for each seed use case; each binds its defaults and runs on the lake', async () => {
    const library = loadSqlLibrary();
    expect(library.map((q) => q.name)).toEqual([
      'app_logs_metrics',
      'clickstream_active_users',
      'clickstream_device_breakdown',
      'clickstream_top_items',
      'data_quality_daily',
      'music_top_songs',
      'predictions_ab_test',
      'predictions_latency',
      'predictions_low_confidence',
      'predictions_volume',
      'rollup_clickstream_hourly',
    ]);
    for (const q of library.filter((q) => !q.name.startsWith('rollup_'))) {
      expect(q.description.length, q.name).toBeGreaterThan(20);
      const result = await local.lake.run(bindParams(q, { start: START, end: END }));
      expect(result.rows.length, q.name).toBeGreaterThan(0);
    }
  });
});

describe('saved queries (Athena named queries) run as saved', () => {
  /** The fixture's "today": the saved queries' defaults cover the day before, 2024-03-04, which has rows. */
  const TODAY = "DATE '2024-03-05'";
  const select = (sql: string) => parseInsertInto(sql)?.select ?? sql;

  it.each(loadSqlLibrary().map((q) => [q.name, q] as const))(
    '%s: no placeholder left; same answer as bound for the same values',
    async (_, q) => {
      const saved = renderSaved(q, { timePartitioning: 'hour' });
      expect(saved).not.toMatch(/\{\{|\}\}/);
      // The engine's clock set to the fixture's day: current_date is the only thing that varies.
      const asRun = saved.replaceAll('current_date', TODAY);
      const range: Record<string, string> = q.params.some((p) => p.name === 'start')
        ? { start: '2024-03-04', end: '2024-03-05' }
        : { hour: '2024-03-04' };
      const bound = bindParams(q, range, { timePartitioning: 'hour' });
      const [mine, theirs] = [await local.lake.run(select(asRun)), await local.lake.run(select(bound))];
      expectRows(plain(mine.rows), plain(theirs.rows));
      // The rollup's default hour (00:00 of that day) has no events in the fixture; every other query has rows.
      if (!parseInsertInto(q.sql)) expect(mine.rows.length, q.name).toBeGreaterThan(0);
    },
  );
});

/**
 * Expressions Trino (Athena) and DuckDB type differently: a decimal literal is DECIMAL on Trino
 * (100.0 * a / b keeps one decimal place) and an integer division truncates on Trino but not on
 * DuckDB. The library must spell such arithmetic in DOUBLE, explicitly.
 */
function numericRisks(sql: string): string[] {
  const text = stripComments(sql).replace(/'(?:[^']|'')*'/g, "''");
  const risks: string[] = [];
  for (const m of text.matchAll(/\b\d+\.\d+\b/g)) {
    if (!/CAST\(\s*$/i.test(text.slice(0, m.index)) || !/^\s*AS DOUBLE\)/i.test(text.slice(m.index + m[0].length)))
      risks.push(`decimal literal ${m[0]}: write CAST(${m[0]} AS DOUBLE)`);
  }
  for (const m of text.matchAll(/\//g)) {
    if (!/AS DOUBLE\)\s*$/i.test(text.slice(0, m.index)) && !/^\s*CAST\(/i.test(text.slice(m.index + 1)))
      risks.push(`division at ${m.index}: make an operand CAST(… AS DOUBLE)`);
  }
  return risks;
}

describe('numeric types: Athena and DuckDB give the same numbers', () => {
  it('the check catches the patterns that differ', () => {
    expect(numericRisks("SELECT 100.0 * count_if(x = 'a') / count(*), a / b FROM t")).toHaveLength(3);
    expect(
      numericRisks('SELECT 100 * CAST(count_if(x) AS DOUBLE) / count(*), CAST(0.5 AS DOUBLE), a / CAST(b AS DOUBLE)'),
    ).toEqual([]);
  });

  it.each(loadSqlLibrary().map((q) => [q.name, q.sql] as const))('%s spells its arithmetic in DOUBLE', (_, sql) => {
    expect(numericRisks(sql)).toEqual([]);
  });

  it('no query returns a DECIMAL column locally, and the A/B positive rate is the exact double', async () => {
    for (const q of loadSqlLibrary().filter((q) => !parseInsertInto(q.sql))) {
      const described = await local.lake.run(`DESCRIBE ${bindParams(q, { start: START, end: END })}`);
      for (const row of described.rows) expect(String(row.column_type), `${q.name}.${row.column_name}`).not.toMatch(/DECIMAL/);
    }
    const { rows } = await query('predictions_ab_test');
    for (const row of rows) {
      const group = within(local.fixture.predictions, START, END).filter(
        (r) => r.model_name === row.model_name && (r.model_version ?? 'unversioned') === row.model_version,
      );
      expect(row.positive_rate_pct).toBe((100 * group.filter((r) => r.label === 'POSITIVE').length) / group.length);
    }
  });
});

describe('partition pruning on every partition column', () => {
  const filesUnder = (prefix: string) =>
    readdirSync(path.join(local.fixture.root, prefix), { recursive: true }).filter((f) => String(f).endsWith('.parquet')).length;

  it('a 2-second range reads one hour’s files', async () => {
    const [start, end] = ['2024-03-05T01:10:00Z', '2024-03-05T01:10:02Z'];
    const { filesRead } = await query('clickstream_active_users', { start, end });
    expect(filesUnder('events/clickstream/dt=2024-03-05/hr=01/')).toBeGreaterThan(0);
    expect(filesRead).toBe(filesUnder('events/clickstream/dt=2024-03-05/hr=01/'));
  });

  it('an end at midnight reads no file of the next day', async () => {
    const [start, end] = ['2024-03-04T22:00:00Z', '2024-03-05T00:00:00Z'];
    const { filesRead, rows } = await query('clickstream_active_users', { start, end });
    expect(rows.map((r) => r.events)).toEqual([within(local.fixture.clicks, start, end).length]);
    expect(filesRead).toBe(
      filesUnder('events/clickstream/dt=2024-03-04/hr=22/') + filesUnder('events/clickstream/dt=2024-03-04/hr=23/'),
    );
  });
});

describe('clickstream', () => {
  /** Distinct users and sessions and events per bucket of the window, from the fixture rows. */
  const expectedActiveUsers = (minutes: number) =>
    [...groupBy(within(local.fixture.clicks, START, END), (r) => bucketOf(r.time, minutes))]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([bucket, group]) => ({
        bucket,
        active_users: distinct(group.map((r) => r.user_id)),
        sessions: distinct(group.map((r) => r.session_id)),
        events: group.length,
      }));

  it('active users per hour: distinct users and sessions, events, edges handled', async () => {
    const { rows } = await query('clickstream_active_users', { granularity: '1h' });
    const expected = expectedActiveUsers(60);
    expect(expected).toHaveLength(5);
    expectRows(rows, expected);
  });

  it('reads only the partitions of the queried days', async () => {
    const [start, end] = ['2024-03-05T04:00:00Z', '2024-03-05T05:00:00Z'];
    const { rows, inputRows } = await query('clickstream_active_users', { start, end });
    expect(rows.map((r) => r.events)).toEqual([within(local.fixture.clicks, start, end).length]);
    const sameDay = local.fixture.clicks.filter((r) => new Date(r.time).toISOString().startsWith('2024-03-05')).length;
    expect(inputRows).toBeGreaterThanOrEqual(within(local.fixture.clicks, start, end).length);
    expect(inputRows).toBeLessThanOrEqual(sameDay);
    expect(sameDay).toBeLessThan(local.fixture.clicks.length);
  });

  it('active users per day', async () => {
    const { rows } = await query('clickstream_active_users');
    const expected = expectedActiveUsers(1440);
    expect(rows.map((r) => r.bucket)).toEqual(['2024-03-04T00:00:00.000Z', '2024-03-05T00:00:00.000Z']);
    expectRows(rows, expected);
  });

  it.each([
    ['product', 'product_id', '1h', 60],
    ['category', 'category', '1day', 1440],
  ] as const)('top %s per %s by page views', async (item, field, granularity, minutes) => {
    const { rows } = await query('clickstream_top_items', { item, granularity, top: '3' });
    const views = within(local.fixture.clicks, START, END).filter((r) => r.event_type === 'page_view' && r[field] !== undefined);
    const expected = [...groupBy(views, (r) => bucketOf(r.time, minutes))]
      .sort(([a], [b]) => a.localeCompare(b))
      .flatMap(([bucket, group]) =>
        [...groupBy(group, (r) => String(r[field]))]
          .map(([name, g]) => ({ item: name, views: g.length, users: distinct(g.map((r) => r.user_id)) }))
          .sort((a, b) => b.views - a.views || (a.item < b.item ? -1 : 1))
          .slice(0, 3)
          .map((r, i) => ({ bucket, rank: i + 1, ...r })),
      );
    expectRows(rows, expected);
  });

  it('device breakdown: unknown devices grouped, conversion = purchases / views', async () => {
    const { rows } = await query('clickstream_device_breakdown');
    const expected = [...groupBy(within(local.fixture.clicks, START, END), (r) => r.device ?? 'unknown')]
      .map(([device, g]) => {
        const views = g.filter((r) => r.event_type === 'page_view').length;
        const purchases = g.filter((r) => r.event_type === 'purchase');
        return {
          device,
          users: distinct(g.map((r) => r.user_id)),
          events: g.length,
          views,
          purchases: purchases.length,
          revenue: sum(purchases.map((r) => r.price as number)),
          conversion_rate: views === 0 ? 0 : purchases.length / views,
        };
      })
      .sort((a, b) => b.events - a.events || a.device.localeCompare(b.device));
    expect(expected.map((r) => r.device)).toContain('unknown');
    expectRows(rows, expected);
  });
});

describe('app_logs (seed 004 aggregations)', () => {
  const expectedMetrics = (minutes: number, dims: 'user' | 'app' | 'user_app', filter = (_: unknown) => true) =>
    [
      ...groupBy(
        within(local.fixture.logs, START, END).filter(filter),
        (r) => `${bucketOf(r.time, minutes)}|${dims === 'app' ? '' : r.user}|${dims === 'user' ? '' : r.app}`,
      ),
    ]
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([key, g]) => {
        const [bucket, user, app] = key.split('|');
        return {
          bucket,
          user: user === '' ? null : user,
          app: app === '' ? null : app,
          events: g.length,
          ...Object.fromEntries(
            Array.from({ length: 9 }, (_, i) => [`metric_${i + 1}`, sum(g.map((r) => r.metrics[i] as number))]),
          ),
        };
      });

  it('30-minute buckets per user and app', async () => {
    const { rows } = await query('app_logs_metrics', { granularity: '30m', dims: 'user_app' });
    expectRows(rows, expectedMetrics(30, 'user_app'));
  });

  it('daily per user, one user only', async () => {
    const { rows } = await query('app_logs_metrics', { granularity: '1day', dims: 'user', user: 'u3' });
    const expected = expectedMetrics(1440, 'user', (r) => (r as { user: string }).user === 'u3');
    expect(expected.length).toBeGreaterThan(0);
    expectRows(rows, expected);
  });

  it('hourly per app', async () => {
    const { rows } = await query('app_logs_metrics', { dims: 'app' });
    expectRows(rows, expectedMetrics(60, 'app'));
  });

  it('filters by lists of users and apps, with the seed’s dimension spelling user,app', async () => {
    const users = new Set(['u1', 'u3']);
    const apps = new Set(['mail', 'chat']);
    const { rows } = await query('app_logs_metrics', { dims: 'user,app', user: 'u1,u3', app: 'mail, chat' });
    const expected = expectedMetrics(60, 'user_app', (r) => {
      const row = r as { user: string; app: string };
      return users.has(row.user) && apps.has(row.app);
    });
    expect(new Set(expected.map((r) => r.user))).toEqual(users);
    expectRows(rows, expected);
  });

  it('an inclusive to is the same as the exclusive end after it', async () => {
    // END is 03:00:00Z: through 02:59:59 (the second included, with its rows at 02:59:59.999) is the same range.
    const sql = bindParams(resolveQuery('app_logs_metrics'), { from: START, to: '2024-03-05T02:59:59Z' });
    expectRows(plain((await local.lake.run(sql)).rows), expectedMetrics(60, 'user'));
  });

  it('a string parameter is a literal, not SQL', async () => {
    const { rows } = await query('app_logs_metrics', { user: "u3' OR '1'='1" });
    expect(rows).toEqual([]);
  });

  it('gives the same answers on a lake partitioned per day', async () => {
    const daily = await writeLakeFixture({ timePartitioning: 'date' });
    const other = await openLocalLake({ storage: daily.storage, tables: daily.tables });
    try {
      const sql = bindParams(resolveQuery('app_logs_metrics'), {
        start: START,
        end: END,
        granularity: '30m',
        dims: 'user_app',
      });
      expect(plain((await other.run(sql)).rows)).toEqual(plain((await local.lake.run(sql)).rows));
    } finally {
      other.close();
      rmSync(daily.root, { recursive: true, force: true });
    }
  });
});

describe('predictions (seed 001 analytics)', () => {
  const inWindow = () => within(local.fixture.predictions, START, END);

  it('latency: mean and p95 per day and model', async () => {
    const { rows } = await query('predictions_latency');
    const expected = [...groupBy(inWindow(), (r) => `${bucketOf(r.time, 1440)}|${r.model_name}`)]
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([key, g]) => {
        const latencies = g.map((r) => r.inference_time_ms);
        return {
          day: key.split('|')[0],
          model_name: key.split('|')[1],
          predictions: g.length,
          avg_latency_ms: sum(latencies) / g.length,
          p95_latency_ms: percentile(latencies, 0.95),
        };
      });
    expectRows(rows, expected);
  });

  it('A/B: volume, confidence, positive rate and latency per model and version', async () => {
    const { rows } = await query('predictions_ab_test');
    const expected = [...groupBy(inWindow(), (r) => `${r.model_name}|${r.model_version ?? 'unversioned'}`)]
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([key, g]) => ({
        model_name: key.split('|')[0],
        model_version: key.split('|')[1],
        predictions: g.length,
        avg_confidence: sum(g.map((r) => r.score)) / g.length,
        positive_rate_pct: (100 * g.filter((r) => r.label === 'POSITIVE').length) / g.length,
        avg_latency_ms: sum(g.map((r) => r.inference_time_ms)) / g.length,
      }));
    expect(expected.map((r) => r.model_version)).toContain('unversioned');
    expectRows(rows, expected);
  });

  it('low confidence: below the threshold, one model, least confident first, limited', async () => {
    const { rows } = await query('predictions_low_confidence', { threshold: '0.3', model: 'toxicity', limit: '7' });
    const expected = inWindow()
      .filter((r) => r.score < 0.3 && r.model_name === 'toxicity')
      .sort((a, b) => a.score - b.score || a.prediction_id.localeCompare(b.prediction_id))
      .slice(0, 7)
      .map((r) => ({
        timestamp: new Date(r.time).toISOString(),
        prediction_id: r.prediction_id,
        model_name: r.model_name,
        model_version: r.model_version ?? null,
        label: r.label,
        score: r.score,
        text: r.text ?? null,
      }));
    expect(expected).toHaveLength(7);
    expectRows(rows, expected);
  });

  it('volume and cost per day and environment', async () => {
    const { rows } = await query('predictions_volume', { cost_per_prediction: '0.002' });
    const expected = [...groupBy(inWindow(), (r) => `${bucketOf(r.time, 1440)}|${r.environment}`)]
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([key, g]) => ({
        day: key.split('|')[0],
        environment: key.split('|')[1],
        predictions: g.length,
        estimated_cost_usd: g.length * 0.002,
      }));
    expectRows(rows, expected);
  });
});
