/** A clickstream view with every aggregation kind, a filter of each form, a ratio and a trend: for the offline and consistency tests. */
import { clickstream, user } from '../../src/features/catalog.js';
import { defineFeatureView, type FeatureView } from '../../src/features/define.js';

const purchase = { field: 'event_type', equals: 'purchase' } as const;

/** Every kind, a filter, a ratio and a trend, over a 10-minute, an hour, a day, a two-day (hierarchical) and a lifetime window. */
export const everyKind: FeatureView = defineFeatureView({
  name: 'every_kind',
  description: 'Every aggregation kind, for the offline tests.',
  entity: user,
  source: clickstream,
  windows: [
    { name: '10m', length: '10m', hop: '1m' },
    { name: '1h', length: '1h', hop: '10m' },
    { name: '1d', length: '1d' },
    // Hierarchical: 12-hour tiles for the body, hourly ones at the old edge.
    { name: '2d', length: '2d', hop: '12h', edge: '1h' },
    { name: 'all', length: 'lifetime' },
  ],
  ttl: '9d',
  aggregations: [
    { name: 'events', kind: 'count', description: '' },
    { name: 'purchases', kind: 'count', where: purchase, description: '' },
    { name: 'views_or_clicks', kind: 'count', where: { field: 'event_type', in: ['page_view', 'click'] }, description: '' },
    { name: 'revenue', kind: 'sum', field: 'price', where: purchase, description: '' },
    { name: 'avg_price', kind: 'avg', field: 'price', description: '' },
    { name: 'min_price', kind: 'min', field: 'price', description: '' },
    { name: 'max_price', kind: 'max', field: 'price', description: '' },
    { name: 'last_type', kind: 'last', field: 'event_type', description: '' },
    { name: 'first_category', kind: 'first', field: 'category', description: '' },
    { name: 'price_variance', kind: 'variance', field: 'price', description: '' },
    { name: 'price_stddev', kind: 'stddev', field: 'price', description: '' },
    { name: 'since_last', kind: 'time_since_last', description: '' },
    { name: 'last_products', kind: 'last_k_distinct', field: 'product_id', k: 3, description: '' },
    { name: 'products', kind: 'distinct_count', field: 'product_id', description: '' },
    { name: 'p90_price', kind: 'percentile', field: 'price', quantile: 0.9, description: '' },
  ],
  ratios: [{ name: 'purchase_rate', numerator: 'purchases', denominator: 'events', whenUndefined: 0, description: '' }],
  trends: [
    { name: 'trend', aggregation: 'events', recent: '1h', baseline: '1d', minBaseline: 1, whenUndefined: null, description: '' },
  ],
});
