/**
 * The sketch kinds against exact answers computed here: distinct_count is
 * exact up to 100 values and within 2 % at 1,000,000; percentile is within
 * its documented 1 % relative error at every quantile; and the worst case of
 * each, encoded as the tile item stores it, stays far under DynamoDB's 400 KB.
 */

import { inflateRawSync } from 'node:zlib';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { describe, expect, it } from 'vitest';
import type { Aggregation } from '../../src/features/define.js';
import { EXACT_LIMIT } from '../../src/features/kinds/distinct-count.js';
import { type AggregationState, opsOf } from '../../src/features/kinds/index.js';
import { MAX_BUCKETS, RELATIVE_ACCURACY } from '../../src/features/kinds/percentile.js';
import { dynamoItemBytes } from '../support/dynamo-size.js';

const distinct: Aggregation = { name: 'd', kind: 'distinct_count', field: 'x', description: '' };
const percentileAt = (quantile: number): Aggregation => ({
  name: 'p',
  kind: 'percentile',
  field: 'x',
  quantile,
  description: '',
});

function foldAll(agg: Aggregation, values: Iterable<string | number>): AggregationState {
  const ops = opsOf(agg);
  const state = ops.empty();
  for (const v of values) ops.add(state, v, 1);
  return state;
}
const served = (agg: Aggregation, state: AggregationState) => opsOf(agg).value(state, { nowMs: 0 }) as number;
const roundTrip = (agg: Aggregation, state: AggregationState) =>
  opsOf(agg).decode(unmarshall(marshall(opsOf(agg).encode(state), { removeUndefinedValues: true })));

function* ids(from: number, to: number) {
  for (let i = from; i < to; i++) yield `user_${i}`;
}

describe('distinct_count', () => {
  it(`is exact up to ${EXACT_LIMIT} distinct values, duplicates and types told apart`, () => {
    const values = [...ids(0, EXACT_LIMIT), ...ids(0, 50), 1, '1'];
    // 100 ids + the number 1 + the string "1" ("1" is not among the ids).
    const state = foldAll(distinct, values.slice(0, EXACT_LIMIT + 50));
    expect(served(distinct, state)).toBe(EXACT_LIMIT);
    expect(served(distinct, foldAll(distinct, [1, '1', 1, '1']))).toBe(2);
  });

  it.each([1_000, 10_000, 50_000, 200_000, 1_000_000])('is within 2 %% at %i distinct values', (n) => {
    const state = foldAll(distinct, ids(0, n));
    const estimate = served(distinct, state);
    expect(Math.abs(estimate - n) / n, `estimate ${estimate} for ${n}`).toBeLessThanOrEqual(0.02);
    // The stored form serves the same.
    expect(served(distinct, roundTrip(distinct, state))).toBe(estimate);
  });

  it('merges overlapping sketches into the union’s count', () => {
    const ops = opsOf(distinct);
    const a = foldAll(distinct, ids(0, 150_000));
    const b = foldAll(distinct, ids(100_000, 300_000));
    const merged = served(distinct, ops.merge(a, b));
    expect(Math.abs(merged - 300_000) / 300_000).toBeLessThanOrEqual(0.02);
    // A small exact set merged into a sketch.
    const small = foldAll(distinct, ids(1_000_000, 1_000_050));
    const withSmall = served(distinct, ops.merge(a, small));
    expect(Math.abs(withSmall - 150_050) / 150_050).toBeLessThanOrEqual(0.02);
  });

  it('refuses to read a stored state it cannot decode instead of serving 0', () => {
    expect(() => opsOf(distinct).decode({ n: 5, t: 1, r: 'AAAA' })).toThrow(/no hashes \(h\) and no registers/);
  });

  it('stores a hot entity’s sketch deflated, well under its 16 KiB of registers; a sparse one in 4 bytes per register', () => {
    const sparse = opsOf(distinct).encode(foldAll(distinct, ids(0, 1_000)));
    expect(sparse.s).toBeInstanceOf(Uint8Array);
    expect((sparse.s as Uint8Array).byteLength).toBeLessThanOrEqual(4 * 1_000);
    for (const n of [5_000, 100_000, 1_000_000]) {
      const state = foldAll(distinct, ids(0, n));
      const dense = opsOf(distinct).encode(state);
      // Under 8 KB, where the raw registers are 16,384 bytes: a tile write is charged half the units or less.
      expect((dense.z as Uint8Array).byteLength, `${n} values`).toBeLessThan(8_000);
      // And it decodes to the same estimate.
      expect(served(distinct, opsOf(distinct).decode(dense))).toBe(served(distinct, state));
    }
  });

  it('still reads the uncompressed dense form older items hold', () => {
    const state = foldAll(distinct, ids(0, 50_000));
    const registers = inflateRawSync(opsOf(distinct).encode(state).z as Uint8Array);
    expect(served(distinct, opsOf(distinct).decode({ n: state.n, t: state.t, r: new Uint8Array(registers) }))).toBe(
      served(distinct, state),
    );
  });
});

describe('percentile', () => {
  const quantiles = [0, 0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99, 1];
  /** A deterministic pseudo-random stream (mulberry32). */
  function random(seed: number) {
    let a = seed;
    return () => {
      a = (a + 0x6d2b79f5) | 0;
      let t = Math.imul(a ^ (a >>> 15), 1 | a);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }
  const next = random(42);
  const datasets: Record<string, number[]> = {
    'uniform prices': Array.from({ length: 20_000 }, () => Math.round(next() * 50_000) / 100),
    'log-normal latencies': Array.from({ length: 20_000 }, () =>
      Math.exp(3 + 1.5 * Math.sqrt(-2 * Math.log(next() + 1e-12)) * Math.cos(2 * Math.PI * next())),
    ),
    'signed with zeros': Array.from({ length: 5_001 }, (_, i) => (i % 10 === 0 ? 0 : (next() - 0.5) * 1_000)),
  };

  for (const [name, values] of Object.entries(datasets)) {
    it(`is within ${RELATIVE_ACCURACY * 100} % of the exact quantile: ${name}`, () => {
      const sorted = [...values].sort((a, b) => a - b);
      for (const q of quantiles) {
        // The inverted CDF (type 1): element ⌈q·n⌉ − 1, what DuckDB's quantile_disc returns.
        const exact = sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)] as number;
        const agg = percentileAt(q);
        const state = foldAll(agg, values);
        const estimate = served(agg, state);
        expect(Math.abs(estimate - exact), `q=${q}: ${estimate} vs ${exact}`).toBeLessThanOrEqual(
          RELATIVE_ACCURACY * Math.abs(exact) + 1e-9,
        );
        expect(served(agg, roundTrip(agg, state))).toBe(estimate);
      }
    });
  }

  it('merges: the quantile of merged halves equals the quantile of the whole sketch', () => {
    const values = datasets['log-normal latencies'] as number[];
    const agg = percentileAt(0.9);
    const whole = served(agg, foldAll(agg, values));
    const merged = opsOf(agg).merge(foldAll(agg, values.slice(0, 7_000)), foldAll(agg, values.slice(7_000)));
    expect(served(agg, merged)).toBe(whole);
  });
});

describe('worst-case tile items', () => {
  it('a tile with a dense distinct sketch and a full percentile sketch per sign stays under 100 KB of DynamoDB item size', () => {
    const dense = opsOf(distinct).encode(foldAll(distinct, ids(0, 1_000_000)));
    const agg = percentileAt(0.5);
    // Magnitudes over γ^(2·MAX_BUCKETS): every bucket used on both signs, then collapsed.
    const spread = Array.from({ length: 3 * MAX_BUCKETS }, (_, i) => 1.03 ** i * 1e-6);
    const sketch = opsOf(agg).encode(foldAll(agg, [...spread, ...spread.map((v) => -v)]));
    expect((sketch.p as unknown[]).length).toBe(MAX_BUCKETS);
    expect((sketch.m as unknown[]).length).toBe(MAX_BUCKETS);
    const item = {
      pk: 'user#user_000042',
      sk: 'user_clickstream#600#000002946123',
      v: 123_456,
      'wm#shardId-000000000003': '0'.repeat(64),
      fresh: 1_795_846_459_455,
      ttl: 1_796_846_459,
      a: { unique_products: dense, price_p50: sketch },
    };
    const bytes = dynamoItemBytes(marshall(item));
    expect(bytes).toBeLessThan(100_000);
    expect(bytes).toBeGreaterThan(16_384);
  });
});
