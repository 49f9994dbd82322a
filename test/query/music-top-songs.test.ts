/**
 * athena/music_top_songs.sql (seed 003's top songs, which no online view can
 * serve: a ranking across songs) on the fixture lake, against a ranking
 * computed here in plain TypeScript from the fixture's listen rows.
 */
import { describe, expect, it } from 'vitest';
import { bindParams, resolveQuery } from '../../src/query/sql-library.js';
import { bucketOf, END, groupBy, plain, START, useFixtureLake, within } from '../support/lake-fixture.js';

const local = useFixtureLake();

describe('music_top_songs', () => {
  it.each([
    ['1h', 60, '3'],
    ['1day', 1440, '5'],
  ] as const)(
    'ranks songs per %s by plays, ties by song_id, with listeners, skip rate and time played',
    async (granularity, minutes, top) => {
      const sql = bindParams(
        resolveQuery('music_top_songs'),
        { start: START, end: END, granularity, top },
        { timePartitioning: 'hour' },
      );
      const rows = plain((await local.lake.run(sql)).rows);
      const expected = [...groupBy(within(local.fixture.listens, START, END), (r) => bucketOf(r.time, minutes))]
        .sort(([a], [b]) => a.localeCompare(b))
        .flatMap(([bucket, group]) =>
          [...groupBy(group, (r) => r.song_id)]
            .map(([song_id, g]) => ({
              song_id,
              song: g[0]?.song,
              artist: g[0]?.artist,
              plays: g.length,
              listeners: new Set(g.map((r) => r.user_id)).size,
              skip_rate: g.filter((r) => r.skipped).length / g.length,
              ms_played: g.reduce((total, r) => total + r.ms_played, 0),
            }))
            .sort((a, b) => b.plays - a.plays || (a.song_id < b.song_id ? -1 : 1))
            .slice(0, Number(top))
            .map((r, i) => ({ bucket, rank: i + 1, ...r })),
        );
      expect(expected.length).toBeGreaterThan(Number(top));
      expect(rows).toHaveLength(expected.length);
      rows.forEach((row, i) => {
        const { skip_rate, ...exact } = expected[i] as (typeof expected)[number];
        expect(row).toMatchObject(exact);
        expect(row.skip_rate as number).toBeCloseTo(skip_rate, 9);
      });
    },
  );
});
