/**
 * Monitoring: one KMS-encrypted, TLS-only SNS topic per environment and the
 * alarms that page it. Thresholds come from the environment config (prod's
 * are stricter than dev's); what is watched is added by intent (a stream
 * consumer, a function, an API, the predict function, freshness).
 *
 * Every alarm has a runbook entry: its id (kebab case of the construct id,
 * `AggregatorIteratorAge` → `aggregator-iterator-age`) is the alarm's name
 * suffix (`featurelake-<env>-<id>`) and the anchor of its entry in
 * docs/operations.md, which the alarm's description links;
 * test/infra/runbook.test.ts holds the two to each other.
 */
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import type { RestApi } from 'aws-cdk-lib/aws-apigateway';
import { Alarm, ComparisonOperator, type IMetric, MathExpression, Metric, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { AlarmSettings } from '../config/environments.js';
import { METRICS_NAMESPACE } from './defaults.js';

/** The document holding the runbook, relative to the repository root: alarm descriptions link `<RUNBOOK_DOC>#<id>`. */
export const RUNBOOK_DOC = 'docs/operations.md';

/** Requests in a period below which the API's 4xx rate is not judged: a handful of bad calls is not a broken client. */
export const API_4XX_MIN_REQUESTS = 100;

/** The runbook id of an alarm's construct id: `AggregatorIteratorAge` → `aggregator-iterator-age`, `Api5xx` → `api-5xx`. */
export function runbookId(alarmId: string): string {
  return alarmId
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .replace(/([a-z])([0-9])/g, '$1-$2')
    .replace(/([A-Z])([A-Z][a-z])/g, '$1-$2')
    .toLowerCase();
}

export interface MonitoringProps {
  /** The `environment` dimension of the custom metrics, and part of every alarm's name. */
  readonly envName: string;
  /** Alarm thresholds (lib/config/environments.ts); `email`, when set, is subscribed to the topic. */
  readonly thresholds: AlarmSettings;
  /** Period of the count alarms (errors, quarantined records, 5xx). @default Duration.minutes(5) */
  readonly period?: Duration;
}

/** What an alarm watches and when it fires (≥ threshold unless `comparison` says otherwise). */
export interface AlarmSpec {
  readonly metric: IMetric;
  readonly threshold: number;
  /** What it means, in one sentence; the runbook link is appended. */
  readonly description: string;
  /** @default 1 */
  readonly evaluationPeriods?: number;
  /** @default - evaluationPeriods */
  readonly datapointsToAlarm?: number;
  /** @default ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD */
  readonly comparison?: ComparisonOperator;
}

/** An alarm and the runbook entry that says what to do about it. */
export interface RunbookAlarm {
  /** Anchor of its entry in docs/operations.md, and its name's suffix. */
  readonly runbookId: string;
  readonly alarm: Alarm;
}

const CLOUDWATCH = new ServicePrincipal('cloudwatch.amazonaws.com');

export class Monitoring extends Construct {
  public readonly topic: Topic;
  public readonly alarms: Alarm[] = [];
  /** Every alarm with its runbook id, in the order they were added. */
  public readonly runbook: RunbookAlarm[] = [];
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
    if (props.thresholds.email) this.topic.addSubscription(new EmailSubscription(props.thresholds.email));
  }

  /** A Kinesis consumer falling behind: the function's IteratorAge (max over a minute), 3 of 5 minutes. */
  public watchStreamConsumer(id: string, fn: IFunction): Alarm {
    return this.watch(`${id}IteratorAge`, {
      metric: fn.metric('IteratorAge', { statistic: 'Maximum', period: Duration.minutes(1) }),
      threshold: this.thresholds.iteratorAgeMs,
      evaluationPeriods: 5,
      datapointsToAlarm: 3,
      description: `${id} is behind the stream by ≥ ${this.thresholds.iteratorAgeMs} ms (max IteratorAge).`,
    });
  }

  /** Records a service quarantined: the Powertools `QuarantinedRecords` metric, summed per period. */
  public watchQuarantine(service: string): Alarm {
    return this.watch('QuarantinedRecords', {
      metric: this.customMetric('QuarantinedRecords', service, 'Sum', this.period),
      threshold: this.thresholds.quarantinedPer5Min,
      description: `≥ ${this.thresholds.quarantinedPer5Min} records quarantined by ${service} in ${this.period.toHumanString()}: look under invalid/ in the quarantine bucket.`,
    });
  }

  /**
   * The online store going stale: the aggregator's `ArrivalToOnlineMs` (a batch's oldest record
   * reaching the stream → its tiles written), max over a minute, 3 of 5 minutes.
   */
  public watchFreshness(service: string): Alarm {
    const ms = this.thresholds.onlineFreshnessMs;
    return this.watch('OnlineFreshness', {
      metric: this.customMetric('ArrivalToOnlineMs', service, 'Maximum', Duration.minutes(1)),
      threshold: ms,
      evaluationPeriods: 5,
      datapointsToAlarm: 3,
      description: `Events take ≥ ${ms} ms from the stream to the online store (${service} ArrivalToOnlineMs, max).`,
    });
  }

  /** A function's errors (invocation failures, timeouts), summed per period. */
  public watchFunctionErrors(id: string, fn: IFunction): Alarm {
    return this.watch(`${id}Errors`, {
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
    return this.watch(`${id}DeadLetters`, {
      metric: queue.metricApproximateNumberOfMessagesVisible({ statistic: 'Maximum', period: this.period }),
      threshold: 1,
      description: `${id}: a scheduled run failed all its retries and is in ${queue.node.path} (re-invoke the function with the message's event once the cause is fixed).`,
    });
  }

  /** Server errors (5XXError) of a REST API, summed per period; and a spike of client errors (4xx rate). */
  public watchApi(api: RestApi): Alarm {
    const percent = this.thresholds.api4xxPercent;
    this.watch('Api4xxRate', {
      // Below the minimum of requests the rate reads 0: too few calls to judge a client by.
      metric: new MathExpression({
        expression: `IF(requests >= ${API_4XX_MIN_REQUESTS}, 100 * errors / requests, 0)`,
        usingMetrics: {
          errors: api.metricClientError({ statistic: 'Sum', period: this.period }),
          requests: api.metricCount({ statistic: 'Sum', period: this.period }),
        },
        period: this.period,
        label: '4xx % of requests',
      }),
      threshold: percent,
      description: `≥ ${percent}% of the API's requests answered 4xx in ${this.period.toHumanString()} (with ≥ ${API_4XX_MIN_REQUESTS} requests).`,
    });
    return this.watch('Api5xx', {
      metric: api.metricServerError({ statistic: 'Sum', period: this.period }),
      threshold: this.thresholds.api5xxPer5Min,
      description: `The feature API answered ≥ ${this.thresholds.api5xxPer5Min} 5xx in ${this.period.toHumanString()}.`,
    });
  }

  /**
   * The inference endpoint's own metrics (lambdas/predict/handler.ts): p99 of PredictLatency,
   * predictions the log gave up on, and model versions refused at load.
   */
  public watchPredict(service: string): Alarm[] {
    const t = this.thresholds;
    return [
      this.watch('PredictLatencyP99', {
        metric: this.customMetric('PredictLatency', service, 'p99', this.period),
        threshold: t.predictLatencyP99Ms,
        evaluationPeriods: 3,
        datapointsToAlarm: 2,
        description: `POST /predict's p99 latency is ≥ ${t.predictLatencyP99Ms} ms (PredictLatency) in 2 of 3 periods of ${this.period.toHumanString()}.`,
      }),
      this.watch('PredictionLogFailed', {
        metric: this.customMetric('PredictionLogFailed', service, 'Sum', this.period),
        threshold: t.predictionLogFailuresPer5Min,
        description: `≥ ${t.predictionLogFailuresPer5Min} predictions could not be written to the prediction log in ${this.period.toHumanString()}: they are in the predict function's logs, not in the lake.`,
      }),
      this.watch('ModelVersionRefused', {
        metric: this.customMetric('ModelVersionRefused', service, 'Sum', this.period),
        threshold: t.modelVersionsRefusedPer5Min,
        description: `The predict function refused to load a model version (ModelVersionRefused); the version loaded before keeps serving.`,
      }),
    ];
  }

  /**
   * Any other alarm, on the topic and in the runbook: `id` is its construct id, from which its
   * runbook id comes (runbookId()); docs/operations.md needs an entry under that anchor.
   */
  public watch(id: string, spec: AlarmSpec): Alarm {
    const anchor = runbookId(id);
    const alarm = new Alarm(this, id, {
      alarmName: `featurelake-${this.envName}-${anchor}`,
      metric: spec.metric,
      threshold: spec.threshold,
      comparisonOperator: spec.comparison ?? ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: spec.evaluationPeriods ?? 1,
      ...(spec.datapointsToAlarm ? { datapointsToAlarm: spec.datapointsToAlarm } : {}),
      // No data means no traffic, not trouble.
      treatMissingData: TreatMissingData.NOT_BREACHING,
      alarmDescription: `featurelake ${this.envName}: ${spec.description} Runbook: ${RUNBOOK_DOC}#${anchor}`,
    });
    const action = new SnsAction(this.topic);
    alarm.addAlarmAction(action);
    alarm.addOkAction(action);
    this.alarms.push(alarm);
    this.runbook.push({ runbookId: anchor, alarm });
    return alarm;
  }

  /** A Powertools metric of one featurelake function in this environment. */
  private customMetric(metricName: string, service: string, statistic: string, period: Duration): Metric {
    return new Metric({
      namespace: METRICS_NAMESPACE,
      metricName,
      dimensionsMap: { service, environment: this.envName },
      statistic,
      period,
    });
  }
}
