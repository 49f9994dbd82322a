/**
 * The publish-model manifest against the example catalog: short forms and
 * long forms resolve to the artifact's inputs (expected inputs written out by
 * hand), defaults come from the catalog's model of the same name, and every
 * mistake is refused naming the input and what is wrong.
 */
import { describe, expect, it } from 'vitest';
import { exampleCatalog } from '../../src/features/catalog.js';
import { parseManifest, resolveManifest } from '../../src/models/onnx/manifest.js';

const resolve = (manifest: unknown) => resolveManifest(parseManifest(manifest), exampleCatalog);
const user = (inputs: unknown[], extra: Record<string, unknown> = {}) => ({
  name: 'buyer_xgb',
  entity: 'user',
  inputs,
  ...extra,
});

describe('publish-model manifest', () => {
  it('resolves short and long forms in order, raw numerics (mean 0, std 1, fill 0) unless told', () => {
    const resolved = resolve(
      user([
        'user_clickstream.views_1h',
        'time.hour_of_day',
        { source: 'user_clickstream.revenue_24h', mean: 50, std: 25, fill: 1 },
        {
          source: 'user_profiles.subscription_tier',
          type: 'categorical',
          categories: ['free', 'basic', 'premium'],
        },
        { name: 'coupon', source: { kind: 'request' } },
      ]),
    );
    expect(resolved.inputs).toEqual([
      {
        name: 'views_1h',
        source: { kind: 'view', view: 'user_clickstream', feature: 'views_1h' },
        type: 'numeric',
        mean: 0,
        std: 1,
        fill: 0,
      },
      { name: 'hour_of_day', source: { kind: 'time', part: 'hour_of_day' }, type: 'numeric', mean: 0, std: 1, fill: 0 },
      {
        name: 'revenue_24h',
        source: { kind: 'view', view: 'user_clickstream', feature: 'revenue_24h' },
        type: 'numeric',
        mean: 50,
        std: 25,
        fill: 1,
      },
      {
        name: 'subscription_tier',
        source: { kind: 'batch', source: 'user_profiles', feature: 'subscription_tier' },
        type: 'categorical',
        categories: ['free', 'basic', 'premium'],
      },
      { name: 'coupon', source: { kind: 'request' }, type: 'numeric', mean: 0, std: 1, fill: 0 },
    ]);
    expect(resolved.onnx).toEqual({ input: 'input', output: 'probabilities', positiveIndex: 1 });
    expect(resolved.decision).toEqual({ threshold: 0.5, positive: '1', negative: '0' });
  });

  it("takes the classes of the catalog's model of the same name", () => {
    const resolved = resolve({ ...user(['user_clickstream.views_1h']), name: 'purchase_propensity' });
    expect(resolved.decision).toEqual({ threshold: 0.5, positive: 'purchase', negative: 'no_purchase' });
  });

  it.each([
    [
      'an unknown feature',
      user(['user_clickstream.views_2h']),
      /inputs\[0\] \(user_clickstream\.views_2h\): feature view user_clickstream has no feature "views_2h"/,
    ],
    [
      'an unknown view',
      user(['user_clicks.views_1h']),
      /inputs\[0\] \(user_clicks\.views_1h\): the catalog has no feature view or batch source "user_clicks"/,
    ],
    [
      'a feature of another entity',
      user(['user_clickstream.views_1h', 'object_access.download_count_24h']),
      /inputs\[1\] \(object_access\.download_count_24h\): object_access\.download_count_24h is a feature of object, not of the model's entity user/,
    ],
    [
      'an unknown batch feature',
      user(['user_profiles.income']),
      /batch source user_profiles serves no "income" \(it serves age, country/,
    ],
    ['text as a number', user(['user_profiles.country']), /inputs\[0\] \(user_profiles\.country\): serves text, not a number/],
    ['a list', user(['user_clickstream.last_products_viewed_1h']), /serves a list of values/],
    ['categorical without categories', user([{ source: 'user_profiles.country', type: 'categorical' }]), /needs its categories/],
    ['an unknown entity', { ...user(['user_clickstream.views_1h']), entity: 'customer' }, /the catalog has no entity "customer"/],
    [
      "the catalog model's name for another entity",
      { ...user(['object_access.download_count_24h']), entity: 'object', name: 'purchase_propensity' },
      /the catalog's model purchase_propensity scores user, not object/,
    ],
    ['a time part that is not one', user(['time.minute']), /the time parts are hour_of_day, day_of_week, is_weekend/],
    [
      'two inputs of one name',
      user(['user_clickstream.views_1h', { name: 'views_1h', source: 'time.is_weekend' }]),
      /the name "views_1h" is taken/,
    ],
    [
      'a typo in a key',
      { ...user(['user_clickstream.views_1h']), onnx: { ouptut: 'probabilities' } },
      /the manifest is not valid: onnx: Unrecognized key: "ouptut"/,
    ],
    ['no inputs', user([]), /inputs: Too small/],
    ['a name that is not snake_case', { ...user(['user_clickstream.views_1h']), name: 'Buyer' }, /name: snake_case/],
  ])('refuses %s, naming it', (_, manifest, message) => {
    expect(() => resolve(manifest)).toThrow(message);
  });
});
