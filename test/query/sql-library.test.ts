/** Parameter declarations and binding: typed literals, clear errors. */
import { describe, expect, it } from 'vitest';
import { parseInsertInto, toDuckDb } from '../../src/query/rewrite.js';
import { bindParams, parseParamPairs, parseSqlQuery, QueryParamError } from '../../src/query/sql-library.js';

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
    [{ start: '2024-03-05T07:00:00' }, /start: "2024-03-05T07:00:00" is not a timestamp with a zone/],
    [{ start: '2024-03-05', level: 'max' }, /level: "max" is not one of low, high/],
    [{ start: '2024-03-05', n: '1; DROP TABLE x' }, /n: "1; DROP TABLE x" is not an integer/],
    [{ start: '2024-03-05', ratio: 'abc' }, /ratio: "abc" is not a number/],
    [{ start: '2024-03-05', day: '05/03/2024' }, /day: "05\/03\/2024" is not a date yyyy-MM-dd/],
    [{ start: '2024-03-05', colour: 'red' }, /has no parameter colour \(its parameters: start, level, n, ratio, who, day\)/],
  ])('refuses %j', (values, message) => {
    expect(() => bindParams(query, values as Record<string, string>)).toThrow(QueryParamError);
    expect(() => bindParams(query, values as Record<string, string>)).toThrow(message);
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
      'SELECT quantile_cont(x, 0.5), epoch(t), my_approx_percentile(y)',
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
