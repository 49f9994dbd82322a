/**
 * Seed 000 (IntelliStore's hot/cold tiering): S3 access-log records, and per
 * object the features its notebook computes for "will this object be hot in
 * the next 24 hours?", online instead of in a batch loop over a DataFrame.
 *
 * The seed's features and what serves them here:
 *
 * | seed                    | here                                                                           |
 * | ----------------------- | ------------------------------------------------------------------------------ |
 * | `access_count_7d`       | `access_count_7d` (count)                                                      |
 * | `download_count_7d`     | `download_count_7d` (count where action = download_object)                     |
 * | `unique_users_7d`       | `unique_users_7d` (distinct_count of user)                                     |
 * | `avg_daily_access`      | `access_count_7d` / 7: a model learns the constant                             |
 * | `last_access_hours_ago` | `seconds_since_last_access_7d` (time_since_last serves seconds, not hours)     |
 * | `recent_access_trend`   | `recent_access_trend` (trend: count 24h / max(1, count 7d / 7), the seed's)    |
 * | `hour_of_day`, …        | properties of the observation time, not aggregations: the training-set builder |
 * | `size_category`, …      | batch source `object_metadata`: size, content type, size category per object   |
 * | `is_hot`                | label `is_hot` (at least 3 download_object in the next 24 h)                   |
 */
import * as z from 'zod';
import { defineBatchSource } from '../batch-source.js';
import { defineEntity, defineFeatureView, defineSource } from '../define.js';
import { defineLabel } from '../labels.js';
import { eventTime, id } from './fields.js';

/** The actions of the seed's access logs (its generator draws them 30 / 60 / 10 %). */
export const ACCESS_ACTIONS = ['upload_object', 'download_object', 'delete_object'] as const;

/** Seed 000's `access-logs` topic: one record per request on an object. */
export const accessLogs = defineSource({
  name: 'access_logs',
  description: "Object storage access logs (seed 000's access-logs topic): who did what to which object, and its size.",
  eventTimeField: 'timestamp',
  schema: z.object({
    timestamp: eventTime,
    user: id,
    action: z.enum(ACCESS_ACTIONS),
    bucket: z.string().min(3).max(63),
    /** The seed's `object`: the key, which the seed's features call object_key. */
    object_key: z.string().min(1).max(1024),
    /** Bytes. */
    size: z.number().int().nonnegative(),
    /** The storage tier the object is in when accessed. */
    tier: z.enum(['hot', 'cold']).optional(),
    success: z.boolean(),
    /** The seed's metadata.content_type and metadata.user_agent, flattened: the lake's columns are flat. */
    content_type: z.string().min(1).max(255).optional(),
    user_agent: z.string().max(512).optional(),
  }),
});

export type AccessLogEvent = z.infer<typeof accessLogs.schema>;

/** A stored object, keyed by its key (the seed groups its logs by object key alone, whatever the bucket). */
export const storedObject = defineEntity({
  name: 'object',
  description: 'A stored object of the access logs (seed 000), keyed by object_key (e.g. object_42.jpg).',
  keyField: 'object_key',
});

/**
 * The seed's per-object features. The 24 h window (hop 1 h) and the 7 d window
 * (hop 6 h) read 25 + 29 = 54 tiles; one 3 h width for both would read 57 and
 * write one tile per object instead of two, but its 24 h window would cover up
 * to 27 h (12 % more than the seed's), which the trend's numerator feels.
 */
export const objectAccess = defineFeatureView({
  name: 'object_access',
  description: 'Seed 000 per object: accesses, downloads, distinct users and recency over 24 h and 7 d, and the access trend.',
  entity: storedObject,
  source: accessLogs,
  windows: [
    { name: '24h', length: '24h', hop: '1h' },
    { name: '7d', length: '7d', hop: '6h' },
  ],
  // Tiles must outlive a replay of the stream (lateness + retention: 8 days in prod) to stay exactly-once.
  ttl: '9d',
  aggregations: [
    { name: 'access_count', kind: 'count', description: 'Requests on the object, any action.' },
    {
      name: 'download_count',
      kind: 'count',
      where: { field: 'action', equals: 'download_object' },
      description: 'Downloads of the object.',
    },
    {
      name: 'unique_users',
      kind: 'distinct_count',
      field: 'user',
      description: 'Distinct users who accessed the object (exact up to 100, HyperLogLog beyond).',
    },
    {
      name: 'seconds_since_last_access',
      kind: 'time_since_last',
      description: "Seconds from the newest access to the read: the seed's last_access_hours_ago × 3,600.",
    },
  ],
  trends: [
    {
      name: 'recent_access_trend',
      aggregation: 'access_count',
      recent: '24h',
      baseline: '7d',
      minBaseline: 1,
      whenUndefined: 0,
      description:
        "Accesses in the last 24 h against the 7-day daily pace: count_24h / max(1, count_7d / 7), the seed's formula.",
    },
  ],
});

/**
 * The seed's target: at each access of an object, is it downloaded at least 3
 * times in the next 24 h? The seed's look-ahead includes the access itself;
 * here it starts strictly after (labels.ts), so an observation never labels itself.
 */
export const isHot = defineLabel({
  name: 'is_hot',
  description: 'At each access of an object: 1 when it is downloaded at least 3 times in the next 24 h, else 0.',
  entity: storedObject,
  source: accessLogs,
  where: { field: 'action', equals: 'download_object' },
  horizon: '24h',
  atLeast: 3,
});

/** The seed's size categories: its `pd.cut` bins, upper edges inclusive, in bytes. */
export const SIZE_CATEGORIES = [
  ['small', 1_024],
  ['medium', 1_024 * 1_024],
  ['large', 100 * 1_024 * 1_024],
  ['xlarge', Number.POSITIVE_INFINITY],
] as const;

export type SizeCategory = (typeof SIZE_CATEGORIES)[number][0];

/** The seed's size_category of a size in bytes. */
export function sizeCategory(size: number): SizeCategory {
  return (SIZE_CATEGORIES.find(([, upTo]) => size <= upTo) ?? SIZE_CATEGORIES[3])[0];
}

/**
 * The object metadata the seed joins to its logs (size, content type and the
 * size category it derives), as files: one row per object, as of the upload.
 */
export const objectMetadata = defineBatchSource({
  name: 'object_metadata',
  description:
    "Seed 000's object metadata: each object's size, content type and size category (small ≤ 1 KiB, medium ≤ 1 MiB, large ≤ 100 MiB, xlarge).",
  entity: storedObject,
  schema: z.object({
    object_key: z.string().min(1).max(1024),
    bucket: z.string().min(3).max(63).optional(),
    size: z.number().int().nonnegative(),
    content_type: z.string().min(1).max(255),
    size_category: z.enum(['small', 'medium', 'large', 'xlarge'] satisfies SizeCategory[]),
  }),
  features: ['size', 'content_type', 'size_category'],
});
