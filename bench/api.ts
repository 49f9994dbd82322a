/**
 * Online read latency on the local stack, each figure beside the raw batched DynamoDB read of the
 * same keys (same projection, same emulator, same run), requests interleaved so that machine noise
 * hits every way alike:
 * - benchApiLatency: GET /features of the example view, raw read / handler in-process / HTTP;
 * - benchOnlineRead: issue 8's cases, 1 entity × 50 features and 50 entities × 200 features, on
 *   bench-only views (benchReadCatalog), the second through POST /features/{entityType}.
 */

import type { APIGatewayProxyEvent } from 'aws-lambda';
import { createHandler } from '../lambdas/feature-api/handler.js';
import { dynamoDocumentClient } from '../src/aws/clients.js';
import { SendSession } from '../src/cli/kinesis/send-session.js';
import { clickstream, exampleCatalog, user, userClickstream } from '../src/features/catalog.js';
import { type Catalog, defineCatalog, defineFeatureView, type FeatureView, type WindowSpec } from '../src/features/define.js';
import type { LocalStack } from '../src/local/stack.js';
import { batchGetAll, MAX_KEYS_PER_CALL } from '../src/online-store/batch-get.js';
import { readKeys } from '../src/online-store/feature-reader.js';
import { HEAD_ATTRIBUTE } from '../src/online-store/head-item.js';
import { STATES_ATTRIBUTE } from '../src/online-store/tile-item.js';
import { workloads } from '../src/workloads/index.js';
import { summarize } from './stats.js';

/** Sends `events` clickstream events of `users` users, spread over the `spanMs` before now, through the stack; waits for the pipeline. */
async function sendClickstream(
  stack: LocalStack,
  catalog: Catalog,
  options: { events: number; users: number; spanMs: number; seed: number; drainMs: number },
) {
  const session = await SendSession.open(
    { streamName: stack.info.resources.streamName, env: stack.clientEnv, endpoint: stack.info.endpoints.kinesis },
    { catalog, concurrency: 4 },
  );
  const { events, users, spanMs, seed } = options;
  for (const event of workloads.clickstream?.generate({
    events,
    seed,
    entities: users,
    startMs: Date.now() - spanMs,
    ratePerSecond: events / (spanMs / 1000),
  }) ?? []) {
    await session.add(JSON.stringify(event), event, 'bench');
  }
  await session.finish();
  await stack.drain(options.drainMs);
}

export async function loadDemoData(stack: LocalStack, events: number, users: number) {
  await sendClickstream(stack, exampleCatalog, { events, users, spanMs: 6 * 3_600_000, seed: 1, drainMs: 600_000 });
}

/**
 * The baseline of every online-read figure: the keys the reader asks for these entities (feature-reader.ts: the
 * view's head and closed tiles), with its projection so both return the same bytes, in one raw batched read.
 */
/** The baseline of every online read: the reader's keys of `ids` in `view`, its projection, one batched read. */
export async function rawRead(
  doc: ReturnType<typeof dynamoDocumentClient>,
  tableName: string,
  ids: readonly string[],
  view: FeatureView,
): Promise<void> {
  const nowMs = Date.now();
  const keys = ids.flatMap((id) => readKeys(id, [view], [], nowMs));
  await batchGetAll(doc, keys, {
    tableName,
    projection: 'pk, sk, #a, #o',
    names: { '#a': STATES_ATTRIBUTE, '#o': HEAD_ATTRIBUTE },
  });
}

/**
 * Each way of reading `requests` times, interleaved request by request so machine noise hits every way alike,
 * after `warmup` untimed rounds: the milliseconds of each call, by way.
 */
async function interleaved<K extends string, A>(
  ways: Record<K, (arg: A) => Promise<unknown>>,
  argOf: (i: number) => A,
  warmup: number,
  requests: number,
): Promise<Record<K, number[]>> {
  const names = Object.keys(ways) as K[];
  for (let i = 0; i < warmup; i++) for (const name of names) await ways[name](argOf(i));
  const samples = Object.fromEntries(names.map((name) => [name, [] as number[]])) as Record<K, number[]>;
  for (let i = 0; i < requests; i++) {
    const arg = argOf(i);
    for (const name of names) {
      const t = performance.now();
      await ways[name](arg);
      samples[name].push(performance.now() - t);
    }
  }
  return samples;
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
  const direct = (userId: string) => rawRead(doc, tableName, [userId], userClickstream);
  const inProcess = async (userId: string) => {
    const result = await handler({
      pathParameters: { entityType: 'user', entityId: userId },
      queryStringParameters: { views: userClickstream.name },
    } as unknown as APIGatewayProxyEvent);
    if (result.statusCode !== 200) throw new Error(`handler answered ${result.statusCode}`);
  };
  const http = async (userId: string) => {
    const response = await fetch(`${info.api.url}/features/user/${userId}?views=${userClickstream.name}`, {
      headers: { 'x-api-key': info.api.key },
    });
    if (response.status !== 200) throw new Error(`GET /features answered ${response.status}`);
    await response.arrayBuffer();
  };
  const samples = await interleaved({ direct, handler: inProcess, http }, (i) => userIds[i % users] as string, 100, requests);
  const keysPerRead = readKeys(userIds[0] as string, [userClickstream], [], Date.now()).length;
  return {
    keysPerRead,
    direct: summarize(samples.direct),
    handler: summarize(samples.handler),
    http: summarize(samples.http),
    samples,
  };
}

/**
 * Bench-only views of the clickstream: 50 aggregations (ten kinds of state × five event filters) over
 * four windows is 200 features; the first 25 over two windows is 50. The 200-feature view reads 40
 * keys per entity (its head, 5 ten-minute, 11 half-hour and 23 hourly closed tiles), the 50-feature one 29.
 */
function benchViews() {
  const filters = [undefined, 'page_view', 'click', 'add_to_cart', 'purchase'] as const;
  const aggregations = filters.flatMap((type) => {
    const where = type ? { where: { field: 'event_type', equals: type } } : {};
    const tag = type ?? 'any';
    return [
      { name: `events_${tag}`, kind: 'count' as const, ...where },
      { name: `spend_${tag}`, kind: 'sum' as const, field: 'price', ...where },
      { name: `avg_price_${tag}`, kind: 'avg' as const, field: 'price', ...where },
      { name: `min_price_${tag}`, kind: 'min' as const, field: 'price', ...where },
      { name: `max_price_${tag}`, kind: 'max' as const, field: 'price', ...where },
      { name: `price_stddev_${tag}`, kind: 'stddev' as const, field: 'price', ...where },
      { name: `last_category_${tag}`, kind: 'last' as const, field: 'category', ...where },
      { name: `last_product_${tag}`, kind: 'last' as const, field: 'product_id', ...where },
      { name: `first_category_${tag}`, kind: 'first' as const, field: 'category', ...where },
      { name: `last_device_${tag}`, kind: 'last' as const, field: 'device', ...where },
    ].map((a) => ({ ...a, description: `bench: ${a.kind} ${a.name}` }));
  });
  const view = (name: string, description: string, windows: readonly WindowSpec[], of: typeof aggregations) =>
    defineFeatureView({ name, description, entity: user, source: clickstream, windows, ttl: '9d', aggregations: of });
  const wide = view(
    'bench_200_features',
    'Bench only: 50 aggregations × 4 windows.',
    [
      { name: '1h', length: '1h', hop: '10m' },
      { name: '6h', length: '6h', hop: '30m' },
      { name: '24h', length: '24h', hop: '1h' },
      { name: 'lifetime', length: 'lifetime' },
    ],
    aggregations,
  );
  const narrow = view(
    'bench_50_features',
    'Bench only: 25 aggregations × 2 windows.',
    [
      { name: '1h', length: '1h', hop: '10m' },
      { name: '24h', length: '24h', hop: '1h' },
    ],
    aggregations.slice(0, 25),
  );
  return { wide, narrow };
}

/** A catalog of the two bench views only (the local stack's `catalog` option). */
export function benchReadCatalog() {
  const { wide, narrow } = benchViews();
  return {
    catalog: defineCatalog({ sources: [clickstream], entities: [user], featureViews: [narrow, wide] }),
    narrow,
    wide,
  };
}

/** Clickstream events of `users` users over the last 23 hours (inside dev's 24 h lateness), through the stream. */
export async function loadBenchReadData(stack: LocalStack, catalog: Catalog, events: number, users: number) {
  await sendClickstream(stack, catalog, { events, users, spanMs: 23 * 3_600_000, seed: 8, drainMs: 900_000 });
}

export interface ReadCase {
  readonly name: string;
  readonly entities: number;
  readonly view: FeatureView;
  readonly requests: number;
}

/**
 * One case of issue 8's online read: `entities` users × the view's features per request, three ways,
 * interleaved request by request: the raw batched DynamoDB read of exactly the keys the reader asks
 * (batchGetAll: ≤ 100 keys a call, all at once, same projection, same emulator), the API handler
 * in-process, and the local HTTP API (GET /features/user/{id} for one entity, POST /features/user for
 * several). The ratio that counts is HTTP p99 / raw p99.
 */
export async function benchOnlineRead(stack: LocalStack, catalog: Catalog, userIds: readonly string[], c: ReadCase) {
  const { info } = stack;
  const tableName = info.resources.tableName;
  const doc = dynamoDocumentClient(stack.clientEnv);
  const handler = createHandler({ ...stack.clientEnv, TABLE_NAME: tableName, POWERTOOLS_LOG_LEVEL: 'ERROR' }, { catalog });
  const idsOf = (i: number) =>
    Array.from({ length: c.entities }, (_, k) => userIds[(i * c.entities + k) % userIds.length] as string);
  const many = c.entities > 1;
  const body = (ids: readonly string[]) => JSON.stringify({ ids, views: [c.view.name] });

  const raw = (ids: readonly string[]) => rawRead(doc, tableName, ids, c.view);
  const inProcess = async (ids: readonly string[]) => {
    const result = await handler(
      (many
        ? { httpMethod: 'POST', pathParameters: { entityType: 'user' }, queryStringParameters: null, body: body(ids) }
        : {
            httpMethod: 'GET',
            pathParameters: { entityType: 'user', entityId: ids[0] },
            queryStringParameters: { views: c.view.name },
          }) as unknown as APIGatewayProxyEvent,
    );
    if (result.statusCode !== 200) throw new Error(`handler answered ${result.statusCode}: ${result.body.slice(0, 200)}`);
  };
  const http = async (ids: readonly string[]) => {
    const headers = { 'x-api-key': info.api.key, 'content-type': 'application/json' };
    const response = many
      ? await fetch(`${info.api.url}/features/user`, { method: 'POST', headers, body: body(ids) })
      : await fetch(`${info.api.url}/features/user/${encodeURIComponent(ids[0] as string)}?views=${c.view.name}`, {
          headers,
        });
    if (response.status !== 200) throw new Error(`the API answered ${response.status}`);
    await response.arrayBuffer();
  };
  // What one answer holds: features per entity, and how many of the keys asked exist.
  const sample = await handler({
    httpMethod: 'POST',
    pathParameters: { entityType: 'user' },
    queryStringParameters: null,
    body: body(idsOf(0)),
  } as unknown as APIGatewayProxyEvent);
  const first = (JSON.parse(sample.body) as { entities: { views: Record<string, { features: object }> }[] }).entities[0];
  const featuresPerEntity = Object.keys(first?.views[c.view.name]?.features ?? {}).length;
  const keys = idsOf(0).flatMap((id) => readKeys(id, [c.view], [], Date.now()));
  const found = await batchGetAll(doc, keys, { tableName, projection: 'pk' });

  const samples = await interleaved({ raw, handler: inProcess, http }, idsOf, Math.min(50, c.requests), c.requests);
  const raw99 = summarize(samples.raw);
  const http99 = summarize(samples.http);
  return {
    name: c.name,
    entities: c.entities,
    view: c.view.name,
    featuresPerEntity,
    responseBytes: Buffer.byteLength(sample.body),
    keysPerRequest: keys.length,
    itemsFoundPerRequest: found.length,
    batchGetItemCallsPerRequest: Math.ceil(keys.length / MAX_KEYS_PER_CALL),
    raw: raw99,
    handler: summarize(samples.handler),
    http: http99,
    ratioP99: http99.p99 / raw99.p99,
    ratioP50: http99.p50 / raw99.p50,
    samples,
  };
}
