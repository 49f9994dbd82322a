/**
 * Window semantics (docs/window-semantics.md), written down once:
 *
 * An aggregation is stored as tiles of width H (the window's hop), aligned to
 * the Unix epoch: tile k holds events with event time in [k·H, (k+1)·H).
 * The value of a window of length L at time T aggregates every event whose
 * event time lies in [floor((T − L) / H) · H, T]: a "sawtooth" window whose
 * recent edge is exact and whose old edge steps by H. It therefore reads the
 * tiles floor((T − L) / H) … floor(T / H), i.e. L/H + 1 tiles.
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

/** Oldest event time included in `window` evaluated at `nowMs`: floor((T − L)/H)·H. */
export function windowStartMs(nowMs: number, window: Window): number {
  if (window.hopSeconds === LIFETIME_HOP_SECONDS) return Number.NEGATIVE_INFINITY;
  return tileStartMs(nowMs - window.lengthSeconds * 1000, window.hopSeconds);
}

/** Whether an event at `eventTimeMs` counts in `window` at `nowMs`. */
export function inWindow(eventTimeMs: number, nowMs: number, window: Window): boolean {
  return eventTimeMs >= windowStartMs(nowMs, window) && eventTimeMs <= nowMs;
}

/** Start times of the tiles `window` reads at `nowMs`, oldest first. */
export function windowTileStarts(nowMs: number, window: Window): number[] {
  if (window.hopSeconds === LIFETIME_HOP_SECONDS) return [0];
  const hopMs = window.hopSeconds * 1000;
  const last = tileStartMs(nowMs, window.hopSeconds);
  const starts: number[] = [];
  for (let start = windowStartMs(nowMs, window); start <= last; start += hopMs) starts.push(start);
  return starts;
}
