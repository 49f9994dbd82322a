/**
 * The ingest stream: the Kinesis data stream producers put events on, with the
 * entity key as the partition key (so one entity's events stay ordered on one
 * shard, which the aggregator's per-shard watermarks rely on).
 */
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type { IGrantable } from 'aws-cdk-lib/aws-iam';
import { Stream, StreamEncryption, StreamMode } from 'aws-cdk-lib/aws-kinesis';
import type { IEventSourceDlq, StartingPosition } from 'aws-cdk-lib/aws-lambda';
import { KinesisEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { Construct } from 'constructs';
import type { StreamSettings } from '../config/environments.js';
import { DEFAULT_STREAM_SETTINGS } from './defaults.js';

export interface IngestStreamProps {
  /**
   * Capacity mode, shards and retention (lib/config/environments.ts).
   * @default on-demand, 24 hours retention (DEFAULT_STREAM_SETTINGS)
   */
  readonly settings?: StreamSettings;
  /** @default RemovalPolicy.DESTROY */
  readonly removalPolicy?: RemovalPolicy;
}

/** A consumer's batching and retry settings (`aggregator` or `lake` in lib/config/environments.ts). */
export interface ConsumerSettings {
  readonly batchSize: number;
  readonly maxBatchingWindowSeconds: number;
  readonly retryAttempts: number;
  readonly maxRecordAgeSeconds: number;
}

export class IngestStream extends Construct {
  public readonly stream: Stream;

  constructor(scope: Construct, id: string, props: IngestStreamProps = {}) {
    super(scope, id);
    const settings = props.settings ?? DEFAULT_STREAM_SETTINGS;
    const provisioned = settings.capacityMode === 'PROVISIONED';
    this.stream = new Stream(this, 'Stream', {
      streamMode: provisioned ? StreamMode.PROVISIONED : StreamMode.ON_DEMAND,
      ...(provisioned ? { shardCount: settings.shardCount ?? 1 } : {}),
      retentionPeriod: Duration.hours(settings.retentionHours),
      // The AWS managed key (aws/kinesis): encrypted at rest with no key policy to maintain and no
      // per-consumer KMS charges; cdk-nag AwsSolutions-KDS3 recommends it over a customer key.
      encryption: StreamEncryption.MANAGED,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.DESTROY,
    });
  }

  /** Producers: PutRecord(s) and ListShards on this stream only. */
  public grantProduce(grantee: IGrantable) {
    return this.stream.grantWrite(grantee);
  }

  /**
   * The event source of every consumer of this stream, set up the one way
   * exactly-once needs: failing batches bisected, partial batch responses,
   * one batch per shard at a time (each shard's records applied in sequence
   * order, which the consumers' watermarks rely on), and batches given up on
   * sent to `onFailure`.
   */
  public consumerSource(
    settings: ConsumerSettings,
    options: { readonly startingPosition: StartingPosition; readonly onFailure: IEventSourceDlq },
  ): KinesisEventSource {
    return new KinesisEventSource(this.stream, {
      batchSize: settings.batchSize,
      maxBatchingWindow: Duration.seconds(settings.maxBatchingWindowSeconds),
      startingPosition: options.startingPosition,
      retryAttempts: settings.retryAttempts,
      maxRecordAge: Duration.seconds(settings.maxRecordAgeSeconds),
      bisectBatchOnError: true,
      reportBatchItemFailures: true,
      parallelizationFactor: 1,
      onFailure: options.onFailure,
    });
  }

  /** Consumers reading with shared-throughput iterators (what a Lambda event source mapping needs). */
  public grantConsume(grantee: IGrantable) {
    return this.stream.grantRead(grantee);
  }
}
