/**
 * The drift query: one scan of the prediction log for a model version and a
 * window, answering, per monitored value (each input of the artifact with a
 * reference distribution, and the score), how many recent values fall in
 * each bucket the statistics need — so the lake's rows never leave the
 * engine, whatever the traffic: the answer is at most (2 × knots + 2) rows
 * per numeric input and (categories + 2) per categorical one.
 *
 *   numeric     bucket = 2·#(knots < x) + [x is a knot] (./stats.ts KnotCounts), the knots being
 *               the reference's quantiles and bin edges: exact PSI bins, KS at every quantile
 *   categorical the value when the reference knows it, else "__other__"
 *   either      NULL for a missing value (counted as the missing share)
 *
 * Rows: non-shadow predictions of the version (the values it actually
 * scored: the log's `features` JSON) with event time in [from, to); the
 * partition predicate prunes to the window's days and hours (and the model's
 * partition when the lake has one).
 *
 * Athena (Trino) and DuckDB spell JSON extraction, lambdas and unnesting
 * differently, and ./rewrite.ts renames functions only: the two spellings
 * are kept side by side here (DIALECTS).
 */

import type { TimePartitioning } from '../lake/layout.js';
import type { ModelArtifact } from '../models/artifact.js';
import { partitionsBetween, quote } from '../query/sql-params.js';

export type DriftDialect = 'athena' | 'duckdb';

/** The name the score goes by in the query, the drift table and the printed table. */
export const SCORE = '__score__';
/** A categorical value the reference does not know (src/models/train/distribution.ts OTHER). */
export const OTHER = '__other__';

/** One value drift is measured on. */
export type MonitoredValue =
  | { readonly name: string; readonly kind: 'numeric' | 'score'; readonly knots: readonly number[] }
  | { readonly name: string; readonly kind: 'categorical'; readonly categories: readonly string[] };

/** Sorted distinct finite numbers. */
const knotsOf = (values: readonly (number | null)[]): number[] =>
  [...new Set(values.filter((v): v is number => v !== null && Number.isFinite(v)))].sort((a, b) => a - b);

/** The artifact's inputs that have a reference distribution (of their own type), then the score when it has one. */
export function monitoredValues(artifact: ModelArtifact): { values: MonitoredValue[]; skipped: string[] } {
  const reference = artifact.reference;
  const values: MonitoredValue[] = [];
  const skipped: string[] = [];
  for (const input of artifact.inputs) {
    const ref = reference?.inputs[input.name];
    if (ref?.type === 'numeric' && input.type === 'numeric') {
      values.push({ name: input.name, kind: 'numeric', knots: knotsOf([...ref.quantiles, ...ref.bins.edges]) });
    } else if (ref?.type === 'categorical' && input.type === 'categorical') {
      values.push({ name: input.name, kind: 'categorical', categories: Object.keys(ref.shares).filter((c) => c !== OTHER) });
    } else {
      skipped.push(input.name);
    }
  }
  const score = reference?.score;
  if (score) values.push({ name: SCORE, kind: 'score', knots: knotsOf([...score.quantiles, ...score.bins.edges]) });
  return { values, skipped };
}

/** A double literal both engines type as DOUBLE (a bare 1.5 is DECIMAL on Trino). */
export function doubleLiteral(x: number): string {
  const text = String(x).toUpperCase();
  return text.includes('E') ? text : `${text}E0`;
}

interface Dialect {
  /** The JSON member `name` of `features` as text (numbers and booleans as their JSON text), NULL when absent or null. */
  member(name: string): string;
  /** How many elements of the array column `array` are < `x`. */
  countBelow(array: string, x: string): string;
  /** The last step: (name, cell) rows from the `cells` relation's columns, grouped and counted. */
  unpivot(names: readonly string[], columns: readonly string[]): string;
}

const DIALECTS: Readonly<Record<DriftDialect, Dialect>> = {
  athena: {
    member: (name) => `json_extract_scalar(features, ${quote(`$["${name.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"]`)})`,
    countBelow: (array, x) => `cardinality(filter(${array}, k -> k < ${x}))`,
    unpivot: (names, columns) =>
      `SELECT u.name, u.cell, count(*) AS n FROM cells CROSS JOIN UNNEST(ARRAY[${names.map(quote).join(', ')}], ARRAY[${columns.join(', ')}]) AS u(name, cell) GROUP BY u.name, u.cell`,
  },
  duckdb: {
    member: (name) => `json_extract_string(features, ${quote(`$."${name.replaceAll('"', '\\"')}"`)})`,
    countBelow: (array, x) => `len(list_filter(${array}, lambda k: k < ${x}))`,
    unpivot: (names, columns) =>
      `SELECT name, cell, count(*) AS n FROM (SELECT unnest([${names.map(quote).join(', ')}]) AS name, unnest([${columns.join(', ')}]) AS cell FROM cells) GROUP BY name, cell`,
  },
};

export interface DriftQueryOptions {
  readonly dialect: DriftDialect;
  readonly model: string;
  readonly version: string;
  readonly fromMs: number;
  readonly toMs: number;
  /** The lake's time partitions (dt, or dt and hr). */
  readonly timePartitioning: TimePartitioning;
  /** The predictions table has a `model` partition (the deployed lake): prune on it too. @default false */
  readonly modelPartition?: boolean;
}

/** The statement counting every monitored value's buckets over the window. */
export function driftSql(values: readonly MonitoredValue[], options: DriftQueryOptions): string {
  const d = DIALECTS[options.dialect];
  const v = (i: number) => `v${i}`;
  const typed = values.map((value, i) => {
    if (value.kind === 'score') return `CAST(score AS DOUBLE) AS ${v(i)}`;
    if (value.kind === 'categorical') return `${d.member(value.name)} AS ${v(i)}`;
    // As the encoder reads a value (src/models/encode.ts numericValue): booleans are 1 and 0.
    const text = d.member(value.name);
    return `CASE ${text} WHEN 'true' THEN 1E0 WHEN 'false' THEN 0E0 ELSE TRY_CAST(${text} AS DOUBLE) END AS ${v(i)}`;
  });
  const knots = values.flatMap((value, i) =>
    value.kind === 'categorical' ? [] : [`ARRAY[${value.knots.map(doubleLiteral).join(', ')}] AS k${i}`],
  );
  const cells = values.map((value, i) => {
    if (value.kind === 'categorical') {
      const known = value.categories.length > 0 ? `contains(ARRAY[${value.categories.map(quote).join(', ')}], ${v(i)})` : 'false';
      return `CASE WHEN ${v(i)} IS NULL THEN NULL WHEN ${known} THEN ${v(i)} ELSE ${quote(OTHER)} END AS c${i}`;
    }
    const bucket = `2 * ${d.countBelow(`k${i}`, v(i))} + CASE WHEN contains(k${i}, ${v(i)}) THEN 1 ELSE 0 END`;
    return `CASE WHEN ${v(i)} IS NULL THEN NULL ELSE CAST(${bucket} AS VARCHAR) END AS c${i}`;
  });
  const start = { at: options.fromMs };
  const end = { at: options.toMs };
  const where = [
    partitionsBetween(start, end, { timePartitioning: options.timePartitioning }),
    ...(options.modelPartition ? [`model = ${quote(options.model)}`] : []),
    `model_name = ${quote(options.model)}`,
    `model_version = ${quote(options.version)}`,
    'coalesce(shadow, false) = false',
    `"timestamp" >= ${timestamp(options.fromMs)}`,
    `"timestamp" < ${timestamp(options.toMs)}`,
  ];
  return [
    'WITH recent AS (',
    `  SELECT ${typed.join(',\n    ')}`,
    '  FROM predictions',
    `  WHERE ${where.join('\n    AND ')}`,
    '),',
    `knots AS (SELECT ${knots.length > 0 ? knots.join(',\n    ') : '0 AS none'}),`,
    'cells AS (',
    `  SELECT ${cells.join(',\n    ')}`,
    '  FROM recent CROSS JOIN knots',
    ')',
    d.unpivot(
      values.map((value) => value.name),
      values.map((_, i) => `c${i}`),
    ),
  ].join('\n');
}

const timestamp = (ms: number) => `TIMESTAMP '${new Date(ms).toISOString().replace('T', ' ').replace('Z', '')}'`;

/** Recent values of one monitored value, as counted by the query. */
export type RecentCounts =
  | { readonly kind: 'numeric' | 'score'; readonly nulls: number; readonly counts: number[] }
  | { readonly kind: 'categorical'; readonly nulls: number; readonly counts: ReadonlyMap<string, number> };

/** The query's (name, cell, n) rows as counts per monitored value (every value present, zeros where no row). */
export function recentCounts(
  values: readonly MonitoredValue[],
  rows: readonly Record<string, unknown>[],
): Map<string, RecentCounts> {
  const out = new Map<string, { nulls: number; numeric?: number[]; categories?: Map<string, number> }>();
  for (const value of values) {
    out.set(
      value.name,
      value.kind === 'categorical'
        ? { nulls: 0, categories: new Map() }
        : { nulls: 0, numeric: new Array<number>(2 * value.knots.length + 1).fill(0) },
    );
  }
  for (const row of rows) {
    const entry = out.get(String(row.name));
    if (!entry) throw new Error(`the drift query answered for an unknown value ${String(row.name)}`);
    const n = Number(row.n);
    const cell = row.cell;
    if (cell === null || cell === undefined) entry.nulls += n;
    else if (entry.numeric) {
      const bucket = Number(cell);
      if (!(Number.isInteger(bucket) && bucket >= 0 && bucket < entry.numeric.length))
        throw new Error(`the drift query answered bucket ${String(cell)} for ${String(row.name)}`);
      entry.numeric[bucket] = (entry.numeric[bucket] as number) + n;
    } else entry.categories?.set(String(cell), (entry.categories.get(String(cell)) ?? 0) + n);
  }
  return new Map(
    values.map((value) => {
      const entry = out.get(value.name) as { nulls: number; numeric?: number[]; categories?: Map<string, number> };
      return [
        value.name,
        value.kind === 'categorical'
          ? { kind: 'categorical', nulls: entry.nulls, counts: entry.categories ?? new Map() }
          : { kind: value.kind, nulls: entry.nulls, counts: entry.numeric ?? [] },
      ];
    }),
  );
}
