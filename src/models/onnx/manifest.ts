/**
 * The manifest `featurelake publish-model` takes beside an ONNX file: which
 * model it is, which entity it scores, and its input features in the order
 * of the model's input tensor — then checked against the catalog, so every
 * input names a feature the endpoint serves for that entity.
 *
 *   {
 *     "name": "purchase_propensity", "entity": "user",
 *     "inputs": [
 *       "user_clickstream.views_1h",                 view or batch source . feature
 *       "time.hour_of_day",                          time . hour_of_day | day_of_week | is_weekend
 *       { "source": "user_profiles.subscription_tier", "type": "categorical",
 *         "categories": ["free", "basic", "premium"] },
 *       { "name": "age", "source": { "kind": "batch", "source": "user_profiles", "feature": "age" }, "fill": 30 }
 *     ],
 *     "onnx": { "input": "input", "output": "probabilities", "positiveIndex": 1 },
 *     "decision": { "threshold": 0.5, "negative": "no_purchase", "positive": "purchase" }
 *   }
 *
 * A numeric input is fed as it is (mean 0, std 1) unless the manifest says
 * otherwise; a missing value becomes `fill` (0 unless given). A categorical
 * one is one-hot over `categories`, in the order the model was trained with.
 */
import * as z from 'zod';
import { defaultValues } from '../../domain/feature-vector.js';
import type { BatchSource } from '../../features/batch-source.js';
import { type Catalog, type FeatureView, featureName } from '../../features/define.js';
import { InputSource, Metrics, type ModelInput } from '../artifact.js';

/** The manifest is wrong, or names what the catalog does not have: the message says which input and why. */
export class ManifestError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ManifestError';
  }
}

const TIME_PARTS = ['hour_of_day', 'day_of_week', 'is_weekend'] as const;

const ManifestInput = z.union([
  z.string().regex(/^[a-z][a-z0-9_]*\.[a-z0-9_]+$/, 'a short form is "<view or batch source>.<feature>" or "time.<part>"'),
  z.strictObject({
    /** @default the feature's name (`<view>__<feature>` when two inputs share one) */
    name: z.string().min(1).optional(),
    source: z.union([z.string(), InputSource]),
    type: z.enum(['numeric', 'categorical']).default('numeric'),
    categories: z.array(z.string()).min(1).optional(),
    mean: z.number().finite().default(0),
    std: z.number().finite().positive().default(1),
    fill: z.number().finite().default(0),
  }),
]);

export const OnnxManifest = z.strictObject({
  name: z.string().regex(/^[a-z][a-z0-9_]{0,62}$/, 'snake_case: a lowercase letter, then letters, digits or _'),
  description: z.string().optional(),
  entity: z.string().min(1),
  inputs: z.array(ManifestInput).min(1),
  /** The graph's float32 [n, inputs] input, and the output whose column `positiveIndex` is P(positive). */
  onnx: z
    .strictObject({
      input: z.string().min(1).default('input'),
      output: z.string().min(1).default('probabilities'),
      positiveIndex: z.number().int().min(0).default(1),
    })
    .prefault({}),
  /** @default threshold 0.5; the classes of the catalog's model of the same name, else '0' and '1' */
  decision: z
    .strictObject({
      threshold: z.number().gt(0).lt(1).optional(),
      positive: z.string().min(1).max(64).optional(),
      negative: z.string().min(1).max(64).optional(),
    })
    .prefault({}),
  parameters: z.record(z.string(), z.unknown()).default({}),
  metrics: z.array(Metrics).default([]),
});
export type OnnxManifest = z.infer<typeof OnnxManifest>;

/** What a manifest resolves to: the artifact's fields but its version, creation time and model body. */
export interface ResolvedManifest {
  readonly name: string;
  readonly description?: string;
  readonly entity: string;
  readonly inputs: ModelInput[];
  readonly onnx: OnnxManifest['onnx'];
  readonly decision: { readonly threshold: number; readonly positive: string; readonly negative: string };
  readonly parameters: Record<string, unknown>;
  readonly metrics: OnnxManifest['metrics'];
}

/** Parses a manifest (JSON already read); throws ManifestError naming each wrong path. */
export function parseManifest(json: unknown): OnnxManifest {
  const parsed = OnnxManifest.safeParse(json);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((i) => `${i.path.length > 0 ? i.path.join('.') : '(top)'}: ${i.message}`);
  throw new ManifestError(`the manifest is not valid: ${problems.join('; ')}`);
}

type ValueKind = 'number' | 'text' | 'list' | 'unknown';

/** What kind of value a zod field holds, through optional, nullable and default wrappers. */
function zodKind(schema: unknown): ValueKind {
  type Def = { type?: string; innerType?: unknown; entries?: Record<string, unknown> };
  let def = (schema as { _zod?: { def?: Def } } | undefined)?._zod?.def;
  while (def && ['optional', 'nullable', 'default'].includes(def.type ?? ''))
    def = (def.innerType as { _zod?: { def?: Def } })._zod?.def;
  if (def?.type === 'number' || def?.type === 'int' || def?.type === 'boolean') return 'number';
  if (def?.type === 'string' || def?.type === 'enum') return 'text';
  if (def?.type === 'array') return 'list';
  return 'unknown';
}

/** What kind of value a view's feature serves: counts and ratios are numbers; first/last keep their field's kind. */
function viewFeatureKind(view: FeatureView, feature: string): ValueKind {
  const value = defaultValues(view).features[feature];
  if (Array.isArray(value)) return 'list';
  if (typeof value === 'number') return 'number';
  const aggregation = view.aggregations.find((a) => view.windows.some((w) => featureName(a.name, w) === feature));
  if (aggregation && (aggregation.kind === 'last' || aggregation.kind === 'first') && aggregation.field)
    return zodKind(view.source.schema.shape[aggregation.field]);
  return aggregation ? 'number' : 'unknown';
}

interface Resolved {
  readonly source: InputSource;
  /** The feature's own name, the input's default name. */
  readonly feature: string;
  readonly kind: ValueKind;
}

function resolveSource(ref: string | InputSource, entity: string, catalog: Catalog, at: string): Resolved {
  const batches: readonly BatchSource[] = catalog.batchSources ?? [];
  let source: InputSource;
  if (typeof ref === 'string') {
    const dot = ref.indexOf('.');
    const [owner, feature] = [ref.slice(0, dot), ref.slice(dot + 1)];
    if (dot < 0) throw new ManifestError(`${at}: not "<view or batch source>.<feature>"`);
    if (catalog.featureViews.some((v) => v.name === owner)) source = { kind: 'view', view: owner, feature };
    else if (batches.some((b) => b.name === owner)) source = { kind: 'batch', source: owner, feature };
    else if (owner === 'time') {
      if (!(TIME_PARTS as readonly string[]).includes(feature))
        throw new ManifestError(`${at}: the time parts are ${TIME_PARTS.join(', ')}`);
      source = { kind: 'time', part: feature as (typeof TIME_PARTS)[number] };
    } else {
      const owners = [...catalog.featureViews, ...batches].filter((o) => o.entity.name === entity).map((o) => o.name);
      throw new ManifestError(
        `${at}: the catalog has no feature view or batch source "${owner}" (${entity}'s are ${owners.join(', ') || 'none'}; or time.<part>)`,
      );
    }
  } else source = ref;

  if (source.kind === 'view') {
    const view = catalog.featureViews.find((v) => v.name === source.view);
    if (!view) throw new ManifestError(`${at}: the catalog has no feature view "${source.view}"`);
    if (view.entity.name !== entity)
      throw new ManifestError(
        `${at}: ${view.name}.${source.feature} is a feature of ${view.entity.name}, not of the model's entity ${entity}`,
      );
    if (!(source.feature in defaultValues(view).features))
      throw new ManifestError(`${at}: feature view ${view.name} has no feature "${source.feature}"`);
    return { source, feature: source.feature, kind: viewFeatureKind(view, source.feature) };
  }
  if (source.kind === 'batch') {
    const batch = batches.find((b) => b.name === source.source);
    if (!batch) throw new ManifestError(`${at}: the catalog has no batch source "${source.source}"`);
    if (batch.entity.name !== entity)
      throw new ManifestError(
        `${at}: ${batch.name}.${source.feature} is a feature of ${batch.entity.name}, not of the model's entity ${entity}`,
      );
    if (!(batch.features as readonly string[]).includes(source.feature))
      throw new ManifestError(
        `${at}: batch source ${batch.name} serves no "${source.feature}" (it serves ${batch.features.join(', ')})`,
      );
    const shape = batch.schema.shape as Record<string, unknown>;
    return { source, feature: source.feature, kind: zodKind(shape[source.feature]) };
  }
  if (source.kind === 'time') return { source, feature: source.part, kind: 'number' };
  return { source, feature: '', kind: 'unknown' };
}

/**
 * The manifest's inputs as the artifact's, each checked against the catalog: the entity exists, every
 * view or batch source exists, is of that entity and serves the feature, and a numeric input is not text.
 * Throws ManifestError naming the input (`inputs[2] (user_profiles.country)`) and what is wrong.
 */
export function resolveManifest(manifest: OnnxManifest, catalog: Catalog): ResolvedManifest {
  if (!catalog.entities.some((e) => e.name === manifest.entity))
    throw new ManifestError(
      `entity: the catalog has no entity "${manifest.entity}" (it has ${catalog.entities.map((e) => e.name).join(', ')})`,
    );
  const defined = catalog.models?.find((m) => m.name === manifest.name);
  if (defined && defined.entity.name !== manifest.entity)
    throw new ManifestError(`entity: the catalog's model ${defined.name} scores ${defined.entity.name}, not ${manifest.entity}`);

  const resolved = manifest.inputs.map((input, i) => {
    const spec = typeof input === 'string' ? undefined : input;
    const ref = spec?.source ?? (input as string);
    const at = `inputs[${i}] (${typeof ref === 'string' ? ref : (spec?.name ?? JSON.stringify(ref))})`;
    const r = resolveSource(ref, manifest.entity, catalog, at);
    if (r.source.kind === 'request' && !spec?.name) throw new ManifestError(`${at}: a request input needs a name`);
    return { input: spec, at, ...r };
  });
  const featureCounts = new Map<string, number>();
  for (const r of resolved) featureCounts.set(r.feature, (featureCounts.get(r.feature) ?? 0) + 1);

  const inputs = resolved.map(({ input, at, source, feature, kind }): ModelInput => {
    const owner = source.kind === 'view' ? source.view : source.kind === 'batch' ? source.source : undefined;
    const name = input?.name ?? ((featureCounts.get(feature) ?? 0) > 1 && owner !== undefined ? `${owner}__${feature}` : feature);
    const type = input?.type ?? 'numeric';
    if (kind === 'list') throw new ManifestError(`${at}: serves a list of values, which no model input can take`);
    if (type === 'categorical') {
      if (!input?.categories) throw new ManifestError(`${at}: a categorical input needs its categories, in the model's order`);
      return { name, source, type, categories: input.categories };
    }
    if (input?.categories) throw new ManifestError(`${at}: categories are for a categorical input; say "type": "categorical"`);
    if (kind === 'text')
      throw new ManifestError(
        `${at}: serves text, not a number: give it as { "source": ..., "type": "categorical", "categories": [...] } in the order the model was trained with`,
      );
    return { name, source, type, mean: input?.mean ?? 0, std: input?.std ?? 1, fill: input?.fill ?? 0 };
  });
  const seen = new Set<string>();
  for (const [i, input] of inputs.entries()) {
    if (seen.has(input.name))
      throw new ManifestError(`inputs[${i}]: the name "${input.name}" is taken by an earlier input; give it another "name"`);
    seen.add(input.name);
  }

  const classes = defined?.classes ?? { negative: '0', positive: '1' };
  const decision = {
    threshold: manifest.decision.threshold ?? defined?.threshold ?? 0.5,
    positive: manifest.decision.positive ?? classes.positive,
    negative: manifest.decision.negative ?? classes.negative,
  };
  if (decision.positive === decision.negative) throw new ManifestError('decision: the two classes need two names');
  return {
    name: manifest.name,
    ...(manifest.description === undefined ? {} : { description: manifest.description }),
    entity: manifest.entity,
    inputs,
    onnx: manifest.onnx,
    decision,
    parameters: manifest.parameters,
    metrics: manifest.metrics,
  };
}
