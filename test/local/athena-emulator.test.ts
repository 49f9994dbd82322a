/**
 * The Athena emulator stops what StopQueryExecution stops: the engine's
 * statement is aborted (so a stopped INSERT writes nothing locally, as the
 * rollup's deadline handling expects), and the query stays CANCELLED.
 */
import { GetQueryExecutionCommand, StartQueryExecutionCommand, StopQueryExecutionCommand } from '@aws-sdk/client-athena';
import { expect, it } from 'vitest';
import { athenaClient } from '../../src/aws/clients.js';
import { sleep } from '../../src/domain/concurrency.js';
import { startAthenaEmulator } from '../../src/local/athena-emulator.js';
import type { LocalRunOptions } from '../../src/query/local-engine.js';

it('aborts the running statement on StopQueryExecution and reports CANCELLED', async () => {
  let aborted = false;
  let started = false;
  const emulator = await startAthenaEmulator({
    engine: {
      // A statement that runs until it is stopped, as a long INSERT would.
      run: (_sql: string, options?: LocalRunOptions) =>
        new Promise((_resolve, reject) => {
          started = true;
          options?.signal?.addEventListener('abort', () => {
            aborted = true;
            reject(new Error('interrupted'));
          });
        }),
    },
  });
  try {
    const athena = athenaClient({
      AWS_ENDPOINT_URL_ATHENA: emulator.endpoint,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'x',
      AWS_SECRET_ACCESS_KEY: 'x',
    });
    const { QueryExecutionId } = await athena.send(new StartQueryExecutionCommand({ QueryString: 'INSERT INTO t SELECT 1' }));
    while (!started) await sleep(5);
    await athena.send(new StopQueryExecutionCommand({ QueryExecutionId }));
    await sleep(20);
    expect(aborted).toBe(true);
    const status = await athena.send(new GetQueryExecutionCommand({ QueryExecutionId }));
    expect(status.QueryExecution?.Status?.State).toBe('CANCELLED');
  } finally {
    await emulator.stop();
  }
});
