/**
 * Each construct on its own, with no optional props: the safe defaults of
 * lib/constructs/defaults.ts apply.
 */
import { App, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Bucket, type IBucket } from 'aws-cdk-lib/aws-s3';
import { describe, expect, it } from 'vitest';
import { IngestStream } from '../../lib/constructs/ingest-stream.js';
import { LakeCatalog } from '../../lib/constructs/lake-catalog.js';
import { OnlineStore } from '../../lib/constructs/online-store.js';
import { Quarantine } from '../../lib/constructs/quarantine.js';

function synth(build: (stack: Stack) => void): Template {
  const stack = new Stack(new App(), 'Defaults');
  build(stack);
  return Template.fromStack(stack);
}

describe('construct defaults', () => {
  it('IngestStream: on demand, 24 h, AWS managed key, deleted with the stack', () => {
    const t = synth((s) => new IngestStream(s, 'Ingest'));
    t.hasResource('AWS::Kinesis::Stream', {
      Properties: {
        StreamModeDetails: { StreamMode: 'ON_DEMAND' },
        RetentionPeriodHours: 24,
        StreamEncryption: { EncryptionType: 'KMS', KeyId: 'alias/aws/kinesis' },
        ShardCount: Match.absent(),
      },
      DeletionPolicy: 'Delete',
    });
  });

  it('OnlineStore: deleted with the stack, no deletion protection', () => {
    const t = synth((s) => new OnlineStore(s, 'Store'));
    t.hasResource('AWS::DynamoDB::Table', {
      Properties: Match.objectLike({ DeletionProtectionEnabled: false }),
      DeletionPolicy: 'Delete',
    });
  });

  it('Quarantine: 90-day expiry on both buckets; the quarantine is emptied and deleted with the stack', () => {
    const t = synth((s) => new Quarantine(s, 'Quarantine'));
    const buckets = Object.values(t.findResources('AWS::S3::Bucket'));
    expect(buckets).toHaveLength(2);
    for (const bucket of buckets) {
      expect(bucket.Properties.LifecycleConfiguration.Rules).toContainEqual(
        expect.objectContaining({ ExpirationInDays: 90, Status: 'Enabled' }),
      );
    }
    t.hasResource('AWS::S3::Bucket', {
      DeletionPolicy: 'Delete',
      Properties: Match.objectLike({ LoggingConfiguration: Match.anyValue() }),
    });
  });

  it('Quarantine: the access-log bucket outlives the stack and is never emptied on delete (BucketNotEmpty race)', () => {
    const t = synth((s) => new Quarantine(s, 'Quarantine'));
    const logBucketIds = Object.entries(t.findResources('AWS::S3::Bucket'))
      .filter(([, b]) => b.Properties.LoggingConfiguration === undefined)
      .map(([id]) => id);
    expect(logBucketIds).toHaveLength(1);
    const logBucket = t.toJSON().Resources[logBucketIds[0] as string];
    expect([logBucket.DeletionPolicy, logBucket.UpdateReplacePolicy]).toEqual(['Retain', 'Retain']);
    expect(logBucket.Properties.BucketName).toBeUndefined();
    // Exactly one empty-on-delete, and it is the quarantine bucket's, not the log bucket's.
    const autoDeletes = Object.values(t.findResources('Custom::S3AutoDeleteObjects'));
    expect(autoDeletes).toHaveLength(1);
    expect(autoDeletes[0]?.Properties.BucketName).not.toEqual({ Ref: logBucketIds[0] });
  });

  it('LakeCatalog: follows its bucket’s removal policy, RETAIN for an imported bucket, an explicit policy wins', () => {
    const glueDeletionPolicies = (t: Template) =>
      [...Object.values(t.findResources('AWS::Glue::Database')), ...Object.values(t.findResources('AWS::Glue::Table'))].map(
        (r) => r.DeletionPolicy,
      );
    const catalog = (s: Stack, bucket: IBucket, removalPolicy?: RemovalPolicy) =>
      new LakeCatalog(s, 'Catalog', {
        envName: 'test',
        bucket,
        sources: [],
        settings: { timePartitioning: 'hour', oldestPartitionDate: '2024-01-01' },
        ...(removalPolicy ? { removalPolicy } : {}),
      });
    const destroyed = synth((s) => catalog(s, new Bucket(s, 'Lake', { removalPolicy: RemovalPolicy.DESTROY })));
    expect(new Set(glueDeletionPolicies(destroyed))).toEqual(new Set(['Delete']));
    const imported = synth((s) => catalog(s, Bucket.fromBucketName(s, 'Lake', 'some-lake')));
    expect(new Set(glueDeletionPolicies(imported))).toEqual(new Set(['Retain']));
    const explicit = synth((s) => catalog(s, Bucket.fromBucketName(s, 'Lake', 'some-lake'), RemovalPolicy.DESTROY));
    expect(new Set(glueDeletionPolicies(explicit))).toEqual(new Set(['Delete']));
  });
});
