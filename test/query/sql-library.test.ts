/** Parameter declarations and binding: typed literals, clear errors. */
import { describe, expect, it } from 'vitest';
import { parseInsertInto, toDuckDb } from '../../src/query/rewrite.js';
import { bindParams, parseParamPairs, parseSqlQuery, QueryParamError, renderSaved } from '../../src/query/sql-library.js';

const query = parseSqlQuery(
  'demo.sql',
  [
    '-- A demo query.',
    '-- @param start timestamp            Inclusive start',
    '-- @param level enum(low,high) = low  How much',
    '-- @param n int = 10                 Rows',
    '-- @param ratio double?              A ratio',
    '-- @param who string?                A name',
    '-- @param day date?                  A day',
    "SELECT {{start}}, {{start.date}}, {{start.hour}}, {{level}}, {{n}}, {{ratio}}, {{who}}, {{day}} -- it's a comment",
  ].join('\n'),
);

describe('parseSqlQuery', () => {
  it('reads the description and parameters from the header', () => {
    expect(query.description).toBe('A demo query.');
    expect(query.params.map((p) => [p.name, p.type.kind, p.optional, p.default ?? null])).toEqual([
      ['start', 'timestamp', false, null],
      ['level', 'enum', false, 'low'],
      ['n', 'int', false, '10'],
      ['ratio', 'double', true, null],
      ['who', 'string', true, null],
      ['day', 'date', true, null],
    ]);
  });

  it('refuses a placeholder that is not declared', () => {
    expect(() => parseSqlQuery('bad.sql', '-- x\nSELECT {{nope}}')).toThrow(/\{\{nope\}\} is used but not declared/);
  });
});

describe('bindParams', () => {
  it('binds typed literals, derived date and hour, defaults and NULLs', () => {
    const sql = bindParams(query, { start: '2024-03-05T07:30:00+02:00', who: "O'Brien", ratio: '0.5' });
    expect(sql).toContain(
      "SELECT TIMESTAMP '2024-03-05 05:30:00.000', '2024-03-05', 5, 'low', 10, CAST(0.5 AS DOUBLE), 'O''Brien', NULL",
    );
  });

  it("expands a timestamp's partition predicate for the lake's layout", () => {
    const q = parseSqlQuery(
      'p.sql',
      '-- p\n-- @param hour timestamp  An hour\n-- @param since timestamp?  Optional\nSELECT 1 WHERE {{hour.partition}} AND {{since.partition}}',
    );
    const values = { hour: '2024-03-05T07:30:00+02:00' };
    expect(bindParams(q, values)).toContain("WHERE dt = '2024-03-05' AND true");
    expect(bindParams(q, values, { timePartitioning: 'date' })).toContain("WHERE dt = '2024-03-05' AND true");
    expect(bindParams(q, values, { timePartitioning: 'hour' })).toContain("WHERE (dt = '2024-03-05' AND hr = 5) AND true");
  });

  it.each([
    [{}, /missing parameter start \(timestamp\)/],
    [{ start: '2024-03-05T07:00:00' }, /start: "2024-03-05T07:00:00" is not a real date or a time with a zone/],
    // Date.parse shifts these to other days (2025-02-30 → March 2): they are refused instead.
    [{ start: '2025-02-30' }, /start: "2025-02-30" is not a real date/],
    [{ start: '2025-02-29T10:00:00Z' }, /start: "2025-02-29T10:00:00Z" is not a real date/],
    [{ start: '2024-03-05T24:00:00Z' }, /start: "2024-03-05T24:00:00Z" is not a real date/],
    [{ start: '2024-03-05', day: '2025-02-30' }, /day: "2025-02-30" is not a real date yyyy-MM-dd/],
    [{ start: '2024-03-05', level: 'max' }, /level: "max" is not one of low, high/],
    [{ start: '2024-03-05', n: '1; DROP TABLE x' }, /n: "1; DROP TABLE x" is not an integer/],
    [{ start: '2024-03-05', ratio: 'abc' }, /ratio: "abc" is not a number/],
    [{ start: '2024-03-05', day: '05/03/2024' }, /day: "05\/03\/2024" is not a real date yyyy-MM-dd/],
    [{ start: '2024-03-05', colour: 'red' }, /has no parameter colour \(its parameters: start, level, n, ratio, who, day\)/],
  ])('refuses %j', (values, message) => {
    expect(() => bindParams(query, values as Record<string, string>)).toThrow(QueryParamError);
    expect(() => bindParams(query, values as Record<string, string>)).toThrow(message);
  });
});

describe('ranges, lists, limits and saved queries', () => {
  const ranged = parseSqlQuery(
    'r.sql',
    [
      '-- A ranged query.',
      '-- @param start timestamp = today-1d   From',
      '-- @param end timestamp = today        To',
      '-- @param who string[]?                Names',
      '-- @param dims enum(user|app|user,app) = user   Dims',
      '-- @param limit int>0 = 10             Rows',
      'SELECT {{start}}, {{end}}, {{who}}, {{dims}}, {{limit}} WHERE {{partitions(start, end)}}',
    ].join('\n'),
  );
  const bind = (values: Record<string, string>, timePartitioning: 'date' | 'hour' = 'hour') =>
    bindParams(ranged, values, { timePartitioning }, Date.parse('2024-03-05T10:20:00Z'));

  it('prunes on dt and hr: two seconds inside one hour select that hour only', () => {
    expect(bind({ start: '2024-03-05T07:10:00Z', end: '2024-03-05T07:10:02Z' })).toContain(
      "WHERE (dt BETWEEN '2024-03-05' AND '2024-03-05' AND (dt > '2024-03-05' OR hr >= 7) AND (dt < '2024-03-05' OR hr <= 7))",
    );
  });

  it('an exclusive end at midnight stops at hour 23 of the day before; a daily layout prunes on dt only', () => {
    const values = { start: '2024-03-04T22:30:00Z', end: '2024-03-06T00:00:00Z' };
    expect(bind(values)).toContain(
      "WHERE (dt BETWEEN '2024-03-04' AND '2024-03-05' AND (dt > '2024-03-04' OR hr >= 22) AND (dt < '2024-03-05' OR hr <= 23))",
    );
    expect(bind(values, 'date')).toContain("WHERE dt BETWEEN '2024-03-04' AND '2024-03-05'");
  });

  it('resolves an inclusive to=today against the same now as the rest (a fixed now in tests, midnight-safe)', () => {
    // now is 2024-03-05T10:20Z: from yesterday through today ends at the next midnight.
    expect(bind({ from: 'today-1d', to: 'today' })).toContain(
      "SELECT TIMESTAMP '2024-03-04 00:00:00.000', TIMESTAMP '2024-03-06 00:00:00.000'",
    );
  });

  it('defaults to the last full UTC day; from and an inclusive to are the seed tools’ spellings', () => {
    expect(bind({})).toContain("SELECT TIMESTAMP '2024-03-04 00:00:00.000', TIMESTAMP '2024-03-05 00:00:00.000'");
    expect(bind({ from: '2024-03-01', to: '2024-03-02' })).toContain(
      "SELECT TIMESTAMP '2024-03-01 00:00:00.000', TIMESTAMP '2024-03-03 00:00:00.000'",
    );
    expect(bind({ start: '2024-03-01', to: '2024-03-02T23:59:59Z' })).toContain(
      "TIMESTAMP '2024-03-01 00:00:00.000', TIMESTAMP '2024-03-03 00:00:00.000'",
    );
    expect(() => bind({ end: '2024-03-02', to: '2024-03-02' })).toThrow(/give end \(exclusive\) or to \(inclusive\), not both/);
  });

  it('binds a list as an ARRAY of quoted strings, and enum values holding commas', () => {
    expect(bind({ who: "u1, o'neil", dims: 'user,app' })).toContain("ARRAY['u1', 'o''neil'], 'user,app'");
    expect(bind({})).toContain("TIMESTAMP '2024-03-05 00:00:00.000', NULL, 'user', 10");
  });

  it.each([
    [
      { start: '2024-03-05', end: '2024-03-04' },
      /the range is empty: end 2024-03-04T00:00:00.000Z is not after start 2024-03-05/,
    ],
    [{ start: '2024-03-05', end: '2024-03-05' }, /the range is empty/],
    [{ from: '2024-03-05', to: '2024-03-03' }, /the range is empty/],
    [{ limit: '-1' }, /limit: -1 is too small \(at least 1\)/],
    [{ limit: '0' }, /limit: 0 is too small \(at least 1\)/],
    [{ who: 'a,,b' }, /who: "a,,b" is not a comma-separated list/],
  ])('refuses %j', (values, message) => {
    expect(() => bind(values as Record<string, string>)).toThrow(QueryParamError);
    expect(() => bind(values as Record<string, string>)).toThrow(message);
  });

  it('saves a query with its defaults, relative days as SQL over current_date, and no placeholder left', () => {
    const saved = renderSaved(ranged, { timePartitioning: 'hour' });
    expect(saved).not.toContain('{{');
    const yesterday = "CAST(current_date - INTERVAL '1' DAY AS DATE)";
    expect(saved).toContain(`SELECT CAST(${yesterday} AS TIMESTAMP), CAST(current_date AS TIMESTAMP), NULL, 'user', 10`);
    expect(saved).toContain(
      `WHERE (dt BETWEEN CAST(${yesterday} AS VARCHAR) AND CAST(${yesterday} AS VARCHAR) AND (dt > CAST(${yesterday} AS VARCHAR) OR hr >= 0) AND (dt < CAST(${yesterday} AS VARCHAR) OR hr <= 23))`,
    );
    expect(() => renderSaved(query)).toThrow(/@param start needs a default/);
  });
});

describe('parseParamPairs', () => {
  it('splits at the first =, and refuses malformed or repeated pairs', () => {
    expect(parseParamPairs(['a=1', 'b=x=y'])).toEqual({ a: '1', b: 'x=y' });
    expect(() => parseParamPairs(['a'])).toThrow(/--param expects name=value, got "a"/);
    expect(() => parseParamPairs(['a=1', 'a=2'])).toThrow(/parameter a given twice/);
  });
});

describe('rewrite', () => {
  it('renames the functions DuckDB spells differently, whole words only', () => {
    expect(toDuckDb('SELECT approx_percentile(x, 0.5), to_unixtime(t), my_approx_percentile(y)')).toBe(
      'SELECT quantile_disc(x, 0.5), epoch(t), my_approx_percentile(y)',
    );
  });

  it('recognises INSERT INTO after comments, not inside strings', () => {
    expect(parseInsertInto("-- rollup\nINSERT INTO clickstream_hourly SELECT '--x' AS a;")).toEqual({
      table: 'clickstream_hourly',
      select: "SELECT '--x' AS a",
    });
    expect(parseInsertInto("SELECT 'INSERT INTO x'")).toBeUndefined();
  });
});
