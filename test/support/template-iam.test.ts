/**
 * The IAM evaluator and the call → permission mapping the deployed-bundle
 * tests rely on, against cases whose answer IAM's documented evaluation logic
 * fixes: wildcards, explicit deny, conditions present and absent, and the
 * s3:prefix trap (a prefix-conditioned s3:ListBucket does not make a missing
 * key's HeadObject a 404).
 */
import { describe, expect, it } from 'vitest';
import { iamRequestsOf, type RecordedCall } from './template-calls.js';
import {
  evaluate,
  roleOfFunction,
  rolePolicyStatements,
  type Statement,
  templateResolver,
  wildcardMatch,
} from './template-iam.js';

const BUCKET = 'arn:aws:s3:::lake';

describe('wildcardMatch', () => {
  it('matches * across slashes and ? as one character, literally otherwise', () => {
    expect(wildcardMatch('arn:aws:s3:::lake/events/*', 'arn:aws:s3:::lake/events/a/b.parquet')).toBe(true);
    expect(wildcardMatch('arn:aws:s3:::lake/events/*', 'arn:aws:s3:::lake/rollups/x')).toBe(false);
    expect(wildcardMatch('s3:Get?bject', 's3:GetObject')).toBe(true);
    expect(wildcardMatch('a.b', 'axb')).toBe(false);
    expect(wildcardMatch('s3:getobject', 's3:GetObject', true)).toBe(true);
  });
});

describe('evaluate', () => {
  const put: Statement = { Effect: 'Allow', Action: 's3:PutObject', Resource: `${BUCKET}/events/*` };
  const list: Statement = {
    Effect: 'Allow',
    Action: 's3:ListBucket',
    Resource: BUCKET,
    Condition: { StringLike: { 's3:prefix': ['events/*'] } },
  };

  it('allows only the granted action on the granted resources', () => {
    expect(evaluate([put], { action: 's3:PutObject', resource: `${BUCKET}/events/x.parquet` })).toBe('allowed');
    expect(evaluate([put], { action: 's3:PutObject', resource: `${BUCKET}/rollups/x.parquet` })).toBe('implicitDeny');
    expect(evaluate([put], { action: 's3:GetObject', resource: `${BUCKET}/events/x.parquet` })).toBe('implicitDeny');
    expect(evaluate([], { action: 's3:PutObject', resource: `${BUCKET}/events/x` })).toBe('implicitDeny');
  });

  it('lets an explicit Deny win over any Allow', () => {
    const deny: Statement = {
      Effect: 'Deny',
      Action: 's3:*',
      Resource: '*',
      Condition: { Bool: { 'aws:SecureTransport': 'false' } },
    };
    const request = { action: 's3:PutObject', resource: `${BUCKET}/events/x` };
    expect(evaluate([put, deny], { ...request, context: { 'aws:SecureTransport': 'false' } })).toBe('explicitDeny');
    expect(evaluate([put, deny], { ...request, context: { 'aws:SecureTransport': 'true' } })).toBe('allowed');
  });

  it('checks conditions against the keys the request carries; a missing key fails StringLike', () => {
    expect(evaluate([list], { action: 's3:ListBucket', resource: BUCKET, context: { 's3:prefix': 'events/clickstream/' } })).toBe(
      'allowed',
    );
    expect(evaluate([list], { action: 's3:ListBucket', resource: BUCKET, context: { 's3:prefix': 'rollups/' } })).toBe(
      'implicitDeny',
    );
    expect(evaluate([list], { action: 's3:ListBucket', resource: BUCKET, context: {} })).toBe('implicitDeny');
    const ifExists: Statement = { ...list, Condition: { StringLikeIfExists: { 's3:prefix': ['events/*'] } } };
    expect(evaluate([ifExists], { action: 's3:ListBucket', resource: BUCKET, context: {} })).toBe('allowed');
  });

  it('honours NotAction and NotResource', () => {
    const notAction: Statement = { Effect: 'Allow', NotAction: 's3:DeleteObject', Resource: '*' };
    expect(evaluate([notAction], { action: 's3:GetObject', resource: 'x' })).toBe('allowed');
    expect(evaluate([notAction], { action: 's3:DeleteObject', resource: 'x' })).toBe('implicitDeny');
    const notResource: Statement = { Effect: 'Allow', Action: 's3:GetObject', NotResource: `${BUCKET}/secret/*` };
    expect(evaluate([notResource], { action: 's3:GetObject', resource: `${BUCKET}/secret/a` })).toBe('implicitDeny');
  });

  it('never grants through a condition operator it does not know', () => {
    const odd: Statement = { ...put, Condition: { NumericLessThan: { 's3:max-keys': '10' } } };
    expect(evaluate([odd], { action: 's3:PutObject', resource: `${BUCKET}/events/x`, context: { 's3:max-keys': '5' } })).toBe(
      'implicitDeny',
    );
  });
});

describe('iamRequestsOf', () => {
  const s3Call = (method: string, pathAndQuery: string, status = 200, body = '', headers = {}): RecordedCall => {
    const url = new URL(pathAndQuery, 'http://x');
    return { service: 's3', method, path: url.pathname, query: url.searchParams, body, headers, status, responseBody: '' };
  };
  const none = () => undefined;

  it('maps ListObjectsV2 to s3:ListBucket carrying its prefix', () => {
    expect(iamRequestsOf(s3Call('GET', '/lake?list-type=2&prefix=events%2Fclickstream%2F'), none)).toEqual([
      expect.objectContaining({ action: 's3:ListBucket', resource: BUCKET, context: { 's3:prefix': 'events/clickstream/' } }),
    ]);
  });

  it('maps a HeadObject on a missing key to s3:GetObject plus an unconditioned s3:ListBucket (404, not 403)', () => {
    const needs = iamRequestsOf(s3Call('HEAD', '/lake/_compaction/x.json', 404), none);
    expect(needs.map((n) => [n.action, n.resource, n.context])).toEqual([
      ['s3:GetObject', `${BUCKET}/_compaction/x.json`, undefined],
      ['s3:ListBucket', BUCKET, {}],
    ]);
    // With the compactor's prefix-conditioned listing only, that ListBucket is denied: S3 would answer 403.
    const prefixed: Statement[] = [
      { Effect: 'Allow', Action: 's3:GetObject', Resource: `${BUCKET}/_compaction/*` },
      {
        Effect: 'Allow',
        Action: 's3:ListBucket',
        Resource: BUCKET,
        Condition: { StringLike: { 's3:prefix': ['_compaction/*'] } },
      },
    ];
    expect(needs.map((n) => evaluate(prefixed, n))).toEqual(['allowed', 'implicitDeny']);
    // A key that exists needs s3:GetObject only.
    expect(iamRequestsOf(s3Call('HEAD', '/lake/_compaction/x.json', 200), none).map((n) => n.action)).toEqual(['s3:GetObject']);
  });

  it('maps DeleteObjects to s3:DeleteObject per key, and copies to PutObject + GetObject of the source', () => {
    const body = '<Delete><Object><Key>rollups/a&amp;b.parquet</Key></Object><Object><Key>rollups/c</Key></Object></Delete>';
    expect(iamRequestsOf(s3Call('POST', '/lake?delete', 200, body), none).map((n) => [n.action, n.resource])).toEqual([
      ['s3:DeleteObject', `${BUCKET}/rollups/a&b.parquet`],
      ['s3:DeleteObject', `${BUCKET}/rollups/c`],
    ]);
    const copy = iamRequestsOf(s3Call('PUT', '/lake/events/b', 200, '', { 'x-amz-copy-source': '/lake/events/a' }), none);
    expect(copy.map((n) => [n.action, n.resource])).toEqual([
      ['s3:PutObject', `${BUCKET}/events/b`],
      ['s3:GetObject', `${BUCKET}/events/a`],
    ]);
  });

  it('maps JSON-protocol calls to their table, stream and workgroup ARNs', () => {
    const json = (service: RecordedCall['service'], target: string, body: unknown): RecordedCall => ({
      service,
      method: 'POST',
      path: '/',
      query: new URLSearchParams(),
      target,
      body: JSON.stringify(body),
      headers: {},
      status: 200,
      responseBody: '{}',
    });
    expect(iamRequestsOf(json('dynamodb', 'DynamoDB_20120810.BatchGetItem', { RequestItems: { tiles: {} } }), none)).toEqual([
      expect.objectContaining({
        action: 'dynamodb:BatchGetItem',
        resource: 'arn:aws:dynamodb:us-east-1:000000000000:table/tiles',
      }),
    ]);
    expect(iamRequestsOf(json('athena', 'AmazonAthena.GetQueryResults', { QueryExecutionId: 'q1' }), () => 'wg')).toEqual([
      expect.objectContaining({
        action: 'athena:GetQueryResults',
        resource: 'arn:aws:athena:us-east-1:000000000000:workgroup/wg',
      }),
    ]);
  });
});

describe('rolePolicyStatements', () => {
  it('reads a role’s attached policy with intrinsics resolved to names and ARNs', () => {
    const template = {
      Resources: {
        Bucket: { Type: 'AWS::S3::Bucket' },
        Role: { Type: 'AWS::IAM::Role', Properties: {} },
        Fn: { Type: 'AWS::Lambda::Function', Properties: { Role: { 'Fn::GetAtt': ['Role', 'Arn'] } } },
        Policy: {
          Type: 'AWS::IAM::Policy',
          Properties: {
            Roles: [{ Ref: 'Role' }],
            PolicyDocument: {
              Statement: [
                {
                  Effect: 'Allow',
                  Action: 's3:PutObject',
                  Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': ['Bucket', 'Arn'] }, '/events/*']] },
                },
                {
                  Effect: 'Allow',
                  Action: 'glue:GetTable',
                  Resource: {
                    'Fn::Join': [
                      '',
                      [
                        'arn:',
                        { Ref: 'AWS::Partition' },
                        ':glue:',
                        { Ref: 'AWS::Region' },
                        ':',
                        { Ref: 'AWS::AccountId' },
                        ':catalog',
                      ],
                    ],
                  },
                },
              ],
            },
          },
        },
      },
    };
    const { resolve } = templateResolver(template.Resources, new Map([['Bucket', 'lake']]));
    expect(roleOfFunction(template, 'Fn')).toBe('Role');
    expect(rolePolicyStatements(template, 'Role', resolve)).toEqual([
      { Effect: 'Allow', Action: 's3:PutObject', Resource: 'arn:aws:s3:::lake/events/*' },
      { Effect: 'Allow', Action: 'glue:GetTable', Resource: 'arn:aws:glue:us-east-1:000000000000:catalog' },
    ]);
  });
});
