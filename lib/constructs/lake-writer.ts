/**
 * The lake writer: a second consumer of the stream that batches valid events
 * into Parquet files in the lake (src/lake/lake-writer.ts). Its event source
 * mapping flushes by record count and by time (the lake settings), with the
 * same safety as the aggregator's: partial batch responses, bisect on error,
 * bounded retries and record age, failed batches kept in the quarantine.
 */
import { Duration } from 'aws-cdk-lib';
import { StartingPosition } from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import type { AggregatorSettings, LakeSettings } from '../config/environments.js';
import { FeatureFunction, type FunctionOwnerProps, ownerFunctionProps } from './feature-function.js';
import type { IngestStream } from './ingest-stream.js';
import { type Lake, lakeLayoutEnvironment } from './lake.js';
import type { OnlineStore } from './online-store.js';
import type { Quarantine } from './quarantine.js';

export interface LakeWriterProps extends FunctionOwnerProps {
  /** Batching, compression, partitioning, retries and lateness (lib/config/environments.ts). */
  readonly settings: LakeSettings;
  /** The clock-skew allowance, shared with the aggregator so both judge events alike. */
  readonly maxClockSkewSeconds: AggregatorSettings['maxClockSkewSeconds'];
  /** Where the stream starts for a new mapping. @default TRIM_HORIZON */
  readonly startingPosition?: StartingPosition;
  readonly stream: IngestStream;
  readonly lake: Lake;
  readonly quarantine: Quarantine;
  /** The online store, where the markers of sources with `dedupeBy` live. @default none: no source deduplicates */
  readonly dedupeMarkers?: OnlineStore;
}

export class LakeWriter extends Construct {
  public readonly function: FeatureFunction;

  constructor(scope: Construct, id: string, props: LakeWriterProps) {
    super(scope, id);
    const { settings, lake, quarantine } = props;
    this.function = new FeatureFunction(this, 'Function', {
      name: 'lake-writer',
      ...ownerFunctionProps(props),
      memorySize: settings.memoryMb,
      timeout: Duration.seconds(settings.timeoutSeconds),
      environment: {
        LAKE_BUCKET: lake.bucket.bucketName,
        QUARANTINE_BUCKET: quarantine.bucket.bucketName,
        MAX_LATENESS_SECONDS: String(settings.maxLatenessSeconds),
        MAX_CLOCK_SKEW_SECONDS: String(props.maxClockSkewSeconds),
        ...lakeLayoutEnvironment(settings),
        ...(props.dedupeMarkers ? { TABLE_NAME: props.dedupeMarkers.table.tableName } : {}),
      },
    });
    lake.grantWriteEvents(this.function);
    props.dedupeMarkers?.grantWriteDedupeMarkers(this.function);
    quarantine.grantQuarantine(this.function);

    this.function.addEventSource(
      props.stream.consumerSource(settings, {
        startingPosition: props.startingPosition ?? StartingPosition.TRIM_HORIZON,
        onFailure: quarantine.failedBatchDestination(),
      }),
    );
  }
}
