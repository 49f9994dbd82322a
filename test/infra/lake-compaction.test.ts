/**
 * The compactor as deployed (LakeCompaction, prod's template):
 * - a failed run or an undeliverable scheduled event is kept: the rule's
 *   target has a retry policy and an encrypted, TLS-only dead-letter queue;
 *   the function's asynchronous invoke has retries and an on-failure
 *   destination, the same queue, which the role may send to;
 * - its role allows every S3 request compaction makes. The requests are
 *   recorded from real runs against the S3 emulator (a normal run, crash
 *   recovery with the output present and absent, a partition that fails), each
 *   turned into what AWS authorizes (action, resource, the condition keys the
 *   request carries), and evaluated against the role's policy as synthesized,
 *   and against the lake bucket's policy (which denies non-TLS requests).
 */
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { ENVIRONMENTS } from '../../lib/config/environments.js';
import { createApp } from '../../lib/featurelake-app.js';
import { s3Client } from '../../src/aws/clients.js';
import { sources } from '../../src/features/catalog.js';
import { type CompactionOptions, compactDay } from '../../src/lake/compaction.js';
import { createLakeWriter } from '../../src/lake/lake-writer.js';
import { COMPACTION_PREFIX, partitionSchemeFor } from '../../src/lake/layout.js';
import { encodeParquet } from '../../src/lake/parquet/index.js';
import type { Emulators } from '../../src/local/emulators.js';
import { useEmulators } from '../support/emulators.js';
import { asRecords, clickEvents } from '../support/events.js';
import { failingClient } from '../support/faults.js';

const { stack } = createApp({ envName: 'prod', bundle: false, checks: false });
const template = Template.fromStack(stack);
const logicalId = (c: { node: { defaultChild?: unknown } }) => stack.getLogicalId(c.node.defaultChild as never);
const queueId = logicalId(stack.compaction.failures);
const queueArn = { 'Fn::GetAtt': [queueId, 'Arn'] };

describe('LakeCompaction: one run at a time', () => {
  it('never runs twice at once (runs that listed different files would merge the shared ones twice)', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      FunctionName: Match.absent(),
      Environment: { Variables: Match.objectLike({ FEATURELAKE_FUNCTION: 'compactor' }) },
      ReservedConcurrentExecutions: 1,
    });
  });
});

describe('LakeCompaction: failed runs are kept', () => {
  it('the schedule retries delivery, then sends the event to an encrypted dead-letter queue', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      Targets: [
        Match.objectLike({
          Arn: { 'Fn::GetAtt': [logicalId(stack.compaction.function), 'Arn'] },
          DeadLetterConfig: { Arn: queueArn },
          RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 6 * 3600 },
        }),
      ],
    });
  });

  it('the function retries a failed run twice, then sends the event to the same queue', () => {
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: logicalId(stack.compaction.function) },
      MaximumRetryAttempts: 2,
      MaximumEventAgeInSeconds: 6 * 3600,
      DestinationConfig: { OnFailure: { Destination: queueArn } },
    });
    // The destination is sent to with the function's role.
    const policies = template.findResources('AWS::IAM::Policy', {
      Properties: { Roles: [{ Ref: logicalId(stack.compaction.function.role as never) }] },
    });
    const statements = Object.values(policies).flatMap((p) => p.Properties.PolicyDocument.Statement);
    expect(statements).toContainEqual(
      expect.objectContaining({ Effect: 'Allow', Action: expect.arrayContaining(['sqs:SendMessage']), Resource: queueArn }),
    );
  });

  it('the queue is encrypted (SSE-SQS), TLS-only, keeps messages 14 days, and lets only this rule send to it', () => {
    template.hasResourceProperties('AWS::SQS::Queue', { SqsManagedSseEnabled: true, MessageRetentionPeriod: 14 * 86400 });
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [{ Ref: queueId }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          Match.objectLike({
            Effect: 'Allow',
            Action: 'sqs:SendMessage',
            Principal: { Service: 'events.amazonaws.com' },
            Condition: { ArnEquals: { 'aws:SourceArn': { 'Fn::GetAtt': [logicalId(stack.compaction.schedule), 'Arn'] } } },
          }),
        ]),
      },
    });
  });
});

// ---- the role's policy against the requests compaction makes ----

type Condition = Record<string, Record<string, string | string[]>>;
interface Statement {
  Effect: 'Allow' | 'Deny';
  Action: string | string[];
  Resource: string | string[];
  Condition?: Condition;
}
/** What AWS authorizes for one request: an action on a resource, with the condition keys the request carries. */
interface Authorization {
  readonly call: string;
  readonly action: string;
  readonly resource: string;
  readonly context: Readonly<Record<string, string>>;
}

const BUCKET = 'lake-compaction-policy';
const BUCKET_ARN = `arn:aws:s3:::${BUCKET}`;

/** The template's intrinsics with the lake bucket's name and ARN filled in. */
function resolve(value: unknown): unknown {
  const bucketId = logicalId(stack.lake.bucket);
  if (Array.isArray(value)) return value.map(resolve);
  if (value && typeof value === 'object') {
    const o = value as Record<string, unknown>;
    if ('Fn::GetAtt' in o) {
      const [id, attr] = o['Fn::GetAtt'] as [string, string];
      return id === bucketId && attr === 'Arn' ? BUCKET_ARN : `<${id}.${attr}>`;
    }
    if ('Ref' in o) return o.Ref === bucketId ? BUCKET : `<${String(o.Ref)}>`;
    if ('Fn::Join' in o) {
      const [sep, parts] = o['Fn::Join'] as [string, unknown[]];
      return parts.map((p) => String(resolve(p))).join(sep);
    }
    return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, resolve(v)]));
  }
  return value;
}

const list = <T>(v: T | T[]): T[] => (Array.isArray(v) ? v : [v]);
/** IAM's wildcard match: `*` any run of characters, `?` one character. */
const like = (pattern: string, value: string) =>
  new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replaceAll('*', '.*')
      .replaceAll('?', '.')}$`,
  ).test(value);

/** Whether a statement's conditions hold for a request context; a missing key fails every operator used here. */
function conditionsHold(condition: Condition | undefined, context: Readonly<Record<string, string>>): boolean {
  return Object.entries(condition ?? {}).every(([operator, keys]) =>
    Object.entries(keys).every(([key, wanted]) => {
      const actual = context[key];
      if (actual === undefined) return false;
      switch (operator) {
        case 'StringLike':
          return list(wanted).some((w) => like(w, actual));
        case 'StringEquals':
        case 'Bool':
          return list(wanted).some((w) => w === actual);
        default:
          throw new Error(`condition operator ${operator} is not modelled by this test`);
      }
    }),
  );
}

const applies = (s: Statement, a: Authorization) =>
  list(s.Action).some((act) => like(act, a.action)) &&
  list(s.Resource).some((r) => like(r, a.resource)) &&
  conditionsHold(s.Condition, a.context);

/** The authorizations one S3 request needs. */
function authorizationsOf(command: unknown): Authorization[] {
  const object = (key: string) => `${BUCKET_ARN}/${key}`;
  const tls = { 'aws:SecureTransport': 'true' };
  if (command instanceof ListObjectsV2Command) {
    const { Prefix, Delimiter, MaxKeys } = command.input;
    const context: Record<string, string> = { ...tls };
    if (Prefix !== undefined) context['s3:prefix'] = Prefix;
    if (Delimiter !== undefined) context['s3:delimiter'] = Delimiter;
    if (MaxKeys !== undefined) context['s3:max-keys'] = String(MaxKeys);
    return [{ call: `ListObjectsV2 ${Prefix ?? ''}`, action: 's3:ListBucket', resource: BUCKET_ARN, context }];
  }
  if (command instanceof GetObjectCommand)
    return [
      {
        call: `GetObject ${command.input.Key}`,
        action: 's3:GetObject',
        resource: object(command.input.Key as string),
        context: tls,
      },
    ];
  if (command instanceof HeadObjectCommand)
    // A HeadObject answers 404 for a missing key only if s3:ListBucket applies to it; it carries no s3:prefix.
    return [
      {
        call: `HeadObject ${command.input.Key}`,
        action: 's3:GetObject',
        resource: object(command.input.Key as string),
        context: tls,
      },
      { call: `HeadObject ${command.input.Key} (404 when missing)`, action: 's3:ListBucket', resource: BUCKET_ARN, context: tls },
    ];
  if (command instanceof PutObjectCommand)
    return [
      {
        call: `PutObject ${command.input.Key}`,
        action: 's3:PutObject',
        resource: object(command.input.Key as string),
        context: tls,
      },
    ];
  if (command instanceof DeleteObjectsCommand)
    // A multi-object delete is authorized as s3:DeleteObject on each key.
    return (command.input.Delete?.Objects ?? []).map((o) => ({
      call: `DeleteObjects ${o.Key}`,
      action: 's3:DeleteObject',
      resource: object(o.Key as string),
      context: tls,
    }));
  throw new Error(`compaction made an S3 call this test does not model: ${(command as object).constructor.name}`);
}

let emulators: Emulators;
let s3: S3Client;

useEmulators('featurelake-compaction-policy-', async (started) => {
  emulators = started;
  s3 = s3Client(emulators.env);
});

describe("LakeCompaction: the role allows every S3 request compaction makes (prod's template)", () => {
  it('normal run, crash recovery (output present and absent), a failing partition: all allowed', async () => {
    const lake = ENVIRONMENTS.prod.lake;
    const HOUR = 3_600_000;
    const NOW = Date.parse('2026-03-02T06:00:00Z');
    const day = '2026-03-02';
    await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
    await s3.send(new CreateBucketCommand({ Bucket: `${BUCKET}-quarantine` }));
    const write = createLakeWriter({
      s3,
      bucket: BUCKET,
      quarantineBucket: `${BUCKET}-quarantine`,
      sources,
      policy: { maxLatenessMs: 30 * 24 * HOUR, maxClockSkewMs: 300_000 },
      scheme: (source) => partitionSchemeFor(source.name, lake),
      compression: lake.compression,
      encode: encodeParquet,
    });
    const records = asRecords(clickEvents({ count: 600, users: 30, nowMs: NOW, spanMs: 4 * HOUR, seed: 9 }), {
      arrivalTimeMs: NOW,
    });
    for (let i = 0; i < records.length; i += 100) await write(records.slice(i, i + 100));

    const calls: unknown[] = [];
    const recording = (inner: S3Client) =>
      failingClient(inner, (command) => {
        calls.push(command);
        return undefined;
      });
    const options = (client: S3Client): CompactionOptions => ({
      s3: client,
      bucket: BUCKET,
      sources,
      scheme: (source) => partitionSchemeFor(source.name, lake),
      encode: encodeParquet,
      compression: lake.compression,
      minAgeMs: 0,
      maxInputBytes: lake.compaction.maxInputMb * 1024 * 1024,
    });

    // A run that crashes before its deletes in two partitions: two manifests, outputs written.
    let deletes = 0;
    const crashing = failingClient(recording(s3), (command) =>
      command instanceof DeleteObjectsCommand && deletes++ < 2 ? new Error('injected crash') : undefined,
    );
    const crashed = await compactDay(options(crashing), day);
    expect(crashed.failed).toHaveLength(2);
    // One of them as if it died before its output's PUT: the output absent.
    const manifests = (await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: COMPACTION_PREFIX }))).Contents ?? [];
    const manifest = JSON.parse(
      await ((await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: manifests[0]?.Key }))).Body?.transformToString() ??
        Promise.resolve('{}')),
    ) as { output: string };
    await s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: manifest.output }));
    // A partition that cannot be read.
    const partition = manifest.output.slice(0, manifest.output.lastIndexOf('/') + 1);
    for (const k of ['shardId-000000000009-1-2', 'shardId-000000000009-3-4'])
      await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: `${partition}${k}.parquet`, Body: 'not parquet' }));

    const recovered = await compactDay(options(recording(s3)), day);
    expect(recovered.recovered).toBe(2);
    expect(recovered.failed).toEqual([expect.objectContaining({ partition })]);

    const needed = calls.flatMap(authorizationsOf);
    const callKinds = new Set(needed.map((a) => a.call.split(' ')[0]));
    expect([...callKinds].sort()).toEqual(['DeleteObjects', 'GetObject', 'ListObjectsV2', 'PutObject']);

    const role = stack.compaction.function.role as never;
    const rolePolicies = template.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: logicalId(role) }] } });
    const allows = Object.values(rolePolicies).flatMap((p) => resolve(p.Properties.PolicyDocument.Statement) as Statement[]);
    const bucketPolicies = template.findResources('AWS::S3::BucketPolicy', {
      Properties: { Bucket: { Ref: logicalId(stack.lake.bucket) } },
    });
    const bucketStatements = Object.values(bucketPolicies).flatMap(
      (p) => resolve(p.Properties.PolicyDocument.Statement) as Statement[],
    );
    const denied = needed.filter(
      (a) =>
        allows.some((s) => s.Effect === 'Deny' && applies(s, a)) ||
        bucketStatements.some((s) => s.Effect === 'Deny' && applies(s, a)) ||
        !allows.some((s) => s.Effect === 'Allow' && applies(s, a)),
    );
    expect(denied.map((a) => `${a.call}: ${a.action} on ${a.resource} ${JSON.stringify(a.context)}`)).toEqual([]);
  });

  it('the evaluator is not vacuous: the grant refuses a HeadObject 404, a listing outside its prefixes, and another prefix', () => {
    const role = stack.compaction.function.role as never;
    const rolePolicies = template.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: logicalId(role) }] } });
    const allows = Object.values(rolePolicies).flatMap((p) => resolve(p.Properties.PolicyDocument.Statement) as Statement[]);
    const allowed = (a: Authorization) => allows.some((s) => s.Effect === 'Allow' && applies(s, a));
    const [, missing] = authorizationsOf(new HeadObjectCommand({ Bucket: BUCKET, Key: 'events/x.parquet' }));
    expect(allowed(missing as Authorization)).toBe(false);
    const [listRollups] = authorizationsOf(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'rollups/' }));
    expect(allowed(listRollups as Authorization)).toBe(false);
    const [listEvents] = authorizationsOf(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'events/a/', MaxKeys: 1 }));
    expect(allowed(listEvents as Authorization)).toBe(true);
    const [putRollup] = authorizationsOf(new PutObjectCommand({ Bucket: BUCKET, Key: 'rollups/x.parquet' }));
    expect(allowed(putRollup as Authorization)).toBe(false);
  });
});
