/**
 * The online store's billing per environment: on demand, or provisioned read
 * and write capacity with target-tracking auto scaling between bounds; the
 * construct refuses impossible bounds, and the environment validation names
 * what is wrong. Expected values are written out here, not read from the
 * configuration under test.
 */
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { billingProblems, ENVIRONMENTS, validateEnvironment } from '../../lib/config/environments.js';
import { OnlineStore, type OnlineStoreProps } from '../../lib/constructs/online-store.js';
import { createApp } from '../../lib/featurelake-app.js';

function storeTemplate(props: OnlineStoreProps) {
  const stack = new Stack(new App(), 'S');
  new OnlineStore(stack, 'Store', props);
  return Template.fromStack(stack);
}

const capacity = {
  read: { min: 10, max: 1_000, targetUtilizationPercent: 50 },
  write: { min: 5, max: 2_000, targetUtilizationPercent: 70 },
};

describe('OnlineStore billing', () => {
  it('is on demand by default, with no scaling', () => {
    const t = storeTemplate({});
    t.hasResourceProperties('AWS::DynamoDB::Table', { BillingMode: 'PAY_PER_REQUEST' });
    t.resourceCountIs('AWS::ApplicationAutoScaling::ScalableTarget', 0);
  });

  it('provisions read and write capacity at their minimum and scales each on utilisation between its bounds', () => {
    const t = storeTemplate({ billing: { provisioned: capacity } });
    t.hasResourceProperties('AWS::DynamoDB::Table', {
      BillingMode: Match.absent(),
      ProvisionedThroughput: { ReadCapacityUnits: 10, WriteCapacityUnits: 5 },
    });
    t.resourceCountIs('AWS::ApplicationAutoScaling::ScalableTarget', 2);
    t.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', {
      ScalableDimension: 'dynamodb:table:ReadCapacityUnits',
      MinCapacity: 10,
      MaxCapacity: 1_000,
    });
    t.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', {
      ScalableDimension: 'dynamodb:table:WriteCapacityUnits',
      MinCapacity: 5,
      MaxCapacity: 2_000,
    });
    t.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
      PolicyType: 'TargetTrackingScaling',
      TargetTrackingScalingPolicyConfiguration: Match.objectLike({
        TargetValue: 50,
        PredefinedMetricSpecification: { PredefinedMetricType: 'DynamoDBReadCapacityUtilization' },
      }),
    });
    t.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
      TargetTrackingScalingPolicyConfiguration: Match.objectLike({
        TargetValue: 70,
        PredefinedMetricSpecification: { PredefinedMetricType: 'DynamoDBWriteCapacityUtilization' },
      }),
    });
  });

  it('refuses a maximum below the minimum, or a target outside 20–90 %', () => {
    expect(() =>
      storeTemplate({ billing: { provisioned: { ...capacity, write: { min: 10, max: 5, targetUtilizationPercent: 70 } } } }),
    ).toThrow(/write capacity needs 1 ≤ min ≤ max/);
    expect(() =>
      storeTemplate({ billing: { provisioned: { ...capacity, read: { min: 1, max: 5, targetUtilizationPercent: 95 } } } }),
    ).toThrow(/read targetUtilizationPercent must be 20–90/);
  });
});

describe('online store billing per environment', () => {
  const tableOf = (envName: 'dev' | 'staging' | 'prod') =>
    Template.fromStack(createApp({ envName, bundle: false }).stack).findResources('AWS::DynamoDB::Table');

  it('dev and staging pay on demand', () => {
    for (const env of ['dev', 'staging'] as const) {
      const [table] = Object.values(tableOf(env));
      expect(table?.Properties.BillingMode, env).toBe('PAY_PER_REQUEST');
    }
  });

  it('prod provisions 100 reads and 50 writes at least, scaled up to 40,000 at 50 % and 70 % utilisation', () => {
    const [table] = Object.values(tableOf('prod'));
    expect(table?.Properties.ProvisionedThroughput).toEqual({ ReadCapacityUnits: 100, WriteCapacityUnits: 50 });
  });

  it('names what is wrong with a billing setting', () => {
    expect(billingProblems('onDemand')).toEqual([]);
    const bad = {
      provisioned: {
        read: { min: 0, max: 50_000, targetUtilizationPercent: 10 },
        write: { min: 10, max: 5, targetUtilizationPercent: 70 },
      },
    };
    expect(billingProblems(bad)).toEqual([
      'onlineStore.billing.provisioned.read.min must be an integer ≥ 1',
      "onlineStore.billing.provisioned.read.max must be ≤ 40000 (DynamoDB's default table quota)",
      'onlineStore.billing.provisioned.read.targetUtilizationPercent must be 20–90',
      'onlineStore.billing.provisioned.write.max must be an integer ≥ min',
    ]);
    expect(validateEnvironment({ ...ENVIRONMENTS.prod, onlineStore: { billing: bad } }, [])).toContain(
      'onlineStore.billing.provisioned.write.max must be an integer ≥ min',
    );
  });
});
