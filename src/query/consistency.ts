/**
 * Online = offline, checked: the features the online API served for sampled
 * entities at one instant, against the same features recomputed from the
 * lake by the generated SQL (./feature-sql.ts) as of that instant, counting
 * only events that had arrived by then. Each kind is compared within its
 * documented error: exactly, but for a percentile (the sketch's relative
 * accuracy) and a distinct count past 100 values (the HyperLogLog's bound).
 *
 * An entity whose newest event arrived within `inFlightMs` of the instant may
 * not have been applied online yet: it is reported apart, not as a mismatch.
 */
import { type FeatureView, featureName } from '../features/define.js';
import { EXACT_LIMIT, HLL_TOLERANCE } from '../features/kinds/distinct-count.js';
import { RELATIVE_ACCURACY } from '../features/kinds/percentile.js';
import { type FeatureSqlOptions, ident, lookbackMs, partitionsFor, viewFeaturesSql } from './feature-sql.js';
import type { QueryResult } from './local-engine.js';

export type RunSql = (sql: string) => Promise<QueryResult>;

export interface Mismatch {
  readonly entity: string;
  readonly feature: string;
  readonly online: unknown;
  readonly offline: unknown;
}

export interface ViewReport {
  readonly view: string;
  readonly entities: number;
  /** Feature values compared (entities in flight excluded). */
  readonly compared: number;
  readonly mismatches: readonly Mismatch[];
  /** Entities left out: an event of theirs arrived within the in-flight allowance of the read. */
  readonly inFlight: readonly string[];
}

/** How a served feature is compared: its aggregation's kind, or exact for ratios and trends. */
type Tolerance = 'exact' | 'percentile' | 'distinct';
const tolerances = new WeakMap<FeatureView, Map<string, Tolerance>>();

function toleranceOf(view: FeatureView, feature: string): Tolerance {
  let byFeature = tolerances.get(view);
  if (!byFeature) {
    // The sketch kinds' features, once per view; everything else (ratios, trends included) is exact.
    byFeature = new Map();
    for (const window of view.windows) {
      for (const agg of view.aggregations) {
        if (agg.kind === 'percentile') byFeature.set(featureName(agg.name, window), 'percentile');
        if (agg.kind === 'distinct_count') byFeature.set(featureName(agg.name, window), 'distinct');
      }
    }
    tolerances.set(view, byFeature);
  }
  return byFeature.get(feature) ?? 'exact';
}

const asNumber = (v: unknown): number | undefined => (typeof v === 'number' ? v : typeof v === 'bigint' ? Number(v) : undefined);

/** Whether an online value and an offline one agree within the feature's tolerance. */
export function agrees(view: FeatureView, feature: string, online: unknown, offline: unknown): boolean {
  const a = asNumber(online);
  const b = asNumber(offline);
  if (a === undefined || b === undefined) {
    const normal = (v: unknown) => JSON.stringify(v === undefined ? null : v, (_k, x) => (typeof x === 'bigint' ? Number(x) : x));
    return normal(online) === normal(offline);
  }
  switch (toleranceOf(view, feature)) {
    case 'percentile':
      return Math.abs(a - b) <= RELATIVE_ACCURACY * Math.abs(b) + 1e-9;
    case 'distinct':
      return b <= EXACT_LIMIT ? a === b : Math.abs(a - b) <= HLL_TOLERANCE * b;
    default:
      return Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b));
  }
}

/** N entities of the view with events in its longest window before `nowMs`, picked at random by the engine. */
export async function sampleEntities(
  run: RunSql,
  view: FeatureView,
  n: number,
  nowMs: number,
  options: FeatureSqlOptions,
): Promise<string[]> {
  const key = ident(view.entity.keyField);
  const since = nowMs - (lookbackMs(view) ?? 86_400_000);
  const result = await run(
    `SELECT entity FROM (SELECT DISTINCT CAST(${key} AS VARCHAR) AS entity FROM ${ident(view.source.name)} WHERE ${partitionsFor(since, nowMs, options)}) picked ORDER BY random() LIMIT ${n}`,
  );
  return result.rows.map((r) => String(r.entity));
}

/** The offline features of each (entity, instant), as the online store could serve them then. */
export async function offlineFeatures(
  run: RunSql,
  view: FeatureView,
  points: readonly { readonly entity: string; readonly atMs: number }[],
  options: FeatureSqlOptions,
): Promise<Map<string, Record<string, unknown>>> {
  if (points.length === 0) return new Map();
  const key = view.entity.keyField;
  const values = points.map((p) => `('${p.entity.replaceAll("'", "''")}', CAST(${Math.round(p.atMs)} AS BIGINT))`).join(', ');
  const times = points.map((p) => p.atMs);
  const sql = viewFeaturesSql(
    view,
    {
      relation: `(VALUES ${values}) AS spine(${ident(key)}, __as_of_ms)`,
      fromMs: Math.min(...times),
      toMs: Math.max(...times),
      asServed: true,
    },
    options,
  );
  const result = await run(sql);
  return new Map(result.rows.map((row) => [`${row[key]}@${Number(row.__as_of_ms)}`, row]));
}

/** Compares what the API served with the offline values of the same instants. */
export function compareView(
  view: FeatureView,
  served: readonly { readonly entity: string; readonly atMs: number; readonly features: Readonly<Record<string, unknown>> }[],
  offline: ReadonlyMap<string, Record<string, unknown>>,
  inFlightMs: number,
): ViewReport {
  const mismatches: Mismatch[] = [];
  const inFlight: string[] = [];
  let compared = 0;
  for (const { entity, atMs, features } of served) {
    const row = offline.get(`${entity}@${Math.round(atMs)}`);
    if (!row) throw new Error(`no offline row for ${entity} at ${new Date(atMs).toISOString()}`);
    const newest = asNumber(row.__newest_arrival_ms);
    if (newest !== undefined && newest > atMs - inFlightMs) {
      inFlight.push(entity);
      continue;
    }
    for (const [feature, online] of Object.entries(features)) {
      compared++;
      if (!agrees(view, feature, online, row[feature])) mismatches.push({ entity, feature, online, offline: row[feature] });
    }
  }
  return { view: view.name, entities: served.length, compared, mismatches, inFlight };
}

/** The share of compared values that agree, 0–1 (1 when nothing was compared). */
export function consistencyRate(reports: readonly ViewReport[]): number {
  const compared = reports.reduce((n, r) => n + r.compared, 0);
  const mismatched = reports.reduce((n, r) => n + r.mismatches.length, 0);
  return compared === 0 ? 1 : (compared - mismatched) / compared;
}
