/** The seed 000 and seed 003 example catalogs: what the seeds compute, under the definition language's budgets. */
import { describe, expect, it } from 'vitest';
import { exampleCatalog } from '../../src/features/catalog.js';
import { MAX_TILES_PER_VIEW } from '../../src/features/define.js';
import { listenEvents, listenerActivity, songPlays } from '../../src/features/examples/music.js';
import { accessLogs, isHot, objectAccess, objectMetadata } from '../../src/features/examples/tiering.js';

/** Served feature names of a view: aggregations and ratios per window, then trends. */
const served = (view: typeof objectAccess) => [
  ...view.windows.flatMap((w) => [...view.aggregations, ...view.ratios].map((a) => `${a.name}_${w.name}`)),
  ...view.trends.map((t) => t.name),
];

/** Tiles one request reads: per tile width, its longest window's L/H + 1. */
const tilesRead = (view: typeof objectAccess) =>
  view.hopsSeconds.reduce(
    (n, hop) => n + Math.max(...view.windows.filter((w) => w.hopSeconds === hop).map((w) => w.lengthSeconds / hop + 1)),
    0,
  );

describe('example catalog: seed 000 tiering', () => {
  it('serves the seed’s per-object features under its names (recency in seconds, named so)', () => {
    expect(served(objectAccess)).toEqual(
      expect.arrayContaining([
        'access_count_7d',
        'download_count_7d',
        'unique_users_7d',
        'seconds_since_last_access_7d',
        'recent_access_trend',
      ]),
    );
    expect(objectAccess.aggregations.find((a) => a.name === 'unique_users')?.kind).toBe('distinct_count');
    expect(objectAccess.entity.keyField).toBe('object_key');
  });

  it('computes the trend as the seed does: count 24 h / max(1, count 7 d / 7)', () => {
    expect(objectAccess.trends).toEqual([
      expect.objectContaining({ aggregation: 'access_count', recent: '24h', baseline: '7d', minBaseline: 1 }),
    ]);
    const [recent, baseline] = objectAccess.windows;
    expect([recent?.lengthSeconds, baseline?.lengthSeconds]).toEqual([86_400, 7 * 86_400]);
  });

  it('labels is_hot: at least 3 download_object events in the 24 h after each access', () => {
    expect(isHot).toMatchObject({ horizonSeconds: 86_400, atLeast: 3, where: { field: 'action', equals: 'download_object' } });
    expect(isHot.observe).toEqual({ source: accessLogs });
    expect(exampleCatalog.labels).toContain(isHot);
  });

  it('takes the object metadata (size, content type, size category) as a batch source of the object entity', () => {
    expect(objectMetadata.entity).toBe(objectAccess.entity);
    expect(objectMetadata.features).toEqual(['size', 'content_type', 'size_category']);
    expect(exampleCatalog.batchSources).toContain(objectMetadata);
  });
});

describe('example catalog: seed 003 music', () => {
  it('serves plays per song per hour, distinct listeners, skip rate; listens per listener per day', () => {
    expect(served(songPlays)).toEqual(expect.arrayContaining(['plays_1h', 'listeners_1h', 'listeners_24h', 'skip_rate_24h']));
    expect(served(listenerActivity)).toEqual(expect.arrayContaining(['listens_1d', 'skip_rate_1d', 'distinct_songs_7d']));
    expect(songPlays.windows[0]).toMatchObject({ name: '1h', lengthSeconds: 3_600 });
    expect([songPlays.entity.keyField, listenerActivity.entity.keyField]).toEqual(['song_id', 'user_id']);
    expect(songPlays.ratios[0]).toMatchObject({ numerator: 'skips', denominator: 'plays', whenUndefined: 0 });
  });

  it('feeds both views from one source; the song view comes first, so the demo counts songs', () => {
    const views = exampleCatalog.featureViews.filter((v) => v.source === listenEvents);
    expect(views).toEqual([songPlays, listenerActivity]);
  });
});

describe('example views stay within the read budget', () => {
  it.each([objectAccess, songPlays, listenerActivity].map((v) => [v.name, v] as const))('%s', (_, view) => {
    expect(tilesRead(view)).toBeLessThanOrEqual(MAX_TILES_PER_VIEW);
    expect(exampleCatalog.featureViews).toContain(view);
    expect(exampleCatalog.sources).toContain(view.source);
    expect(exampleCatalog.entities).toContain(view.entity);
  });
});
