/**
 * The offline features (src/query/feature-sql.ts) against two independent
 * computations, on one stream with out-of-order, allowed-late, too-late,
 * clock-skewed and too-far-future events, ties on event time, and every kind:
 *
 * - the naive reference (test/support/reference.ts) at any time T, over the
 *   events the aggregator accepts;
 * - the online path itself (the decoder, the tile builder and the read path's
 *   evaluateView) at times after every event has arrived, when the online
 *   store has seen all the offline SQL sees.
 *
 * The lake is written as the lake writer writes it (its own, longer lateness
 * bound, so too-late events are in the lake and the SQL must leave them out).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { evaluateView } from '../../src/domain/feature-vector.js';
import { compileView, TileBuilder } from '../../src/domain/tiles.js';
import { clickstream } from '../../src/features/catalog.js';
import { RELATIVE_ACCURACY } from '../../src/features/kinds/percentile.js';
import { servedFeatureNames, viewFeaturesSql } from '../../src/query/feature-sql.js';
import type { LocalLake } from '../../src/query/local-engine.js';
import { Random } from '../../src/workloads/random.js';
import { everyKind } from '../support/every-kind.js';
import { plain } from '../support/lake-fixture.js';
import { referenceFeatures } from '../support/reference.js';
import { AGGREGATOR_BOUNDS, accepted, streamRecords, writeStreamLake } from '../support/stream-lake.js';

const HOUR = 3_600_000;
const T0 = Date.UTC(2025, 5, 1, 0, 0, 0);

const USERS = ['u0', 'u1', 'u2', 'u3', 'u4', 'u5'];
const TYPES = ['page_view', 'page_view', 'click', 'add_to_cart', 'purchase'] as const;

interface Sent {
  data: Record<string, unknown>;
  eventTimeMs: number;
  arrivalMs: number;
}

/** 1,500 events over 30 hours, with every kind of timing trouble. */
function makeStream(): Sent[] {
  const random = new Random(11);
  const sent: Sent[] = [];
  for (let i = 0; i < 1_500; i++) {
    // A few pairs share an event time (and a user), so ties are broken by stream order.
    const tie = i % 97 === 1 ? sent.at(-1) : undefined;
    const eventTimeMs = tie ? tie.eventTimeMs : T0 + random.int(30 * HOUR);
    const type = TYPES[random.int(TYPES.length)] as string;
    const data: Record<string, unknown> = {
      source: 'clickstream',
      event_id: `e${i}`,
      user_id: tie ? tie.data.user_id : (USERS[random.int(USERS.length)] as string),
      event_type: type,
      event_time: new Date(eventTimeMs).toISOString(),
    };
    if (random.chance(0.8)) data.product_id = `p${random.int(9)}`;
    if (random.chance(0.7)) data.category = ['books', 'music', 'toys'][random.int(3)];
    if (type === 'purchase' || random.chance(0.5)) data.price = [5, 9.99, 12.5, 20, 20, 99][random.int(6)];
    const roll = random.next();
    const delay =
      roll < 0.05
        ? HOUR + random.int(19 * HOUR) // late, within the aggregator's day
        : roll < 0.08
          ? 25 * HOUR + random.int(5 * HOUR) // too late online, kept by the lake
          : roll < 0.13
            ? -(1_000 + random.int(280_000)) // a producer clock ahead, within the skew allowance
            : roll < 0.15
              ? -(400_000 + random.int(200_000)) // too far ahead: refused everywhere
              : random.int(3_000);
    sent.push({ data, eventTimeMs, arrivalMs: eventTimeMs + delay });
  }
  return sent;
}

const records = streamRecords(makeStream());
const online = accepted([clickstream], records, AGGREGATOR_BOUNDS);
const lastArrival = Math.max(...records.map((r) => r.arrivalTimeMs));

let written: Awaited<ReturnType<typeof writeStreamLake>>;
let lake: LocalLake;

beforeAll(async () => {
  written = await writeStreamLake([clickstream], records);
  lake = written.lake;
});

afterAll(() => written?.close());

/** The offline features of every user at each time, by `user@time`. */
async function offline(times: readonly number[]): Promise<Map<string, Record<string, unknown>>> {
  const values = USERS.flatMap((u) => times.map((t) => `('${u}', CAST(${t} AS BIGINT))`)).join(', ');
  const sql = viewFeaturesSql(
    everyKind,
    { relation: `(VALUES ${values}) AS spine(user_id, __as_of_ms)`, fromMs: Math.min(...times), toMs: Math.max(...times) },
    { policy: AGGREGATOR_BOUNDS, layout: { timePartitioning: 'hour' } },
  );
  const result = await lake.run(sql);
  return new Map(plain(result.rows).map((row) => [`${row.user_id}@${row.__as_of_ms}`, row]));
}

function expectSame(actual: Record<string, unknown>, expected: Record<string, unknown>, label: string, sketchTolerance = 0) {
  for (const name of servedFeatureNames(everyKind)) {
    const want = expected[name];
    const got = actual[name];
    if (typeof want === 'number' && name.startsWith('p90_price')) {
      expect(Math.abs((got as number) - want), `${label} ${name}: ${got} vs ${want}`).toBeLessThanOrEqual(
        sketchTolerance * Math.abs(want) + 1e-9,
      );
    } else if (typeof want === 'number') {
      expect(got, `${label} ${name}`).toBeCloseTo(want, 9);
    } else {
      expect(got, `${label} ${name}`).toEqual(want);
    }
  }
}

describe('offline features (generated SQL on DuckDB)', () => {
  it('serves a column per feature the API serves', async () => {
    const rows = await offline([T0 + 12 * HOUR]);
    const row = rows.get(`u0@${T0 + 12 * HOUR}`) as Record<string, unknown>;
    expect(Object.keys(row).sort()).toEqual(['user_id', '__as_of_ms', ...servedFeatureNames(everyKind)].sort());
  });

  it('equals the naive reference at any time, on window edges and between, for every kind', async () => {
    // On hop and window edges, a millisecond either side, and at odd times; before, within and after the stream.
    const times = [
      T0 - 1,
      T0 + 10 * 60_000,
      T0 + HOUR,
      T0 + HOUR - 1,
      T0 + 7 * HOUR + 123_457,
      T0 + 24 * HOUR,
      T0 + 24 * HOUR + 1,
      T0 + 29 * HOUR + 59 * 60_000,
      lastArrival + 1,
    ];
    const rows = await offline(times);
    let nonEmpty = 0;
    for (const userId of USERS) {
      const mine = online
        .filter((e) => e.data.user_id === userId)
        .map((e) => ({
          data: e.data as Record<string, unknown>,
          eventTimeMs: e.windowTimeMs,
          order: Number(e.sequence.slice(-30)),
        }));
      for (const t of times) {
        const expected = referenceFeatures(everyKind, mine, t).features;
        if (expected.events_1h) nonEmpty++;
        expectSame(rows.get(`${userId}@${t}`) as Record<string, unknown>, expected, `${userId} at ${new Date(t).toISOString()}`);
      }
    }
    expect(nonEmpty, 'rows with events in their hour').toBeGreaterThan(USERS.length * 3);
  });

  it('equals what the online read path serves once every event has arrived', async () => {
    const times = [lastArrival, lastArrival + 5 * 60_000, lastArrival + 2 * HOUR, lastArrival + 20 * HOUR];
    const rows = await offline(times);
    const builder = new TileBuilder([compileView(everyKind)]);
    for (const event of online) builder.add(event);
    const tiles = [...builder.tiles.values()];
    for (const userId of USERS) {
      for (const t of times) {
        const served = evaluateView(
          everyKind,
          t,
          (hop, start) =>
            tiles.find((tile) => tile.entityId === userId && tile.hopSeconds === hop && tile.startMs === start)?.states,
        );
        expectSame(
          rows.get(`${userId}@${t}`) as Record<string, unknown>,
          served.features,
          `${userId} at +${t - lastArrival} ms`,
          RELATIVE_ACCURACY,
        );
      }
    }
  });

  it('leaves out what the aggregator refuses, though the lake keeps it', async () => {
    const lakeRows = Number((await lake.run('SELECT count(*) AS n FROM clickstream')).rows[0]?.n);
    expect(lakeRows).toBe(written.rows);
    expect(lakeRows - online.length, 'too-late events in the lake only').toBeGreaterThan(20);
    const rows = await offline([lastArrival + 1]);
    const lifetime = USERS.reduce((total, u) => total + Number(rows.get(`${u}@${lastArrival + 1}`)?.events_all), 0);
    expect(lifetime).toBe(online.length);
  });
});
