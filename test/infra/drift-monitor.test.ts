/**
 * The drift job in the stack: its schedule per environment (daily in dev,
 * hourly in prod), what it is told and allowed, and its alarms — one per
 * model on DriftBreaches and the score's PSI and KS, one per threshold a
 * catalog feature sets — each on the catalog's threshold (written out here),
 * named for its runbook entry and notifying the monitoring topic.
 */
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../lib/featurelake-app.js';
import { hotObject, purchasePropensity } from '../../src/features/catalog.js';

let dev: Template;
let prod: Template;
beforeAll(() => {
  dev = Template.fromStack(createApp({ envName: 'dev', bundle: false, checks: false }).stack);
  prod = Template.fromStack(createApp({ envName: 'prod', bundle: false, checks: false }).stack);
}, 120_000);

const DRIFT_METRIC_NAMES = ['FeatureDriftPsi', 'FeatureDriftKs', 'ScoreDriftPsi', 'ScoreDriftKs', 'DriftBreaches'];
const driftAlarms = (t: Template) =>
  Object.values(t.findResources('AWS::CloudWatch::Alarm')).filter((a) => DRIFT_METRIC_NAMES.includes(a.Properties.MetricName));

describe('the drift job', () => {
  it('runs daily at 04:30 UTC in dev over 24 hours, hourly at minute 30 in prod over 6', () => {
    dev.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'cron(30 4 * * ? *)' });
    prod.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'cron(30 * * * ? *)' });
    dev.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          FEATURELAKE_FUNCTION: 'drift',
          DRIFT_WINDOW_HOURS: '24',
          TIME_PARTITIONING: 'hour',
          PREDICTION_MODELS: Match.stringLikeRegexp('purchase_propensity'),
          MODELS_BUCKET: Match.anyValue(),
          LAKE_BUCKET: Match.anyValue(),
          ATHENA_WORKGROUP: Match.anyValue(),
          GLUE_DATABASE: Match.anyValue(),
        }),
      },
      ReservedConcurrentExecutions: 1,
    });
    prod.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ FEATURELAKE_FUNCTION: 'drift', DRIFT_WINDOW_HOURS: '6' }) },
    });
  });

  it('may write the drift table’s files, register its partitions and read the models', () => {
    const policies = JSON.stringify(dev.findResources('AWS::IAM::Policy'));
    expect(policies).toContain('/rollups/drift/*');
    expect(policies).toContain('glue:BatchCreatePartition');
    expect(policies).toContain('/models/*');
    dev.hasResourceProperties('AWS::Glue::Table', {
      TableInput: Match.objectLike({ Name: 'drift', PartitionKeys: [{ Name: 'dt', Type: 'string' }] }),
    });
  });
});

describe('drift alarms', () => {
  const expected: [string, string, number, string | undefined, string][] = [
    ['drift-purchase-propensity-breaches', 'DriftBreaches', 1, undefined, 'GreaterThanOrEqualToThreshold'],
    ['drift-purchase-propensity-score-psi', 'ScoreDriftPsi', 0.1, undefined, 'GreaterThanThreshold'],
    ['drift-purchase-propensity-score-ks', 'ScoreDriftKs', 0.1, undefined, 'GreaterThanThreshold'],
    ['drift-purchase-propensity-events-1h-psi', 'FeatureDriftPsi', 0.3, 'events_1h', 'GreaterThanThreshold'],
    ['drift-purchase-propensity-events-1h-ks', 'FeatureDriftKs', 0.15, 'events_1h', 'GreaterThanThreshold'],
    ['drift-purchase-propensity-last-category-24h-psi', 'FeatureDriftPsi', 0.25, 'last_category_24h', 'GreaterThanThreshold'],
    ['drift-hot-object-breaches', 'DriftBreaches', 1, undefined, 'GreaterThanOrEqualToThreshold'],
    ['drift-hot-object-score-psi', 'ScoreDriftPsi', 0.2, undefined, 'GreaterThanThreshold'],
    ['drift-hot-object-score-ks', 'ScoreDriftKs', 0.1, undefined, 'GreaterThanThreshold'],
    ['drift-hot-object-download-count-24h-psi', 'FeatureDriftPsi', 0.2, 'download_count_24h', 'GreaterThanThreshold'],
    ['drift-hot-object-download-count-24h-ks', 'FeatureDriftKs', 0.1, 'download_count_24h', 'GreaterThanThreshold'],
  ];

  it('the catalog sets the thresholds written out here', () => {
    expect(purchasePropensity.drift.features).toEqual({ events_1h: { psi: 0.3, ks: 0.15 }, last_category_24h: { psi: 0.25 } });
    expect(purchasePropensity.drift.score).toEqual({ psi: 0.1, ks: 0.1 });
    expect(hotObject.drift.features).toEqual({ download_count_24h: { psi: 0.2, ks: 0.1 } });
    expect(hotObject.drift.score).toEqual({ psi: 0.2, ks: 0.1 });
  });

  it.each(expected)('%s: %s crossing %f, the maximum per day in dev', (id, metric, threshold, feature, comparison) => {
    const model = id.startsWith('drift-hot-object') ? 'hot_object' : 'purchase_propensity';
    dev.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: `featurelake-dev-${id}`,
      AlarmDescription: Match.stringLikeRegexp(`Runbook: docs/operations.md#${id}$`),
      Namespace: 'featurelake',
      MetricName: metric,
      // CloudWatch's order: by name.
      Dimensions: [
        { Name: 'environment', Value: 'dev' },
        ...(feature ? [{ Name: 'feature', Value: feature }] : []),
        { Name: 'model', Value: model },
        { Name: 'service', Value: 'drift' },
      ],
      Statistic: 'Maximum',
      Period: 86_400,
      EvaluationPeriods: 1,
      Threshold: threshold,
      ComparisonOperator: comparison,
      TreatMissingData: 'notBreaching',
      AlarmActions: [Match.objectLike({ Ref: Match.stringLikeRegexp('AlarmTopic') })],
      OKActions: [Match.objectLike({ Ref: Match.stringLikeRegexp('AlarmTopic') })],
    });
  });

  it('are these and no others, hourly in prod', () => {
    expect(
      driftAlarms(dev)
        .map((a) => String(a.Properties.AlarmName))
        .sort(),
    ).toEqual(expected.map(([id]) => `featurelake-dev-${id}`).sort());
    for (const alarm of driftAlarms(prod)) expect(alarm.Properties.Period).toBe(3_600);
    expect(driftAlarms(prod)).toHaveLength(expected.length);
  });
});
