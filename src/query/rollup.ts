/**
 * The hourly rollup (seed 003's hourly batch job) as one idempotent step:
 * delete the hour's rollup files, then INSERT the hour again from the raw
 * events. Rerunning an hour — the schedule's lookback, a retry, a backfill —
 * replaces it rather than adding to it. The same function runs in the rollup
 * Lambda (Athena) and in `featurelake rollup` (Athena or the local lake).
 */
import { CLICKSTREAM_HOURLY } from '../lake/tables.js';
import { type BindOptions, bindParams, resolveQuery, type SqlQuery } from './sql-library.js';

export const ROLLUP_QUERY = 'rollup_clickstream_hourly';

/** What a rollup needs of an engine: run SQL, and delete objects under a prefix of the lake. */
export interface RollupEngine {
  run(sql: string): Promise<{ readonly rows: readonly Record<string, unknown>[]; readonly elapsedMs: number }>;
  deletePrefix(prefix: string): Promise<number>;
}

export interface RollupResult {
  /** Start of the hour, ISO-8601 UTC. */
  readonly hour: string;
  /** Objects of the previous run of this hour that were deleted. */
  readonly replacedFiles: number;
  /** Rollup rows written, when the engine reports them. */
  readonly rows?: number;
  readonly elapsedMs: number;
}

const HOUR_MS = 3_600_000;

/** The hour that contains `time`, as a Date at its start. */
export function hourStart(time: Date | number): Date {
  const ms = typeof time === 'number' ? time : time.getTime();
  return new Date(Math.floor(ms / HOUR_MS) * HOUR_MS);
}

/**
 * The partition prefix of one hour of the rollup table. `hr` is unpadded: the
 * table is written by INSERT INTO (Athena's and DuckDB's), which name integer
 * partitions by their value.
 */
export function rollupHourPrefix(hour: Date): string {
  const iso = hour.toISOString();
  return `${CLICKSTREAM_HOURLY.prefix}dt=${iso.slice(0, 10)}/hr=${hour.getUTCHours()}/`;
}

export interface RollupOptions extends BindOptions {
  /** The rollup's SQL, loaded once (the Lambda loads it at start, so a bundle without it fails there). @default resolveQuery(ROLLUP_QUERY) */
  readonly query?: SqlQuery;
}

/**
 * Rolls up one hour (any time inside it is accepted), replacing a previous run
 * of it. With the lake's layout in `options`, it reads only that hour's files.
 * The SQL is bound before anything is deleted: a query that cannot be bound
 * leaves the previous run's rows in place.
 */
export async function rollupHour(engine: RollupEngine, time: Date | number, options: RollupOptions = {}): Promise<RollupResult> {
  const hour = hourStart(time);
  const started = performance.now();
  const { query = resolveQuery(ROLLUP_QUERY), ...layout } = options;
  const sql = bindParams(query, { hour: hour.toISOString() }, layout);
  const replacedFiles = await engine.deletePrefix(rollupHourPrefix(hour));
  const result = await engine.run(sql);
  const rows = Number(result.rows[0]?.rows ?? Number.NaN);
  return {
    hour: hour.toISOString(),
    replacedFiles,
    ...(Number.isFinite(rows) ? { rows } : {}),
    elapsedMs: performance.now() - started,
  };
}

/** The closed hours a scheduled run covers: the `hoursBack` hours before the one `now` is in, oldest first. */
export function hoursToRollUp(now: Date | number, hoursBack: number): Date[] {
  const current = hourStart(now).getTime();
  return Array.from({ length: hoursBack }, (_, i) => new Date(current - (hoursBack - i) * HOUR_MS));
}
