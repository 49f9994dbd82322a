/**
 * Batch sources (src/batch/ingest.ts): an upload under the lake bucket's
 * `sources/` prefix is an S3 "Object Created" event on EventBridge; a rule
 * matching that prefix invokes the batch-ingest function, which writes the
 * file's good rows to the lake and the newest row per entity to the online
 * table, and reports its bad rows in the quarantine.
 *
 * EventBridge rather than a bucket notification to Lambda: the bucket's native
 * `EventBridgeConfiguration` needs no custom resource (CDK's notification
 * handler function and its managed policy), and the rule target gets the same
 * failure handling as the scheduled functions (./scheduled-failures.ts): an
 * event EventBridge cannot deliver, or a run that still fails after Lambda's
 * retries, ends in `failures`. Re-invoking with it is safe: ingest is idempotent.
 *
 * Least privilege: s3:GetObject under `sources/`; s3:PutObject under each batch
 * source's own table prefix `events/<source>/`; PutItem on the online table;
 * the quarantine's `invalid/` prefix.
 */
import { Duration } from 'aws-cdk-lib';
import { Rule } from 'aws-cdk-lib/aws-events';
import { Grant } from 'aws-cdk-lib/aws-iam';
import type { CfnBucket } from 'aws-cdk-lib/aws-s3';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { SOURCES_PREFIX } from '../../src/batch/ingest.js';
import type { BatchSource } from '../../src/features/batch-source.js';
import { EVENTS_PREFIX } from '../../src/lake/layout.js';
import type { LakeSettings } from '../config/environments.js';
import { FeatureFunction, type FunctionOwnerProps, ownerFunctionProps } from './feature-function.js';
import { type Lake, lakeLayoutEnvironment } from './lake.js';
import { acknowledgePrefixWildcard } from './nag.js';
import type { OnlineStore } from './online-store.js';
import type { Quarantine } from './quarantine.js';
import { targetWithFailureQueue } from './scheduled-failures.js';

/** Exactly what the batch online writer calls (src/batch/online-writer.ts): one conditional PutItem per entity. */
const WRITE_BATCH_VALUES_ACTIONS = ['dynamodb:PutItem'];

export interface BatchIngestProps extends FunctionOwnerProps {
  /** The catalog's batch sources: one lake table prefix each. */
  readonly sources: readonly BatchSource[];
  /** Partitioning and codec of the lake files (the lake writer's). */
  readonly settings: Pick<LakeSettings, 'compression' | 'timePartitioning' | 'predictionModels'>;
  readonly lake: Lake;
  readonly store: OnlineStore;
  readonly quarantine: Quarantine;
  /** @default 1024 (a file is read whole: CSV text or a Parquet footer and its row groups) */
  readonly memoryMb?: number;
  /** @default Duration.minutes(5) */
  readonly timeout?: Duration;
  /** Times Lambda retries a failed run, and EventBridge a failed delivery, before the event goes to `failures`. @default 2 */
  readonly retryAttempts?: number;
  /** How long an upload's event may wait for delivery or retries before it goes to `failures`. @default Duration.hours(6) */
  readonly maxEventAge?: Duration;
}

export class BatchIngest extends Construct {
  public readonly function: FeatureFunction;
  public readonly rule: Rule;
  /** Uploads whose ingest failed after its retries, or whose event could not be delivered: alarm on its depth. */
  public readonly failures: Queue;

  constructor(scope: Construct, id: string, props: BatchIngestProps) {
    super(scope, id);
    const { lake, store, quarantine } = props;
    this.function = new FeatureFunction(this, 'Function', {
      name: 'batch-ingest',
      ...ownerFunctionProps(props),
      memorySize: props.memoryMb ?? 1024,
      timeout: props.timeout ?? Duration.minutes(5),
      environment: {
        LAKE_BUCKET: lake.bucket.bucketName,
        QUARANTINE_BUCKET: quarantine.bucket.bucketName,
        TABLE_NAME: store.table.tableName,
        ...lakeLayoutEnvironment(props.settings),
      },
    });

    const bucketArn = lake.bucket.bucketArn;
    Grant.addToPrincipal({
      grantee: this.function,
      actions: ['s3:GetObject'],
      resourceArns: [`${bucketArn}/${SOURCES_PREFIX}*`],
    });
    acknowledgePrefixWildcard(this, this.function, lake.bucket, SOURCES_PREFIX, 'any file uploaded for a batch source');
    for (const source of props.sources) {
      const prefix = `${EVENTS_PREFIX}${source.name}/`;
      Grant.addToPrincipal({ grantee: this.function, actions: ['s3:PutObject'], resourceArns: [`${bucketArn}/${prefix}*`] });
      acknowledgePrefixWildcard(this, this.function, lake.bucket, prefix, 'one Parquet file per ingested file, keyed by its run');
    }
    Grant.addToPrincipal({ grantee: this.function, actions: WRITE_BATCH_VALUES_ACTIONS, resourceArns: [store.table.tableArn] });
    quarantine.grantQuarantine(this.function);

    // S3 → EventBridge, natively on the bucket (no notification custom resource).
    const cfnBucket = lake.bucket.node.defaultChild as CfnBucket;
    cfnBucket.addPropertyOverride('NotificationConfiguration.EventBridgeConfiguration.EventBridgeEnabled', true);
    this.rule = new Rule(this, 'Uploads', {
      description: `featurelake ${props.envName}: ingest files uploaded under ${SOURCES_PREFIX} of the lake bucket`,
      eventPattern: {
        source: ['aws.s3'],
        detailType: ['Object Created'],
        detail: { bucket: { name: [lake.bucket.bucketName] }, object: { key: [{ prefix: SOURCES_PREFIX }] } },
      },
    });
    this.failures = targetWithFailureQueue(this, this.rule, this.function, {
      what: 'the batch ingest of uploaded files',
      retryAttempts: props.retryAttempts ?? 2,
      maxEventAge: props.maxEventAge ?? Duration.hours(6),
    });
  }
}
