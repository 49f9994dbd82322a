/**
 * Window semantics (docs/window-semantics.md), written down once:
 *
 * An aggregation is stored as tiles of width H (the window's hop), aligned to
 * the Unix epoch: tile k holds events with event time in [k·H, (k+1)·H).
 * The value of a window of length L at time T aggregates every event whose
 * event time lies in [floor((T − L) / H) · H, T]: a "sawtooth" window whose
 * recent edge is exact and whose old edge steps by H. It therefore reads the
 * tiles floor((T − L) / H) … floor(T / H), i.e. L/H + 1 tiles. A window with finer
 * edge tiles of width E (hierarchical) starts at floor((T − L) / E) · E instead and
 * reads E-wide tiles up to the next multiple of H, then H-wide ones.
 *
 * All times here are epoch milliseconds; window sizes are seconds.
 */
import { LIFETIME_HOP_SECONDS, type Window } from '../features/define.js';

/** Start of the tile of width `hopSeconds` that holds `eventTimeMs` (a lifetime tile starts at 0). */
export function tileStartMs(eventTimeMs: number, hopSeconds: number): number {
  if (hopSeconds === LIFETIME_HOP_SECONDS) return 0;
  const hopMs = hopSeconds * 1000;
  return Math.floor(eventTimeMs / hopMs) * hopMs;
}

/**
 * Oldest event time included in `window` evaluated at `nowMs`: floor((T − L)/E)·E, where E is the
 * window's edge width (its hop H, unless it has finer edge tiles: hierarchical, docs/window-semantics.md).
 */
export function windowStartMs(nowMs: number, window: Window): number {
  if (window.hopSeconds === LIFETIME_HOP_SECONDS) return Number.NEGATIVE_INFINITY;
  return tileStartMs(nowMs - window.lengthSeconds * 1000, window.edgeSeconds);
}

/** Whether an event at `eventTimeMs` counts in `window` at `nowMs`. */
export function inWindow(eventTimeMs: number, nowMs: number, window: Window): boolean {
  return eventTimeMs >= windowStartMs(nowMs, window) && eventTimeMs <= nowMs;
}

/** A tile: its width and start. */
export interface TileRef {
  readonly hopSeconds: number;
  readonly startMs: number;
}

/**
 * The tiles `window` reads at `nowMs`, oldest first: edge-wide tiles from the window's start up to
 * the next hop boundary (none without finer edges), then hop-wide tiles up to the one holding now.
 */
export function windowTiles(nowMs: number, window: Window): TileRef[] {
  if (window.hopSeconds === LIFETIME_HOP_SECONDS) return [{ hopSeconds: LIFETIME_HOP_SECONDS, startMs: 0 }];
  const hopMs = window.hopSeconds * 1000;
  const edgeMs = window.edgeSeconds * 1000;
  const start = windowStartMs(nowMs, window);
  const body = Math.ceil(start / hopMs) * hopMs;
  const tiles: TileRef[] = [];
  for (let s = start; s < body; s += edgeMs) tiles.push({ hopSeconds: window.edgeSeconds, startMs: s });
  const last = tileStartMs(nowMs, window.hopSeconds);
  for (let s = body; s <= last; s += hopMs) tiles.push({ hopSeconds: window.hopSeconds, startMs: s });
  return tiles;
}
