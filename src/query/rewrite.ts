/**
 * The one place Athena's SQL (Trino) is translated for the local DuckDB lake.
 * The library is written in the two engines' common subset; this table holds
 * only what has no common spelling. Each entry is a whole-word function rename
 * or a statement shape the local engine handles itself:
 *
 *   Trino (Athena)                         DuckDB
 *   approx_percentile(x, p)                quantile_disc(x, p)   exact locally (the element ⌈p·n⌉ − 1 of the
 *                                                                sorted values); Athena's is within ~1 % of rank
 *   to_unixtime(ts)                        epoch(ts)
 *   day_of_week(ts)                        isodow(ts)            1 (Monday) to 7 (Sunday) in both
 *   INSERT INTO <rollup table> SELECT …    the SELECT's rows written as Parquet
 *                                          under the table's dt=/hr= partitions
 *
 * Common ground the library relies on (no rewrite needed): TIMESTAMP 'y-m-d h:m:s'
 * literals, INTERVAL 'n' HOUR/MINUTE, date_trunc, minute, hour, count_if,
 * count(DISTINCT), row_number() OVER, CASE, coalesce, CAST(… AS DOUBLE),
 * ARRAY['a', 'b'] and contains(array, x) (list parameters), and the saved
 * queries' relative days: CAST(current_date - INTERVAL 'n' DAY AS DATE), cast
 * to VARCHAR ('yyyy-MM-dd') or TIMESTAMP.
 *
 * Numbers: the two engines type some arithmetic differently (a decimal literal
 * is DECIMAL on Trino; integer division truncates there), so the library
 * writes it in DOUBLE (docs/sql.md; checked by test/query/library.test.ts).
 */

export const FUNCTION_RENAMES: Readonly<Record<string, string>> = {
  approx_percentile: 'quantile_disc',
  to_unixtime: 'epoch',
  day_of_week: 'isodow',
};

/** Trino SQL → DuckDB SQL (function renames only; statements are dispatched by the engine). */
export function toDuckDb(sql: string): string {
  let out = sql;
  for (const [from, to] of Object.entries(FUNCTION_RENAMES)) {
    out = out.replace(new RegExp(`\\b${from}\\s*\\(`, 'gi'), `${to}(`);
  }
  return out;
}

/** Strips `--` comments (outside string literals) so statements can be recognised by their first word. */
export function stripComments(sql: string): string {
  let out = '';
  let inString = false;
  for (let i = 0; i < sql.length; i++) {
    const c = sql[i];
    if (c === "'") inString = !inString;
    if (!inString && c === '-' && sql[i + 1] === '-') {
      while (i < sql.length && sql[i] !== '\n') i++;
      out += '\n';
      continue;
    }
    out += c;
  }
  return out;
}

/** `INSERT INTO <table> <select>` → its parts, or undefined for any other statement. */
export function parseInsertInto(sql: string): { table: string; select: string } | undefined {
  const m = /^\s*INSERT\s+INTO\s+"?([a-z_][a-z0-9_]*)"?\s+([\s\S]+)$/i.exec(stripComments(sql));
  if (!m) return undefined;
  return { table: (m[1] as string).toLowerCase(), select: (m[2] as string).trim().replace(/;\s*$/, '') };
}
