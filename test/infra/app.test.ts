/**
 * The app's entry points: createApp per environment, synthTemplate (what the
 * local stack reads) and bin/app.ts as the CDK CLI runs it.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ENVIRONMENT_NAMES, ENVIRONMENTS, stackName } from '../../lib/config/environments.js';
import { createApp, synthTemplate } from '../../lib/featurelake-app.js';
import { batchSources, sources } from '../../src/features/catalog.js';
import { type CloudFormationTemplate, readTemplate } from '../../src/local/template-model.js';

describe('createApp', () => {
  it('builds one stack named after the environment', () => {
    for (const env of ENVIRONMENT_NAMES) {
      const { app, stack } = createApp({ envName: env, bundle: false, checks: false });
      expect(stack.stackName).toBe(stackName(env));
      expect(app.node.children.filter((c) => c === stack)).toHaveLength(1);
    }
  });

  it('rejects an unknown environment, naming the valid ones', () => {
    expect(() => createApp({ envName: 'qa', bundle: false })).toThrow(/unknown environment "qa": use one of dev, staging, prod/);
  });
});

describe('synthTemplate', () => {
  it.each(ENVIRONMENT_NAMES)('gives the local stack everything it reads (%s)', (env) => {
    const config = ENVIRONMENTS[env];
    const model = readTemplate(synthTemplate(env) as CloudFormationTemplate, stackName(env));
    expect(model.streams).toHaveLength(1);
    expect(model.tables).toHaveLength(1);
    expect(model.functions.map((f) => f.handlerName).sort()).toEqual([
      'aggregator',
      'batch-ingest',
      'compactor',
      'drift',
      'feature-api',
      'lake-writer',
      'predict',
      'rollup',
    ]);
    const lakeWriter = model.functions.find((f) => f.handlerName === 'lake-writer');
    expect(model.buckets.map((b) => b.name)).toContain(lakeWriter?.env.LAKE_BUCKET);
    const aggregator = model.functions.find((f) => f.handlerName === 'aggregator');
    expect(aggregator?.env.TABLE_NAME).toBe(model.tables[0]?.name);
    expect(model.buckets.map((b) => b.name)).toContain(aggregator?.env.QUARANTINE_BUCKET);
    expect(model.eventSourceMappings).toEqual([
      expect.objectContaining({
        batchSize: config.aggregator.batchSize,
        bisectOnError: true,
        reportBatchItemFailures: true,
        onFailureBucket: aggregator?.env.QUARANTINE_BUCKET,
      }),
      expect.objectContaining({
        functionLogicalId: expect.stringMatching(/^LakeWriter/),
        batchSize: config.lake.batchSize,
        maxBatchingWindowSeconds: config.lake.maxBatchingWindowSeconds,
        bisectOnError: true,
        reportBatchItemFailures: true,
        onFailureBucket: aggregator?.env.QUARANTINE_BUCKET,
      }),
    ]);
    expect(model.api?.routes).toHaveLength(4);
    expect(model.api?.routes).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ method: 'GET', resourcePath: '/features/{entityType}/{entityId}', apiKeyRequired: true }),
        expect.objectContaining({ method: 'POST', resourcePath: '/features/{entityType}', apiKeyRequired: true }),
        expect.objectContaining({ method: 'POST', resourcePath: '/predict', apiKeyRequired: true }),
        expect.objectContaining({ method: 'GET', resourcePath: '/health', apiKeyRequired: true }),
      ]),
    );
    expect(model.api?.throttle).toEqual(config.api.throttle);
    expect(model.api?.quota).toEqual(config.api.quota);
  });
});

describe('bin/app.ts under the CDK CLI protocol', () => {
  const run = (context: Record<string, unknown>, outdir: string) =>
    execFileSync(process.execPath, ['--import', 'tsx', 'bin/app.ts'], {
      cwd: path.resolve(import.meta.dirname, '../..'),
      env: { ...process.env, CDK_OUTDIR: outdir, CDK_CONTEXT_JSON: JSON.stringify(context) },
      stdio: 'pipe',
    });

  it('synthesizes dev when no env is given, and fails clearly for an unknown one', () => {
    const outdir = mkdtempSync(path.join(tmpdir(), 'featurelake-bin-'));
    try {
      // Bundling skipped the way the CLI would pass it: `-c aws:cdk:bundling-stacks=[]`.
      run({ 'aws:cdk:bundling-stacks': [] }, outdir);
      const file = path.join(outdir, 'featurelake-dev.template.json');
      expect(existsSync(file)).toBe(true);
      expect(JSON.parse(readFileSync(file, 'utf8')).Outputs).toHaveProperty('ApiKeyId');
      expect(() => run({ env: 'qa' }, outdir)).toThrow(/unknown environment "qa"/);
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  });
});

/**
 * A physical name CloudFormation does not generate, per resource type: a resource carrying one that
 * outlives its stack blocks the next CREATE of the same stack (AlreadyExistsException).
 */
const FIXED_NAMES: Record<string, (p: Record<string, any>) => unknown> = {
  'AWS::Glue::Database': (p) => p.DatabaseInput?.Name,
  'AWS::Glue::Table': (p) => p.TableInput?.Name,
  'AWS::Athena::WorkGroup': (p) => p.Name,
  'AWS::S3::Bucket': (p) => p.BucketName,
  'AWS::DynamoDB::Table': (p) => p.TableName,
  'AWS::Kinesis::Stream': (p) => p.Name,
  'AWS::Logs::LogGroup': (p) => p.LogGroupName,
  'AWS::Lambda::Function': (p) => p.FunctionName,
  'AWS::IAM::Role': (p) => p.RoleName,
  'AWS::SNS::Topic': (p) => p.TopicName,
  'AWS::KMS::Alias': (p) => p.AliasName,
};

describe('a destroyed environment can be deployed again', () => {
  const RETAINING = new Set(['Retain', 'RetainExceptOnCreate']);
  const templates = new Map<string, { Resources: Record<string, any> }>();
  const templateOf = (env: string) => {
    if (!templates.has(env)) templates.set(env, synthTemplate(env) as { Resources: Record<string, any> });
    return templates.get(env) as { Resources: Record<string, any> };
  };

  it.each(['dev', 'staging'])('%s: nothing that outlives the stack has a fixed name', (env) => {
    const leftBehind = Object.entries(templateOf(env).Resources)
      .filter(([, r]) => RETAINING.has(r.DeletionPolicy) && FIXED_NAMES[r.Type]?.(r.Properties ?? {}) !== undefined)
      .map(([id, r]) => `${id} (${r.Type} ${JSON.stringify(FIXED_NAMES[r.Type]?.(r.Properties ?? {}))})`);
    expect(leftBehind).toEqual([]);
  });

  it.each(['dev', 'staging', 'prod'])('%s: the access-log bucket is retained, never emptied on delete, and unnamed', (env) => {
    const resources = templateOf(env).Resources;
    const loggedTo = new Set(
      Object.values(resources)
        .map((r) => r.Properties?.LoggingConfiguration?.DestinationBucketName?.Ref)
        .filter((id): id is string => typeof id === 'string'),
    );
    expect(loggedTo.size).toBe(1);
    const [logBucketId] = [...loggedTo];
    const logBucket = resources[logBucketId as string];
    expect([logBucket.DeletionPolicy, logBucket.Properties.BucketName]).toEqual(['Retain', undefined]);
    const emptiers = Object.values(resources).filter(
      (r) => r.Type === 'Custom::S3AutoDeleteObjects' && r.Properties.BucketName?.Ref === logBucketId,
    );
    expect(emptiers).toEqual([]);
  });

  // The Glue catalog is named featurelake_<env>: it goes with dev and staging, and stays with prod's lake.
  it.each([
    ['dev', 'Delete'],
    ['staging', 'Delete'],
    ['prod', 'Retain'],
  ])('%s: the Glue database and tables are deletion policy %s', (env, policy) => {
    const glue = Object.values(templateOf(env).Resources).filter((r) => r.Type.startsWith('AWS::Glue::'));
    // The database, and a table per event source and batch source of the example catalog, for the hourly rollup
    // and for drift (lake.test.ts names them).
    const tables = sources.length + batchSources.length + 2;
    expect(glue.map((r) => r.Type).sort()).toEqual(['AWS::Glue::Database', ...Array(tables).fill('AWS::Glue::Table')]);
    for (const r of glue) expect([r.Type, r.DeletionPolicy, r.UpdateReplacePolicy]).toEqual([r.Type, policy, policy]);
  });
});
