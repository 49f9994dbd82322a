/**
 * The hourly rollup as deployed: its bundle carries the SQL library and loads
 * it outside the source tree; a failed run or delivery is dead-lettered; its
 * role has what Athena's INSERT INTO needs as the caller, stopping included.
 */
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../lib/featurelake-app.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const sqlFiles = (dir: string) =>
  readdirSync(dir)
    .filter((f) => f.endsWith('.sql'))
    .sort();

/** Runs `index.handler` of a copied bundle in a fresh node process; resolves to what it threw or returned. */
const RUNNER = `
import { pathToFileURL } from 'node:url';
const context = { getRemainingTimeInMillis: () => 60_000 };
let outcome;
try {
  const mod = await import(pathToFileURL(process.cwd() + '/index.mjs').href);
  outcome = { loaded: true, result: await mod.handler({ hour: '2024-03-05T02:00:00Z' }, context) };
} catch (error) {
  outcome = { loaded: typeof error?.message === 'string' && !/ENOENT/.test(error.message), error: String(error?.message ?? error) };
}
process.stderr.write('OUTCOME ' + JSON.stringify(outcome) + '\\n');
process.exit(0);
`;

describe('the rollup function’s bundle, as cdk synth writes it', () => {
  let outdir: string;
  let taskRoot: string;
  let env: Record<string, string>;

  beforeAll(() => {
    outdir = mkdtempSync(path.join(tmpdir(), 'featurelake-rollup-assembly-'));
    const { app, stack } = createApp({ envName: 'dev', outdir, checks: false });
    app.synth();
    const template = JSON.parse(readFileSync(path.join(outdir, `${stack.stackName}.template.json`), 'utf8'));
    const [, fn] = Object.entries(template.Resources as Record<string, any>).find(
      ([, r]) => r.Type === 'AWS::Lambda::Function' && r.Properties.Environment?.Variables?.FEATURELAKE_FUNCTION === 'rollup',
    ) as [string, any];
    // Outside the repository: nothing can be found by walking up from the bundle.
    taskRoot = path.join(mkdtempSync(path.join(tmpdir(), 'featurelake-rollup-task-')), 'task');
    cpSync(path.join(outdir, fn.Metadata['aws:asset:path']), taskRoot, { recursive: true });
    // The template's environment, references as names; every AWS endpoint a closed port.
    env = Object.fromEntries(
      Object.entries(fn.Properties.Environment.Variables as Record<string, unknown>).map(([k, v]) => [
        k,
        typeof v === 'string' ? v : `resolved-${k.toLowerCase()}`,
      ]),
    );
    Object.assign(env, {
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      AWS_ENDPOINT_URL: 'http://127.0.0.1:1',
      AWS_MAX_ATTEMPTS: '1',
      POWERTOOLS_METRICS_DISABLED: 'true',
    });
  }, 240_000);

  afterAll(() => {
    if (outdir) rmSync(outdir, { recursive: true, force: true });
    if (taskRoot) rmSync(path.dirname(taskRoot), { recursive: true, force: true });
  });

  it('holds the SQL library beside index.mjs: the same files as athena/', () => {
    expect(sqlFiles(path.join(taskRoot, 'athena'))).toEqual(sqlFiles(path.join(ROOT, 'athena')));
    expect(readFileSync(path.join(taskRoot, 'athena', 'rollup_clickstream_hourly.sql'), 'utf8')).toBe(
      readFileSync(path.join(ROOT, 'athena', 'rollup_clickstream_hourly.sql'), 'utf8'),
    );
  });

  it('loads its SQL in a fresh process outside the source tree, and gets as far as calling S3', async () => {
    const stderr = await new Promise<string>((resolve) => {
      execFile(process.execPath, ['--input-type=module', '-e', RUNNER], { cwd: taskRoot, env, timeout: 60_000 }, (_e, _o, err) =>
        resolve(String(err)),
      );
    });
    const line = stderr.split('\n').find((l) => l.startsWith('OUTCOME '));
    expect(line, stderr.slice(-2000)).toBeDefined();
    const outcome = JSON.parse((line as string).slice('OUTCOME '.length)) as { loaded: boolean; error?: string };
    // Without the SQL, the import itself fails (ENOENT … athena). With it, the run binds the hour's
    // SQL and fails only at its first AWS call, on the closed endpoint.
    expect(outcome.error).not.toMatch(/ENOENT|athena/i);
    expect(outcome.error).toMatch(/ECONNREFUSED|connect/i);
    expect(outcome.loaded).toBe(true);
  }, 90_000);
});

describe('the rollup’s failures and permissions (prod template)', () => {
  let t: Template;
  let resources: Record<string, any>;
  beforeAll(() => {
    t = Template.fromStack(createApp({ envName: 'prod', bundle: false, checks: false }).stack);
    resources = t.toJSON().Resources;
  });
  const idOf = (type: string, pathPart: string) => {
    const found = Object.entries(resources).find(
      ([, r]) => r.Type === type && String(r.Metadata?.['aws:cdk:path'] ?? '').includes(pathPart),
    );
    if (!found) throw new Error(`no ${type} at ${pathPart}`);
    return found[0];
  };

  it('never runs twice at once (two runs over one hour would each delete it, then each insert it)', () => {
    const fn = idOf('AWS::Lambda::Function', '/Rollup/Function/');
    expect(resources[fn].Properties.ReservedConcurrentExecutions).toBe(1);
  });

  it('dead-letters undeliverable scheduled events to an encrypted, TLS-only queue, after 2 retries within an hour', () => {
    const queue = idOf('AWS::SQS::Queue', '/Rollup/Failures/');
    expect(resources[queue].Properties).toMatchObject({ SqsManagedSseEnabled: true, MessageRetentionPeriod: 14 * 86_400 });
    t.hasResourceProperties('AWS::Events::Rule', {
      Targets: [
        Match.objectLike({
          Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^RollupFunction'), 'Arn'] },
          DeadLetterConfig: { Arn: { 'Fn::GetAtt': [queue, 'Arn'] } },
          RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 3600 },
        }),
      ],
    });
    t.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [{ Ref: queue }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Action: 'sqs:*',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
          Match.objectLike({ Effect: 'Allow', Action: 'sqs:SendMessage', Principal: { Service: 'events.amazonaws.com' } }),
        ]),
      },
    });
  });

  it('sends a run that still fails after 2 retries to the same queue (Lambda’s on-failure destination)', () => {
    const queue = idOf('AWS::SQS::Queue', '/Rollup/Failures/');
    t.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: Match.stringLikeRegexp('^RollupFunction') },
      MaximumRetryAttempts: 2,
      MaximumEventAgeInSeconds: 3600,
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [queue, 'Arn'] } } },
    });
  });

  it('may stop its queries, read partitions in batches and register the rollup’s partitions', () => {
    const role = idOf('AWS::IAM::Role', '/Rollup/FunctionRole/');
    const statements = Object.values(resources)
      .filter((r) => r.Type === 'AWS::IAM::Policy' && r.Properties.Roles.some((x: { Ref: string }) => x.Ref === role))
      .flatMap((p) => p.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[]);
    const actions = new Set(statements.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action])));
    for (const action of [
      'athena:StartQueryExecution',
      'athena:GetQueryExecution',
      'athena:GetQueryResults',
      'athena:StopQueryExecution',
      'glue:GetTable',
      'glue:GetPartitions',
      'glue:BatchGetPartition',
      'glue:BatchCreatePartition',
      'glue:CreatePartition',
      's3:PutObject',
      's3:AbortMultipartUpload',
      's3:ListMultipartUploadParts',
      'sqs:SendMessage',
    ])
      expect(actions, action).toContain(action);
    const hourlyTable = idOf('AWS::Glue::Table', '/Catalog/Table-clickstream_hourly/');
    const register = statements.find((s) => [s.Action].flat().includes('glue:BatchCreatePartition'));
    expect(JSON.stringify(register?.Resource)).toContain(hourlyTable);
    expect(JSON.stringify(register?.Resource)).not.toMatch(/Table-clickstream[^_]/);
  });
});
