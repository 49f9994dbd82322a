/**
 * The constructs' intent-level grants give exactly the documented actions on
 * exactly their resources, and invalid construct props are rejected.
 */
import { RemovalPolicy } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AccountRootPrincipal, Role } from 'aws-cdk-lib/aws-iam';
import { describe, expect, it } from 'vitest';
import { ENVIRONMENTS } from '../../lib/config/environments.js';
import { Aggregator } from '../../lib/constructs/aggregator.js';
import { createApp } from '../../lib/featurelake-app.js';

/** A stack with a caller role the test grants to; its policy statements after synthesis. */
function grantedTo(grant: (stack: ReturnType<typeof createApp>['stack'], role: Role) => void) {
  const { stack } = createApp({ envName: 'prod', bundle: false, checks: false });
  const role = new Role(stack, 'Caller', { assumedBy: new AccountRootPrincipal() });
  grant(stack, role);
  const t = Template.fromStack(stack);
  const policies = t.findResources('AWS::IAM::Policy', {
    Properties: { Roles: [{ Ref: stack.getLogicalId(role.node.defaultChild as any) }] },
  });
  const statements = Object.values(policies).flatMap((p) => p.Properties.PolicyDocument.Statement);
  return { t, statements, stack };
}
const ref = (stack: ReturnType<typeof createApp>['stack'], construct: { node: { defaultChild?: unknown } }) =>
  stack.getLogicalId(construct.node.defaultChild as any);

describe('grants', () => {
  it('OnlineStore.grantWriteTiles: BatchGetItem, GetItem, PutItem and UpdateItem on the table', () => {
    const { statements, stack } = grantedTo((s, role) => s.store.grantWriteTiles(role));
    expect(statements).toEqual([
      {
        Effect: 'Allow',
        Action: ['dynamodb:BatchGetItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
        Resource: { 'Fn::GetAtt': [ref(stack, stack.store.table), 'Arn'] },
      },
    ]);
  });

  it('OnlineStore.grantReadFeatures: BatchGetItem on the table only', () => {
    const { statements, stack } = grantedTo((s, role) => s.store.grantReadFeatures(role));
    expect(statements).toEqual([
      { Effect: 'Allow', Action: 'dynamodb:BatchGetItem', Resource: { 'Fn::GetAtt': [ref(stack, stack.store.table), 'Arn'] } },
    ]);
  });

  it('Quarantine.grantQuarantine: PutObject under invalid/ only', () => {
    const { statements, stack } = grantedTo((s, role) => s.quarantine.grantQuarantine(role));
    expect(statements).toEqual([
      {
        Effect: 'Allow',
        Action: 's3:PutObject',
        Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [ref(stack, stack.quarantine.bucket), 'Arn'] }, '/invalid/*']] },
      },
    ]);
  });

  it('Lake.grantCompactEvents: list, get, put and delete under events/ and _compaction/ only', () => {
    const { statements, stack } = grantedTo((s, role) => s.lake.grantCompactEvents(role));
    const bucketArn = { 'Fn::GetAtt': [ref(stack, stack.lake.bucket), 'Arn'] };
    const under = (prefix: string) => ({ 'Fn::Join': ['', [bucketArn, `/${prefix}*`]] });
    expect(statements).toEqual([
      {
        Effect: 'Allow',
        Action: 's3:ListBucket',
        Resource: bucketArn,
        Condition: { StringLike: { 's3:prefix': ['events/*', '_compaction/*'] } },
      },
      {
        Effect: 'Allow',
        Action: ['s3:DeleteObject', 's3:GetObject', 's3:PutObject'],
        Resource: [under('_compaction/'), under('events/')],
      },
    ]);
  });

  it('FeatureApi.grantReadFeatures: execute-api:Invoke on GET /features/*/* of the stage', () => {
    const { statements } = grantedTo((s, role) => s.featureApi.grantReadFeatures(role));
    expect(statements).toHaveLength(1);
    expect(statements[0]).toMatchObject({ Effect: 'Allow', Action: 'execute-api:Invoke' });
    const arn = JSON.stringify(statements[0].Resource);
    expect(arn).toMatch(/\/GET\/features\/\*\/\*"/);
    expect(arn).toMatch(/execute-api/);
  });

  it('the aggregator may write to the quarantine only under invalid/ and aws/lambda/', () => {
    const { t, stack } = grantedTo(() => {});
    const bucketArn = { 'Fn::GetAtt': [ref(stack, stack.quarantine.bucket), 'Arn'] };
    t.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: Match.stringLikeRegexp('^AggregatorFunctionRole') }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          {
            Effect: 'Allow',
            Action: 's3:PutObject',
            Resource: Match.arrayEquals([
              { 'Fn::Join': ['', [bucketArn, '/aws/lambda/*']] },
              { 'Fn::Join': ['', [bucketArn, '/invalid/*']] },
            ]),
          },
          { Effect: 'Allow', Action: 's3:ListBucket', Resource: bucketArn },
        ]),
      },
    });
  });
});

describe('invalid props', () => {
  it('Aggregator refuses a parallelization factor other than 1', () => {
    const { stack } = createApp({ envName: 'dev', bundle: false, checks: false });
    expect(
      () =>
        new Aggregator(stack, 'Second', {
          envName: 'dev',
          settings: ENVIRONMENTS.dev.aggregator,
          stream: stack.ingest,
          store: stack.store,
          quarantine: stack.quarantine,
          logRetentionDays: 7,
          logRemovalPolicy: RemovalPolicy.DESTROY,
          parallelizationFactor: 2,
        }),
    ).toThrow(/parallelizationFactor must be 1/);
  });
});
