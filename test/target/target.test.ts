/**
 * The target adapters: the embedded stack's local-stack.json and a
 * deployment's CDK outputs file both become one Target (runs in `npm test`;
 * the end-to-end suite itself is pipeline.e2e.ts, run by `npm run test:target`).
 */
import { describe, expect, it } from 'vitest';
import { apiUrlFor, clientEnv, targetFrom } from './target.js';

const localStackJson = {
  env: 'dev',
  region: 'us-east-1',
  endpoints: { kinesis: 'http://127.0.0.1:4001', dynamodb: 'http://127.0.0.1:4002', s3: 'http://127.0.0.1:4003' },
  credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
  resources: { streamName: 'stream-a', tableName: 'table-a', quarantineBucket: 'quarantine-a', lakeBucket: 'lake-a' },
  s3Directory: '/tmp/s3',
  s3ObjectSuffix: '._S3rver_object',
  api: { url: 'http://127.0.0.1:4004/v1', key: 'secret' },
  pid: 1,
  startedAt: '2026-11-28T00:00:00.000Z',
};

const outputs = {
  StreamName: 'featurelake-dev-stream',
  TableName: 'featurelake-dev-table',
  QuarantineBucketName: 'featurelake-dev-quarantine',
  LakeBucketName: 'featurelake-dev-lake',
  ApiUrl: 'https://abc123def4.execute-api.eu-west-1.amazonaws.com/v1/',
  ApiKeyId: 'key123',
  Region: 'eu-west-1',
  EnvName: 'dev',
  ApiAuth: 'apiKey',
  AggregatorBatchingWindowSeconds: '5',
  LakeTimePartitioning: 'hour',
  LakeBatchingWindowSeconds: '60',
};

describe('a local-stack.json target', () => {
  it('carries the embedded stack’s endpoints, credentials, names and key; the lake layout of its environment', () => {
    const target = targetFrom(localStackJson, 'local-stack.json', {});
    expect(target).toMatchObject({
      kind: 'embedded',
      region: 'us-east-1',
      endpoints: localStackJson.endpoints,
      credentials: localStackJson.credentials,
      streamName: 'stream-a',
      tableName: 'table-a',
      lakeBucket: 'lake-a',
      quarantineBucket: 'quarantine-a',
      api: { url: 'http://127.0.0.1:4004/v1', key: 'secret', auth: 'apiKey' },
      // dev: hourly partitions, a 60 s lake window (docs/deploy.md).
      lake: { timePartitioning: 'hour', batchingWindowSeconds: 60 },
    });
  });

  it('takes the lake settings the file states (a --lake-window override)', () => {
    const target = targetFrom({ ...localStackJson, lake: { timePartitioning: 'date', batchingWindowSeconds: 1 } }, 'f', {});
    expect(target.lake).toEqual({ timePartitioning: 'date', batchingWindowSeconds: 1 });
  });

  it('refuses lake settings it cannot wait by, naming the file', () => {
    const withLake = (lake: unknown) => ({ ...localStackJson, lake });
    for (const lake of [
      { timePartitioning: 'weekly', batchingWindowSeconds: 1 },
      { timePartitioning: 'hour', batchingWindowSeconds: -1 },
      { timePartitioning: 'hour', batchingWindowSeconds: 'soon' },
    ]) {
      expect(() => targetFrom(withLake(lake), 'f.json', {}), JSON.stringify(lake)).toThrow(
        /f\.json looks like a local-stack\.json but is malformed/,
      );
    }
  });

  it('puts its endpoints and credentials above the caller’s AWS_* variables', () => {
    const env = clientEnv(targetFrom(localStackJson, 'f', {}), { AWS_ENDPOINT_URL: 'http://localhost:4566', AWS_PROFILE: 'x' });
    expect(env).toMatchObject({
      AWS_ENDPOINT_URL_KINESIS: 'http://127.0.0.1:4001',
      AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:4003',
      AWS_ACCESS_KEY_ID: 'S3RVER',
      AWS_REGION: 'us-east-1',
      AWS_PROFILE: 'x',
    });
  });
});

describe('a CDK outputs target', () => {
  it('reads `cdk deploy --outputs-file` and leaves endpoints and credentials to the environment', () => {
    const target = targetFrom({ 'featurelake-dev': outputs }, 'out.json', {});
    expect(target).toMatchObject({
      kind: 'deployment',
      envName: 'dev',
      region: 'eu-west-1',
      streamName: 'featurelake-dev-stream',
      lakeBucket: 'featurelake-dev-lake',
      quarantineBucket: 'featurelake-dev-quarantine',
      api: { url: 'https://abc123def4.execute-api.eu-west-1.amazonaws.com/v1', keyId: 'key123', auth: 'apiKey' },
      lake: { timePartitioning: 'hour', batchingWindowSeconds: 60 },
      aggregatorWindowSeconds: 5,
    });
    expect(target.endpoints).toBeUndefined();
    expect(target.credentials).toBeUndefined();
    expect(clientEnv(target, { AWS_PROFILE: 'dev' })).toEqual({ AWS_PROFILE: 'dev', AWS_REGION: 'eu-west-1' });
  });

  it('reads `aws cloudformation describe-stacks` output too', () => {
    const described = {
      Stacks: [
        {
          StackName: 'featurelake-dev',
          Outputs: Object.entries(outputs).map(([OutputKey, OutputValue]) => ({ OutputKey, OutputValue })),
        },
      ],
    };
    expect(targetFrom(described, 'stacks.json', {}).streamName).toBe('featurelake-dev-stream');
  });

  it('takes the API key and URL from FEATURELAKE_API_KEY and FEATURELAKE_API_URL when set', () => {
    const target = targetFrom({ 'featurelake-dev': outputs }, 'out.json', {
      FEATURELAKE_API_KEY: 'k',
      FEATURELAKE_API_URL: 'http://proxy/v1/',
    });
    expect(target.api).toEqual({ url: 'http://proxy/v1', key: 'k', auth: 'apiKey' });
  });

  it('says which stack to choose when the file holds several, and takes --stack', () => {
    const file = { 'featurelake-dev': outputs, 'featurelake-staging': { ...outputs, EnvName: 'staging' }, Other: { X: '1' } };
    expect(() => targetFrom(file, 'out.json', {})).toThrow(
      /several featurelake stacks \(featurelake-dev, featurelake-staging\).*--stack/,
    );
    expect(targetFrom(file, 'out.json', {}, 'featurelake-staging').envName).toBe('staging');
    expect(() => targetFrom(file, 'out.json', {}, 'nope')).toThrow(/no featurelake stack named nope/);
  });

  it('names the outputs a stack lacks, and a missing region', () => {
    const { LakeBucketName: _l, TableName: _t, ...partial } = outputs;
    expect(() => targetFrom({ s: partial }, 'out.json', {})).toThrow('stack s lacks the output(s) TableName, LakeBucketName');
    const { Region: _r, ...noRegion } = outputs;
    expect(() => targetFrom({ s: noRegion }, 'out.json', {})).toThrow(/no Region output; set AWS_REGION/);
    expect(targetFrom({ s: noRegion }, 'out.json', { AWS_REGION: 'us-east-2' }).region).toBe('us-east-2');
  });

  it('reads an older stack without the layout outputs with its environment’s settings', () => {
    const { LakeTimePartitioning: _p, LakeBatchingWindowSeconds: _w, AggregatorBatchingWindowSeconds: _a, ...older } = outputs;
    const target = targetFrom({ s: { ...older, EnvName: 'prod', ApiAuth: 'iam' } }, 'out.json', {});
    expect(target.lake).toEqual({ timePartitioning: 'hour', batchingWindowSeconds: 60 });
    expect(target.aggregatorWindowSeconds).toBe(2);
    expect(target.api.auth).toBe('iam');
  });
});

describe('the API URL on LocalStack', () => {
  it('is the template’s URL on AWS, the execute-api host of the LocalStack endpoint when AWS_ENDPOINT_URL is set', () => {
    const url = 'https://abc123def4.execute-api.us-east-1.amazonaws.com/v1/';
    expect(apiUrlFor(url, {})).toBe('https://abc123def4.execute-api.us-east-1.amazonaws.com/v1');
    expect(apiUrlFor(url, { AWS_ENDPOINT_URL: 'http://localhost:4566' })).toBe(
      'http://abc123def4.execute-api.localhost.localstack.cloud:4566/v1',
    );
    const resolvedOnLocalStack = 'https://abc123def4.execute-api.us-east-1.localhost.localstack.cloud/v1/';
    expect(apiUrlFor(resolvedOnLocalStack, { AWS_ENDPOINT_URL: 'http://localhost:4566' })).toBe(
      'http://abc123def4.execute-api.localhost.localstack.cloud:4566/v1',
    );
    expect(apiUrlFor('http://127.0.0.1:9/v1', { AWS_ENDPOINT_URL: 'http://localhost:4566' })).toBe('http://127.0.0.1:9/v1');
  });
});
