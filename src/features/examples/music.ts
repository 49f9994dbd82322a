/**
 * Seed 003 (Streamify: eventsim's fake music service): listen events, and
 * online the numbers its hourly batch job computes for the dashboard — plays
 * per song per hour, active listeners, listens per user per day, skip rate —
 * fresh to the second instead of to the hour.
 *
 * Top songs is a ranking across songs, and every kind aggregates the events
 * of one entity: no view can serve it. The lake does, with
 * athena/music_top_songs.sql (per hour or day, by plays, with listeners and
 * skip rate). Platform-wide active users is likewise a lake query's count
 * (`count(DISTINCT user_id)`); online, each song serves its distinct listeners.
 */
import * as z from 'zod';
import { defineEntity, defineFeatureView, defineSource } from '../define.js';
import { eventTime, id } from './fields.js';

/**
 * Eventsim's listen_events (artist, song, duration, ts, sessionId, level,
 * itemInSession, state, userId) in snake_case, with what a player reports
 * and eventsim lacks: the song's id (titles repeat across artists), how long
 * it played and whether the listener skipped it.
 */
export const listenEvents = defineSource({
  name: 'listen_events',
  description:
    "A song played to a listener (seed 003's eventsim listen_events), with how long it played and whether it was skipped.",
  eventTimeField: 'ts',
  schema: z.object({
    ts: eventTime,
    user_id: id,
    session_id: id,
    /** Million Song Dataset style (SO + 16 characters). */
    song_id: id,
    song: z.string().min(1).max(512),
    artist: z.string().min(1).max(512),
    /** The song's length in seconds (eventsim's duration). */
    duration: z.number().finite().positive(),
    ms_played: z.number().int().nonnegative(),
    /** Ended by the listener before 30 s of play. */
    skipped: z.boolean(),
    level: z.enum(['free', 'paid']),
    item_in_session: z.number().int().nonnegative().optional(),
    /** US state code, as eventsim's. */
    state: z.string().length(2).optional(),
  }),
});

export type ListenEvent = z.infer<typeof listenEvents.schema>;

export const song = defineEntity({
  name: 'song',
  description: 'A song of the listen events (seed 003), keyed by song_id.',
  keyField: 'song_id',
});

export const listener = defineEntity({
  name: 'listener',
  description: 'A listener of the music service (seed 003), keyed by user_id.',
  keyField: 'user_id',
});

/** Per song: plays per hour (1 h sliding every 5 min: 13 tiles) and per day (hop 1 h: 25 tiles). */
export const songPlays = defineFeatureView({
  name: 'song_plays',
  description: 'Seed 003 per song: plays, distinct listeners, skips and skip rate over the last hour and day.',
  entity: song,
  source: listenEvents,
  windows: [
    { name: '1h', length: '1h' },
    { name: '24h', length: '24h', hop: '1h' },
  ],
  ttl: '9d',
  aggregations: [
    { name: 'plays', kind: 'count', description: 'Times the song was played (skipped or not).' },
    {
      name: 'listeners',
      kind: 'distinct_count',
      field: 'user_id',
      description: 'Distinct listeners: the active users of the song (exact up to 100, HyperLogLog beyond).',
    },
    { name: 'skips', kind: 'count', where: { field: 'skipped', equals: true }, description: 'Plays skipped before 30 s.' },
    { name: 'ms_played', kind: 'sum', field: 'ms_played', description: 'Milliseconds of the song played.' },
  ],
  ratios: [{ name: 'skip_rate', numerator: 'skips', denominator: 'plays', whenUndefined: 0, description: 'Skips per play.' }],
});

/** Per listener: listens per day (hop 2 h: 13 tiles) and per week (hop 1 d: 8 tiles). */
export const listenerActivity = defineFeatureView({
  name: 'listener_activity',
  description: 'Seed 003 per listener: listens, listening time, skips, variety and recency over a day and a week.',
  entity: listener,
  source: listenEvents,
  windows: [
    { name: '1d', length: '1d' },
    { name: '7d', length: '7d' },
  ],
  ttl: '9d',
  aggregations: [
    { name: 'listens', kind: 'count', description: 'Songs played.' },
    { name: 'skips', kind: 'count', where: { field: 'skipped', equals: true }, description: 'Songs skipped before 30 s.' },
    { name: 'ms_played', kind: 'sum', field: 'ms_played', description: 'Listening time in milliseconds.' },
    { name: 'distinct_songs', kind: 'distinct_count', field: 'song_id', description: 'Different songs played.' },
    { name: 'distinct_artists', kind: 'distinct_count', field: 'artist', description: 'Different artists played.' },
    {
      name: 'last_artists',
      kind: 'last_k_distinct',
      field: 'artist',
      k: 3,
      description: 'The last 3 distinct artists played, newest first.',
    },
    { name: 'seconds_since_last_listen', kind: 'time_since_last', description: 'Seconds from the newest listen to the read.' },
  ],
  ratios: [{ name: 'skip_rate', numerator: 'skips', denominator: 'listens', whenUndefined: 0, description: 'Skips per listen.' }],
});
