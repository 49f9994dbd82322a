/**
 * cdk-nag acknowledgments shared by the constructs, each precise: it names the
 * exact finding (rule and resource) and says why it is acceptable.
 */
import { Stack, Validations } from 'aws-cdk-lib';
import type { IGrantable } from 'aws-cdk-lib/aws-iam';
import type { CfnBucket, IBucket } from 'aws-cdk-lib/aws-s3';
import { Construct, type IConstruct } from 'constructs';

/** Acknowledgments already made, per principal. */
const acknowledged = new WeakMap<IConstruct, Set<string>>();

/**
 * AwsSolutions-IAM5 for one `<bucket>/<prefix>*` object resource granted to `grantee`: object keys
 * under a prefix cannot be listed in a policy in advance; the action list stays explicit.
 */
export function acknowledgePrefixWildcard(
  scope: IConstruct,
  grantee: IGrantable,
  bucket: IBucket,
  prefix: string,
  why: string,
): void {
  const principal = grantee.grantPrincipal as unknown as IConstruct;
  if (!Construct.isConstruct(principal)) return;
  const cfnBucket = bucket.node.defaultChild as CfnBucket;
  const bucketId = Stack.of(scope).resolve(cfnBucket.logicalId) as string;
  const id = `AwsSolutions-IAM5[Resource::<${bucketId}.Arn>/${prefix}*]`;
  // Two grants on one prefix (read, then replace) need one acknowledgment.
  const done = acknowledged.get(principal) ?? new Set<string>();
  if (done.has(id)) return;
  acknowledged.set(principal, done.add(id));
  Validations.of(principal).acknowledge({
    id,
    reason: `Object actions are limited to the ${prefix} prefix of this bucket; object keys are not known in advance (${why}).`,
  });
}
