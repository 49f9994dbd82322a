/**
 * The athena/ SQL library: each `.sql` file documents itself in its header
 * and declares its parameters; the same text runs on Athena and, through the
 * small rewrite table in ./rewrite.ts, on the local DuckDB lake.
 *
 *   -- <description, first line>
 *   -- @param <name> <type>[?] [= <default>]   <help>
 *
 * Types: timestamp, date (yyyy-MM-dd), int, double, string, enum(a,b,…). A `?`
 * makes a parameter optional (it binds to NULL). In the SQL, `{{name}}` is the
 * parameter as a typed SQL literal; a timestamp also offers `{{name.date}}`
 * (its UTC day as the 'yyyy-MM-dd' string the `dt` partitions use, so Athena
 * prunes partitions), `{{name.hour}}` (its UTC hour, an integer) and
 * `{{name.partition}}`: the predicate that selects that time's partition in
 * the lake's layout — `dt = 'yyyy-MM-dd'`, and `AND hr = H` when the query is
 * bound for hourly partitions (BindOptions), so a one-hour query reads one
 * hour of files rather than a day's.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { isIsoDay } from '../domain/days.js';
import type { TimePartitioning } from '../lake/layout.js';

/** How the lake the query runs on is laid out: what `{{name.partition}}` expands to. */
export interface BindOptions {
  /** The event tables' time partitions (lib/config/environments.ts `lake.timePartitioning`); without it, by date only. */
  readonly timePartitioning?: TimePartitioning;
}

export const ATHENA_DIR = path.resolve(import.meta.dirname ?? path.dirname(new URL(import.meta.url).pathname), '../../athena');

export type ParamType =
  | { kind: 'timestamp' }
  | { kind: 'date' }
  | { kind: 'int' }
  | { kind: 'double' }
  | { kind: 'string' }
  | { kind: 'enum'; values: readonly string[] };

export interface ParamSpec {
  readonly name: string;
  readonly type: ParamType;
  readonly optional: boolean;
  readonly default?: string;
  readonly help: string;
}

export interface SqlQuery {
  /** File name without `.sql`. */
  readonly name: string;
  readonly file: string;
  readonly description: string;
  readonly params: readonly ParamSpec[];
  readonly sql: string;
}

/** A bad parameter or query: the CLI reports it as a usage error. */
export class QueryParamError extends Error {}

const PARAM_LINE =
  /^--\s*@param\s+([a-z_][a-z0-9_]*)\s+(timestamp|date|int|double|string|enum\(([^)]*)\))(\?)?(?:\s*=\s*(\S+))?\s*(.*)$/i;

function parseType(raw: string, enumValues: string | undefined): ParamType {
  if (enumValues !== undefined) return { kind: 'enum', values: enumValues.split(',').map((v) => v.trim()) };
  return { kind: raw.toLowerCase() as Exclude<ParamType['kind'], 'enum'> } as ParamType;
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
        type: parseType(m[2] as string, m[3]),
        optional: m[4] === '?',
        ...(m[5] === undefined ? {} : { default: m[5] }),
        help: (m[6] ?? '').trim(),
      });
    } else {
      description.push(line.replace(/^--\s?/, ''));
    }
  }
  const declared = new Set(params.map((p) => p.name));
  for (const [, ref] of sql.matchAll(/\{\{\s*([a-z_][a-z0-9_]*)(?:\.[a-z]+)?\s*\}\}/gi)) {
    if (!declared.has(ref as string)) throw new Error(`${file}: {{${ref}}} is used but not declared with -- @param`);
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

const quote = (s: string) => `'${s.replaceAll("'", "''")}'`;

/** Parses a timestamp parameter: ISO-8601 with a zone, or a date (midnight UTC). */
function parseTimestamp(name: string, raw: string): Date {
  const iso = /^\d{4}-\d{2}-\d{2}$/.test(raw) ? `${raw}T00:00:00Z` : raw;
  const ms = /[zZ]|[+-]\d{2}:?\d{2}$/.test(iso) ? Date.parse(iso) : Number.NaN;
  if (Number.isNaN(ms)) {
    throw new QueryParamError(`parameter ${name}: "${raw}" is not a timestamp with a zone (e.g. 2024-01-01T00:00:00Z) or a date`);
  }
  return new Date(ms);
}

/** `TIMESTAMP 'yyyy-MM-dd HH:mm:ss.SSS'` in UTC: Athena's and DuckDB's common literal. */
const timestampLiteral = (d: Date) => `TIMESTAMP '${d.toISOString().replace('T', ' ').replace('Z', '')}'`;

/** The SQL literals of one parameter: `{{name}}` and its derived forms. */
function literalsOf(spec: ParamSpec, raw: string | undefined, options: BindOptions): Record<string, string> {
  const { name, type } = spec;
  if (raw === undefined) {
    if (!spec.optional) throw new QueryParamError(`missing parameter ${name} (${describeType(type)}): ${spec.help}`);
    return { [name]: 'NULL', [`${name}.date`]: 'NULL', [`${name}.hour`]: 'NULL', [`${name}.partition`]: 'true' };
  }
  switch (type.kind) {
    case 'timestamp': {
      const d = parseTimestamp(name, raw);
      const date = quote(d.toISOString().slice(0, 10));
      const hour = String(d.getUTCHours());
      return {
        [name]: timestampLiteral(d),
        [`${name}.date`]: date,
        [`${name}.hour`]: hour,
        [`${name}.partition`]: options.timePartitioning === 'hour' ? `(dt = ${date} AND hr = ${hour})` : `dt = ${date}`,
      };
    }
    case 'date':
      if (!isIsoDay(raw)) throw new QueryParamError(`parameter ${name}: "${raw}" is not a date yyyy-MM-dd`);
      return { [name]: quote(raw) };
    case 'int':
      if (!/^-?\d{1,15}$/.test(raw)) throw new QueryParamError(`parameter ${name}: "${raw}" is not an integer`);
      return { [name]: String(Number(raw)) };
    case 'double':
      if (raw.trim() === '' || !Number.isFinite(Number(raw)))
        throw new QueryParamError(`parameter ${name}: "${raw}" is not a number`);
      return { [name]: `CAST(${Number(raw)} AS DOUBLE)` };
    case 'enum':
      if (!type.values.includes(raw))
        throw new QueryParamError(`parameter ${name}: "${raw}" is not one of ${type.values.join(', ')}`);
      return { [name]: quote(raw) };
    default:
      return { [name]: quote(raw) };
  }
}

export function describeType(type: ParamType): string {
  return type.kind === 'enum' ? type.values.join('|') : type.kind;
}

/** The query's SQL with every `{{…}}` replaced by a typed, escaped literal. Unknown parameters are refused. */
export function bindParams(query: SqlQuery, values: Readonly<Record<string, string>>, options: BindOptions = {}): string {
  const known = new Set(query.params.map((p) => p.name));
  for (const key of Object.keys(values)) {
    if (!known.has(key)) {
      const list = query.params.map((p) => p.name).join(', ') || 'none';
      throw new QueryParamError(`query ${query.name} has no parameter ${key} (its parameters: ${list})`);
    }
  }
  const literals: Record<string, string> = {};
  for (const spec of query.params) Object.assign(literals, literalsOf(spec, values[spec.name] ?? spec.default, options));
  return query.sql.replace(/\{\{\s*([a-z_][a-z0-9_]*(?:\.[a-z]+)?)\s*\}\}/gi, (whole, ref: string) => {
    const literal = literals[ref];
    if (literal === undefined) throw new QueryParamError(`${query.name}: ${whole} is not a parameter or a derived form of one`);
    return literal;
  });
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
