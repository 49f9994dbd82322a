/**
 * Seed 003's hourly batch job, serverless: an EventBridge schedule invokes the
 * rollup Lambda at a fixed minute of every hour; it rebuilds the last few
 * closed hours of each rollup table through the Athena API
 * (athena/rollup_*.sql, INSERT INTO). Rebuilding an hour first deletes that
 * hour's files, so reruns and overlapping windows replace, never duplicate.
 * Invoke it by hand with `{"hour": "2024-03-05T07:00:00Z"}` to backfill an hour
 * (or run `featurelake rollup --athena --from … --to …`).
 *
 * The function's bundle carries the SQL library (`athena/` beside index.mjs):
 * the SQL is read at run time, and athena/*.sql stays its one source.
 *
 * A run that fails is never dropped silently (./scheduled-failures.ts): it
 * ends in `failures`, and re-invoking the function with a failed event is
 * safe (an hour is replaced).
 */
import { Duration } from 'aws-cdk-lib';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { TimePartitioning } from '../../src/lake/layout.js';
import { ROLLUP_TABLES } from '../../src/lake/tables.js';
import { ATHENA_DIR } from '../../src/query/sql-library.js';
import type { AthenaSettings } from '../config/environments.js';
import { FeatureFunction, type FunctionOwnerProps, ownerFunctionProps } from './feature-function.js';
import type { Lake } from './lake.js';
import type { QueryWorkgroup } from './query-workgroup.js';
import { targetWithFailureQueue } from './scheduled-failures.js';

export interface HourlyRollupProps extends FunctionOwnerProps {
  /** Schedule minute, hours rebuilt per run and timeout (lib/config/environments.ts `athena.rollup`). */
  readonly settings: AthenaSettings['rollup'];
  /** The lake's time partitions, so each run reads only its hour's files. */
  readonly timePartitioning: TimePartitioning;
  readonly lake: Lake;
  readonly queries: QueryWorkgroup;
  /** Times Lambda retries a failed run, and EventBridge a failed delivery, before the event goes to `failures`. @default 2 */
  readonly retryAttempts?: number;
  /**
   * How long a scheduled event may wait for delivery or retries before it goes to `failures`;
   * past an hour the next run's lookback rebuilds the same hours anyway.
   * @default Duration.hours(1)
   */
  readonly maxEventAge?: Duration;
}

export class HourlyRollup extends Construct {
  public readonly function: FeatureFunction;
  public readonly schedule: Rule;
  /** Scheduled events whose run failed after its retries, or that could not be delivered: alarm on its depth. */
  public readonly failures: Queue;

  constructor(scope: Construct, id: string, props: HourlyRollupProps) {
    super(scope, id);
    const { settings, lake, queries } = props;
    this.function = new FeatureFunction(this, 'Function', {
      name: 'rollup',
      ...ownerFunctionProps(props),
      memorySize: 256,
      timeout: Duration.seconds(settings.timeoutSeconds),
      // Two runs over one hour would each delete it, then each insert it: its rows twice.
      reservedConcurrentExecutions: 1,
      environment: {
        LAKE_BUCKET: lake.bucket.bucketName,
        ATHENA_WORKGROUP: queries.workgroup.ref,
        GLUE_DATABASE: queries.database.databaseName,
        ROLLUP_HOURS_BACK: String(settings.hoursBack),
        TIME_PARTITIONING: props.timePartitioning,
      },
      bundledFolders: { athena: ATHENA_DIR },
    });
    lake.grantReadLake(this.function);
    lake.grantReplaceRollups(this.function);
    queries.grantQuery(this.function);
    for (const table of ROLLUP_TABLES) queries.grantRegisterPartitions(this.function, table.name);

    this.schedule = new Rule(this, 'Schedule', {
      description: `featurelake ${props.envName}: rebuild the last ${settings.hoursBack} hours of rollups`,
      schedule: Schedule.cron({ minute: String(settings.minuteOfHour) }),
    });
    const retryAttempts = props.retryAttempts ?? 2;
    const maxEventAge = props.maxEventAge ?? Duration.hours(1);
    // The scheduled event's `time` is the run's hour; the handler rolls up the hours before it.
    this.failures = targetWithFailureQueue(this, this.schedule, this.function, {
      what: 'the scheduled rollup',
      retryAttempts,
      maxEventAge,
    });
  }
}
