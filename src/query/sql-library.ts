/**
 * The athena/ SQL library: each `.sql` file documents itself in its header
 * and declares its parameters; the same text runs on Athena and, through the
 * small rewrite table in ./rewrite.ts, on the local DuckDB lake.
 *
 *   -- <description, first line>
 *   -- @param <name> <type>[?] [= <default>]   <help>
 *
 * Types: timestamp, date (yyyy-MM-dd), int (`int>0` sets a minimum), double,
 * string, string[] (a comma-separated list, an ARRAY of strings), enum(a,b,…)
 * (`enum(a|b|c,d)` when a value holds a comma). A `?` makes a parameter
 * optional (it binds to NULL). A timestamp accepts ISO-8601 with a zone, a
 * date, or `today` / `today-Nd` (midnight UTC), also as its default.
 *
 * In the SQL, `{{name}}` is the parameter as a typed SQL literal; a timestamp
 * also offers `{{name.date}}` (its UTC day, the `dt` partition string),
 * `{{name.hour}}` (its UTC hour) and `{{name.partition}}` (the predicate of
 * its partition in the lake's layout), and two timestamps
 * `{{partitions(start, end)}}`: the predicate of every partition that can hold
 * a time in [start, end) — on `dt`, and on `hr` too when the lake is
 * partitioned by hour (BindOptions) — so Athena prunes to the hours queried.
 *
 * A query with `start` and `end` timestamps takes them as the range [start,
 * end): `end` must be after `start`, and the seed tools' spellings `from`
 * (= start) and `to` (an inclusive end: a date means through that day) are
 * accepted too.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import {
  type BindOptions,
  type BoundValue,
  type ParamSpec,
  parseParamType,
  parseTime,
  parseValue,
  partitionOf,
  partitionsBetween,
  QueryParamError,
  timeSql,
} from './sql-params.js';

export { type BindOptions, describeType, type ParamSpec, type ParamType, QueryParamError } from './sql-params.js';

const MODULE_DIR = import.meta.dirname ?? path.dirname(new URL(import.meta.url).pathname);

/**
 * The library's folder: `athena/` next to the running file when it is a deployed bundle (the
 * function construct copies it there), else the repository's `athena/`.
 */
export const ATHENA_DIR =
  [path.join(MODULE_DIR, 'athena'), path.resolve(MODULE_DIR, '../../athena')].find((dir) => existsSync(dir)) ??
  path.resolve(MODULE_DIR, '../../athena');

export interface SqlQuery {
  /** File name without `.sql`. */
  readonly name: string;
  readonly file: string;
  readonly description: string;
  readonly params: readonly ParamSpec[];
  readonly sql: string;
}

const PARAM_LINE =
  /^--\s*@param\s+([a-z_][a-z0-9_]*)\s+(timestamp|date|int(?:>=?-?\d+)?|double|string\[\]|string|enum\(([^)]*)\))(\?)?(?:\s*=\s*(\S+))?\s*(.*)$/i;

/** `{{name}}`, `{{name.form}}` or `{{partitions(a, b)}}`. */
const PLACEHOLDER = /\{\{\s*(partitions\(\s*[a-z_][a-z0-9_]*\s*,\s*[a-z_][a-z0-9_]*\s*\)|[a-z_][a-z0-9_]*(?:\.[a-z]+)?)\s*\}\}/gi;

/** The parameter names a placeholder reference uses. */
function namesIn(ref: string): string[] {
  const range = /^partitions\((\w+),(\w+)\)$/i.exec(ref.replace(/\s+/g, ''));
  return range ? [range[1] as string, range[2] as string] : [ref.split('.')[0] as string];
}

/** Parses one SQL file's header. */
export function parseSqlQuery(file: string, sql: string): SqlQuery {
  const name = path.basename(file, '.sql');
  const header: string[] = [];
  for (const line of sql.split('\n')) {
    if (!line.startsWith('--')) break;
    header.push(line);
  }
  const params: ParamSpec[] = [];
  const description: string[] = [];
  for (const line of header) {
    if (/^--\s*@param\b/.test(line)) {
      const m = PARAM_LINE.exec(line.trim());
      if (!m) throw new Error(`${file}: cannot read parameter declaration "${line}"`);
      params.push({
        name: m[1] as string,
        type: parseParamType(m[2] as string, m[3]),
        optional: m[4] === '?',
        ...(m[5] === undefined ? {} : { default: m[5] }),
        help: (m[6] ?? '').trim(),
      });
    } else {
      description.push(line.replace(/^--\s?/, ''));
    }
  }
  const declared = new Set(params.map((p) => p.name));
  for (const [, ref] of sql.matchAll(PLACEHOLDER)) {
    for (const used of namesIn(ref as string))
      if (!declared.has(used)) throw new Error(`${file}: {{${used}}} is used but not declared with -- @param`);
  }
  return { name, file, description: description.join(' ').trim(), params, sql };
}

/** Every query of the library, by name. */
export function loadSqlLibrary(dir: string = ATHENA_DIR): SqlQuery[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.sql'))
    .sort()
    .map((f) => parseSqlQuery(path.join(dir, f), readFileSync(path.join(dir, f), 'utf8')));
}

/** A query by library name, or a `.sql` file path. */
export function resolveQuery(nameOrFile: string, dir: string = ATHENA_DIR): SqlQuery {
  if (nameOrFile.endsWith('.sql')) {
    let sql: string;
    try {
      sql = readFileSync(nameOrFile, 'utf8');
    } catch {
      throw new QueryParamError(`cannot read SQL file ${nameOrFile}`);
    }
    return parseSqlQuery(nameOrFile, sql);
  }
  const library = loadSqlLibrary(dir);
  const found = library.find((q) => q.name === nameOrFile);
  if (!found) {
    throw new QueryParamError(`unknown query "${nameOrFile}"; the library has: ${library.map((q) => q.name).join(', ')}`);
  }
  return found;
}

/** A query with `start` and `end` timestamps also takes `from` and an inclusive `to` (seed 004's spellings). */
function rangeAliases(query: SqlQuery, values: Readonly<Record<string, string>>, now: number): Record<string, string> {
  const declared = (name: string) => query.params.some((p) => p.name === name && p.type.kind === 'timestamp');
  const out = { ...values };
  if (!declared('start') || !declared('end') || query.params.some((p) => p.name === 'from' || p.name === 'to')) return out;
  if (out.from !== undefined) {
    if (out.start !== undefined) throw new QueryParamError('give start or from, not both');
    out.start = out.from;
    delete out.from;
  }
  if (out.to !== undefined) {
    if (out.end !== undefined) throw new QueryParamError('give end (exclusive) or to (inclusive), not both');
    out.end = inclusiveEnd(out.to, now);
    delete out.to;
  }
  return out;
}

/** An inclusive `to` as the exclusive end after it: a day → the next midnight; a time → one unit of its precision later. */
function inclusiveEnd(to: string, now: number): string {
  const time = parseTime('to', to, now);
  if (!('at' in time)) throw new QueryParamError(`parameter to: "${to}" is not a time`);
  const precise = /:\d{2}:\d{2}\.\d+/.test(to) ? 1 : /:\d{2}:\d{2}/.test(to) ? 1000 : /T|\s\d/.test(to) ? 60_000 : 86_400_000;
  return new Date(time.at + precise).toISOString();
}

/** The SQL of every placeholder reference, from the parameters' values. */
function render(query: SqlQuery, bound: ReadonlyMap<string, BoundValue>, options: BindOptions): string {
  const sqlOf = (ref: string): string => {
    const [first, second] = namesIn(ref).map((name) => bound.get(name));
    if (/^partitions\(/i.test(ref)) {
      if (first?.kind !== 'time' || second?.kind !== 'time') {
        if (first?.kind === 'absent' || second?.kind === 'absent') return 'true';
        throw new QueryParamError(`${query.name}: {{${ref}}} needs two timestamp parameters`);
      }
      return partitionsBetween(first.time, second.time, options);
    }
    const form = ref.split('.')[1];
    if (first === undefined) throw new QueryParamError(`${query.name}: {{${ref}}} is not a parameter`);
    if (first.kind === 'absent') return form === 'partition' ? 'true' : 'NULL';
    if (first.kind === 'literal') {
      if (form !== undefined) throw new QueryParamError(`${query.name}: {{${ref}}}: only timestamps have derived forms`);
      return first.sql;
    }
    const sql = timeSql(first.time);
    if (form === undefined) return sql.timestamp;
    if (form === 'date') return sql.date;
    if (form === 'hour') return sql.hour;
    if (form === 'partition') return partitionOf(first.time, options);
    throw new QueryParamError(`${query.name}: {{${ref}}} is not a derived form of a timestamp (date, hour, partition)`);
  };
  return query.sql.replace(PLACEHOLDER, (_whole, ref: string) => sqlOf(ref.replace(/\s+/g, '')));
}

/**
 * The query's SQL with every `{{…}}` replaced by a typed, escaped literal. Unknown parameters,
 * impossible values and an empty [start, end) range are refused. `today` resolves against `now`.
 */
export function bindParams(
  query: SqlQuery,
  values: Readonly<Record<string, string>>,
  options: BindOptions = {},
  now: number = Date.now(),
): string {
  const given = rangeAliases(query, values, now);
  const known = new Set(query.params.map((p) => p.name));
  for (const key of Object.keys(given)) {
    if (!known.has(key)) {
      const list = query.params.map((p) => p.name).join(', ') || 'none';
      throw new QueryParamError(`query ${query.name} has no parameter ${key} (its parameters: ${list})`);
    }
  }
  const bound = new Map(query.params.map((spec) => [spec.name, parseValue(spec, given[spec.name] ?? spec.default, now)]));
  const [start, end] = [bound.get('start'), bound.get('end')];
  if (start?.kind === 'time' && end?.kind === 'time' && 'at' in start.time && 'at' in end.time && end.time.at <= start.time.at) {
    const [s, e] = [new Date(start.time.at).toISOString(), new Date(end.time.at).toISOString()];
    throw new QueryParamError(`the range is empty: end ${e} is not after start ${s} (end is exclusive; to is inclusive)`);
  }
  return render(query, bound, options);
}

/**
 * The query as saved in Athena (a named query): the same text with every parameter at its
 * default, so it runs as saved — relative defaults (`today-1d`) stay relative, as SQL over
 * `current_date`. A required parameter without a default cannot be saved.
 */
export function renderSaved(query: SqlQuery, options: BindOptions = {}): string {
  const bound = new Map(
    query.params.map((spec) => {
      if (spec.default === undefined && !spec.optional)
        throw new Error(`${query.file}: @param ${spec.name} needs a default for the saved query to run as saved`);
      return [spec.name, parseValue(spec, spec.default, undefined)] as const;
    }),
  );
  const defaults = query.params.map((p) => `${p.name} = ${p.default ?? 'NULL'}`).join(', ');
  const note = [
    `-- Saved with its defaults (${defaults}; today-1d is yesterday, UTC): it runs as is.`,
    `-- For other values, \`featurelake query ${query.name} -p name=value … --sql\` prints this query bound for them.`,
  ];
  return `${note.join('\n')}\n${render(query, bound, options)}`;
}

/** `k=v` pairs from the command line into a record; a repeated key is an error. */
export function parseParamPairs(pairs: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new QueryParamError(`--param expects name=value, got "${pair}"`);
    const key = pair.slice(0, eq).trim();
    if (key in out) throw new QueryParamError(`parameter ${key} given twice`);
    out[key] = pair.slice(eq + 1);
  }
  return out;
}
