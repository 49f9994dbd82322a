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

/** Drift thresholds of one monitored value: past either, it counts as drifted (src/drift/). */
export interface DriftThresholds {
  /** Population stability index over the reference's bins (numeric) or categories. @default the model's (0.2) */
  readonly psi?: number;
  /** Kolmogorov–Smirnov statistic against the reference's quantiles (numeric only). @default the model's (0.1) */
  readonly ks?: number;
}

/**
 * How `featurelake drift` and the scheduled drift job judge recent predictions against the
 * current version's reference distributions. Thresholds apply to every input unless
 * `features` names it; the CDK alarms per feature only on the features named there (every
 * other input is still judged by the job and counted in its DriftBreaches metric).
 */
export interface DriftSpec extends DriftThresholds {
  /**
   * A categorical input also drifts when its chi-square p-value is below this. @default none: the
   * p-value is reported, not judged — with thousands of predictions, any small change is "significant"
   */
  readonly chiSquareP?: number;
  /**
   * Fewer predictions than this in a window: statistics are reported but neither judged nor
   * published (an unshifted sample of 100 passes KS 0.1 about one time in four). @default 500
   */
  readonly minCount?: number;
  /** Thresholds of the score's distribution. @default the model's psi and ks */
  readonly score?: DriftThresholds;
  /** Per input (the artifact's input names, i.e. training-set column names). @default none */
  readonly features?: Readonly<Record<string, DriftThresholds>>;
}

/** A model's drift settings with every default filled in. */
export interface ModelDrift {
  readonly psi: number;
  readonly ks: number;
  readonly chiSquareP?: number;
  readonly minCount: number;
  readonly score: Required<DriftThresholds>;
  readonly features: Readonly<Record<string, DriftThresholds>>;
}

export const DRIFT_DEFAULTS = { psi: 0.2, ks: 0.1, minCount: 500 } as const;

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
  /** Drift monitoring's thresholds. @default DRIFT_DEFAULTS for every input and the score */
  readonly drift?: DriftSpec;
}

export interface Model extends Required<Omit<ModelSpec, 'inputs' | 'drift'>> {
  readonly entity: Entity;
  readonly inputs?: readonly string[];
  readonly drift: ModelDrift;
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
  const drift = driftOf(spec.drift ?? {}, fail);
  return {
    ...spec,
    entity,
    batchSources: spec.batchSources ?? [],
    timeInputs: spec.timeInputs ?? false,
    algorithms,
    classes,
    threshold,
    drift,
  };
}

/** The drift spec with its defaults, or a failure naming the setting out of range. */
function driftOf(spec: DriftSpec, fail: (what: string) => never): ModelDrift {
  const check = (at: string, t: DriftThresholds) => {
    if (t.psi !== undefined && !(t.psi > 0 && Number.isFinite(t.psi))) fail(`${at}.psi must be a positive number`);
    if (t.ks !== undefined && !(t.ks > 0 && t.ks < 1)) fail(`${at}.ks must be in (0, 1)`);
  };
  check('drift', spec);
  check('drift.score', spec.score ?? {});
  for (const [name, t] of Object.entries(spec.features ?? {})) check(`drift.features.${name}`, t);
  if (spec.chiSquareP !== undefined && !(spec.chiSquareP > 0 && spec.chiSquareP < 1)) fail('drift.chiSquareP must be in (0, 1)');
  const minCount = spec.minCount ?? DRIFT_DEFAULTS.minCount;
  if (!(Number.isInteger(minCount) && minCount >= 1)) fail('drift.minCount must be an integer ≥ 1');
  const psi = spec.psi ?? DRIFT_DEFAULTS.psi;
  const ks = spec.ks ?? DRIFT_DEFAULTS.ks;
  return {
    psi,
    ks,
    ...(spec.chiSquareP === undefined ? {} : { chiSquareP: spec.chiSquareP }),
    minCount,
    score: { psi: spec.score?.psi ?? psi, ks: spec.score?.ks ?? ks },
    features: { ...spec.features },
  };
}
