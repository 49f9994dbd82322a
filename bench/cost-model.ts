/**
 * What featurelake costs on AWS per month, from units measured by
 * `npm run bench -- units`, beside an always-on Kafka (MSK) + Flink (Managed
 * Service for Apache Flink) + Redis (ElastiCache) deployment of seed 002's
 * shape. Plain arithmetic, no I/O: every price and assumption is a named
 * constant below, and docs/benchmarks.md writes each one out with its source.
 * test/bench/cost-model.test.ts checks the arithmetic against a hand computation.
 *
 * Prices: AWS list prices, US East (N. Virginia), on-demand, no free tier,
 * no savings plans or reservations.
 */

// ---- Prices (USD) ----------------------------------------------------------------------------

/** DynamoDB on-demand, per million write request units (1 per KB written, larger of old and new item). */
export const DYNAMODB_PER_MILLION_WRU = 0.625;
/** DynamoDB on-demand, per million read request units (1 per 4 KB strongly consistent, ½ eventually). */
export const DYNAMODB_PER_MILLION_RRU = 0.125;
/** DynamoDB provisioned capacity, per WCU-hour and per RCU-hour. */
export const DYNAMODB_PER_WCU_HOUR = 0.00065;
export const DYNAMODB_PER_RCU_HOUR = 0.00013;
/** DynamoDB Standard table storage, per GB-month (first 25 GB free: ignored). */
export const DYNAMODB_PER_GB_MONTH = 0.25;
/** DynamoDB counts 100 bytes of overhead per item in the table's storage. */
export const DYNAMODB_ITEM_OVERHEAD_BYTES = 100;

/** Kinesis Data Streams, provisioned: per shard-hour and per million PUT payload units (25 KB each). */
export const KINESIS_PER_SHARD_HOUR = 0.015;
export const KINESIS_PER_MILLION_PUT_UNITS = 0.014;
export const KINESIS_PUT_UNIT_BYTES = 25 * 1024;
/** Kinesis Data Streams, on-demand: per stream-hour, per GB written, per GB read (records rounded up to 1 KB). */
export const KINESIS_ON_DEMAND_PER_STREAM_HOUR = 0.04;
export const KINESIS_ON_DEMAND_PER_GB_IN = 0.08;
export const KINESIS_ON_DEMAND_PER_GB_OUT = 0.04;

/** Lambda (x86): per GB-second of duration and per million requests. */
export const LAMBDA_PER_GB_SECOND = 0.0000166667;
export const LAMBDA_PER_MILLION_REQUESTS = 0.2;

/** S3 Standard: per 1,000 PUT requests and per GB-month stored. */
export const S3_PER_THOUSAND_PUTS = 0.005;
export const S3_PER_GB_MONTH = 0.023;

/** API Gateway REST API, per million requests (first 333 M a month). */
export const API_GATEWAY_REST_PER_MILLION = 3.5;

/** MSK provisioned, standard broker kafka.m5.large, per broker-hour; broker storage per GB-month. */
export const MSK_M5_LARGE_PER_HOUR = 0.21;
export const MSK_STORAGE_PER_GB_MONTH = 0.1;
/** Managed Service for Apache Flink: per KPU-hour (1 vCPU, 4 GB), running application storage per GB-month. */
export const FLINK_PER_KPU_HOUR = 0.11;
export const FLINK_STORAGE_PER_GB_MONTH = 0.1;
/** ElastiCache (Redis OSS), cache.r7g.large (2 vCPU, 13.07 GiB), per node-hour. */
export const ELASTICACHE_R7G_LARGE_PER_HOUR = 0.219;

// ---- Assumptions ----------------------------------------------------------------------------

export const HOURS_PER_MONTH = 730;
export const SECONDS_PER_MONTH = HOURS_PER_MONTH * 3600;
const GB = 1024 ** 3;

/** A shard takes 1,000 records/s; streams are sized (provisioned) to run shards at 80 % of that. */
export const SHARD_RECORDS_PER_SECOND = 1_000;
export const SHARD_TARGET_UTILISATION = 0.8;
/** Provisioned DynamoDB capacity is bought at this utilisation (auto scaling's target, with headroom for peaks). */
export const PROVISIONED_TARGET_UTILISATION = 0.7;
/** Aggregator CPU: events decoded, validated and folded per second on one vCPU (measured 92k–283k here, one core). */
export const AGGREGATOR_EVENTS_PER_VCPU_SECOND = 100_000;
/** Lake writer CPU: events decoded, validated and encoded to Parquet per second on one vCPU. */
export const LAKE_EVENTS_PER_VCPU_SECOND = 100_000;
/** Lambda gives a function one vCPU at 1,769 MB, in proportion below that. */
export const LAMBDA_MB_PER_VCPU = 1_769;
/** DynamoDB round trip from Lambda (UpdateItem or BatchGetItem), and the tile writer's writes in flight. */
export const DYNAMODB_LATENCY_SECONDS = 0.006;
export const TILE_WRITE_CONCURRENCY = 32;
/** Per invocation: runtime overhead, and the lake writer's S3 PUT. */
export const INVOCATION_OVERHEAD_SECONDS = 0.01;
export const S3_PUT_LATENCY_SECONDS = 0.05;
/** Parquet bytes per clickstream event in the lake (the lake bench measured 39 B per app_logs row). */
export const LAKE_BYTES_PER_EVENT = 60;
/** Consumers reading the stream: the aggregator and the lake writer. */
export const STREAM_CONSUMERS = 2;

/** Always-on: MSK brokers (multiple of 3, at least 3), each taking this much replicated write traffic. */
export const MSK_BROKER_WRITE_BYTES_PER_SECOND = 20 * 1024 ** 2;
export const KAFKA_REPLICATION = 3;
export const KAFKA_RETENTION_HOURS = 24;
/** EBS per broker at least this much, GB. */
export const MSK_MIN_STORAGE_GB_PER_BROKER = 100;
/** Flink: keyed windowed aggregation events per second per KPU, plus one orchestration KPU per application, 50 GB storage per KPU. */
export const FLINK_EVENTS_PER_KPU_SECOND = 5_000;
export const FLINK_STORAGE_GB_PER_KPU = 50;
/** Redis: bytes per entity for its served feature vector (≈ 60 features, keys and Redis overhead). */
export const REDIS_BYTES_PER_ENTITY = 2_048;
/** Usable memory per cache.r7g.large (13.07 GiB, 25 % reserved), and writes per second a shard takes. */
export const REDIS_USABLE_BYTES_PER_NODE = 13.07 * 0.75 * GB;
export const REDIS_OPS_PER_SHARD_SECOND = 100_000;
/** Each Redis shard has a replica (Multi-AZ failover). */
export const REDIS_NODES_PER_SHARD = 2;

// ---- Model ----------------------------------------------------------------------------------

/** What `npm run bench -- units` measured, and the deployment's settings (lib/config/environments.ts). */
export interface MeasuredUnits {
  /** Tile writes per (entity, batch): the tiles one entity's events of a batch fall in (≈ hop widths of the view). */
  readonly tilesPerEntityBatch: number;
  /** Write units per tile write (item sizes ≤ 1 KB: 1). */
  readonly writeUnitsPerWrite: number;
  /** Read units per tile the aggregator reads before writing it (strongly consistent). */
  readonly readUnitsPerTileRead: number;
  /** Mean tile item size, bytes. */
  readonly itemBytes: number;
  /** Bytes of one event as put on the stream. */
  readonly eventBytes: number;
  /** The view's tile widths in seconds (0: the lifetime tile) and how long a tile outlives its end. */
  readonly hopSeconds: readonly number[];
  readonly ttlSeconds: number;
  /**
   * The cost-aware write path (docs/online-store.md): `tilesPerEntityBatch` then counts head writes, and
   * each tile of a width other than lifetime that saw an event is also put once in its own item when a
   * newer one replaces it; `readUnitsPerTileRead` is per head read, and a head is read only when the
   * aggregator's cache of `cacheEntries` heads does not hold it (uniform traffic: a miss rate of
   * 1 − cache / users per shard). Absent: every tile written per batch, each read before.
   */
  readonly headPath?: {
    readonly cacheEntries: number;
    /** Per entry of `hopSeconds`, the longest window of that width: a closed tile is put only if a window can still read it. */
    readonly windowSeconds: readonly number[];
  };
}

export interface DeploymentSettings {
  readonly aggregatorBatchSize: number;
  readonly aggregatorWindowSeconds: number;
  readonly aggregatorMemoryMb: number;
  readonly lakeBatchSize: number;
  readonly lakeWindowSeconds: number;
  readonly lakeMemoryMb: number;
}

export interface Scenario {
  readonly eventsPerSecond: number;
  readonly entities: number;
}

/** Expected distinct entities among `batch` events drawn uniformly from `entities` (skewed activity gives fewer). */
export function distinctEntities(batch: number, entities: number): number {
  if (entities <= 1) return Math.min(batch, entities);
  return entities * -Math.expm1(batch * Math.log1p(-1 / entities));
}

/** Shards a provisioned stream needs at this rate. */
export function shardsFor(eventsPerSecond: number): number {
  return Math.max(1, Math.ceil(eventsPerSecond / (SHARD_RECORDS_PER_SECOND * SHARD_TARGET_UTILISATION)));
}

/** Events per batch a shard's event source mapping delivers: full batches, or what the batching window gathers. */
export function batchEvents(perShardPerSecond: number, batchSize: number, windowSeconds: number): number {
  return Math.max(1, Math.min(batchSize, perShardPerSecond * windowSeconds));
}

const vcpus = (memoryMb: number) => Math.min(6, memoryMb / LAMBDA_MB_PER_VCPU);

/** Tiles an entity keeps in the table: per width, the tiles of its retention span that saw an event (Poisson arrivals). */
export function tilesPerEntity(eventsPerEntityPerSecond: number, hopSeconds: readonly number[], ttlSeconds: number): number {
  return hopSeconds.reduce((sum, hop) => {
    if (hop === 0) return sum + 1;
    const span = (hop + ttlSeconds) / hop;
    return sum + span * -Math.expm1(-eventsPerEntityPerSecond * hop);
  }, 0);
}

export interface ServerlessCost {
  readonly shards: number;
  readonly batch: number;
  readonly distinctPerBatch: number;
  readonly writesPerEvent: number;
  readonly writeUnitsPerSecond: number;
  readonly readUnitsPerSecond: number;
  /** Monthly USD by line. */
  readonly dynamodbOnDemand: number;
  readonly dynamodbProvisioned: number;
  readonly dynamodbStorage: number;
  readonly kinesisProvisioned: number;
  readonly kinesisOnDemand: number;
  readonly lambda: number;
  readonly s3: number;
  /** Totals: DynamoDB on-demand + Kinesis on-demand (the prod setting), and DynamoDB provisioned + Kinesis provisioned. */
  readonly totalOnDemand: number;
  readonly totalProvisioned: number;
}

export function serverlessCost(s: Scenario, m: MeasuredUnits, d: DeploymentSettings): ServerlessCost {
  const R = s.eventsPerSecond;
  const shards = shardsFor(R);
  const perShard = R / shards;
  const entitiesPerShard = Math.max(1, s.entities / shards);
  const batch = batchEvents(perShard, d.aggregatorBatchSize, d.aggregatorWindowSeconds);
  const distinctPerBatch = distinctEntities(batch, entitiesPerShard);
  const tileWritesPerBatch = distinctPerBatch * m.tilesPerEntityBatch;
  const batchWritesPerSecond = (R * tileWritesPerBatch) / batch;
  // Head path: each tile that saw an event is put once when it closes (λ = events per user-second).
  const closedPutsPerSecond = m.headPath
    ? closedTilesPerSecond(s.entities, R / s.entities, m.hopSeconds, m.headPath.windowSeconds)
    : 0;
  const writesPerSecond = batchWritesPerSecond + closedPutsPerSecond;
  const writesPerEvent = writesPerSecond / R;
  const writeUnitsPerSecond = writesPerSecond * m.writeUnitsPerWrite;
  const readUnitsPerSecond = m.headPath
    ? batchWritesPerSecond * Math.max(0, 1 - m.headPath.cacheEntries / entitiesPerShard) * m.readUnitsPerTileRead
    : writesPerSecond * m.readUnitsPerTileRead;

  const dynamodbOnDemand =
    ((writeUnitsPerSecond * DYNAMODB_PER_MILLION_WRU + readUnitsPerSecond * DYNAMODB_PER_MILLION_RRU) * SECONDS_PER_MONTH) / 1e6;
  const dynamodbProvisioned =
    ((writeUnitsPerSecond * DYNAMODB_PER_WCU_HOUR + readUnitsPerSecond * DYNAMODB_PER_RCU_HOUR) /
      PROVISIONED_TARGET_UTILISATION) *
    HOURS_PER_MONTH;
  const storedBytes =
    s.entities * tilesPerEntity(R / s.entities, m.hopSeconds, m.ttlSeconds) * (m.itemBytes + DYNAMODB_ITEM_OVERHEAD_BYTES);
  const dynamodbStorage = (storedBytes / GB) * DYNAMODB_PER_GB_MONTH;

  const eventsPerMonth = R * SECONDS_PER_MONTH;
  const putUnits = Math.ceil(m.eventBytes / KINESIS_PUT_UNIT_BYTES);
  const kinesisProvisioned =
    shards * KINESIS_PER_SHARD_HOUR * HOURS_PER_MONTH + (eventsPerMonth * putUnits * KINESIS_PER_MILLION_PUT_UNITS) / 1e6;
  const billedGb = (eventsPerMonth * Math.ceil(m.eventBytes / 1024) * 1024) / GB;
  const kinesisOnDemand =
    KINESIS_ON_DEMAND_PER_STREAM_HOUR * HOURS_PER_MONTH +
    billedGb * KINESIS_ON_DEMAND_PER_GB_IN +
    billedGb * STREAM_CONSUMERS * KINESIS_ON_DEMAND_PER_GB_OUT;

  // Aggregator: one invocation per batch per shard; CPU for the batch, then its tile reads (one round) and writes.
  const aggregatorInvocations = R / batch;
  const aggregatorSeconds =
    batch / (AGGREGATOR_EVENTS_PER_VCPU_SECOND * vcpus(d.aggregatorMemoryMb)) +
    DYNAMODB_LATENCY_SECONDS * (1 + Math.ceil((writesPerSecond * (batch / R)) / TILE_WRITE_CONCURRENCY)) +
    INVOCATION_OVERHEAD_SECONDS;
  const lakeBatch = batchEvents(perShard, d.lakeBatchSize, d.lakeWindowSeconds);
  const lakeInvocations = R / lakeBatch;
  const lakeSeconds =
    lakeBatch / (LAKE_EVENTS_PER_VCPU_SECOND * vcpus(d.lakeMemoryMb)) + S3_PUT_LATENCY_SECONDS + INVOCATION_OVERHEAD_SECONDS;
  const gbSeconds =
    aggregatorInvocations * aggregatorSeconds * (d.aggregatorMemoryMb / 1024) +
    lakeInvocations * lakeSeconds * (d.lakeMemoryMb / 1024);
  const lambda =
    gbSeconds * SECONDS_PER_MONTH * LAMBDA_PER_GB_SECOND +
    ((aggregatorInvocations + lakeInvocations) * SECONDS_PER_MONTH * LAMBDA_PER_MILLION_REQUESTS) / 1e6;

  // Lake: one Parquet object per lake-writer batch; a month of events stored for a month.
  const s3 =
    (lakeInvocations * SECONDS_PER_MONTH * S3_PER_THOUSAND_PUTS) / 1000 +
    ((eventsPerMonth * LAKE_BYTES_PER_EVENT) / GB) * S3_PER_GB_MONTH;

  return {
    shards,
    batch,
    distinctPerBatch,
    writesPerEvent,
    writeUnitsPerSecond,
    readUnitsPerSecond,
    dynamodbOnDemand,
    dynamodbProvisioned,
    dynamodbStorage,
    kinesisProvisioned,
    kinesisOnDemand,
    lambda,
    s3,
    totalOnDemand: dynamodbOnDemand + dynamodbStorage + kinesisOnDemand + lambda + s3,
    totalProvisioned: dynamodbProvisioned + dynamodbStorage + kinesisProvisioned + lambda + s3,
  };
}

export interface AlwaysOnCost {
  readonly brokers: number;
  readonly kpus: number;
  readonly redisNodes: number;
  readonly msk: number;
  readonly flink: number;
  readonly redis: number;
  readonly s3: number;
  readonly total: number;
}

/** Seed 002's shape, managed: Kafka (MSK) → stream processor (Flink) → Redis online store, and the same Parquet lake. */
export function alwaysOnCost(s: Scenario, eventBytes: number): AlwaysOnCost {
  const R = s.eventsPerSecond;
  const replicated = R * eventBytes * KAFKA_REPLICATION;
  const brokers = Math.max(3, 3 * Math.ceil(replicated / MSK_BROKER_WRITE_BYTES_PER_SECOND / 3));
  const retainedGb = (replicated * KAFKA_RETENTION_HOURS * 3600) / GB;
  const storageGb = Math.max(brokers * MSK_MIN_STORAGE_GB_PER_BROKER, retainedGb);
  const msk = brokers * MSK_M5_LARGE_PER_HOUR * HOURS_PER_MONTH + storageGb * MSK_STORAGE_PER_GB_MONTH;

  const kpus = Math.max(1, Math.ceil(R / FLINK_EVENTS_PER_KPU_SECOND)) + 1;
  const flink = kpus * FLINK_PER_KPU_HOUR * HOURS_PER_MONTH + kpus * FLINK_STORAGE_GB_PER_KPU * FLINK_STORAGE_PER_GB_MONTH;

  // Writes: each entity with events in a second updated once that second.
  const writesPerSecond = Math.min(R, s.entities);
  const shards = Math.max(
    1,
    Math.ceil((s.entities * REDIS_BYTES_PER_ENTITY) / REDIS_USABLE_BYTES_PER_NODE),
    Math.ceil(writesPerSecond / REDIS_OPS_PER_SHARD_SECOND),
  );
  const redisNodes = shards * REDIS_NODES_PER_SHARD;
  const redis = redisNodes * ELASTICACHE_R7G_LARGE_PER_HOUR * HOURS_PER_MONTH;

  const s3 =
    ((R * SECONDS_PER_MONTH * LAKE_BYTES_PER_EVENT) / GB) * S3_PER_GB_MONTH +
    (SECONDS_PER_MONTH / 60) * (S3_PER_THOUSAND_PUTS / 1000);
  return { brokers, kpus, redisNodes, msk, flink, redis, s3, total: msk + flink + redis + s3 };
}

/** Monthly cost to $ per million events at a rate. */
export function perMillionEvents(monthly: number, eventsPerSecond: number): number {
  return monthly / ((eventsPerSecond * SECONDS_PER_MONTH) / 1e6);
}

/** Serving: $ per million GET /features requests (DynamoDB reads, API Gateway, the API function). */
export function servingPerMillionRequests(readUnitsPerRequest: number, apiMemoryMb: number, apiSeconds = 0.015): number {
  return (
    readUnitsPerRequest * DYNAMODB_PER_MILLION_RRU +
    API_GATEWAY_REST_PER_MILLION +
    LAMBDA_PER_MILLION_REQUESTS +
    1e6 * (apiMemoryMb / 1024) * apiSeconds * LAMBDA_PER_GB_SECOND
  );
}

/**
 * The lowest rate (events/s, scanned on a log grid of `steps` per decade from 1 to 10⁶) at which the
 * cheaper serverless configuration costs more a month than the always-on one, for a number of entities;
 * undefined when serverless stays cheaper.
 */
export function breakEvenEventsPerSecond(
  entities: number,
  m: MeasuredUnits,
  d: DeploymentSettings,
  steps = 40,
): number | undefined {
  for (let k = 0; k <= 6 * steps; k++) {
    const eventsPerSecond = 10 ** (k / steps);
    const scenario = { eventsPerSecond, entities };
    const serverless = serverlessCost(scenario, m, d);
    if (Math.min(serverless.totalOnDemand, serverless.totalProvisioned) > alwaysOnCost(scenario, m.eventBytes).total) {
      return eventsPerSecond;
    }
  }
  return undefined;
}

/**
 * Closed tiles put per second over `entities` users with `lambda` events per user-second (Poisson): per width h
 * (the lifetime tile never closes), each tile that saw an event, (1 − e^(−λh))/h per user-second, closes at the
 * user's next event and is put only if that event comes while a window of length L still reads the tile,
 * within L of its end: 1 − e^(−λL). Otherwise no window will read it and it is not written.
 */
export function closedTilesPerSecond(
  entities: number,
  lambda: number,
  hopSeconds: readonly number[],
  windowSeconds: readonly number[],
): number {
  return hopSeconds.reduce((n, hop, i) => {
    if (hop === 0) return n;
    const reached = -Math.expm1(-lambda * (windowSeconds[i] ?? 0));
    return n + (entities * -Math.expm1(-lambda * hop) * reached) / hop;
  }, 0);
}

/** The cost-aware write path as measured: head writes per user and batch, its units, reads per head read, its cache. */
export function withHeadWritePath(
  m: MeasuredUnits,
  head: Pick<MeasuredUnits, 'tilesPerEntityBatch' | 'writeUnitsPerWrite' | 'readUnitsPerTileRead' | 'itemBytes'>,
  cacheEntries: number,
  windowSeconds: readonly number[],
): MeasuredUnits {
  return { ...m, ...head, headPath: { cacheEntries, windowSeconds } };
}

/** The same measured units with issue 8's cost-aware write path: one write per entity and batch, no read before it. */
export function withOneWritePerEntityBatch(m: MeasuredUnits): MeasuredUnits {
  return { ...m, tilesPerEntityBatch: 1, readUnitsPerTileRead: 0 };
}
