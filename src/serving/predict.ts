/**
 * Scoring entities: one batched online read of every feature the model (and
 * its shadow) needs, the input rows built from it, the request's values and
 * the request time, then the scores. Plain code shared by lambdas/predict,
 * the local stack and the benches.
 */
import type { FeatureValues } from '../domain/feature-vector.js';
import type { BatchSource } from '../features/batch-source.js';
import type { FeatureView } from '../features/define.js';
import type { ModelArtifact, ModelInput } from '../models/artifact.js';
import type { LoadedModel } from '../models/loader.js';
import type { RequestFeatureValue } from './predict-request.js';

export type InputValue = string | number | boolean | null;

export interface EntityInputs {
  /** Input name → the raw value scored (null: missing, the model's fill or zeros were used). */
  readonly values: Record<string, InputValue>;
  /** Input name → event time of the newest event or row behind it (view and batch inputs). */
  readonly freshness: Record<string, string | null>;
  /** Inputs with no data: null values, entities unknown to a view, request values not given. */
  readonly defaulted: string[];
}

export interface Prediction {
  readonly entityType: string;
  readonly entityId: string;
  readonly score: number;
  readonly label: string;
  readonly model: string;
  readonly version: string;
  readonly features: Record<string, InputValue>;
  readonly freshness: Record<string, string | null>;
  readonly defaulted: readonly string[];
}

/** The views and batch sources of several models, each once: what one batched read must fetch. */
export function unionReads(models: readonly LoadedModel[]): { views: FeatureView[]; batchSources: BatchSource[] } {
  const views = new Map<string, FeatureView>();
  const batchSources = new Map<string, BatchSource>();
  for (const model of models) {
    for (const v of model.reads.views) views.set(v.name, v);
    for (const b of model.reads.batchSources) batchSources.set(b.name, b);
  }
  return { views: [...views.values()], batchSources: [...batchSources.values()] };
}

/** hour_of_day, day_of_week (ISO: 1 Monday … 7 Sunday, as Trino's day_of_week) and is_weekend, in UTC. */
export function timeParts(nowMs: number): Record<'hour_of_day' | 'day_of_week' | 'is_weekend', number> {
  const date = new Date(nowMs);
  const dow = date.getUTCDay() === 0 ? 7 : date.getUTCDay();
  return { hour_of_day: date.getUTCHours(), day_of_week: dow, is_weekend: dow >= 6 ? 1 : 0 };
}

const asInputValue = (value: unknown): InputValue =>
  value === undefined || (typeof value === 'number' && !Number.isFinite(value))
    ? null
    : Array.isArray(value)
      ? JSON.stringify(value)
      : (value as InputValue);

/** Whether the entity has any event in the view (every freshness null: the view knows nothing of it). */
const knowsEntity = (values: FeatureValues | undefined) =>
  values !== undefined && Object.values(values.freshness).some((f) => f !== null);

/** One entity's input row for a model, from its online values, the request's values and the time parts. */
export function entityInputs(
  inputs: readonly ModelInput[],
  online: Readonly<Record<string, FeatureValues>>,
  requestValues: Readonly<Record<string, RequestFeatureValue>>,
  time: Readonly<Record<string, number>>,
): EntityInputs {
  const values: Record<string, InputValue> = {};
  const freshness: Record<string, string | null> = {};
  const defaulted: string[] = [];
  // Whether each view knows the entity, judged once per view rather than once per input.
  const known = new Map<string, boolean>();
  const viewKnows = (view: string) => {
    const knows = known.get(view) ?? knowsEntity(online[view]);
    known.set(view, knows);
    return knows;
  };
  for (const input of inputs) {
    const { source, name } = input;
    let value: InputValue;
    let has = true;
    if (name in requestValues) {
      value = requestValues[name] as InputValue;
    } else if (source.kind === 'view' || source.kind === 'batch') {
      const group = online[source.kind === 'view' ? source.view : source.source];
      value = asInputValue(group?.features[source.feature]);
      freshness[name] = group?.freshness[source.feature] ?? null;
      has = source.kind === 'view' ? viewKnows(source.view) : freshness[name] !== null;
    } else if (source.kind === 'time') {
      value = time[source.part] ?? null;
    } else {
      value = null;
    }
    values[name] = value;
    if (value === null || !has) defaulted.push(name);
  }
  return { values, freshness, defaulted };
}

/** The inputs a request may set in `features`: request-only inputs, and the time parts (to score "as if"). */
export function settableInputs(artifact: ModelArtifact): string[] {
  return artifact.inputs.filter((i) => i.source.kind === 'request' || i.source.kind === 'time').map((i) => i.name);
}

/** Scores every entity with one model; its rows are built from the same online read. */
export async function scoreEntities(
  model: LoadedModel,
  entityType: string,
  entities: readonly { readonly id: string; readonly features: Readonly<Record<string, RequestFeatureValue>> }[],
  online: readonly Readonly<Record<string, FeatureValues>>[],
  nowMs: number,
): Promise<Prediction[]> {
  const { artifact } = model;
  const time = timeParts(nowMs);
  const rows = entities.map((e, i) => entityInputs(artifact.inputs, online[i] ?? {}, e.features, time));
  // A native scorer answers at once: no await, so no other request's work interleaves with scoring.
  const scored = model.scorer.score(rows.map((r) => r.values));
  const scores = Array.isArray(scored) ? scored : await scored;
  const { threshold, positive, negative } = artifact.decision;
  return rows.map((row, i) => {
    const score = scores[i] as number;
    return {
      entityType,
      entityId: (entities[i] as { id: string }).id,
      score,
      label: score >= threshold ? positive : negative,
      model: artifact.name,
      version: artifact.version,
      features: row.values,
      freshness: row.freshness,
      defaulted: row.defaulted,
    };
  });
}
