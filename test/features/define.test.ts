/** The definition language refuses a wrong aggregation with a message naming the view, the aggregation and the problem. */
import { describe, expect, it } from 'vitest';
import { clickstream, user, userClickstream } from '../../src/features/catalog.js';
import { type Aggregation, defineCatalog, defineFeatureView } from '../../src/features/define.js';

const view = (aggregation: Omit<Partial<Aggregation>, 'kind'> & { kind: string }) =>
  defineFeatureView({
    name: 'v',
    description: '',
    entity: user,
    source: clickstream,
    windows: [{ name: '1h', length: '1h', hop: '10m' }],
    ttl: '2h',
    aggregations: [{ name: 'a', description: '', ...aggregation } as Aggregation],
  });

describe('defineFeatureView', () => {
  it.each([
    [{ kind: 'median', field: 'price' }, /feature view v: aggregation "a": unknown kind "median"; kinds: count, sum/],
    [{ kind: 'sum' }, /aggregation "a" \(sum\) needs a field/],
    [{ kind: 'sum', field: 'event_type' }, /aggregation "a" \(sum\) needs a numeric field; "event_type" is not one/],
    [{ kind: 'stddev', field: 'category' }, /needs a numeric field/],
    [{ kind: 'count', field: 'price' }, /aggregation "a" \(count\) reads no field, yet names "price"/],
    [{ kind: 'time_since_last', field: 'price' }, /reads no field/],
    [{ kind: 'last_k_distinct', field: 'product_id' }, /aggregation "a" \(last_k_distinct\) needs k, an integer 1–100/],
    [{ kind: 'last_k_distinct', field: 'product_id', k: 101 }, /needs k/],
    [{ kind: 'last', field: 'nope' }, /reads unknown field "nope"/],
  ])('refuses %j', (aggregation, message) => {
    expect(() => view(aggregation)).toThrow(message);
  });

  it.each([
    [{ kind: 'sum', field: 'price' }],
    [{ kind: 'last', field: 'event_type' }],
    [{ kind: 'first', field: 'category' }],
    [{ kind: 'time_since_last' }],
    [{ kind: 'last_k_distinct', field: 'product_id', k: 5 }],
  ])('accepts %j', (aggregation) => {
    expect(() => view(aggregation)).not.toThrow();
  });
});

describe('defineCatalog', () => {
  const catalog = { sources: [clickstream], entities: [user], featureViews: [userClickstream] };

  it('accepts the example catalog', () => {
    expect(() => defineCatalog(catalog)).not.toThrow();
  });

  it.each([
    [{ ...catalog, sources: [] }, /feature view user_clickstream reads source clickstream, which the catalog does not list/],
    [{ ...catalog, entities: [] }, /feature view user_clickstream describes entity user, which the catalog does not list/],
    [{ ...catalog, sources: [clickstream, clickstream] }, /source "clickstream" is defined twice/],
    [{ ...catalog, featureViews: [userClickstream, userClickstream] }, /feature view "user_clickstream" is defined twice/],
  ])('refuses a catalog that does not hold together (%#)', (bad, message) => {
    expect(() => defineCatalog(bad)).toThrow(message);
  });
});
