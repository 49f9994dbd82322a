/**
 * The operator's dashboard: one CloudWatch dashboard per environment,
 * `featurelake-<env>`, a row per question an operator asks (docs/operations.md,
 * "Dashboard"): are the consumers keeping up, how fresh is the online store,
 * what is quarantined and why, do the data-quality expectations hold, how do
 * the API routes answer, what is predicted and how are scores distributed,
 * are the models drifting, what lands in the lake each hour, and did the
 * rollup and compaction run.
 *
 * It reads the metrics the handlers publish (Powertools, namespace
 * `featurelake`, dimensions `service` and `environment`), AWS/Lambda,
 * AWS/Kinesis, AWS/SQS and the API's per-method metrics (its stage has
 * detailed metrics on). Metrics keyed by values only known at run time
 * (source, expectation, model, feature) are SEARCH expressions.
 */
import { Duration, Stack } from 'aws-cdk-lib';
import type { Method, RestApi } from 'aws-cdk-lib/aws-apigateway';
import {
  AlarmStatusWidget,
  Dashboard,
  GraphWidget,
  type HorizontalAnnotation,
  type IMetric,
  LogQueryVisualizationType,
  LogQueryWidget,
  MathExpression,
  Metric,
  TextWidget,
} from 'aws-cdk-lib/aws-cloudwatch';
import { Construct } from 'constructs';
import type { RejectReason } from '../../src/domain/records.js';
import { DRIFT_METRICS } from '../../src/drift/metrics.js';
import { DQ_METRICS } from '../../src/quality/metrics.js';
import type { Aggregator } from './aggregator.js';
import type { BatchIngest } from './batch-ingest.js';
import { METRICS_NAMESPACE } from './defaults.js';
import type { FeatureApi } from './feature-api.js';
import type { FeatureFunction } from './feature-function.js';
import type { HourlyRollup } from './hourly-rollup.js';
import type { IngestStream } from './ingest-stream.js';
import type { LakeCompaction } from './lake-compaction.js';
import type { LakeWriter } from './lake-writer.js';
import type { ModelServing } from './model-serving.js';
import type { Monitoring } from './monitoring.js';

/** Every reason a consumer quarantines a record for (src/domain/records.ts): a column each in the by-reason widget. */
export const QUARANTINE_REASONS = {
  not_json: true,
  not_an_object: true,
  unknown_source: true,
  schema_violation: true,
  expectation_failed: true,
  late_event: true,
  future_event: true,
} as const satisfies Record<RejectReason, true>;

/**
 * The score distribution's metric: one value per prediction, for percentiles. The predict function
 * does not publish it yet (docs/operations.md, "Dashboard"); its widget stays empty until it does.
 */
export const PREDICTION_SCORE_METRIC = 'PredictionScore';

export interface OperationsDashboardProps {
  /** The environment: the dashboard's name (`featurelake-<env>`) and the metrics' `environment` dimension. */
  readonly envName: string;
  readonly stream: IngestStream;
  /** The stream's consumers. */
  readonly aggregator: Aggregator;
  readonly lakeWriter: LakeWriter;
  /** GET/POST /features: the API and its routes. */
  readonly featureApi: FeatureApi;
  /** POST /predict: its route and function. */
  readonly models: ModelServing;
  readonly rollup: HourlyRollup;
  readonly compaction: LakeCompaction;
  /** Batch uploads (their rows kept and rejected). @default - no batch-ingest graphs */
  readonly batchIngest?: BatchIngest;
  /** Its alarms head the dashboard, with their states. @default - no alarm row */
  readonly monitoring?: Monitoring;
  /** Period of the graphs' points (the lake's are hourly whatever this is). @default Duration.minutes(5) */
  readonly period?: Duration;
}

const FULL = 24;
const HALF = 12;
const THIRD = 8;
const HEIGHT = 6;

export class OperationsDashboard extends Construct {
  public readonly dashboard: Dashboard;
  public readonly dashboardName: string;
  private readonly envName: string;
  private readonly period: Duration;

  constructor(scope: Construct, id: string, props: OperationsDashboardProps) {
    super(scope, id);
    this.envName = props.envName;
    this.period = props.period ?? Duration.minutes(5);
    this.dashboardName = `featurelake-${props.envName}`;
    this.dashboard = new Dashboard(this, 'Dashboard', {
      dashboardName: this.dashboardName,
      defaultInterval: Duration.hours(6),
    });
    const d = this.dashboard;
    const consumers = [props.aggregator.function, props.lakeWriter.function];

    if (props.monitoring) {
      d.addWidgets(
        new AlarmStatusWidget({
          title: 'Alarms (runbook: docs/operations.md)',
          alarms: props.monitoring.alarms,
          width: FULL,
          height: 4,
        }),
      );
    }

    this.section('Ingest', 'records in per consumer, and how far behind the stream each one is');
    d.addWidgets(
      this.graph('Records received per consumer', [
        props.stream.stream.metricIncomingRecords({ statistic: 'Sum', period: this.period, label: 'stream IncomingRecords' }),
        ...consumers.map((fn) => this.custom('RecordsReceived', fn, 'Sum')),
      ]),
      this.graph(
        'Iterator age per consumer (max, ms)',
        consumers.map((fn) => fn.metric('IteratorAge', { statistic: 'Maximum', period: this.period, label: fn.functionKey })),
      ),
    );

    this.section('Freshness', 'event arrival → online store, and the newest event each source has seen');
    d.addWidgets(
      this.graph('Arrival → online (ArrivalToOnlineMs)', [
        this.custom('ArrivalToOnlineMs', props.aggregator.function, 'p50'),
        this.custom('ArrivalToOnlineMs', props.aggregator.function, 'p99'),
        this.custom('ArrivalToOnlineMs', props.aggregator.function, 'Maximum'),
      ]),
      this.graph('Newest event age per source (s)', [this.search(DQ_METRICS.newestEventAge, 'Maximum')]),
    );

    this.section('Quarantine', 'records set aside, per consumer and per reason (under invalid/ in the quarantine bucket)');
    d.addWidgets(
      this.graph('Quarantined records per consumer', [
        ...consumers.map((fn) => this.custom('QuarantinedRecords', fn, 'Sum')),
        ...(props.batchIngest ? [this.custom('BatchRowsRejected', props.batchIngest.function, 'Sum')] : []),
      ]),
      new LogQueryWidget({
        title: 'Quarantined by reason',
        logGroupNames: consumers.map((fn) => fn.logGroup.logGroupName),
        view: LogQueryVisualizationType.STACKEDAREA,
        queryLines: [
          'filter message = "records quarantined"',
          `stats ${Object.keys(QUARANTINE_REASONS)
            .map((r) => `sum(quarantined.${r}) as ${r}`)
            .join(', ')} by bin(5m)`,
        ],
        width: HALF,
        height: HEIGHT,
      }),
    );

    this.section('Data quality', 'expectations checked and failed, per source and expectation');
    d.addWidgets(
      this.graph('Expectation failures', [this.search(DQ_METRICS.failures, 'Sum')]),
      this.graph('Expectations checked', [this.search(DQ_METRICS.checked, 'Sum')]),
    );

    const routes = [
      { label: 'GET /features', method: props.featureApi.method },
      { label: 'POST /features', method: props.featureApi.entitiesMethod },
      { label: 'POST /predict', method: props.models.predictMethod },
    ];
    const api = props.featureApi.api;
    this.section('API', 'latency, errors and requests per route (the stage has per-method metrics)');
    d.addWidgets(
      this.graph(
        'Latency p50 / p99 per route (ms)',
        routes.flatMap((r) => ['p50', 'p99'].map((s) => this.route(api, r.method, 'Latency', s, `${r.label} ${s}`))),
        THIRD,
      ),
      this.graph(
        '4xx / 5xx per route',
        routes.flatMap((r) => ['4XXError', '5XXError'].map((m) => this.route(api, r.method, m, 'Sum', `${r.label} ${m}`))),
        THIRD,
      ),
      this.graph(
        'Requests per route',
        routes.map((r) => this.route(api, r.method, 'Count', 'Sum', r.label)),
        THIRD,
      ),
    );

    const predict = props.models.function;
    this.section('Predictions', 'volume, latency in the function, the prediction log, and the scores');
    d.addWidgets(
      this.graph(
        'Predictions',
        [
          this.custom('Predictions', predict, 'Sum'),
          this.custom('PredictionsLogged', predict, 'Sum'),
          this.custom('PredictionLogFailed', predict, 'Sum'),
          this.custom('ModelVersionRefused', predict, 'Sum'),
        ],
        THIRD,
      ),
      this.graph(
        'PredictLatency p50 / p99 (ms)',
        [this.custom('PredictLatency', predict, 'p50'), this.custom('PredictLatency', predict, 'p99')],
        THIRD,
      ),
      this.graph(
        `Score distribution (${PREDICTION_SCORE_METRIC} p10 / p50 / p90)`,
        ['p10', 'p50', 'p90'].map((s) => this.custom(PREDICTION_SCORE_METRIC, predict, s)),
        THIRD,
      ),
    );

    this.section('Drift', 'population stability (PSI) and KS of features and scores against training, and breaches');
    d.addWidgets(
      this.graph('Feature drift (PSI)', [this.search(DRIFT_METRICS.featurePsi, 'Maximum', Duration.hours(1))], THIRD),
      this.graph(
        'Score drift (PSI, KS)',
        [
          this.search(DRIFT_METRICS.scorePsi, 'Maximum', Duration.hours(1)),
          this.search(DRIFT_METRICS.scoreKs, 'Maximum', Duration.hours(1)),
        ],
        THIRD,
      ),
      this.graph('Drift breaches', [this.search(DRIFT_METRICS.breaches, 'Sum', Duration.hours(1))], THIRD),
    );

    const hour = Duration.hours(1);
    const lakeWriter = props.lakeWriter.function;
    this.section('Lake', 'Parquet files and bytes written per hour, and what compaction merged');
    d.addWidgets(
      this.graph(
        'Lake files per hour',
        [
          this.custom('LakeFilesWritten', lakeWriter, 'Sum', hour),
          this.custom('CompactedFiles', props.compaction.function, 'Sum', hour),
        ],
        THIRD,
      ),
      this.graph('Lake bytes per hour', [this.custom('LakeBytesWritten', lakeWriter, 'Sum', hour)], THIRD),
      this.graph(
        'Lake rows per hour',
        [
          this.custom('LakeRowsWritten', lakeWriter, 'Sum', hour),
          ...(props.batchIngest ? [this.custom('BatchRowsKept', props.batchIngest.function, 'Sum', hour)] : []),
        ],
        THIRD,
      ),
    );

    const jobs = [
      { label: 'rollup', fn: props.rollup.function, failures: props.rollup.failures },
      { label: 'compaction', fn: props.compaction.function, failures: props.compaction.failures },
      ...(props.batchIngest
        ? [{ label: 'batch-ingest', fn: props.batchIngest.function, failures: props.batchIngest.failures }]
        : []),
    ];
    this.section('Rollup and compaction', 'runs, errors and runs given up on (dead letters), per hour');
    d.addWidgets(
      this.graph(
        'Runs and errors',
        jobs.flatMap((j) => [
          j.fn.metricInvocations({ statistic: 'Sum', period: hour, label: `${j.label} runs` }),
          j.fn.metricErrors({ statistic: 'Sum', period: hour, label: `${j.label} errors` }),
        ]),
        THIRD,
      ),
      this.graph(
        'Work done',
        [
          this.custom('RollupHoursDone', props.rollup.function, 'Sum', hour),
          this.custom('CompactedPartitions', props.compaction.function, 'Sum', hour),
          this.custom('CompactionFailures', props.compaction.function, 'Sum', hour),
        ],
        THIRD,
      ),
      this.graph(
        'Dead letters',
        jobs.map((j) =>
          j.failures.metricApproximateNumberOfMessagesVisible({ statistic: 'Maximum', period: this.period, label: j.label }),
        ),
        THIRD,
        [{ value: 1, label: 'a run given up on' }],
      ),
    );
  }

  /** The console address of the dashboard. */
  public get url(): string {
    const region = Stack.of(this).region;
    return `https://${region}.console.aws.amazon.com/cloudwatch/home?region=${region}#dashboards/dashboard/${this.dashboardName}`;
  }

  private section(title: string, subtitle: string): void {
    this.dashboard.addWidgets(new TextWidget({ markdown: `### ${title}\n${subtitle}`, width: FULL, height: 2 }));
  }

  private graph(title: string, left: IMetric[], width = HALF, annotations?: HorizontalAnnotation[]): GraphWidget {
    return new GraphWidget({
      title,
      left,
      width,
      height: HEIGHT,
      ...(annotations ? { leftAnnotations: annotations } : {}),
    });
  }

  /** A Powertools metric of one featurelake function in this environment. */
  private custom(metricName: string, fn: FeatureFunction, statistic: string, period = this.period): Metric {
    return new Metric({
      namespace: METRICS_NAMESPACE,
      metricName,
      dimensionsMap: { service: fn.functionKey, environment: this.envName },
      statistic,
      period,
      label: `${fn.functionKey} ${metricName}${statistic === 'Sum' ? '' : ` ${statistic}`}`,
    });
  }

  /** Every series of a featurelake metric in this environment, whatever its other dimensions. */
  private search(metricName: string, statistic: string, period = this.period): MathExpression {
    return new MathExpression({
      expression: `SEARCH('Namespace="${METRICS_NAMESPACE}" MetricName="${metricName}" environment="${this.envName}"', '${statistic}', ${period.toSeconds()})`,
      usingMetrics: {},
      label: '',
      period,
    });
  }

  /** An API Gateway per-method metric of the stage. */
  private route(api: RestApi, method: Method, metricName: string, statistic: string, label: string): Metric {
    return new Metric({
      namespace: 'AWS/ApiGateway',
      metricName,
      dimensionsMap: {
        ApiName: api.restApiName,
        Stage: api.deploymentStage.stageName,
        Method: method.httpMethod,
        Resource: method.resource.path,
      },
      statistic,
      period: this.period,
      label,
    });
  }
}
