/**
 * Aggregator benchmarks:
 *  - hot path: decode + validate + pre-aggregate of a 100,000-record batch on
 *    one core, excluding I/O (target ≥ 300,000 events/s);
 *  - the data-quality expectations' cost on that path: the same records with
 *    the catalog's expectations off and on (hard checks in the decoder, a
 *    batch's counts per 1,000 records), interleaved in one run;
 *  - DynamoDB writes and capacity units per 1,000 clickstream events (target
 *    ≤ 50 writes), counted as real calls against dynalite, for several user
 *    counts and batch sizes: writes = distinct (user, hop tile) pairs per batch.
 */

import { CreateTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { createAggregator } from '../src/aggregator/aggregate-batch.js';
import { dynamoDocumentClient, s3Client } from '../src/aws/clients.js';
import { createRecordDecoder, type StreamRecord } from '../src/domain/records.js';
import { compileView, TileBuilder } from '../src/domain/tiles.js';
import { clickstream as clickstreamSource, sources, userClickstream } from '../src/features/catalog.js';
import type { Emulators } from '../src/local/emulators.js';
import { onlineTableInput } from '../src/online-store/tile-item.js';
import { createQualityCheck } from '../src/quality/batch-quality.js';
import { workloads } from '../src/workloads/index.js';
import { Random } from '../src/workloads/random.js';
import { CapacityMeter } from './capacity.js';
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

/**
 * The expectations' cost: decode + validate + pre-aggregate with the clickstream's expectations off
 * (the source without them) and on (hard checks in the decoder, every kept event added to a batch's
 * counts, a report per batch of 1,000 records as a consumer makes), interleaved round by round.
 */
export function benchExpectations(rounds = 7) {
  const records = clickstreamRecords(100_000, 100, 1_000);
  const views = [compileView(userClickstream)];
  const withoutExpectations = { ...clickstreamSource, expectations: [] };
  const decodeOff = createRecordDecoder([withoutExpectations], POLICY);
  const decodeOn = createRecordDecoder([clickstreamSource], POLICY);
  const quality = createQualityCheck([clickstreamSource], [userClickstream]);
  const BATCH = 1_000;
  const off: number[] = [];
  const on: number[] = [];
  let reports = 0;
  for (let round = 0; round < rounds + 2; round++) {
    let started = performance.now();
    let builder = new TileBuilder(views);
    for (const record of records) {
      const decoded = decodeOff(record);
      if (decoded.ok) builder.add(decoded.event);
    }
    if (round >= 2) off.push(records.length / ((performance.now() - started) / 1000));

    started = performance.now();
    builder = new TileBuilder(views);
    for (let i = 0; i < records.length; i += BATCH) {
      const checks = quality.start();
      for (let j = i; j < Math.min(i + BATCH, records.length); j++) {
        const decoded = decodeOn(records[j] as StreamRecord);
        if (decoded.ok) {
          builder.add(decoded.event);
          checks.add(decoded.event);
        } else checks.reject(decoded.rejected);
      }
      reports += checks.report().length;
    }
    if (round >= 2) on.push(records.length / ((performance.now() - started) / 1000));
  }
  const offPerSecond = Math.round(median(off));
  const onPerSecond = Math.round(median(on));
  return {
    events: records.length,
    batchSize: BATCH,
    expectations: clickstreamSource.expectations?.length ?? 0,
    offEventsPerSecond: offPerSecond,
    onEventsPerSecond: onPerSecond,
    /** on / off: 1 is free. */
    ratio: onPerSecond / offPerSecond,
    reports,
    rounds,
  };
}

/** One measured setting: events of `entities` users at 1,000 events/s, cut into batches of `batchSize`. */
export interface UnitsCase {
  readonly entities: number;
  readonly batchSize: number;
  readonly events: number;
  /** The aggregator's write path: `tiles` is the layout before the head, the baseline. @default 'heads' */
  readonly writePath?: 'heads' | 'tiles';
  /**
   * Who each event belongs to: the generator's sessions (a few hundred users active at a time, each with several
   * events a second: time runs faster than a shopper clicks), or every event's user drawn uniformly from all of
   * them (what real traffic looks like within a 2 s batch, and what bench/cost-model.ts assumes). @default 'sessions'
   */
  readonly users?: 'sessions' | 'uniform';
}

/** The same events, each given a user drawn uniformly from `entities` (its user_id and partition key rewritten). */
function withUniformUsers(records: readonly StreamRecord[], entities: number, seed: number): StreamRecord[] {
  const random = new Random(seed);
  return records.map((record) => {
    const userId = `user_${String(random.int(entities)).padStart(6, '0')}`;
    const event = { ...JSON.parse(Buffer.from(record.data, 'base64').toString('utf8')), user_id: userId };
    return { ...record, data: Buffer.from(JSON.stringify(event)).toString('base64'), partitionKey: userId };
  });
}

/**
 * DynamoDB calls and capacity units of the real aggregator (createAggregator: decode, pre-aggregate,
 * BatchGetItem of the tiles touched, one conditional UpdateItem per tile) on dynalite, per setting,
 * metered by bench/capacity.ts. Beside it, the naive count from the same events: one write per event
 * and tile it falls in (what a consumer without pre-aggregation writes), each charged the measured
 * mean write units per write (it rewrites the same tile items).
 */
export async function measureWriteUnits(
  emulators: Emulators,
  cases: readonly UnitsCase[],
  progress: (line: string) => void = () => {},
  /** Pass one to read the same tables later with their item sizes known (bench/units.ts). */
  meter = new CapacityMeter(),
) {
  const doc = dynamoDocumentClient(emulators.env);
  meter.attach(doc);
  const s3 = s3Client(emulators.env);
  const views = [userClickstream];
  // Every event falls in one tile per distinct hop width of the view (10 min, 1 h, 1 day, lifetime).
  const tilesPerEvent = new Set(userClickstream.windows.map((w) => w.hopSeconds)).size;
  const results = [];
  for (const c of cases) {
    const tableName = `bench-units-${++tableCounter}`;
    await (doc as unknown as DynamoDBClient).send(new CreateTableCommand(onlineTableInput(tableName)));
    await s3.send(new CreateBucketCommand({ Bucket: tableName }));
    const aggregate = createAggregator({
      doc,
      s3,
      tableName,
      quarantineBucket: tableName,
      policy: POLICY,
      sources,
      views,
      writePath: c.writePath ?? 'heads',
    });
    // A shard takes up to 1,000 records/s: a full batch spans batchSize / 1,000 seconds of events.
    const generated = clickstreamRecords(c.events, c.entities, 1_000, c.entities);
    const records = c.users === 'uniform' ? withUniformUsers(generated, c.entities, c.entities) : generated;
    meter.reset();
    let distinctSum = 0;
    let batches = 0;
    const started = performance.now();
    for (let i = 0; i < records.length; i += c.batchSize) {
      const batch = records.slice(i, i + c.batchSize);
      distinctSum += new Set(batch.map((r) => r.partitionKey)).size;
      batches++;
      await aggregate(batch);
    }
    const seconds = (performance.now() - started) / 1000;
    const t = meter.reset();
    const per1000 = (n: number) => (n / records.length) * 1000;
    const unitsPerWrite = t.writes > 0 ? t.writeUnits / t.writes : 1;
    const naiveWrites = records.length * tilesPerEvent;
    // Users to read back (bench/units.ts): the 10 busiest and 30 others spread over the rest.
    const perEntity = new Map<string, number>();
    for (const r of records) perEntity.set(r.partitionKey, (perEntity.get(r.partitionKey) ?? 0) + 1);
    const byActivity = [...perEntity.entries()].sort((a, b) => b[1] - a[1]).map(([id]) => id);
    const rest = byActivity.slice(10);
    const readSample = [
      ...byActivity.slice(0, 10),
      ...Array.from({ length: Math.min(30, rest.length) }, (_, i) => rest[Math.floor((i * rest.length) / 30)] as string),
    ];
    const result = {
      writePath: c.writePath ?? 'heads',
      /** Head writes (UpdateItem) and closed tiles put (PutItem): the two kinds of write of the head path. */
      updates: t.calls.UpdateItem ?? 0,
      puts: t.calls.PutItem ?? 0,
      entities: c.entities,
      userDistribution: c.users ?? 'sessions',
      /** The same as `entities` (the writes section's name for it). */
      users: c.entities,
      batchSize: c.batchSize,
      events: records.length,
      batches,
      distinctEntitiesPerBatch: distinctSum / batches,
      /** Tile writes per (entity, batch): the tiles an entity's events of one batch fall in. */
      tilesPerEntityBatch: t.writes / distinctSum,
      calls: t.calls,
      writes: t.writes,
      writesPer1000: per1000(t.writes),
      writeUnits: t.writeUnits,
      writeUnitsPer1000: per1000(t.writeUnits),
      writeUnitsPerWrite: unitsPerWrite,
      emulatorWriteUnits: t.emulatorWriteUnits,
      /** The aggregator's own reads: one strongly consistent read of every tile it is about to write. */
      itemReads: t.itemReads,
      readUnits: t.readUnits,
      readUnitsPer1000: per1000(t.readUnits),
      emulatorReadUnits: t.emulatorReadUnits,
      meanItemBytes: t.writes > 0 ? t.writtenBytes / t.writes : 0,
      maxItemBytes: t.maxItemBytes,
      naive: {
        tilesPerEvent,
        writes: naiveWrites,
        writesPer1000: per1000(naiveWrites),
        writeUnitsPer1000: per1000(naiveWrites * unitsPerWrite),
      },
      /** Mean bytes of an event as put on the stream (JSON). */
      eventBytes: records.reduce((n, r) => n + Buffer.byteLength(r.data, 'base64'), 0) / records.length,
      seconds,
      tableName,
      readSample,
    };
    progress(
      `  ${c.writePath ?? 'heads'}: ${c.entities} entities (${c.users ?? 'sessions'}), batches of ${c.batchSize}: ${t.writes} writes, ${t.writeUnits} WCU, ${t.readUnits} RCU in ${seconds.toFixed(1)} s`,
    );
    results.push(result);
  }
  return results;
}

let tableCounter = 0;

/** Writes per 1,000 events from real UpdateItem calls on dynalite (the `writes` section: measureWriteUnits' original grid). */
export async function benchWritesPer1000(emulators: Emulators) {
  const cases = [1_000, 10_000].flatMap((batchSize) =>
    [100, 1_000, 10_000].map((entities) => ({ entities, batchSize, events: 20_000 })),
  );
  return measureWriteUnits(emulators, cases);
}
