/**
 * Training's measuring tools against examples worked by hand: ROC-AUC and
 * average precision (with ties), the confusion matrix and per-class
 * precision/recall/F1, log loss, stratified folds, reference distributions.
 */
import { describe, expect, it } from 'vitest';
import { categoricalDistribution, numericDistribution, quantile } from '../../src/models/train/distribution.js';
import { stratifiedFolds } from '../../src/models/train/folds.js';
import { averagePrecision, classificationMetrics, logLoss, rocAuc } from '../../src/models/train/metrics.js';

describe('rocAuc', () => {
  it('is the share of (positive, negative) pairs ranked right', () => {
    // Pairs (0.35|0.1 ✓, 0.35|0.4 ✗, 0.8|0.1 ✓, 0.8|0.4 ✓): 3 of 4.
    expect(rocAuc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1])).toBe(0.75);
    expect(rocAuc([0.9, 0.8, 0.1], [1, 1, 0])).toBe(1);
    expect(rocAuc([0.9, 0.8, 0.1], [0, 0, 1])).toBe(0);
  });

  it('counts a tie between a positive and a negative as half', () => {
    // Positives 0.5, 0.9; negatives 0.5, 0.2: ½ + 1 + 1 + 1 of 4.
    expect(rocAuc([0.5, 0.5, 0.2, 0.9], [1, 0, 0, 1])).toBe(0.875);
    expect(rocAuc([0.3, 0.3, 0.3, 0.3], [1, 0, 1, 0])).toBe(0.5);
  });

  it('is 0.5 when a class is missing', () => {
    expect(rocAuc([0.1, 0.2], [1, 1])).toBe(0.5);
  });
});

describe('averagePrecision', () => {
  it('sums precision at each threshold weighted by the recall it adds', () => {
    // Ranked 0.8 (+), 0.4 (−), 0.35 (+), 0.1 (−): ½·1 + ½·⅔.
    expect(averagePrecision([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1])).toBeCloseTo(5 / 6, 12);
  });

  it('takes tied scores as one step', () => {
    // 0.9 (+): recall ½, precision 1; the two 0.5s (one +): recall 1, precision ⅔.
    expect(averagePrecision([0.9, 0.5, 0.5, 0.1], [1, 0, 1, 0])).toBeCloseTo(0.5 + 1 / 3, 12);
    expect(averagePrecision([0.5, 0.9, 0.1, 0.5], [1, 1, 0, 0])).toBeCloseTo(0.5 + 1 / 3, 12);
  });
});

describe('classificationMetrics', () => {
  it('gives the confusion matrix, accuracy and each class’s precision, recall and F1 at the threshold', () => {
    // ≥ 0.5 predicted positive: 0.9 (+) tp, 0.6 (−) fp, 0.7 (+) tp; 0.4 (+) fn, 0.2 (−) tn.
    const m = classificationMetrics([0.9, 0.6, 0.4, 0.2, 0.7], [1, 0, 1, 0, 1], {
      algorithm: 'logistic',
      folds: 5,
      threshold: 0.5,
      classes: { negative: 'cold', positive: 'hot' },
    });
    expect(m.confusion).toEqual([
      [1, 1],
      [1, 2],
    ]);
    expect(m.accuracy).toBe(3 / 5);
    expect(m.perClass.hot).toEqual({ precision: 2 / 3, recall: 2 / 3, f1: expect.closeTo(2 / 3, 12), support: 3 });
    expect(m.perClass.cold).toEqual({ precision: 1 / 2, recall: 1 / 2, f1: 1 / 2, support: 2 });
    // −ln p of the true class: 0.9, 1 − 0.6, 0.4, 1 − 0.2, 0.7.
    expect(m.logLoss).toBeCloseTo(-(Math.log(0.9) + Math.log(0.4) + Math.log(0.4) + Math.log(0.8) + Math.log(0.7)) / 5, 12);
  });

  it('counts a score equal to the threshold as positive, and a class never predicted as precision 0', () => {
    const m = classificationMetrics([0.5, 0.5], [0, 1], {
      algorithm: 'tree',
      folds: 2,
      threshold: 0.5,
      classes: { negative: '0', positive: '1' },
    });
    expect(m.confusion).toEqual([
      [0, 1],
      [0, 1],
    ]);
    expect(m.perClass['0']).toEqual({ precision: 0, recall: 0, f1: 0, support: 1 });
  });

  it('log loss clips certain mistakes instead of returning infinity', () => {
    // −ln(1e-15) ≈ 34.54 (1 − 1e-15 is not exact in binary, hence 2 decimals).
    expect(logLoss([0, 1], [1, 0])).toBeCloseTo(-Math.log(1e-15), 2);
  });
});

describe('stratifiedFolds', () => {
  const labels = Array.from({ length: 1_000 }, (_, i) => (i % 10 === 3 ? 1 : 0));

  it('gives every fold the same share of positives', () => {
    const folds = stratifiedFolds(labels, 5, 42);
    for (let f = 0; f < 5; f++) {
      const members = labels.filter((_, i) => folds[i] === f);
      expect(members).toHaveLength(200);
      expect(members.filter((y) => y === 1)).toHaveLength(20);
    }
  });

  it('keeps fold sizes within one row when classes do not divide evenly', () => {
    const odd = Array.from({ length: 103 }, (_, i) => (i < 17 ? 1 : 0));
    const folds = stratifiedFolds(odd, 5, 1);
    const sizes = [0, 1, 2, 3, 4].map((f) => folds.filter((x) => x === f).length);
    const positives = [0, 1, 2, 3, 4].map((f) => odd.filter((y, i) => y === 1 && folds[i] === f).length);
    expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
    expect(Math.max(...positives) - Math.min(...positives)).toBeLessThanOrEqual(1);
  });

  it('is the same for the same seed and different for another', () => {
    expect([...stratifiedFolds(labels, 5, 42)]).toEqual([...stratifiedFolds(labels, 5, 42)]);
    expect([...stratifiedFolds(labels, 5, 43)]).not.toEqual([...stratifiedFolds(labels, 5, 42)]);
  });
});

describe('reference distributions', () => {
  it('numeric: counts, moments, inverted-CDF percentiles and decile bins', () => {
    const d = numericDistribution([3, 1, 2, 10, 4, 5, 6, null, 7, 8, 9, Number.NaN]);
    expect(d).toMatchObject({ count: 10, nulls: 2, mean: 5.5, min: 1, max: 10 });
    expect(d.std).toBeCloseTo(Math.sqrt(8.25), 12);
    // p-quantile = the ⌈p·10⌉-th smallest value.
    expect([d.quantiles[0], d.quantiles[1], d.quantiles[50], d.quantiles[51], d.quantiles[100]]).toEqual([1, 1, 5, 6, 10]);
    expect(d.bins.edges).toEqual([null, 1, 2, 3, 4, 5, 6, 7, 8, 9, null]);
    expect(d.bins.shares).toEqual(new Array(10).fill(0.1));
    expect(quantile([], 0.5)).toBe(0);
  });

  it('numeric: repeated values merge their bins', () => {
    const d = numericDistribution([0, 0, 0, 0, 0, 0, 0, 0, 1, 2]);
    expect(d.bins.edges).toEqual([null, 0, 1, null]);
    expect(d.bins.shares).toEqual([0.8, 0.1, 0.1]);
  });

  it('categorical: shares of the 50 most frequent, the rest as __other__', () => {
    const values = [
      ...Array.from({ length: 60 }, (_, i) => `c${String(i).padStart(2, '0')}`),
      ...new Array(40).fill('c59'),
      null,
    ];
    const d = categoricalDistribution(values);
    expect(d).toMatchObject({ type: 'categorical', count: 100, nulls: 1 });
    expect(d.shares.c59).toBe(0.41);
    // c59 first, then c00…c48 by name: 49 more; c49…c58 (10 values) are other.
    expect(d.shares.c48).toBe(0.01);
    expect(d.shares.c49).toBeUndefined();
    expect(d.shares.__other__).toBeCloseTo(0.1, 12);
    expect(Object.keys(d.shares)).toHaveLength(51);
  });
});
