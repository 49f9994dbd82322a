/**
 * Aggregator benchmarks:
 *  - hot path: decode + validate + pre-aggregate of a 100,000-record batch on
 *    one core, excluding I/O (target ≥ 300,000 events/s);
 *  - DynamoDB writes per 1,000 clickstream events (target ≤ 50), counted as
 *    real UpdateItem calls against dynalite, for several user counts and
 *    batch sizes: writes = distinct (user, hop tile) pairs per batch.
 */
import { CreateTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { createAggregator } from '../src/aggregator/aggregate-batch.js';
import { dynamoDocumentClient, s3Client } from '../src/aws/clients.js';
import { createRecordDecoder, type StreamRecord } from '../src/domain/records.js';
import { compileView, TileBuilder } from '../src/domain/tiles.js';
import { clickstream as clickstreamSource, sources, userClickstream } from '../src/features/catalog.js';
import type { Emulators } from '../src/local/emulators.js';
import { workloads } from '../src/workloads/index.js';
import { median } from './stats.js';

const POLICY = { maxLatenessMs: 86_400_000, maxClockSkewMs: 300_000 };

/** Clickstream records as Kinesis delivers them: `events` at `rate` per second ending now. */
export function clickstreamRecords(events: number, users: number, ratePerSecond: number, seed = 7): StreamRecord[] {
  const now = Date.now();
  const generated = workloads.clickstream?.generate({
    events,
    seed,
    entities: users,
    ratePerSecond,
    startMs: now - (events / ratePerSecond) * 1000,
  });
  let sequence = 49_000_000_000_000_000_000_000_000_000_000_000_000_000_000n;
  return [...(generated ?? [])].map((event) => {
    sequence += 3n;
    return {
      data: Buffer.from(JSON.stringify(event)).toString('base64'),
      sequenceNumber: String(sequence),
      partitionKey: (event as unknown as { user_id: string }).user_id,
      shardId: 'shardId-000000000000',
      arrivalTimeMs: now,
    };
  });
}

/**
 * The hot path beside its baseline, interleaved round by round so machine noise
 * hits both alike: the naive loop is what any consumer must do at least (base64
 * decode, JSON.parse, one count and one sum per user in a Map), ours adds
 * validation, event-time checks and every aggregation of every window's tile.
 */
export function benchHotPath(rounds = 7) {
  const records = clickstreamRecords(100_000, 100, 1_000);
  const decode = createRecordDecoder([clickstreamSource], POLICY);
  const views = [compileView(userClickstream)];
  const rates: number[] = [];
  const naiveRates: number[] = [];
  let tiles = 0;
  let naiveUsers = 0;
  for (let round = 0; round < rounds + 2; round++) {
    let started = performance.now();
    const perUser = new Map<string, { n: number; s: number }>();
    for (const record of records) {
      const event = JSON.parse(Buffer.from(record.data, 'base64').toString('utf8')) as { user_id: string; price?: number };
      const totals = perUser.get(event.user_id);
      if (totals) {
        totals.n += 1;
        totals.s += event.price ?? 0;
      } else perUser.set(event.user_id, { n: 1, s: event.price ?? 0 });
    }
    if (round >= 2) naiveRates.push(records.length / ((performance.now() - started) / 1000));
    naiveUsers = perUser.size;

    started = performance.now();
    const builder = new TileBuilder(views);
    for (const record of records) {
      const decoded = decode(record);
      if (decoded.ok) builder.add(decoded.event);
    }
    const seconds = (performance.now() - started) / 1000;
    if (round >= 2) rates.push(records.length / seconds); // the first rounds warm the JIT up
    tiles = builder.tiles.size;
  }
  const eventsPerSecond = Math.round(median(rates));
  const naiveEventsPerSecond = Math.round(median(naiveRates));
  return {
    events: records.length,
    eventsPerSecond,
    naiveEventsPerSecond,
    ratioToNaive: eventsPerSecond / naiveEventsPerSecond,
    aggregations: userClickstream.aggregations.length,
    windows: userClickstream.windows.length,
    tiles,
    naiveUsers,
    rounds,
  };
}

/** Writes per 1,000 events from real UpdateItem calls on dynalite. */
export async function benchWritesPer1000(emulators: Emulators) {
  const doc = dynamoDocumentClient(emulators.env);
  let updates = 0;
  doc.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === 'UpdateItemCommand') updates++;
      return next(args);
    },
    { step: 'initialize', name: 'count-updates' },
  );
  const s3 = s3Client(emulators.env);
  const results: { users: number; batchSize: number; events: number; writes: number; writesPer1000: number }[] = [];
  let table = 0;
  for (const batchSize of [1_000, 10_000]) {
    for (const users of [100, 1_000, 10_000]) {
      const tableName = `bench-writes-${++table}`;
      await (doc as unknown as DynamoDBClient).send(
        new CreateTableCommand({
          TableName: tableName,
          BillingMode: 'PAY_PER_REQUEST',
          KeySchema: [
            { AttributeName: 'pk', KeyType: 'HASH' },
            { AttributeName: 'sk', KeyType: 'RANGE' },
          ],
          AttributeDefinitions: [
            { AttributeName: 'pk', AttributeType: 'S' },
            { AttributeName: 'sk', AttributeType: 'S' },
          ],
        }),
      );
      await s3.send(new CreateBucketCommand({ Bucket: tableName }));
      const aggregate = createAggregator({
        doc,
        s3,
        tableName,
        quarantineBucket: tableName,
        policy: POLICY,
        sources,
        views: [userClickstream],
      });
      // A shard takes up to 1,000 records/s: a full batch spans batchSize / 1,000 seconds of events.
      const records = clickstreamRecords(20_000, users, 1_000, users);
      updates = 0;
      for (let i = 0; i < records.length; i += batchSize) await aggregate(records.slice(i, i + batchSize));
      results.push({
        users,
        batchSize,
        events: records.length,
        writes: updates,
        writesPer1000: (updates / records.length) * 1000,
      });
    }
  }
  return results;
}
