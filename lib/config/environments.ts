/**
 * Per-environment settings: the only thing that differs between
 * `cdk deploy -c env=dev|staging|prod`. Read by bin/app.ts and by the local
 * stack (which runs the `dev` environment unless told otherwise).
 * No CDK imports here, so the CLI can load it cheaply.
 */
import { isIsoDay } from '../../src/domain/days.js';
import type { Catalog, FeatureView } from '../../src/features/define.js';

export const ENVIRONMENT_NAMES = ['dev', 'staging', 'prod'] as const;
export type EnvironmentName = (typeof ENVIRONMENT_NAMES)[number];

export interface StreamSettings {
  /** ON_DEMAND scales shards automatically; PROVISIONED uses `shardCount`. */
  readonly capacityMode: 'ON_DEMAND' | 'PROVISIONED';
  /** Shards when PROVISIONED. */
  readonly shardCount?: number;
  /** How long records stay readable, for replays. 24–8760. */
  readonly retentionHours: number;
}

/** The aggregator and its Kinesis event source mapping. */
export interface AggregatorSettings {
  /** Records per invocation, 1–10,000. */
  readonly batchSize: number;
  /** Seconds to gather records before invoking, 0–300. */
  readonly maxBatchingWindowSeconds: number;
  readonly startingPosition: 'TRIM_HORIZON' | 'LATEST';
  /** Retries of a failing batch before it goes to the on-failure destination. */
  readonly retryAttempts: number;
  /** Records older than this are sent to the on-failure destination instead of processed. */
  readonly maxRecordAgeSeconds: number;
  readonly memoryMb: number;
  readonly timeoutSeconds: number;
  /** Events older than this (vs. arrival) are quarantined as late. */
  readonly maxLatenessSeconds: number;
  /** Events newer than this (vs. arrival) are quarantined as future. */
  readonly maxClockSkewSeconds: number;
}

export interface ApiSettings {
  /** apiKey: x-api-key + usage plan. iam: SigV4 (grantReadFeatures) and the usage plan key. */
  readonly auth: 'apiKey' | 'iam';
  /** Steady requests per second and burst, per API key. */
  readonly throttle: { readonly rateLimit: number; readonly burstLimit: number };
  readonly quota: { readonly limit: number; readonly period: 'DAY' | 'WEEK' | 'MONTH' };
  readonly memoryMb: number;
  /** The inference endpoint (POST /predict, GET /health) on the same API, key and usage plan. */
  readonly predict: PredictSettings;
}

export interface PredictSettings {
  /** Lambda memory: CPU grows with it (1,769 MB is one full vCPU), and scoring is CPU. */
  readonly memoryMb: number;
  readonly timeoutSeconds: number;
  /** How long a loaded model version is served before the registry is asked whether `current` moved. */
  readonly modelRefreshSeconds: number;
}

/** The lake writer (a second consumer of the stream) and the lake bucket. */
export interface LakeSettings {
  /** Records per invocation, 1–10,000: a file per partition touched per batch. */
  readonly batchSize: number;
  /** Seconds to gather records before writing, 0–300: bounds how late data lands in the lake. */
  readonly maxBatchingWindowSeconds: number;
  readonly compression: 'snappy' | 'zstd' | 'gzip' | 'none';
  /** A partition per day, or per hour (dt=…/hr=…). */
  readonly timePartitioning: 'date' | 'hour';
  /** Also partition predictions by model (model=…/dt=…), for these models (Athena projects an enum). */
  readonly predictionModels?: readonly string[];
  readonly retryAttempts: number;
  readonly maxRecordAgeSeconds: number;
  /** The lake keeps late events longer than the online store does: events older than this are quarantined. */
  readonly maxLatenessSeconds: number;
  readonly memoryMb: number;
  readonly timeoutSeconds: number;
  /**
   * Days after which lake objects move to Standard-IA, then (optional) Glacier Instant Retrieval;
   * and expire (optional). Each class is kept at least its minimum storage duration
   * (MINIMUM_STORAGE_DAYS) before the next step, or S3 bills the rest of it anyway.
   */
  readonly infrequentAccessAfterDays: number;
  readonly glacierAfterDays?: number;
  readonly expireAfterDays?: number;
  /** The first day Athena's partition projection covers (yyyy-MM-dd): bulk imports of older logs need it earlier. */
  readonly oldestPartitionDate: string;
  /** Small-file compaction of the lake's partitions (src/lake/compaction.ts). */
  readonly compaction: CompactionSettings;
}

export interface CompactionSettings {
  /**
   * `daily`, at `hourOfDay` UTC; or `hourly` (minute 45), which also merges the
   * current day's files as they age: for busy streams, whose day of files is
   * too much for one run.
   */
  readonly frequency: 'daily' | 'hourly';
  /** UTC hour of the daily run. */
  readonly hourOfDay: number;
  /** Days before the run's day to compact: 1 is yesterday only; more catches late events' small files. */
  readonly daysBack: number;
  /** Files written less than this long ago are left for a later run. */
  readonly minAgeHours: number;
  /** Input Parquet bytes merged into one file (bounds the function's memory). */
  readonly maxInputMb: number;
  readonly memoryMb: number;
  readonly timeoutSeconds: number;
}

/** Athena: the workgroup's guard rails. */
export interface AthenaSettings {
  /** A query scanning more than this many bytes is cancelled. */
  readonly bytesScannedCutoffPerQuery: number;
  /** Query results are deleted after this many days. */
  readonly resultsExpireAfterDays: number;
  /**
   * The hourly rollup runs at this minute of every hour and (re)builds the last `hoursBack`
   * closed hours, so events reaching the lake up to that many hours late are still counted.
   */
  readonly rollup: { readonly minuteOfHour: number; readonly hoursBack: number; readonly timeoutSeconds: number };
}

/**
 * The scheduled drift job (src/drift/, lambdas/drift): each run measures the closed hours before it
 * against every model's reference distributions, writes the lake's drift table and publishes the
 * metrics the drift alarms watch.
 */
export interface DriftSettings {
  /** A run every hour (at minuteOfHour), or every day (at hourOfDay:minuteOfHour UTC). */
  readonly frequency: 'hourly' | 'daily';
  /** Minute of the hour runs start: after the lake writer has landed the last hour's predictions. */
  readonly minuteOfHour: number;
  /** UTC hour of a daily run. */
  readonly hourOfDay: number;
  /** Closed hours before a run that it measures, 1–168: the sample each statistic is of. */
  readonly windowHours: number;
  readonly timeoutSeconds: number;
}

export interface AlarmSettings {
  /** Aggregator falling behind the stream. */
  readonly iteratorAgeMs: number;
  /** Records quarantined in 5 minutes. */
  readonly quarantinedPer5Min: number;
  /** Lambda errors in 5 minutes, per function. */
  readonly functionErrorsPer5Min: number;
  /** API 5xx responses in 5 minutes. */
  readonly api5xxPer5Min: number;
  /** API 4xx responses, percent of requests in 5 minutes (only once there are 100 requests): a client broke. */
  readonly api4xxPercent: number;
  /** POST /predict's p99 latency in the function (PredictLatency), ms: 2 of 3 five-minute periods. */
  readonly predictLatencyP99Ms: number;
  /** Predictions the prediction log gave up on (PredictionLogFailed) in 5 minutes: they miss the lake. */
  readonly predictionLogFailuresPer5Min: number;
  /** Model versions the endpoint refused to load (ModelVersionRefused) in 5 minutes. */
  readonly modelVersionsRefusedPer5Min: number;
  /** Online-store freshness: a record's arrival on the stream to its tiles written (ArrivalToOnlineMs, max), ms. */
  readonly onlineFreshnessMs: number;
  /** An address subscribed to the alarm topic at deploy (it must confirm). @default - none: subscribe by hand */
  readonly email?: string;
}

/** Provisioned capacity of one kind (reads or writes), scaled by target tracking between `min` and `max`. */
export interface CapacityRange {
  /** Units provisioned at least (paid for even when idle) and at most (DynamoDB's default table quota is 40,000). */
  readonly min: number;
  readonly max: number;
  /** Consumed / provisioned that auto scaling keeps, in percent, 20–90. */
  readonly targetUtilizationPercent: number;
}

/**
 * How the online store's table pays: per request (on demand), or provisioned capacity that auto scaling
 * moves between bounds. Provisioned is about 2.4× cheaper per unit at a steady rate (docs/benchmarks.md,
 * cost table); on demand needs no sizing and suits idle or spiky environments.
 */
export type TableBilling = 'onDemand' | { readonly provisioned: { readonly read: CapacityRange; readonly write: CapacityRange } };

export interface OnlineStoreSettings {
  readonly billing: TableBilling;
}

export interface EnvironmentConfig {
  readonly name: EnvironmentName;
  /** Deploy target; defaults to the CLI's account and region. */
  readonly account?: string;
  readonly region?: string;
  readonly stream: StreamSettings;
  readonly aggregator: AggregatorSettings;
  readonly api: ApiSettings;
  readonly lake: LakeSettings;
  readonly athena: AthenaSettings;
  readonly drift: DriftSettings;
  readonly alarms: AlarmSettings;
  readonly onlineStore: OnlineStoreSettings;
  readonly logRetentionDays: number;
  /** Keep the table and buckets when the stack is deleted (prod). */
  readonly retainData: boolean;
}

/** S3 storage classes a lifecycle rule can move objects to (CloudFormation's `StorageClass` values). */
export type TransitionStorageClass =
  | 'STANDARD_IA'
  | 'ONEZONE_IA'
  | 'INTELLIGENT_TIERING'
  | 'GLACIER_IR'
  | 'GLACIER'
  | 'DEEP_ARCHIVE';

/**
 * Minimum storage duration S3 bills for an object in each class (Amazon S3 User Guide, "Comparing
 * the Amazon S3 storage classes"): an object deleted or moved on earlier is charged for the rest.
 */
export const MINIMUM_STORAGE_DAYS: Readonly<Record<TransitionStorageClass, number>> = {
  STANDARD_IA: 30,
  ONEZONE_IA: 30,
  INTELLIGENT_TIERING: 0,
  GLACIER_IR: 90,
  GLACIER: 90,
  DEEP_ARCHIVE: 180,
};

export interface LifecycleTransition {
  readonly storageClass: TransitionStorageClass;
  readonly afterDays: number;
}

/** The lake's storage-class transitions, in order. */
export function lakeTransitions(
  lake: Pick<LakeSettings, 'infrequentAccessAfterDays' | 'glacierAfterDays'>,
): LifecycleTransition[] {
  return [
    { storageClass: 'STANDARD_IA', afterDays: lake.infrequentAccessAfterDays },
    ...(lake.glacierAfterDays === undefined ? [] : [{ storageClass: 'GLACIER_IR' as const, afterDays: lake.glacierAfterDays }]),
  ];
}

/**
 * What is wrong with a lifecycle: steps out of order, or a class left (by the next transition or
 * by expiry) before its minimum storage duration, which S3 bills as if it had been kept.
 */
export function lifecycleProblems(transitions: readonly LifecycleTransition[], expireAfterDays?: number): string[] {
  const problems: string[] = [];
  transitions.forEach((step, i) => {
    const next = transitions[i + 1];
    const leaves = next ? { days: next.afterDays, by: `the transition to ${next.storageClass}` } : undefined;
    const end = leaves ?? (expireAfterDays === undefined ? undefined : { days: expireAfterDays, by: 'expiry' });
    if (!end) return;
    const minimum = MINIMUM_STORAGE_DAYS[step.storageClass];
    if (end.days <= step.afterDays) {
      problems.push(`${end.by} (day ${end.days}) must come after the transition to ${step.storageClass} (day ${step.afterDays})`);
    } else if (end.days < step.afterDays + minimum) {
      problems.push(
        `${step.storageClass} from day ${step.afterDays} is left by ${end.by} at day ${end.days}, before its ${minimum}-day minimum storage duration (day ${step.afterDays + minimum}): S3 bills the rest anyway`,
      );
    }
  });
  return problems;
}

const HOUR = 3_600;
const DAY = 86_400;

const base = {
  aggregator: {
    batchSize: 1_000,
    maxBatchingWindowSeconds: 5,
    startingPosition: 'TRIM_HORIZON',
    retryAttempts: 10,
    maxRecordAgeSeconds: DAY,
    memoryMb: 1_024,
    timeoutSeconds: 120,
    maxLatenessSeconds: DAY,
    maxClockSkewSeconds: 300,
  },
  api: {
    auth: 'apiKey',
    throttle: { rateLimit: 100, burstLimit: 200 },
    quota: { limit: 1_000_000, period: 'DAY' },
    memoryMb: 512,
    predict: { memoryMb: 1_024, timeoutSeconds: 10, modelRefreshSeconds: 60 },
  },
  lake: {
    batchSize: 10_000,
    // Seed 003 wants data in the lake within two minutes; a minute's window leaves room for retries.
    maxBatchingWindowSeconds: 60,
    compression: 'snappy',
    timePartitioning: 'hour',
    oldestPartitionDate: '2020-01-01',
    retryAttempts: 10,
    maxRecordAgeSeconds: DAY,
    maxLatenessSeconds: 7 * DAY,
    memoryMb: 1_024,
    timeoutSeconds: 300,
    infrequentAccessAfterDays: 30,
    glacierAfterDays: 90,
    // 03:00 UTC: yesterday is closed; two days back also merges the small files late events added.
    compaction: {
      frequency: 'daily',
      hourOfDay: 3,
      daysBack: 2,
      minAgeHours: 1,
      maxInputMb: 64,
      memoryMb: 2_048,
      timeoutSeconds: 900,
    },
  },
  athena: {
    bytesScannedCutoffPerQuery: 10 * 1024 ** 3,
    resultsExpireAfterDays: 7,
    // Minute 15: the lake writer's batching window (≤ 5 min) and its retries have landed the last hour.
    rollup: { minuteOfHour: 15, hoursBack: 3, timeoutSeconds: 600 },
  },
  // A day of predictions per run: enough for the statistics on a quiet model, one query per model a day.
  drift: { frequency: 'daily', hourOfDay: 4, minuteOfHour: 30, windowHours: 24, timeoutSeconds: 300 },
} as const satisfies Pick<EnvironmentConfig, 'aggregator' | 'api' | 'lake' | 'athena' | 'drift'>;

export const ENVIRONMENTS: Readonly<Record<EnvironmentName, EnvironmentConfig>> = {
  dev: {
    name: 'dev',
    stream: { capacityMode: 'PROVISIONED', shardCount: 1, retentionHours: 24 },
    // As prod: large batches write each tile once per batch instead of once per 1,000 events (measured with
    // `npm run bench -- e2e`: 0.31 → 0.18 tile writes per demo event, drained twice as fast), and a 2 s window
    // keeps an idle stream's features about 2 s fresh instead of 5.
    aggregator: { ...base.aggregator, batchSize: 10_000, maxBatchingWindowSeconds: 2 },
    api: base.api,
    // Dev data lives 90 days: Standard-IA after 30, no Glacier (its 90-day minimum would outlive the data).
    lake: { ...base.lake, infrequentAccessAfterDays: 30, glacierAfterDays: undefined, expireAfterDays: 90 },
    athena: { ...base.athena, bytesScannedCutoffPerQuery: 1024 ** 3 },
    drift: base.drift,
    alarms: {
      iteratorAgeMs: 15 * 60_000,
      quarantinedPer5Min: 1_000,
      functionErrorsPer5Min: 10,
      api5xxPer5Min: 50,
      api4xxPercent: 50,
      predictLatencyP99Ms: 1_000,
      predictionLogFailuresPer5Min: 100,
      modelVersionsRefusedPer5Min: 1,
      onlineFreshnessMs: 15 * 60_000,
    },
    // Mostly idle: on demand costs nothing at rest.
    onlineStore: { billing: 'onDemand' },
    logRetentionDays: 7,
    retainData: false,
  },
  staging: {
    name: 'staging',
    stream: { capacityMode: 'ON_DEMAND', retentionHours: 48 },
    aggregator: { ...base.aggregator, batchSize: 5_000 },
    api: { ...base.api, throttle: { rateLimit: 500, burstLimit: 1_000 } },
    lake: { ...base.lake, expireAfterDays: 180 },
    athena: base.athena,
    drift: base.drift,
    alarms: {
      iteratorAgeMs: 5 * 60_000,
      quarantinedPer5Min: 500,
      functionErrorsPer5Min: 5,
      api5xxPer5Min: 20,
      api4xxPercent: 25,
      predictLatencyP99Ms: 500,
      predictionLogFailuresPer5Min: 10,
      modelVersionsRefusedPer5Min: 1,
      onlineFreshnessMs: 5 * 60_000,
    },
    // Load tests come in bursts, idle between: on demand.
    onlineStore: { billing: 'onDemand' },
    logRetentionDays: 30,
    retainData: false,
  },
  prod: {
    name: 'prod',
    stream: { capacityMode: 'ON_DEMAND', retentionHours: 7 * 24 },
    aggregator: {
      ...base.aggregator,
      batchSize: 10_000,
      maxBatchingWindowSeconds: 2,
      retryAttempts: 20,
      maxRecordAgeSeconds: 2 * DAY,
    },
    api: {
      ...base.api,
      auth: 'iam',
      throttle: { rateLimit: 2_000, burstLimit: 4_000 },
      quota: { limit: 100_000_000, period: 'DAY' },
      memoryMb: 1_024,
      predict: { memoryMb: 1_769, timeoutSeconds: 10, modelRefreshSeconds: 60 },
    },
    lake: {
      ...base.lake,
      compression: 'zstd',
      infrequentAccessAfterDays: 60,
      glacierAfterDays: 180,
      // Production streams are the busy ones: merge every hour rather than a whole day at once.
      compaction: { ...base.lake.compaction, frequency: 'hourly', daysBack: 1 },
    },
    athena: { ...base.athena, bytesScannedCutoffPerQuery: 100 * 1024 ** 3, resultsExpireAfterDays: 30 },
    // Busy models: drift within the hour it starts, each run over the last 6 hours.
    drift: { ...base.drift, frequency: 'hourly', windowHours: 6 },
    // Stricter than dev's on every count: a prod alarm pages someone. Freshness: the 2 s batching window plus a write.
    alarms: {
      iteratorAgeMs: 60_000,
      quarantinedPer5Min: 100,
      functionErrorsPer5Min: 1,
      api5xxPer5Min: 5,
      api4xxPercent: 10,
      predictLatencyP99Ms: 250,
      predictionLogFailuresPer5Min: 1,
      modelVersionsRefusedPer5Min: 1,
      onlineFreshnessMs: 60_000,
    },
    // A steady stream pays about 2.4× less per unit provisioned (docs/benchmarks.md). Writes come from the
    // aggregator, which retries a throttled batch (exactly once, so only later); DynamoDB's burst capacity (up
    // to 5 minutes of unused units) carries a spike while auto scaling catches up. Reads serve GET /features,
    // where a throttle is a 5xx: a higher floor and a lower target leave them more headroom.
    onlineStore: {
      billing: {
        provisioned: {
          read: { min: 100, max: 40_000, targetUtilizationPercent: 50 },
          write: { min: 50, max: 40_000, targetUtilizationPercent: 70 },
        },
      },
    },
    logRetentionDays: 365,
    retainData: true,
  },
};

/** The named environment, validated against the feature views it will serve. */
export function environmentConfig(name: string, views: readonly FeatureView[]): EnvironmentConfig {
  if (!(ENVIRONMENT_NAMES as readonly string[]).includes(name)) {
    throw new Error(`unknown environment "${name}": use one of ${ENVIRONMENT_NAMES.join(', ')} (cdk synth -c env=dev)`);
  }
  const config = ENVIRONMENTS[name as EnvironmentName];
  const problems = validateEnvironment(config, views);
  if (problems.length > 0) throw new Error(`environment ${name} is inconsistent:\n- ${problems.join('\n- ')}`);
  return config;
}

/** Every rule that keeps an environment correct; returns what is wrong. */
export function validateEnvironment(config: EnvironmentConfig, views: readonly FeatureView[]): string[] {
  const problems: string[] = [];
  const { stream, aggregator } = config;
  if (stream.capacityMode === 'PROVISIONED' && !(stream.shardCount && stream.shardCount >= 1)) {
    problems.push('a PROVISIONED stream needs shardCount ≥ 1');
  }
  if (stream.retentionHours < 24 || stream.retentionHours > 8_760) problems.push('stream.retentionHours must be 24–8760');
  if (aggregator.batchSize < 1 || aggregator.batchSize > 10_000) problems.push('aggregator.batchSize must be 1–10,000');
  if (aggregator.maxBatchingWindowSeconds < 0 || aggregator.maxBatchingWindowSeconds > 300) {
    problems.push('aggregator.maxBatchingWindowSeconds must be 0–300');
  }
  if (aggregator.retryAttempts < 0 || aggregator.retryAttempts > 10_000)
    problems.push('aggregator.retryAttempts must be 0–10,000');
  if (aggregator.maxRecordAgeSeconds < 60 || aggregator.maxRecordAgeSeconds > 7 * DAY) {
    problems.push('aggregator.maxRecordAgeSeconds must be 60–604,800');
  }
  if (aggregator.maxRecordAgeSeconds > stream.retentionHours * HOUR) {
    problems.push(
      'aggregator.maxRecordAgeSeconds exceeds the stream retention: records would expire before they are given up on',
    );
  }
  const { lake } = config;
  if (!(config.alarms.api4xxPercent > 0 && config.alarms.api4xxPercent <= 100))
    problems.push('alarms.api4xxPercent must be in (0, 100]');
  if (config.api.predict.modelRefreshSeconds < 1) problems.push('api.predict.modelRefreshSeconds must be ≥ 1');
  if (config.api.predict.timeoutSeconds < 1 || config.api.predict.timeoutSeconds > 900)
    problems.push('api.predict.timeoutSeconds must be 1–900');
  if (lake.batchSize < 1 || lake.batchSize > 10_000) problems.push('lake.batchSize must be 1–10,000');
  if (lake.maxBatchingWindowSeconds < 0 || lake.maxBatchingWindowSeconds > 300)
    problems.push('lake.maxBatchingWindowSeconds must be 0–300');
  if (lake.maxRecordAgeSeconds > stream.retentionHours * HOUR)
    problems.push('lake.maxRecordAgeSeconds exceeds the stream retention');
  const { rollup } = config.athena;
  if (!Number.isInteger(rollup.minuteOfHour) || rollup.minuteOfHour < 0 || rollup.minuteOfHour > 59)
    problems.push('athena.rollup.minuteOfHour must be 0–59');
  if (rollup.minuteOfHour * 60 < lake.maxBatchingWindowSeconds)
    problems.push('athena.rollup.minuteOfHour must leave the lake writer its batching window after the hour');
  if (!Number.isInteger(rollup.hoursBack) || rollup.hoursBack < 1 || rollup.hoursBack > 48)
    problems.push('athena.rollup.hoursBack must be 1–48');
  problems.push(...driftProblems(config.drift, lake.maxBatchingWindowSeconds));
  if (!isIsoDay(lake.oldestPartitionDate)) problems.push('lake.oldestPartitionDate must be a date, yyyy-MM-dd');
  if (lake.infrequentAccessAfterDays < 30)
    problems.push('lake.infrequentAccessAfterDays must be ≥ 30 (S3 minimum for Standard-IA)');
  for (const problem of lifecycleProblems(lakeTransitions(lake), lake.expireAfterDays))
    problems.push(`lake lifecycle: ${problem}`);
  problems.push(...billingProblems(config.onlineStore.billing));
  for (const view of views) {
    // A replay re-delivers records up to the retention period after arrival; their tiles must
    // still exist then, or the idempotency watermark is gone and they would count twice.
    const replayHorizon = aggregator.maxLatenessSeconds + stream.retentionHours * HOUR;
    if (view.ttlSeconds < replayHorizon) {
      problems.push(
        `view ${view.name}: ttl (${view.ttlSeconds}s) must cover maxLateness + stream retention (${replayHorizon}s) so replays stay exactly-once`,
      );
    }
  }
  return problems;
}

/** What is wrong with the drift job's settings. */
export function driftProblems(drift: DriftSettings, lakeBatchingWindowSeconds: number): string[] {
  const problems: string[] = [];
  const integerIn = (x: number, lo: number, hi: number) => Number.isInteger(x) && x >= lo && x <= hi;
  if (!integerIn(drift.minuteOfHour, 0, 59)) problems.push('drift.minuteOfHour must be 0–59');
  else if (drift.minuteOfHour * 60 < lakeBatchingWindowSeconds)
    problems.push('drift.minuteOfHour must leave the lake writer its batching window after the hour');
  if (!integerIn(drift.hourOfDay, 0, 23)) problems.push('drift.hourOfDay must be 0–23');
  if (!integerIn(drift.windowHours, 1, 168)) problems.push('drift.windowHours must be 1–168');
  if (!integerIn(drift.timeoutSeconds, 30, 900)) problems.push('drift.timeoutSeconds must be 30–900');
  return problems;
}

/** DynamoDB's default per-table quota of read and of write capacity units. */
export const MAX_TABLE_CAPACITY_UNITS = 40_000;

/** What is wrong with an online-store billing setting. */
export function billingProblems(billing: TableBilling): string[] {
  if (billing === 'onDemand') return [];
  const problems: string[] = [];
  for (const kind of ['read', 'write'] as const) {
    const range = billing.provisioned[kind];
    const at = `onlineStore.billing.provisioned.${kind}`;
    if (!Number.isInteger(range.min) || range.min < 1) problems.push(`${at}.min must be an integer ≥ 1`);
    if (!Number.isInteger(range.max) || range.max < range.min) problems.push(`${at}.max must be an integer ≥ min`);
    if (range.max > MAX_TABLE_CAPACITY_UNITS)
      problems.push(`${at}.max must be ≤ ${MAX_TABLE_CAPACITY_UNITS} (DynamoDB's default table quota)`);
    if (!(range.targetUtilizationPercent >= 20 && range.targetUtilizationPercent <= 90))
      problems.push(`${at}.targetUtilizationPercent must be 20–90`);
  }
  return problems;
}

export function stackName(env: EnvironmentName): string {
  return `featurelake-${env}`;
}

/**
 * The lake settings a deployment runs with: the environment's, with the prediction log partitioned by the
 * catalog's models and any the environment adds (models published from elsewhere) — the `model=` values
 * Athena projects.
 */
export function deployedLakeSettings(config: Pick<EnvironmentConfig, 'lake'>, catalog: Pick<Catalog, 'models'>): LakeSettings {
  return {
    ...config.lake,
    predictionModels: [...new Set([...(config.lake.predictionModels ?? []), ...(catalog.models ?? []).map((m) => m.name)])],
  };
}
