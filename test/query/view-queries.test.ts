/**
 * Each view's saved query (an Athena named query, rendered relative to the
 * day it runs): every feature of the entities active yesterday as of 00:00 UTC
 * today — the entities and the values computed here by hand and by the naive
 * reference, and equal to the same features asked for at that instant.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StreamRecord } from '../../src/domain/records.js';
import { clickstream, exampleCatalog, userClickstream } from '../../src/features/catalog.js';
import { featureViewQueries, viewFeaturesSql, viewSnapshotSql } from '../../src/query/feature-sql.js';
import { Random } from '../../src/workloads/random.js';
import { plain } from '../support/lake-fixture.js';
import { expectFeatures, referenceFeatures } from '../support/reference.js';
import { AGGREGATOR_BOUNDS, accepted, streamRecords, writeStreamLake } from '../support/stream-lake.js';

const DAY = 86_400_000;
const midnight = Math.floor(Date.now() / DAY) * DAY;
const options = { policy: AGGREGATOR_BOUNDS, layout: { timePartitioning: 'hour' as const } };

let written: Awaited<ReturnType<typeof writeStreamLake>>;
let records: StreamRecord[];
beforeAll(async () => {
  const random = new Random(3);
  // Three days up to a little after midnight: users active yesterday, the day before, and today only.
  const sent = Array.from({ length: 400 }, (_, i) => {
    const t = midnight - 2 * DAY + random.int(2 * DAY + 3_600_000);
    return {
      data: {
        source: 'clickstream',
        user_id: `u${random.int(12)}`,
        event_id: `e${i}`,
        event_type: ['page_view', 'click', 'purchase'][random.int(3)],
        price: 1 + random.int(99),
        product_id: `p${random.int(7)}`,
        event_time: new Date(t).toISOString(),
      },
      arrivalMs: t + random.int(1_000),
    };
  });
  records = streamRecords(sent);
  written = await writeStreamLake([clickstream], records);
});
afterAll(() => written?.close());

describe("each view's saved query", () => {
  it('serves the features of yesterday’s active entities as of midnight', async () => {
    const saved = plain((await written.lake.run(viewSnapshotSql(userClickstream, options))).rows);
    const active = [...new Set(saved.map((r) => r.user_id as string))].sort();
    expect(active.length).toBeGreaterThan(5);
    const values = active.map((u) => `('${u}', CAST(${midnight} AS BIGINT))`).join(', ');
    const direct = plain(
      (
        await written.lake.run(
          viewFeaturesSql(
            userClickstream,
            { relation: `(VALUES ${values}) AS spine(user_id, __as_of_ms)`, fromMs: midnight, toMs: midnight },
            options,
          ),
        )
      ).rows,
    );
    const byUser = (rows: Record<string, unknown>[]) =>
      Object.fromEntries(rows.map((r) => [r.user_id as string, r])) as Record<string, Record<string, unknown>>;
    const want = byUser(direct);
    expect(Object.keys(byUser(saved)).sort()).toEqual(Object.keys(want).sort());
    for (const [u, row] of Object.entries(byUser(saved))) {
      for (const [k, v] of Object.entries(row)) {
        // Floating sums in another order differ in the last bit.
        if (typeof v === 'number') expect(v, `${u} ${k}`).toBeCloseTo(want[u]?.[k] as number, 9);
        else expect(v, `${u} ${k}`).toEqual(want[u]?.[k]);
      }
    }
    // Nothing after midnight is counted, though the lake has it.
    for (const row of saved) expect(row.__as_of_ms).toBe(midnight);

    // Independently of the SQL: the users with an event yesterday, and the naive reference at midnight.
    const events = accepted([clickstream], records, AGGREGATOR_BOUNDS);
    const yesterday = [
      ...new Set(events.filter((e) => e.eventTimeMs >= midnight - DAY && e.eventTimeMs < midnight).map((e) => e.data.user_id)),
    ].sort();
    expect(active).toEqual(yesterday);
    for (const userId of active) {
      const mine = events
        .filter((e) => e.data.user_id === userId)
        .map((e) => ({
          data: e.data as Record<string, unknown>,
          eventTimeMs: e.windowTimeMs,
          order: Number(e.sequence.slice(-30)),
        }));
      expectFeatures(byUser(saved)[userId], referenceFeatures(userClickstream, mine, midnight).features, userId, 9);
    }
  });

  it('is one named query per view of the catalog', () => {
    const queries = featureViewQueries(exampleCatalog.featureViews, options);
    expect(queries.map((q) => q.name)).toEqual(exampleCatalog.featureViews.map((v) => `${v.name}_features`));
    for (const q of queries) expect(q.sql).toContain('current_date');
  });
});
