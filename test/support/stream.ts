/**
 * Records onto a local stack's ingest stream, as producers send them: PutRecords of at most 500, each
 * payload as JSON (a string as it is: poison records), every entry accepted or the call fails the test.
 */
import { PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { kinesisClient } from '../../src/aws/clients.js';
import type { LocalStack } from '../../src/local/stack.js';

export async function putOnStream(
  stack: Pick<LocalStack, 'clientEnv' | 'info'>,
  payloads: readonly unknown[],
  partitionKey: (payload: unknown, index: number) => string = (_, i) => `key-${i}`,
): Promise<void> {
  const kinesis = kinesisClient(stack.clientEnv);
  for (let i = 0; i < payloads.length; i += 500) {
    const result = await kinesis.send(
      new PutRecordsCommand({
        StreamName: stack.info.resources.streamName,
        Records: payloads.slice(i, i + 500).map((p, j) => ({
          Data: Buffer.from(typeof p === 'string' ? p : JSON.stringify(p)),
          PartitionKey: partitionKey(p, i + j),
        })),
      }),
    );
    if (result.FailedRecordCount) throw new Error(`${result.FailedRecordCount} of the records put were refused`);
  }
}
