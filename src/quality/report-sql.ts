/**
 * The daily data-quality report over the lake, generated from the catalog's
 * expectations so the online checks and the offline SQL have one source:
 * each kind renders its own counts (ExpectationKind.sql). The result is kept
 * as athena/data_quality_daily.sql (written by ./generate-report-sql.ts and
 * checked against the catalog by test/quality/report-sql.test.ts), so it is
 * an Athena named query like the rest of the library, runs on its schedule
 * (lib/constructs/data-quality-report.ts) and locally with
 * `featurelake query data_quality_daily`.
 *
 * One row per source and expectation: checked, failed, failure_rate, holds.
 * The lake holds the events the lake writer kept, so soft record kinds count
 * exactly what the lake writer's metrics count for the same events; a hard
 * expectation's failures are in the quarantine, not the lake, so its lake
 * figure is checked = events kept, failed = 0 (anything else is an event that
 * reached the lake by another route). Batch and hour kinds are judged per day
 * (uniqueness), per hour of arrival (freshness) or per hour of event time
 * (volume): see ./expectations.ts.
 */
import type { Catalog, EventSource } from '../features/define.js';
import { expectationsOf } from './batch-quality.js';
import { expectationKind, type SqlContext, severityOf, sqlLiteral } from './expectations.js';

export const DATA_QUALITY_QUERY = 'data_quality_daily';

const ident = (name: string): string => `"${name.replaceAll('"', '""')}"`;
const relation = (source: EventSource) => ident(`${source.name}_events`);

/** The source's events with event time in [start, end), only the columns its expectations read. */
function eventsCte(source: EventSource, fields: readonly string[]): string {
  const time = ident(source.eventTimeField);
  const columns = [...new Set([source.eventTimeField, 'arrival_time', ...fields])].map(ident).join(', ');
  return [
    `${relation(source)} AS (`,
    `  SELECT ${columns}`,
    `  FROM ${ident(source.name)}`,
    `  WHERE {{partitions(start, end)}}`,
    `    AND ${time} >= {{start}} AND ${time} < {{end}}`,
    ')',
  ].join('\n');
}

/** The report's SQL (Trino; DuckDB through src/query/rewrite.ts), with its library header. */
export function dataQualitySql(catalog: Pick<Catalog, 'sources' | 'featureViews'>): string {
  const header = [
    '-- Data quality per source and expectation of the catalog over a range of event time (default: yesterday, UTC):',
    '-- units checked and failed, the failure rate, and whether the expectation held. The offline twin of the',
    '-- ExpectationChecked / ExpectationFailures metrics (docs/operations.md). Generated from the catalog by',
    '-- src/quality/report-sql.ts: regenerate with `npx tsx src/quality/generate-report-sql.ts`, do not edit.',
    '-- @param start timestamp = today-1d   Inclusive start, UTC',
    '-- @param end timestamp = today        Exclusive end, UTC',
  ];
  const ctes: string[] = [];
  const checks: string[] = [];
  for (const source of catalog.sources) {
    const expectations = expectationsOf(source, catalog.featureViews);
    if (expectations.length === 0) continue;
    const fields = expectations.flatMap((e) => expectationKind(e).fields(e));
    ctes.push(eventsCte(source, fields));
    const ctx: SqlContext = {
      events: relation(source),
      column: ident,
      eventTime: ident(source.eventTimeField),
      arrivalTime: ident('arrival_time'),
      hours: "date_diff('hour', {{start}}, {{end}})",
    };
    for (const e of expectations) {
      const kind = expectationKind(e);
      const labels = [source.name, e.name, e.kind, severityOf(e)].map(sqlLiteral);
      checks.push(
        `  SELECT ${labels[0]} AS source, ${labels[1]} AS expectation, ${labels[2]} AS kind, ${labels[3]} AS severity,` +
          ` CAST(${kind.maxFailureRate(e)} AS DOUBLE) AS max_failure_rate, checked, failed\n` +
          `  FROM (${kind.sql(e, ctx)}) AS counts`,
      );
    }
  }
  if (checks.length === 0) {
    return `${header.join('\n')}\nSELECT CAST(NULL AS VARCHAR) AS source, CAST(NULL AS VARCHAR) AS expectation WHERE false\n`;
  }
  ctes.push(`checks AS (\n${checks.join('\n  UNION ALL\n')}\n)`);
  return `${header.join('\n')}
WITH
${ctes.join(',\n')}
SELECT
  source,
  expectation,
  kind,
  severity,
  checked,
  failed,
  CASE WHEN checked = 0 THEN NULL ELSE CAST(failed AS DOUBLE) / checked END AS failure_rate,
  CAST(failed AS DOUBLE) <= max_failure_rate * checked AS holds
FROM checks
ORDER BY source, expectation
`;
}
