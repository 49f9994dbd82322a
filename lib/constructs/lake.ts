/**
 * The lake bucket: Parquet events under `events/` (partitioned as
 * src/lake/layout.ts says), rollups under `rollups/`. Encrypted, TLS-only,
 * public access blocked, access-logged; old partitions move to cheaper storage
 * classes (and optionally expire) per environment.
 */
import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import { Grant, type IGrantable } from 'aws-cdk-lib/aws-iam';
import { Bucket, type IBucket, StorageClass } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { COMPACTION_PREFIX, EVENTS_PREFIX } from '../../src/lake/layout.js';
import { ROLLUPS_PREFIX } from '../../src/lake/tables.js';
import { type LakeSettings, lakeTransitions, lifecycleProblems } from '../config/environments.js';
import { secureBucketProps } from './defaults.js';
import { acknowledgePrefixWildcard } from './nag.js';

export interface LakeProps {
  readonly removalPolicy: RemovalPolicy;
  /** Storage-class transitions and expiry of event partitions. */
  readonly lifecycle: Pick<LakeSettings, 'infrequentAccessAfterDays' | 'glacierAfterDays' | 'expireAfterDays'>;
  /** Where the bucket's S3 server access logs go. */
  readonly accessLogBucket: IBucket;
}

/** The environment of a function that writes lake files, read back by `lakeLayoutFromEnv` (src/aws/lake-env.ts). */
export function lakeLayoutEnvironment(
  settings: Pick<LakeSettings, 'compression' | 'timePartitioning' | 'predictionModels'>,
): Record<string, string> {
  return {
    PARQUET_COMPRESSION: settings.compression,
    TIME_PARTITIONING: settings.timePartitioning,
    PREDICTION_MODELS: (settings.predictionModels ?? []).join(','),
  };
}

export class Lake extends Construct {
  public readonly bucket: Bucket;

  constructor(scope: Construct, id: string, props: LakeProps) {
    super(scope, id);
    const { lifecycle } = props;
    // The config's validation says this too; a construct used on its own must not skip it.
    const problems = lifecycleProblems(lakeTransitions(lifecycle), lifecycle.expireAfterDays);
    if (problems.length > 0) throw new Error(`Lake lifecycle: ${problems.join('; ')}`);
    this.bucket = new Bucket(this, 'Bucket', {
      ...secureBucketProps(props.removalPolicy),
      serverAccessLogsBucket: props.accessLogBucket,
      serverAccessLogsPrefix: 'lake/',
      lifecycleRules: [
        {
          id: 'tier-event-partitions',
          prefix: EVENTS_PREFIX,
          transitions: lakeTransitions(lifecycle).map((t) => ({
            storageClass: new StorageClass(t.storageClass),
            transitionAfter: Duration.days(t.afterDays),
          })),
          ...(lifecycle.expireAfterDays === undefined ? {} : { expiration: Duration.days(lifecycle.expireAfterDays) }),
        },
        { id: 'abort-incomplete-uploads', abortIncompleteMultipartUploadAfter: Duration.days(1) },
      ],
    });
  }

  /** A stream consumer writing event files: s3:PutObject under `events/`, and listing it (for the file watermarks). */
  public grantWriteEvents(grantee: IGrantable): Grant {
    Grant.addToPrincipal({
      grantee,
      actions: ['s3:ListBucket'],
      resourceArns: [this.bucket.bucketArn],
      conditions: { StringLike: { 's3:prefix': [`${EVENTS_PREFIX}*`] } },
    });
    acknowledgePrefixWildcard(
      this,
      grantee,
      this.bucket,
      EVENTS_PREFIX,
      'one Parquet file per partition, shard and sequence range',
    );
    return Grant.addToPrincipal({
      grantee,
      actions: ['s3:PutObject'],
      resourceArns: [`${this.bucket.bucketArn}/${EVENTS_PREFIX}*`],
    });
  }

  /** Compaction: list, read, write and delete under `events/` and its manifests under `_compaction/`. */
  public grantCompactEvents(grantee: IGrantable): Grant {
    Grant.addToPrincipal({
      grantee,
      actions: ['s3:ListBucket'],
      resourceArns: [this.bucket.bucketArn],
      conditions: { StringLike: { 's3:prefix': [`${EVENTS_PREFIX}*`, `${COMPACTION_PREFIX}*`] } },
    });
    for (const prefix of [EVENTS_PREFIX, COMPACTION_PREFIX])
      acknowledgePrefixWildcard(
        this,
        grantee,
        this.bucket,
        prefix,
        'a partition’s small files are merged and deleted as a whole',
      );
    return Grant.addToPrincipal({
      grantee,
      actions: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'],
      resourceArns: [`${this.bucket.bucketArn}/${EVENTS_PREFIX}*`, `${this.bucket.bucketArn}/${COMPACTION_PREFIX}*`],
    });
  }

  /** Athena reading the lake: list and get under `events/` and `rollups/`. */
  public grantReadLake(grantee: IGrantable): Grant {
    Grant.addToPrincipal({ grantee, actions: ['s3:ListBucket', 's3:GetBucketLocation'], resourceArns: [this.bucket.bucketArn] });
    acknowledgePrefixWildcard(this, grantee, this.bucket, EVENTS_PREFIX, 'Athena reads every file of a queried partition');
    acknowledgePrefixWildcard(this, grantee, this.bucket, ROLLUPS_PREFIX, 'Athena reads every file of a queried partition');
    return Grant.addToPrincipal({
      grantee,
      actions: ['s3:GetObject'],
      resourceArns: [`${this.bucket.bucketArn}/${EVENTS_PREFIX}*`, `${this.bucket.bucketArn}/${ROLLUPS_PREFIX}*`],
    });
  }

  /** The hourly rollup: replace an hour of `rollups/` (delete, then Athena writes). */
  public grantReplaceRollups(grantee: IGrantable): Grant {
    acknowledgePrefixWildcard(this, grantee, this.bucket, ROLLUPS_PREFIX, 'an hour of rollup files is replaced as a whole');
    return Grant.addToPrincipal({
      grantee,
      // Athena writes INSERT INTO output as the caller, in multipart uploads for large files.
      actions: ['s3:PutObject', 's3:DeleteObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts'],
      resourceArns: [`${this.bucket.bucketArn}/${ROLLUPS_PREFIX}*`],
    });
  }
}
