/**
 * Athena's query API (StartQueryExecution, GetQueryExecution,
 * GetQueryResults, StopQueryExecution; JSON 1.1 over HTTP) in front of the
 * local DuckDB lake, so code written for Athena — the rollup Lambda,
 * `featurelake query --athena` — runs unchanged against the embedded stack
 * (AWS_ENDPOINT_URL_ATHENA). Queries run asynchronously like Athena's and
 * page their results; bytes scanned are not measured locally (0).
 * Workgroup and database are recorded, not enforced: there is one lake.
 */
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { LocalRunOptions, QueryResult } from '../query/local-engine.js';
import { parseInsertInto } from '../query/rewrite.js';

export interface AthenaEmulatorOptions {
  /** Runs the SQL; the signal aborts when the query is stopped (StopQueryExecution), as Athena stops its work. */
  readonly engine: { run(sql: string, options?: LocalRunOptions): Promise<QueryResult> };
  /** Rows per GetQueryResults page at most (Athena: 1,000). */
  readonly maxPageSize?: number;
  readonly port?: number;
}

export interface EmulatedExecution {
  readonly id: string;
  readonly sql: string;
  readonly workgroup: string;
  readonly database: string | undefined;
  state: 'QUEUED' | 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'CANCELLED';
  reason?: string;
  result?: QueryResult;
  readonly submittedMs: number;
  elapsedMs?: number;
  /** Aborted by StopQueryExecution: the engine stops the statement, and a stopped INSERT writes nothing. */
  readonly stop: AbortController;
}

export interface AthenaEmulator {
  readonly endpoint: string;
  readonly executions: ReadonlyMap<string, EmulatedExecution>;
  stop(): Promise<void>;
}

class AthenaError extends Error {
  constructor(
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

/** Athena's type name for a column, from its values. */
function athenaType(values: readonly unknown[]): string {
  const sample = values.find((v) => v !== null && v !== undefined);
  if (Array.isArray(sample)) return `array(${athenaType(values.flatMap((v) => (Array.isArray(v) ? v : [])))})`;
  if (sample instanceof Date) return 'timestamp';
  if (typeof sample === 'bigint') return 'bigint';
  if (typeof sample === 'number') return values.every((v) => v == null || Number.isInteger(v)) ? 'bigint' : 'double';
  if (typeof sample === 'boolean') return 'boolean';
  return 'varchar';
}

/** A value as Athena's result text: timestamps as 'yyyy-MM-dd HH:mm:ss.SSS', arrays as '[a, b, c]'. */
function athenaText(value: unknown): string | undefined {
  if (value === null || value === undefined) return undefined;
  if (value instanceof Date) return value.toISOString().replace('T', ' ').replace('Z', '');
  if (Array.isArray(value)) return `[${value.map((v) => athenaText(v) ?? 'null').join(', ')}]`;
  return String(value);
}

export async function startAthenaEmulator(options: AthenaEmulatorOptions): Promise<AthenaEmulator> {
  const executions = new Map<string, EmulatedExecution>();
  const maxPage = options.maxPageSize ?? 1000;
  // One query at a time, like a single DuckDB connection wants.
  let queue: Promise<unknown> = Promise.resolve();

  const get = (id: unknown) => {
    const execution = executions.get(String(id));
    if (!execution) throw new AthenaError('InvalidRequestException', `QueryExecution ${String(id)} was not found`);
    return execution;
  };

  const actions: Record<string, (body: Record<string, any>) => unknown> = {
    StartQueryExecution(body) {
      if (typeof body.QueryString !== 'string' || body.QueryString.trim() === '')
        throw new AthenaError('InvalidRequestException', 'QueryString is required');
      const execution: EmulatedExecution = {
        id: randomUUID(),
        sql: body.QueryString,
        workgroup: body.WorkGroup ?? 'primary',
        database: body.QueryExecutionContext?.Database,
        state: 'QUEUED',
        submittedMs: Date.now(),
        stop: new AbortController(),
      };
      executions.set(execution.id, execution);
      queue = queue.then(async () => {
        if (execution.state === 'CANCELLED') return;
        execution.state = 'RUNNING';
        const started = performance.now();
        try {
          execution.result = await options.engine.run(execution.sql, { signal: execution.stop.signal });
          if (execution.state === 'RUNNING') execution.state = 'SUCCEEDED';
        } catch (error) {
          // A stopped query stays CANCELLED, however its engine ended.
          if ((execution.state as EmulatedExecution['state']) !== 'CANCELLED') {
            execution.state = 'FAILED';
            execution.reason = (error as Error).message;
          }
        }
        execution.elapsedMs = performance.now() - started;
      });
      return { QueryExecutionId: execution.id };
    },
    GetQueryExecution(body) {
      const e = get(body.QueryExecutionId);
      return {
        QueryExecution: {
          QueryExecutionId: e.id,
          Query: e.sql,
          StatementType: 'DML',
          WorkGroup: e.workgroup,
          QueryExecutionContext: e.database ? { Database: e.database } : {},
          Status: {
            State: e.state,
            SubmissionDateTime: e.submittedMs / 1000,
            ...(e.reason ? { StateChangeReason: e.reason } : {}),
          },
          Statistics: { DataScannedInBytes: 0, EngineExecutionTimeInMillis: Math.round(e.elapsedMs ?? 0) },
        },
      };
    },
    GetQueryResults(body) {
      const e = get(body.QueryExecutionId);
      if (e.state !== 'SUCCEEDED' || !e.result)
        throw new AthenaError('InvalidRequestException', `Query has not yet finished. Current state: ${e.state}`);
      const { columns, rows } = e.result;
      const columnInfo = columns.map((name) => ({ Name: name, Label: name, Type: athenaType(rows.map((r) => r[name])) }));
      const metadata = { ResultSetMetadata: { ColumnInfo: columnInfo } };
      if (parseInsertInto(e.sql)) return { UpdateCount: Number(rows[0]?.rows ?? 0), ResultSet: { Rows: [], ...metadata } };
      const offset = body.NextToken ? Number(body.NextToken) : 0;
      const size = Math.min(Number(body.MaxResults ?? maxPage), maxPage);
      const header = offset === 0 ? [{ Data: columns.map((c) => ({ VarCharValue: c })) }] : [];
      // The header row takes a place on the first page, as in Athena.
      const take = offset === 0 ? size - 1 : size;
      const page = rows.slice(offset, offset + take).map((row) => ({
        Data: columns.map((c) => {
          const text = athenaText(row[c]);
          return text === undefined ? {} : { VarCharValue: text };
        }),
      }));
      const next = offset + take;
      return {
        ResultSet: { Rows: [...header, ...page], ...metadata },
        ...(next < rows.length ? { NextToken: String(next) } : {}),
      };
    },
    StopQueryExecution(body) {
      const e = get(body.QueryExecutionId);
      if (e.state === 'QUEUED' || e.state === 'RUNNING') {
        e.state = 'CANCELLED';
        e.stop.abort();
      }
      return {};
    },
  };

  const server = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const target = String(req.headers['x-amz-target'] ?? '');
    const action = target.replace(/^AmazonAthena\./, '');
    let status = 200;
    let payload: unknown;
    try {
      const handler = actions[action];
      if (!handler) throw new AthenaError('UnknownOperationException', `${target || 'no X-Amz-Target'} is not emulated`);
      payload = handler(JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}'));
    } catch (error) {
      status = 400;
      const type = error instanceof AthenaError ? error.type : 'InvalidRequestException';
      payload = { __type: type, message: (error as Error).message };
    }
    res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' });
    res.end(JSON.stringify(payload));
  });
  server.listen(options.port ?? 0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    executions,
    async stop() {
      await queue.catch(() => {});
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
