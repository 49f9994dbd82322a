/**
 * Synthetic object-storage access logs, the equivalent of seed 000's
 * generate_synthetic_access_logs with what makes tiering worth learning:
 *
 * - **Objects with fixed attributes**: object_1 … object_N (N = --users,
 *   default 1,000, the seed's pool) each have one bucket of 20, one content
 *   type (from its extension), one size (log-normal, the seed's mean 15 and
 *   sigma 2 in log bytes: a few KB to a few GB) and a tier (80 % hot, the seed's).
 *   The seed draws these per record; an object's size does not change per request.
 * - **Zipf-like popularity**: object_1 is the most requested (weight 1 / rank^1.1),
 *   and users too (user_1 … user_100, the seed's, weight 1 / rank).
 * - **A diurnal pattern per bucket**: each bucket serves a region whose
 *   requests peak at its working hours (06:00, 14:00 or 19:00 UTC), ±70 %.
 *   The total rate stays --rate (consecutive events 1000 / rate ms apart, so
 *   a paced --send stamps each event as it goes); which objects are busy changes
 *   with the hour.
 * - **Bursts that make objects hot**: at any time about 1 % of the objects are
 *   bursting (a shared link, a release), each for 2–12 hours of event time;
 *   a fifth of all requests go to them, nine in ten of those downloads. Any
 *   object can burst, so the tail gets hot too — what is_hot has to predict.
 * - Otherwise the seed's action mix (upload 30 %, download 60 %, delete 10 %)
 *   and success rate (95 %).
 *
 * Everything derives from the seed: the same options give the same events.
 */

import { sizeCategory } from '../features/examples/tiering.js';
import { diurnal, hash32, normalFrom, Random, unitHash, Zipf } from './random.js';
import type { Workload, WorkloadOptions } from './workload.js';

export interface AccessLogRecord {
  readonly source: 'access_logs';
  /** ISO-8601 UTC with milliseconds. */
  readonly timestamp: string;
  readonly user: string;
  readonly action: 'upload_object' | 'download_object' | 'delete_object';
  readonly bucket: string;
  readonly object_key: string;
  readonly size: number;
  readonly tier: 'hot' | 'cold';
  readonly success: boolean;
  readonly content_type: string;
  readonly user_agent: string;
}

export const DEFAULT_OBJECTS = 1_000;
export const TIERING_USERS = 100;
const BUCKETS = 20;
/** Region peaks in UTC hours (APAC, EU, US working hours), and how far activity swings around its mean. */
const REGION_PEAKS = [6, 14, 19] as const;
const DIURNAL_AMPLITUDE = 0.7;
const BURST_SHARE = 0.2;
const BURST_MIN_MS = 2 * 3_600_000;
const BURST_MAX_MS = 12 * 3_600_000;

/** The seed's extensions and content types, with how common each is. */
const FILE_TYPES = [
  ['jpg', 'image/jpeg', 30],
  ['mp4', 'video/mp4', 15],
  ['pdf', 'application/pdf', 25],
  ['txt', 'text/plain', 15],
  ['zip', 'application/zip', 15],
] as const;
const USER_AGENTS = [
  ['intellistore-client/1.0', 85],
  ['aws-cli/2.15.30', 10],
  ['Boto3/1.34.69', 5],
] as const;

export interface StoredObjectSpec {
  readonly key: string;
  readonly bucket: string;
  readonly size: number;
  readonly contentType: string;
  readonly tier: 'hot' | 'cold';
  /** Index into REGION_PEAKS of its bucket. */
  readonly region: number;
}

function weightedPick<T>(u: number, items: readonly (readonly [...unknown[], number])[], map: (i: number) => T): T {
  const total = items.reduce((sum, item) => sum + (item.at(-1) as number), 0);
  let r = u * total;
  for (const [i, item] of items.entries()) {
    r -= item.at(-1) as number;
    if (r < 0) return map(i);
  }
  return map(items.length - 1);
}

/** Object `index` (0-based; object_1 is the most popular) of a seed's pool: the same in every run of that seed. */
export function storedObjectSpec(seed: number, index: number): StoredObjectSpec {
  const type = weightedPick(unitHash(seed, index, 1), FILE_TYPES, (i) => FILE_TYPES[i] as (typeof FILE_TYPES)[number]);
  const bucket = hash32(seed, index, 2) % BUCKETS;
  const logSize = 15 + 2 * normalFrom(unitHash(seed, index, 3), unitHash(seed, index, 4));
  return {
    key: `object_${index + 1}.${type[0]}`,
    bucket: `bucket-${String(bucket + 1).padStart(2, '0')}`,
    size: Math.max(1, Math.round(Math.exp(logSize))),
    contentType: type[1],
    tier: unitHash(seed, index, 5) < 0.8 ? 'hot' : 'cold',
    region: bucket % REGION_PEAKS.length,
  };
}

export function* accessLogEvents(options: WorkloadOptions): Generator<AccessLogRecord> {
  const random = new Random(options.seed);
  const count = options.entities ?? DEFAULT_OBJECTS;
  const objects = Array.from({ length: count }, (_, i) => storedObjectSpec(options.seed, i));
  const users = new Zipf(TIERING_USERS, 1);
  // Per region, its objects and their popularity, so a draw picks a region by the hour, then an object in it.
  const regions = REGION_PEAKS.map((peak, r) => {
    const members = objects.flatMap((o, i) => (o.region === r ? [i] : []));
    const cumulative: number[] = [];
    let total = 0;
    for (const i of members) {
      total += 1 / (i + 1) ** 1.1;
      cumulative.push(total);
    }
    return { peak, members, cumulative, total };
  }).filter((region) => region.members.length > 0);
  const inRegion = (region: (typeof regions)[number]): number => {
    const r = random.next() * region.total;
    let lo = 0;
    let hi = region.members.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((region.cumulative[mid] as number) > r) hi = mid;
      else lo = mid + 1;
    }
    return region.members[lo] as number;
  };
  const bursts: { object: number; untilMs: number }[] = [];
  const burstSlots = Math.max(1, Math.round(count / 100));
  const spacing = 1000 / options.ratePerSecond;

  for (let i = 0; i < options.events; i++) {
    const ms = Math.floor(options.startMs + i * spacing + random.next() * spacing);
    let object: number;
    let action: AccessLogRecord['action'];
    if (random.chance(BURST_SHARE)) {
      const slot = random.int(burstSlots);
      let burst = bursts[slot];
      if (!burst || burst.untilMs <= ms) {
        burst = { object: random.int(count), untilMs: ms + BURST_MIN_MS + random.int(BURST_MAX_MS - BURST_MIN_MS) };
        bursts[slot] = burst;
      }
      object = burst.object;
      action = random.chance(0.9) ? 'download_object' : 'upload_object';
    } else {
      const weights = regions.map((region) => region.total * diurnal(ms, region.peak, DIURNAL_AMPLITUDE));
      object = inRegion(random.weighted(regions, weights));
      const r = random.next();
      action = r < 0.3 ? 'upload_object' : r < 0.9 ? 'download_object' : 'delete_object';
    }
    const spec = objects[object] as StoredObjectSpec;
    yield {
      source: 'access_logs',
      timestamp: new Date(ms).toISOString(),
      user: `user_${users.draw(random) + 1}`,
      action,
      bucket: spec.bucket,
      object_key: spec.key,
      size: spec.size,
      tier: spec.tier,
      success: random.chance(0.95),
      content_type: spec.contentType,
      user_agent: weightedPick(random.next(), USER_AGENTS, (k) => (USER_AGENTS[k] as (typeof USER_AGENTS)[number])[0]),
    };
  }
}

/**
 * Seed 000's object metadata for the same pool: one row per object, as the
 * `object_metadata` batch source takes it (size category by the seed's bins).
 */
export function objectMetadataRows(options: { seed: number; objects?: number }) {
  return Array.from({ length: options.objects ?? DEFAULT_OBJECTS }, (_, i) => {
    const spec = storedObjectSpec(options.seed, i);
    return {
      object_key: spec.key,
      bucket: spec.bucket,
      size: spec.size,
      content_type: spec.contentType,
      size_category: sizeCategory(spec.size),
    };
  });
}

export const tiering: Workload<AccessLogRecord> = {
  name: 'tiering',
  source: 'access_logs',
  description:
    "Object storage access logs with Zipf popularity, regional working hours and download bursts (seed 000's tiering).",
  defaultEntities: DEFAULT_OBJECTS,
  generate: accessLogEvents,
};
