/**
 * Every aggregation kind of the registry against answers worked out by hand
 * or by a naive computation here, and the law the tiles rely on: folding a
 * sequence in any split and merging the parts equals folding it whole, and a
 * state survives its DynamoDB encoding.
 */
import { readFileSync } from 'node:fs';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DOCUMENT_TRANSLATION } from '../../src/aws/clients.js';
import type { Aggregation } from '../../src/features/define.js';
import { renderKindTable } from '../../src/features/kinds/docs.js';
import { AGGREGATION_KINDS, type AggregationKind, opsOf, type Scalar } from '../../src/features/kinds/index.js';
import { generatedBlock, normalizeMarkdown } from '../support/markdown.js';

/** A state's encoding as the DocumentClient stores and returns it (binary stays binary). */
const throughDynamoDb = (encoded: Record<string, unknown>) =>
  unmarshall(marshall(encoded, DOCUMENT_TRANSLATION.marshallOptions), DOCUMENT_TRANSLATION.unmarshallOptions) as Record<
    string,
    unknown
  >;

const aggregation = (kind: AggregationKind, extra: Partial<Aggregation> = {}): Aggregation => ({
  name: `a_${kind}`,
  kind,
  description: '',
  ...(kind === 'count' || kind === 'time_since_last' ? {} : { field: 'x' }),
  ...(kind === 'last_k_distinct' ? { k: 3 } : {}),
  ...(kind === 'percentile' ? { quantile: 0.5 } : {}),
  ...extra,
});

function fold(agg: Aggregation, values: readonly (readonly [Scalar, number])[]) {
  const ops = opsOf(agg);
  const state = ops.empty();
  for (const [v, t] of values) ops.add(state, v, t);
  return state;
}

const serve = (agg: Aggregation, values: readonly (readonly [Scalar, number])[], nowMs = 1_000) => {
  const ops = opsOf(agg);
  const state = fold(agg, values);
  return state.n === 0 ? ops.defaultValue : ops.value(state, { nowMs });
};

describe('aggregation kinds', () => {
  const values = [
    [5, 100],
    [2, 300],
    [9, 200],
  ] as const;

  it.each([
    ['count', 3],
    ['sum', 16],
    ['avg', 16 / 3],
    ['min', 2],
    ['max', 9],
    ['last', 2],
    ['first', 5],
    // sample variance of 5, 2, 9: mean 16/3, squared deviations 1/9 + 100/9 + 121/9 = 222/9, over n − 1 = 2
    ['variance', 222 / 18],
    ['stddev', Math.sqrt(222 / 18)],
    // newest event at 300 ms, read at 1,000 ms
    ['time_since_last', 0.7],
  ] as const)('%s of 5@100, 2@300, 9@200 is %s', (kind, expected) => {
    expect(serve(aggregation(kind), values) as number).toBeCloseTo(expected, 12);
  });

  it('last_k_distinct keeps the newest k distinct values, newest first', () => {
    const agg = aggregation('last_k_distinct', { k: 3 });
    const seen = [
      ['a', 1],
      ['b', 2],
      ['a', 3],
      ['c', 4],
      ['d', 5],
      ['c', 6],
    ] as const;
    expect(serve(agg, seen)).toEqual(['c', 'd', 'a']);
    // An older sighting of a value does not move it.
    expect(serve(agg, [...seen, ['d', 0]])).toEqual(['c', 'd', 'a']);
  });

  it('serves each kind’s default for an empty window', () => {
    const expected: Record<AggregationKind, unknown> = {
      count: 0,
      sum: 0,
      avg: null,
      min: null,
      max: null,
      last: null,
      first: null,
      variance: null,
      stddev: null,
      time_since_last: null,
      last_k_distinct: [],
      distinct_count: 0,
      percentile: null,
    };
    for (const kind of Object.keys(AGGREGATION_KINDS) as AggregationKind[]) {
      expect(serve(aggregation(kind, { k: 5 }), []), kind).toEqual(expected[kind]);
    }
  });

  it('variance needs two values; one value serves null', () => {
    expect(serve(aggregation('variance'), [[4, 1]])).toBeNull();
    expect(serve(aggregation('stddev'), [[4, 1]])).toBeNull();
  });

  it('breaks event-time ties by stream order: last takes the later, first keeps the earlier', () => {
    const tie = [
      ['a', 500],
      ['b', 500],
    ] as const;
    expect(serve(aggregation('last'), tie)).toBe('b');
    expect(serve(aggregation('first'), tie)).toBe('a');
    const last = opsOf(aggregation('last'));
    const first = opsOf(aggregation('first'));
    expect(last.value(last.merge(fold(aggregation('last'), [tie[0]]), fold(aggregation('last'), [tie[1]])), { nowMs: 0 })).toBe(
      'b',
    );
    expect(
      first.value(first.merge(fold(aggregation('first'), [tie[0]]), fold(aggregation('first'), [tie[1]])), { nowMs: 0 }),
    ).toBe('a');
  });

  it('keeps the newest event time as freshness', () => {
    expect(fold(aggregation('min'), values).t).toBe(300);
    expect(fold(aggregation('first'), values).t).toBe(300);
  });

  it('time_since_last never goes negative for an event ahead of the reader (clock skew)', () => {
    expect(serve(aggregation('time_since_last'), [[0, 5_000]], 1_000)).toBe(0);
  });

  it('rejects a last_k_distinct without a valid k', () => {
    const kind = AGGREGATION_KINDS.last_k_distinct;
    expect(kind.validate?.(aggregation('last_k_distinct', { k: undefined }))).toMatch(/needs k/);
    expect(kind.validate?.(aggregation('last_k_distinct', { k: 0 }))).toMatch(/needs k/);
    expect(kind.validate?.(aggregation('last_k_distinct', { k: 5 }))).toBeUndefined();
  });
});

describe('the merge law, for every kind', () => {
  // Mostly small values and times, so that ties are frequent; now and then magnitudes whose squares pass 2^53.
  const value = fc.oneof(
    { arbitrary: fc.integer({ min: -5, max: 5 }), weight: 4 },
    { arbitrary: fc.integer({ min: -3e9, max: 3e9 }).map((v) => v * 1e3), weight: 1 },
  );
  const events = fc.array(fc.tuple(value, fc.integer({ min: 0, max: 20 })), { maxLength: 30 });

  for (const kind of Object.keys(AGGREGATION_KINDS) as AggregationKind[]) {
    it(`${kind}: merge(fold(a), fold(b)) serves what fold(a ++ b) serves, and survives encoding`, () => {
      const agg = aggregation(kind, { k: 3 });
      const ops = opsOf(agg);
      fc.assert(
        fc.property(events, fc.nat(), (sequence, cut) => {
          const at = sequence.length === 0 ? 0 : cut % (sequence.length + 1);
          const whole = fold(agg, sequence);
          const merged = ops.merge(fold(agg, sequence.slice(0, at)), fold(agg, sequence.slice(at)));
          const value = (s: typeof whole) => (s.n === 0 ? ops.defaultValue : ops.value(s, { nowMs: 100 }));
          // Doubles: equal to 1e-9 relative (merging sums in another order rounds differently).
          const close = (a: unknown, b: unknown) =>
            typeof a === 'number' && typeof b === 'number'
              ? expect(Math.abs(a - b)).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(a), Math.abs(b)))
              : expect(a).toEqual(b);
          close(value(merged), value(whole));
          expect(merged.n).toBe(whole.n);
          expect(merged.t).toBe(whole.t);
          const roundTrip = ops.decode(throughDynamoDb(ops.encode(whole)));
          close(value(roundTrip), value(whole));
        }),
        { numRuns: 300, seed: 8 },
      );
    });
  }
});

describe('docs/aggregations.md', () => {
  it('lists every kind of the registry as rendered from it', () => {
    const doc = normalizeMarkdown(readFileSync(new URL('../../docs/aggregations.md', import.meta.url), 'utf8'));
    const block = generatedBlock(doc, 'kinds');
    expect(block).toBe(normalizeMarkdown(renderKindTable()));
    for (const kind of Object.keys(AGGREGATION_KINDS)) expect(block).toContain(`| \`${kind}\` |`);
  });
});
