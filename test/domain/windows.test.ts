import { describe, expect, it } from 'vitest';
import { inWindow, tileStartMs, windowStartMs, windowTileStarts } from '../../src/domain/windows.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const window1h = { name: '1h', lengthSeconds: 3_600, hopSeconds: 600 };
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
    const starts = windowTileStarts(T, window1h);
    expect(starts).toHaveLength(7);
    expect(starts[0]).toBe(Date.UTC(2026, 10, 23, 11, 30));
    expect(starts.at(-1)).toBe(Date.UTC(2026, 10, 23, 12, 30));
  });

  it('on a hop boundary, T − L is itself a boundary and the window spans exactly L plus the current tile', () => {
    const onBoundary = Date.UTC(2026, 10, 23, 12, 0);
    expect(windowStartMs(onBoundary, window1h)).toBe(onBoundary - HOUR);
    expect(windowTileStarts(onBoundary, window1h)).toHaveLength(7);
  });

  it('reads 8 daily tiles for a 7-day window', () => {
    expect(windowTileStarts(T, { name: '7d', lengthSeconds: 7 * 86_400, hopSeconds: 86_400 })).toHaveLength(8);
  });
});
