/**
 * The lake half of the stack: the lake writer's mapping and settings, the lake
 * bucket's tiers, the Glue tables (columns from the event schemas, partition
 * projection whose location template matches the writer's paths) and the
 * Athena workgroup's guard rails. Expected values come from the environment
 * config, the catalog and the layout functions the writer itself uses.
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { App, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  deployedLakeSettings,
  ENVIRONMENT_NAMES,
  ENVIRONMENTS,
  type EnvironmentConfig,
  type EnvironmentName,
  lifecycleProblems,
  validateEnvironment,
} from '../../lib/config/environments.js';
import { Lake } from '../../lib/constructs/lake.js';
import { createApp } from '../../lib/featurelake-app.js';
import { batchSources, exampleCatalog, featureViews, sources } from '../../src/features/catalog.js';
import { partitionPath, partitionSchemeFor } from '../../src/lake/layout.js';
import { CLICKSTREAM_HOURLY, DRIFT_TABLE, glueDatabaseName } from '../../src/lake/tables.js';
import { ATHENA_DIR as ATHENA_SQL_DIR } from '../../src/query/sql-library.js';

type Resource = { Type: string; Properties: Record<string, any>; Metadata?: Record<string, string> };

const templates = new Map<EnvironmentName, Template>();
beforeAll(() => {
  for (const env of ENVIRONMENT_NAMES) {
    templates.set(env, Template.fromStack(createApp({ envName: env, bundle: false, checks: false }).stack));
  }
});
const resources = (env: EnvironmentName) => Object.entries(templates.get(env)?.toJSON().Resources as Record<string, Resource>);
const at = (env: EnvironmentName, type: string, pathSuffix: string): [string, Resource] => {
  const found = resources(env).filter(([, r]) => r.Type === type && String(r.Metadata?.['aws:cdk:path']).endsWith(pathSuffix));
  expect(found, `${type} at …${pathSuffix}`).toHaveLength(1);
  return found[0] as [string, Resource];
};
const glueTable = (env: EnvironmentName, name: string) => {
  const found = resources(env).filter(([, r]) => r.Type === 'AWS::Glue::Table' && r.Properties.TableInput.Name === name);
  expect(found, `Glue table ${name}`).toHaveLength(1);
  return (found[0] as [string, Resource])[1].Properties.TableInput;
};
/** A projection template's placeholder, `${name}`. */
const placeholder = (name: string) => `\u0024{${name}}`;
/** `{"Fn::Join": ["", ["s3://", {Ref: bucket}, "/suffix"]]}` → "s3://<bucket>/suffix". */
const joined = (value: any, bucketId: string): string =>
  value['Fn::Join'][1].map((part: any) => (typeof part === 'string' ? part : part.Ref === bucketId ? '<bucket>' : '?')).join('');

describe.each(ENVIRONMENT_NAMES)('%s', (env) => {
  const config = ENVIRONMENTS[env];
  const lake = deployedLakeSettings(config, exampleCatalog);

  it('maps the stream to the lake writer with the lake batching (count and time), retries and an on-failure destination', () => {
    const [writerId] = at(env, 'AWS::Lambda::Function', '/LakeWriter/Function/Resource');
    const [quarantineId] = at(env, 'AWS::S3::Bucket', '/Quarantine/Bucket/Resource');
    const [streamId] = at(env, 'AWS::Kinesis::Stream', '/Ingest/Stream/Resource');
    templates.get(env)?.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: writerId },
      EventSourceArn: { 'Fn::GetAtt': [streamId, 'Arn'] },
      BatchSize: lake.batchSize,
      MaximumBatchingWindowInSeconds: lake.maxBatchingWindowSeconds,
      MaximumRetryAttempts: lake.retryAttempts,
      MaximumRecordAgeInSeconds: lake.maxRecordAgeSeconds,
      BisectBatchOnFunctionError: true,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ParallelizationFactor: 1,
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [quarantineId, 'Arn'] } } },
    });
    expect(lake.batchSize).toBeLessThanOrEqual(10_000);
    expect(lake.maxBatchingWindowSeconds).toBeLessThanOrEqual(300);
  });

  it('configures the lake writer from the lake settings', () => {
    const [, writer] = at(env, 'AWS::Lambda::Function', '/LakeWriter/Function/Resource');
    const [lakeId] = at(env, 'AWS::S3::Bucket', '/Lake/Bucket/Resource');
    const vars = writer.Properties.Environment.Variables;
    expect(vars.LAKE_BUCKET).toEqual({ Ref: lakeId });
    expect(vars.PARQUET_COMPRESSION).toBe(lake.compression);
    expect(vars.TIME_PARTITIONING).toBe(lake.timePartitioning);
    expect(vars.MAX_LATENESS_SECONDS).toBe(String(lake.maxLatenessSeconds));
    expect(vars.MAX_CLOCK_SKEW_SECONDS).toBe(String(config.aggregator.maxClockSkewSeconds));
    expect(writer.Properties.MemorySize).toBe(lake.memoryMb);
    expect(writer.Properties.Timeout).toBe(lake.timeoutSeconds);
  });

  it('tiers old event partitions to cheaper storage classes, each kept its minimum storage duration', () => {
    const [, bucket] = at(env, 'AWS::S3::Bucket', '/Lake/Bucket/Resource');
    const rule = bucket.Properties.LifecycleConfiguration.Rules.find((r: any) => r.Prefix === 'events/');
    // Written out, not read from the config: a wrong setting must fail here.
    const expected = {
      dev: { transitions: [['STANDARD_IA', 30]], expiry: 90 },
      staging: {
        transitions: [
          ['STANDARD_IA', 30],
          ['GLACIER_IR', 90],
        ],
        expiry: 180,
      },
      prod: {
        transitions: [
          ['STANDARD_IA', 60],
          ['GLACIER_IR', 180],
        ],
        expiry: undefined,
      },
    }[env];
    expect(rule.Transitions.map((t: any) => [t.StorageClass, t.TransitionInDays])).toEqual(expected.transitions);
    expect(rule.ExpirationInDays).toBe(expected.expiry);
    // Billing minimums as the S3 User Guide lists them (not the config's table): 30 d IA, 90 d Glacier IR.
    const minimum: Record<string, number> = { STANDARD_IA: 30, GLACIER_IR: 90 };
    const steps = [...rule.Transitions.map((t: any) => [t.StorageClass, t.TransitionInDays]), ['expiry', rule.ExpirationInDays]];
    for (let i = 0; i + 1 < steps.length; i++) {
      const [storageClass, from] = steps[i];
      const until = steps[i + 1][1];
      if (until !== undefined) expect(until - from, `${storageClass} held`).toBeGreaterThanOrEqual(minimum[storageClass] ?? 0);
    }
  });

  it('catalogs one Glue table per event source and per rollup, in the environment database', () => {
    const [dbId, db] = at(env, 'AWS::Glue::Database', '/Catalog/Database/Resource');
    expect(db.Properties.DatabaseInput.Name).toBe(glueDatabaseName(env));
    const tables = resources(env).filter(([, r]) => r.Type === 'AWS::Glue::Table');
    expect(tables.map(([, r]) => r.Properties.TableInput.Name).sort()).toEqual(
      [...sources.map((s) => s.name), ...batchSources.map((b) => b.name), CLICKSTREAM_HOURLY.name, DRIFT_TABLE.name].sort(),
    );
    for (const [, t] of tables) expect(t.Properties.DatabaseName).toEqual({ Ref: dbId });
  });

  it.each(sources.map((s) => [s.name, s] as const))('%s: columns from the schema, event time as a timestamp', (_name, source) => {
    const table = glueTable(env, source.name);
    const columns = table.StorageDescriptor.Columns.map((c: any) => [c.Name, c.Type]);
    const schemaFields = Object.keys((source.schema as any).shape ?? (source.schema as any).def.in.shape);
    expect(columns.map(([n]: [string]) => n)).toEqual([...schemaFields, 'arrival_time', 'record_id']);
    expect(columns).toContainEqual([source.eventTimeField, 'timestamp']);
    expect(table.StorageDescriptor.SerdeInfo.SerializationLibrary).toBe(
      'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe',
    );
    expect(table.Parameters.has_encrypted_data).toBe(false);
  });

  it.each(sources.map((s) => [s.name] as const))(
    '%s: partition projection whose location template is the writer’s path',
    (name) => {
      const [lakeId] = at(env, 'AWS::S3::Bucket', '/Lake/Bucket/Resource');
      const table = glueTable(env, name);
      const p = table.Parameters;
      expect(p['projection.enabled']).toBe('true');
      expect(p['projection.dt.type']).toBe('date');
      expect(p['projection.dt.format']).toBe('yyyy-MM-dd');
      expect(p['projection.dt.range']).toBe(`${lake.oldestPartitionDate},NOW+1DAYS`);
      const keys = table.PartitionKeys.map((k: any) => k.Name);
      if (lake.timePartitioning === 'hour') {
        expect(p['projection.hr.type']).toBe('integer');
        expect(p['projection.hr.range']).toBe('0,23');
        expect(p['projection.hr.digits']).toBe('2');
      }
      // The template with one event's partition values filled in is the key prefix the writer uses for that event.
      const time = Date.UTC(2024, 2, 5, 7, 30);
      const model = lake.predictionModels?.[0];
      const filled = joined(p['storage.location.template'], lakeId)
        .replace(placeholder('dt'), '2024-03-05')
        .replace(placeholder('hr'), '07')
        .replace(placeholder('model'), model ?? '');
      const scheme = partitionSchemeFor(name, lake);
      expect(filled).toBe(`s3://<bucket>/${partitionPath(name, scheme, time, { model_name: model })}`);
      expect(keys).toEqual([...(scheme.byField ? ['model'] : []), 'dt', ...(lake.timePartitioning === 'hour' ? ['hr'] : [])]);
      if (scheme.byField)
        expect(p['projection.model.values'].split(',')).toEqual(expect.arrayContaining([...(lake.predictionModels ?? [])]));
    },
  );

  it('keeps the rollup table unprojected, partitioned by dt and hr under rollups/', () => {
    const [lakeId] = at(env, 'AWS::S3::Bucket', '/Lake/Bucket/Resource');
    const table = glueTable(env, CLICKSTREAM_HOURLY.name);
    expect(table.Parameters['projection.enabled']).toBeUndefined();
    expect(table.PartitionKeys).toEqual([
      { Name: 'dt', Type: 'string' },
      { Name: 'hr', Type: 'int' },
    ]);
    expect(joined(table.StorageDescriptor.Location, lakeId)).toBe('s3://<bucket>/rollups/clickstream_hourly/');
  });

  it('enforces the workgroup configuration: engine v3, encrypted results, bytes cutoff, CloudWatch metrics', () => {
    const [resultsId, results] = at(env, 'AWS::S3::Bucket', '/Queries/ResultsBucket/Resource');
    const [, workgroup] = at(env, 'AWS::Athena::WorkGroup', '/Queries/WorkGroup');
    const c = workgroup.Properties.WorkGroupConfiguration;
    expect(c.EnforceWorkGroupConfiguration).toBe(true);
    expect(c.PublishCloudWatchMetricsEnabled).toBe(true);
    expect(c.BytesScannedCutoffPerQuery).toBe(config.athena.bytesScannedCutoffPerQuery);
    expect(c.EngineVersion.SelectedEngineVersion).toBe('Athena engine version 3');
    expect(c.ResultConfiguration.EncryptionConfiguration).toEqual({ EncryptionOption: 'SSE_S3' });
    expect(joined(c.ResultConfiguration.OutputLocation, resultsId)).toBe('s3://<bucket>/results/');
    expect(results.Properties.LifecycleConfiguration.Rules).toEqual(
      expect.arrayContaining([expect.objectContaining({ ExpirationInDays: config.athena.resultsExpireAfterDays })]),
    );
  });

  it("saves every athena/*.sql file and each view's offline features as a named query in the workgroup", () => {
    const files = readdirSync(ATHENA_SQL_DIR).filter((f) => f.endsWith('.sql'));
    const queries = resources(env).filter(([, r]) => r.Type === 'AWS::Athena::NamedQuery');
    expect(queries.map(([, q]) => q.Properties.Name).sort()).toEqual(
      [...files.map((f) => path.basename(f, '.sql')), ...featureViews.map((v) => `${v.name}_features`)].sort(),
    );
    const [workgroupId] = at(env, 'AWS::Athena::WorkGroup', '/Queries/WorkGroup');
    const [dbId] = at(env, 'AWS::Glue::Database', '/Catalog/Database/Resource');
    for (const [, q] of queries) {
      expect(q.Properties.WorkGroup).toEqual({ Ref: workgroupId });
      expect(q.Properties.Database).toEqual({ Ref: dbId });
      expect(q.Properties.QueryString.length).toBeGreaterThan(0);
    }
    templates.get(env)?.hasResourceProperties('AWS::Athena::NamedQuery', Match.objectLike({ Description: Match.anyValue() }));
  });
});

describe('lake lifecycle invariant', () => {
  const lakeWith = (lifecycle: Partial<EnvironmentConfig['lake']>): EnvironmentConfig => ({
    ...ENVIRONMENTS.staging,
    lake: { ...ENVIRONMENTS.staging.lake, ...lifecycle },
  });
  const problems = (lifecycle: Partial<EnvironmentConfig['lake']>) =>
    validateEnvironment(lakeWith(lifecycle), featureViews).filter((p) => p.startsWith('lake lifecycle'));

  it('refuses Glacier IR at 60 days with expiry at 90 (dev before the fix): 90-day minimum', () => {
    expect(problems({ infrequentAccessAfterDays: 30, glacierAfterDays: 60, expireAfterDays: 90 })).toEqual([
      expect.stringMatching(/GLACIER_IR from day 60 .* expiry at day 90, before its 90-day minimum .*day 150/),
    ]);
  });

  it('refuses leaving Standard-IA for Glacier IR before 30 days in IA', () => {
    expect(problems({ infrequentAccessAfterDays: 30, glacierAfterDays: 45, expireAfterDays: undefined })).toEqual([
      expect.stringMatching(/STANDARD_IA from day 30 .* transition to GLACIER_IR at day 45, before its 30-day minimum/),
    ]);
  });

  it('refuses expiry before (or on) the last transition', () => {
    expect(problems({ infrequentAccessAfterDays: 30, glacierAfterDays: undefined, expireAfterDays: 30 })).toEqual([
      expect.stringMatching(/expiry \(day 30\) must come after the transition to STANDARD_IA/),
    ]);
  });

  it('accepts exactly the minimums, and no expiry at all', () => {
    expect(problems({ infrequentAccessAfterDays: 30, glacierAfterDays: 60, expireAfterDays: 150 })).toEqual([]);
    expect(problems({ infrequentAccessAfterDays: 30, glacierAfterDays: 60, expireAfterDays: undefined })).toEqual([]);
  });

  it('knows the minimum of every class a transition can reach', () => {
    // Amazon S3 User Guide, storage classes compared: IA and One Zone-IA 30 d, Glacier IR and Flexible 90 d, Deep Archive 180 d.
    expect(lifecycleProblems([{ storageClass: 'ONEZONE_IA', afterDays: 30 }], 59)).toHaveLength(1);
    expect(lifecycleProblems([{ storageClass: 'ONEZONE_IA', afterDays: 30 }], 60)).toEqual([]);
    expect(lifecycleProblems([{ storageClass: 'GLACIER', afterDays: 0 }], 89)).toHaveLength(1);
    expect(lifecycleProblems([{ storageClass: 'GLACIER', afterDays: 0 }], 90)).toEqual([]);
    expect(lifecycleProblems([{ storageClass: 'DEEP_ARCHIVE', afterDays: 10 }], 189)).toHaveLength(1);
    expect(lifecycleProblems([{ storageClass: 'DEEP_ARCHIVE', afterDays: 10 }], 190)).toEqual([]);
  });

  it('makes environmentConfig throw for such a config, and the Lake construct refuse it', () => {
    const bad = lakeWith({ infrequentAccessAfterDays: 30, glacierAfterDays: 60, expireAfterDays: 90 });
    expect(validateEnvironment(bad, featureViews).length).toBeGreaterThan(0);
    const stack = new Stack(new App(), 'LifecycleCheck');
    expect(
      () =>
        new Lake(stack, 'Lake', {
          removalPolicy: RemovalPolicy.DESTROY,
          lifecycle: bad.lake,
          accessLogBucket: new Bucket(stack, 'Logs'),
        }),
    ).toThrow(/GLACIER_IR from day 60 .*90-day minimum/);
  });
});
