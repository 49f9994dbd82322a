/**
 * The cost model's arithmetic (bench/cost-model.ts) against a computation by
 * hand: 1,000 events/s over 1,000 users with prod's settings, every line
 * written out from the prices and assumptions, step by step.
 */
import { describe, expect, it } from 'vitest';
import {
  alwaysOnCost,
  batchEvents,
  closedTilesPerSecond,
  distinctEntities,
  perMillionEvents,
  serverlessCost,
  servingPerMillionRequests,
  shardsFor,
  tilesPerEntity,
  withHeadWritePath,
  withOneWritePerEntityBatch,
} from '../../bench/cost-model.js';

const measured = {
  tilesPerEntityBatch: 4,
  writeUnitsPerWrite: 1,
  readUnitsPerTileRead: 1,
  itemBytes: 900,
  eventBytes: 250,
  hopSeconds: [600, 3_600, 86_400, 0],
  ttlSeconds: 9 * 86_400,
};
const prod = {
  aggregatorBatchSize: 10_000,
  aggregatorWindowSeconds: 2,
  aggregatorMemoryMb: 1_024,
  lakeBatchSize: 10_000,
  lakeWindowSeconds: 60,
  lakeMemoryMb: 1_024,
};
const scenario = { eventsPerSecond: 1_000, entities: 1_000 };
const MONTH = 730 * 3_600; // 2,628,000 s
const GIB = 1024 ** 3;

describe('cost model, by hand: 1,000 events/s, 1,000 users, prod settings', () => {
  // 1,000 events/s at 800 a shard → 2 shards of 500 events/s and 500 users each;
  // a 2 s window gathers 1,000 events; 1,000 draws from 500 users meet 500·(1 − 0.998¹⁰⁰⁰) of them.
  const D = 500 * (1 - 0.998 ** 1_000); // ≈ 432.47
  const writesPerSecond = 4 * D; // 1 batch/s, 4 tiles per user and batch ≈ 1,729.9

  const cost = serverlessCost(scenario, measured, prod);

  it('sizes the stream and the batches', () => {
    expect(shardsFor(1_000)).toBe(2);
    expect(batchEvents(500, 10_000, 2)).toBe(1_000);
    expect(cost.shards).toBe(2);
    expect(cost.batch).toBe(1_000);
    expect(cost.distinctPerBatch).toBeCloseTo(D, 6);
    expect(cost.writesPerEvent).toBeCloseTo(writesPerSecond / 1_000, 9);
  });

  it('prices DynamoDB on demand, provisioned and its storage', () => {
    // Every write 1 WRU, every write preceded by a 1 RRU consistent read.
    expect(cost.dynamodbOnDemand).toBeCloseTo((writesPerSecond * MONTH * (0.625 + 0.125)) / 1e6, 6); // ≈ $3,409.6
    expect(cost.dynamodbProvisioned).toBeCloseTo(((writesPerSecond * (0.00065 + 0.00013)) / 0.7) * 730, 6); // ≈ $1,407.2
    // One event per user per second: every 10 min, 1 h and 1 day tile of the 9-day retention is kept, plus the lifetime one.
    const tiles = 778_200 / 600 + (781_200 / 3_600) * (1 - Math.exp(-3_600)) + (864_000 / 86_400) * (1 - Math.exp(-86_400)) + 1;
    expect(tilesPerEntity(1, measured.hopSeconds, measured.ttlSeconds)).toBeCloseTo(tiles, 6); // 1,297 + 217 + 10 + 1
    expect(cost.dynamodbStorage).toBeCloseTo(((1_000 * 1_525 * 1_000) / GIB) * 0.25, 3); // ≈ $0.355
  });

  it('prices Kinesis provisioned and on demand', () => {
    // 2 shards all month + 1 PUT payload unit per 250-byte event.
    expect(cost.kinesisProvisioned).toBeCloseTo(2 * 0.015 * 730 + (1_000 * MONTH * 0.014) / 1e6, 6); // $21.90 + $36.79
    // Stream-hours + each record billed as 1 KB in, and read by 2 consumers.
    const gb = (1_000 * MONTH * 1_024) / GIB; // ≈ 2,506.3 GB
    expect(cost.kinesisOnDemand).toBeCloseTo(0.04 * 730 + gb * 0.08 + gb * 2 * 0.04, 6); // ≈ $430.2
  });

  it('prices Lambda and S3', () => {
    const vcpu = 1_024 / 1_769;
    // Aggregator: 1 invocation/s: CPU for 1,000 events, 1 read round + ⌈1,729.9 / 32⌉ = 55 write rounds of 6 ms, 10 ms overhead.
    const aggregatorSeconds = 1_000 / (100_000 * vcpu) + 0.006 * (1 + 55) + 0.01;
    // Lake writer: 10,000-event batches (500/s × 60 s caps at 10,000): 0.1 invocations/s, CPU + a 50 ms PUT + 10 ms.
    const lakeSeconds = 10_000 / (100_000 * vcpu) + 0.05 + 0.01;
    const gbSecondsPerSecond = aggregatorSeconds * 1 + 0.1 * lakeSeconds * 1;
    expect(cost.lambda).toBeCloseTo(gbSecondsPerSecond * MONTH * 0.0000166667 + (1.1 * MONTH * 0.2) / 1e6, 6); // ≈ $17.5
    // One PUT per lake batch; a month of 60-byte Parquet events stored a month.
    expect(cost.s3).toBeCloseTo((0.1 * MONTH * 0.005) / 1_000 + ((1_000 * MONTH * 60) / GIB) * 0.023, 6); // $1.31 + $3.38
  });

  it('adds the lines up', () => {
    // The same lines written out by hand as above, summed: DynamoDB, its storage, Kinesis, Lambda, S3.
    const storage = ((1_000 * 1_525 * 1_000) / GIB) * 0.25;
    const gb = (1_000 * MONTH * 1_024) / GIB;
    const vcpu = 1_024 / 1_769;
    const lambdaSeconds = 1_000 / (100_000 * vcpu) + 0.006 * 56 + 0.01 + 0.1 * (10_000 / (100_000 * vcpu) + 0.06);
    const lambda = lambdaSeconds * MONTH * 0.0000166667 + (1.1 * MONTH * 0.2) / 1e6;
    const s3 = (0.1 * MONTH * 0.005) / 1_000 + ((1_000 * MONTH * 60) / GIB) * 0.023;
    const onDemand =
      (writesPerSecond * MONTH * (0.625 + 0.125)) / 1e6 + storage + (0.04 * 730 + gb * 0.08 + gb * 2 * 0.04) + lambda + s3;
    const provisioned =
      ((writesPerSecond * (0.00065 + 0.00013)) / 0.7) * 730 +
      storage +
      (2 * 0.015 * 730 + (1_000 * MONTH * 0.014) / 1e6) +
      lambda +
      s3;
    expect(cost.totalOnDemand).toBeCloseTo(onDemand, 3); // ≈ $3,862
    expect(cost.totalProvisioned).toBeCloseTo(provisioned, 3); // ≈ $1,488
    expect(cost.totalOnDemand).toBeCloseTo(
      cost.dynamodbOnDemand + cost.dynamodbStorage + cost.kinesisOnDemand + cost.lambda + cost.s3,
      9,
    );
    expect(cost.totalProvisioned).toBeCloseTo(
      cost.dynamodbProvisioned + cost.dynamodbStorage + cost.kinesisProvisioned + cost.lambda + cost.s3,
      9,
    );
    expect(perMillionEvents(2_628, 1_000)).toBeCloseTo(1, 9); // $2,628 a month at 1,000/s is $1 per million events
  });

  it('prices the always-on deployment (MSK + Flink + ElastiCache + S3)', () => {
    const a = alwaysOnCost(scenario, 250);
    // 250 B × 1,000/s × 3 replicas = 0.75 MB/s: the minimum of 3 brokers, 100 GB each (24 h retained is only 60 GB).
    expect(a.brokers).toBe(3);
    expect(a.msk).toBeCloseTo(3 * 0.21 * 730 + 300 * 0.1, 6); // $489.90
    // 1,000/s fits one KPU, plus the orchestration KPU; 50 GB of running storage each.
    expect(a.kpus).toBe(2);
    expect(a.flink).toBeCloseTo(2 * 0.11 * 730 + 2 * 50 * 0.1, 6); // $170.60
    // 1,000 users × 2 KB fit one cache.r7g.large; with its replica, 2 nodes.
    expect(a.redisNodes).toBe(2);
    expect(a.redis).toBeCloseTo(2 * 0.219 * 730, 6); // $319.74
    expect(a.s3).toBeCloseTo(((1_000 * MONTH * 60) / GIB) * 0.023 + (MONTH / 60) * 0.000005, 6);
    expect(a.total).toBeCloseTo(489.9 + 170.6 + 319.74 + a.s3, 6); // ≈ $983.8
  });
});

describe('cost model pieces', () => {
  it('counts distinct users in a batch as uniform draws would meet them', () => {
    // Two draws from two users: the same one half the time → 1.5 on average.
    expect(distinctEntities(2, 2)).toBeCloseTo(1.5, 12);
    expect(distinctEntities(3, 1)).toBe(1);
    expect(distinctEntities(1, 1_000_000)).toBeCloseTo(1, 9);
  });

  it('prices the cost-aware write path as one write per user and batch and no read', () => {
    const today = serverlessCost(scenario, measured, prod);
    const target = serverlessCost(scenario, withOneWritePerEntityBatch(measured), prod);
    expect(target.dynamodbOnDemand).toBeCloseTo((today.dynamodbOnDemand * 0.625) / (4 * (0.625 + 0.125)), 6);
  });

  it('prices the head write path: head writes per user and batch, closed tiles put once, heads read on a cache miss', () => {
    const D = 500 * (1 - 0.998 ** 1_000); // users per batch, as above
    // 1 event per user-second: every 10 min, 1 h and 1 day tile saw an event and is read on (1 − e^(−λL) = 1).
    const closes = 1_000 / 600 + 1_000 / 3_600 + 1_000 / 86_400; // ≈ 1.956 puts/s
    const heads = serverlessCost(
      scenario,
      withHeadWritePath(
        measured,
        { tilesPerEntityBatch: 1, writeUnitsPerWrite: 1, readUnitsPerTileRead: 1, itemBytes: 500 },
        250,
        [3_600, 86_400, 7 * 86_400, 0],
      ),
      prod,
    );
    // D head writes a second (1 batch/s), a cache of 250 heads for 500 users a shard: half the heads are read.
    expect(heads.writeUnitsPerSecond).toBeCloseTo(D + closes, 6);
    expect(heads.readUnitsPerSecond).toBeCloseTo(D * 0.5, 6);
    expect(heads.writesPerEvent).toBeCloseTo((D + closes) / 1_000, 9);
    // A user seen once an hour (λ = 1/3,600): a 10-minute tile is put only if the next event comes within the hour.
    const lambda = 1 / 3_600;
    expect(closedTilesPerSecond(1, lambda, [600, 0], [3_600, 0])).toBeCloseTo(
      ((1 - Math.exp(-lambda * 600)) * (1 - Math.exp(-1))) / 600,
      12,
    );
  });

  it('prices serving per million requests', () => {
    // 20.5 RRU + API Gateway + a request + 1 GB × 15 ms of Lambda, per request, × 10⁶.
    expect(servingPerMillionRequests(20.5, 1_024)).toBeCloseTo(20.5 * 0.125 + 3.5 + 0.2 + 1e6 * 0.015 * 0.0000166667, 9);
  });
});
