/**
 * Creates the template's streams, tables and buckets on the emulators.
 * What the emulators lack is left to the template and AWS: stream encryption
 * (kinesalite), TTL and point-in-time recovery (dynalite), bucket encryption,
 * public access blocks and lifecycle rules (s3rver).
 */
import { CreateTableCommand, type DynamoDBClient, waitUntilTableExists } from '@aws-sdk/client-dynamodb';
import { CreateStreamCommand, type KinesisClient, waitUntilStreamExists } from '@aws-sdk/client-kinesis';
import { CreateBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { LocalStackModel } from './template-model.js';

export interface ProvisionClients {
  readonly kinesis: KinesisClient;
  readonly doc: DynamoDBDocumentClient;
  readonly s3: S3Client;
}

export async function provision(model: LocalStackModel, { kinesis, doc, s3 }: ProvisionClients): Promise<void> {
  const dynamodb = doc as unknown as DynamoDBClient;
  await Promise.all([
    ...model.streams.map(async (stream) => {
      await kinesis.send(new CreateStreamCommand({ StreamName: stream.name, ShardCount: stream.shardCount }));
      await waitUntilStreamExists({ client: kinesis, maxWaitTime: 30, minDelay: 1 }, { StreamName: stream.name });
    }),
    ...model.tables.map(async (table) => {
      await dynamodb.send(
        new CreateTableCommand({
          TableName: table.name,
          KeySchema: table.keySchema,
          AttributeDefinitions: table.attributeDefinitions,
          BillingMode: 'PAY_PER_REQUEST',
        }),
      );
      await waitUntilTableExists({ client: dynamodb, maxWaitTime: 30, minDelay: 1 }, { TableName: table.name });
    }),
    ...model.buckets.map((bucket) => s3.send(new CreateBucketCommand({ Bucket: bucket.name }))),
  ]);
}
