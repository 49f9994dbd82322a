/**
 * The feature catalog: every event source, entity and feature view featurelake
 * serves. This module is the single source of truth — the CDK app sizes and
 * wires resources from it, the aggregator and API Lambdas compute and serve it,
 * the local stack runs it and the Athena SQL is generated from it.
 *
 * To add a feature: add an aggregation (or a ratio) to a view. To add a view:
 * define it below and list it in `featureViews`.
 */
import * as z from 'zod';
import { defineModel } from '../models/define.js';
import { defineBatchSource } from './batch-source.js';
import {
  type Catalog,
  defineCatalog,
  defineEntity,
  defineFeatureView,
  defineSource,
  type Entity,
  type FeatureView,
} from './define.js';
import { eventTime, id } from './examples/fields.js';
import { listenEvents, listener, listenerActivity, song, songPlays } from './examples/music.js';
import { accessLogs, isHot, objectAccess, objectMetadata, storedObject } from './examples/tiering.js';
import { defineLabel } from './labels.js';

export { eventTime } from './examples/fields.js';

/** Clickstream of an online shop (seed 002's stream generator). */
export const clickstream = defineSource({
  name: 'clickstream',
  description: 'Page views, clicks, add-to-cart and purchase events of shop users.',
  eventTimeField: 'event_time',
  schema: z
    .object({
      event_id: id,
      user_id: id,
      session_id: id.optional(),
      event_type: z.enum(['page_view', 'click', 'add_to_cart', 'purchase']),
      product_id: id.optional(),
      category: z.string().min(1).max(64).optional(),
      price: z.number().finite().nonnegative().optional(),
      device: z.enum(['mobile', 'desktop', 'tablet']).optional(),
      event_time: eventTime,
    })
    .refine((e) => e.event_type !== 'purchase' || e.price !== undefined, {
      message: 'a purchase needs a price',
      path: ['price'],
    }),
  // Data quality (src/quality/expectations.ts): a price past a billion is a corrupt or mis-scaled event, not a sale
  // (quarantined); past 100,000 it is only unusual for this shop (counted).
  expectations: [
    { name: 'price_plausible', kind: 'range', field: 'price', max: 1_000_000_000, severity: 'hard' },
    { name: 'price_typical', kind: 'range', field: 'price', max: 100_000 },
    { name: 'category_mostly_present', kind: 'not_null', field: 'category', minRate: 0.7 },
    { name: 'event_id_unique', kind: 'unique_within_batch', field: 'event_id' },
    { name: 'fresh_within_5m', kind: 'freshness', maxAgeSeconds: 300 },
    { name: 'hourly_volume', kind: 'volume_per_hour', min: 1, max: 3_600_000 },
  ],
});

export type ClickstreamEvent = z.infer<typeof clickstream.schema>;

export const user = defineEntity({
  name: 'user',
  description: 'A shop user, keyed by user_id (e.g. user_000042).',
  keyField: 'user_id',
});

/** Seed 002's user_click_features, as sliding windows: 1 h every 10 min, 24 h, 7 d. */
export const userClickstream = defineFeatureView({
  name: 'user_clickstream',
  description: 'Shopping activity of a user: funnel counts, spend and recency over 1 h, 24 h and 7 d.',
  entity: user,
  source: clickstream,
  windows: [
    { name: '1h', length: '1h', hop: '10m' },
    { name: '24h', length: '24h', hop: '1h' },
    { name: '7d', length: '7d', hop: '1d' },
    // Since the user's first event: one tile per user that never expires (first_event_type_lifetime is the very first).
    { name: 'lifetime', length: 'lifetime' },
  ],
  ttl: '9d',
  aggregations: [
    { name: 'events', kind: 'count', description: 'All events.' },
    { name: 'views', kind: 'count', where: { field: 'event_type', equals: 'page_view' }, description: 'Page views.' },
    { name: 'clicks', kind: 'count', where: { field: 'event_type', equals: 'click' }, description: 'Clicks.' },
    {
      name: 'add_to_carts',
      kind: 'count',
      where: { field: 'event_type', equals: 'add_to_cart' },
      description: 'Products added to the cart.',
    },
    { name: 'purchases', kind: 'count', where: { field: 'event_type', equals: 'purchase' }, description: 'Purchases.' },
    {
      name: 'revenue',
      kind: 'sum',
      field: 'price',
      where: { field: 'event_type', equals: 'purchase' },
      description: 'Total spent.',
    },
    {
      name: 'avg_order_value',
      kind: 'avg',
      field: 'price',
      where: { field: 'event_type', equals: 'purchase' },
      description: 'Mean purchase price.',
    },
    {
      name: 'min_price_viewed',
      kind: 'min',
      field: 'price',
      where: { field: 'event_type', equals: 'page_view' },
      description: 'Cheapest product viewed.',
    },
    {
      name: 'max_price_viewed',
      kind: 'max',
      field: 'price',
      where: { field: 'event_type', equals: 'page_view' },
      description: 'Most expensive product viewed.',
    },
    { name: 'last_event_type', kind: 'last', field: 'event_type', description: 'Type of the newest event.' },
    { name: 'last_category', kind: 'last', field: 'category', description: 'Category of the newest event that has one.' },
    { name: 'first_event_type', kind: 'first', field: 'event_type', description: 'Type of the oldest event.' },
    {
      name: 'seconds_since_last_event',
      kind: 'time_since_last',
      description: 'Seconds from the newest event to the read (recency).',
    },
    {
      name: 'price_viewed_stddev',
      kind: 'stddev',
      field: 'price',
      where: { field: 'event_type', equals: 'page_view' },
      description: 'Spread of the prices of products viewed (sample standard deviation).',
    },
    {
      name: 'last_products_viewed',
      kind: 'last_k_distinct',
      field: 'product_id',
      k: 5,
      where: { field: 'event_type', equals: 'page_view' },
      description: 'The last 5 distinct products viewed, newest first.',
    },
  ],
  ratios: [
    {
      name: 'cart_rate',
      numerator: 'add_to_carts',
      denominator: 'views',
      whenUndefined: 0,
      description: 'Add-to-carts per page view.',
    },
    {
      name: 'conversion_rate',
      numerator: 'purchases',
      denominator: 'views',
      whenUndefined: 0,
      description: 'Purchases per page view.',
    },
  ],
});

const metric = z.number().int();

/** Application usage logs (seed 004's CSV logs): per user and app, nine integer metrics. */
export const appLogs = defineSource({
  name: 'app_logs',
  description: 'Application usage logs: one row per user action in an app, with nine integer metrics.',
  eventTimeField: 'timestamp',
  schema: z.object({
    timestamp: eventTime,
    user: id,
    app: z.string().min(1).max(64),
    metric_1: metric,
    metric_2: metric,
    metric_3: metric,
    metric_4: metric,
    metric_5: metric,
    metric_6: metric,
    metric_7: metric,
    metric_8: metric,
    metric_9: metric,
  }),
  expectations: [{ name: 'fresh_within_15m', kind: 'freshness', maxAgeSeconds: 900 }],
});

/** A user of seed 004's apps, keyed by the logs' `user` field (user1 … user100). */
export const appUser = defineEntity({
  name: 'app_user',
  description: 'A user of the applications in the usage logs (seed 004), keyed by its user field.',
  keyField: 'user',
});

/** An application of seed 004's logs (facebook, maps, …). */
export const app = defineEntity({
  name: 'app',
  description: 'An application in the usage logs (seed 004), keyed by its app field.',
  keyField: 'app',
});

const METRICS = Array.from({ length: 9 }, (_, i) => `metric_${i + 1}` as const);

/** Seed 004's log rows and sums of metric_1 … metric_9 of one entity of the logs, over 30 minutes and a day. */
function metricSumsView(name: string, entity: Entity, who: string): FeatureView {
  return defineFeatureView({
    name,
    description: `Seed 004 per ${who}: log rows and sums of metric_1 … metric_9 over 30 min and a day.`,
    entity,
    source: appLogs,
    // 30 min reads 7 five-minute tiles, a day 13 two-hour ones (default hops).
    windows: [
      { name: '30m', length: '30m' },
      { name: '1d', length: '1d' },
    ],
    // Tiles must outlive a replay of the stream (lateness + retention: 8 days in prod) to stay exactly-once.
    ttl: '9d',
    aggregations: [
      { name: 'actions', kind: 'count', description: `Log rows of the ${who}.` },
      ...METRICS.map((metric) => ({ name: metric, kind: 'sum' as const, field: metric, description: `Sum of ${metric}.` })),
    ],
  });
}

export const appUserMetrics = metricSumsView('app_user_metrics', appUser, 'user');
export const appMetrics = metricSumsView('app_metrics', app, 'app');

/** Model predictions (seed 001's prediction log): what POST /predict logs (src/models/prediction-log.ts), and other services may. */
export const predictions = defineSource({
  name: 'predictions',
  description: 'One row per model prediction: input, label, confidence, latency, model and deployment.',
  eventTimeField: 'timestamp',
  // An inference service that retries a timed-out log call puts the same prediction twice: count it once.
  dedupeBy: { field: 'prediction_id', horizon: '1h' },
  schema: z.object({
    timestamp: eventTime,
    prediction_id: id,
    model_name: z.string().min(1).max(200),
    model_version: z.string().max(64).optional(),
    /** The API request that asked: several entities of one request share it. */
    request_id: z.string().max(128).optional(),
    entity_type: z.string().max(64).optional(),
    entity_id: id.optional(),
    text: z.string().max(10_000).optional(),
    /** The input values scored, as a JSON object (name → value). */
    features: z.string().max(65_536).optional(),
    /** Scored by a shadow version: logged for comparison, never returned to the caller. */
    shadow: z.boolean().optional(),
    label: z.string().min(1).max(64),
    score: z.number().min(0).max(1),
    inference_time_ms: z.number().finite().nonnegative(),
    backend: z.string().max(32).optional(),
    cached: z.boolean().optional(),
    app_version: z.string().max(64).optional(),
    environment: z.string().min(1).max(32),
  }),
  expectations: [
    { name: 'prediction_id_unique', kind: 'unique_within_batch', field: 'prediction_id' },
    { name: 'inference_under_10s', kind: 'range', field: 'inference_time_ms', max: 10_000 },
    { name: 'model_version_present', kind: 'not_null', field: 'model_version', minRate: 0.9 },
  ],
});

export const sources = [clickstream, appLogs, predictions, accessLogs, listenEvents] as const;
export const entities = [user, appUser, app, storedObject, song, listener] as const;
// Seed 003's song view first: the demo (npm start -- --workload music) counts and shows songs by the first view's entity.
export const featureViews = [userClickstream, appUserMetrics, appMetrics, objectAccess, songPlays, listenerActivity] as const;

/** Seed 002's target: after a page view, does the user buy within the hour? */
export const purchaseWithin1h = defineLabel({
  name: 'purchase_within_1h',
  description: 'At each page view of a user: 1 when the user makes a purchase in the next hour, else 0.',
  entity: user,
  source: clickstream,
  where: { field: 'event_type', equals: 'purchase' },
  horizon: '1h',
  atLeast: 1,
  observe: { where: { field: 'event_type', equals: 'page_view' } },
});

export const labels = [purchaseWithin1h, isHot] as const;

/** Seed 002's user profiles (its batch generator's file, Feast's user_profile_features): one row per user, as of updated_at. */
export const userProfiles = defineBatchSource({
  name: 'user_profiles',
  description: "Shop users' profile attributes from seed 002's batch files: age, country, subscription tier, activity weight.",
  entity: user,
  asOfField: 'updated_at',
  schema: z.object({
    user_id: id,
    age: z.number().int().min(13).max(120),
    country: z.string().regex(/^[A-Z]{2}$/, 'an ISO 3166 alpha-2 code (e.g. DE)'),
    subscription_tier: z.enum(['free', 'basic', 'premium']),
    activity_weight: z.number().finite().nonnegative().optional(),
    updated_at: eventTime,
  }),
  features: ['age', 'country', 'subscription_tier', 'activity_weight'],
});

export const batchSources = [userProfiles, objectMetadata] as const;

/** Seed 002's real-time inference: will this user buy within the hour? From the clickstream features as of now. */
export const purchasePropensity = defineModel({
  name: 'purchase_propensity',
  description: "Seed 002: the probability that a user purchases within the next hour, from the user's clickstream features.",
  label: purchaseWithin1h,
  views: [userClickstream],
  timeInputs: true,
  algorithms: ['logistic', 'tree', 'gbdt'],
  floor: { metric: 'rocAuc', min: 0.7 },
  classes: { negative: 'no_purchase', positive: 'purchase' },
  // Hourly activity swings with the time of day: its 1 h counts get more room; the score is what callers act on.
  drift: {
    psi: 0.2,
    ks: 0.1,
    score: { psi: 0.1, ks: 0.1 },
    features: { events_1h: { psi: 0.3, ks: 0.15 }, last_category_24h: { psi: 0.25 } },
  },
});

/** Seed 000's storage tiering: is this object going to be hot (≥ 3 downloads in the next 24 h)? */
export const hotObject = defineModel({
  name: 'hot_object',
  description:
    'Seed 000: the probability that an object is downloaded at least 3 times in the next 24 h (keep it hot), from its access features.',
  label: isHot,
  views: [objectAccess],
  algorithms: ['logistic', 'tree', 'gbdt'],
  floor: { metric: 'rocAuc', min: 0.7 },
  classes: { negative: 'cold', positive: 'hot' },
  drift: {
    psi: 0.2,
    ks: 0.1,
    features: { download_count_24h: { psi: 0.2, ks: 0.1 } },
  },
});

export const models = [purchasePropensity, hotObject] as const;

/** The example catalog the app deploys and the local stack runs unless given another. */
export const exampleCatalog: Catalog = defineCatalog({ sources, entities, featureViews, labels, batchSources, models });
