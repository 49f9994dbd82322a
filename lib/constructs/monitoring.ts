/**
 * Monitoring: one KMS-encrypted, TLS-only SNS topic and the alarms that page
 * it. Thresholds come from the environment config; what is watched is added
 * by intent (a stream consumer, a function, an API, a quarantine metric).
 */
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import type { RestApi } from 'aws-cdk-lib/aws-apigateway';
import { Alarm, ComparisonOperator, type IMetric, Metric, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Topic } from 'aws-cdk-lib/aws-sns';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { AlarmSettings } from '../config/environments.js';
import { METRICS_NAMESPACE } from './defaults.js';

export interface MonitoringProps {
  /** The `environment` dimension of the custom metrics. */
  readonly envName: string;
  /** Alarm thresholds (lib/config/environments.ts). */
  readonly thresholds: AlarmSettings;
  /** Period of the count alarms (errors, quarantined records, 5xx). @default Duration.minutes(5) */
  readonly period?: Duration;
}

const CLOUDWATCH = new ServicePrincipal('cloudwatch.amazonaws.com');

export class Monitoring extends Construct {
  public readonly topic: Topic;
  public readonly alarms: Alarm[] = [];
  private readonly envName: string;
  private readonly thresholds: AlarmSettings;
  private readonly period: Duration;

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    this.envName = props.envName;
    this.thresholds = props.thresholds;
    this.period = props.period ?? Duration.minutes(5);

    // A customer key: CloudWatch cannot publish to a topic encrypted with the AWS managed aws/sns key.
    const key = new Key(this, 'TopicKey', {
      description: `featurelake ${props.envName} alarm topic`,
      enableKeyRotation: true,
      // Protects alarm notifications in flight only; nothing stays encrypted under it.
      removalPolicy: RemovalPolicy.DESTROY,
      pendingWindow: Duration.days(7),
    });
    // Exactly what SNS asks of the key when CloudWatch publishes (no GenerateDataKey* wildcard).
    key.addToResourcePolicy(
      new PolicyStatement({ principals: [CLOUDWATCH], actions: ['kms:Decrypt', 'kms:GenerateDataKey'], resources: ['*'] }),
    );
    this.topic = new Topic(this, 'AlarmTopic', {
      displayName: `featurelake ${props.envName} alarms`,
      masterKey: key,
      enforceSSL: true,
    });
    // enforceSSL gives the topic a policy, which replaces the default one that let CloudWatch in.
    const stack = Stack.of(this);
    this.topic.addToResourcePolicy(
      new PolicyStatement({
        principals: [CLOUDWATCH],
        actions: ['sns:Publish'],
        resources: [this.topic.topicArn],
        conditions: {
          ArnLike: { 'aws:SourceArn': `arn:${stack.partition}:cloudwatch:${stack.region}:${stack.account}:alarm:*` },
        },
      }),
    );
  }

  /** A Kinesis consumer falling behind: the function's IteratorAge (max over a minute), 3 of 5 minutes. */
  public watchStreamConsumer(id: string, fn: IFunction): Alarm {
    return this.alarm(`${id}IteratorAge`, {
      metric: fn.metric('IteratorAge', { statistic: 'Maximum', period: Duration.minutes(1) }),
      threshold: this.thresholds.iteratorAgeMs,
      evaluationPeriods: 5,
      datapointsToAlarm: 3,
      description: `${id} is behind the stream by ≥ ${this.thresholds.iteratorAgeMs} ms (max IteratorAge).`,
    });
  }

  /** Records a service quarantined: the Powertools `QuarantinedRecords` metric, summed per period. */
  public watchQuarantine(service: string): Alarm {
    const metric = new Metric({
      namespace: METRICS_NAMESPACE,
      metricName: 'QuarantinedRecords',
      dimensionsMap: { service, environment: this.envName },
      statistic: 'Sum',
      period: this.period,
    });
    return this.alarm('QuarantinedRecords', {
      metric,
      threshold: this.thresholds.quarantinedPer5Min,
      description: `≥ ${this.thresholds.quarantinedPer5Min} records quarantined by ${service} in ${this.period.toHumanString()}: look under invalid/ in the quarantine bucket.`,
    });
  }

  /** A function's errors (invocation failures, timeouts), summed per period. */
  public watchFunctionErrors(id: string, fn: IFunction): Alarm {
    return this.alarm(`${id}Errors`, {
      metric: fn.metricErrors({ statistic: 'Sum', period: this.period }),
      threshold: this.thresholds.functionErrorsPer5Min,
      description: `${id}: ≥ ${this.thresholds.functionErrorsPer5Min} Lambda errors in ${this.period.toHumanString()}.`,
    });
  }

  /**
   * A dead-letter queue that holds anything: a scheduled run that failed all
   * its retries, or an event EventBridge could not deliver. One message is
   * one run that did not happen.
   */
  public watchDeadLetters(id: string, queue: IQueue): Alarm {
    return this.alarm(`${id}DeadLetters`, {
      metric: queue.metricApproximateNumberOfMessagesVisible({ statistic: 'Maximum', period: this.period }),
      threshold: 1,
      description: `${id}: a scheduled run failed all its retries and is in ${queue.node.path} (re-invoke the function with the message's event once the cause is fixed).`,
    });
  }

  /** Server errors (5XXError) of a REST API, summed per period. */
  public watchApi(api: RestApi): Alarm {
    return this.alarm('Api5xx', {
      metric: api.metricServerError({ statistic: 'Sum', period: this.period }),
      threshold: this.thresholds.api5xxPer5Min,
      description: `The feature API answered ≥ ${this.thresholds.api5xxPer5Min} 5xx in ${this.period.toHumanString()}.`,
    });
  }

  private alarm(
    id: string,
    spec: { metric: IMetric; threshold: number; description: string; evaluationPeriods?: number; datapointsToAlarm?: number },
  ): Alarm {
    const alarm = new Alarm(this, id, {
      metric: spec.metric,
      threshold: spec.threshold,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: spec.evaluationPeriods ?? 1,
      ...(spec.datapointsToAlarm ? { datapointsToAlarm: spec.datapointsToAlarm } : {}),
      // No data means no traffic, not trouble.
      treatMissingData: TreatMissingData.NOT_BREACHING,
      alarmDescription: `featurelake ${this.envName}: ${spec.description}`,
    });
    const action = new SnsAction(this.topic);
    alarm.addAlarmAction(action);
    alarm.addOkAction(action);
    this.alarms.push(alarm);
    return alarm;
  }
}
