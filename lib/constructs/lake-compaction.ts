/**
 * Small-file compaction of the lake (src/lake/compaction.ts): an EventBridge
 * rule — daily at `lake.compaction.hourOfDay` UTC, or hourly — invokes the
 * compactor, which merges the partitions of the `daysBack` days before the
 * run (and, hourly, of the run's own day).
 * Least privilege: list, get, put and delete under `events/` and its own
 * manifests under `_compaction/`; nothing else of the bucket.
 *
 * A run that fails is never dropped silently (./scheduled-failures.ts): it
 * ends in `failures`, and re-invoking the function with it is safe (a run
 * finishes what an interrupted one left).
 */
import { Duration } from 'aws-cdk-lib';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { LakeSettings } from '../config/environments.js';
import { FeatureFunction, type FunctionOwnerProps, ownerFunctionProps } from './feature-function.js';
import { type Lake, lakeLayoutEnvironment } from './lake.js';
import { targetWithFailureQueue } from './scheduled-failures.js';

export interface LakeCompactionProps extends FunctionOwnerProps {
  /** Schedule, reach and limits (`lake.compaction`), and the layout and codec the writer uses. */
  readonly settings: Pick<LakeSettings, 'compaction' | 'compression' | 'timePartitioning' | 'predictionModels'>;
  readonly lake: Lake;
  /** Times Lambda retries a failed run, and EventBridge a failed delivery, before the event goes to `failures`. @default 2 */
  readonly retryAttempts?: number;
  /** How long a scheduled event may wait for delivery or retries before it goes to `failures`. @default Duration.hours(6) */
  readonly maxEventAge?: Duration;
}

export class LakeCompaction extends Construct {
  public readonly function: FeatureFunction;
  public readonly schedule: Rule;
  /** Scheduled events whose run failed after its retries, or that could not be delivered: alarm on its depth. */
  public readonly failures: Queue;

  constructor(scope: Construct, id: string, props: LakeCompactionProps) {
    super(scope, id);
    const { settings, lake } = props;
    const { compaction } = settings;
    this.function = new FeatureFunction(this, 'Function', {
      name: 'compactor',
      ...ownerFunctionProps(props),
      memorySize: compaction.memoryMb,
      timeout: Duration.seconds(compaction.timeoutSeconds),
      // Two runs that listed different files (one aged in between) would merge the shared ones twice.
      reservedConcurrentExecutions: 1,
      environment: {
        LAKE_BUCKET: lake.bucket.bucketName,
        ...lakeLayoutEnvironment(settings),
        COMPACTION_FREQUENCY: compaction.frequency,
        COMPACTION_DAYS_BACK: String(compaction.daysBack),
        COMPACTION_MIN_AGE_HOURS: String(compaction.minAgeHours),
        COMPACTION_MAX_INPUT_MB: String(compaction.maxInputMb),
      },
    });
    lake.grantCompactEvents(this.function);

    this.schedule = new Rule(this, 'Schedule', {
      description: `featurelake ${props.envName}: merge the lake's small files (${compaction.frequency})`,
      // Hourly runs at minute 45, away from the rollup's; daily ones at the top of `hourOfDay`.
      schedule:
        compaction.frequency === 'hourly'
          ? Schedule.cron({ minute: '45' })
          : Schedule.cron({ minute: '0', hour: String(compaction.hourOfDay) }),
    });
    const retryAttempts = props.retryAttempts ?? 2;
    const maxEventAge = props.maxEventAge ?? Duration.hours(6);
    this.failures = targetWithFailureQueue(this, this.schedule, this.function, {
      what: 'the scheduled compaction',
      retryAttempts,
      maxEventAge,
    });
  }
}
