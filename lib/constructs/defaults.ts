/**
 * The safe defaults every featurelake construct starts from, kept in one place
 * (as AWS Solutions Constructs keep theirs in core/*-defaults.ts): runtime,
 * architecture, encryption, TLS, public-access blocking, retention. A
 * construct's optional props override these; nothing else hard-codes them.
 */
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Architecture, Runtime } from 'aws-cdk-lib/aws-lambda';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { BlockPublicAccess, BucketEncryption, type BucketProps, ObjectOwnership } from 'aws-cdk-lib/aws-s3';
import type { StreamSettings } from '../config/environments.js';

/** Custom CloudWatch metrics namespace of the Powertools Metrics the handlers publish. */
export const METRICS_NAMESPACE = 'featurelake';

/**
 * The newest Node.js runtime aws-cdk-lib offers (cdk-nag AwsSolutions-L1 wants the latest).
 * test/infra/feature-function.test.ts fails when a CDK upgrade brings a newer one.
 */
export const NODE_RUNTIME = Runtime.NODEJS_24_X;

/** Graviton: cheaper per GB-second, and the bundle has no native code. */
export const ARCHITECTURE = Architecture.ARM_64;

/** A stream that scales itself and keeps a day of records for replays. */
export const DEFAULT_STREAM_SETTINGS: StreamSettings = { capacityMode: 'ON_DEMAND', retentionHours: 24 };

/** Removal policy of anything holding data: kept when the environment retains data, otherwise destroyed. */
export function dataRemovalPolicy(retainData: boolean): RemovalPolicy {
  return retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;
}

/** Days a quarantined record (or an S3 server access log) is kept: long enough to investigate and replay. */
export function quarantineRetention(retainData: boolean): Duration {
  return Duration.days(retainData ? 400 : 90);
}

/** CloudWatch Logs accepts only certain retention periods; the config's days must be one of them. */
export function logRetention(days: number): RetentionDays {
  const allowed = Object.values(RetentionDays).filter((v): v is RetentionDays => typeof v === 'number');
  if (!allowed.includes(days as RetentionDays)) {
    throw new Error(`log retention of ${days} days is not one CloudWatch Logs accepts: ${allowed.join(', ')}`);
  }
  return days as RetentionDays;
}

/**
 * Every bucket: SSE-S3 encryption, TLS 1.2+ only, all public access blocked, ACLs disabled.
 * SSE-S3 rather than KMS because S3 server access logging can only deliver to SSE-S3 buckets,
 * and the Lambda on-failure destination then needs no key grant.
 */
export function secureBucketProps(removalPolicy: RemovalPolicy): BucketProps {
  return {
    encryption: BucketEncryption.S3_MANAGED,
    enforceSSL: true,
    minimumTLSVersion: 1.2,
    blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
    objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
    removalPolicy,
    // A bucket that is destroyed with the stack must be emptied first, or the delete fails.
    autoDeleteObjects: removalPolicy === RemovalPolicy.DESTROY,
  };
}
