import { describe, expect, it } from 'vitest';
import { addValue, emptyState, finalValue, mergeStates } from '../../src/domain/aggregation-state.js';
import type { AggregationKind } from '../../src/features/define.js';

function fold(kind: AggregationKind, values: [number | string, number][]) {
  const state = emptyState();
  for (const [v, t] of values) addValue(kind, state, v, t);
  return state;
}

describe('aggregation states', () => {
  const values: [number, number][] = [
    [5, 100],
    [2, 300],
    [9, 200],
  ];

  it.each([
    ['count', 3],
    ['sum', 16],
    ['avg', 16 / 3],
    ['min', 2],
    ['max', 9],
    ['last', 2],
  ] as const)('%s of 5@100, 2@300, 9@200 is %s', (kind, expected) => {
    expect(finalValue(kind, fold(kind, values))).toBeCloseTo(expected, 12);
  });

  it('merging split halves equals folding everything, for every kind', () => {
    for (const kind of ['count', 'sum', 'avg', 'min', 'max', 'last'] as const) {
      const whole = finalValue(kind, fold(kind, values));
      const merged = finalValue(kind, mergeStates(kind, fold(kind, values.slice(0, 1)), fold(kind, values.slice(1))));
      expect(merged).toBe(whole);
    }
  });

  it('last breaks event-time ties in favour of the later state', () => {
    const earlier = fold('last', [['a', 500]]);
    const later = fold('last', [['b', 500]]);
    expect(finalValue('last', mergeStates('last', earlier, later))).toBe('b');
    expect(
      finalValue(
        'last',
        fold('last', [
          ['a', 500],
          ['b', 500],
        ]),
      ),
    ).toBe('b');
  });

  it('keeps the newest event time as freshness', () => {
    expect(fold('min', values).t).toBe(300);
  });

  it('serves 0 for empty count and sum, null for the rest', () => {
    expect(finalValue('count', emptyState())).toBe(0);
    expect(finalValue('sum', emptyState())).toBe(0);
    for (const kind of ['avg', 'min', 'max', 'last'] as const) expect(finalValue(kind, emptyState())).toBeNull();
  });
});
