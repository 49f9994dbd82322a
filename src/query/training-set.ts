/**
 * Point-in-time training sets: label rows (an entity and a time, plus the
 * label) joined with every feature of one or more views as of each row's
 * time, by the SQL of ./feature-sql.ts. Two kinds of labels:
 *
 * - a catalog label (src/features/labels.ts): observations and outcomes both
 *   from the stream, rendered here in SQL. A row whose horizon reaches past
 *   the newest event of the label's source is left out, so no label is
 *   censored by the end of the data;
 * - a table the user brings (a CSV or Parquet file locally, a Glue table on
 *   Athena) with the views' entity key columns and a timestamp column; every
 *   column is kept.
 *
 * One SQL statement (Trino; DuckDB through ./rewrite.ts), so the same
 * training set is built on one machine or on Athena.
 */
import type { FeatureView } from '../features/define.js';
import type { Label } from '../features/labels.js';
import {
  epochMs,
  eventsSql,
  type FeatureSqlOptions,
  filterSql,
  ident,
  servedFeatureNames,
  sourceBounds,
  viewFeaturesSql,
} from './feature-sql.js';

/** Where the label rows come from. */
export type LabelRows =
  | {
      readonly kind: 'stream';
      readonly label: Label;
      /** Observation times, epoch ms: [fromMs, toMs). */
      readonly fromMs: number;
      readonly toMs: number;
    }
  | {
      readonly kind: 'table';
      /** A relation the engine knows: a table or view name, quoted as needed. */
      readonly relation: string;
      /** Its columns, in order: kept as they are in the output. */
      readonly columns: readonly string[];
      readonly timeColumn: string;
      /** The rows' times, epoch ms (min and max), for partition pruning. */
      readonly fromMs: number;
      readonly toMs: number;
    };

/** The column a stream label's rows carry their time in. */
export const OBSERVATION_TIME_COLUMN = 'event_timestamp';
/** What a stream label's rows also carry of their time (UTC): hour 0–23, ISO day of week 1 (Monday)–7, weekend 0/1. */
export const TIME_COLUMNS = ['hour_of_day', 'day_of_week', 'is_weekend'] as const;

/** Output names of each view's features: as served with one view, `<view>__<feature>` with several. */
export function trainingColumns(views: readonly FeatureView[]): { view: FeatureView; name: string; as: string }[] {
  return views.flatMap((view) =>
    servedFeatureNames(view).map((name) => ({ view, name, as: views.length === 1 ? name : `${view.name}__${name}` })),
  );
}

/** A spine: its query, and the columns it hands on. */
interface Spine {
  readonly sql: string;
  readonly columns: readonly string[];
}

function streamSpine(label: Label, fromMs: number, toMs: number, options: FeatureSqlOptions): Spine {
  const key = ident(label.entity.keyField);
  const observed = label.observe;
  const observeEvents = eventsSql(observed.source, label.entity.keyField, observed.where ? [observed.where.field] : [], {
    ...options,
    bounds: sourceBounds({ source: observed.source }, options.policy),
    fromMs,
    toMs: toMs - 1,
  });
  const outcomeBounds = sourceBounds({ source: label.source }, options.policy);
  const horizonMs = label.horizonSeconds * 1000;
  const outcomeFields = label.where ? [label.where.field] : [];
  const outcomeEvents = eventsSql(label.source, label.entity.keyField, outcomeFields, {
    ...options,
    bounds: outcomeBounds,
    fromMs,
    toMs: toMs - 1 + horizonMs,
  });
  const column = (alias: string) => (field: string) => `${alias}.${ident(field)}`;
  const outcomeFilter = label.where ? ` AND ${filterSql(label.where, column('e'))}` : '';
  const labelValue =
    label.atLeast === undefined ? `count(e.__time_ms)` : `CASE WHEN count(e.__time_ms) >= ${label.atLeast} THEN 1 ELSE 0 END`;
  const sql = [
    `SELECT o.__entity AS ${key}, o.__time AS ${ident(OBSERVATION_TIME_COLUMN)}, o.__time_ms AS __as_of_ms`,
    `  FROM (${observeEvents}) o`,
    `  WHERE o.__time_ms >= ${fromMs} AND o.__time_ms < ${toMs}${observed.where ? ` AND ${filterSql(observed.where, column('o'))}` : ''}`,
  ].join('\n');
  // One row per (entity, time): two observations at the same instant have the same features and label.
  const labelled = [
    `SELECT s.${key}, min(s.${ident(OBSERVATION_TIME_COLUMN)}) AS ${ident(OBSERVATION_TIME_COLUMN)}, s.__as_of_ms, ${labelValue} AS ${ident(label.name)},`,
    // The observation's time of day and week (UTC), as seed 000's model uses them: features of the row, not of a view.
    `  hour(min(s.${ident(OBSERVATION_TIME_COLUMN)})) AS hour_of_day, day_of_week(min(s.${ident(OBSERVATION_TIME_COLUMN)})) AS day_of_week,`,
    `  CASE WHEN day_of_week(min(s.${ident(OBSERVATION_TIME_COLUMN)})) >= 6 THEN 1 ELSE 0 END AS is_weekend`,
    `  FROM (${sql}) s`,
    `  LEFT JOIN outcomes e ON e.__entity = s.${key} AND e.__time_ms > s.__as_of_ms AND e.__time_ms <= s.__as_of_ms + ${horizonMs}${outcomeFilter}`,
    // The whole horizon must be in the data: a row near its end would otherwise read as a negative.
    `  WHERE s.__as_of_ms + ${horizonMs} <= (SELECT max(__time_ms) FROM outcomes)`,
    `  GROUP BY s.${key}, s.__as_of_ms`,
  ].join('\n');
  // The label source's events, read once for the labels and for the end of the data.
  return {
    sql: `WITH outcomes AS (
${outcomeEvents}
)
${labelled}`,
    columns: [label.entity.keyField, OBSERVATION_TIME_COLUMN, label.name, ...TIME_COLUMNS],
  };
}

/** The training set's SQL: the label rows' columns, then every feature of `views` as of each row's time. */
export function trainingSetSql(views: readonly FeatureView[], rows: LabelRows, options: FeatureSqlOptions): string {
  if (views.length === 0) throw new Error('a training set needs at least one feature view');
  const spine: Spine =
    rows.kind === 'stream'
      ? streamSpine(rows.label, rows.fromMs, rows.toMs, options)
      : {
          sql: `SELECT *, ${epochMs(`CAST(${ident(rows.timeColumn)} AS TIMESTAMP)`)} AS __as_of_ms FROM ${rows.relation}`,
          columns: rows.columns,
        };
  for (const view of views) {
    if (!spine.columns.includes(view.entity.keyField)) {
      throw new Error(
        `the label rows have no column ${view.entity.keyField}, the key of ${view.entity.name} that view ${view.name} describes (columns: ${spine.columns.join(', ')})`,
      );
    }
  }
  const features = trainingColumns(views);
  const clash = features.find((f) => spine.columns.includes(f.as));
  if (clash) throw new Error(`the label rows have a column named ${clash.as}, like a feature of ${clash.view.name}: rename it`);

  const ctes = [`spine AS (\n${spine.sql}\n)`];
  views.forEach((view, i) => {
    const featureSql = viewFeaturesSql(view, { relation: 'spine', fromMs: rows.fromMs, toMs: rows.toMs }, options);
    ctes.push(`f${i} AS (\n${featureSql}\n)`);
  });
  const joins = views.map((view, i) => {
    const key = ident(view.entity.keyField);
    return `LEFT JOIN f${i} ON f${i}.${key} = CAST(spine.${key} AS VARCHAR) AND f${i}.__as_of_ms = spine.__as_of_ms`;
  });
  const select = [
    ...spine.columns.map((c) => `spine.${ident(c)}`),
    ...features.map((f) => `f${views.indexOf(f.view)}.${ident(f.name)} AS ${ident(f.as)}`),
  ];
  const firstKey = ident((views[0] as FeatureView).entity.keyField);
  return [
    `WITH ${ctes.join(',\n')}`,
    `SELECT ${select.join(',\n  ')}`,
    'FROM spine',
    ...joins,
    `ORDER BY spine.__as_of_ms, spine.${firstKey}`,
  ].join('\n');
}
