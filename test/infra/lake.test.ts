/**
 * The lake half of the stack: the lake writer's mapping and settings, the lake
 * bucket's tiers, the Glue tables (columns from the event schemas, partition
 * projection whose location template matches the writer's paths) and the
 * Athena workgroup's guard rails. Expected values come from the environment
 * config, the catalog and the layout functions the writer itself uses.
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { ENVIRONMENT_NAMES, ENVIRONMENTS, type EnvironmentName } from '../../lib/config/environments.js';
import { createApp } from '../../lib/featurelake-app.js';
import { sources } from '../../src/features/catalog.js';
import { partitionPath, partitionSchemeFor } from '../../src/lake/layout.js';
import { CLICKSTREAM_HOURLY, glueDatabaseName } from '../../src/lake/tables.js';
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
  const lake = config.lake;

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

  it('tiers old event partitions to cheaper storage classes', () => {
    const [, bucket] = at(env, 'AWS::S3::Bucket', '/Lake/Bucket/Resource');
    const rule = bucket.Properties.LifecycleConfiguration.Rules.find((r: any) => r.Prefix === 'events/');
    expect(rule.Transitions).toEqual([
      { StorageClass: 'STANDARD_IA', TransitionInDays: lake.infrequentAccessAfterDays },
      { StorageClass: 'GLACIER_IR', TransitionInDays: lake.glacierAfterDays },
    ]);
    expect(rule.ExpirationInDays).toBe(lake.expireAfterDays);
  });

  it('catalogs one Glue table per event source and per rollup, in the environment database', () => {
    const [dbId, db] = at(env, 'AWS::Glue::Database', '/Catalog/Database/Resource');
    expect(db.Properties.DatabaseInput.Name).toBe(glueDatabaseName(env));
    const tables = resources(env).filter(([, r]) => r.Type === 'AWS::Glue::Table');
    expect(tables.map(([, r]) => r.Properties.TableInput.Name).sort()).toEqual(
      [...sources.map((s) => s.name), CLICKSTREAM_HOURLY.name].sort(),
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

  it('saves every athena/*.sql file as a named query in the workgroup', () => {
    const files = readdirSync(ATHENA_SQL_DIR).filter((f) => f.endsWith('.sql'));
    const queries = resources(env).filter(([, r]) => r.Type === 'AWS::Athena::NamedQuery');
    expect(queries.map(([, q]) => q.Properties.Name).sort()).toEqual(files.map((f) => path.basename(f, '.sql')).sort());
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
