/**
 * The local Kinesis event source mapping, on kinesalite and s3rver, against
 * Lambda's documented semantics: batch size, partial batch responses, bisect
 * on error, bounded retries and the on-failure destination.
 */
import { CreateStreamCommand, PutRecordsCommand, waitUntilStreamExists } from '@aws-sdk/client-kinesis';
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import type { KinesisStreamEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { kinesisClient, s3Client } from '../../src/aws/clients.js';
import type { Emulators } from '../../src/local/emulators.js';
import { type KinesisHandler, LocalEventSourceMapping } from '../../src/local/event-source-mapping.js';
import type { EventSourceMappingModel } from '../../src/local/template-model.js';
import { useEmulators } from '../support/emulators.js';

let emulators: Emulators;
let n = 0;

useEmulators('featurelake-esm-', async (started) => {
  emulators = started;
});

const settings: EventSourceMappingModel = {
  functionLogicalId: 'Fn',
  streamLogicalId: 'Stream',
  batchSize: 10,
  maxBatchingWindowSeconds: 0,
  startingPosition: 'TRIM_HORIZON',
  bisectOnError: true,
  retryAttempts: 2,
  maxRecordAgeSeconds: -1,
  reportBatchItemFailures: true,
};

/** A fresh stream holding `count` records "0", "1", …, a bucket, and a mapping that calls `handler`. */
async function mapping(count: number, handler: KinesisHandler, overrides: Partial<EventSourceMappingModel> = {}) {
  const kinesis = kinesisClient(emulators.env);
  const s3 = s3Client(emulators.env);
  const streamName = `esm-${++n}`;
  await kinesis.send(new CreateStreamCommand({ StreamName: streamName, ShardCount: 1 }));
  await waitUntilStreamExists({ client: kinesis, maxWaitTime: 20, minDelay: 1 }, { StreamName: streamName });
  await s3.send(new CreateBucketCommand({ Bucket: streamName }));
  await kinesis.send(
    new PutRecordsCommand({
      StreamName: streamName,
      Records: Array.from({ length: count }, (_, i) => ({ Data: Buffer.from(String(i)), PartitionKey: 'k' })),
    }),
  );
  const esm = new LocalEventSourceMapping({
    kinesis,
    s3,
    streamName,
    streamArn: `arn:aws:kinesis:us-east-1:000000000000:stream/${streamName}`,
    functionArn: 'arn:aws:lambda:us-east-1:000000000000:function:test',
    settings: { ...settings, onFailureBucket: streamName, ...overrides },
    handler,
    idlePollMs: 20,
  });
  await esm.start();
  await esm.drain(30_000);
  await esm.stop();
  return { esm, s3, bucket: streamName };
}

const values = (event: KinesisStreamEvent) => event.Records.map((r) => Number(Buffer.from(r.kinesis.data, 'base64').toString()));

describe('local event source mapping', () => {
  it('delivers every record once, in order, in batches of at most batchSize', async () => {
    const batches: number[][] = [];
    await mapping(25, async (event) => {
      batches.push(values(event));
      return { batchItemFailures: [] };
    });
    expect(batches.map((b) => b.length)).toEqual([10, 10, 5]);
    expect(batches.flat()).toEqual(Array.from({ length: 25 }, (_, i) => i));
  });

  it('restarts from the lowest reported sequence number after a partial batch failure', async () => {
    const batches: number[][] = [];
    let failed = false;
    await mapping(10, async (event) => {
      batches.push(values(event));
      if (!failed) {
        failed = true;
        const record = event.Records[6];
        const other = event.Records[8];
        return {
          batchItemFailures: [
            { itemIdentifier: other?.kinesis.sequenceNumber as string },
            { itemIdentifier: record?.kinesis.sequenceNumber as string },
          ],
        };
      }
      return { batchItemFailures: [] };
    });
    expect(batches).toEqual([
      [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
      [6, 7, 8, 9],
    ]);
  });

  it('bisects a batch whose invocation throws, until the poison record is alone', async () => {
    const batches: number[][] = [];
    const { esm } = await mapping(
      8,
      async (event) => {
        batches.push(values(event));
        if (values(event).includes(5)) throw new Error('poison');
        return { batchItemFailures: [] };
      },
      { retryAttempts: 5 },
    );
    expect(batches.slice(0, 4)).toEqual([
      [0, 1, 2, 3, 4, 5, 6, 7],
      [0, 1, 2, 3],
      [4, 5, 6, 7],
      [4, 5],
    ]);
    expect(esm.stats.bisections).toBeGreaterThanOrEqual(3);
    // Everything except the poison record was eventually processed.
    const succeeded = new Set(batches.filter((b) => !b.includes(5)).flat());
    expect([...succeeded].sort()).toEqual([0, 1, 2, 3, 4, 6, 7]);
  });

  it('after the last retry, sends the batch with its payload to the on-failure destination and moves on', async () => {
    const seen: number[] = [];
    const { esm, s3, bucket } = await mapping(
      3,
      async (event) => {
        seen.push(...values(event));
        throw new Error('always fails');
      },
      { bisectOnError: false, retryAttempts: 2 },
    );
    expect(seen).toEqual([0, 1, 2, 0, 1, 2, 0, 1, 2]); // the first attempt and 2 retries
    expect(esm.stats.recordsToDestination).toBe(3);
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'aws/lambda/' }));
    expect(listed.KeyCount).toBe(1);
    const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: listed.Contents?.[0]?.Key }));
    const record = JSON.parse(await (object.Body as { transformToString(): Promise<string> }).transformToString());
    expect(record.requestContext.condition).toBe('RetryAttemptsExhausted');
    expect(record.KinesisBatchInfo.batchSize).toBe(3);
    expect(values(JSON.parse(record.payload))).toEqual([0, 1, 2]);
  });
});
