/**
 * The training algorithms against answers known without them — logistic
 * regression's closed-form optimum on a binary input, the split and leaves
 * of a tree worked out by hand, one boosting round's Newton leaves — then
 * trainModel end to end on seeded data: reproducible for a seed, above the
 * floor with signal and at chance with the labels shuffled.
 */
import { describe, expect, it } from 'vitest';
import { purchasePropensity } from '../../src/features/catalog.js';
import { parseArtifact } from '../../src/models/artifact.js';
import { createNativeScorer, scoreEncoded } from '../../src/models/score.js';
import { fitGbdt } from '../../src/models/train/gbdt.js';
import { fitLogistic } from '../../src/models/train/logistic.js';
import type { TrainingData } from '../../src/models/train/matrix.js';
import { logLoss } from '../../src/models/train/metrics.js';
import { fitInputs, MAX_CATEGORIES, selectInputs } from '../../src/models/train/preprocess.js';
import { syntheticTrainingTable } from '../../src/models/train/synthetic.js';
import { trainModel } from '../../src/models/train/train-model.js';
import { fitTree } from '../../src/models/train/tree.js';

/** One input column; labels and weights as given. */
function column(x: number[], y: number[], weight: number[] = x.map(() => 1)): TrainingData {
  return { x: { data: Float64Array.from(x), rows: x.length, cols: 1 }, y: Uint8Array.from(y), weight: Float64Array.from(weight) };
}

const logit = (p: number) => Math.log(p / (1 - p));

describe('fitLogistic', () => {
  // x = 0: 100 rows, 20 positive; x = 1: 100 rows, 60 positive. Unpenalised, the optimum fits each group's share exactly.
  const x = [...new Array(100).fill(0), ...new Array(100).fill(1)];
  const y = [
    ...Array.from({ length: 100 }, (_, i) => (i < 20 ? 1 : 0)),
    ...Array.from({ length: 100 }, (_, i) => (i < 60 ? 1 : 0)),
  ];

  it('reaches the closed-form optimum: intercept logit(0.2), weight logit(0.6) − logit(0.2) = ln 6', () => {
    const fit = fitLogistic(column(x, y), { l2: 0, maxIterations: 200, tolerance: 1e-10 });
    expect(fit.intercept).toBeCloseTo(logit(0.2), 6);
    expect(fit.weights[0]).toBeCloseTo(Math.log(6), 6);
  });

  it('weights rows: weight 2 on the x = 0 positives is as if they were there twice (40 of 120)', () => {
    const weight = x.map((xi, i) => (xi === 0 && y[i] === 1 ? 2 : 1));
    const fit = fitLogistic(column(x, y, weight), { l2: 0, maxIterations: 200, tolerance: 1e-10 });
    expect(fit.intercept).toBeCloseTo(logit(40 / 120), 6);
    expect((fit.weights[0] as number) + fit.intercept).toBeCloseTo(logit(0.6), 6);
  });

  it('L2 shrinks the weight toward 0', () => {
    const free = fitLogistic(column(x, y), { l2: 0, maxIterations: 200, tolerance: 1e-10 });
    const shrunk = fitLogistic(column(x, y), { l2: 0.5, maxIterations: 200, tolerance: 1e-10 });
    expect(Math.abs(shrunk.weights[0] as number)).toBeLessThan(Math.abs(free.weights[0] as number) * 0.8);
  });
});

describe('fitTree', () => {
  // Gini × rows after each cut of x = 1…8, labels 0 0 0 0 1 0 1 1: at 4.5 → 0 + 4·2·¾·¼ = 1.5;
  // at 5.5 → 5·2·⅕·⅘ + 3·2·⅔·⅓ = 2.93; at 6.5 → 6·2·⅙·⅚ + 0 = 1.67; at 3.5 → 0 + 5·2·⅖·⅗ = 2.4. Best: 4.5.
  const data = column([1, 2, 3, 4, 5, 6, 7, 8], [0, 0, 0, 0, 1, 0, 1, 1]);

  it('splits where gini falls most, halfway between the values, leaves holding the share of positives', () => {
    const tree = fitTree(data, { maxDepth: 1, minSamplesLeaf: 1, criterion: 'gini', maxBins: 255 });
    expect(tree).toEqual({
      feature: [0, -1, -1],
      threshold: [4.5, 0, 0],
      left: [1, -1, -1],
      right: [2, -1, -1],
      value: [0.375, 0, 0.75],
    });
  });

  it('respects the minimum rows per leaf: with 5, the only allowed cut is at 5.5', () => {
    const tree = fitTree(column([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], [0, 0, 0, 0, 1, 0, 1, 1, 1, 1]), {
      maxDepth: 3,
      minSamplesLeaf: 5,
      criterion: 'entropy',
      maxBins: 255,
    });
    expect(tree.threshold[0]).toBe(5.5);
    expect(tree.value).toEqual([0.5, 0.2, 0.8]);
  });

  it('weights rows: a heavy negative changes the leaf share', () => {
    const tree = fitTree(column([1, 2, 3, 4, 5, 6, 7, 8], [0, 0, 0, 0, 1, 0, 1, 1], [1, 1, 1, 1, 1, 3, 1, 1]), {
      maxDepth: 1,
      minSamplesLeaf: 1,
      criterion: 'gini',
      maxBins: 255,
    });
    // Now 4.5 leaves right {1, 0×3, 1, 1}: 6·2·½·½ = 3; 6.5 leaves left {0,0,0,0,1,0×3}: 8·2·⅛·⅞ = 1.75, right pure. Best: 6.5.
    expect(tree.threshold[0]).toBe(6.5);
    expect(tree.value.slice(1)).toEqual([1 / 8, 1]);
  });
});

describe('fitGbdt', () => {
  it('one round: base score the prior log-odds, leaves the Newton step G / (H + λ)', () => {
    // y = 0 1 1 1 → prior ¾, base ln 3; p = ¾ everywhere: g = y − p, h = p(1 − p) = 3/16.
    // Left (x = 0): G = −¾ + ¼ = −½, H = ⅜; right (x = 1): G = ½, H = ⅜; λ = 1 → ∓0.5 / 1.375.
    const fit = fitGbdt(column([0, 0, 1, 1], [0, 1, 1, 1]), {
      rounds: 1,
      learningRate: 0.5,
      maxDepth: 1,
      minSamplesLeaf: 1,
      lambda: 1,
      maxBins: 255,
    });
    expect(fit.baseScore).toBeCloseTo(Math.log(3), 12);
    expect(fit.trees).toHaveLength(1);
    const tree = fit.trees[0];
    expect(tree?.threshold[0]).toBe(0.5);
    expect(tree?.value[1]).toBeCloseTo(-0.5 / 1.375, 12);
    expect(tree?.value[2]).toBeCloseTo(0.5 / 1.375, 12);
  });

  it('more rounds fit the training rows better', () => {
    const data = column([1, 2, 3, 4, 5, 6, 7, 8], [0, 0, 0, 1, 0, 1, 1, 1]);
    const params = { learningRate: 0.3, maxDepth: 2, minSamplesLeaf: 1, lambda: 1, maxBins: 255 };
    const loss = (rounds: number) => {
      const fit = fitGbdt(data, { ...params, rounds });
      expect(fit.trees).toHaveLength(rounds);
      const scores = [1, 2, 3, 4, 5, 6, 7, 8].map((x) => scoreEncoded({ type: 'gbdt', ...fit }, [x]));
      return logLoss(scores, data.y);
    };
    const losses = [1, 5, 20].map(loss);
    expect(losses[1]).toBeLessThan(losses[0] as number);
    expect(losses[2]).toBeLessThan(losses[1] as number);
  });
});

describe('preprocessing', () => {
  it('fits mean, population std and fill on the rows given, and keeps the 50 most frequent categories', () => {
    const rows = [
      ...Array.from({ length: 60 }, (_, i) => ({ a: i < 30 ? 1 : 3, c: `v${i}` })),
      { a: null, c: 'v59' },
      { a: 2n, c: 'v59' },
    ];
    const [a, c] = fitInputs(
      [
        { name: 'a', source: { kind: 'request' }, type: 'numeric' },
        { name: 'c', source: { kind: 'request' }, type: 'categorical' },
      ],
      rows,
    );
    // 30 ones, 30 threes, one two: mean 2, variance 60/61.
    expect(a).toMatchObject({ type: 'numeric', mean: expect.closeTo(2, 12), fill: expect.closeTo(2, 12) });
    expect(a?.type === 'numeric' && a.std).toBeCloseTo(Math.sqrt(60 / 61), 12);
    expect(c?.type === 'categorical' && c.categories).toHaveLength(MAX_CATEGORIES);
    expect(c?.type === 'categorical' && c.categories.slice(0, 3)).toEqual(['v59', 'v0', 'v1']);
  });

  it("maps the model's training-set columns to inputs: view features, time columns; lists left out", () => {
    const table = syntheticTrainingTable({ rows: 50, seed: 1 });
    const { inputs, skipped } = selectInputs(purchasePropensity, table.columns, table.rows);
    expect(inputs.find((i) => i.name === 'events_1h')).toEqual({
      name: 'events_1h',
      source: { kind: 'view', view: 'user_clickstream', feature: 'events_1h' },
      type: 'numeric',
    });
    expect(inputs.find((i) => i.name === 'last_event_type_24h')?.type).toBe('categorical');
    expect(inputs.find((i) => i.name === 'is_weekend')?.source).toEqual({ kind: 'time', part: 'is_weekend' });
    expect(inputs.some((i) => i.name === 'user_id' || i.name === 'purchase_within_1h' || i.name === 'event_timestamp')).toBe(
      false,
    );
    expect(skipped.map((s) => s.column)).toEqual([
      'last_products_viewed_1h',
      'last_products_viewed_24h',
      'last_products_viewed_7d',
      'last_products_viewed_lifetime',
    ]);
  });
});

describe('trainModel', () => {
  const options = { algorithms: ['logistic', 'tree', 'gbdt'] as const, folds: 3, gbdt: { rounds: 30 } };

  it('clears the floor with signal and scores at chance with the labels shuffled', async () => {
    const signal = await trainModel(purchasePropensity, syntheticTrainingTable({ rows: 1_500, seed: 7 }), options);
    const noise = await trainModel(
      purchasePropensity,
      syntheticTrainingTable({ rows: 1_500, seed: 7, shuffleLabels: true }),
      options,
    );
    for (const result of signal.results) expect(result.metrics.rocAuc, result.algorithm).toBeGreaterThan(0.75);
    for (const result of noise.results) expect(Math.abs(result.metrics.rocAuc - 0.5), result.algorithm).toBeLessThan(0.06);
    expect(signal.floor.passed).toBe(true);
    expect(noise.floor.passed).toBe(false);
  }, 30_000);

  it('is reproducible: the same rows and seed give the same artifact; another seed other folds', async () => {
    const table = syntheticTrainingTable({ rows: 600, seed: 3 });
    const a = await trainModel(purchasePropensity, table, options);
    const b = await trainModel(purchasePropensity, table, options);
    const c = await trainModel(purchasePropensity, table, { ...options, seed: 43 });
    expect(JSON.stringify(b.artifact)).toBe(JSON.stringify(a.artifact));
    expect(c.artifact.metrics).not.toEqual(a.artifact.metrics);
  }, 30_000);

  it('makes a valid artifact: the served algorithm first, its metrics, fingerprint, reference and a working scorer', async () => {
    const table = syntheticTrainingTable({ rows: 600, seed: 3 });
    const trained = await trainModel(purchasePropensity, table, { ...options, balance: true });
    const artifact = parseArtifact({ ...trained.artifact, version: '1', createdAt: '2025-03-01T00:00:00.000Z' });
    const best = Math.max(...trained.results.map((r) => r.metrics.rocAuc));
    expect(artifact.metrics[0]?.algorithm).toBe(trained.served.algorithm);
    expect(artifact.metrics[0]?.rocAuc).toBe(best);
    expect(artifact.metrics.map((m) => m.algorithm).sort()).toEqual(['gbdt', 'logistic', 'tree']);
    expect(artifact.model.type).toBe(trained.served.algorithm);
    const positives = table.rows.filter((r) => r.purchase_within_1h === 1).length;
    expect(artifact.trainingSet).toMatchObject({ rows: 600, positives, label: 'purchase_within_1h' });
    expect(artifact.trainingSet?.fingerprint).toMatch(/^[0-9a-f]{64}$/);
    // Balanced: each class weighs half of the rows.
    expect(artifact.parameters.classWeights).toEqual({
      no_purchase: 600 / (2 * (600 - positives)),
      purchase: 600 / (2 * positives),
    });
    expect(Object.keys(artifact.reference?.inputs ?? {})).toEqual(artifact.inputs.map((i) => i.name));
    expect(artifact.reference?.score?.count).toBe(600);
    const scores = createNativeScorer(artifact).score(table.rows.slice(0, 50));
    expect(scores.every((s) => s >= 0 && s <= 1)).toBe(true);
  }, 30_000);

  it('says why it cannot train: no label column, too few of a class for the folds', async () => {
    const table = syntheticTrainingTable({ rows: 40, seed: 1 });
    await expect(
      trainModel(purchasePropensity, { ...table, columns: table.columns.filter((c) => c !== 'purchase_within_1h') }),
    ).rejects.toThrow(/no column purchase_within_1h/);
    const few = { ...table, rows: table.rows.map((r, i) => ({ ...r, purchase_within_1h: i < 2 ? 1 : 0 })) };
    await expect(trainModel(purchasePropensity, few)).rejects.toThrow(/2 positive: each class needs at least 5 rows/);
  });
});
