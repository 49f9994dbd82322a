/**
 * Garbage into the batch file reader and the upload event parser, no
 * emulators: each bad file is refused with a message naming what is wrong, or
 * its bad rows are rejected with their lines while every good row is kept.
 * Expected lines and reasons are written by hand from the inputs.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ObjectCreatedEvent, uploadedObjects } from '../../src/batch/object-created.js';
import { BatchFileError, readBatchFile } from '../../src/batch/rows.js';
import { userProfiles } from '../../src/features/catalog.js';
import { duckdbQuery, sqlString } from '../support/duckdb.js';

const HEADER = 'user_id,age,country,subscription_tier,activity_weight,updated_at';
const GOOD = 'user_000001,34,DE,premium,1.5,2026-11-01T10:00:00Z';
const UPLOAD = Date.parse('2026-11-25T00:00:00Z');

const read = (body: Uint8Array | string, fileName = 'profiles.csv') =>
  readBatchFile(userProfiles, typeof body === 'string' ? new TextEncoder().encode(body) : body, {
    fileName,
    format: fileName.endsWith('.parquet') ? 'parquet' : 'csv',
    uploadTimeMs: UPLOAD,
  });

let dir: string;
let parquet: Uint8Array;
beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'featurelake-batch-garbage-'));
  const file = path.join(dir, 'good.parquet');
  await duckdbQuery(
    `COPY (SELECT * FROM (VALUES
       ('user_000010', 44::BIGINT, 'SE', 'premium', 2.5::DOUBLE, TIMESTAMPTZ '2026-11-21 07:00:00+00')
     ) AS t(user_id, age, country, subscription_tier, activity_weight, updated_at)) TO ${sqlString(file)} (FORMAT parquet)`,
  );
  parquet = readFileSync(file);
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('batch files that are garbage as a whole are refused, naming why', () => {
  it('an empty CSV, or one of blank lines', async () => {
    await expect(read('')).rejects.toThrow(/profiles\.csv: empty, or no header line/);
    await expect(read('\n\n  \n')).rejects.toThrow(/profiles\.csv: empty, or no header line/);
  });

  it('binary garbage named .csv', async () => {
    const garbage = new Uint8Array(4096);
    for (let i = 0; i < garbage.length; i++) garbage[i] = (i * 131 + 7) % 256;
    await expect(read(garbage)).rejects.toThrow(BatchFileError);
    await expect(read(garbage)).rejects.toThrow(/profiles\.csv:1: not CSV text/);
  });

  it('a wrong header: no key, unknown columns, a column twice, rows without a header', async () => {
    await expect(read(`${GOOD}\n${GOOD}\n`)).rejects.toThrow(/profiles\.csv:1: .*entity key user_id/);
    await expect(read('id,age\nuser_1,30\n')).rejects.toThrow(/entity key user_id/);
    await expect(read(`${HEADER},shoe_size\n${GOOD},44\n`)).rejects.toThrow(/unknown columns shoe_size/);
    await expect(read(`${HEADER},age\n${GOOD},35\n`)).rejects.toThrow(/profiles\.csv:1: columns named twice: age$/);
  });

  it('truncated or foreign Parquet', async () => {
    await expect(read(parquet.subarray(0, parquet.length - 20), 'p.parquet')).rejects.toThrow(
      /p\.parquet: not a readable Parquet file/,
    );
    await expect(read(parquet.subarray(0, parquet.length / 2), 'p.parquet')).rejects.toThrow(/not a readable Parquet file/);
    await expect(read(new Uint8Array(0), 'p.parquet')).rejects.toThrow(/not a readable Parquet file/);
    await expect(read(new TextEncoder().encode(`${HEADER}\n${GOOD}\n`), 'p.parquet')).rejects.toThrow(
      /not a readable Parquet file/,
    );
  });

  it('Parquet with the wrong columns', async () => {
    const file = path.join(dir, 'wrong.parquet');
    await duckdbQuery(`COPY (SELECT 'u' AS id, 3 AS shoe_size) TO ${sqlString(file)} (FORMAT parquet)`);
    await expect(read(readFileSync(file), 'wrong.parquet')).rejects.toThrow(/wrong\.parquet: unknown columns id, shoe_size/);
  });
});

describe('garbage rows are rejected with their lines; no good row is lost', () => {
  it('odd and huge values between good rows', async () => {
    const longId = 'u'.repeat(129);
    const { rows, rejected } = await read(
      [
        HEADER,
        GOOD, // 2
        'user_000002,1e400,DE,free,1,2026-11-01T10:00:00Z', // 3: age Infinity
        'user_000003,99999999999999999999999,DE,free,1,2026-11-01T10:00:00Z', // 4: age out of range
        `${longId},30,DE,free,1,2026-11-01T10:00:00Z`, // 5: id too long
        'user_000004,30,DE,free,-1,2026-11-01T10:00:00Z', // 6: negative weight
        'user_000005,30,DE,free,1,not a time', // 7
        'user_000006,30,DE,free,1,2026-11-01T10:00:00Z,extra', // 8: a field too many
        'user_000007,"30,DE,free,1,2026-11-01T10:00:00Z', // 9: unterminated quote
        'user\u0000x,30,DE,free,1,2026-11-01T10:00:00Z', // 10: control character in the id
        '', // blank lines are skipped
        'user_000008,NaN,DE,free,1,2026-11-01T10:00:00Z', // 12
        'user_000009,30,DE,free,1e308,99999999999999999999', // 13: as-of beyond any date
        'user_000010,"30",DE,free,1,2026-11-01T10:00:00Z', // 14: a quoted number is a number
      ].join('\r\n'),
    );
    expect(rows.map((r) => [r.line, r.entityId])).toEqual([
      [2, 'user_000001'],
      [14, 'user_000010'],
    ]);
    expect(rejected.map((r) => r.line)).toEqual([3, 4, 5, 6, 7, 8, 9, 10, 12, 13]);
    expect(rejected.find((r) => r.line === 3)?.reason).toMatch(/^age: /);
    expect(rejected.find((r) => r.line === 5)?.reason).toMatch(/^user_id: /);
    expect(rejected.find((r) => r.line === 8)?.reason).toMatch(/expected 6 fields .* found 7/);
    expect(rejected.find((r) => r.line === 9)?.reason).toMatch(/unterminated quoted field/);
    expect(rejected.find((r) => r.line === 13)?.reason).toMatch(/updated_at/);
  });
});

describe('malformed upload events are refused, naming what is missing', () => {
  const at = '2026-11-25T00:00:00Z';
  it('accepts the EventBridge and S3 notification shapes', () => {
    expect(uploadedObjects({ time: at, detail: { bucket: { name: 'b' }, object: { key: 'sources/x/a b.csv' } } })).toEqual([
      { bucket: 'b', key: 'sources/x/a b.csv', timeMs: Date.parse(at) },
    ]);
    expect(
      uploadedObjects({
        Records: [{ eventTime: at, s3: { bucket: { name: 'b' }, object: { key: 'sources/x/a+b%2Bc.csv' } } }],
      }),
    ).toEqual([{ bucket: 'b', key: 'sources/x/a b+c.csv', timeMs: Date.parse(at) }]);
  });

  it.each([
    ['nothing', undefined, /not an S3 Object Created event/],
    ['an empty object', {}, /not an S3 Object Created event/],
    ['no object key', { time: at, detail: { bucket: { name: 'b' } } }, /detail\.object/],
    ['no time', { detail: { bucket: { name: 'b' }, object: { key: 'k' } } }, /time/],
    ['a bad time', { time: 'yesterday', detail: { bucket: { name: 'b' }, object: { key: 'k' } } }, /time.*yesterday/],
    ['a record without s3', { Records: [{ eventTime: at }] }, /Records\[0\].*s3/],
    [
      'a record with a bad time',
      { Records: [{ eventTime: 'x', s3: { bucket: { name: 'b' }, object: { key: 'k' } } }] },
      /Records\[0\].*eventTime/,
    ],
    [
      'a badly encoded key',
      { Records: [{ eventTime: at, s3: { bucket: { name: 'b' }, object: { key: '%E0%A4%A' } } }] },
      /Records\[0\].*key/,
    ],
  ])('%s', (_what, event, message) => {
    expect(() => uploadedObjects(event as unknown as ObjectCreatedEvent)).toThrow(message);
  });
});
