/**
 * The multi-entity read, POST /features/{entityType}: beside the single-entity GET, with the same
 * API key, authorization, validator and function, in every environment; callers granted read
 * access may invoke both.
 */
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AccountRootPrincipal, Role } from 'aws-cdk-lib/aws-iam';
import { beforeAll, describe, expect, it } from 'vitest';
import { ENVIRONMENT_NAMES, ENVIRONMENTS, type EnvironmentName } from '../../lib/config/environments.js';
import { createApp } from '../../lib/featurelake-app.js';

const templates = new Map<EnvironmentName, Template>();
beforeAll(() => {
  for (const env of ENVIRONMENT_NAMES) {
    templates.set(env, Template.fromStack(createApp({ envName: env, bundle: false, checks: false }).stack));
  }
});

type Method = { Properties: Record<string, any> };
const methods = (t: Template) => Object.values(t.findResources('AWS::ApiGateway::Method')) as Method[];
const byVerb = (t: Template, verb: string) => methods(t).find((m) => m.Properties.HttpMethod === verb) as Method;

describe.each(ENVIRONMENT_NAMES)('%s', (env) => {
  const auth = ENVIRONMENTS[env].api.auth === 'iam' ? 'AWS_IAM' : 'NONE';

  it(`serves POST /features/{entityType} with an API key${auth === 'AWS_IAM' ? ' and IAM' : ''}, validated, on the entity type resource`, () => {
    const t = templates.get(env) as Template;
    const post = byVerb(t, 'POST');
    expect(post.Properties).toMatchObject({
      ApiKeyRequired: true,
      AuthorizationType: auth,
      OperationName: 'GetFeaturesOfEntities',
      RequestParameters: { 'method.request.path.entityType': true },
      Integration: { Type: 'AWS_PROXY', IntegrationHttpMethod: 'POST' },
    });
    const resources = t.findResources('AWS::ApiGateway::Resource');
    expect(resources[post.Properties.ResourceId.Ref]?.Properties).toMatchObject({ PathPart: '{entityType}' });
  });

  it('gives both methods the same validator and the same function', () => {
    const t = templates.get(env) as Template;
    const get = byVerb(t, 'GET');
    const post = byVerb(t, 'POST');
    expect(post.Properties.RequestValidatorId).toEqual(get.Properties.RequestValidatorId);
    expect(post.Properties.RequestValidatorId).toBeDefined();
    expect(post.Properties.Integration.Uri).toEqual(get.Properties.Integration.Uri);
    // API Gateway may invoke the function through each method.
    t.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      SourceArn: Match.objectLike({ 'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp('/POST/features/\\*$')])] }),
    });
  });
});

describe('FeatureApi.grantReadFeatures', () => {
  it('allows execute-api:Invoke on GET /features/*/* and POST /features/* of the stage, nothing else', () => {
    const { stack } = createApp({ envName: 'prod', bundle: false, checks: false });
    const role = new Role(stack, 'Caller', { assumedBy: new AccountRootPrincipal() });
    stack.featureApi.grantReadFeatures(role);
    const t = Template.fromStack(stack);
    const policies = t.findResources('AWS::IAM::Policy', {
      Properties: { Roles: [{ Ref: stack.getLogicalId(role.node.defaultChild as any) }] },
    });
    const statements = Object.values(policies).flatMap((p) => p.Properties.PolicyDocument.Statement);
    expect(statements).toHaveLength(1);
    expect(statements[0]).toMatchObject({ Effect: 'Allow', Action: 'execute-api:Invoke' });
    const arns = (statements[0].Resource as unknown[]).map((r) => JSON.stringify(r));
    expect(arns).toHaveLength(2);
    expect(arns[0]).toMatch(/\/GET\/features\/\*\/\*"/);
    expect(arns[1]).toMatch(/\/POST\/features\/\*"/);
  });
});
