/**
 * The daily data-quality report (athena/data_quality_daily.sql) on DuckDB over
 * a lake written from stream records as the lake writer writes it: for one
 * day's events delivered in one batch, its counts equal the online counts of
 * that batch (src/quality/batch-quality.ts) kind by kind — a hard
 * expectation's quarantined events excepted, which the lake never holds — and
 * the hand-worked figures in the comments.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import { createRecordDecoder } from '../../src/domain/records.js';
import { exampleCatalog } from '../../src/features/catalog.js';
import { defineSource } from '../../src/features/define.js';
import { createQualityCheck } from '../../src/quality/batch-quality.js';
import { DATA_QUALITY_QUERY, dataQualitySql } from '../../src/quality/report-sql.js';
import { ATHENA_DIR, bindParams, parseSqlQuery, resolveQuery } from '../../src/query/sql-library.js';
import { plain } from '../support/lake-fixture.js';
import { LAKE_BOUNDS, streamRecords, writeStreamLake } from '../support/stream-lake.js';

const HOUR = 3_600_000;
const DAY = Date.parse('2024-03-05T00:00:00Z');

const readings = defineSource({
  name: 'readings',
  description: 'Sensor readings, for the report test.',
  eventTimeField: 'at',
  schema: z.object({
    at: z.number(),
    reading_id: z.string(),
    unit: z.string().optional(),
    value: z.number().optional(),
  }),
  expectations: [
    { name: 'value_sane', kind: 'range', field: 'value', max: 1_000, severity: 'hard' },
    { name: 'value_typical', kind: 'range', field: 'value', min: 0, max: 100 },
    { name: 'unit_present', kind: 'not_null', field: 'unit', minRate: 0.8 },
    { name: 'unit_known', kind: 'allowed_values', field: 'unit', values: ['C', 'F'] },
    { name: 'reading_id_unique', kind: 'unique_within_batch', field: 'reading_id' },
    { name: 'fresh_within_1h', kind: 'freshness', maxAgeSeconds: 3_600 },
    { name: 'hourly_volume', kind: 'volume_per_hour', min: 5, max: 10 },
  ],
});
const catalog = { sources: [readings], featureViews: [] };

/**
 * 24 readings i = 0…23 in hours 01, 02 and 03 of the day (8 each), all arriving in hour 05, plus one
 * of the day before (outside the range). value: 2000 when i % 8 = 0 (breaks the hard value_sane),
 * −5 when i % 8 = 1, 150 when i % 8 = 2, else i. unit: missing when i % 4 = 3, 'K' when i % 6 = 4,
 * else 'C'. The figures are worked out in the assertions.
 */
function payloads() {
  const sent: { data: Record<string, unknown>; arrivalMs: number }[] = [];
  for (let i = 0; i < 24; i++) {
    const value = i % 8 === 0 ? 2_000 : i % 8 === 1 ? -5 : i % 8 === 2 ? 150 : i;
    const unit = i % 4 === 3 ? undefined : i % 6 === 4 ? 'K' : 'C';
    sent.push({
      data: {
        source: 'readings',
        at: DAY + (1 + Math.floor(i / 8)) * HOUR + i * 60_000,
        // Readings 10 and 12 repeat reading 9's id, 20 repeats 19's: 3 repeats.
        reading_id: i === 10 || i === 12 ? 'r9' : i === 20 ? 'r19' : `r${i}`,
        value,
        ...(unit === undefined ? {} : { unit }),
      },
      arrivalMs: DAY + 5 * HOUR + i * 1_000,
    });
  }
  // The day before: not in the report's range.
  sent.push({ data: { source: 'readings', at: DAY - HOUR, reading_id: 'old', value: -1 }, arrivalMs: DAY + 5 * HOUR + 30_000 });
  return sent;
}

describe('the data-quality report', () => {
  it('athena/data_quality_daily.sql is the example catalog’s, as generated', () => {
    const file = path.join(ATHENA_DIR, `${DATA_QUALITY_QUERY}.sql`);
    expect(readFileSync(file, 'utf8'), 'regenerate: npx tsx src/quality/generate-report-sql.ts').toBe(
      dataQualitySql(exampleCatalog),
    );
    expect(resolveQuery(DATA_QUALITY_QUERY).params.map((p) => [p.name, p.default])).toEqual([
      ['start', 'today-1d'],
      ['end', 'today'],
    ]);
  });

  it('counts over the lake what the online check counted over the same events, and the hand-worked figures', async () => {
    const records = streamRecords(payloads());
    // Online: the day's records as one batch, as the lake writer sees them.
    const decode = createRecordDecoder([readings], {
      maxLatenessMs: LAKE_BOUNDS.maxLatenessSeconds * 1000,
      maxClockSkewMs: LAKE_BOUNDS.maxClockSkewSeconds * 1000,
    });
    const check = createQualityCheck([readings]).start();
    for (const record of records) {
      const decoded = decode(record);
      if (decoded.ok) {
        if (decoded.event.eventTimeMs >= DAY) check.add(decoded.event);
      } else check.reject(decoded.rejected);
    }
    const [online] = check.report();
    const onlineOf = (name: string) => online?.expectations.find((e) => e.name === name);

    const lake = await writeStreamLake([readings], records);
    try {
      const query = parseSqlQuery('data_quality_daily.sql', dataQualitySql(catalog));
      const sql = bindParams(query, { start: '2024-03-05', end: '2024-03-06' }, { timePartitioning: 'hour' });
      const result = await lake.lake.run(sql);
      const rows = plain(result.rows);
      const offline = (name: string) => rows.find((r) => r.expectation === name) as Record<string, unknown>;
      expect(rows.map((r) => r.expectation)).toEqual([
        'fresh_within_1h',
        'hourly_volume',
        'reading_id_unique',
        'unit_known',
        'unit_present',
        'value_sane',
        'value_typical',
      ]);
      // Record kinds and uniqueness (one batch = the day): offline = online.
      for (const name of ['value_typical', 'unit_present', 'unit_known', 'reading_id_unique', 'fresh_within_1h']) {
        const o = onlineOf(name);
        expect({ name, checked: offline(name).checked, failed: offline(name).failed, holds: offline(name).holds }).toEqual({
          name,
          checked: o?.checked,
          failed: o?.failed,
          holds: o?.holds,
        });
      }
      // Hard: value 2000 at i = 0, 8, 16 quarantined online; the lake holds the 21 others and none breaking it.
      expect(onlineOf('value_sane')).toMatchObject({ checked: 24, failed: 3 });
      expect(offline('value_sane')).toMatchObject({ checked: 21, failed: 0, failure_rate: 0, holds: true });
      // Kept: 21. value -5 (i = 1, 9, 17) and 150 (i = 2, 10, 18): 6 outside [0, 100].
      expect(offline('value_typical')).toMatchObject({ checked: 21, failed: 6, failure_rate: 6 / 21, holds: false });
      // unit missing at i = 3, 7, 11, 15, 19, 23 (none quarantined): 6 of 21 → present 15/21 = 0.714 < 0.8.
      expect(offline('unit_present')).toMatchObject({ checked: 21, failed: 6, holds: false });
      // 'K' at i = 4, 10, 22 (16 is quarantined): 3.
      expect(offline('unit_known')).toMatchObject({ checked: 21, failed: 3 });
      // ids r9 ×3 (i = 9, 10, 12) and r19 ×2 (19, 20): 3 repeats; none of them quarantined.
      expect(offline('reading_id_unique')).toMatchObject({ checked: 21, failed: 3 });
      // All arrive in hour 05; the newest reading (i = 23, 03:23) is 1 h 37 min older than the last arrival: stale.
      expect(offline('fresh_within_1h')).toMatchObject({ checked: 1, failed: 1 });
      // 24 hours; 7 events kept in each of hours 01–03 (band 5–10: fine), the 21 others empty (< 5): 21 failed.
      expect(offline('hourly_volume')).toMatchObject({ checked: 24, failed: 21, holds: false });
      expect(online?.events).toBe(21);
    } finally {
      lake.close();
    }
  });
});
