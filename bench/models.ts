/**
 * `npm run bench -- models`: our training algorithms (src/models/train/)
 * beside the npm packages we could have used instead — ml-logistic-regression
 * for the logistic regression, ml-cart for the CART tree — on the same seeded
 * synthetic training set (src/models/train/synthetic.ts: purchase_propensity's
 * columns, a known signal), the same 80/20 stratified split and the same
 * encoding: fit time and hold-out ROC-AUC. Then our own fits on a large set
 * and the native scorer's rate, for the endpoint's budget.
 */
import { purchasePropensity } from '../src/features/catalog.js';
import { createEncoder } from '../src/models/encode.js';
import { compileBody, createNativeScorer } from '../src/models/score.js';
import { stratifiedFolds } from '../src/models/train/folds.js';
import { fitGbdt, GBDT_DEFAULTS } from '../src/models/train/gbdt.js';
import { fitLogistic, LOGISTIC_DEFAULTS } from '../src/models/train/logistic.js';
import type { TrainingData } from '../src/models/train/matrix.js';
import { rocAuc } from '../src/models/train/metrics.js';
import { fitInputs, selectInputs } from '../src/models/train/preprocess.js';
import { syntheticTrainingTable } from '../src/models/train/synthetic.js';
import { fitTree, TREE_DEFAULTS } from '../src/models/train/tree.js';

/** The packages ship no types; a specifier in a variable keeps TypeScript from asking for them. */
const untyped = (name: string): Promise<any> => import(name);

export interface ModelFitFigure {
  readonly name: string;
  readonly fitMs: number;
  readonly rocAuc: number;
  readonly sampleWeights: boolean;
  readonly seeded: string;
  readonly serialisable: string;
}

export interface ModelsBench {
  readonly rows: number;
  readonly trainRows: number;
  readonly encodedColumns: number;
  readonly figures: ModelFitFigure[];
  readonly large: { rows: number; cols: number; logisticMs: number; treeMs: number; gbdtMs: number; gbdtRounds: number };
  readonly scoring: { model: string; scoresPerSecond: number; inputs: number };
}

function split(rows: number, seed: number) {
  const table = syntheticTrainingTable({ rows, seed });
  const labels = table.rows.map((r) => Number(r.purchase_within_1h));
  const folds = stratifiedFolds(labels, 5, seed);
  const train = table.rows.filter((_, i) => folds[i] !== 0);
  const test = table.rows.filter((_, i) => folds[i] === 0);
  const { inputs: columns } = selectInputs(purchasePropensity, table.columns, table.rows);
  const inputs = fitInputs(columns, train);
  const encoder = createEncoder(inputs);
  const data = (part: typeof train): TrainingData => ({
    x: { data: encoder.encodeRows(part), rows: part.length, cols: encoder.width },
    y: Uint8Array.from(part, (r) => Number(r.purchase_within_1h)),
    weight: new Float64Array(part.length).fill(1),
  });
  return { table, inputs, encoder, train: data(train), test: data(test), testRows: test };
}

const time = <T>(work: () => T): { value: T; ms: number } => {
  const started = performance.now();
  const value = work();
  return { value, ms: performance.now() - started };
};

/** Rows of a matrix as arrays, with a leading 1 for packages without an intercept. */
function arrays(data: TrainingData, intercept: boolean): number[][] {
  const { rows, cols } = data.x;
  return Array.from({ length: rows }, (_, r) => {
    const row = Array.from(data.x.data.subarray(r * cols, (r + 1) * cols));
    return intercept ? [1, ...row] : row;
  });
}

export async function benchModels(rows: number, largeRows: number, log: (line: string) => void): Promise<ModelsBench> {
  const { train, test, encoder } = split(rows, 42);
  const figures: ModelFitFigure[] = [];
  const holdout = (body: Parameters<typeof compileBody>[0]) => {
    const score = compileBody(body);
    return rocAuc(
      Array.from({ length: test.x.rows }, (_, r) => score(test.x.data, r * test.x.cols)),
      test.y,
    );
  };

  log(`  ours: logistic, tree, gbdt on ${train.x.rows} rows × ${train.x.cols}…\n`);
  const logistic = time(() => fitLogistic(train));
  figures.push({
    name: `ours: logistic (L-BFGS, λ ${LOGISTIC_DEFAULTS.l2})`,
    fitMs: logistic.ms,
    rocAuc: holdout({ type: 'logistic', weights: logistic.value.weights, intercept: logistic.value.intercept }),
    sampleWeights: true,
    seeded: 'deterministic (no randomness)',
    serialisable: 'weights + intercept (artifact)',
  });

  const { Matrix } = await untyped('ml-matrix');
  const { default: LogisticRegression } = await untyped('ml-logistic-regression');
  const steps = 500;
  log(`  ml-logistic-regression: ${steps} gradient steps…\n`);
  const theirs = time(() => {
    // Their gradient is a sum over rows: a step of 1/n is the averaged gradient's step 1.
    const model = new LogisticRegression({ numSteps: steps, learningRate: 1 / train.x.rows });
    model.train(new Matrix(arrays(train, true)), Matrix.columnVector(Array.from(train.y)));
    return model;
  });
  // One-vs-all: classifier 0 scores "not class 0", i.e. the positive class.
  const theirScores: number[] = theirs.value.classifiers[0].testScores(new Matrix(arrays(test, true)));
  figures.push({
    name: `ml-logistic-regression (gradient ascent, ${steps} steps, no L2)`,
    fitMs: theirs.ms,
    rocAuc: rocAuc(theirScores, test.y),
    sampleWeights: false,
    seeded: 'deterministic (no randomness)',
    serialisable: 'toJSON (ml-matrix weights)',
  });

  const tree = time(() => fitTree(train));
  figures.push({
    name: `ours: CART tree (histogram, depth ${TREE_DEFAULTS.maxDepth}, ≥ ${TREE_DEFAULTS.minSamplesLeaf} rows/leaf)`,
    fitMs: tree.ms,
    rocAuc: holdout({ type: 'tree', tree: tree.value }),
    sampleWeights: true,
    seeded: 'deterministic (no randomness)',
    serialisable: 'flat node arrays (artifact)',
  });

  const { DecisionTreeClassifier } = await untyped('ml-cart');
  log('  ml-cart: sort-based tree…\n');
  const cart = time(() => {
    const model = new DecisionTreeClassifier({ maxDepth: TREE_DEFAULTS.maxDepth, minNumSamples: TREE_DEFAULTS.minSamplesLeaf });
    model.train(arrays(train, false), Array.from(train.y));
    return model;
  });
  const cartScores = arrays(test, false).map((row) => {
    const distribution = cart.value.root.classify(row);
    return distribution.columns > 1 ? distribution.get(0, 1) : 0;
  });
  figures.push({
    name: `ml-cart (sort-based, depth ${TREE_DEFAULTS.maxDepth}, ≥ ${TREE_DEFAULTS.minSamplesLeaf} rows/leaf)`,
    fitMs: cart.ms,
    rocAuc: rocAuc(cartScores, test.y),
    sampleWeights: false,
    seeded: 'deterministic (no randomness)',
    serialisable: 'toJSON (nested nodes)',
  });

  const gbdt = time(() => fitGbdt(train));
  figures.push({
    name: `ours: GBDT (${GBDT_DEFAULTS.rounds} rounds, depth ${GBDT_DEFAULTS.maxDepth}, lr ${GBDT_DEFAULTS.learningRate})`,
    fitMs: gbdt.ms,
    rocAuc: holdout({ type: 'gbdt', ...gbdt.value }),
    sampleWeights: true,
    seeded: 'deterministic (no randomness)',
    serialisable: 'flat node arrays (artifact)',
  });

  log(`  ours on ${largeRows} rows…\n`);
  const big = split(largeRows, 7);
  const bigLogistic = time(() => fitLogistic(big.train));
  const bigTree = time(() => fitTree(big.train));
  const rounds = 50;
  const bigGbdt = time(() => fitGbdt(big.train, { ...GBDT_DEFAULTS, rounds }));

  // The endpoint's path: rows by input name → encode → score, one row at a time.
  const scorer = createNativeScorer({ inputs: big.inputs, model: { type: 'gbdt', ...bigGbdt.value } });
  const sample = big.testRows.slice(0, 2_000);
  const started = performance.now();
  let scored = 0;
  while (performance.now() - started < 1_000) {
    for (const row of sample) scorer.scoreOne(row);
    scored += sample.length;
  }
  const scoresPerSecond = scored / ((performance.now() - started) / 1000);

  return {
    rows,
    trainRows: train.x.rows,
    encodedColumns: encoder.width,
    figures,
    large: {
      rows: big.train.x.rows,
      cols: big.train.x.cols,
      logisticMs: bigLogistic.ms,
      treeMs: bigTree.ms,
      gbdtMs: bigGbdt.ms,
      gbdtRounds: rounds,
    },
    scoring: { model: `gbdt, ${rounds} trees of depth ${GBDT_DEFAULTS.maxDepth}`, scoresPerSecond, inputs: big.inputs.length },
  };
}
