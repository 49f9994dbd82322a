/**
 * One featurelake environment: ingest stream → aggregator → online store →
 * feature API; stream → lake writer → Parquet lake → Glue catalog → Athena;
 * the quarantine, and the alarms. Everything that differs between
 * environments comes from `config` (lib/config/environments.ts); the
 * constructs hold the safe defaults.
 */
import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { batchLakeSource } from '../src/batch/lake-table.js';
import { exampleCatalog } from '../src/features/catalog.js';
import { featureViewQueries } from '../src/query/feature-sql.js';
import { deployedLakeSettings, type EnvironmentConfig } from './config/environments.js';
import { Aggregator } from './constructs/aggregator.js';
import { BatchIngest } from './constructs/batch-ingest.js';
import { DataQualityReport } from './constructs/data-quality-report.js';
import { dataRemovalPolicy, quarantineRetention } from './constructs/defaults.js';
import { DriftMonitor } from './constructs/drift-monitor.js';
import { FeatureApi } from './constructs/feature-api.js';
import { HourlyRollup } from './constructs/hourly-rollup.js';
import { IngestStream } from './constructs/ingest-stream.js';
import { Lake } from './constructs/lake.js';
import { LakeCatalog } from './constructs/lake-catalog.js';
import { LakeCompaction } from './constructs/lake-compaction.js';
import { LakeWriter } from './constructs/lake-writer.js';
import { ModelServing } from './constructs/model-serving.js';
import { Monitoring } from './constructs/monitoring.js';
import { OnlineStore } from './constructs/online-store.js';
import { OperationsDashboard } from './constructs/operations-dashboard.js';
import { Quarantine } from './constructs/quarantine.js';
import { QueryWorkgroup } from './constructs/query-workgroup.js';

export interface FeaturelakeStackProps extends StackProps {
  /** A validated environment (environmentConfig() in lib/config/environments.ts). */
  readonly config: EnvironmentConfig;
}

export class FeaturelakeStack extends Stack {
  public readonly config: EnvironmentConfig;
  public readonly ingest: IngestStream;
  public readonly store: OnlineStore;
  public readonly quarantine: Quarantine;
  public readonly aggregator: Aggregator;
  public readonly featureApi: FeatureApi;
  /** The models bucket and POST /predict, GET /health on the feature API. */
  public readonly models: ModelServing;
  public readonly lake: Lake;
  public readonly lakeWriter: LakeWriter;
  public readonly catalog: LakeCatalog;
  public readonly queries: QueryWorkgroup;
  public readonly rollup: HourlyRollup;
  /** The daily data-quality report over the lake, run by a schedule (docs/operations.md, "Data quality"). */
  public readonly qualityReport: DataQualityReport;
  public readonly compaction: LakeCompaction;
  public readonly batchIngest: BatchIngest;
  /** The scheduled drift job and its alarms (docs/operations.md, "Drift"). */
  public readonly drift: DriftMonitor;
  public readonly monitoring: Monitoring;
  /** The CloudWatch dashboard `featurelake-<env>` (docs/operations.md, "Dashboard"). */
  public readonly dashboard: OperationsDashboard;

  constructor(scope: Construct, id: string, props: FeaturelakeStackProps) {
    super(scope, id, props);
    const { config } = props;
    this.config = config;
    const envName = config.name;
    // Tables, buckets and the stream hold data: prod keeps them, other environments clean up.
    const removalPolicy = dataRemovalPolicy(config.retainData);
    const logs = { logRetentionDays: config.logRetentionDays, logRemovalPolicy: removalPolicy };

    const lake = deployedLakeSettings(config, exampleCatalog);
    this.ingest = new IngestStream(this, 'Ingest', { settings: config.stream, removalPolicy });
    this.store = new OnlineStore(this, 'OnlineStore', {
      removalPolicy,
      deletionProtection: config.retainData,
      billing: config.onlineStore.billing,
    });
    this.quarantine = new Quarantine(this, 'Quarantine', {
      removalPolicy,
      expiration: quarantineRetention(config.retainData),
    });
    this.aggregator = new Aggregator(this, 'Aggregator', {
      envName,
      settings: config.aggregator,
      stream: this.ingest,
      store: this.store,
      quarantine: this.quarantine,
      ...logs,
    });
    this.featureApi = new FeatureApi(this, 'FeatureApi', { envName, settings: config.api, store: this.store, ...logs });
    this.models = new ModelServing(this, 'Models', {
      envName,
      settings: config.api.predict,
      api: this.featureApi,
      store: this.store,
      ingest: this.ingest,
      accessLogBucket: this.quarantine.accessLogBucket,
      removalPolicy,
      ...logs,
    });

    this.lake = new Lake(this, 'Lake', {
      removalPolicy,
      lifecycle: config.lake,
      accessLogBucket: this.quarantine.accessLogBucket,
    });
    this.lakeWriter = new LakeWriter(this, 'LakeWriter', {
      envName,
      settings: lake,
      maxClockSkewSeconds: config.aggregator.maxClockSkewSeconds,
      stream: this.ingest,
      lake: this.lake,
      quarantine: this.quarantine,
      // Sources with dedupeBy: the lake writer keeps their first occurrences too, by markers in the online table.
      ...(exampleCatalog.sources.some((s) => s.dedupeBy) ? { dedupeMarkers: this.store } : {}),
      ...logs,
    });
    this.catalog = new LakeCatalog(this, 'Catalog', {
      envName,
      bucket: this.lake.bucket,
      // The catalog the functions' index.ts files serve: the stack and they are the deployment's composition root.
      // Batch sources' files are lake tables too (events/<batch source>/), typed from their schemas.
      sources: [...exampleCatalog.sources, ...(exampleCatalog.batchSources ?? []).map(batchLakeSource)],
      settings: lake,
    });
    this.queries = new QueryWorkgroup(this, 'Queries', {
      envName,
      settings: config.athena,
      catalog: this.catalog,
      // Each view's offline features, with the aggregator's lateness bounds and the lake's partitions.
      generatedQueries: featureViewQueries(exampleCatalog.featureViews, {
        policy: config.aggregator,
        layout: { timePartitioning: config.lake.timePartitioning },
      }),
      removalPolicy,
      accessLogBucket: this.quarantine.accessLogBucket,
    });
    this.rollup = new HourlyRollup(this, 'Rollup', {
      envName,
      settings: config.athena.rollup,
      timePartitioning: config.lake.timePartitioning,
      lake: this.lake,
      queries: this.queries,
      ...logs,
    });
    this.qualityReport = new DataQualityReport(this, 'DataQuality', {
      envName,
      queries: this.queries,
      lake: this.lake,
      timePartitioning: config.lake.timePartitioning,
    });

    this.compaction = new LakeCompaction(this, 'Compaction', { envName, settings: lake, lake: this.lake, ...logs });
    this.batchIngest = new BatchIngest(this, 'BatchIngest', {
      envName,
      sources: exampleCatalog.batchSources ?? [],
      settings: lake,
      lake: this.lake,
      store: this.store,
      quarantine: this.quarantine,
      ...logs,
    });

    this.monitoring = new Monitoring(this, 'Monitoring', { envName, thresholds: config.alarms });
    this.drift = new DriftMonitor(this, 'Drift', {
      envName,
      settings: config.drift,
      models: exampleCatalog.models ?? [],
      lakeSettings: lake,
      lake: this.lake,
      queries: this.queries,
      modelsBucket: this.models.bucket,
      alarmTopic: this.monitoring.topic,
      ...logs,
    });
    this.monitoring.watchFunctionErrors('Drift', this.drift.function);
    this.monitoring.watchDeadLetters('Drift', this.drift.failures);
    this.monitoring.watchStreamConsumer('Aggregator', this.aggregator.function);
    this.monitoring.watchQuarantine(this.aggregator.function.functionKey);
    this.monitoring.watchFunctionErrors('Aggregator', this.aggregator.function);
    this.monitoring.watchFunctionErrors('FeatureApi', this.featureApi.function);
    this.monitoring.watchFunctionErrors('Predict', this.models.function);
    this.monitoring.watchStreamConsumer('LakeWriter', this.lakeWriter.function);
    this.monitoring.watchFunctionErrors('LakeWriter', this.lakeWriter.function);
    this.monitoring.watchFunctionErrors('Rollup', this.rollup.function);
    this.monitoring.watchFunctionErrors('Compaction', this.compaction.function);
    this.monitoring.watchDeadLetters('Rollup', this.rollup.failures);
    this.monitoring.watchDeadLetters('Compaction', this.compaction.failures);
    this.monitoring.watchFunctionErrors('BatchIngest', this.batchIngest.function);
    this.monitoring.watchDeadLetters('BatchIngest', this.batchIngest.failures);
    this.monitoring.watchDeadLetters('DataQuality', this.qualityReport.failures);
    this.monitoring.watchApi(this.featureApi.api);
    this.monitoring.watchPredict(this.models.function.functionKey);
    this.monitoring.watchFreshness(this.aggregator.function.functionKey);
    this.dashboard = new OperationsDashboard(this, 'Operations', {
      envName,
      stream: this.ingest,
      aggregator: this.aggregator,
      lakeWriter: this.lakeWriter,
      featureApi: this.featureApi,
      models: this.models,
      rollup: this.rollup,
      compaction: this.compaction,
      batchIngest: this.batchIngest,
      monitoring: this.monitoring,
    });

    new CfnOutput(this, 'StreamName', {
      value: this.ingest.stream.streamName,
      description: 'Kinesis stream producers put events on (partition key = entity key)',
    });
    new CfnOutput(this, 'TableName', { value: this.store.table.tableName, description: 'DynamoDB online store' });
    new CfnOutput(this, 'QuarantineBucketName', {
      value: this.quarantine.bucket.bucketName,
      description: 'Invalid records (invalid/) and failed batches (aws/lambda/)',
    });
    new CfnOutput(this, 'ApiUrl', {
      value: this.featureApi.api.url,
      description: 'Base URL: GET <ApiUrl>features/{entityType}/{entityId}',
    });
    new CfnOutput(this, 'ApiKeyId', {
      value: this.featureApi.apiKey.keyId,
      description: 'aws apigateway get-api-key --include-value --api-key <ApiKeyId> --query value --output text',
    });
    new CfnOutput(this, 'ModelsBucketName', {
      value: this.models.bucket.bucketName,
      description: 'Model artifacts and aliases (featurelake train / publish-model --aws --models-bucket)',
    });
    new CfnOutput(this, 'LakeBucketName', {
      value: this.lake.bucket.bucketName,
      description: 'Parquet lake: events/<source>/dt=YYYY-MM-DD/hr=HH/ (featurelake import --bucket)',
    });
    new CfnOutput(this, 'GlueDatabaseName', {
      value: this.catalog.database.databaseName,
      description: 'Glue database of the lake tables (FEATURELAKE_GLUE_DATABASE)',
    });
    new CfnOutput(this, 'AthenaWorkGroup', {
      value: this.queries.workgroup.ref,
      description: 'Athena workgroup for the athena/ queries (FEATURELAKE_ATHENA_WORKGROUP)',
    });
    new CfnOutput(this, 'AlarmTopicArn', {
      value: this.monitoring.topic.topicArn,
      description:
        'Subscribe on-call here: aws sns subscribe --topic-arn <AlarmTopicArn> --protocol email --notification-endpoint you@example.com',
    });
    new CfnOutput(this, 'DashboardName', {
      value: this.dashboard.dashboardName,
      description: 'CloudWatch dashboard of this environment (docs/operations.md, Dashboard)',
    });
    new CfnOutput(this, 'DashboardUrl', { value: this.dashboard.url, description: 'The dashboard in the console' });

    // What a client of a deployment needs beyond resource names: `npm run test:target -- <outputs file>`
    // reads these to know the region, how to call the API and how long the lake may take (docs/targets.md).
    new CfnOutput(this, 'Region', { value: this.region, description: 'Region of every resource of this stack' });
    new CfnOutput(this, 'EnvName', { value: envName, description: 'featurelake environment (lib/config/environments.ts)' });
    new CfnOutput(this, 'ApiAuth', {
      value: config.api.auth,
      description: 'apiKey: x-api-key only; iam: x-api-key and a SigV4 signature',
    });
    new CfnOutput(this, 'AggregatorBatchingWindowSeconds', {
      value: String(config.aggregator.maxBatchingWindowSeconds),
      description: 'Longest the aggregator gathers records before features change',
    });
    new CfnOutput(this, 'LakeTimePartitioning', {
      value: config.lake.timePartitioning,
      description: 'hour: events/<source>/dt=YYYY-MM-DD/hr=HH/; date: events/<source>/dt=YYYY-MM-DD/',
    });
    new CfnOutput(this, 'LakeBatchingWindowSeconds', {
      value: String(config.lake.maxBatchingWindowSeconds),
      description: 'Longest the lake writer gathers records before it writes Parquet',
    });
  }
}
