/**
 * The aggregator: the Lambda that folds stream records into tiles in the
 * online store, behind a Kinesis event source mapping set up for exactly-once
 * in effect: partial batch responses, bisect on error, bounded retries and
 * record age, one batch per shard at a time, and an on-failure destination
 * that keeps the payload of every batch given up on.
 */
import { Duration } from 'aws-cdk-lib';
import { StartingPosition } from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import type { AggregatorSettings } from '../config/environments.js';
import { FeatureFunction, type FunctionOwnerProps, ownerFunctionProps } from './feature-function.js';
import type { IngestStream } from './ingest-stream.js';
import type { OnlineStore } from './online-store.js';
import type { Quarantine } from './quarantine.js';

export interface AggregatorProps extends FunctionOwnerProps {
  /** Batching, retries, memory, timeout and the lateness policy (lib/config/environments.ts). */
  readonly settings: AggregatorSettings;
  readonly stream: IngestStream;
  readonly store: OnlineStore;
  /** Invalid records go under its `invalid/` prefix, failed batches under `aws/lambda/`. */
  readonly quarantine: Quarantine;
  /**
   * Concurrent batches per shard. Exactly-once needs a tile's events from one shard applied in
   * sequence order (docs/online-store.md). A factor of 1 guarantees that whatever partition key
   * producers use; a higher one only if every producer partitions by entity key, which the
   * stack cannot check. So anything but 1 is rejected.
   * @default 1
   */
  readonly parallelizationFactor?: number;
}

export class Aggregator extends Construct {
  public readonly function: FeatureFunction;

  constructor(scope: Construct, id: string, props: AggregatorProps) {
    super(scope, id);
    const { settings, store, quarantine } = props;
    const parallelizationFactor = props.parallelizationFactor ?? 1;
    if (parallelizationFactor !== 1) {
      throw new Error(
        `aggregator parallelizationFactor must be 1 (in-order application per shard keeps watermarks exact), got ${parallelizationFactor}`,
      );
    }

    this.function = new FeatureFunction(this, 'Function', {
      name: 'aggregator',
      ...ownerFunctionProps(props),
      memorySize: settings.memoryMb,
      timeout: Duration.seconds(settings.timeoutSeconds),
      environment: {
        TABLE_NAME: store.table.tableName,
        QUARANTINE_BUCKET: quarantine.bucket.bucketName,
        MAX_LATENESS_SECONDS: String(settings.maxLatenessSeconds),
        MAX_CLOCK_SKEW_SECONDS: String(settings.maxClockSkewSeconds),
      },
    });
    store.grantWriteTiles(this.function);
    quarantine.grantQuarantine(this.function);

    this.function.addEventSource(
      props.stream.consumerSource(settings, {
        startingPosition: StartingPosition[settings.startingPosition],
        onFailure: quarantine.failedBatchDestination(),
      }),
    );
  }
}
