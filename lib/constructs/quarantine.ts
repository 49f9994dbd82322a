/**
 * The quarantine: the bucket where nothing is dropped silently. Consumers put
 * each record they cannot use under `invalid/` (src/quarantine/quarantine.ts);
 * Lambda puts whole batches it gave up on under `aws/lambda/` (the event source
 * mapping's on-failure destination, payload included). Server access logs go
 * to a separate bucket, which outlives the stack (see `accessLogRemovalPolicy`).
 */
import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import { Grant, type IGrantable } from 'aws-cdk-lib/aws-iam';
import type { DlqDestinationConfig, IEventSourceDlq, IEventSourceMapping, IFunction } from 'aws-cdk-lib/aws-lambda';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import { S3_SERVER_ACCESS_LOGS_USE_BUCKET_POLICY } from 'aws-cdk-lib/cx-api';
import { Construct } from 'constructs';
import { QUARANTINE_PREFIX } from '../../src/quarantine/quarantine.js';
import { quarantineRetention, secureBucketProps } from './defaults.js';
import { acknowledgePrefixWildcard } from './nag.js';

export { QUARANTINE_PREFIX };
/** Where Lambda writes failed batches of an event source mapping (fixed by Lambda: aws/lambda/<mapping id>/<shard>/…). */
export const FAILED_BATCH_PREFIX = 'aws/lambda/';

export interface QuarantineProps {
  /** @default RemovalPolicy.DESTROY (and the buckets are emptied on delete) */
  readonly removalPolicy?: RemovalPolicy;
  /** How long quarantined records and failed batches are kept. @default Duration.days(90) */
  readonly expiration?: Duration;
  /** How long S3 server access logs are kept. @default the same as `expiration` */
  readonly accessLogExpiration?: Duration;
  /**
   * What happens to the access-log bucket when the stack is deleted. S3 delivers server access logs
   * best effort, minutes after the requests, so the logs of emptying the other buckets keep arriving
   * after CDK's empty-on-delete has run, and deleting the log bucket fails with BucketNotEmpty
   * (aws/aws-cdk#16332, #21776: a race no CloudFormation ordering closes). Retained, it has a
   * generated name (a redeploy creates a new one) and its lifecycle rule empties it.
   * @default RemovalPolicy.RETAIN
   */
  readonly accessLogRemovalPolicy?: RemovalPolicy;
}

export class Quarantine extends Construct {
  public readonly bucket: Bucket;
  /** Receives the quarantine bucket's S3 server access logs. */
  public readonly accessLogBucket: Bucket;

  constructor(scope: Construct, id: string, props: QuarantineProps = {}) {
    super(scope, id);
    // Log delivery through a bucket policy, never an ACL (ACLs are disabled on every bucket),
    // whatever the app's feature flags say.
    this.node.setContext(S3_SERVER_ACCESS_LOGS_USE_BUCKET_POLICY, true);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.DESTROY;
    const expiration = props.expiration ?? quarantineRetention(false);

    this.accessLogBucket = new Bucket(this, 'AccessLogBucket', {
      ...secureBucketProps(props.accessLogRemovalPolicy ?? RemovalPolicy.RETAIN),
      lifecycleRules: [{ id: 'expire-access-logs', expiration: props.accessLogExpiration ?? expiration }],
    });
    Validations.of(this.accessLogBucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        'This bucket is the server access log target of the quarantine bucket; logging it too would only log the log delivery.',
    });

    this.bucket = new Bucket(this, 'Bucket', {
      ...secureBucketProps(removalPolicy),
      serverAccessLogsBucket: this.accessLogBucket,
      serverAccessLogsPrefix: 'quarantine/',
      lifecycleRules: [
        { id: 'expire-quarantined-records', expiration },
        { id: 'abort-incomplete-uploads', abortIncompleteMultipartUploadAfter: Duration.days(1) },
      ],
    });
  }

  /** A consumer quarantining invalid records: s3:PutObject under `invalid/` only. */
  public grantQuarantine(grantee: IGrantable): Grant {
    const resource = `${this.bucket.bucketArn}/${QUARANTINE_PREFIX}*`;
    const grant = Grant.addToPrincipal({ grantee, actions: ['s3:PutObject'], resourceArns: [resource] });
    acknowledgePrefixWildcard(
      this,
      grantee,
      this.bucket,
      QUARANTINE_PREFIX,
      'one object per quarantined record, keyed by consumer/date/shard/sequence number',
    );
    return grant;
  }

  /**
   * The on-failure destination of a stream event source mapping: Lambda writes each batch it
   * gives up on, payload included, under `aws/lambda/`. Grants the function's role exactly what
   * Lambda documents for an S3 destination (s3:PutObject, s3:ListBucket), not the broad
   * read-write grant of aws-lambda-event-sources' S3OnFailureDestination (wildcard actions).
   */
  public failedBatchDestination(): IEventSourceDlq {
    return {
      bind: (_mapping: IEventSourceMapping, handler: IFunction): DlqDestinationConfig => {
        Grant.addToPrincipal({ grantee: handler, actions: ['s3:ListBucket'], resourceArns: [this.bucket.bucketArn] });
        Grant.addToPrincipal({
          grantee: handler,
          actions: ['s3:PutObject'],
          resourceArns: [`${this.bucket.bucketArn}/${FAILED_BATCH_PREFIX}*`],
        });
        acknowledgePrefixWildcard(
          this,
          handler,
          this.bucket,
          FAILED_BATCH_PREFIX,
          'Lambda names failed-batch objects by mapping id, shard and time',
        );
        return { destination: this.bucket.bucketArn };
      },
    };
  }
}
