/**
 * Models in the catalog: what a model predicts (a label), for which entity,
 * from which features, and the bar its cross-validated metrics must clear
 * before `featurelake train` moves its `current` alias. The definitions
 * drive training, the inference endpoint's known models (unknown → 404), the
 * prediction log's `model=` partitions and drift monitoring.
 */
import type { BatchSource } from '../features/batch-source.js';
import type { Entity, FeatureView } from '../features/define.js';
import type { Label } from '../features/labels.js';

export type Algorithm = 'logistic' | 'tree' | 'gbdt';
export const ALGORITHMS: readonly Algorithm[] = ['logistic', 'tree', 'gbdt'];

/** A cross-validated metric a new version must reach before it becomes `current`. */
export interface MetricFloor {
  readonly metric: 'rocAuc' | 'prAuc' | 'accuracy' | 'f1';
  readonly min: number;
}

export interface ModelSpec {
  /** snake_case: the S3 prefix `models/<name>/`, the API's `model`, the prediction log's partition. */
  readonly name: string;
  readonly description: string;
  /** The label trained on; its entity is the entity scored. */
  readonly label: Label;
  /** The feature views (of the label's entity) whose features are inputs; their training-set columns. */
  readonly views: readonly FeatureView[];
  /** Batch sources of the same entity whose attributes are inputs. @default none */
  readonly batchSources?: readonly BatchSource[];
  /** Only these inputs (training-set column names); the rest of the views' columns are left out. @default every served feature */
  readonly inputs?: readonly string[];
  /** Add hour_of_day, day_of_week and is_weekend from the time of the row (training) or the request (serving). @default false */
  readonly timeInputs?: boolean;
  /** Algorithms `train` compares when none is given; the best by the floor's metric is served. @default ['logistic', 'tree'] */
  readonly algorithms?: readonly Algorithm[];
  readonly floor: MetricFloor;
  /** Names of the two classes in responses and the prediction log. @default { negative: '0', positive: '1' } */
  readonly classes?: { readonly negative: string; readonly positive: string };
  /** Score at or above which the positive class is returned. @default 0.5 */
  readonly threshold?: number;
}

export interface Model extends Required<Omit<ModelSpec, 'inputs'>> {
  readonly entity: Entity;
  readonly inputs?: readonly string[];
}

const NAME = /^[a-z][a-z0-9_]{0,62}$/;

export function defineModel(spec: ModelSpec): Model {
  const fail = (what: string): never => {
    throw new Error(`model ${spec.name}: ${what}`);
  };
  if (!NAME.test(spec.name)) fail('its name must be snake_case');
  const entity = spec.label.entity;
  if (spec.views.length === 0 && (spec.batchSources ?? []).length === 0)
    fail('has no views or batch sources to read inputs from');
  for (const view of spec.views)
    if (view.entity !== entity) fail(`view ${view.name} is of ${view.entity.name}, not ${entity.name}`);
  for (const batch of spec.batchSources ?? [])
    if (batch.entity !== entity) fail(`batch source ${batch.name} is of ${batch.entity.name}, not ${entity.name}`);
  const threshold = spec.threshold ?? 0.5;
  if (!(threshold > 0 && threshold < 1)) fail('threshold must be in (0, 1)');
  if (!(spec.floor.min >= 0 && spec.floor.min <= 1)) fail('floor.min must be in [0, 1]');
  const algorithms = spec.algorithms ?? ['logistic', 'tree'];
  if (algorithms.length === 0 || algorithms.some((a) => !ALGORITHMS.includes(a)))
    fail(`algorithms must be of ${ALGORITHMS.join(', ')}`);
  const classes = spec.classes ?? { negative: '0', positive: '1' };
  if (classes.negative === classes.positive) fail('its two classes need two names');
  return {
    ...spec,
    entity,
    batchSources: spec.batchSources ?? [],
    timeInputs: spec.timeInputs ?? false,
    algorithms,
    classes,
    threshold,
  };
}
