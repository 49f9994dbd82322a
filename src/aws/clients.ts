/**
 * AWS SDK clients for real AWS, LocalStack or the embedded emulators, chosen
 * by configuration alone: the standard AWS_ENDPOINT_URL and
 * AWS_ENDPOINT_URL_<SERVICE> variables. With no endpoint set, the SDK's
 * defaults apply unchanged. A custom endpoint additionally gets what
 * emulators need and AWS ignores: HTTP/1.1 for plain-http Kinesis, path-style
 * S3 addressing, and checksums only when an operation requires them.
 */
import http from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { AthenaClient } from '@aws-sdk/client-athena';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { Env } from './env.js';

export type Service = 'kinesis' | 'dynamodb' | 's3' | 'athena';

/** The endpoint override for a service, if any. */
export function endpointFor(service: Service, env: Env): string | undefined {
  return env[`AWS_ENDPOINT_URL_${service.toUpperCase()}`] || env.AWS_ENDPOINT_URL || undefined;
}

function common(service: Service, env: Env) {
  const endpoint = endpointFor(service, env);
  return {
    region: env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1',
    ...(endpoint
      ? {
          endpoint,
          requestHandler: new NodeHttpHandler({
            httpAgent: new http.Agent({ keepAlive: true, maxSockets: 64 }),
            httpsAgent: new HttpsAgent({ keepAlive: true, maxSockets: 64 }),
          }),
        }
      : {}),
    ...(endpoint && env.AWS_ACCESS_KEY_ID
      ? { credentials: { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY ?? '' } }
      : {}),
  };
}

export function kinesisClient(env: Env): KinesisClient {
  return new KinesisClient(common('kinesis', env));
}

/** Athena (LocalStack serves it too; the embedded stack uses the local DuckDB engine instead). */
export function athenaClient(env: Env): AthenaClient {
  return new AthenaClient(common('athena', env));
}

/**
 * How the online store's values cross into DynamoDB and back: every number is
 * a JavaScript double on both sides. Aggregation states hold doubles (a sum of
 * byte counts over a lifetime, a variance's sum of squared deviations) that
 * pass 2^53; the SDK's default refuses to write those and turns large integers
 * it reads into BigInt. DynamoDB keeps 38 significant digits, more than a
 * double has, so nothing is lost either way.
 */
export const DOCUMENT_TRANSLATION = {
  marshallOptions: { removeUndefinedValues: true, allowImpreciseNumbers: true },
  unmarshallOptions: { wrapNumbers: (value: string) => Number(value) },
} as const;

export function dynamoDocumentClient(env: Env): DynamoDBDocumentClient {
  // Copies: lib-dynamodb writes into the options it is given (convertTopLevelContainer and the like),
  // which would change what DOCUMENT_TRANSLATION means to anyone marshalling with it afterwards.
  return DynamoDBDocumentClient.from(new DynamoDBClient(common('dynamodb', env)), {
    marshallOptions: { ...DOCUMENT_TRANSLATION.marshallOptions },
    unmarshallOptions: { ...DOCUMENT_TRANSLATION.unmarshallOptions },
  });
}

export function s3Client(env: Env): S3Client {
  const custom = endpointFor('s3', env) !== undefined;
  return new S3Client({
    ...common('s3', env),
    ...(custom
      ? { forcePathStyle: true, requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' }
      : {}),
  });
}
