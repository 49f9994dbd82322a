/**
 * The parameters of the SQL library: their declared types, their values read
 * from text, and the SQL each placeholder form renders to. No SQL is ever
 * spliced from input: every value becomes a typed, escaped literal.
 */
import { DAY_MS, isIsoDay, parseIsoInstant } from '../domain/days.js';
import type { TimePartitioning } from '../lake/layout.js';

/** A bad parameter or query: the CLI reports it as a usage error. */
export class QueryParamError extends Error {}

export type ParamType =
  | { kind: 'timestamp' }
  | { kind: 'date' }
  | { kind: 'int'; min?: number }
  | { kind: 'double' }
  | { kind: 'string' }
  | { kind: 'string[]' }
  | { kind: 'enum'; values: readonly string[] };

export interface ParamSpec {
  readonly name: string;
  readonly type: ParamType;
  readonly optional: boolean;
  readonly default?: string;
  readonly help: string;
}

/** How the lake the query runs on is laid out: what the partition forms expand to. */
export interface BindOptions {
  /** The event tables' time partitions (lib/config/environments.ts `lake.timePartitioning`); without it, by date only. */
  readonly timePartitioning?: TimePartitioning;
}

/** `int`, `int>0`, `int>=1`: the smallest integer allowed, if any. */
export function parseParamType(raw: string, enumValues: string | undefined): ParamType {
  if (enumValues !== undefined) {
    // `|` separates values when one of them holds a comma (dims: user,app).
    const values = (enumValues.includes('|') ? enumValues.split('|') : enumValues.split(',')).map((v) => v.trim());
    return { kind: 'enum', values };
  }
  const int = /^int(?:(>=?)(-?\d+))?$/i.exec(raw);
  if (int) {
    if (int[1] === undefined) return { kind: 'int' };
    return { kind: 'int', min: Number(int[2]) + (int[1] === '>' ? 1 : 0) };
  }
  return { kind: raw.toLowerCase() } as ParamType;
}

export function describeType(type: ParamType): string {
  if (type.kind === 'enum') return type.values.join('|');
  if (type.kind === 'int' && type.min !== undefined) return `int>=${type.min}`;
  if (type.kind === 'string[]') return 'string,…';
  return type.kind;
}

/**
 * A point in time: an instant, or — in a saved query, which runs on whatever
 * day it is run — an hour of the day some days before the day the query runs.
 */
export type TimeValue = { readonly at: number } | { readonly daysAgo: number; readonly hour: number };

/** A parameter's value, ready to render. */
export type BoundValue =
  | { readonly kind: 'time'; readonly time: TimeValue }
  | { readonly kind: 'literal'; readonly sql: string }
  | { readonly kind: 'absent' };

const RELATIVE_DAY = /^today(?:-(\d{1,4})d)?$/;

export const quote = (s: string) => `'${s.replaceAll("'", "''")}'`;

/**
 * A timestamp parameter: ISO-8601 with a zone, a date (midnight UTC), or `today` / `today-Nd`
 * (midnight UTC, N days back). Relative days resolve against `now`; without `now` (a saved
 * query), they stay relative and render as SQL over `current_date`.
 */
export function parseTime(name: string, raw: string, now: number | undefined): TimeValue {
  const relative = RELATIVE_DAY.exec(raw.trim());
  if (relative) {
    const daysAgo = Number(relative[1] ?? 0);
    return now === undefined ? { daysAgo, hour: 0 } : { at: Math.floor(now / DAY_MS) * DAY_MS - daysAgo * DAY_MS };
  }
  const at = parseIsoInstant(raw);
  if (at === undefined) {
    throw new QueryParamError(
      `parameter ${name}: "${raw}" is not a real date or a time with a zone (e.g. 2024-01-01, 2024-01-01T00:00:00Z, today-1d)`,
    );
  }
  return { at };
}

/** One parameter's value from its text (or its default); `now` as for parseTime. */
export function parseValue(spec: ParamSpec, raw: string | undefined, now: number | undefined): BoundValue {
  const { name, type } = spec;
  if (raw === undefined) {
    if (!spec.optional) throw new QueryParamError(`missing parameter ${name} (${describeType(type)}): ${spec.help}`);
    return { kind: 'absent' };
  }
  switch (type.kind) {
    case 'timestamp':
      return { kind: 'time', time: parseTime(name, raw, now) };
    case 'date':
      if (!isIsoDay(raw)) throw new QueryParamError(`parameter ${name}: "${raw}" is not a real date yyyy-MM-dd`);
      return { kind: 'literal', sql: quote(raw) };
    case 'int': {
      if (!/^-?\d{1,15}$/.test(raw)) throw new QueryParamError(`parameter ${name}: "${raw}" is not an integer`);
      if (type.min !== undefined && Number(raw) < type.min)
        throw new QueryParamError(`parameter ${name}: ${raw} is too small (at least ${type.min})`);
      return { kind: 'literal', sql: String(Number(raw)) };
    }
    case 'double':
      if (raw.trim() === '' || !Number.isFinite(Number(raw)))
        throw new QueryParamError(`parameter ${name}: "${raw}" is not a number`);
      return { kind: 'literal', sql: `CAST(${Number(raw)} AS DOUBLE)` };
    case 'enum':
      if (!type.values.includes(raw))
        throw new QueryParamError(`parameter ${name}: "${raw}" is not one of ${type.values.join(', ')}`);
      return { kind: 'literal', sql: quote(raw) };
    case 'string[]': {
      const items = raw.split(',').map((s) => s.trim());
      if (items.some((s) => s === ''))
        throw new QueryParamError(`parameter ${name}: "${raw}" is not a comma-separated list of values`);
      return { kind: 'literal', sql: `ARRAY[${items.map(quote).join(', ')}]` };
    }
    default:
      return { kind: 'literal', sql: quote(raw) };
  }
}

/** `TIMESTAMP 'yyyy-MM-dd HH:mm:ss.SSS'` in UTC: Athena's and DuckDB's common literal. */
const timestampLiteral = (ms: number) => `TIMESTAMP '${new Date(ms).toISOString().replace('T', ' ').replace('Z', '')}'`;

/** The day a relative time is on, as a DATE expression both engines evaluate the same way. */
const relativeDay = (daysAgo: number) =>
  daysAgo === 0 ? 'current_date' : `CAST(current_date - INTERVAL '${daysAgo}' DAY AS DATE)`;

/** A time's SQL: the timestamp, its `dt` day string and its `hr` hour. */
export function timeSql(time: TimeValue): { timestamp: string; date: string; hour: string } {
  if ('at' in time) {
    const d = new Date(time.at);
    return { timestamp: timestampLiteral(time.at), date: quote(d.toISOString().slice(0, 10)), hour: String(d.getUTCHours()) };
  }
  const day = relativeDay(time.daysAgo);
  const midnight = `CAST(${day} AS TIMESTAMP)`;
  return {
    timestamp: time.hour === 0 ? midnight : `${midnight} + INTERVAL '${time.hour}' HOUR`,
    date: `CAST(${day} AS VARCHAR)`,
    hour: String(time.hour),
  };
}

/** The last instant before a time (for an exclusive end): the partition that must still be read. */
function lastBefore(time: TimeValue): TimeValue {
  if ('at' in time) return { at: time.at - 1 };
  return time.hour === 0 ? { daysAgo: time.daysAgo + 1, hour: 23 } : { daysAgo: time.daysAgo, hour: time.hour - 1 };
}

/** The predicate of the partition holding one time. */
export function partitionOf(time: TimeValue, options: BindOptions): string {
  const { date, hour } = timeSql(time);
  return options.timePartitioning === 'hour' ? `(dt = ${date} AND hr = ${hour})` : `dt = ${date}`;
}

/**
 * The predicate of the partitions that can hold times in [start, end). Written with literals on
 * `dt` and `hr` only, so Athena's partition projection and DuckDB's Hive pruning both evaluate it
 * per partition: a 2-second range reads one hour's files, and an end at midnight no file of the
 * next day.
 */
export function partitionsBetween(start: TimeValue, end: TimeValue, options: BindOptions): string {
  const first = timeSql(start);
  const last = timeSql(lastBefore(end));
  const days = `dt BETWEEN ${first.date} AND ${last.date}`;
  if (options.timePartitioning !== 'hour') return days;
  return `(${days} AND (dt > ${first.date} OR hr >= ${first.hour}) AND (dt < ${last.date} OR hr <= ${last.hour}))`;
}
