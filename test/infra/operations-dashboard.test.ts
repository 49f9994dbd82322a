/**
 * The operations dashboard and the alarms per environment: one dashboard named
 * `featurelake-<env>` with a widget for each question of docs/operations.md
 * (found by the metric names in its body), the new alarms at the config's
 * thresholds (prod's stricter than dev's), every alarm on the topic, and the
 * outputs an operator starts from.
 */
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { ENVIRONMENT_NAMES, ENVIRONMENTS, type EnvironmentName } from '../../lib/config/environments.js';
import { runbookId } from '../../lib/constructs/monitoring.js';
import { createApp } from '../../lib/featurelake-app.js';

const templates = new Map<EnvironmentName, Template>();
beforeAll(() => {
  for (const env of ENVIRONMENT_NAMES) {
    templates.set(env, Template.fromStack(createApp({ envName: env, bundle: false, checks: false }).stack));
  }
});
const template = (env: EnvironmentName) => templates.get(env) as Template;

/** The dashboard body with its CloudFormation joins flattened: tokens become `<Ref>` / `<GetAtt>` markers. */
function dashboardBody(t: Template): string {
  const [dashboard] = Object.values(t.findResources('AWS::CloudWatch::Dashboard'));
  const body = dashboard?.Properties.DashboardBody as { 'Fn::Join': [string, unknown[]] };
  const parts = body['Fn::Join'][1].map((p) => (typeof p === 'string' ? p : `<${Object.keys(p as object)[0]}>`));
  return parts.join('');
}

const alarmNamed = (t: Template, env: string, id: string) => {
  const found = Object.values(t.findResources('AWS::CloudWatch::Alarm')).filter(
    (a) => a.Properties.AlarmName === `featurelake-${env}-${id}`,
  );
  expect(found, id).toHaveLength(1);
  return found[0]?.Properties as Record<string, any>;
};

describe.each(ENVIRONMENT_NAMES)('%s', (env) => {
  const alarms = ENVIRONMENTS[env].alarms;

  it('has one dashboard, featurelake-<env>, and outputs its name and URL', () => {
    const t = template(env);
    t.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    t.hasResourceProperties('AWS::CloudWatch::Dashboard', { DashboardName: `featurelake-${env}` });
    t.hasOutput('DashboardName', { Value: `featurelake-${env}` });
    t.hasOutput('DashboardUrl', {});
  });

  it('shows every row an operator needs, by metric', () => {
    const body = dashboardBody(template(env));
    const widgets = (JSON.parse(body.replace(/<[A-Za-z:]+>/g, 'X')) as { widgets: { type: string }[] }).widgets;
    expect(widgets.filter((w) => w.type === 'alarm')).toHaveLength(1);
    for (const metric of [
      // ingest: records per consumer, iterator age per consumer
      '"IncomingRecords"',
      '"RecordsReceived"',
      '"IteratorAge"',
      // freshness
      '"ArrivalToOnlineMs"',
      'MetricName=\\"NewestEventAgeSeconds\\"',
      // quarantine: per consumer, by reason from the logs
      '"QuarantinedRecords"',
      'filter message = \\"records quarantined\\"',
      'sum(quarantined.late_event)',
      // data quality
      'MetricName=\\"ExpectationFailures\\"',
      // API per route
      '"Latency"',
      '"4XXError"',
      '"5XXError"',
      '"/features/{entityType}/{entityId}"',
      '"/predict"',
      // predictions
      '"Predictions"',
      '"PredictLatency"',
      '"PredictionLogFailed"',
      '"PredictionScore"',
      // drift
      'MetricName=\\"FeatureDriftPsi\\"',
      'MetricName=\\"ScoreDriftPsi\\"',
      // lake per hour
      '"LakeFilesWritten"',
      '"LakeBytesWritten"',
      // rollup and compaction runs
      '"Invocations"',
      '"RollupHoursDone"',
      '"CompactedPartitions"',
      '"ApproximateNumberOfMessagesVisible"',
    ]) {
      expect(body, metric).toContain(metric);
    }
    // Custom metrics of this environment only; searches too.
    expect(body).toContain(`"environment","${env}"`);
    expect(body).toContain(`environment=\\"${env}\\"`);
    // p50 and p99 of the routes and of the function.
    expect(body.match(/"stat":"p99"/g)?.length ?? 0).toBeGreaterThanOrEqual(4);
  });

  it('alarms on predict p99 latency, prediction log failures, refused versions, freshness and 4xx rate at the config’s thresholds', () => {
    const t = template(env);
    expect(alarmNamed(t, env, 'predict-latency-p99')).toMatchObject({
      Namespace: 'featurelake',
      MetricName: 'PredictLatency',
      ExtendedStatistic: 'p99',
      Threshold: alarms.predictLatencyP99Ms,
      EvaluationPeriods: 3,
      DatapointsToAlarm: 2,
    });
    expect(alarmNamed(t, env, 'prediction-log-failed')).toMatchObject({
      MetricName: 'PredictionLogFailed',
      Statistic: 'Sum',
      Threshold: alarms.predictionLogFailuresPer5Min,
      Dimensions: expect.arrayContaining([
        { Name: 'service', Value: 'predict' },
        { Name: 'environment', Value: env },
      ]),
    });
    expect(alarmNamed(t, env, 'model-version-refused')).toMatchObject({
      MetricName: 'ModelVersionRefused',
      Threshold: alarms.modelVersionsRefusedPer5Min,
    });
    expect(alarmNamed(t, env, 'online-freshness')).toMatchObject({
      MetricName: 'ArrivalToOnlineMs',
      Statistic: 'Maximum',
      Period: 60,
      Threshold: alarms.onlineFreshnessMs,
      Dimensions: expect.arrayContaining([{ Name: 'service', Value: 'aggregator' }]),
    });
    const rate = alarmNamed(t, env, 'api-4xx-rate');
    expect(rate.Threshold).toBe(alarms.api4xxPercent);
    expect(JSON.stringify(rate.Metrics)).toContain('IF(requests >= 100, 100 * errors / requests, 0)');
  });

  it('names every alarm featurelake-<env>-<runbook id> and sends it, and its return to OK, to the topic', () => {
    const t = template(env);
    const topic = Object.keys(t.findResources('AWS::SNS::Topic'));
    expect(topic).toHaveLength(1);
    for (const alarm of Object.values(t.findResources('AWS::CloudWatch::Alarm'))) {
      expect(alarm.Properties.AlarmName).toMatch(new RegExp(`^featurelake-${env}-[a-z0-9-]+$`));
      expect(alarm.Properties.AlarmActions).toEqual([{ Ref: topic[0] }]);
      expect(alarm.Properties.OKActions).toEqual([{ Ref: topic[0] }]);
    }
    t.resourceCountIs('AWS::SNS::Subscription', ENVIRONMENTS[env].alarms.email ? 1 : 0);
  });
});

it('is stricter in prod than in dev on the synthesized alarms', () => {
  const threshold = (env: EnvironmentName, id: string) => alarmNamed(template(env), env, id).Threshold as number;
  for (const id of [
    'aggregator-iterator-age',
    'api-5xx',
    'api-4xx-rate',
    'predict-latency-p99',
    'online-freshness',
    'predict-errors',
  ]) {
    expect(threshold('prod', id), id).toBeLessThan(threshold('dev', id));
  }
});

it('derives runbook ids from alarm ids', () => {
  expect(runbookId('AggregatorIteratorAge')).toBe('aggregator-iterator-age');
  expect(runbookId('Api5xx')).toBe('api-5xx');
  expect(runbookId('Api4xxRate')).toBe('api-4xx-rate');
  expect(runbookId('PredictLatencyP99')).toBe('predict-latency-p99');
  expect(runbookId('QuarantinedRecords')).toBe('quarantined-records');
});

it('subscribes the configured address to the topic', async () => {
  const { App, Stack } = await import('aws-cdk-lib');
  const { Monitoring } = await import('../../lib/constructs/monitoring.js');
  const stack = new Stack(new App(), 'S');
  new Monitoring(stack, 'M', { envName: 'dev', thresholds: { ...ENVIRONMENTS.dev.alarms, email: 'oncall@example.com' } });
  Template.fromStack(stack).hasResourceProperties('AWS::SNS::Subscription', {
    Protocol: 'email',
    Endpoint: 'oncall@example.com',
    TopicArn: { Ref: Match.stringLikeRegexp('^MAlarmTopic') },
  });
});
