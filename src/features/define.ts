/**
 * The feature-definition language. A feature catalog (see ./catalog.ts) is
 * written with these helpers and is the single source of truth for the CDK
 * app, the Lambdas, the local stack and the SQL generator.
 *
 * Everything here is declarative data (no callbacks), so the same definition
 * can be evaluated in TypeScript and rendered as SQL.
 */
import type { z } from 'zod';
import { type Duration, parseDuration } from '../domain/duration.js';
import type { Model } from '../models/define.js';
import { type Expectation, validateExpectations } from '../quality/expectations.js';
import type { BatchSource } from './batch-source.js';
import { AGGREGATION_KINDS, type AggregationKind, isAggregationKind, kindOf } from './kinds/index.js';
import type { Label } from './labels.js';

export type { AggregationKind } from './kinds/index.js';

/** A kind of event on the stream, identified by the `source` field of each record. */
export interface EventSource<S extends z.ZodObject = z.ZodObject> {
  readonly name: string;
  readonly description: string;
  /** Validates one event (without the `source` discriminator). */
  readonly schema: S;
  /** Field holding the event time: epoch milliseconds or an ISO-8601 string with offset. */
  readonly eventTimeField: keyof z.infer<S> & string;
  /**
   * How late (event time before arrival) this source's events may be. It tightens each
   * consumer's own bound (the environment's `maxLatenessSeconds`), never loosens it.
   * @default the consumer's bound
   */
  readonly allowedLateness?: Duration;
  /**
   * How far ahead of arrival this source's producers' clocks may run; tightens the consumers'
   * `maxClockSkewSeconds` likewise. @default the consumer's bound
   */
  readonly clockSkew?: Duration;
  /**
   * Count an event once when its producer put it twice (a timed-out PutRecords that had succeeded,
   * retried): events with the same value of `field` within `horizon` of the first one's arrival are
   * dropped by every consumer (src/dedupe/first-occurrence.ts). Costs one conditional write per
   * event per consumer. @default none: every record counts
   */
  readonly dedupeBy?: { readonly field: keyof z.infer<S> & string; readonly horizon: Duration };
  /**
   * Data-quality expectations on its events (src/quality/expectations.ts): checked on every batch by the
   * stream consumers and published as metrics; an event breaking a `hard` one is quarantined as
   * `expectation_failed`. @default none
   */
  readonly expectations?: readonly Expectation[];
}

/** A thing features describe (a user, a product), identified by one key field. */
export interface Entity {
  readonly name: string;
  readonly description: string;
  /** Event field that holds the entity id; also the stream partition key. */
  readonly keyField: string;
}

/** Keeps an event when `field` equals `equals` (or is one of `in`). */
export type EventFilter =
  | { readonly field: string; readonly equals: string | number | boolean }
  | { readonly field: string; readonly in: readonly (string | number | boolean)[] };

export interface Aggregation {
  /** Feature base name; the served feature is `<name>_<window>`. */
  readonly name: string;
  /** One of the registry's kinds (src/features/kinds/). */
  readonly kind: AggregationKind;
  /** Field aggregated; required by every kind that reads one (all but count and time_since_last). */
  readonly field?: string;
  /** How many values `last_k_distinct` keeps. */
  readonly k?: number;
  /** Which quantile `percentile` serves, 0–1 (0.9 for p90). */
  readonly quantile?: number;
  /** Only events matching this filter contribute. */
  readonly where?: EventFilter;
  readonly description: string;
}

/** A feature computed from two aggregations of the same window: numerator / denominator. */
export interface RatioFeature {
  readonly name: string;
  readonly numerator: string;
  readonly denominator: string;
  /** Served when the denominator is zero. */
  readonly whenUndefined: number | null;
  readonly description: string;
}

/**
 * One aggregation over a recent window against its pace over a longer baseline
 * window (seed 000's `recent_access_trend`): served once, as `name`, equal to
 * recent / max(minBaseline, baseline × recent length / baseline length). With
 * a 24 h recent and a 7 d baseline window: count_24h / max(1, count_7d / 7).
 */
export interface TrendFeature {
  readonly name: string;
  /** A numeric aggregation of the view (count, sum…). */
  readonly aggregation: string;
  /** Window names of the view. */
  readonly recent: string;
  readonly baseline: string;
  /** Floor of the scaled baseline, so a quiet history does not blow the trend up. @default 0 */
  readonly minBaseline?: number;
  /** Served when the scaled baseline (after the floor) is zero. */
  readonly whenUndefined: number | null;
  readonly description: string;
}

/**
 * A window of `length`, stored as tiles of width `hop` (see docs/window-semantics.md),
 * or `'lifetime'`: every event since the entity's first, in one tile that never expires.
 */
export interface WindowSpec {
  readonly name: string;
  readonly length: Duration | 'lifetime';
  /**
   * Tile width: the old edge of the window steps by it. @default the finest width that divides
   * the length in at most TARGET_TILES_PER_WINDOW − 1 tiles (about a twelfth of the window), so a
   * view of several windows stays within MAX_TILES_PER_VIEW; none for a lifetime window
   */
  readonly hop?: Duration;
  /**
   * Hierarchical tiles: the old edge steps by this finer width while the body is read in hop-wide
   * tiles (a 90-day window with 10-day tiles and 1-day edges reads at most 9 + 10 tiles, and is
   * exact to the day). Divides the hop. @default the hop: one width
   */
  readonly edge?: Duration;
}

/**
 * The hop of a lifetime window: one tile per entity, starting at 0, holding
 * every event since the first; it never expires.
 */
export const LIFETIME_HOP_SECONDS = 0;

/** A request reads L/H + 1 tiles per window: at most this many, so a long window gets a coarse hop. */
export const MAX_TILES_PER_WINDOW = 60;
/** What a window reads at its default hop: about a twelfth of the window per tile. */
export const TARGET_TILES_PER_WINDOW = 13;
/** Tiles one request reads per feature view (tiles of one width are shared by its windows). */
export const MAX_TILES_PER_VIEW = 64;
/** Tile widths a hop is chosen from: each divides a day, or is whole days. */
const DAY_SECONDS = 86_400;
const HOP_LADDER_SECONDS = [
  60,
  300,
  600,
  900,
  1_800,
  3_600,
  7_200,
  10_800,
  21_600,
  43_200,
  ...[1, 2, 3, 5, 6, 7, 10, 14, 15, 30].map((days) => days * DAY_SECONDS),
];

/**
 * The finest hop of the ladder that divides `lengthSeconds` in at most TARGET_TILES_PER_WINDOW tiles,
 * else in at most MAX_TILES_PER_WINDOW.
 */
export function defaultHopSeconds(lengthSeconds: number): number | undefined {
  const fits = (tiles: number) => (hop: number) =>
    hop <= lengthSeconds && lengthSeconds % hop === 0 && lengthSeconds / hop + 1 <= tiles;
  // A length no ladder width divides in about twelve (25 h, 31 d) takes the finest that fits the window's maximum.
  return HOP_LADDER_SECONDS.find(fits(TARGET_TILES_PER_WINDOW)) ?? HOP_LADDER_SECONDS.find(fits(MAX_TILES_PER_WINDOW));
}

export interface FeatureViewSpec {
  readonly name: string;
  readonly description: string;
  readonly entity: Entity;
  readonly source: EventSource;
  readonly aggregations: readonly Aggregation[];
  readonly ratios?: readonly RatioFeature[];
  readonly trends?: readonly TrendFeature[];
  readonly windows: readonly WindowSpec[];
  /** How long a tile stays in the online store after its end. At least the longest window. */
  readonly ttl: Duration;
  /**
   * Data-quality expectations on the events of its source, owned by the view (a view that needs a field
   * present says so here): counted with the source's, under the source's name. Soft only: the events
   * are the source's, which the lake and other views share, so a view does not quarantine them. @default none
   */
  readonly expectations?: readonly Expectation[];
}

/** A window with its durations resolved to seconds. */
export interface Window {
  readonly name: string;
  readonly lengthSeconds: number;
  readonly hopSeconds: number;
  /** Width of the tiles at the window's old edge: the hop, or a finer width (hierarchical tiles). */
  readonly edgeSeconds: number;
}

/** A validated feature view with durations resolved; what the rest of the code consumes. */
export interface FeatureView extends Omit<FeatureViewSpec, 'windows' | 'ttl' | 'ratios' | 'trends'> {
  readonly windows: readonly Window[];
  readonly ratios: readonly RatioFeature[];
  readonly trends: readonly TrendFeature[];
  readonly ttlSeconds: number;
  /** Distinct tile widths (hops and edges), ascending: one tile per width per entity is written. */
  readonly hopsSeconds: readonly number[];
  readonly longestWindowSeconds: number;
}

const NAME = /^[a-z][a-z0-9_]{0,62}$/;

/** Whether a zod field schema holds numbers (through optional, nullable and default wrappers). */
function isNumeric(schema: unknown): boolean {
  let def = (schema as { _zod?: { def?: { type?: string; innerType?: unknown } } } | undefined)?._zod?.def;
  while (def && (def.type === 'optional' || def.type === 'nullable' || def.type === 'default')) {
    def = (def.innerType as { _zod?: { def?: { type?: string; innerType?: unknown } } })._zod?.def;
  }
  return def?.type === 'number' || def?.type === 'int';
}

/** What expectations may read of a schema. */
function schemaFields(shape: Readonly<Record<string, unknown>>) {
  return { has: (field: string) => field in shape, isNumeric: (field: string) => isNumeric(shape[field]) };
}

function assertName(kind: string, name: string): void {
  if (!NAME.test(name)) {
    throw new Error(`${kind} name "${name}" must be snake_case: a lowercase letter, then letters, digits or _`);
  }
}

export function defineSource<S extends z.ZodObject>(source: EventSource<S>): EventSource<S> {
  assertName('source', source.name);
  // Parsed here so a typo fails at definition, not on the first event.
  if (source.allowedLateness !== undefined) parseDuration(source.allowedLateness);
  if (source.clockSkew !== undefined) parseDuration(source.clockSkew);
  if (source.dedupeBy) {
    if (!(source.dedupeBy.field in source.schema.shape)) {
      throw new Error(`source ${source.name}: dedupeBy field "${source.dedupeBy.field}" is not in its schema`);
    }
    if (parseDuration(source.dedupeBy.horizon) > 86_400) {
      throw new Error(`source ${source.name}: a dedupeBy horizon over a day keeps a marker per event that long; at most 1d`);
    }
  }
  if (!(source.eventTimeField in source.schema.shape)) {
    throw new Error(`source ${source.name}: eventTimeField "${source.eventTimeField}" is not in its schema`);
  }
  validateExpectations(`source ${source.name}`, source.expectations ?? [], schemaFields(source.schema.shape), {
    allowHard: true,
  });
  return source;
}

export function defineEntity(entity: Entity): Entity {
  assertName('entity', entity.name);
  return entity;
}

/** Validates a feature view spec and resolves its durations. Throws with the view's name on any mistake. */
export function defineFeatureView(spec: FeatureViewSpec): FeatureView {
  const fail = (what: string): never => {
    throw new Error(`feature view ${spec.name}: ${what}`);
  };
  assertName('feature view', spec.name);
  const shape = spec.source.schema.shape;
  if (!(spec.entity.keyField in shape)) fail(`entity key "${spec.entity.keyField}" is not a field of ${spec.source.name}`);
  if (spec.aggregations.length === 0) fail('needs at least one aggregation');
  if (spec.windows.length === 0) fail('needs at least one window');
  validateExpectations(`feature view ${spec.name}`, spec.expectations ?? [], schemaFields(shape), {
    allowHard: false,
    taken: new Set((spec.source.expectations ?? []).map((e) => e.name)),
  });

  const aggregationNames = new Set<string>();
  for (const agg of spec.aggregations) {
    assertName('aggregation', agg.name);
    if (aggregationNames.has(agg.name)) fail(`aggregation "${agg.name}" is declared twice`);
    aggregationNames.add(agg.name);
    if (!isAggregationKind(agg.kind)) {
      fail(`aggregation "${agg.name}": unknown kind "${agg.kind}"; kinds: ${Object.keys(AGGREGATION_KINDS).join(', ')}`);
    }
    const kind = kindOf(agg.kind);
    if (kind.field !== 'none' && !agg.field) fail(`aggregation "${agg.name}" (${agg.kind}) needs a field`);
    if (kind.field === 'none' && agg.field)
      fail(`aggregation "${agg.name}" (${agg.kind}) reads no field, yet names "${agg.field}"`);
    if (agg.field && !(agg.field in shape)) fail(`aggregation "${agg.name}" reads unknown field "${agg.field}"`);
    if (agg.field && kind.field === 'number' && !isNumeric(shape[agg.field])) {
      fail(`aggregation "${agg.name}" (${agg.kind}) needs a numeric field; "${agg.field}" is not one`);
    }
    const problem = kind.validate?.(agg);
    if (problem) fail(`aggregation "${agg.name}" (${agg.kind}) ${problem}`);
    if (agg.where && !(agg.where.field in shape)) fail(`aggregation "${agg.name}" filters on unknown field "${agg.where.field}"`);
  }
  const ratios = spec.ratios ?? [];
  for (const ratio of ratios) {
    assertName('ratio', ratio.name);
    if (aggregationNames.has(ratio.name)) fail(`ratio "${ratio.name}" has the name of an aggregation`);
    for (const input of [ratio.numerator, ratio.denominator]) {
      if (!aggregationNames.has(input)) fail(`ratio "${ratio.name}" refers to unknown aggregation "${input}"`);
    }
  }

  const windowNames = new Set<string>();
  const windows = spec.windows.map((w): Window => {
    if (!/^[a-z0-9]+$/.test(w.name)) fail(`window name "${w.name}" must be lowercase letters and digits`);
    if (windowNames.has(w.name)) fail(`window "${w.name}" is declared twice`);
    windowNames.add(w.name);
    if (w.length === 'lifetime') {
      if (w.hop !== undefined || w.edge !== undefined) fail(`window "${w.name}": a lifetime window has no hop`);
      return {
        name: w.name,
        lengthSeconds: Number.POSITIVE_INFINITY,
        hopSeconds: LIFETIME_HOP_SECONDS,
        edgeSeconds: LIFETIME_HOP_SECONDS,
      };
    }
    const lengthSeconds = parseDuration(w.length);
    const hopSeconds = w.hop === undefined ? defaultHopSeconds(lengthSeconds) : parseDuration(w.hop);
    if (hopSeconds === undefined) {
      return fail(
        `window "${w.name}": no hop of ${HOP_LADDER_SECONDS.join(', ')} s divides ${w.length} in ≤ ${MAX_TILES_PER_WINDOW - 1} hops (${MAX_TILES_PER_WINDOW} tiles); give one`,
      );
    }
    if (lengthSeconds / hopSeconds + 1 > MAX_TILES_PER_WINDOW) {
      fail(
        `window "${w.name}": ${w.length} in hops of ${w.hop} reads ${lengthSeconds / hopSeconds + 1} tiles; at most ${MAX_TILES_PER_WINDOW} (a coarser hop)`,
      );
    }
    if (hopSeconds > lengthSeconds) fail(`window "${w.name}": hop ${w.hop} is longer than the window ${w.length}`);
    if (lengthSeconds % hopSeconds !== 0) fail(`window "${w.name}": length ${w.length} is not a multiple of hop ${w.hop}`);
    if (86_400 % hopSeconds !== 0 && hopSeconds % 86_400 !== 0) {
      fail(`window "${w.name}": hop ${w.hop} must divide a day (or be whole days) so tiles align to UTC days`);
    }
    const edgeSeconds = w.edge === undefined ? hopSeconds : parseDuration(w.edge);
    if (edgeSeconds > hopSeconds || hopSeconds % edgeSeconds !== 0) {
      fail(`window "${w.name}": edge ${w.edge} must divide the hop (${hopSeconds} s)`);
    }
    if (86_400 % edgeSeconds !== 0 && edgeSeconds % 86_400 !== 0) {
      fail(`window "${w.name}": edge ${w.edge} must divide a day (or be whole days) so tiles align to UTC days`);
    }
    return { name: w.name, lengthSeconds, hopSeconds, edgeSeconds };
  });
  // A lifetime tile never expires; the ttl is about the others.
  const longestWindowSeconds = Math.max(
    0,
    ...windows.filter((w) => w.hopSeconds !== LIFETIME_HOP_SECONDS).map((w) => w.lengthSeconds),
  );
  // Tiles of one width are shared: per width, the longest window of that width decides how many are read.
  const tilesRead =
    [...new Set(windows.map((w) => w.hopSeconds))].reduce((total, hop) => {
      const longest = Math.max(...windows.filter((w) => w.hopSeconds === hop).map((w) => w.lengthSeconds));
      return total + (hop === LIFETIME_HOP_SECONDS ? 1 : longest / hop + 1);
    }, 0) +
    // Hierarchical windows: at most hop/edge − 1 edge tiles each.
    windows.reduce((total, w) => total + (w.edgeSeconds === w.hopSeconds ? 0 : w.hopSeconds / w.edgeSeconds - 1), 0);
  if (tilesRead > MAX_TILES_PER_VIEW) {
    fail(`its windows read ${tilesRead} tiles per request; at most ${MAX_TILES_PER_VIEW} (coarser hops, or fewer widths)`);
  }
  const trends = spec.trends ?? [];
  const featureNames = new Set(
    windows.flatMap((w) => [...aggregationNames, ...ratios.map((r) => r.name)].map((n) => `${n}_${w.name}`)),
  );
  for (const trend of trends) {
    assertName('trend', trend.name);
    if (aggregationNames.has(trend.name) || ratios.some((r) => r.name === trend.name) || featureNames.has(trend.name)) {
      fail(`trend "${trend.name}" has the name of another feature`);
    }
    const agg = spec.aggregations.find((a) => a.name === trend.aggregation);
    if (!agg) fail(`trend "${trend.name}" refers to unknown aggregation "${trend.aggregation}"`);
    else if (!['count', 'sum'].includes(agg.kind)) fail(`trend "${trend.name}" needs a count or sum, not ${agg.kind}`);
    const recent = windows.find((w) => w.name === trend.recent);
    const baseline = windows.find((w) => w.name === trend.baseline);
    if (!recent) fail(`trend "${trend.name}" refers to unknown window "${trend.recent}"`);
    if (!baseline) fail(`trend "${trend.name}" refers to unknown window "${trend.baseline}"`);
    if (recent && baseline && !(recent.lengthSeconds < baseline.lengthSeconds && Number.isFinite(baseline.lengthSeconds))) {
      fail(`trend "${trend.name}": window ${trend.recent} must be shorter than ${trend.baseline}, and neither a lifetime`);
    }
  }
  if (new Set(trends.map((t) => t.name)).size !== trends.length) fail('a trend is declared twice');
  const ttlSeconds = parseDuration(spec.ttl);
  if (ttlSeconds < longestWindowSeconds) fail(`ttl ${spec.ttl} is shorter than the longest window`);

  return {
    ...spec,
    windows,
    ratios,
    trends,
    ttlSeconds,
    longestWindowSeconds,
    hopsSeconds: [...new Set(windows.flatMap((w) => [w.hopSeconds, w.edgeSeconds]))].sort((a, b) => a - b),
  };
}

/** Served feature name: aggregation or ratio name, then the window name. */
export function featureName(base: string, window: Pick<Window, 'name'>): string {
  return `${base}_${window.name}`;
}

/**
 * A feature catalog: the sources on the stream, the entities and the feature
 * views computed from them. Passed to what needs it (handlers, the local
 * stack, the CDK app), so one engine serves any catalog.
 */
export interface Catalog {
  readonly sources: readonly EventSource[];
  readonly entities: readonly Entity[];
  readonly featureViews: readonly FeatureView[];
  /** Labels `featurelake training-set --labels <name>` computes from the stream (./labels.ts). */
  readonly labels?: readonly Label[];
  /** Entity attributes from files (./batch-source.ts), served beside the views of their entity. @default none */
  readonly batchSources?: readonly BatchSource[];
  /** Models trained on the catalog's labels and served by POST /predict (src/models/define.ts). @default none */
  readonly models?: readonly Model[];
}

/** Checks a catalog as a whole: unique names, every view's source and entity listed. */
export function defineCatalog(catalog: Catalog): Catalog {
  const unique = (kind: string, names: readonly string[]) => {
    const seen = new Set<string>();
    for (const name of names) {
      if (seen.has(name)) throw new Error(`catalog: ${kind} "${name}" is defined twice`);
      seen.add(name);
    }
  };
  unique(
    'source',
    catalog.sources.map((s) => s.name),
  );
  unique(
    'entity',
    catalog.entities.map((e) => e.name),
  );
  unique(
    'feature view',
    catalog.featureViews.map((v) => v.name),
  );
  unique(
    'label',
    (catalog.labels ?? []).map((l) => l.name),
  );
  for (const label of catalog.labels ?? []) {
    for (const source of [label.source, label.observe.source]) {
      if (!catalog.sources.includes(source))
        throw new Error(`catalog: label ${label.name} reads source ${source.name}, which the catalog does not list`);
    }
  }
  // A batch source is named beside the views in the API (?views=) and beside the sources in the lake.
  const batchSources = catalog.batchSources ?? [];
  unique('feature view or batch source', [...catalog.featureViews.map((v) => v.name), ...batchSources.map((b) => b.name)]);
  unique('source or batch source (lake table)', [...catalog.sources.map((s) => s.name), ...batchSources.map((b) => b.name)]);
  for (const batch of batchSources) {
    if (!catalog.entities.includes(batch.entity))
      throw new Error(
        `catalog: batch source ${batch.name} describes entity ${batch.entity.name}, which the catalog does not list`,
      );
  }
  unique(
    'model',
    (catalog.models ?? []).map((m) => m.name),
  );
  for (const model of catalog.models ?? []) {
    if (!(catalog.labels ?? []).includes(model.label))
      throw new Error(`catalog: model ${model.name} is trained on label ${model.label.name}, which the catalog does not list`);
    for (const view of model.views)
      if (!catalog.featureViews.includes(view))
        throw new Error(`catalog: model ${model.name} reads view ${view.name}, which the catalog does not list`);
    for (const batch of model.batchSources)
      if (!batchSources.includes(batch))
        throw new Error(`catalog: model ${model.name} reads batch source ${batch.name}, which the catalog does not list`);
  }
  // A view's expectations are counted under its source's name: one name per source.
  const expectationOwners = new Map<string, string>();
  for (const view of catalog.featureViews) {
    for (const e of view.expectations ?? []) {
      const key = `${view.source.name}/${e.name}`;
      const other = expectationOwners.get(key);
      if (other)
        throw new Error(
          `catalog: expectation "${e.name}" of source ${view.source.name} is declared by ${other} and ${view.name}`,
        );
      expectationOwners.set(key, view.name);
    }
  }
  for (const view of catalog.featureViews) {
    if (!catalog.sources.includes(view.source)) {
      throw new Error(`catalog: feature view ${view.name} reads source ${view.source.name}, which the catalog does not list`);
    }
    if (!catalog.entities.includes(view.entity)) {
      throw new Error(`catalog: feature view ${view.name} describes entity ${view.entity.name}, which the catalog does not list`);
    }
  }
  return catalog;
}
