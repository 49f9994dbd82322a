/**
 * The hourly rollup on the local lake: its rows against a rollup computed
 * here from the fixture rows, and rerunning an hour replaces it.
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { hoursToRollUp, rollupHour, rollupHourPrefix } from '../../src/query/rollup.js';
import { parseSqlQuery } from '../../src/query/sql-library.js';
import { groupBy, plain, useFixtureLake, within } from '../support/lake-fixture.js';

const local = useFixtureLake();
const engine = () => ({
  run: (sql: string) => local.lake.run(sql),
  deletePrefix: (p: string) => local.fixture.storage.deletePrefix(p),
});

const HOUR = '2024-03-05T02:00:00Z';
/** Where INSERT INTO puts that hour: integer partitions are named by their value, unpadded. */
const HOUR_FILES = 'rollups/clickstream_hourly/dt=2024-03-05/hr=2/';

function expectedHour(hour: string) {
  const end = new Date(Date.parse(hour) + 3_600_000).toISOString();
  const rows = within(local.fixture.clicks, hour, end);
  return [...groupBy(rows, (r) => `${r.event_type}|${r.category ?? ''}|${r.device ?? ''}`)]
    .map(([key, g]) => {
      const [event_type, category, device] = key.split('|');
      return {
        event_type,
        category: category === '' ? null : category,
        device: device === '' ? null : device,
        events: g.length,
        users: new Set(g.map((r) => r.user_id)).size,
        sessions: new Set(g.map((r) => r.session_id).filter((s) => s !== undefined)).size,
        revenue: g.filter((r) => r.event_type === 'purchase').reduce((s, r) => s + (r.price as number), 0),
      };
    })
    .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
}

async function rollupRows(hour: string) {
  const result = await local.lake.run(
    `SELECT event_type, category, device, events, users, sessions, revenue FROM clickstream_hourly
     WHERE dt = '${hour.slice(0, 10)}' AND hr = ${new Date(hour).getUTCHours()}`,
  );
  return plain(result.rows).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
}

const filesUnder = (prefix: string) => {
  try {
    return readdirSync(path.join(local.fixture.root, prefix), { recursive: true }).filter((f) => String(f).endsWith('.parquet'))
      .length;
  } catch {
    return 0;
  }
};

describe('hourly rollup', () => {
  it('rolls up one hour per event type, category and device, like the raw events say', async () => {
    const result = await rollupHour(engine(), Date.parse(HOUR) + 17 * 60_000);
    const expected = expectedHour(HOUR);
    expect(result).toMatchObject({ hour: '2024-03-05T02:00:00.000Z', replacedFiles: 0, rows: expected.length });
    const actual = await rollupRows(HOUR);
    expect(actual.map(({ revenue, ...r }) => r)).toEqual(expected.map(({ revenue, ...r }) => r));
    for (const [i, row] of actual.entries()) expect(row.revenue).toBeCloseTo(expected[i]?.revenue as number, 6);
    expect(rollupHourPrefix(new Date(HOUR))).toBe(HOUR_FILES);
    expect(filesUnder(HOUR_FILES)).toBeGreaterThan(0);
  });

  it('rerunning an hour replaces it: same rows, no duplicates, old files gone', async () => {
    const before = await rollupRows(HOUR);
    const files = filesUnder(HOUR_FILES);
    const again = await rollupHour(engine(), new Date(HOUR));
    expect(again.replacedFiles).toBe(files);
    expect(await rollupRows(HOUR)).toEqual(before);
    expect(filesUnder(HOUR_FILES)).toBe(files);
  });

  it('reads only its hour of the raw events when the lake is partitioned by hour', async () => {
    const filesRead: number[] = [];
    const counting = {
      ...engine(),
      run: async (sql: string) => {
        const result = await local.lake.run(sql);
        filesRead.push(result.filesRead ?? Number.NaN);
        return result;
      },
    };
    const byDate = await rollupHour(counting, new Date(HOUR));
    const byHour = await rollupHour(counting, new Date(HOUR), { timePartitioning: 'hour' });
    expect(byHour.rows).toBe(byDate.rows);
    expect(filesRead).toEqual([
      filesUnder('events/clickstream/dt=2024-03-05/'),
      filesUnder('events/clickstream/dt=2024-03-05/hr=02/'),
    ]);
    expect(filesRead[1]).toBeLessThan(filesRead[0] as number);
  });

  it('leaves other hours alone, and an hour without events adds no rows', async () => {
    await rollupHour(engine(), new Date('2024-03-04T23:00:00Z'));
    await rollupHour(engine(), new Date('2024-03-10T05:00:00Z'));
    expect(await rollupRows('2024-03-04T23:00:00Z')).toHaveLength(expectedHour('2024-03-04T23:00:00Z').length);
    expect(await rollupRows('2024-03-10T05:00:00Z')).toEqual([]);
    expect(await rollupRows(HOUR)).toHaveLength(expectedHour(HOUR).length);
  });

  it('binds its SQL before deleting anything: SQL that cannot be bound leaves the hour as it was', async () => {
    await rollupHour(engine(), new Date(HOUR));
    const before = await rollupRows(HOUR);
    const deleted: string[] = [];
    const unbindable = parseSqlQuery('broken.sql', '-- Broken.\n-- @param hour timestamp  H\nSELECT {{hour.minute}}');
    const recording = {
      ...engine(),
      deletePrefix: async (prefix: string) => {
        deleted.push(prefix);
        return 0;
      },
    };
    await expect(rollupHour(recording, new Date(HOUR), { query: unbindable })).rejects.toThrow(
      /\{\{hour.minute\}\} is not a derived form/,
    );
    expect(deleted).toEqual([]);
    expect(await rollupRows(HOUR)).toEqual(before);
  });

  it('a stopped statement ends promptly, and a stopped INSERT writes no file', async () => {
    const controller = new AbortController();
    const started = Date.now();
    const long = local.lake.run('SELECT count(*) FROM range(100000000000) t(i) WHERE i % 7 = 3', {
      signal: controller.signal,
    });
    setTimeout(() => controller.abort(), 200);
    await expect(long).rejects.toThrow(/interrupt/i);
    expect(Date.now() - started).toBeLessThan(5_000);

    const files = filesUnder('rollups/clickstream_hourly/dt=2024-03-05/hr=4/');
    const stopped = new AbortController();
    stopped.abort();
    const sql = `INSERT INTO clickstream_hourly SELECT event_type, category, device, count(*), 0, 0, 0, '2024-03-05', 4 FROM clickstream GROUP BY 1, 2, 3`;
    await expect(local.lake.run(sql, { signal: stopped.signal })).rejects.toThrow();
    expect(filesUnder('rollups/clickstream_hourly/dt=2024-03-05/hr=4/')).toBe(files);
    // The lake is still usable after an interrupt.
    expect((await local.lake.run('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
  });

  it('a scheduled run covers the closed hours before now, oldest first', () => {
    expect(hoursToRollUp(Date.parse('2024-03-05T07:15:00Z'), 3).map((d) => d.toISOString())).toEqual([
      '2024-03-05T04:00:00.000Z',
      '2024-03-05T05:00:00.000Z',
      '2024-03-05T06:00:00.000Z',
    ]);
  });
});
