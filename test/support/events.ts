/** Test fixtures: clickstream events and the stream records that carry them. */
import type { StreamRecord } from '../../src/domain/records.js';

/** A small deterministic PRNG (mulberry32), so fixtures are reproducible. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const TYPES = ['page_view', 'page_view', 'page_view', 'click', 'click', 'add_to_cart', 'purchase'] as const;
const CATEGORIES = ['books', 'games', 'garden', 'tools'];

/** `count` events for `users` users with event times spread over [nowMs − spanMs, nowMs], in random (out-of-order) order. */
export function clickEvents(options: { count: number; users: number; nowMs: number; spanMs: number; seed: number }) {
  const next = rng(options.seed);
  return Array.from({ length: options.count }, (_, i) => {
    const eventType = TYPES[Math.floor(next() * TYPES.length)] as (typeof TYPES)[number];
    const withPrice = eventType !== 'click' && next() < 0.9;
    return {
      source: 'clickstream',
      event_id: `evt-${options.seed}-${i}`,
      user_id: `user_${String(1 + Math.floor(next() * options.users)).padStart(6, '0')}`,
      event_type: eventType,
      ...(withPrice || eventType === 'purchase' ? { price: Math.round(next() * 50_000) / 100 } : {}),
      ...(next() < 0.8 ? { category: CATEGORIES[Math.floor(next() * CATEGORIES.length)] } : {}),
      event_time: new Date(Math.round(options.nowMs - next() * options.spanMs)).toISOString(),
    };
  });
}

/** Wraps payloads as stream records of one shard with increasing sequence numbers. */
export function asRecords(
  payloads: readonly unknown[],
  options: { shardId?: string; firstSequence?: bigint; arrivalTimeMs: number },
): StreamRecord[] {
  const first = options.firstSequence ?? 49_000_000_000_000_000_000_000_000_000_000_000_000_000_000n;
  return payloads.map((payload, i) => ({
    data: Buffer.from(typeof payload === 'string' ? payload : JSON.stringify(payload)).toString('base64'),
    sequenceNumber: String(first + BigInt(i) * 7n),
    partitionKey: String((payload as { user_id?: string }).user_id ?? 'x'),
    shardId: options.shardId ?? 'shardId-000000000000',
    arrivalTimeMs: options.arrivalTimeMs,
  }));
}
