/**
 * The drift statistics against values worked by hand or read from tables:
 * KS of small samples against uniform references, PSI of two-bin splits,
 * chi-square p-values at the critical values of the textbook table and by the
 * closed forms of even and unit degrees of freedom.
 */
import { describe, expect, it } from 'vitest';
import {
  binCounts,
  chiSquare,
  chiSquareSurvival,
  knotBucket,
  knotCounts,
  ksFromCounts,
  ksStatistic,
  logGamma,
  psi,
  referenceCdf,
} from '../../src/drift/stats.js';

const percentiles = (f: (p: number) => number) => Array.from({ length: 101 }, (_, i) => f(i / 100));
const uniform01 = referenceCdf(percentiles((p) => p));

describe('referenceCdf', () => {
  it('interpolates linearly between the quantiles, 0 below the first and 1 from the last', () => {
    const cdf = referenceCdf(percentiles((p) => 100 * p));
    expect(cdf.at(37.5)).toBeCloseTo(0.375, 12);
    expect(cdf.at(-1)).toBe(0);
    expect(cdf.at(100)).toBe(1);
    expect(cdf.at(250)).toBe(1);
    expect(cdf.before(0)).toBe(0);
  });

  it('steps where quantiles repeat (an atom): 50 % at 0 in [0, 0, 0, 1, 2]', () => {
    const cdf = referenceCdf([0, 0, 0, 1, 2]);
    expect(cdf.before(0)).toBe(0);
    expect(cdf.at(0)).toBe(0.5);
    expect(cdf.at(0.5)).toBe(0.625);
    expect(cdf.at(1.5)).toBe(0.875);
  });
});

describe('KS', () => {
  it('of [0.1, 0.2, 0.9] against U(0, 1) is 2/3 − 0.2 = 7/15 (D+ at the second value)', () => {
    expect(ksStatistic([0.1, 0.2, 0.9], uniform01)).toBeCloseTo(7 / 15, 12);
  });

  it('of one value x against U(0, 1) is max(x, 1 − x)', () => {
    expect(ksStatistic([0.105], uniform01)).toBeCloseTo(0.895, 12);
    expect(ksStatistic([0.7], uniform01)).toBeCloseTo(0.7, 12);
  });

  it('from knot counts equals the exact statistic when the values are knots', () => {
    const knots = percentiles((p) => p);
    expect(ksFromCounts(knotCounts(knots, [0.1, 0.2, 0.9]), uniform01)).toBeCloseTo(7 / 15, 12);
  });

  it('from knot counts is within the quantile step (0.01) below the exact statistic', () => {
    const knots = percentiles((p) => p);
    // Exact: 0.895 at 0.105⁻; the knots see 0.89 at 0.11.
    expect(ksFromCounts(knotCounts(knots, [0.105]), uniform01)).toBeCloseTo(0.89, 12);
    let seed = 3;
    const next = () => {
      seed = (seed * 48_271) % 2_147_483_647;
      return seed / 2_147_483_647;
    };
    const sample = Array.from({ length: 500 }, () => next() ** 1.5).sort((a, b) => a - b);
    const exact = ksStatistic(sample, uniform01);
    const atKnots = ksFromCounts(knotCounts(knots, sample), uniform01);
    expect(atKnots).toBeLessThanOrEqual(exact + 1e-12);
    expect(exact - atKnots).toBeLessThanOrEqual(0.01);
  });

  it('is undefined without values', () => {
    expect(ksFromCounts(knotCounts([1, 2], []), uniform01)).toBeNaN();
  });
});

describe('knot buckets', () => {
  it('file a value as 2·#(knots < x) + [x is a knot]', () => {
    expect([0.5, 1, 1.5, 2, 3, 4].map((x) => knotBucket([1, 2, 3], x))).toEqual([0, 1, 2, 3, 5, 6]);
  });

  it('give the counts of the bins (eᵢ, eᵢ₊₁]', () => {
    const counts = knotCounts([1, 2, 3], [0.5, 1, 1.5, 2, 3, 4]);
    expect(binCounts(counts, [null, 2, null])).toEqual([4, 2]);
    expect(binCounts(counts, [null, 1, 3, null])).toEqual([2, 3, 1]);
  });
});

describe('PSI', () => {
  it('of 75/25 against 50/50 is 0.25 ln 1.5 + 0.25 ln 2', () => {
    expect(psi([0.5, 0.5], [75, 25])).toBeCloseTo(0.25 * Math.log(1.5) + 0.25 * Math.log(2), 12);
  });

  it('is 0 for the expected shares, an empty bin on both sides included', () => {
    expect(psi([0.5, 0.5, 0], [50, 50, 0])).toBe(0);
  });

  it('counts an empty bin as 1e-4: 100/0 against 50/50', () => {
    expect(psi([0.5, 0.5], [100, 0])).toBeCloseTo(0.5 * Math.log(2) + (0.5 - 1e-4) * Math.log(0.5 / 1e-4), 12);
  });
});

describe('chi-square', () => {
  it.each([
    [3.841459, 1, 0.05],
    [6.634897, 1, 0.01],
    [5.991465, 2, 0.05],
    [11.070498, 5, 0.05],
    [13.276704, 4, 0.01],
    [18.307038, 10, 0.05],
    [124.342113, 100, 0.05],
  ])('P(χ² ≥ %f | df %i) = %f (table of critical values)', (x, df, p) => {
    expect(chiSquareSurvival(x, df)).toBeCloseTo(p, 6);
  });

  it('matches the closed forms: e^(−x/2) Σ (x/2)^j / j! for even df', () => {
    for (const x of [0.3, 2, 7.5, 40]) {
      expect(chiSquareSurvival(x, 2)).toBeCloseTo(Math.exp(-x / 2), 12);
      const h = x / 2;
      expect(chiSquareSurvival(x, 6)).toBeCloseTo(Math.exp(-h) * (1 + h + h ** 2 / 2), 12);
    }
  });

  it('of a die rolled 60 times, [5, 8, 9, 8, 10, 20]: χ² 13.4, df 5, p ≈ 0.0199', () => {
    const result = chiSquare(new Array(6).fill(1 / 6), [5, 8, 9, 8, 10, 20]);
    expect(result.statistic).toBeCloseTo(13.4, 10);
    expect(result.df).toBe(5);
    expect(result.pValue).toBeCloseTo(0.019905, 5);
  });

  it('leaves out a category neither expected nor seen, and expects one seen but never expected at 1e-4', () => {
    expect(chiSquare([0.5, 0.5, 0], [50, 50, 0])).toEqual({ statistic: 0, df: 1, pValue: 1 });
    const unseen = chiSquare([0.5, 0.5, 0], [50, 49, 1]);
    expect(unseen.df).toBe(2);
    const e = 100 / (1 + 1e-4);
    expect(unseen.statistic).toBeCloseTo(
      (50 - e / 2) ** 2 / (e / 2) + (49 - e / 2) ** 2 / (e / 2) + (1 - e * 1e-4) ** 2 / (e * 1e-4),
      8,
    );
  });

  it('log Γ: ln 4! at 5, ln √π at ½', () => {
    expect(logGamma(5)).toBeCloseTo(Math.log(24), 12);
    expect(logGamma(0.5)).toBeCloseTo(Math.log(Math.sqrt(Math.PI)), 12);
  });
});
