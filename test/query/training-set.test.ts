/**
 * Point-in-time training sets (src/query/training-set.ts) on a lake written
 * as the lake writer writes it, against labels and features computed here
 * from the accepted events by hand and by the naive reference: no row sees an
 * event after its time, labels count only the horizon after it, and rows
 * whose horizon runs past the data are left out.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clickstream, purchaseWithin1h, user, userClickstream } from '../../src/features/catalog.js';
import { defineFeatureView } from '../../src/features/define.js';
import { trainingSetSql } from '../../src/query/training-set.js';
import { Random } from '../../src/workloads/random.js';
import { plain } from '../support/lake-fixture.js';
import { referenceFeatures } from '../support/reference.js';
import { AGGREGATOR_BOUNDS, accepted, streamRecords, writeStreamLake } from '../support/stream-lake.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const T0 = Date.UTC(2025, 8, 1, 6, 0, 0);
const USERS = ['a', 'b', 'c', 'd'];
/** A row's time: plain() gives timestamps as ISO strings. */
const timeOf = (row: Record<string, unknown>) => Date.parse(String(row.event_timestamp));
const options = { policy: AGGREGATOR_BOUNDS, layout: { timePartitioning: 'hour' as const } };

/** Page views, and purchases now and then, over eight hours; a few late or skewed. */
function makeStream() {
  const random = new Random(5);
  return Array.from({ length: 600 }, (_, i) => {
    const eventTimeMs = T0 + random.int(8 * HOUR);
    const type = random.chance(0.12) ? 'purchase' : random.chance(0.7) ? 'page_view' : 'click';
    const data: Record<string, unknown> = {
      source: 'clickstream',
      user_id: USERS[random.int(USERS.length)],
      event_id: `e${i}`,
      event_type: type,
      product_id: `p${random.int(20)}`,
      category: ['books', 'toys'][random.int(2)],
      event_time: new Date(eventTimeMs).toISOString(),
    };
    if (type !== 'click') data.price = 1 + random.int(50);
    const roll = random.next();
    const delay = roll < 0.05 ? 2 * HOUR : roll < 0.1 ? -random.int(200_000) : random.int(2_000);
    return { data, arrivalMs: eventTimeMs + delay };
  });
}

const records = streamRecords(makeStream());
const events = accepted([clickstream], records, AGGREGATOR_BOUNDS);
const asReference = (userId: string) =>
  events
    .filter((e) => e.data.user_id === userId)
    .map((e) => ({ data: e.data as Record<string, unknown>, eventTimeMs: e.windowTimeMs, order: Number(e.sequence.slice(-30)) }));

let written: Awaited<ReturnType<typeof writeStreamLake>>;
beforeAll(async () => {
  written = await writeStreamLake([clickstream], records);
});
afterAll(() => written?.close());

describe('training sets from a stream label (purchase within the hour after a page view)', () => {
  const from = T0 + HOUR;
  const to = T0 + 8 * HOUR;

  it('has one row per page view, labelled by the next hour only, with the features as of the view', async () => {
    const sql = trainingSetSql([userClickstream], { kind: 'stream', label: purchaseWithin1h, fromMs: from, toMs: to }, options);
    const rows = plain((await written.lake.run(sql)).rows);

    const newest = Math.max(...events.map((e) => e.windowTimeMs));
    const views = new Map<string, { userId: string; t: number }>();
    for (const e of events) {
      const t = e.windowTimeMs;
      if (e.data.event_type === 'page_view' && t >= from && t < to && t + HOUR <= newest) {
        views.set(`${e.data.user_id}@${t}`, { userId: e.data.user_id as string, t });
      }
    }
    expect(rows).toHaveLength(views.size);
    expect(views.size).toBeGreaterThan(100);
    let positives = 0;
    for (const row of rows) {
      const t = timeOf(row);
      const userId = row.user_id as string;
      expect(views.has(`${userId}@${t}`), `${userId} at ${row.event_timestamp}`).toBe(true);
      const bought = events.some(
        (e) => e.data.user_id === userId && e.data.event_type === 'purchase' && e.windowTimeMs > t && e.windowTimeMs <= t + HOUR,
      );
      expect(row.purchase_within_1h, `label of ${userId} at ${row.event_timestamp}`).toBe(bought ? 1 : 0);
      const when = new Date(t);
      expect([row.hour_of_day, row.day_of_week, row.is_weekend]).toEqual([
        when.getUTCHours(),
        when.getUTCDay() === 0 ? 7 : when.getUTCDay(),
        when.getUTCDay() % 6 === 0 ? 1 : 0,
      ]);
      positives += bought ? 1 : 0;
      const expected = referenceFeatures(userClickstream, asReference(userId), t).features;
      for (const [name, value] of Object.entries(expected)) {
        if (typeof value === 'number') expect(row[name], `${userId} ${name}`).toBeCloseTo(value, 9);
        else expect(row[name], `${userId} ${name}`).toEqual(value);
      }
    }
    // Both classes are there, or the label proves nothing.
    expect(positives).toBeGreaterThan(5);
    expect(positives).toBeLessThan(rows.length - 5);
  });

  it('never lets a row see an event after its time', async () => {
    const sql = trainingSetSql([userClickstream], { kind: 'stream', label: purchaseWithin1h, fromMs: from, toMs: to }, options);
    const rows = plain((await written.lake.run(sql)).rows);
    for (const row of rows) {
      const t = timeOf(row);
      const newestSeen = t - (row.seconds_since_last_event_lifetime as number) * 1000;
      expect(newestSeen).toBeLessThanOrEqual(t);
      // The row's own page view is the newest event it sees, or one at the same instant.
      expect(row.seconds_since_last_event_lifetime).toBe(0);
    }
  });
});

describe('training sets from a table of labels', () => {
  const spend = defineFeatureView({
    name: 'user_spend',
    description: 'Spend over two hours.',
    entity: user,
    source: clickstream,
    windows: [{ name: '2h', length: '2h' }],
    ttl: '1d',
    aggregations: [
      { name: 'revenue', kind: 'sum', field: 'price', where: { field: 'event_type', equals: 'purchase' }, description: '' },
    ],
  });

  it('keeps every column of the table and joins each view as of each row, prefixed by view', async () => {
    const file = path.join(written.root, 'labels.csv');
    const table = [
      ['a', T0 + 3 * HOUR + 17 * MINUTE, 1],
      ['zz', T0 + 4 * HOUR, 1], // an entity without events: every feature its default
      ['b', T0 + 5 * HOUR, 0],
      ['a', T0 + 7 * HOUR + 59 * MINUTE, 0],
    ] as const; // in time order, as the training set comes
    writeFileSync(
      file,
      `user_id,event_timestamp,churned\n${table.map(([u, t, l]) => `${u},${new Date(t).toISOString()},${l}`).join('\n')}\n`,
    );
    await written.lake.run(`CREATE OR REPLACE VIEW labels AS SELECT * FROM read_csv('${file}', header = true)`);
    const sql = trainingSetSql(
      [userClickstream, spend],
      {
        kind: 'table',
        relation: 'labels',
        columns: ['user_id', 'event_timestamp', 'churned'],
        timeColumn: 'event_timestamp',
        fromMs: T0 + 3 * HOUR,
        toMs: T0 + 8 * HOUR,
      },
      options,
    );
    const rows = plain((await written.lake.run(sql)).rows);
    expect(rows.map((r) => [r.user_id, r.churned])).toEqual(table.map(([u, , l]) => [u, l]));
    for (const [i, [userId, t]] of table.entries()) {
      const row = rows[i] as Record<string, unknown>;
      const clicks = referenceFeatures(userClickstream, asReference(userId), t).features;
      const spent = referenceFeatures(spend, asReference(userId), t).features;
      expect(row.user_clickstream__events_24h, `${userId}`).toBe(clicks.events_24h);
      expect(row.user_clickstream__last_products_viewed_1h).toEqual(clicks.last_products_viewed_1h);
      expect(row.user_spend__revenue_2h).toBeCloseTo(spent.revenue_2h as number, 9);
    }
    expect(rows[1]?.user_clickstream__events_lifetime).toBe(0);
  });

  it('refuses label rows without a view’s entity key, or with a column named like a feature', () => {
    const rows = { kind: 'table' as const, relation: 'labels', timeColumn: 'ts', fromMs: 0, toMs: 1 };
    expect(() => trainingSetSql([userClickstream], { ...rows, columns: ['customer', 'ts'] }, options)).toThrow(
      /no column user_id, the key of user that view user_clickstream describes/,
    );
    expect(() => trainingSetSql([userClickstream], { ...rows, columns: ['user_id', 'ts', 'events_1h'] }, options)).toThrow(
      /a column named events_1h/,
    );
  });
});
