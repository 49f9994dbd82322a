/**
 * The daily data-quality report, run on a schedule without a function: an
 * EventBridge Scheduler schedule calls Athena's StartQueryExecution (a
 * universal target) once a day with `EXECUTE data_quality_daily`, a prepared
 * statement holding athena/data_quality_daily.sql rendered with its defaults
 * (yesterday, UTC, relative to the day it runs). The named query of the same
 * name (QueryWorkgroup) is the console's copy; the results land, as every
 * query of the workgroup, under the results bucket's `results/`.
 *
 * Why a prepared statement: a schedule's input is at most 8 KB, and the report
 * grows with every expectation of the catalog. Why no function: nothing is
 * done with the result but keep it; the figures an alarm needs are the
 * consumers' metrics (src/quality/metrics.ts).
 *
 * Each run carries a ClientRequestToken made of the scheduled time, so a
 * retried delivery does not start the day's query twice. A run Athena refuses
 * to start ends, after the retries, in `failures`; a query that starts and
 * then fails shows in the workgroup's history and CloudWatch metrics
 * (publishCloudWatchMetricsEnabled).
 */
import { Duration, Validations } from 'aws-cdk-lib';
import { CfnPreparedStatement } from 'aws-cdk-lib/aws-athena';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Schedule, ScheduleExpression, ScheduleTargetInput } from 'aws-cdk-lib/aws-scheduler';
import { Universal } from 'aws-cdk-lib/aws-scheduler-targets';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { TimePartitioning } from '../../src/lake/layout.js';
import { DATA_QUALITY_QUERY } from '../../src/quality/report-sql.js';
import { renderSaved, resolveQuery } from '../../src/query/sql-library.js';
import type { Lake } from './lake.js';
import type { QueryWorkgroup } from './query-workgroup.js';

export interface DataQualityReportProps {
  readonly envName: string;
  readonly queries: QueryWorkgroup;
  /** The lake the report reads (its events/ prefix). */
  readonly lake: Lake;
  /** The lake's time partitions, which the report prunes on. */
  readonly timePartitioning: TimePartitioning;
  /** UTC hour of the daily run (the day before is complete by then, late events aside). @default 3 */
  readonly hourOfDay?: number;
  /** Where athena/ is. @default ATHENA_DIR (src/query/sql-library.ts) */
  readonly sqlDir?: string;
  /** Times Scheduler retries a run Athena refused to start. @default 3 */
  readonly retryAttempts?: number;
  /** How long a run may wait for its retries before it goes to `failures`. @default Duration.hours(6) */
  readonly maxEventAge?: Duration;
}

export class DataQualityReport extends Construct {
  public readonly statement: CfnPreparedStatement;
  public readonly schedule: Schedule;
  /** The role the schedule runs the query as: Athena reads the lake and writes results with its permissions. */
  public readonly role: Role;
  /** Runs Athena refused to start after the retries: alarm on its depth. */
  public readonly failures: Queue;

  constructor(scope: Construct, id: string, props: DataQualityReportProps) {
    super(scope, id);
    const hourOfDay = props.hourOfDay ?? 3;
    if (!Number.isInteger(hourOfDay) || hourOfDay < 0 || hourOfDay > 23) {
      throw new Error(`DataQualityReport: hourOfDay must be an integer 0–23, got ${hourOfDay}`);
    }
    const { queries } = props;
    const query = resolveQuery(DATA_QUALITY_QUERY, props.sqlDir);
    this.statement = new CfnPreparedStatement(this, 'Statement', {
      statementName: DATA_QUALITY_QUERY,
      workGroup: queries.workgroup.ref,
      description: query.description.slice(0, 1024),
      queryStatement: renderSaved(query, { timePartitioning: props.timePartitioning }),
    });

    this.role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('scheduler.amazonaws.com'),
      description: `featurelake ${props.envName}: runs the daily data-quality report on Athena`,
    });
    queries.grantQuery(this.role);
    props.lake.grantReadLake(this.role);
    const stack = queries.workgroup.stack;
    const workgroupArn = stack.formatArn({ service: 'athena', resource: 'workgroup', resourceName: queries.workgroup.ref });

    this.failures = new Queue(this, 'Failures', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(this.failures).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        'This queue is itself the dead-letter queue of the daily data-quality report; nothing consumes it automatically, so it needs no dead-letter queue of its own.',
    });

    this.schedule = new Schedule(this, 'Schedule', {
      description: `featurelake ${props.envName}: the daily data-quality report over yesterday's events`,
      schedule: ScheduleExpression.cron({ minute: '0', hour: String(hourOfDay) }),
      target: new Universal({
        service: 'athena',
        action: 'startQueryExecution',
        role: this.role,
        deadLetterQueue: this.failures,
        retryAttempts: props.retryAttempts ?? 3,
        maxEventAge: props.maxEventAge ?? Duration.hours(6),
        input: ScheduleTargetInput.fromObject({
          QueryString: `EXECUTE ${DATA_QUALITY_QUERY}`,
          WorkGroup: queries.workgroup.ref,
          QueryExecutionContext: { Database: queries.database.databaseName },
          // One query per scheduled time, however often the delivery is retried.
          ClientRequestToken: `${DATA_QUALITY_QUERY}-<aws.scheduler.scheduled-time>`,
        }),
        // grantQuery has StartQueryExecution; EXECUTE reads the prepared statement.
        policyStatements: [new PolicyStatement({ actions: ['athena:GetPreparedStatement'], resources: [workgroupArn] })],
      }),
    });
  }
}
