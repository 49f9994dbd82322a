/**
 * Athena as a query engine with the local engine's shape: start a query in
 * the workgroup, poll until it ends, page through the results. Values come
 * back typed from the result metadata (numbers as numbers, timestamps as
 * Dates in UTC); INSERT INTO reports its row count. Used by the rollup Lambda
 * and `featurelake query --athena`.
 *
 * A query is never left running behind its caller: past the engine's timeout,
 * or a run's own deadline (a Lambda's remaining time less a margin), the
 * engine stops it (StopQueryExecution) before failing. A rollup's INSERT left
 * running after its function timed out could otherwise write its hour after
 * the next run had deleted and rebuilt it.
 */
import {
  type AthenaClient,
  type ColumnInfo,
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  type QueryExecution,
  StartQueryExecutionCommand,
  StopQueryExecutionCommand,
} from '@aws-sdk/client-athena';
import type { QueryResult } from './local-engine.js';
import { parseInsertInto } from './rewrite.js';

/** Per run: when the caller must have its answer. */
export interface AthenaRunOptions {
  /** Epoch ms after which the query is stopped and the run fails (e.g. a Lambda's deadline less a margin). */
  readonly deadline?: number;
}

export interface AthenaEngineOptions {
  readonly athena: AthenaClient;
  /** The workgroup decides the results location, encryption and the bytes-scanned cutoff. */
  readonly workgroup: string;
  readonly database: string;
  /** First poll interval; it doubles up to 2 s. */
  readonly pollMs?: number;
  /** Stop the query and fail after this long. */
  readonly timeoutMs?: number;
  /** Called on each poll: for progress lines. */
  readonly onPoll?: (state: string, elapsedMs: number, bytesScanned: number) => void;
}

/** Athena's price: $5 per TB scanned, at least 10 MB per query. */
export function athenaCostUsd(bytesScanned: number): number {
  return (Math.max(bytesScanned, 10 * 1024 * 1024) / 1024 ** 4) * 5;
}

const NUMERIC = new Set(['tinyint', 'smallint', 'integer', 'bigint', 'double', 'float', 'real', 'decimal']);

/**
 * One result cell as a JS value, from Athena's string and the column's type. An array comes as
 * '[a, b, c]': its elements are split at ', ' (text elements holding ', ' cannot be told apart:
 * Athena's text results do not quote them).
 */
export function athenaValue(raw: string | undefined, column: ColumnInfo): unknown {
  if (raw === undefined) return null;
  const type = (column.Type ?? 'varchar').toLowerCase();
  const array = /^array\((.*)\)$/.exec(type);
  if (array) {
    const inner = raw.replace(/^\[|\]$/g, '');
    return inner === ''
      ? []
      : inner.split(', ').map((x) => (x === 'null' ? null : athenaValue(x, { ...column, Type: array[1] })));
  }
  if (NUMERIC.has(type)) return Number(raw);
  if (type === 'boolean') return raw === 'true';
  if (type.startsWith('timestamp')) return new Date(`${raw.replace(' ', 'T').slice(0, 23)}Z`);
  return raw;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function athenaEngine(options: AthenaEngineOptions) {
  const { athena, workgroup, database } = options;
  const timeoutMs = options.timeoutMs ?? 10 * 60_000;

  async function stop(id: string, why: string): Promise<never> {
    await athena.send(new StopQueryExecutionCommand({ QueryExecutionId: id }));
    throw new Error(`Athena query ${id} ${why}: stopped it`);
  }

  async function wait(id: string, started: number, deadline: number): Promise<QueryExecution> {
    let delay = options.pollMs ?? 200;
    for (;;) {
      const { QueryExecution: execution } = await athena.send(new GetQueryExecutionCommand({ QueryExecutionId: id }));
      const state = execution?.Status?.State ?? 'UNKNOWN';
      const elapsed = performance.now() - started;
      options.onPoll?.(state, elapsed, execution?.Statistics?.DataScannedInBytes ?? 0);
      if (state === 'SUCCEEDED') return execution as QueryExecution;
      if (state === 'FAILED' || state === 'CANCELLED') {
        const reason = execution?.Status?.StateChangeReason ?? execution?.Status?.AthenaError?.ErrorMessage ?? 'no reason given';
        throw new Error(`Athena query ${id} ${state.toLowerCase()}: ${reason}`);
      }
      if (elapsed > timeoutMs) await stop(id, `still ${state.toLowerCase()} after ${Math.round(elapsed / 1000)} s`);
      const left = deadline - Date.now();
      if (left <= 0) await stop(id, `still ${state.toLowerCase()} at the caller's deadline`);
      // Never sleep past the deadline: the stop must happen while the caller still runs.
      await sleep(Math.min(delay, left));
      delay = Math.min(delay * 2, 2000);
    }
  }

  return {
    async run(sql: string, runOptions: AthenaRunOptions = {}): Promise<QueryResult> {
      const started = performance.now();
      const deadline = runOptions.deadline ?? Number.POSITIVE_INFINITY;
      if (deadline <= Date.now()) throw new Error('no time left to run an Athena query before the deadline');
      // Athena calls both SELECT and INSERT "DML": the statement itself says which it is.
      const insert = parseInsertInto(sql) !== undefined;
      const { QueryExecutionId: id } = await athena.send(
        new StartQueryExecutionCommand({
          QueryString: sql,
          WorkGroup: workgroup,
          QueryExecutionContext: { Database: database },
        }),
      );
      if (!id) throw new Error('Athena did not return a query execution id');
      const execution = await wait(id, started, deadline);
      const bytesScanned = execution.Statistics?.DataScannedInBytes ?? 0;

      let columns: ColumnInfo[] | undefined;
      const rows: Record<string, unknown>[] = [];
      let updateCount: number | undefined;
      let token: string | undefined;
      let first = true;
      do {
        const page = await athena.send(new GetQueryResultsCommand({ QueryExecutionId: id, NextToken: token }));
        if (insert) updateCount = Number(page.UpdateCount ?? 0);
        columns ??= page.ResultSet?.ResultSetMetadata?.ColumnInfo ?? [];
        const data = page.ResultSet?.Rows ?? [];
        // A SELECT's first row repeats the column names.
        for (const [i, row] of data.entries()) {
          if (first && i === 0 && !insert) continue;
          const cells = row.Data ?? [];
          rows.push(Object.fromEntries(columns.map((c, j) => [c.Name as string, athenaValue(cells[j]?.VarCharValue, c)])));
        }
        first = false;
        token = page.NextToken;
      } while (token);

      const elapsedMs = performance.now() - started;
      if (updateCount !== undefined) {
        return { columns: ['rows'], rows: [{ rows: updateCount }], elapsedMs, bytesScanned, queryExecutionId: id };
      }
      return { columns: (columns ?? []).map((c) => c.Name as string), rows, elapsedMs, bytesScanned, queryExecutionId: id };
    },
  };
}
