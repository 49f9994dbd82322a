/**
 * Offline features, generated from the same definitions as the online ones:
 * the SQL (Trino, for Athena; DuckDB through ./rewrite.ts) that computes every
 * feature of a view as of any time, with the online semantics written in
 * docs/window-semantics.md:
 *
 * - an event counts at its window time, min(event time, arrival);
 * - a window of length L and hop H at time T holds the events with window
 *   time in [floor((T − L) / H) · H, T]; a lifetime window every one ≤ T;
 * - events the aggregator rejects (more than its lateness bound before their
 *   arrival, or more than its clock-skew bound after) count nowhere, though
 *   the lake keeps them longer;
 * - each kind renders its own aggregate (AggregationOps.sql), and an empty
 *   window serves the kind's default.
 *
 * A row sees only events with window time at or before its time: no leakage.
 * The input is a spine, a relation of (entity key, `__as_of_ms`) pairs; the
 * output has one row per distinct pair and a column per served feature.
 */

import { parseDuration } from '../domain/duration.js';
import { type EventFilter, type FeatureView, featureName, LIFETIME_HOP_SECONDS, type Window } from '../features/define.js';
import { type FeatureValue, opsOf, type SqlRows } from '../features/kinds/index.js';
import { type BindOptions, partitionsBetween, type TimeValue, timeSql } from './sql-params.js';

/** The aggregator's bounds (an environment's `aggregator` settings): the offline SQL drops what it drops. */
export interface EventTimePolicy {
  readonly maxLatenessSeconds: number;
  readonly maxClockSkewSeconds: number;
}

export interface FeatureSqlOptions {
  readonly policy: EventTimePolicy;
  /** The lake's partitioning, for pruning. */
  readonly layout: BindOptions;
}

/** Double-quoted identifier (Trino and DuckDB). */
export const ident = (name: string): string => `"${name.replaceAll('"', '""')}"`;

/** A SQL literal of a filter value. */
function literal(value: string | number | boolean): string {
  if (typeof value === 'string') return `'${value.replaceAll("'", "''")}'`;
  if (typeof value === 'boolean') return value ? 'TRUE' : 'FALSE';
  return Number.isInteger(value) ? String(value) : `CAST(${value} AS DOUBLE)`;
}

export function filterSql(where: EventFilter, column: (field: string) => string): string {
  if ('equals' in where) return `${column(where.field)} = ${literal(where.equals)}`;
  return `${column(where.field)} IN (${where.in.map(literal).join(', ')})`;
}

/** Epoch milliseconds of a timestamp expression, as BIGINT. */
export const epochMs = (timestamp: string): string => `CAST(to_unixtime(${timestamp}) * 1000 AS BIGINT)`;

/** A served default as a SQL literal. */
function defaultSql(value: FeatureValue): string {
  if (value === null) return 'NULL';
  if (Array.isArray(value)) return 'ARRAY[]';
  return literal(value as string | number | boolean);
}

/** The bounds of one source, tightened by its own `allowedLateness` and `clockSkew` as the stream decoder does. */
export function sourceBounds(view: Pick<FeatureView, 'source'>, policy: EventTimePolicy): EventTimePolicy {
  const { allowedLateness, clockSkew } = view.source;
  return {
    maxLatenessSeconds: Math.min(policy.maxLatenessSeconds, allowedLateness ? parseDuration(allowedLateness) : Infinity),
    maxClockSkewSeconds: Math.min(policy.maxClockSkewSeconds, clockSkew ? parseDuration(clockSkew) : Infinity),
  };
}

/** How far back of a row's time the view reads (the longest window plus its hop), or undefined with a lifetime window. */
export function lookbackMs(view: FeatureView): number | undefined {
  if (view.windows.some((w) => w.hopSeconds === LIFETIME_HOP_SECONDS)) return undefined;
  return Math.max(...view.windows.map((w) => (w.lengthSeconds + w.hopSeconds) * 1000));
}

/** Columns the events relation carries for a view: the fields its aggregations read or filter on. */
function fieldsRead(view: FeatureView): string[] {
  const fields = new Set<string>();
  for (const agg of view.aggregations) {
    if (agg.field) fields.add(agg.field);
    if (agg.where) fields.add(agg.where.field);
  }
  return [...fields];
}

/**
 * A bound of the times a query reads: epoch ms, or — in a saved query, which runs on whatever day
 * it is run — an hour of the day some days before (rendered relative to current_date).
 */
export type Instant = number | { readonly daysAgo: number; readonly hour: number };

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;
const asTime = (instant: Instant): TimeValue => (typeof instant === 'number' ? { at: instant } : instant);
const instantSql = (instant: Instant): string =>
  typeof instant === 'number' ? timestampLiteral(instant) : timeSql(instant).timestamp;

/** An instant `ms` earlier; a relative one rounded down to a whole day (a wider read, never a narrower one). */
export function earlier(instant: Instant, ms: number): Instant {
  return typeof instant === 'number' ? instant - ms : { daysAgo: instant.daysAgo + Math.ceil(ms / DAY_MS), hour: 0 };
}

/** An instant `ms` later; a relative one rounded up to the hour, within its day. */
export function later(instant: Instant, ms: number): Instant {
  if (typeof instant === 'number') return instant + ms;
  const hour = instant.hour + Math.ceil(ms / HOUR_MS);
  if (hour > 23) throw new Error(`a saved query's bound cannot move ${ms} ms past its day`);
  return { daysAgo: instant.daysAgo, hour };
}

export interface EventsSqlOptions extends FeatureSqlOptions {
  /** Window times the query needs: [from, to]; from undefined reads from the lake's start. */
  readonly fromMs: Instant | undefined;
  readonly toMs: Instant;
}

/**
 * The events of a view's source as the aggregator counts them: entity key (`__entity`, VARCHAR),
 * window time (`__time`, and `__time_ms` in epoch ms), the sequence number (`__seq`, zero-padded: the stream order
 * within a window time) and the fields read, with the partitions
 * pruned to the window times asked for.
 */
export function eventsSql(
  source: FeatureView['source'],
  keyField: string,
  fields: readonly string[],
  options: EventsSqlOptions & { readonly bounds: EventTimePolicy },
): string {
  const time = ident(source.eventTimeField);
  const windowTime = `least(${time}, arrival_time)`;
  const { maxLatenessSeconds, maxClockSkewSeconds } = options.bounds;
  // An event's partition is its event time's, up to the skew allowance after its window time.
  const partitions = partitionsBetween(
    asTime(options.fromMs ?? 0),
    asTime(later(options.toMs, maxClockSkewSeconds * 1000 + 1)),
    options.layout,
  );
  // Stream order within a window time: the sequence number (of `<shard>:<sequence>`), zero-padded.
  const sequence = `lpad(split_part(record_id, ':', 2), 64, '0')`;
  return [
    `SELECT CAST(${ident(keyField)} AS VARCHAR) AS __entity, ${windowTime} AS __time, ${epochMs(windowTime)} AS __time_ms, ${epochMs('arrival_time')} AS __arrival_ms, ${sequence} AS __seq`,
    ...fields.map((f) => `, ${ident(f)}`),
    `\n  FROM ${ident(source.name)}`,
    `\n  WHERE ${partitions}`,
    // Imported rows (a backfill) never went through the stream: the stream's bounds are not theirs.
    `\n    AND (record_id LIKE 'import:%' OR (${time} >= arrival_time - INTERVAL '${maxLatenessSeconds}' SECOND`,
    ` AND ${time} <= arrival_time + INTERVAL '${maxClockSkewSeconds}' SECOND))`,
    options.fromMs === undefined ? '' : `\n    AND ${windowTime} >= ${instantSql(options.fromMs)}`,
    `\n    AND ${windowTime} <= ${instantSql(options.toMs)}`,
  ].join('');
}

/** The predicate of the lake partitions that can hold event times in [fromMs, toMs]. */
export function partitionsFor(fromMs: number, toMs: number, options: Pick<FeatureSqlOptions, 'layout'>): string {
  return partitionsBetween({ at: fromMs }, { at: toMs + 1 }, options.layout);
}

/** `TIMESTAMP 'yyyy-MM-dd HH:mm:ss.SSS'` (UTC), both engines' literal. */
export const timestampLiteral = (ms: number): string =>
  `TIMESTAMP '${new Date(ms).toISOString().replace('T', ' ').replace('Z', '')}'`;

/** The window's oldest window time at the row's time, ms: floor((T − L) / E) · E, E its edge width (DOUBLE, exact below 2^53). */
function windowStartSql(window: Window, asOfMs: string): string {
  const hopMs = window.edgeSeconds * 1000;
  return `floor(CAST(${asOfMs} - ${window.lengthSeconds * 1000} AS DOUBLE) / ${hopMs}) * ${hopMs}`;
}

export interface SpineRef {
  /** A relation (a CTE's name, or a subquery in parentheses) holding the key column and `__as_of_ms`. */
  readonly relation: string;
  /** The row times the spine spans, for pruning. */
  readonly fromMs: Instant;
  readonly toMs: Instant;
  /**
   * What the online store could serve at each row's time: only events that had arrived by then
   * (training sets count late arrivals at their window time; a consistency check must not), and each
   * row's newest arrival as `__newest_arrival_ms`, to tell events still in flight. @default false
   */
  readonly asServed?: boolean;
}

/** The served feature names of a view, in the order the API serves them. */
export function servedFeatureNames(view: FeatureView): string[] {
  return [
    ...view.windows.flatMap((w) => [...view.aggregations, ...view.ratios].map((f) => featureName(f.name, w))),
    ...view.trends.map((t) => t.name),
  ];
}

/**
 * Every feature of `view` as of each distinct (entity, `__as_of_ms`) of the spine: a SELECT with the
 * entity key column (named as the entity's key field), `__as_of_ms`, and one column per served feature.
 */
export function viewFeaturesSql(view: FeatureView, spine: SpineRef, options: FeatureSqlOptions): string {
  const key = ident(view.entity.keyField);
  const bounds = sourceBounds(view, options.policy);
  const lookback = lookbackMs(view);
  const events = eventsSql(view.source, view.entity.keyField, fieldsRead(view), {
    ...options,
    bounds,
    fromMs: lookback === undefined ? undefined : earlier(spine.fromMs, lookback),
    toMs: spine.toMs,
  });
  const column = (field: string) => `e.${ident(field)}`;
  const aggregates: string[] = [];
  // Stream order as a number per entity (window time, then sequence): a cheap key for max_by and min_by.
  const order = 'row_number() OVER (PARTITION BY ev.__entity ORDER BY ev.__time_ms, ev.__seq) AS __order';
  // Per-event columns a kind asks for (nextOccurrenceMs), computed over the events before the join.
  const eventColumns: string[] = [];
  const nextOccurrence = (index: number) => () => {
    const agg = view.aggregations[index] as FeatureView['aggregations'][number];
    const name = `__next_${index}`;
    if (!eventColumns.some((c) => c.endsWith(` AS ${name}`))) {
      const own = (field: string) => `ev.${ident(field)}`;
      const partition = [
        'ev.__entity',
        ...(agg.field ? [own(agg.field)] : []),
        ...(agg.where ? [`CASE WHEN ${filterSql(agg.where, own)} THEN 1 ELSE 0 END`] : []),
      ];
      eventColumns.push(
        `lead(ev.__time_ms) OVER (PARTITION BY ${partition.join(', ')} ORDER BY ev.__time_ms, ev.__seq) AS ${name}`,
      );
    }
    return `e.${name}`;
  };
  for (const window of view.windows) {
    // Never TRUE on the row a LEFT JOIN makes for an entity without events.
    const inWindow =
      window.hopSeconds === LIFETIME_HOP_SECONDS ? 'e.__time_ms IS NOT NULL' : `e.__time_ms >= s.__start_${window.name}`;
    for (const [index, agg] of view.aggregations.entries()) {
      const conditions = [inWindow, ...(agg.where ? [filterSql(agg.where, column)] : [])];
      if (agg.field) conditions.push(`${column(agg.field)} IS NOT NULL`);
      const hit = conditions.join(' AND ');
      const rows: SqlRows = {
        hit: `(${hit})`,
        value: agg.field ? `CASE WHEN ${hit} THEN ${column(agg.field)} END` : 'NULL',
        order: 'e.__order',
        timeMs: 'e.__time_ms',
        asOfMs: 's.__as_of_ms',
        nextOccurrenceMs: nextOccurrence(index),
      };
      const ops = opsOf(agg);
      const sql = ops.sql(rows);
      const value = ops.defaultValue === null ? sql : `coalesce(${sql}, ${defaultSql(ops.defaultValue)})`;
      aggregates.push(`${value} AS ${ident(featureName(agg.name, window))}`);
    }
  }
  const derived: string[] = [];
  for (const window of view.windows) {
    for (const ratio of view.ratios) {
      const top = ident(featureName(ratio.numerator, window));
      const bottom = ident(featureName(ratio.denominator, window));
      derived.push(
        `CASE WHEN ${bottom} IS NULL OR ${bottom} = 0 THEN ${defaultSql(ratio.whenUndefined)} ELSE CAST(${top} AS DOUBLE) / ${bottom} END AS ${ident(featureName(ratio.name, window))}`,
      );
    }
  }
  for (const trend of view.trends) {
    const recent = view.windows.find((w) => w.name === trend.recent) as Window;
    const baseline = view.windows.find((w) => w.name === trend.baseline) as Window;
    const bottom = `greatest(CAST(${trend.minBaseline ?? 0} AS DOUBLE), CAST(${ident(featureName(trend.aggregation, baseline))} AS DOUBLE) * ${recent.lengthSeconds} / ${baseline.lengthSeconds})`;
    derived.push(
      `CASE WHEN ${bottom} = 0 THEN ${defaultSql(trend.whenUndefined)} ELSE CAST(${ident(featureName(trend.aggregation, recent))} AS DOUBLE) / ${bottom} END AS ${ident(trend.name)}`,
    );
  }
  // Each window's oldest window time per row, computed once per row rather than per event joined.
  const starts = view.windows
    .filter((w) => w.hopSeconds !== LIFETIME_HOP_SECONDS)
    .map((w) => `, ${windowStartSql(w, 'r.__as_of_ms')} AS __start_${w.name}`)
    .join('');
  const since =
    (lookback === undefined ? '' : ` AND e.__time_ms >= s.__as_of_ms - ${lookback}`) +
    (spine.asServed ? ' AND e.__arrival_ms <= s.__as_of_ms' : '');
  if (spine.asServed) aggregates.push('max(e.__arrival_ms) AS __newest_arrival_ms');
  const aggregated = [
    `SELECT s.${key}, s.__as_of_ms,\n    ${aggregates.join(',\n    ')}`,
    `  FROM (SELECT r.*${starts} FROM (SELECT DISTINCT CAST(${key} AS VARCHAR) AS ${key}, __as_of_ms FROM ${spine.relation}) r) s`,
    `  LEFT JOIN (\n  SELECT ev.*, ${[order, ...eventColumns].join(', ')} FROM (${events}) ev\n  ) e ON e.__entity = s.${key} AND e.__time_ms <= s.__as_of_ms${since}`,
    `  GROUP BY s.${key}, s.__as_of_ms`,
  ].join('\n');
  if (derived.length === 0) return aggregated;
  return `SELECT f.*,\n  ${derived.join(',\n  ')}\nFROM (\n${aggregated}\n) f`;
}

/** A saved query of the offline features (an Athena named query per view). */
export interface GeneratedQuery {
  readonly name: string;
  readonly description: string;
  readonly sql: string;
}

/**
 * The saved query of a view: every feature of every entity with an event yesterday (UTC), as of
 * the start of the day it runs — what the online store served at midnight, from the lake.
 */
export function viewSnapshotSql(view: FeatureView, options: FeatureSqlOptions): string {
  const key = ident(view.entity.keyField);
  const midnight = { daysAgo: 0, hour: 0 };
  const spine = [
    `(SELECT DISTINCT CAST(${key} AS VARCHAR) AS ${key}, ${epochMs('CAST(current_date AS TIMESTAMP)')} AS __as_of_ms`,
    ` FROM ${ident(view.source.name)}`,
    ` WHERE ${partitionsBetween({ daysAgo: 1, hour: 0 }, midnight, options.layout)}) active`,
  ].join('');
  return `-- Features of ${view.name} (${view.description}) for every ${view.entity.name} with an event yesterday, as of 00:00 UTC today.\n${viewFeaturesSql(view, { relation: spine, fromMs: midnight, toMs: midnight }, options)}`;
}

/** The saved queries of a catalog's views: `<view>_features`. */
export function featureViewQueries(views: readonly FeatureView[], options: FeatureSqlOptions): GeneratedQuery[] {
  return views.map((view) => ({
    name: `${view.name}_features`,
    description: `Every feature of ${view.name} for the ${view.entity.name}s active yesterday, as of 00:00 UTC today (generated from the catalog)`,
    sql: viewSnapshotSql(view, options),
  }));
}
