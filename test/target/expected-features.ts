/**
 * What the API must serve for a user, computed here from the events the suite
 * sent and nothing else: counts and sums by event type, the documented defaults
 * (0 for counts, sums and ratios; null for averages, min, max and last). Valid
 * only while every event lies inside every window, which the suite checks
 * against the API's `asOf` before comparing.
 */
import type { ClickstreamRecord } from '../../src/workloads/clickstream.js';

export const WINDOWS = ['1h', '24h', '7d'] as const;

export interface UserExpectation {
  readonly events: number;
  /** Feature name (`views_1h`, …) → value, identical in every window. */
  readonly features: Record<string, number | string | null>;
  /** Event time of the user's newest event, epoch ms. */
  readonly newestMs: number;
}

export function expectedFeatures(events: readonly ClickstreamRecord[]): Map<string, UserExpectation> {
  const byUser = new Map<string, ClickstreamRecord[]>();
  for (const e of events) byUser.set(e.user_id, [...(byUser.get(e.user_id) ?? []), e]);
  const result = new Map<string, UserExpectation>();
  for (const [userId, mine] of byUser) {
    const ofType = (type: ClickstreamRecord['event_type']) => mine.filter((e) => e.event_type === type);
    const views = ofType('page_view').length;
    const purchases = ofType('purchase');
    const revenue = purchases.reduce((sum, e) => sum + (e.price ?? 0), 0);
    const viewedPrices = ofType('page_view').flatMap((e) => (e.price === undefined ? [] : [e.price]));
    const byTime = [...mine].sort((a, b) => Date.parse(a.event_time) - Date.parse(b.event_time));
    const newest = byTime.at(-1) as ClickstreamRecord;
    const newestMs = Date.parse(newest.event_time);
    // "last" is only well defined when one event is strictly the newest.
    const tie = byTime.filter((e) => Date.parse(e.event_time) === newestMs).length > 1;
    const withCategory = byTime.filter((e) => e.category !== undefined);
    const values: Record<string, number | string | null> = {
      events: mine.length,
      views,
      clicks: ofType('click').length,
      add_to_carts: ofType('add_to_cart').length,
      purchases: purchases.length,
      revenue,
      avg_order_value: purchases.length > 0 ? revenue / purchases.length : null,
      min_price_viewed: viewedPrices.length > 0 ? Math.min(...viewedPrices) : null,
      max_price_viewed: viewedPrices.length > 0 ? Math.max(...viewedPrices) : null,
      cart_rate: views > 0 ? ofType('add_to_cart').length / views : 0,
      conversion_rate: views > 0 ? purchases.length / views : 0,
      ...(tie ? {} : { last_event_type: newest.event_type, last_category: withCategory.at(-1)?.category ?? null }),
    };
    const features: Record<string, number | string | null> = {};
    for (const window of WINDOWS) for (const [name, value] of Object.entries(values)) features[`${name}_${window}`] = value;
    result.set(userId, { events: mine.length, features, newestMs });
  }
  return result;
}
