/**
 * The stack per environment: one assertion per behaviour, expected values read
 * from the environment config and the tile layout (the sources of truth), not
 * from the constructs under test. Lambda code is not bundled here.
 */
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { ENVIRONMENT_NAMES, ENVIRONMENTS, type EnvironmentName } from '../../lib/config/environments.js';
import { createApp } from '../../lib/featurelake-app.js';
import { KEY, TTL_ATTRIBUTE } from '../../src/online-store/tile-item.js';

type Resources = Record<string, { Type: string; Properties?: Record<string, any>; DeletionPolicy?: string }>;

const templates = new Map<EnvironmentName, Template>();
beforeAll(() => {
  for (const env of ENVIRONMENT_NAMES) {
    templates.set(env, Template.fromStack(createApp({ envName: env, bundle: false, checks: false }).stack));
  }
});
const template = (env: EnvironmentName) => templates.get(env) as Template;

/** Logical id of the only resource of a type matching the properties. */
function idOf(t: Template, type: string, props: Record<string, unknown> = {}): string {
  const ids = Object.keys(t.findResources(type, { Properties: Match.objectLike(props) }));
  expect(ids, `${type} matching ${JSON.stringify(props)}`).toHaveLength(1);
  return ids[0] as string;
}
/** Logical id of the only resource of a type whose construct path ends in `pathSuffix`. */
function idAt(t: Template, type: string, pathSuffix: string): string {
  const ids = Object.entries(t.findResources(type))
    .filter(([, r]) => String(r.Metadata?.['aws:cdk:path'] ?? '').endsWith(pathSuffix))
    .map(([id]) => id);
  expect(ids, `${type} at …${pathSuffix}`).toHaveLength(1);
  return ids[0] as string;
}
const quarantineBucketId = (t: Template) => idAt(t, 'AWS::S3::Bucket', '/Quarantine/Bucket/Resource');
const accessLogBucketId = (t: Template) => idAt(t, 'AWS::S3::Bucket', '/Quarantine/AccessLogBucket/Resource');
const lakeBucketId = (t: Template) => idAt(t, 'AWS::S3::Bucket', '/Lake/Bucket/Resource');
const resultsBucketId = (t: Template) => idAt(t, 'AWS::S3::Bucket', '/Queries/ResultsBucket/Resource');
const modelsBucketId = (t: Template) => idOf(t, 'AWS::S3::Bucket', { LoggingConfiguration: { LogFilePrefix: 'models/' } });
const allBucketIds = (t: Template) => [
  quarantineBucketId(t),
  accessLogBucketId(t),
  lakeBucketId(t),
  resultsBucketId(t),
  modelsBucketId(t),
];
const functionId = (t: Template, name: string) =>
  idOf(t, 'AWS::Lambda::Function', { Environment: { Variables: { FEATURELAKE_FUNCTION: name } } });

describe.each(ENVIRONMENT_NAMES)('%s', (env) => {
  const config = ENVIRONMENTS[env];

  it('has one of each core resource', () => {
    const t = template(env);
    t.resourceCountIs('AWS::Kinesis::Stream', 1);
    t.resourceCountIs('AWS::DynamoDB::Table', 1);
    t.resourceCountIs('AWS::S3::Bucket', 5);
    t.resourceCountIs('AWS::Lambda::EventSourceMapping', 2);
    t.resourceCountIs('AWS::Glue::Database', 1);
    t.resourceCountIs('AWS::Athena::WorkGroup', 1);
    t.resourceCountIs('AWS::ApiGateway::RestApi', 1);
    t.resourceCountIs('AWS::ApiGateway::Method', 4);
    t.resourceCountIs('AWS::ApiGateway::UsagePlan', 1);
    t.resourceCountIs('AWS::ApiGateway::ApiKey', 1);
    t.resourceCountIs('AWS::ApiGateway::UsagePlanKey', 1);
    t.resourceCountIs('AWS::SNS::Topic', 1);
    // Iterator age ×2, quarantine, function errors ×8, API 5xx and 4xx rate, the rollup's, compaction's, batch
    // ingest's, data-quality report's and drift job's dead letters, predict p99 latency, prediction log failures,
    // refused model versions, freshness, and drift: 3 per catalog model and one per threshold its features set
    // (test/infra/drift-monitor.test.ts names them).
    t.resourceCountIs('AWS::CloudWatch::Alarm', 33);
    t.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    // The rollup's, compaction's and drift job's schedules, and the batch ingest's uploads.
    t.resourceCountIs('AWS::Events::Rule', 4);
    const featureFunctions = t.findResources('AWS::Lambda::Function', {
      Properties: { Environment: { Variables: { FEATURELAKE_FUNCTION: Match.anyValue() } } },
    });
    expect(Object.keys(featureFunctions)).toHaveLength(8);
  });

  it('encrypts the stream with the AWS managed Kinesis key and sizes it from the config', () => {
    const provisioned = config.stream.capacityMode === 'PROVISIONED';
    template(env).hasResourceProperties('AWS::Kinesis::Stream', {
      StreamEncryption: { EncryptionType: 'KMS', KeyId: 'alias/aws/kinesis' },
      StreamModeDetails: { StreamMode: config.stream.capacityMode },
      RetentionPeriodHours: config.stream.retentionHours,
      ShardCount: provisioned ? config.stream.shardCount : Match.absent(),
    });
  });

  it('maps the stream to the aggregator with the configured batching, retries and an S3 on-failure destination', () => {
    const t = template(env);
    const a = config.aggregator;
    t.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [idOf(t, 'AWS::Kinesis::Stream'), 'Arn'] },
      FunctionName: { Ref: functionId(t, 'aggregator') },
      BatchSize: a.batchSize,
      MaximumBatchingWindowInSeconds: a.maxBatchingWindowSeconds,
      StartingPosition: a.startingPosition,
      MaximumRetryAttempts: a.retryAttempts,
      MaximumRecordAgeInSeconds: a.maxRecordAgeSeconds,
      BisectBatchOnFunctionError: true,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ParallelizationFactor: 1,
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [quarantineBucketId(t), 'Arn'] } } },
    });
  });

  it('keys the online store as tiles are laid out, with PITR, TTL and encryption', () => {
    template(env).hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [
        { AttributeName: KEY.partition, KeyType: 'HASH' },
        { AttributeName: KEY.sort, KeyType: 'RANGE' },
      ],
      AttributeDefinitions: Match.arrayWith([
        { AttributeName: KEY.partition, AttributeType: 'S' },
        { AttributeName: KEY.sort, AttributeType: 'S' },
      ]),
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      TimeToLiveSpecification: { AttributeName: TTL_ATTRIBUTE, Enabled: true },
      SSESpecification: { SSEEnabled: true },
    });
  });

  it('encrypts every bucket, blocks public access and disables ACLs', () => {
    const t = template(env);
    const buckets = t.findResources('AWS::S3::Bucket', {
      Properties: {
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
        },
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true,
        },
        OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
      },
    });
    expect(Object.keys(buckets).sort()).toEqual(allBucketIds(template(env)).sort());
  });

  it('denies non-TLS and pre-TLS-1.2 requests on every bucket', () => {
    const t = template(env);
    for (const bucket of allBucketIds(t)) {
      t.hasResourceProperties('AWS::S3::BucketPolicy', {
        Bucket: { Ref: bucket },
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
            Match.objectLike({ Effect: 'Deny', Condition: { NumericLessThan: { 's3:TlsVersion': 1.2 } } }),
          ]),
        },
      });
    }
  });

  it('logs quarantine bucket access to the access-log bucket and expires quarantined objects', () => {
    const t = template(env);
    const days = config.retainData ? 400 : 90;
    // Log delivery is let in by bucket policy, not an ACL (ACLs are disabled on every bucket).
    expect(t.toJSON().Resources[accessLogBucketId(t)].Properties.AccessControl).toBeUndefined();
    t.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: accessLogBucketId(t) },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Allow', Principal: { Service: 'logging.s3.amazonaws.com' }, Action: 's3:PutObject' }),
        ]),
      },
    });
    const quarantine = t.toJSON().Resources[quarantineBucketId(t)].Properties;
    expect(quarantine.LoggingConfiguration.DestinationBucketName).toEqual({ Ref: accessLogBucketId(t) });
    expect(quarantine.LifecycleConfiguration.Rules).toEqual(
      expect.arrayContaining([expect.objectContaining({ ExpirationInDays: days, Status: 'Enabled' })]),
    );
    // Every other bucket logs its access there too.
    for (const id of [lakeBucketId(t), resultsBucketId(t)]) {
      expect(t.toJSON().Resources[id].Properties.LoggingConfiguration.DestinationBucketName).toEqual({
        Ref: accessLogBucketId(t),
      });
    }
  });

  it('throttles and caps API keys with the configured usage plan', () => {
    const t = template(env);
    const { throttle, quota } = config.api;
    t.hasResourceProperties('AWS::ApiGateway::UsagePlan', {
      Throttle: { RateLimit: throttle.rateLimit, BurstLimit: throttle.burstLimit },
      Quota: { Limit: quota.limit, Period: quota.period },
      ApiStages: [Match.objectLike({ ApiId: { Ref: idOf(t, 'AWS::ApiGateway::RestApi') } })],
    });
    t.hasResourceProperties('AWS::ApiGateway::UsagePlanKey', {
      KeyId: { Ref: idOf(t, 'AWS::ApiGateway::ApiKey') },
      KeyType: 'API_KEY',
      UsagePlanId: { Ref: idOf(t, 'AWS::ApiGateway::UsagePlan') },
    });
  });

  it(`serves GET /features/{entityType}/{entityId} with an API key${config.api.auth === 'iam' ? ' and IAM' : ''}`, () => {
    const t = template(env);
    t.hasResourceProperties('AWS::ApiGateway::Method', {
      HttpMethod: 'GET',
      ApiKeyRequired: true,
      AuthorizationType: config.api.auth === 'iam' ? 'AWS_IAM' : 'NONE',
      RequestParameters: {
        'method.request.path.entityType': true,
        'method.request.path.entityId': true,
        'method.request.querystring.views': false,
      },
      RequestValidatorId: { Ref: idOf(t, 'AWS::ApiGateway::RequestValidator', { ValidateRequestParameters: true }) },
      Integration: { Type: 'AWS_PROXY', IntegrationHttpMethod: 'POST' },
    });
    t.hasResourceProperties('AWS::ApiGateway::Resource', { PathPart: '{entityId}' });
  });

  it('logs API access to its own log group, with execution logs and metrics on the whole stage', () => {
    const t = template(env);
    const accessLogs = Object.keys(t.findResources('AWS::Logs::LogGroup')).filter((id) => id.includes('AccessLogs'));
    expect(accessLogs).toHaveLength(1);
    t.hasResourceProperties('AWS::ApiGateway::Stage', {
      AccessLogSetting: {
        DestinationArn: Match.objectLike({ 'Fn::Join': ['', Match.arrayWith([{ Ref: accessLogs[0] }])] }),
        Format: Match.stringLikeRegexp('apiKeyId'),
      },
      MethodSettings: [
        Match.objectLike({
          HttpMethod: '*',
          ResourcePath: '/*',
          LoggingLevel: 'ERROR',
          MetricsEnabled: true,
          DataTraceEnabled: false,
        }),
      ],
    });
  });

  it(`keeps every log for ${config.logRetentionDays} days`, () => {
    const t = template(env);
    const groups = Object.values(t.findResources('AWS::Logs::LogGroup'));
    expect(groups).toHaveLength(9);
    for (const group of groups) expect(group.Properties.RetentionInDays).toBe(config.logRetentionDays);
  });

  it(`${config.retainData ? 'retains' : 'destroys'} the data stores with the stack`, () => {
    const t = template(env);
    const policy = config.retainData ? 'Retain' : 'Delete';
    const accessLogs = accessLogBucketId(t);
    for (const type of ['AWS::DynamoDB::Table', 'AWS::S3::Bucket', 'AWS::Kinesis::Stream', 'AWS::Logs::LogGroup']) {
      const resources = Object.entries(t.findResources(type)) as [string, Resources[string]][];
      expect(resources.length).toBeGreaterThan(0);
      for (const [id, resource] of resources) {
        // The access-log bucket outlives every stack: logs of emptying the others arrive after it would be emptied.
        expect(resource.DeletionPolicy, `${type} ${id}`).toBe(id === accessLogs ? 'Retain' : policy);
      }
    }
    // Destroyed buckets are emptied first (the quarantine, lake, results and models buckets); retained ones never are.
    t.resourceCountIs('Custom::S3AutoDeleteObjects', config.retainData ? 0 : 4);
    t.hasResourceProperties('AWS::DynamoDB::Table', { DeletionProtectionEnabled: config.retainData });
  });

  it('alarms on any scheduled run left in a dead-letter queue', () => {
    const t = template(env);
    const queues = Object.keys(t.findResources('AWS::SQS::Queue')).filter((id) => /Failures/.test(id));
    // The rollup's, compaction's, batch ingest's, data-quality report's and drift job's.
    expect(queues).toHaveLength(5);
    for (const queue of queues) {
      t.hasResourceProperties('AWS::CloudWatch::Alarm', {
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Namespace: 'AWS/SQS',
        Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [queue, 'QueueName'] } }],
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        AlarmActions: [Match.anyValue()],
      });
    }
  });

  it('alarms on the aggregator falling behind the stream', () => {
    const t = template(env);
    t.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/Lambda',
      MetricName: 'IteratorAge',
      Statistic: 'Maximum',
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: Match.stringLikeRegexp('^AggregatorFunction') } }],
      Threshold: config.alarms.iteratorAgeMs,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    });
  });

  it('alarms on records quarantined in 5 minutes', () => {
    const t = template(env);
    const id = idOf(t, 'AWS::CloudWatch::Alarm', {
      Namespace: 'featurelake',
      MetricName: 'QuarantinedRecords',
      Statistic: 'Sum',
      Period: 300,
      Threshold: config.alarms.quarantinedPer5Min,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    });
    // The dimensions Powertools Metrics publishes with: its service name plus the default `environment`.
    const dimensions = t.toJSON().Resources[id].Properties.Dimensions;
    expect(dimensions).toHaveLength(2);
    expect(dimensions).toEqual(
      expect.arrayContaining([
        { Name: 'service', Value: 'aggregator' },
        { Name: 'environment', Value: env },
      ]),
    );
  });

  it(`compacts the lake ${config.lake.compaction.frequency}, with the writer's layout and codec`, () => {
    const t = template(env);
    const { compaction } = config.lake;
    t.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: compaction.frequency === 'hourly' ? 'cron(45 * * * ? *)' : `cron(0 ${compaction.hourOfDay} * * ? *)`,
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^CompactionFunction'), 'Arn'] } })],
    });
    t.hasResourceProperties('AWS::Lambda::Function', {
      MemorySize: compaction.memoryMb,
      Timeout: compaction.timeoutSeconds,
      Environment: {
        Variables: Match.objectLike({
          FEATURELAKE_FUNCTION: 'compactor',
          TIME_PARTITIONING: config.lake.timePartitioning,
          PARQUET_COMPRESSION: config.lake.compression,
          COMPACTION_FREQUENCY: compaction.frequency,
          COMPACTION_DAYS_BACK: String(compaction.daysBack),
          COMPACTION_MIN_AGE_HOURS: String(compaction.minAgeHours),
          COMPACTION_MAX_INPUT_MB: String(compaction.maxInputMb),
        }),
      },
    });
  });

  it('runs the hourly rollup at the configured minute, on Athena, over the configured hours', () => {
    const t = template(env);
    t.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: `cron(${config.athena.rollup.minuteOfHour} * * * ? *)`,
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^RollupFunction'), 'Arn'] } })],
    });
    t.hasResourceProperties('AWS::Lambda::Function', {
      Timeout: config.athena.rollup.timeoutSeconds,
      Environment: {
        Variables: Match.objectLike({
          FEATURELAKE_FUNCTION: 'rollup',
          ROLLUP_HOURS_BACK: String(config.athena.rollup.hoursBack),
          TIME_PARTITIONING: config.lake.timePartitioning,
          ATHENA_WORKGROUP: { Ref: Match.stringLikeRegexp('^QueriesWorkGroup') },
          GLUE_DATABASE: { Ref: Match.stringLikeRegexp('^CatalogDatabase') },
        }),
      },
    });
  });

  it('alarms on each function’s errors and on API 5xx', () => {
    const t = template(env);
    for (const prefix of ['^AggregatorFunction', '^FeatureApiFunction', '^LakeWriterFunction', '^RollupFunction']) {
      t.hasResourceProperties('AWS::CloudWatch::Alarm', {
        MetricName: 'Errors',
        Dimensions: [{ Name: 'FunctionName', Value: { Ref: Match.stringLikeRegexp(prefix) } }],
        Statistic: 'Sum',
        Period: 300,
        Threshold: config.alarms.functionErrorsPer5Min,
      });
    }
    t.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/ApiGateway',
      MetricName: '5XXError',
      Statistic: 'Sum',
      Period: 300,
      Threshold: config.alarms.api5xxPer5Min,
    });
  });

  it('sends every alarm to a KMS-encrypted, TLS-only topic', () => {
    const t = template(env);
    const topic = idOf(t, 'AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
    for (const alarm of Object.values(t.findResources('AWS::CloudWatch::Alarm'))) {
      expect(alarm.Properties.AlarmActions).toEqual([{ Ref: topic }]);
    }
    t.hasResourceProperties('AWS::SNS::TopicPolicy', {
      Topics: [{ Ref: topic }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
    t.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
  });

  it('outputs what callers and operators need', () => {
    const outputs = template(env).toJSON().Outputs as Record<string, unknown>;
    expect(Object.keys(outputs)).toEqual(
      expect.arrayContaining([
        'StreamName',
        'TableName',
        'QuarantineBucketName',
        'ApiUrl',
        'ApiKeyId',
        'LakeBucketName',
        'GlueDatabaseName',
        'AthenaWorkGroup',
      ]),
    );
  });

  it('outputs what a client of the deployment (npm run test:target) needs to find and wait for it', () => {
    const outputs = template(env).toJSON().Outputs as Record<string, { Value: unknown }>;
    // Literal expectations per environment, written from docs/deploy.md's table rather than read from the config.
    const documented = {
      dev: { auth: 'apiKey', aggregatorWindow: '2', lakeWindow: '60' },
      staging: { auth: 'apiKey', aggregatorWindow: '5', lakeWindow: '60' },
      prod: { auth: 'iam', aggregatorWindow: '2', lakeWindow: '60' },
    }[env];
    expect(outputs.Region?.Value).toEqual({ Ref: 'AWS::Region' });
    expect(outputs.EnvName?.Value).toBe(env);
    expect(outputs.ApiAuth?.Value).toBe(documented.auth);
    expect(outputs.AggregatorBatchingWindowSeconds?.Value).toBe(documented.aggregatorWindow);
    expect(outputs.LakeTimePartitioning?.Value).toBe('hour');
    expect(outputs.LakeBatchingWindowSeconds?.Value).toBe(documented.lakeWindow);
  });

  it('grants no IAM identity a wildcard action', () => {
    const t = template(env).toJSON().Resources as Resources;
    const statements = Object.entries(t).flatMap(([id, r]) => {
      if (r.Type === 'AWS::IAM::Policy' || r.Type === 'AWS::IAM::ManagedPolicy') {
        return (r.Properties?.PolicyDocument.Statement ?? []).map((s: any) => [id, s]);
      }
      if (r.Type === 'AWS::IAM::Role') {
        return (r.Properties?.Policies ?? []).flatMap((p: any) => p.PolicyDocument.Statement.map((s: any) => [id, s]));
      }
      return [];
    });
    expect(statements.length).toBeGreaterThan(0);
    const wildcards = statements
      .filter(([, s]) => s.Effect === 'Allow')
      .flatMap(([id, s]) =>
        [s.Action]
          .flat()
          .filter((a: string) => a.includes('*'))
          .map((a: string) => `${id}: ${a}`),
      );
    expect(wildcards).toEqual([]);
  });

  it('allows wildcard actions on the buckets only to the CDK empty-on-delete provider, and only outside prod data', () => {
    const t = template(env).toJSON().Resources as Resources;
    const allows = Object.values(t)
      .filter((r) => r.Type === 'AWS::S3::BucketPolicy')
      .flatMap((r) => r.Properties?.PolicyDocument.Statement as any[])
      .filter((s) => s.Effect === 'Allow' && [s.Action].flat().some((a: string) => a.includes('*')));
    for (const s of allows) {
      expect(JSON.stringify(s.Principal)).toMatch(/CustomS3AutoDeleteObjectsCustomResourceProviderRole/);
    }
    // Every bucket but the retained access-log bucket is emptied on delete outside prod.
    expect(allows).toHaveLength(config.retainData ? 0 : allBucketIds(template(env)).length - 1);
  });
});
