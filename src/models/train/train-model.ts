/**
 * Training a catalog model: its inputs chosen from the training table's
 * columns, each algorithm scored by stratified k-fold cross-validation
 * (out-of-fold scores, preprocessing refitted on every training fold), the
 * best by the model's floor metric refitted on every row, and the artifact
 * to publish: inputs with their encoding, the model body, every algorithm's
 * metrics (the served one first), the training set's fingerprint and the
 * reference distributions drift is measured against.
 *
 * Plain and deterministic: the same table, options and seed give the same
 * artifact, byte for byte. `featurelake train` wraps it with reading the
 * rows, printing and publishing; the demo and tests call it directly.
 */
import type { Metrics, ModelArtifact, ModelBody, ModelInput } from '../artifact.js';
import { ARTIFACT_FORMAT } from '../artifact.js';
import type { Algorithm, MetricFloor, Model } from '../define.js';
import { createEncoder, numericValue } from '../encode.js';
import { compileBody, type NativeBody } from '../score.js';
import { categoricalDistribution, numericDistribution } from './distribution.js';
import { stratifiedFolds } from './folds.js';
import { fitGbdt, GBDT_DEFAULTS, type GbdtParams } from './gbdt.js';
import { fitLogistic, LOGISTIC_DEFAULTS, type LogisticParams } from './logistic.js';
import { type TrainingData, yieldToEventLoop } from './matrix.js';
import { classificationMetrics, floorValue } from './metrics.js';
import { fitInputs, type InputColumn, selectInputs } from './preprocess.js';
import { fingerprintTable, type TrainingTable } from './training-table.js';
import { fitTree, TREE_DEFAULTS, type TreeParams } from './tree.js';

export interface TrainOptions {
  /** @default the model's algorithms */
  readonly algorithms?: readonly Algorithm[];
  /** @default 5 */
  readonly folds?: number;
  /** Seeds the folds. @default 42 */
  readonly seed?: number;
  /** Weight each class inversely to its frequency (both classes then weigh half). @default false */
  readonly balance?: boolean;
  readonly logistic?: Partial<LogisticParams>;
  readonly tree?: Partial<TreeParams>;
  readonly gbdt?: Partial<GbdtParams>;
  /** Called after each fit: `done` of `total` fits, what was fitted. */
  readonly onProgress?: (done: number, total: number, what: string) => void;
}

export interface AlgorithmResult {
  readonly algorithm: Algorithm;
  /** Out-of-fold metrics. */
  readonly metrics: Metrics;
  /** As recorded in the artifact. */
  readonly parameters: Record<string, unknown>;
  /** The floor metric's value. */
  readonly value: number;
  /** Wall time of its cross-validation and final fit. */
  readonly seconds: number;
}

export interface TrainedModel {
  /** Ready for publishVersion. */
  readonly artifact: Omit<ModelArtifact, 'version' | 'createdAt'>;
  /** Every algorithm tried, in the order tried. */
  readonly results: readonly AlgorithmResult[];
  /** The best by the floor's metric (the first of equals). */
  readonly served: AlgorithmResult;
  readonly floor: MetricFloor & { readonly value: number; readonly passed: boolean };
  /** Candidate columns left out of the inputs, and why. */
  readonly skipped: readonly { readonly column: string; readonly why: string }[];
}

type Row = Readonly<Record<string, unknown>>;

function labelOf(value: unknown): 0 | 1 | undefined {
  const x = numericValue(value);
  return Number.isFinite(x) ? (x > 0 ? 1 : 0) : undefined;
}

/** Per-row weights: 1, or n / (2 · n_class) with balancing. */
function weights(y: Uint8Array, balance: boolean): { weight: Float64Array; classWeights: [number, number] } {
  let positives = 0;
  for (const v of y) positives += v;
  const negatives = y.length - positives;
  const classWeights: [number, number] = balance
    ? [y.length / (2 * Math.max(1, negatives)), y.length / (2 * Math.max(1, positives))]
    : [1, 1];
  return { weight: Float64Array.from(y, (v) => classWeights[v] as number), classWeights };
}

/** Encodes rows with inputs fitted on them (or given), with labels and weights. */
function prepare(columns: readonly InputColumn[], rows: readonly Row[], y: Uint8Array, balance: boolean, inputs?: ModelInput[]) {
  const fitted = inputs ?? fitInputs(columns, rows);
  if (fitted.length === 0) throw new TrainingDataError('no input has a value in the training rows');
  const encoder = createEncoder(fitted);
  const { weight, classWeights } = weights(y, balance);
  const data: TrainingData = { x: { data: encoder.encodeRows(rows), rows: rows.length, cols: encoder.width }, y, weight };
  return { inputs: fitted, encoder, data, classWeights };
}

function fitBody(algorithm: Algorithm, data: TrainingData, options: TrainOptions): NativeBody {
  switch (algorithm) {
    case 'logistic': {
      const { weights: w, intercept } = fitLogistic(data, { ...LOGISTIC_DEFAULTS, ...options.logistic });
      return { type: 'logistic', weights: w, intercept };
    }
    case 'tree':
      return { type: 'tree', tree: fitTree(data, { ...TREE_DEFAULTS, ...options.tree }) };
    case 'gbdt': {
      const { baseScore, learningRate, trees } = fitGbdt(data, { ...GBDT_DEFAULTS, ...options.gbdt });
      return { type: 'gbdt', baseScore, learningRate, trees };
    }
  }
}

function parametersOf(algorithm: Algorithm, options: TrainOptions): Record<string, unknown> {
  switch (algorithm) {
    case 'logistic':
      return { ...LOGISTIC_DEFAULTS, ...options.logistic };
    case 'tree':
      return { ...TREE_DEFAULTS, ...options.tree };
    case 'gbdt':
      return { ...GBDT_DEFAULTS, ...options.gbdt };
  }
}

/** The training rows cannot train the model (no label column, too few of a class, no usable input): the data's fault. */
export class TrainingDataError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TrainingDataError';
  }
}

export async function trainModel(model: Model, table: TrainingTable, options: TrainOptions = {}): Promise<TrainedModel> {
  const algorithms = options.algorithms ?? model.algorithms;
  const k = options.folds ?? 5;
  const seed = options.seed ?? 42;
  const balance = options.balance ?? false;
  const labelColumn = model.label.name;
  if (!table.columns.includes(labelColumn))
    throw new TrainingDataError(
      `the training set has no column ${labelColumn} (the label of ${model.name}); columns: ${table.columns.join(', ')}`,
    );
  const labelled = table.rows.filter((row) => labelOf(row[labelColumn]) !== undefined);
  const y = Uint8Array.from(labelled, (row) => labelOf(row[labelColumn]) as number);
  const positives = y.reduce((s, v) => s + v, 0);
  const smaller = Math.min(positives, y.length - positives);
  if (smaller < k)
    throw new TrainingDataError(
      `${labelled.length} labelled rows with ${positives} positive: each class needs at least ${k} rows for ${k}-fold cross-validation`,
    );
  const selection = selectInputs(model, table.columns, labelled);
  if (selection.inputs.length === 0)
    throw new TrainingDataError(
      `no usable inputs among the training set's columns (${selection.skipped.map((s) => `${s.column}: ${s.why}`).join('; ') || 'none matched the model'})`,
    );

  const total = algorithms.length * (k + 1);
  let done = 0;
  const step = async (what: string) => {
    done++;
    options.onProgress?.(done, total, what);
    await yieldToEventLoop();
  };

  // Out-of-fold scores per algorithm: folds outside, so each fold is encoded once for every algorithm.
  const fold = stratifiedFolds(y, k, seed);
  const oof = new Map(algorithms.map((a) => [a, new Float64Array(labelled.length)]));
  const seconds = new Map(algorithms.map((a) => [a, 0]));
  for (let f = 0; f < k; f++) {
    const trainIdx: number[] = [];
    const testIdx: number[] = [];
    for (let i = 0; i < labelled.length; i++) (fold[i] === f ? testIdx : trainIdx).push(i);
    const trainRows = trainIdx.map((i) => labelled[i] as Row);
    const prepared = prepare(
      selection.inputs,
      trainRows,
      Uint8Array.from(trainIdx, (i) => y[i] as number),
      balance,
    );
    const test = prepared.encoder.encodeRows(testIdx.map((i) => labelled[i] as Row));
    for (const algorithm of algorithms) {
      const started = performance.now();
      const score = compileBody(fitBody(algorithm, prepared.data, options));
      const scores = oof.get(algorithm) as Float64Array;
      testIdx.forEach((row, t) => {
        scores[row] = score(test, t * prepared.encoder.width);
      });
      seconds.set(algorithm, (seconds.get(algorithm) as number) + (performance.now() - started) / 1000);
      await step(`${algorithm}, fold ${f + 1} of ${k}`);
    }
  }

  // Every row, for the version served.
  const all = prepare(selection.inputs, labelled, y, balance);
  const bodies = new Map<Algorithm, ModelBody>();
  const results: AlgorithmResult[] = [];
  for (const algorithm of algorithms) {
    const started = performance.now();
    bodies.set(algorithm, fitBody(algorithm, all.data, options));
    const metrics = classificationMetrics(oof.get(algorithm) as Float64Array, y, {
      algorithm,
      folds: k,
      threshold: model.threshold,
      classes: model.classes,
    });
    results.push({
      algorithm,
      metrics,
      parameters: parametersOf(algorithm, options),
      value: floorValue(metrics, model.floor.metric, model.classes.positive),
      seconds: (seconds.get(algorithm) as number) + (performance.now() - started) / 1000,
    });
    await step(`${algorithm} on every row`);
  }
  const served = results.reduce((best, r) => (r.value > best.value ? r : best), results[0] as AlgorithmResult);

  const reference = {
    inputs: Object.fromEntries(
      all.inputs.map((input) => {
        const values = labelled.map((row) => row[input.name]);
        return [input.name, input.type === 'numeric' ? numericDistribution(values) : categoricalDistribution(values)];
      }),
    ),
    score: numericDistribution(oof.get(served.algorithm) as Float64Array),
  };
  const artifact: Omit<ModelArtifact, 'version' | 'createdAt'> = {
    format: ARTIFACT_FORMAT,
    name: model.name,
    description: model.description,
    entity: model.entity.name,
    inputs: all.inputs,
    model: bodies.get(served.algorithm) as ModelBody,
    decision: { threshold: model.threshold, positive: model.classes.positive, negative: model.classes.negative },
    parameters: {
      algorithm: served.algorithm,
      ...served.parameters,
      seed,
      folds: k,
      balance,
      classWeights: { [model.classes.negative]: all.classWeights[0], [model.classes.positive]: all.classWeights[1] },
      floor: { ...model.floor },
    },
    metrics: [served, ...results.filter((r) => r !== served)].map((r) => r.metrics),
    trainingSet: {
      fingerprint: fingerprintTable(table),
      rows: labelled.length,
      positives,
      label: labelColumn,
      origin: table.origin,
    },
    reference,
  };
  return {
    artifact,
    results,
    served,
    floor: { ...model.floor, value: served.value, passed: served.value >= model.floor.min },
    skipped: selection.skipped,
  };
}
