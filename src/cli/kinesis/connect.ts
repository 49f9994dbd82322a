/**
 * The Kinesis side of `send` and `generate --send`: a client for the target,
 * a reachability check that fails fast with the endpoint in the message, and
 * the PutRecords function the sender uses.
 */
import { DescribeStreamSummaryCommand, type KinesisClient, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { kinesisClient } from '../../aws/clients.js';
import type { PutRecords } from '../../aws/put-records/retry.js';
import { runtimeError, unreachableReason } from '../errors.js';
import type { StreamTarget } from '../targets.js';

/** How long the first call may take before the endpoint counts as unreachable. */
const CONNECT_TIMEOUT_MS = 5_000;
/** A PutRecords call taking longer than this is abandoned (and fails the run). */
const REQUEST_TIMEOUT_MS = 60_000;

export interface KinesisConnection {
  readonly client: KinesisClient;
  readonly put: PutRecords;
}

/** Explains an SDK failure in terms of the target; the result exits 1. */
export function describeKinesisError(error: unknown, target: StreamTarget) {
  const reason = unreachableReason(error);
  if (reason) return runtimeError(`cannot reach Kinesis at ${target.endpoint} (${reason})`);
  const name = (error as { name?: string }).name ?? 'Error';
  if (name === 'ResourceNotFoundException') {
    return runtimeError(`stream "${target.streamName}" does not exist at ${target.endpoint}`);
  }
  if (name === 'CredentialsProviderError') {
    return runtimeError(`no AWS credentials for ${target.endpoint}: ${(error as Error).message}`);
  }
  return runtimeError(`Kinesis at ${target.endpoint} failed: ${name}: ${(error as Error).message}`);
}

/** Connects and checks the stream is there and active, within CONNECT_TIMEOUT_MS. */
export async function connectKinesis(target: StreamTarget): Promise<KinesisConnection> {
  const client = kinesisClient(target.env);
  try {
    const summary = await client.send(new DescribeStreamSummaryCommand({ StreamName: target.streamName }), {
      abortSignal: AbortSignal.timeout(CONNECT_TIMEOUT_MS),
    });
    const status = summary.StreamDescriptionSummary?.StreamStatus;
    if (status !== 'ACTIVE' && status !== 'UPDATING') {
      throw runtimeError(`stream "${target.streamName}" at ${target.endpoint} is ${status ?? 'in an unknown state'}, not ACTIVE`);
    }
  } catch (error) {
    client.destroy();
    if (error instanceof Error && error.name === 'CliError') throw error;
    throw describeKinesisError(error, target);
  }
  const put: PutRecords = (records) =>
    client.send(
      new PutRecordsCommand({
        StreamName: target.streamName,
        Records: records.map((r) => ({ Data: r.data, PartitionKey: r.partitionKey })),
      }),
      { abortSignal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) },
    );
  return { client, put };
}
