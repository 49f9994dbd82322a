/**
 * How a scheduled function's failures are kept: a run is never dropped
 * silently. Two failures, two mechanisms, one queue (SSE-SQS, TLS only,
 * kept 14 days):
 *  - EventBridge could not deliver the event (throttled past its retries,
 *    invoke denied): the rule target's dead-letter queue;
 *  - the run itself failed (error, timeout, out of memory) after Lambda's
 *    asynchronous retries: the function's on-failure destination (EventBridge
 *    counts the event delivered once Lambda has queued it).
 * SSE-SQS rather than a KMS key: neither EventBridge nor Lambda then needs key
 * permissions, and the AWS managed SQS key cannot be granted to EventBridge.
 */
import { Duration, Validations } from 'aws-cdk-lib';
import type { Rule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';

export interface ScheduledFailuresProps {
  /** What the schedule runs, for the cdk-nag acknowledgment ("the scheduled rollup"). */
  readonly what: string;
  /** Times Lambda retries a failed run, and EventBridge a failed delivery. */
  readonly retryAttempts: number;
  /** How long an event may wait for delivery or retries before it goes to the queue. */
  readonly maxEventAge: Duration;
}

/** Targets `rule` at `fn` with both failure paths ending in one new queue (`Failures`), which it returns. */
export function targetWithFailureQueue(scope: Construct, rule: Rule, fn: IFunction, props: ScheduledFailuresProps): Queue {
  const { retryAttempts, maxEventAge } = props;
  const failures = new Queue(scope, 'Failures', {
    encryption: QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
    retentionPeriod: Duration.days(14),
  });
  Validations.of(failures).acknowledge({
    id: 'AwsSolutions-SQS3',
    reason: `This queue is itself the dead-letter queue and on-failure destination of ${props.what}; nothing consumes it automatically, so it needs no dead-letter queue of its own.`,
  });
  fn.configureAsyncInvoke({ onFailure: new SqsDestination(failures), retryAttempts, maxEventAge });
  rule.addTarget(new LambdaFunction(fn, { deadLetterQueue: failures, retryAttempts, maxEventAge }));
  return failures;
}
