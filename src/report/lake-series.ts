/**
 * The report's lake queries: event volume per hour and source, prediction
 * scores per model version, latency percentiles per model, and the most
 * recent logged inputs of a model. Written in the SQL both engines share
 * (src/query/rewrite.ts), pruned to the range's partitions so Athena scans
 * only the hours asked for; aggregated in SQL except the inputs, which are
 * JSON objects binned here against each artifact's reference.
 *
 * They are built here rather than kept in athena/: they take the catalog's
 * sources and models as lists, which the library's parameters cannot express.
 */
import type { EventSource } from '../features/define.js';
import { ident } from '../query/feature-sql.js';
import type { QueryResult } from '../query/local-engine.js';
import { type BindOptions, partitionsBetween, quote, timeSql } from '../query/sql-params.js';
import type { LatencySeries, ScoreSeries, VolumeSeries } from './series.js';

export type RunQuery = (sql: string) => Promise<QueryResult>;

export interface TimeRange {
  readonly fromMs: number;
  readonly toMs: number;
}

const HOUR_MS = 3_600_000;
/** Score histogram bins: 20 of width 0.05 over [0, 1]. */
export const SCORE_BINS = 20;
/** Latency CDF points: min, the 1st … 99th percentiles, max. */
export const LATENCY_PERCENTILES = Array.from({ length: 99 }, (_, i) => i + 1);

/** Athena returns every value as text, DuckDB numbers as number or bigint: one reading for both. */
const num = (value: unknown): number => (typeof value === 'bigint' ? Number(value) : Number(value ?? Number.NaN));

/** The predicate of [from, to) on a table's time column, with its partitions for pruning. */
function inRange(column: string, range: TimeRange, layout: BindOptions): string {
  const [from, to] = [{ at: range.fromMs }, { at: range.toMs }];
  return `${partitionsBetween(from, to, layout)} AND ${ident(column)} >= ${timeSql(from).timestamp} AND ${ident(column)} < ${timeSql(to).timestamp}`;
}

const modelFilter = (models: readonly string[] | undefined) =>
  models && models.length > 0 ? ` AND model_name IN (${models.map(quote).join(', ')})` : '';

/** The starts of the range's hours, as epoch hours. */
export function hoursOf(range: TimeRange): number[] {
  const first = Math.floor(range.fromMs / HOUR_MS);
  const last = Math.ceil(range.toMs / HOUR_MS);
  return Array.from({ length: Math.max(0, last - first) }, (_, i) => first + i);
}

/** (a) Events per hour of each source's table, one statement for all of them. */
export async function eventVolume(
  run: RunQuery,
  sources: readonly EventSource[],
  range: TimeRange,
  layout: BindOptions,
): Promise<VolumeSeries> {
  const hours = hoursOf(range);
  const counts = new Map(sources.map((s) => [s.name, new Array<number>(hours.length).fill(0)]));
  if (sources.length > 0 && hours.length > 0) {
    const sql = sources
      .map((s) => {
        const time = ident(s.eventTimeField);
        return `SELECT ${quote(s.name)} AS source, CAST(floor(to_unixtime(${time}) / 3600) AS BIGINT) AS hour, count(*) AS events FROM ${ident(s.name)} WHERE ${inRange(s.eventTimeField, range, layout)} GROUP BY 2`;
      })
      .join('\nUNION ALL\n');
    const result = await run(sql);
    for (const row of result.rows) {
      const series = counts.get(String(row.source));
      const i = num(row.hour) - (hours[0] as number);
      if (series && i >= 0 && i < hours.length) series[i] = num(row.events);
    }
  }
  return {
    hours: hours.map((h) => new Date(h * HOUR_MS).toISOString()),
    sources: sources.map((s) => ({ source: s.name, counts: counts.get(s.name) ?? [] })),
  };
}

/** (f) Scores per model and version in SCORE_BINS bins (a score of 1 in the last). Rows without a version are "unversioned". */
export async function scoresByVersion(
  run: RunQuery,
  range: TimeRange,
  layout: BindOptions,
  models?: readonly string[],
): Promise<ScoreSeries> {
  const result = await run(
    `SELECT model_name, coalesce(model_version, 'unversioned') AS model_version, least(CAST(floor(score * ${SCORE_BINS}) AS BIGINT), ${SCORE_BINS - 1}) AS bin, count(*) AS n FROM predictions WHERE ${inRange('timestamp', range, layout)}${modelFilter(models)} GROUP BY 1, 2, 3`,
  );
  const byVersion = new Map<string, { model: string; version: string; counts: number[] }>();
  for (const row of result.rows) {
    const [model, version] = [String(row.model_name), String(row.model_version)];
    const key = `${model}\u0000${version}`;
    const entry = byVersion.get(key) ?? { model, version, counts: new Array<number>(SCORE_BINS).fill(0) };
    const bin = Math.max(0, num(row.bin));
    entry.counts[bin] = (entry.counts[bin] ?? 0) + num(row.n);
    byVersion.set(key, entry);
  }
  const versionOrder = (v: string) => (/^\d+$/.test(v) ? Number(v) : Number.POSITIVE_INFINITY);
  return {
    edges: Array.from({ length: SCORE_BINS + 1 }, (_, i) => i / SCORE_BINS),
    versions: [...byVersion.values()].sort(
      (a, b) =>
        a.model.localeCompare(b.model) || versionOrder(a.version) - versionOrder(b.version) || a.version.localeCompare(b.version),
    ),
  };
}

/**
 * (e) The CDF of API latency per model: the prediction log's `inference_time_ms` (the predict
 * function's read + score time) once per request — every entity of a request logs the same time, so
 * a request counts once (rows without a request_id count one each).
 */
export async function latencyByModel(
  run: RunQuery,
  range: TimeRange,
  layout: BindOptions,
  models?: readonly string[],
): Promise<LatencySeries> {
  const percentiles = LATENCY_PERCENTILES.map((p) => `approx_percentile(ms, CAST(${p / 100} AS DOUBLE)) AS p${p}`).join(', ');
  const result = await run(
    `WITH requests AS (SELECT model_name, coalesce(request_id, prediction_id) AS request, max(inference_time_ms) AS ms FROM predictions WHERE ${inRange('timestamp', range, layout)}${modelFilter(models)} GROUP BY 1, 2)
SELECT model_name, count(*) AS n, min(ms) AS p0, ${percentiles}, max(ms) AS p100 FROM requests GROUP BY 1 ORDER BY 1`,
  );
  return {
    measure: 'inference_time_ms of the prediction log (online read + scoring in the predict function), one per request',
    models: result.rows.map((row) => ({
      model: String(row.model_name),
      count: num(row.n),
      points: [0, ...LATENCY_PERCENTILES, 100].map((p): [number, number] => [num(row[`p${p}`]), p / 100]),
    })),
  };
}

/**
 * The inputs a model scored most recently in the range (at most `limit` predictions; shadow rows
 * left out, they repeat the request's inputs), parsed from the log's `features` JSON.
 */
export async function recentInputs(
  run: RunQuery,
  model: string,
  range: TimeRange,
  layout: BindOptions,
  limit: number,
): Promise<Record<string, unknown>[]> {
  const result = await run(
    `SELECT features FROM predictions WHERE ${inRange('timestamp', range, layout)} AND model_name = ${quote(model)} AND features IS NOT NULL AND coalesce(shadow, false) = false ORDER BY "timestamp" DESC LIMIT ${Math.trunc(limit)}`,
  );
  const out: Record<string, unknown>[] = [];
  for (const row of result.rows) {
    try {
      const parsed: unknown = JSON.parse(String(row.features));
      if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) out.push(parsed as Record<string, unknown>);
    } catch {
      // A row another service logged with unparsable features tells nothing about the inputs: skipped.
    }
  }
  return out;
}
