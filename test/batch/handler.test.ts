/**
 * The batch-ingest function fed garbage uploads on the emulators (dynalite,
 * s3rver): a file refused as a whole is reported in the quarantine with the
 * reason and not retried (the handler resolves); a malformed event throws,
 * naming what is missing; good rows beside garbage ones still land.
 * Expected reports and counts are written by hand from the uploads.
 */
import { CreateTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { createHandler } from '../../lambdas/batch-ingest/handler.js';
import { dynamoDocumentClient, s3Client } from '../../src/aws/clients.js';
import type { Env } from '../../src/aws/env.js';
import { objectCreatedEvent } from '../../src/batch/object-created.js';
import { exampleCatalog } from '../../src/features/catalog.js';
import { onlineTableInput } from '../../src/online-store/tile-item.js';
import { useEmulators } from '../support/emulators.js';

const LAKE = 'lake';
const QUARANTINE = 'quarantine';
const TABLE = 'online';
const AT = new Date('2026-11-25T00:00:00Z');
const HEADER = 'user_id,age,country,subscription_tier,activity_weight,updated_at';

let s3: S3Client;
let handler: ReturnType<typeof createHandler>;

useEmulators('featurelake-batch-handler-', async (emulators) => {
  s3 = s3Client(emulators.env);
  const doc = dynamoDocumentClient(emulators.env);
  await (doc as unknown as DynamoDBClient).send(new CreateTableCommand(onlineTableInput(TABLE)));
  await s3.send(new CreateBucketCommand({ Bucket: LAKE }));
  await s3.send(new CreateBucketCommand({ Bucket: QUARANTINE }));
  const env: Env = {
    ...emulators.env,
    LAKE_BUCKET: LAKE,
    QUARANTINE_BUCKET: QUARANTINE,
    TABLE_NAME: TABLE,
    TIME_PARTITIONING: 'hour',
    PARQUET_COMPRESSION: 'snappy',
    POWERTOOLS_LOG_LEVEL: 'SILENT',
    POWERTOOLS_METRICS_DISABLED: 'true',
  };
  handler = createHandler(env, { catalog: exampleCatalog });
});

async function upload(key: string, body: string | Uint8Array) {
  await s3.send(new PutObjectCommand({ Bucket: LAKE, Key: key, Body: body }));
  return handler(objectCreatedEvent(LAKE, key, AT));
}

async function report(key: string) {
  const object = await s3.send(new GetObjectCommand({ Bucket: QUARANTINE, Key: key }));
  return JSON.parse((await object.Body?.transformToString()) ?? '');
}

describe('batch-ingest handler fed garbage', () => {
  it.each([
    ['an empty CSV', 'sources/user_profiles/empty.csv', '', /empty\.csv: empty, or no header line/],
    ['binary garbage named .csv', 'sources/user_profiles/bin.csv', new Uint8Array([0, 1, 2, 255, 254, 10, 0]), /not CSV text/],
    ['a wrong header', 'sources/user_profiles/wrong.csv', 'id,age\nu1,30\n', /entity key user_id/],
    ['a truncated Parquet', 'sources/user_profiles/cut.parquet', 'PAR1\0\0\0', /not a readable Parquet file/],
    ['an unknown format', 'sources/user_profiles/p.xlsx', 'PK', /expected \.csv or \.parquet/],
  ])('%s: refused as a whole, reported, not retried', async (_what, key, body, message) => {
    const result = await upload(key, body);
    expect(result.files).toEqual([{ key, ok: false, reason: expect.stringMatching(message), reportKey: expect.any(String) }]);
    const file = result.files[0] as { reportKey: string };
    expect(file.reportKey).toMatch(/^invalid\/consumer=batch-ingest\/source=user_profiles\/[0-9a-f]{16}\.json$/);
    expect(await report(file.reportKey)).toMatchObject({
      reason: 'invalid_file',
      source: 'user_profiles',
      origin: `s3://${LAKE}/${key}`,
      uploadTime: AT.toISOString(),
      rowsKept: 0,
      detail: expect.stringMatching(message),
    });
  });

  it('an upload for an unknown batch source is reported under source=_unknown', async () => {
    const result = await upload('sources/shoe_sizes/a.csv', 'user_id,size\nu1,44\n');
    expect(result.files[0]).toMatchObject({ ok: false, reason: expect.stringMatching(/unknown batch source "shoe_sizes"/) });
    const { reportKey } = result.files[0] as { reportKey: string };
    expect(reportKey).toMatch(/^invalid\/consumer=batch-ingest\/source=_unknown\//);
    expect(await report(reportKey)).toMatchObject({ reason: 'invalid_file', source: null });
  });

  it('garbage rows are rejected; the good rows beside them are kept', async () => {
    const key = 'sources/user_profiles/mixed.csv';
    const result = await upload(
      key,
      [HEADER, '\u00ff\u00fe,,,', 'user_000001,34,DE,premium,1.5,2026-11-01T10:00:00Z', 'user_000002,1e999,DE,free,,x'].join(
        '\n',
      ),
    );
    expect(result.files[0]).toMatchObject({
      key,
      ok: true,
      rowsKept: 1,
      rowsRejected: 2,
      entitiesWritten: 1,
      firstRejections: [{ line: 2 }, { line: 4 }],
    });
  });

  it('a malformed event throws, naming what is missing (Lambda retries it, then the failure queue)', async () => {
    await expect(handler({} as never)).rejects.toThrow(/not an S3 Object Created event/);
    await expect(
      handler({ time: 'soon', detail: { bucket: { name: LAKE }, object: { key: 'sources/user_profiles/a.csv' } } }),
    ).rejects.toThrow(/time is not a time \("soon"\)/);
    await expect(handler(objectCreatedEvent('elsewhere', 'sources/user_profiles/a.csv', AT))).rejects.toThrow(
      /not in the lake bucket lake/,
    );
  });
});
