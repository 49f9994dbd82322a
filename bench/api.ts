/**
 * GET /features latency on the local stack, side by side in one run with the
 * same reads made straight against DynamoDB (same keys, same projection) and
 * with the API handler invoked in-process (no HTTP). Requests interleave, so
 * machine noise hits all three alike.
 */

import type { APIGatewayProxyEvent } from 'aws-lambda';
import { createHandler } from '../lambdas/feature-api/handler.js';
import { dynamoDocumentClient } from '../src/aws/clients.js';
import { SendSession } from '../src/cli/kinesis/send-session.js';
import { tilesToRead } from '../src/domain/feature-vector.js';
import { exampleCatalog, userClickstream } from '../src/features/catalog.js';
import type { LocalStack } from '../src/local/stack.js';
import { batchGetAll } from '../src/online-store/batch-get.js';
import { STATES_ATTRIBUTE, tileKey } from '../src/online-store/tile-item.js';
import { workloads } from '../src/workloads/index.js';
import { summarize } from './stats.js';

export async function loadDemoData(stack: LocalStack, events: number, users: number) {
  const session = await SendSession.open(
    { streamName: stack.info.resources.streamName, env: stack.clientEnv, endpoint: stack.info.endpoints.kinesis },
    { catalog: exampleCatalog, concurrency: 4 },
  );
  const spanMs = 6 * 3_600_000;
  for (const event of workloads.clickstream?.generate({
    events,
    seed: 1,
    entities: users,
    startMs: Date.now() - spanMs,
    ratePerSecond: events / (spanMs / 1000),
  }) ?? []) {
    await session.add(JSON.stringify(event), event, 'bench');
  }
  await session.finish();
  await stack.drain(600_000);
}

export async function benchApiLatency(stack: LocalStack, users: number, requests: number) {
  const { info } = stack;
  const doc = dynamoDocumentClient(stack.clientEnv);
  const tableName = info.resources.tableName;
  const handler = createHandler(
    { ...stack.clientEnv, TABLE_NAME: tableName, POWERTOOLS_LOG_LEVEL: 'ERROR' },
    { catalog: exampleCatalog },
  );
  const userIds = Array.from({ length: users }, (_, i) => `user_${String(i + 1).padStart(6, '0')}`);
  const samples = { direct: [] as number[], handler: [] as number[], http: [] as number[] };

  const direct = async (userId: string) => {
    const keys = tilesToRead(userClickstream, Date.now()).map((t) => tileKey(userClickstream, userId, t.hopSeconds, t.startMs));
    await batchGetAll(doc, keys, { tableName, projection: 'sk, #a', names: { '#a': STATES_ATTRIBUTE } });
  };
  const inProcess = async (userId: string) => {
    const result = await handler({
      pathParameters: { entityType: 'user', entityId: userId },
      queryStringParameters: null,
    } as unknown as APIGatewayProxyEvent);
    if (result.statusCode !== 200) throw new Error(`handler answered ${result.statusCode}`);
  };
  const http = async (userId: string) => {
    const response = await fetch(`${info.api.url}/features/user/${userId}`, { headers: { 'x-api-key': info.api.key } });
    if (response.status !== 200) throw new Error(`GET /features answered ${response.status}`);
    await response.arrayBuffer();
  };
  const timed = async (fn: (u: string) => Promise<void>, userId: string) => {
    const t = performance.now();
    await fn(userId);
    return performance.now() - t;
  };

  for (let i = 0; i < 100; i++) {
    const u = userIds[i % users] as string;
    await direct(u);
    await inProcess(u);
    await http(u);
  }
  for (let i = 0; i < requests; i++) {
    const u = userIds[i % users] as string;
    samples.direct.push(await timed(direct, u));
    samples.handler.push(await timed(inProcess, u));
    samples.http.push(await timed(http, u));
  }
  const keysPerRead = tilesToRead(userClickstream, Date.now()).length;
  return {
    keysPerRead,
    direct: summarize(samples.direct),
    handler: summarize(samples.handler),
    http: summarize(samples.http),
    samples,
  };
}
