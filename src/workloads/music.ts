/**
 * Synthetic listen events, the equivalent of seed 003's eventsim stream (its
 * listen_events topic) with what a player reports beside: how long a song
 * played and whether it was skipped.
 *
 * - **Songs and artists**: a catalog of two songs per listener (2,000 for the
 *   default 1,000 listeners; the seed uses a 10,000-song subset of the Million
 *   Song Dataset; `songs` sets it) by about an eighth as
 *   many artists, popular artists having more songs; MSD-style ids (SO…),
 *   made-up titles and names, durations log-normal around 3:50 (60 s – 15 min).
 * - **Zipf-like popularity**: song 1 is the most played (weight 1 / rank);
 *   listeners too (weight 1 / rank^0.8: a few heavy listeners).
 * - **Sessions**: about rate × 4 min sessions are open at once (a song lasts
 *   about that long); each event plays the next song of a random open session,
 *   a third of the time another song of the same artist (album listening), and
 *   ends the session with probability 1/12 (eventsim's sessions are a dozen
 *   songs or so). A listener has one session open at a time.
 * - **A diurnal pattern per listener**: a listener from a US state listens
 *   mostly around a local peak hour (commute, lunch, evening or night), ±80 %;
 *   a new session goes to a listener by activity × the hour. The total rate
 *   stays --rate (consecutive events 1000 / rate ms apart).
 * - **Skips**: each song has a skip propensity (8 – 43 %), each listener a
 *   multiplier (0.5 – 1.5); a skip plays 1 – 30 s, any other play the whole song.
 *
 * Everything derives from the seed: the same options give the same events.
 */
import { diurnal, hash32, normalFrom, Random, unitHash, Zipf } from './random.js';
import type { Workload, WorkloadOptions } from './workload.js';

export interface ListenRecord {
  readonly source: 'listen_events';
  /** Epoch milliseconds, as eventsim's ts. */
  readonly ts: number;
  readonly user_id: string;
  readonly session_id: string;
  readonly song_id: string;
  readonly song: string;
  readonly artist: string;
  readonly duration: number;
  readonly ms_played: number;
  readonly skipped: boolean;
  readonly level: 'free' | 'paid';
  readonly item_in_session: number;
  readonly state: string;
}

export interface MusicOptions extends WorkloadOptions {
  /** Songs in the catalog. @default two per listener, 50 to 10,000 */
  readonly songs?: number;
}

export const DEFAULT_LISTENERS = 1_000;
/** A play shorter than this is a skip (Spotify's rule). */
export const SKIP_BEFORE_MS = 30_000;
const MEAN_SONG_SECONDS = 240;
const SESSION_END = 1 / 12;
const SAME_ARTIST = 1 / 3;
const DIURNAL_AMPLITUDE = 0.8;

/** US states with their share of listeners and UTC offset (standard time). */
const STATES = [
  ['CA', 12, -8],
  ['TX', 9, -6],
  ['FL', 7, -5],
  ['NY', 6, -5],
  ['PA', 4, -5],
  ['IL', 4, -6],
  ['OH', 3.5, -5],
  ['GA', 3.3, -5],
  ['NC', 3.2, -5],
  ['MI', 3, -5],
  ['WA', 2.4, -8],
  ['AZ', 2.2, -7],
  ['CO', 1.8, -7],
  ['MN', 1.7, -6],
] as const;
/** Local hours listening peaks at, and how common each habit is. */
const HABITS = [
  [8, 25],
  [13, 20],
  [20, 40],
  [23, 15],
] as const;
const WORDS = [
  'Midnight',
  'River',
  'Golden',
  'Echo',
  'Neon',
  'Summer',
  'Ghost',
  'Velvet',
  'Paper',
  'Fire',
  'Ocean',
  'Silver',
  'Broken',
  'Wild',
  'Heart',
  'City',
  'Rain',
  'Electric',
  'Lonely',
  'Sky',
  'Honey',
  'Stone',
  'Dream',
  'Static',
] as const;

interface SongSpec {
  readonly id: string;
  readonly title: string;
  readonly artist: number;
  readonly duration: number;
  readonly skipPropensity: number;
}

interface ListenerSpec {
  readonly id: string;
  readonly level: 'free' | 'paid';
  readonly state: string;
  readonly peakUtcHour: number;
  readonly skipMultiplier: number;
}

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

function pickWeighted<T extends readonly [unknown, number, ...unknown[]]>(u: number, items: readonly T[]): T {
  const total = items.reduce((sum, item) => sum + item[1], 0);
  let r = u * total;
  for (const item of items) {
    r -= item[1];
    if (r < 0) return item;
  }
  return items[items.length - 1] as T;
}

const word = (...values: number[]) => WORDS[hash32(...values) % WORDS.length] as string;

function songSpec(seed: number, index: number, artists: Zipf): SongSpec {
  let id = 'SO';
  for (let k = 0; k < 16; k++) id += ALNUM[hash32(seed, index, 100 + k) % ALNUM.length];
  const twoWords = unitHash(seed, index, 1) < 0.6;
  const seconds = Math.exp(Math.log(MEAN_SONG_SECONDS) + 0.25 * normalFrom(unitHash(seed, index, 2), unitHash(seed, index, 3)));
  return {
    id,
    title: twoWords ? `${word(seed, index, 4)} ${word(seed, index, 5)}` : word(seed, index, 4),
    // Popular artists have more songs: each song's artist is a Zipf draw of its own.
    artist: artists.draw(new Random(hash32(seed, index, 6))),
    duration: Math.round(Math.min(900, Math.max(60, seconds)) * 100_000) / 100_000,
    skipPropensity: 0.08 + 0.35 * unitHash(seed, index, 7) ** 2,
  };
}

function artistName(seed: number, index: number): string {
  const u = unitHash(seed, index, 8);
  const a = word(seed, index, 9);
  const b = word(seed, index, 10);
  return u < 0.4 ? `The ${a} ${b}s` : u < 0.7 ? `${a} ${b}` : `DJ ${a}`;
}

function listenerSpec(seed: number, index: number): ListenerSpec {
  const [state, , offset] = pickWeighted(unitHash(seed, index, 20), STATES);
  const [localPeak] = pickWeighted(unitHash(seed, index, 21), HABITS);
  return {
    id: `user_${String(index + 1).padStart(6, '0')}`,
    level: unitHash(seed, index, 22) < 0.3 ? 'paid' : 'free',
    state,
    peakUtcHour: (localPeak - offset + 24) % 24,
    skipMultiplier: 0.5 + unitHash(seed, index, 23),
  };
}

interface Session {
  readonly id: string;
  readonly listener: ListenerSpec;
  item: number;
  lastSong: number;
}

export function* listenEvents(options: MusicOptions): Generator<ListenRecord> {
  const { seed } = options;
  const random = new Random(seed);
  const listenerCount = options.entities ?? DEFAULT_LISTENERS;
  const songCount = options.songs ?? Math.min(10_000, Math.max(50, 2 * listenerCount));
  const artistCount = Math.max(1, Math.round(songCount / 8));
  const artistPopularity = new Zipf(artistCount, 1);
  const songs = Array.from({ length: songCount }, (_, i) => songSpec(seed, i, artistPopularity));
  const artists = Array.from({ length: artistCount }, (_, i) => artistName(seed, i));
  const songsByArtist = Array.from({ length: artistCount }, () => [] as number[]);
  for (const [i, s] of songs.entries()) songsByArtist[s.artist]?.push(i);
  const listeners = Array.from({ length: listenerCount }, (_, i) => listenerSpec(seed, i));
  const songPopularity = new Zipf(songCount, 1);
  const listenerActivity = new Zipf(listenerCount, 0.8);
  const spacing = 1000 / options.ratePerSecond;
  const run = hash32(seed, options.startMs).toString(36);

  let sessionCount = 0;
  const listening = new Set<ListenerSpec>();
  const openSession = (ms: number): Session => {
    // By activity, kept with the odds of the listener's hour and if not already listening: a bounded rejection sample.
    let listener = listeners[listenerActivity.draw(random)] as ListenerSpec;
    for (let tries = 0; tries < 30; tries++) {
      const awake = random.next() * (1 + DIURNAL_AMPLITUDE) < diurnal(ms, listener.peakUtcHour, DIURNAL_AMPLITUDE);
      if (awake && !listening.has(listener)) break;
      listener = listeners[listenerActivity.draw(random)] as ListenerSpec;
    }
    listening.add(listener);
    return { id: `${run}-${(sessionCount++).toString(36)}`, listener, item: 0, lastSong: -1 };
  };
  const concurrent = Math.max(1, Math.min(Math.floor(listenerCount / 2), Math.round(options.ratePerSecond * MEAN_SONG_SECONDS)));
  const sessions: Session[] = [];

  for (let i = 0; i < options.events; i++) {
    const ms = Math.floor(options.startMs + i * spacing + random.next() * spacing);
    const slot = random.int(concurrent);
    let session = sessions[slot];
    if (!session || random.chance(SESSION_END)) {
      if (session) listening.delete(session.listener);
      session = openSession(ms);
      sessions[slot] = session;
    }
    const previous = songs[session.lastSong];
    const siblings = previous ? (songsByArtist[previous.artist] as number[]) : [];
    const index =
      siblings.length > 1 && random.chance(SAME_ARTIST) ? (random.pick(siblings) as number) : songPopularity.draw(random);
    const song = songs[index] as SongSpec;
    session.lastSong = index;
    const skipped = random.chance(Math.min(0.9, song.skipPropensity * session.listener.skipMultiplier));
    const fullMs = Math.round(song.duration * 1000);
    yield {
      source: 'listen_events',
      ts: ms,
      user_id: session.listener.id,
      session_id: session.id,
      song_id: song.id,
      song: song.title,
      artist: artists[song.artist] as string,
      duration: song.duration,
      ms_played: skipped ? Math.min(fullMs, 1_000 + random.int(SKIP_BEFORE_MS - 1_000)) : fullMs,
      skipped,
      level: session.listener.level,
      item_in_session: session.item++,
      state: session.listener.state,
    };
  }
}

export const music: Workload<ListenRecord> = {
  name: 'music',
  source: 'listen_events',
  description: 'Listen events of a music service: Zipf songs and listeners, sessions, local listening hours, skips (seed 003).',
  defaultEntities: DEFAULT_LISTENERS,
  generate: listenEvents,
};
