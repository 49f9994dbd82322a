/**
 * Where the embedded stack's end-to-end time goes. One run measures, side by
 * side on the same emulators:
 *  - the emulated DynamoDB's raw write rate: conditional UpdateItems of
 *    tile-sized items, no featurelake code in the loop (the ceiling);
 *  - the demo workload (`npm start`: 20,000 events of 200 users over the last
 *    3 hours) from the first put until the aggregator has drained, with the
 *    tile writes it made (each write bumps an item's version, so the versions
 *    summed over the table count them) and their rate against the ceiling;
 *  - event → online freshness on an idle stack: one event put, the API polled
 *    until its count shows it.
 * Each aggregator setting given (undefined: the environment's) runs on a fresh stack.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { paginateScan, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { dynamoDocumentClient, kinesisClient } from '../src/aws/clients.js';
import { SendSession } from '../src/cli/kinesis/send-session.js';
import { forEachConcurrent, sleep } from '../src/domain/concurrency.js';
import { exampleCatalog, userClickstream } from '../src/features/catalog.js';
import { servedFeatures } from '../src/local/run-local.js';
import { type LocalStack, startLocalStack } from '../src/local/stack.js';
import type { EventSourceMappingModel } from '../src/local/template-model.js';
import { KEY, VERSION_ATTRIBUTE } from '../src/online-store/tile-item.js';
import { workloads } from '../src/workloads/index.js';
import { summarize } from './stats.js';

export interface EndToEndOptions {
  readonly events: number;
  readonly users: number;
  /** Aggregator mapping settings to compare; undefined keeps the environment's. */
  readonly variants: readonly (Partial<EventSourceMappingModel> | undefined)[];
  readonly rawWrites: number;
  readonly probes: number;
}

export interface EndToEndRun {
  readonly batchSize: number;
  readonly batchingWindowSeconds: number;
  readonly rawWritesPerSecond: number;
  readonly sendSeconds: number;
  readonly drainedAfterLastPutSeconds: number;
  readonly eventsPerSecond: number;
  readonly invocations: number;
  readonly tileWrites: number;
  readonly tileWritesPerEvent: number;
  /** Seconds from the first put until drained in which at least one aggregator invocation was running. */
  readonly aggregatorBusySeconds: number;
  readonly processingSeconds: number;
  /** Tile writes per second of aggregator busy time. */
  readonly tileWritesPerSecond: number;
  /** That rate ÷ the raw write rate: near 1 means the emulator bounds the aggregator while it works. */
  readonly writeRateVsRaw: number;
  readonly freshnessMs: ReturnType<typeof summarize>;
}

const DEMO_SPAN_MS = 3 * 3_600_000;

/** Conditional UpdateItems of tile-shaped items straight at the emulator, as the tile writer makes them. */
export async function rawWriteRate(stack: LocalStack, writes: number): Promise<number> {
  const doc = dynamoDocumentClient(stack.clientEnv);
  const states = JSON.stringify(Array.from({ length: 12 }, (_, i) => ({ n: i, s: i * 1.5, t: Date.now() })));
  const started = performance.now();
  await forEachConcurrent(
    Array.from({ length: writes }, (_, i) => i),
    16,
    async (i) => {
      await doc.send(
        new UpdateCommand({
          TableName: stack.info.resources.tableName,
          Key: { [KEY.partition]: `bench-raw#${i % 200}`, [KEY.sort]: `tile#${i}` },
          UpdateExpression: 'SET #a = :a, #v = :v',
          ConditionExpression: `attribute_not_exists(${KEY.partition})`,
          ExpressionAttributeNames: { '#a': 'a', '#v': 'bench' },
          ExpressionAttributeValues: { ':a': states, ':v': 1 },
        }),
      );
    },
  );
  return writes / ((performance.now() - started) / 1000);
}

/** Tile writes so far: every UpdateItem of the tile writer adds one to its item's version. */
async function tileWrites(stack: LocalStack): Promise<number> {
  const doc = dynamoDocumentClient(stack.clientEnv);
  let sum = 0;
  for await (const page of paginateScan(
    { client: doc },
    {
      TableName: stack.info.resources.tableName,
      ProjectionExpression: '#v',
      ExpressionAttributeNames: { '#v': VERSION_ATTRIBUTE },
    },
  )) {
    for (const item of page.Items ?? []) sum += Number(item[VERSION_ATTRIBUTE] ?? 0);
  }
  return sum;
}

async function eventsCounted(stack: LocalStack, userId: string): Promise<number> {
  return Number((await servedFeatures(stack, userClickstream, userId)).events_1h ?? 0);
}

/** Put one event of a new user, then poll the API until it counts it. */
async function freshness(stack: LocalStack, probes: number): Promise<number[]> {
  const kinesis = kinesisClient(stack.clientEnv);
  const samples: number[] = [];
  for (let i = 0; i < probes; i++) {
    const userId = `probe_${Date.now()}_${i}`;
    const event = { source: 'clickstream', event_id: userId, user_id: userId, event_type: 'click', event_time: Date.now() };
    const put = performance.now();
    await kinesis.send(
      new PutRecordsCommand({
        StreamName: stack.info.resources.streamName,
        Records: [{ Data: Buffer.from(JSON.stringify(event)), PartitionKey: userId }],
      }),
    );
    while ((await eventsCounted(stack, userId)) < 1) {
      if (performance.now() - put > 60_000) throw new Error(`probe ${userId} not served within 60 s`);
      await sleep(20);
    }
    samples.push(performance.now() - put);
    // Start the next probe at a different point of the mapping's poll cycle.
    await sleep(137 * (i % 7));
  }
  return samples;
}

async function runOnce(options: EndToEndOptions, variant: Partial<EventSourceMappingModel> | undefined): Promise<EndToEndRun> {
  const dir = mkdtempSync(path.join(tmpdir(), 'featurelake-bench-e2e-'));
  // Time in which an aggregator invocation runs (the union over shards): the rest is waiting (windows, polls).
  let running = 0;
  let busySince = 0;
  let busyMs = 0;
  const stack = await startLocalStack({
    stateDir: dir,
    withoutUsagePlan: true,
    mappingOverrides: (handler) => (handler === 'aggregator' ? (variant ?? {}) : {}),
    wrapKinesisHandler: (handler, name) => async (event) => {
      if (name !== 'aggregator') return handler(event);
      if (running++ === 0) busySince = performance.now();
      try {
        return await handler(event);
      } finally {
        if (--running === 0) busyMs += performance.now() - busySince;
      }
    },
  });
  try {
    const aggregators = stack.mappingsOf('aggregator');
    const settings = aggregators[0]?.settings;
    const raw = await rawWriteRate(stack, options.rawWrites);
    const session = await SendSession.open(
      { streamName: stack.info.resources.streamName, env: stack.clientEnv, endpoint: stack.info.endpoints.kinesis },
      { catalog: exampleCatalog, concurrency: 4 },
    );
    const nowMs = Date.now();
    const firstPut = performance.now();
    for (const event of workloads.clickstream?.generate({
      events: options.events,
      seed: 42,
      startMs: nowMs - DEMO_SPAN_MS,
      ratePerSecond: options.events / (DEMO_SPAN_MS / 1000),
      entities: options.users,
    }) ?? []) {
      await session.add(JSON.stringify(event), event, 'bench');
    }
    await session.finish();
    const lastPut = performance.now();
    await Promise.all(aggregators.map((m) => m.drain(600_000)));
    const drained = performance.now();
    const writes = await tileWrites(stack);
    const processingSeconds = (drained - firstPut) / 1000;
    const samples = await freshness(stack, options.probes);
    return {
      batchSize: settings?.batchSize ?? 0,
      batchingWindowSeconds: settings?.maxBatchingWindowSeconds ?? 0,
      rawWritesPerSecond: raw,
      sendSeconds: (lastPut - firstPut) / 1000,
      drainedAfterLastPutSeconds: (drained - lastPut) / 1000,
      eventsPerSecond: options.events / processingSeconds,
      invocations: aggregators.reduce((n, m) => n + m.stats.invocations, 0),
      tileWrites: writes,
      tileWritesPerEvent: writes / options.events,
      aggregatorBusySeconds: busyMs / 1000,
      processingSeconds,
      tileWritesPerSecond: writes / (busyMs / 1000),
      writeRateVsRaw: writes / (busyMs / 1000) / raw,
      freshnessMs: summarize(samples),
    };
  } finally {
    await stack.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function benchEndToEnd(options: EndToEndOptions): Promise<EndToEndRun[]> {
  const runs: EndToEndRun[] = [];
  for (const variant of options.variants) runs.push(await runOnce(options, variant));
  return runs;
}
