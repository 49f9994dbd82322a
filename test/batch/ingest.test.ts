/**
 * Batch ingest on the emulators (dynalite, s3rver): a real CSV and a real
 * Parquet file (written by DuckDB, not by the code under test) of seed 002's
 * user profiles → the newest row per user in the online table, the good rows
 * in the lake (read back with DuckDB), the bad rows in a quarantine report.
 * Re-ingesting is idempotent; an older file never overwrites newer values.
 * Expected values are written out by hand from the files' rows.
 */

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CreateTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { type DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dynamoDocumentClient, s3Client } from '../../src/aws/clients.js';
import { type BatchIngestTarget, ingestBatchFile } from '../../src/batch/ingest.js';
import { BatchFileError } from '../../src/batch/rows.js';
import { userProfiles } from '../../src/features/catalog.js';
import { encodeParquet } from '../../src/lake/parquet/index.js';
import { readFeatures } from '../../src/online-store/feature-reader.js';
import { onlineTableInput } from '../../src/online-store/tile-item.js';
import { duckdbQuery, sqlString } from '../support/duckdb.js';
import { useEmulators } from '../support/emulators.js';

let doc: DynamoDBDocumentClient;
let s3: S3Client;
let dir: string;
let s3Root: string;
let counter = 0;

useEmulators('featurelake-batch-', async (emulators) => {
  doc = dynamoDocumentClient(emulators.env);
  s3 = s3Client(emulators.env);
  s3Root = emulators.s3Directory;
});
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'featurelake-batch-files-'));
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** A fresh table and buckets per test. */
async function freshTarget() {
  const n = ++counter;
  const tableName = `online-${n}`;
  const lake = `lake-${n}`;
  const quarantine = `quarantine-${n}`;
  await (doc as unknown as DynamoDBClient).send(new CreateTableCommand(onlineTableInput(tableName)));
  await s3.send(new CreateBucketCommand({ Bucket: lake }));
  await s3.send(new CreateBucketCommand({ Bucket: quarantine }));
  const target: BatchIngestTarget = {
    doc,
    tableName,
    putLake: async (Key, Body) => {
      await s3.send(new PutObjectCommand({ Bucket: lake, Key, Body }));
    },
    putQuarantine: async (Key, Body) => {
      await s3.send(new PutObjectCommand({ Bucket: quarantine, Key, Body }));
    },
    scheme: () => ({ time: 'hour' }),
    compression: 'snappy',
    encode: encodeParquet,
  };
  return { target, tableName, lake, quarantine };
}

const PROFILES_CSV = [
  'user_id,age,country,subscription_tier,activity_weight,updated_at',
  'user_000001,34,DE,premium,1.5,2026-11-01T10:00:00Z',
  'user_000002,27,FR,free,,2026-11-02T09:30:00Z',
  'user_000001,35,DE,basic,0.75,2026-11-20T08:00:00Z', // newer row of user 1: wins
  'user_000003,7,US,free,1,2026-11-03T00:00:00Z', // too young
  'user_000004,41,Germany,premium,2,2026-11-03T00:00:00Z', // not an ISO code
  'user_000005,52,"US",gold,1,2026-11-03T00:00:00Z', // unknown tier
  'user_000006,thirty,US,free,1,2026-11-03T00:00:00Z', // not a number
  'user_000007,30,US,free,1', // a field short
  'user_000008,60,JP,basic,0.5,2026-11-04 12:00:00', // zone-less time: UTC
].join('\n');

const csvPath = () => {
  const file = path.join(dir, `profiles-${counter}.csv`);
  writeFileSync(file, `${PROFILES_CSV}\n`);
  return file;
};

const ingest = (target: BatchIngestTarget, file: string, uploadTimeMs = Date.parse('2026-11-25T00:00:00Z')) =>
  ingestBatchFile(
    { source: userProfiles, body: readFileSync(file), name: path.basename(file), origin: file, uploadTimeMs },
    target,
  );

async function served(tableName: string, user: string) {
  const values = (await readFeatures(user, [], Date.now(), { doc, tableName }, [userProfiles])).user_profiles;
  if (!values) throw new Error('no user_profiles in the answer');
  return values;
}

async function lakeRows(lake: string) {
  const glob = path.join(s3Root, lake, 'events', 'user_profiles', '**', '*.parquet._S3rver_object');
  return duckdbQuery(
    `SELECT user_id, age, country, subscription_tier, activity_weight, epoch_ms(updated_at) AS updated_ms, record_id
       FROM read_parquet(${sqlString(glob)}) ORDER BY user_id, updated_ms`,
  );
}

describe('batch ingest of user profiles (seed 002)', () => {
  it('CSV: keeps the good rows, reports each bad one with its line and reason, serves the newest row per user', async () => {
    const { target, tableName, lake, quarantine } = await freshTarget();
    const summary = await ingest(target, csvPath());
    expect(summary.rowsKept).toBe(4);
    expect(summary.rowsRejected).toBe(5);
    expect(summary.firstRejections.map((r) => r.line)).toEqual([5, 6, 7, 8, 9]);
    expect(summary.firstRejections[0]?.reason).toMatch(/^age: /);
    expect(summary.firstRejections[1]?.reason).toMatch(/^country: /);
    expect(summary.firstRejections[2]?.reason).toMatch(/^subscription_tier: /);
    expect(summary.firstRejections[3]?.reason).toMatch(/^age: /);
    expect(summary.firstRejections[4]?.reason).toMatch(/expected 6 fields/);
    expect(summary.entities).toBe(3);
    expect(summary.entitiesWritten).toBe(3);

    expect(await served(tableName, 'user_000001')).toEqual({
      features: { age: 35, country: 'DE', subscription_tier: 'basic', activity_weight: 0.75 },
      freshness: {
        age: '2026-11-20T08:00:00.000Z',
        country: '2026-11-20T08:00:00.000Z',
        subscription_tier: '2026-11-20T08:00:00.000Z',
        activity_weight: '2026-11-20T08:00:00.000Z',
      },
    });
    const two = await served(tableName, 'user_000002');
    expect(two.features).toEqual({ age: 27, country: 'FR', subscription_tier: 'free', activity_weight: null });
    expect((await served(tableName, 'user_000008')).freshness.age).toBe('2026-11-04T12:00:00.000Z');
    const unknown = await served(tableName, 'nobody');
    expect(unknown.features).toEqual({ age: null, country: null, subscription_tier: null, activity_weight: null });
    expect(unknown.freshness.age).toBeNull();

    // Every good row in the lake, once, in the partition of the file's newest as-of time.
    expect(summary.lakeKeys).toHaveLength(1);
    expect(summary.lakeKeys[0]).toMatch(/^events\/user_profiles\/dt=2026-11-20\/hr=08\/batch-[0-9a-f]{16}-00000\.parquet$/);
    const rows = await lakeRows(lake);
    expect(rows.map((r) => [r.user_id, r.age, r.activity_weight, Number(r.updated_ms)])).toEqual([
      ['user_000001', 34n, 1.5, Date.parse('2026-11-01T10:00:00Z')],
      ['user_000001', 35n, 0.75, Date.parse('2026-11-20T08:00:00Z')],
      ['user_000002', 27n, null, Date.parse('2026-11-02T09:30:00Z')],
      ['user_000008', 60n, 0.5, Date.parse('2026-11-04T12:00:00Z')],
    ]);
    expect(rows.map((r) => String(r.record_id).replace(/^batch:[0-9a-f]{16}:/, ''))).toEqual(['2', '4', '3', '10']);

    // The report names every bad row.
    const report = JSON.parse(
      (await (
        await s3.send(new GetObjectCommand({ Bucket: quarantine, Key: summary.reportKey as string }))
      ).Body?.transformToString()) ?? '',
    );
    expect(summary.reportKey).toMatch(/^invalid\/consumer=batch-ingest\/source=user_profiles\/[0-9a-f]{16}\.json$/);
    expect(report).toMatchObject({ reason: 'invalid_rows', source: 'user_profiles', rowsKept: 4, rowsRejected: 5 });
    expect(report.rejected.map((r: { line: number }) => r.line)).toEqual([5, 6, 7, 8, 9]);
  });

  it('re-ingesting the same file writes nothing new: same lake keys, same rows, no online write', async () => {
    const { target, tableName, lake } = await freshTarget();
    const file = csvPath();
    const first = await ingest(target, file);
    const before = await doc.send(new ScanCommand({ TableName: tableName }));
    const again = await ingest(target, file, Date.parse('2026-11-26T00:00:00Z'));
    expect(again.runId).toBe(first.runId);
    expect(again.lakeKeys).toEqual(first.lakeKeys);
    expect(again.entitiesWritten).toBe(0);
    expect(again.entitiesNotNewer).toBe(3);
    expect((await doc.send(new ScanCommand({ TableName: tableName }))).Items).toEqual(before.Items);
    expect(await lakeRows(lake)).toHaveLength(4);
  });

  it('an older file ingested after a newer one does not overwrite newer values; its newer rows still win', async () => {
    const { target, tableName } = await freshTarget();
    await ingest(target, csvPath());
    const older = path.join(dir, 'older.csv');
    writeFileSync(
      older,
      [
        'user_id,age,country,subscription_tier,updated_at',
        'user_000001,33,AT,free,2026-10-01T00:00:00Z', // older than the stored row of 2026-11-20
        'user_000002,28,FR,premium,2026-11-10T00:00:00Z', // newer than the stored row of 2026-11-02
      ].join('\n'),
    );
    const summary = await ingest(target, older);
    expect(summary).toMatchObject({ rowsKept: 2, rowsRejected: 0, entitiesWritten: 1, entitiesNotNewer: 1 });
    expect(summary.reportKey).toBeUndefined();
    expect((await served(tableName, 'user_000001')).features.age).toBe(35);
    expect((await served(tableName, 'user_000002')).features).toEqual({
      age: 28,
      country: 'FR',
      subscription_tier: 'premium',
      activity_weight: null,
    });
    expect((await served(tableName, 'user_000002')).freshness.age).toBe('2026-11-10T00:00:00.000Z');
  });

  it('Parquet written by DuckDB: typed columns (int64, double, timestamp) read, validated and served', async () => {
    const { target, tableName, lake } = await freshTarget();
    const file = path.join(dir, 'profiles.parquet');
    await duckdbQuery(
      `COPY (SELECT * FROM (VALUES
         ('user_000010', 44::BIGINT, 'SE', 'premium', 2.5::DOUBLE, TIMESTAMPTZ '2026-11-21 07:00:00+00'),
         ('user_000011', 200::BIGINT, 'SE', 'free', 1.0::DOUBLE, TIMESTAMPTZ '2026-11-21 07:00:00+00'),
         ('user_000010', 43::BIGINT, 'SE', 'basic', NULL, TIMESTAMPTZ '2026-11-01 07:00:00+00'),
         ('user_000012', 19::BIGINT, 'BR', 'free', NULL, TIMESTAMPTZ '2026-11-22 23:59:59+00')
       ) AS t(user_id, age, country, subscription_tier, activity_weight, updated_at))
       TO ${sqlString(file)} (FORMAT parquet)`,
    );
    const summary = await ingest(target, file);
    expect(summary).toMatchObject({ rowsKept: 3, rowsRejected: 1, entities: 2, entitiesWritten: 2 });
    expect(summary.firstRejections).toEqual([{ line: 2, reason: expect.stringMatching(/^age: /) }]);
    expect(await served(tableName, 'user_000010')).toMatchObject({
      features: { age: 44, country: 'SE', subscription_tier: 'premium', activity_weight: 2.5 },
      freshness: { age: '2026-11-21T07:00:00.000Z' },
    });
    expect((await served(tableName, 'user_000012')).features.activity_weight).toBeNull();
    expect(summary.lakeKeys[0]).toMatch(/\/dt=2026-11-22\/hr=23\//);
    expect(await lakeRows(lake)).toHaveLength(3);
  });

  it('refuses a file as a whole when a required column is missing or the format is unknown', async () => {
    const { target } = await freshTarget();
    const missing = path.join(dir, 'missing.csv');
    writeFileSync(missing, 'user_id,age,updated_at\nuser_1,30,2026-11-01T00:00:00Z\n');
    await expect(ingest(target, missing)).rejects.toThrow(BatchFileError);
    await expect(ingest(target, missing)).rejects.toThrow(/required columns missing: country, subscription_tier/);
    const json = path.join(dir, 'profiles.json');
    writeFileSync(json, '{}');
    await expect(ingest(target, json)).rejects.toThrow(/expected \.csv or \.parquet/);
    const notParquet = path.join(dir, 'broken.parquet');
    writeFileSync(notParquet, 'PAR1 not really');
    await expect(ingest(target, notParquet)).rejects.toThrow(/not a readable Parquet file/);
  });
});
