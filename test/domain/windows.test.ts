import { describe, expect, it } from 'vitest';
import { inWindow, tileStartMs, windowStartMs, windowTiles } from '../../src/domain/windows.js';

const starts = (...args: Parameters<typeof windowTiles>) => windowTiles(...args).map((t) => t.startMs);

const MIN = 60_000;
const HOUR = 60 * MIN;
const window1h = { name: '1h', lengthSeconds: 3_600, hopSeconds: 600, edgeSeconds: 600 };
const T = Date.UTC(2026, 10, 23, 12, 34, 56, 789); // 12:34:56.789

describe('tiles', () => {
  it('aligns a tile to the epoch, start inclusive, end exclusive', () => {
    const tileAt1230 = Date.UTC(2026, 10, 23, 12, 30);
    expect(tileStartMs(tileAt1230, 600)).toBe(tileAt1230);
    expect(tileStartMs(tileAt1230 - 1, 600)).toBe(tileAt1230 - 10 * MIN);
    expect(tileStartMs(tileAt1230 + 10 * MIN - 1, 600)).toBe(tileAt1230);
  });

  it('aligns daily tiles to UTC midnight', () => {
    expect(tileStartMs(T, 86_400)).toBe(Date.UTC(2026, 10, 23));
  });
});

describe('sawtooth window [floor((T − L)/H)·H, T]', () => {
  it('steps the old edge down to the hop boundary', () => {
    // T − 1h = 11:34:56.789 → floor to 10 min = 11:30
    expect(windowStartMs(T, window1h)).toBe(Date.UTC(2026, 10, 23, 11, 30));
  });

  it('includes both edges exactly', () => {
    const start = Date.UTC(2026, 10, 23, 11, 30);
    expect(inWindow(start, T, window1h)).toBe(true);
    expect(inWindow(start - 1, T, window1h)).toBe(false);
    expect(inWindow(T, T, window1h)).toBe(true);
    expect(inWindow(T + 1, T, window1h)).toBe(false);
  });

  it('reads L/H + 1 tiles, oldest first, ending with the tile holding T', () => {
    const read = starts(T, window1h);
    expect(read).toHaveLength(7);
    expect(read[0]).toBe(Date.UTC(2026, 10, 23, 11, 30));
    expect(read.at(-1)).toBe(Date.UTC(2026, 10, 23, 12, 30));
  });

  it('on a hop boundary, T − L is itself a boundary and the window spans exactly L plus the current tile', () => {
    const onBoundary = Date.UTC(2026, 10, 23, 12, 0);
    expect(windowStartMs(onBoundary, window1h)).toBe(onBoundary - HOUR);
    expect(starts(onBoundary, window1h)).toHaveLength(7);
  });

  it('reads 8 daily tiles for a 7-day window', () => {
    expect(starts(T, { name: '7d', lengthSeconds: 7 * 86_400, hopSeconds: 86_400, edgeSeconds: 86_400 })).toHaveLength(8);
  });
});

describe('hierarchical windows: hop-wide tiles for the body, edge-wide tiles at the old edge', () => {
  const DAY = 86_400_000;
  const window90d = { name: '90d', lengthSeconds: 90 * 86_400, hopSeconds: 10 * 86_400, edgeSeconds: 86_400 };

  // T − 90 d = 2026-08-28 12:00, day 20,693 since the epoch: three days past a 10-day boundary.
  const now = Date.UTC(2026, 10, 26, 12);

  it('starts at the edge width, not the hop: exact to the day', () => {
    expect(windowStartMs(now, window90d)).toBe(Date.UTC(2026, 7, 28));
  });

  it('reads daily tiles up to the next 10-day boundary, then 10-day tiles up to the one holding T: every day once', () => {
    const tiles = windowTiles(now, window90d);
    const daily = tiles.filter((t) => t.hopSeconds === 86_400);
    const tenDays = tiles.filter((t) => t.hopSeconds === 10 * 86_400);
    expect(tiles.length).toBeLessThanOrEqual(9 + 10);
    expect(daily.map((t) => t.startMs)).toEqual(Array.from({ length: 7 }, (_, i) => Date.UTC(2026, 7, 28 + i)));
    // Contiguous: each tile starts where the previous one ends, and the last holds now.
    let at = windowStartMs(now, window90d);
    for (const t of tiles) {
      expect(t.startMs).toBe(at);
      at += t.hopSeconds * 1000;
    }
    expect(at).toBeGreaterThan(now);
    expect((tenDays[0]?.startMs ?? 0) % (10 * DAY)).toBe(0);
  });

  it('needs no edge tile when the start falls on a hop boundary', () => {
    const onBoundary = 20_000 * DAY + 90 * DAY + 5_000; // now − 90 d is a 10-day boundary plus 5 s
    expect(windowTiles(onBoundary, window90d).every((t) => t.hopSeconds === 10 * 86_400)).toBe(true);
  });
});
