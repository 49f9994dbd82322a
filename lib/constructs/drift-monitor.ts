/**
 * Drift monitoring, serverless: an EventBridge schedule (hourly or daily,
 * lib/config/environments.ts `drift`) invokes the drift Lambda, which
 * measures each catalog model's current version over the closed hours
 * before the run on Athena (src/drift/), writes the lake's `drift` table and
 * publishes the drift metrics (src/drift/metrics.ts). Alarms page the
 * monitoring topic when a metric crosses the catalog's threshold
 * (src/models/define.ts `drift`):
 *
 *   per model       DriftBreaches ≥ 1, ScoreDriftPsi > score.psi, ScoreDriftKs > score.ks
 *                   (any input or the score past its threshold, the unnamed inputs included)
 *   per feature     FeatureDriftPsi > psi, FeatureDriftKs > ks, for each threshold a feature
 *   named in        sets in `drift.features` — an alarm per input of every model would be
 *   the catalog     hundreds of alarms for what DriftBreaches already says
 *
 * Each alarm's period is the schedule's (an hour or a day), its statistic
 * the maximum; no data (no run yet, or too few predictions to judge) is not
 * breaching. Alarms are named as the Monitoring construct names its own,
 * `featurelake-<env>-<runbook id>`, the id being the anchor of their entry in
 * docs/operations.md ("Drift"). Locally, `featurelake drift` runs the same
 * measurement on DuckDB.
 */
import { Duration } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, Metric, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { Grant } from 'aws-cdk-lib/aws-iam';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { DRIFT_METRICS, type DriftMetricName, driftMetricDimensions } from '../../src/drift/metrics.js';
import { DRIFT_TABLE } from '../../src/lake/tables.js';
import type { Model } from '../../src/models/define.js';
import { MODELS_PREFIX } from '../../src/models/registry.js';
import type { DriftSettings, LakeSettings } from '../config/environments.js';
import { METRICS_NAMESPACE } from './defaults.js';
import { FeatureFunction, type FunctionOwnerProps, ownerFunctionProps } from './feature-function.js';
import { type Lake, lakeLayoutEnvironment } from './lake.js';
import { acknowledgePrefixWildcard } from './nag.js';
import type { QueryWorkgroup } from './query-workgroup.js';
import { targetWithFailureQueue } from './scheduled-failures.js';

export interface DriftMonitorProps extends FunctionOwnerProps {
  /** Schedule, window and timeout (lib/config/environments.ts `drift`). */
  readonly settings: DriftSettings;
  /** The catalog's models: the ones measured, and their alarms' thresholds. */
  readonly models: readonly Model[];
  /** The lake's layout as deployed (its predictions' model partitions included), and the drift files' codec. */
  readonly lakeSettings: Pick<LakeSettings, 'compression' | 'timePartitioning' | 'predictionModels'>;
  readonly lake: Lake;
  readonly queries: QueryWorkgroup;
  /** Where the models' artifacts and aliases are (ModelServing's bucket). */
  readonly modelsBucket: IBucket;
  /** The monitoring topic the alarms notify (alarm and OK). */
  readonly alarmTopic: ITopic;
  /** Times Lambda retries a failed run, and EventBridge a failed delivery, before the event goes to `failures`. @default 2 */
  readonly retryAttempts?: number;
  /** How long a scheduled event may wait for delivery or retries before it goes to `failures`. @default Duration.hours(1) */
  readonly maxEventAge?: Duration;
  /** @default 512 */
  readonly memorySize?: number;
}

export class DriftMonitor extends Construct {
  public readonly function: FeatureFunction;
  public readonly schedule: Rule;
  /** Scheduled events whose run failed after its retries, or that could not be delivered. */
  public readonly failures: Queue;
  public readonly alarms: Alarm[] = [];

  constructor(scope: Construct, id: string, props: DriftMonitorProps) {
    super(scope, id);
    const { settings, lake, queries } = props;
    this.function = new FeatureFunction(this, 'Function', {
      name: 'drift',
      ...ownerFunctionProps(props),
      memorySize: props.memorySize ?? 512,
      timeout: Duration.seconds(settings.timeoutSeconds),
      // Overlapping runs would pay for the same queries twice.
      reservedConcurrentExecutions: 1,
      environment: {
        LAKE_BUCKET: lake.bucket.bucketName,
        MODELS_BUCKET: props.modelsBucket.bucketName,
        ATHENA_WORKGROUP: queries.workgroup.ref,
        GLUE_DATABASE: queries.database.databaseName,
        DRIFT_WINDOW_HOURS: String(settings.windowHours),
        ...lakeLayoutEnvironment(props.lakeSettings),
      },
    });
    const fn = this.function;
    lake.grantReadLake(fn);
    // The drift table's files, written by the function itself (Lake offers rollups/ only as a whole).
    acknowledgePrefixWildcard(this, fn, lake.bucket, DRIFT_TABLE.prefix, 'one Parquet file per model and window');
    Grant.addToPrincipal({
      grantee: fn,
      actions: ['s3:PutObject'],
      resourceArns: [lake.bucket.arnForObjects(`${DRIFT_TABLE.prefix}*`)],
    });
    queries.grantQuery(fn);
    queries.grantRegisterPartitions(fn, DRIFT_TABLE.name);
    // Artifacts and aliases; ListBucket so a model without a current version is NoSuchKey, not AccessDenied.
    Grant.addToPrincipal({
      grantee: fn,
      actions: ['s3:GetObject'],
      resourceArns: [props.modelsBucket.arnForObjects(`${MODELS_PREFIX}*`)],
    });
    Grant.addToPrincipal({ grantee: fn, actions: ['s3:ListBucket'], resourceArns: [props.modelsBucket.bucketArn] });
    acknowledgePrefixWildcard(this, fn, props.modelsBucket, MODELS_PREFIX, 'artifacts are keyed by model name and version');

    const daily = settings.frequency === 'daily';
    this.schedule = new Rule(this, 'Schedule', {
      description: `featurelake ${props.envName}: measure drift over the last ${settings.windowHours} hours`,
      schedule: Schedule.cron(
        daily
          ? { minute: String(settings.minuteOfHour), hour: String(settings.hourOfDay) }
          : { minute: String(settings.minuteOfHour) },
      ),
    });
    this.failures = targetWithFailureQueue(this, this.schedule, fn, {
      what: 'the scheduled drift job',
      retryAttempts: props.retryAttempts ?? 2,
      maxEventAge: props.maxEventAge ?? Duration.hours(1),
    });

    const period = daily ? Duration.days(1) : Duration.hours(1);
    for (const model of props.models) {
      const alarm = (stat: string, name: DriftMetricName, threshold: number, feature?: string) =>
        this.alarm(props.envName, props.alarmTopic, {
          runbookId: driftRunbookId(model.name, stat, feature),
          metric: new Metric({
            namespace: METRICS_NAMESPACE,
            metricName: name,
            dimensionsMap: driftMetricDimensions(props.envName, model.name, feature),
            statistic: 'Maximum',
            period,
          }),
          threshold,
          atLeast: name === DRIFT_METRICS.breaches,
          description: `${model.name}${feature ? ` input ${feature}` : ''}: ${name} ${name === DRIFT_METRICS.breaches ? '≥' : '>'} ${threshold} (the catalog's drift threshold).`,
        });
      alarm('breaches', DRIFT_METRICS.breaches, 1);
      alarm('score-psi', DRIFT_METRICS.scorePsi, model.drift.score.psi);
      alarm('score-ks', DRIFT_METRICS.scoreKs, model.drift.score.ks);
      for (const [feature, thresholds] of Object.entries(model.drift.features)) {
        if (thresholds.psi !== undefined) alarm('psi', DRIFT_METRICS.featurePsi, thresholds.psi, feature);
        if (thresholds.ks !== undefined) alarm('ks', DRIFT_METRICS.featureKs, thresholds.ks, feature);
      }
    }
  }

  private alarm(
    envName: string,
    topic: ITopic,
    spec: { runbookId: string; metric: Metric; threshold: number; atLeast: boolean; description: string },
  ): Alarm {
    const alarm = new Alarm(this, spec.runbookId, {
      // As the Monitoring construct names its alarms: featurelake-<env>-<runbook id>, the entry's anchor.
      alarmName: `featurelake-${envName}-${spec.runbookId}`,
      metric: spec.metric,
      threshold: spec.threshold,
      // The job's own rule: drifted when the statistic is above the threshold.
      comparisonOperator: spec.atLeast
        ? ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD
        : ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      // No run yet, or a window too thin to judge: not drift.
      treatMissingData: TreatMissingData.NOT_BREACHING,
      alarmDescription: `featurelake ${envName}: ${spec.description} Runbook: ${RUNBOOK_DOC}#${spec.runbookId}`,
    });
    const action = new SnsAction(topic);
    alarm.addAlarmAction(action);
    alarm.addOkAction(action);
    this.alarms.push(alarm);
    return alarm;
  }
}

/** Where the drift runbook lives: alarm descriptions link `<doc>#<runbook id>`. */
export const RUNBOOK_DOC = 'docs/operations.md';

/** `drift-<model>-<stat>` or `drift-<model>-<feature>-<stat>`, kebab case: an alarm's name suffix and runbook anchor. */
export function driftRunbookId(model: string, stat: string, feature?: string): string {
  const kebab = (s: string) => s.toLowerCase().replace(/[^a-z0-9]+/g, '-');
  return ['drift', kebab(model), ...(feature === undefined ? [] : [kebab(feature)]), stat].join('-');
}
