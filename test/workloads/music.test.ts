import { describe, expect, it } from 'vitest';
import { listenEvents as listenSource } from '../../src/features/examples/music.js';
import { workloads } from '../../src/workloads/index.js';
import { type ListenRecord, listenEvents, SKIP_BEFORE_MS } from '../../src/workloads/music.js';

const START = Date.parse('2025-03-01T00:00:00.000Z');
const WEEK_S = 7 * 86_400;
/** 30,000 listens of 300 listeners over a week (2,000 songs). */
const week = (seed = 42) => [
  ...listenEvents({ events: 30_000, seed, startMs: START, ratePerSecond: 30_000 / WEEK_S, entities: 300 }),
];

function countBy<T>(items: readonly T[], key: (item: T) => string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(key(item), (counts.get(key(item)) ?? 0) + 1);
  return counts;
}

describe('music workload (seed 003)', () => {
  it('is registered under its name with the listen_events source', () => {
    expect(workloads.music?.source).toBe('listen_events');
  });

  it('is deterministic for a seed, and differs across seeds', () => {
    const a = JSON.stringify(week());
    expect(JSON.stringify(week())).toBe(a);
    expect(JSON.stringify(week(43))).not.toBe(a);
  });

  it('produces events that pass the source schema, in event-time order (eventsim’s epoch-ms ts)', () => {
    let previous = 0;
    for (const event of week()) {
      expect(listenSource.schema.safeParse(event).success, JSON.stringify(event)).toBe(true);
      expect(Object.keys(event)[0]).toBe('source');
      expect(event.ts).toBeGreaterThanOrEqual(previous);
      previous = event.ts;
    }
  });

  it('keeps a song’s title, artist and duration, and a listener’s level and state, the same in every event', () => {
    const songs = new Map<string, ListenRecord>();
    const listeners = new Map<string, ListenRecord>();
    for (const e of week()) {
      const song = songs.get(e.song_id) ?? e;
      songs.set(e.song_id, song);
      expect([e.song, e.artist, e.duration]).toEqual([song.song, song.artist, song.duration]);
      const listener = listeners.get(e.user_id) ?? e;
      listeners.set(e.user_id, listener);
      expect([e.level, e.state]).toEqual([listener.level, listener.state]);
      expect(e.song_id).toMatch(/^SO[A-Z0-9]{16}$/);
    }
    // About an eighth as many artists as songs, a few popular ones with many songs.
    const artists = new Set([...songs.values()].map((s) => s.artist));
    expect(artists.size).toBeGreaterThan(50);
    expect(artists.size).toBeLessThan(songs.size / 4);
  });

  it('skips about a fifth of plays, each shorter than 30 s; plays the whole song otherwise', () => {
    const events = week();
    const skips = events.filter((e) => e.skipped);
    expect(skips.length / events.length).toBeGreaterThan(0.12);
    expect(skips.length / events.length).toBeLessThan(0.35);
    for (const e of events) {
      if (e.skipped) expect(e.ms_played).toBeLessThan(SKIP_BEFORE_MS);
      else expect(e.ms_played).toBe(Math.round(e.duration * 1000));
    }
    // Songs differ in how often they are skipped: among songs with 100+ plays, rates spread over 10 points.
    const plays = countBy(events, (e) => e.song_id);
    const skipped = countBy(skips, (e) => e.song_id);
    const rates = [...plays].filter(([, n]) => n >= 100).map(([id, n]) => (skipped.get(id) ?? 0) / n);
    expect(Math.max(...rates) - Math.min(...rates)).toBeGreaterThan(0.1);
  });

  it('has Zipf-like songs and listeners: the top 1 % of songs take a fifth of plays, heavy listeners many times the median', () => {
    const events = week();
    const songs = [...countBy(events, (e) => e.song_id).values()].sort((a, b) => b - a);
    expect(songs.slice(0, 20).reduce((a, b) => a + b, 0) / events.length).toBeGreaterThan(0.2);
    const listeners = [...countBy(events, (e) => e.user_id).values()].sort((a, b) => b - a);
    expect(listeners[0]).toBeGreaterThan(5 * (listeners[listeners.length >> 1] ?? 0));
  });

  it('plays sessions of about a dozen songs, numbered from 0, one listener each', () => {
    const events = week();
    const sessions = new Map<string, ListenRecord[]>();
    for (const e of events) sessions.set(e.session_id, [...(sessions.get(e.session_id) ?? []), e]);
    const mean = events.length / sessions.size;
    expect(mean).toBeGreaterThan(8);
    expect(mean).toBeLessThan(16);
    for (const listens of sessions.values()) {
      expect(new Set(listens.map((e) => e.user_id)).size).toBe(1);
      expect(listens.map((e) => e.item_in_session)).toEqual(listens.map((_, i) => i));
    }
  });

  it('follows each listener’s hours: a heavy listener’s busiest hours see several times their quietest', () => {
    const events = week();
    const [heaviest] = [...countBy(events, (e) => e.user_id)].sort((a, b) => b[1] - a[1]);
    const hours = new Array<number>(24).fill(0);
    for (const e of events) {
      const hour = new Date(e.ts).getUTCHours();
      if (e.user_id === heaviest?.[0]) hours[hour] = (hours[hour] ?? 0) + 1;
    }
    const sums = hours.map((_, h) => (hours[h] ?? 0) + (hours[(h + 1) % 24] ?? 0) + (hours[(h + 2) % 24] ?? 0));
    expect(Math.max(...sums) / Math.max(1, Math.min(...sums))).toBeGreaterThan(2.5);
  });
});
