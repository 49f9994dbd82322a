/** What every stream consumer's handler shares: the Lambda event's records, the policy, the batch response. */
import type { Logger } from '@aws-lambda-powertools/logger';
import type { KinesisStreamBatchResponse, KinesisStreamRecord } from 'aws-lambda';
import type { StreamRecord, ValidationPolicy } from '../domain/records.js';
import { type Env, numberEnv } from './env.js';

/** The Lambda Kinesis event's records as the domain's stream records. */
export function toStreamRecord(record: KinesisStreamRecord): StreamRecord {
  return {
    data: record.kinesis.data,
    sequenceNumber: record.kinesis.sequenceNumber,
    partitionKey: record.kinesis.partitionKey,
    // eventID is `<shard id>:<sequence number>`.
    shardId: record.eventID.slice(0, record.eventID.indexOf(':')),
    arrivalTimeMs: Math.round(record.kinesis.approximateArrivalTimestamp * 1000),
  };
}

/** A stream consumer's validation policy, from MAX_LATENESS_SECONDS and MAX_CLOCK_SKEW_SECONDS. */
export function validationPolicyFromEnv(env: Env): ValidationPolicy {
  return {
    maxLatenessMs: numberEnv(env, 'MAX_LATENESS_SECONDS') * 1000,
    maxClockSkewMs: numberEnv(env, 'MAX_CLOCK_SKEW_SECONDS') * 1000,
  };
}

/** Records a batch set aside as invalid, over every reason. */
export function quarantinedCount(byReason: Readonly<Partial<Record<string, number>>>): number {
  return Object.values(byReason).reduce<number>((a, b) => a + (b ?? 0), 0);
}

/**
 * The end of a stream consumer's batch: logs what the quarantine took and the
 * outcome, and answers Lambda with the partial batch response (the lowest
 * sequence number to retry, per shard).
 */
export function batchResponse(
  logger: Logger,
  outcome: {
    readonly summary: { readonly quarantined: Readonly<Partial<Record<string, number>>> };
    readonly retryFrom: readonly string[];
    readonly firstError?: unknown;
  },
  doneMessage: string,
): KinesisStreamBatchResponse {
  const { summary, retryFrom, firstError } = outcome;
  if (quarantinedCount(summary.quarantined) > 0) logger.warn('records quarantined', { quarantined: summary.quarantined });
  if (retryFrom.length > 0) {
    logger.error('batch partially failed; asking for a retry', { retryFrom, summary, error: firstError as Error });
  } else {
    logger.info(doneMessage, { summary });
  }
  return { batchItemFailures: retryFrom.map((itemIdentifier) => ({ itemIdentifier })) };
}
