/**
 * The lake's Parquet encoder, read back by two independent readers (DuckDB and
 * hyparquet): every type with nulls under every codec, integers at the edges
 * of int64's safe range, Unicode, dictionary vs plain choice, several row
 * groups and pages, column statistics, and clear errors for bad values.
 * Expected values are computed from the input rows here, not by the encoder.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parquetMetadata, parquetReadObjects } from 'hyparquet';
import { afterAll, describe, expect, it } from 'vitest';
import type { LakeColumn } from '../../src/lake/columns.js';
import type { Compression, LakeRow } from '../../src/lake/lake-writer.js';
import { encodeParquet, ROW_GROUP_SIZE } from '../../src/lake/parquet/index.js';
import { duckdbQuery, sqlString } from '../support/duckdb.js';

const dir = mkdtempSync(path.join(tmpdir(), 'featurelake-parquet-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let files = 0;
function save(bytes: Uint8Array): string {
  const file = path.join(dir, `f${++files}.parquet`);
  writeFileSync(file, bytes);
  return sqlString(file);
}

const columns: LakeColumn[] = [
  { name: 'ts', type: 'timestamp', nullable: false },
  { name: 'n', type: 'bigint', nullable: true },
  { name: 'd', type: 'double', nullable: true },
  { name: 'b', type: 'boolean', nullable: true },
  { name: 's', type: 'string', nullable: true },
  { name: 'id', type: 'string', nullable: false },
];

const T0 = Date.parse('2026-03-01T12:00:00.000Z');
const INTS = [0, 1, -1, 2 ** 31, -(2 ** 31) - 1, 2 ** 32, -(2 ** 32) - 1, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER];
const DOUBLES = [0.5, -1.25, 1e300, -0, Number.POSITIVE_INFINITY, Math.PI];
const STRINGS = ['plain', 'accents é à ü', 'emoji 🚀🎧', 'tab\tand "quotes"', ''];

/** Every 7th row has nulls; values cycle through the edge cases. */
function sampleRows(count: number): LakeRow[] {
  return Array.from({ length: count }, (_, i) => {
    const nulls = i % 7 === 3;
    return {
      ts: T0 + i * 1_001,
      n: nulls ? null : (INTS[i % INTS.length] as number),
      d: nulls ? undefined : (DOUBLES[i % DOUBLES.length] as number),
      b: nulls ? null : i % 3 === 0,
      s: nulls ? null : i % 11 === 5 ? { nested: [i] } : (STRINGS[i % STRINGS.length] as string),
      id: `row-${i}`,
    };
  });
}

/** What a reader should return for a row: JSON text for objects in string columns, null for missing values. */
function expected(row: LakeRow) {
  const s = row.s;
  return {
    ts: row.ts,
    n: row.n ?? null,
    d: row.d ?? null,
    b: row.b ?? null,
    s: s === null || s === undefined ? null : typeof s === 'string' ? s : JSON.stringify(s),
    id: row.id,
  };
}

async function viaDuckdb(file: string) {
  const rows = await duckdbQuery(
    `SELECT epoch_ms(ts)::DOUBLE AS ts, n::VARCHAR AS n, d, b, s, id FROM read_parquet(${file}) ORDER BY ts`,
  );
  return rows.map((r) => ({ ...r, n: r.n === null ? null : Number(r.n as string) }));
}

describe('encodeParquet', () => {
  const rows = sampleRows(700);

  it.each<Compression>(['snappy', 'gzip', 'zstd', 'none'])('round-trips every type and null with %s', async (codec) => {
    const file = save(await encodeParquet(columns, rows, codec));
    expect(await viaDuckdb(file)).toEqual(rows.map(expected));
    const [meta] = await duckdbQuery(`SELECT DISTINCT compression FROM parquet_metadata(${file})`);
    expect(meta?.compression).toBe(codec === 'none' ? 'UNCOMPRESSED' : codec.toUpperCase());
  });

  it('writes types Athena reads: UTC millisecond timestamps, INT64, DOUBLE, BOOLEAN, UTF-8 strings', async () => {
    const file = save(await encodeParquet(columns, rows, 'snappy'));
    const schema = await duckdbQuery(
      `SELECT name, type, logical_type, repetition_type FROM parquet_schema(${file}) WHERE type IS NOT NULL`,
    );
    expect(Object.fromEntries(schema.map((c) => [c.name, [c.type, c.repetition_type]]))).toEqual({
      ts: ['INT64', 'REQUIRED'],
      n: ['INT64', 'OPTIONAL'],
      d: ['DOUBLE', 'OPTIONAL'],
      b: ['BOOLEAN', 'OPTIONAL'],
      s: ['BYTE_ARRAY', 'OPTIONAL'],
      id: ['BYTE_ARRAY', 'REQUIRED'],
    });
    const [described] = await duckdbQuery(`DESCRIBE SELECT ts FROM read_parquet(${file})`);
    expect(described?.column_type).toBe('TIMESTAMP WITH TIME ZONE');
  });

  it('is read the same by hyparquet, a second independent reader', async () => {
    const bytes = await encodeParquet(columns, rows, 'snappy');
    const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
    const read = await parquetReadObjects({ file });
    expect(
      read.map((r) => ({
        ...r,
        ts: (r.ts as Date).getTime(),
        n: r.n === null ? null : Number(r.n as bigint),
        b: r.b ?? null,
        d: r.d ?? null,
        s: r.s ?? null,
      })),
    ).toEqual(rows.map(expected));
  });

  it('dictionary-encodes repeating columns and writes unique ones plain', async () => {
    const file = save(await encodeParquet(columns, rows, 'snappy'));
    const encodings = await duckdbQuery(`SELECT path_in_schema AS c, encodings FROM parquet_metadata(${file})`);
    const byColumn = Object.fromEntries(encodings.map((e) => [e.c, e.encodings]));
    expect(byColumn.n).toContain('RLE_DICTIONARY');
    expect(byColumn.s).toContain('RLE_DICTIONARY');
    expect(byColumn.id).not.toContain('RLE_DICTIONARY');
    expect(byColumn.ts).not.toContain('RLE_DICTIONARY');
  });

  it('splits row groups and pages, keeping nulls in line with their rows', async () => {
    // 2.5 row groups; 60-byte unique strings make several 1 MiB pages per chunk; nulls fall on page edges.
    const count = Math.floor(ROW_GROUP_SIZE * 2.5);
    const big = Array.from({ length: count }, (_, i) => ({
      ts: T0 + i,
      n: i % 5 === 0 ? null : i,
      d: null,
      b: i % 2 === 0,
      s: i % 13 === 0 ? null : `${'x'.repeat(50)}-${i.toString().padStart(8, '0')}`,
      id: `id-${i}`,
    }));
    const file = save(await encodeParquet(columns, big, 'snappy'));
    const groups = await duckdbQuery(`SELECT count(DISTINCT row_group_id)::INTEGER AS g FROM parquet_metadata(${file})`);
    expect(groups[0]?.g).toBe(3);
    const [summary] = await duckdbQuery(
      `SELECT count(*)::INTEGER AS rows, count(n)::INTEGER AS n, sum(n)::DOUBLE AS n_sum, count(s)::INTEGER AS s,
              count(*) FILTER (WHERE s <> 'x' || repeat('x', 49) || '-' || lpad((epoch_ms(ts) - ${T0})::VARCHAR, 8, '0'))::INTEGER AS s_wrong,
              count(*) FILTER (WHERE b <> ((epoch_ms(ts) - ${T0}) % 2 = 0))::INTEGER AS b_wrong
       FROM read_parquet(${file})`,
    );
    const withN = big.filter((r) => r.n !== null);
    expect(summary).toEqual({
      rows: count,
      n: withN.length,
      n_sum: withN.reduce((a, r) => a + (r.n as number), 0),
      s: big.filter((r) => r.s !== null).length,
      s_wrong: 0,
      b_wrong: 0,
    });
  });

  it('writes min, max and null count per row group, so readers can skip row groups', async () => {
    const file = save(await encodeParquet(columns, rows, 'snappy'));
    const stats = await duckdbQuery(
      `SELECT path_in_schema AS c, stats_min_value AS min, stats_max_value AS max, stats_null_count::INTEGER AS nulls FROM parquet_metadata(${file})`,
    );
    const of = (c: string) => stats.find((s) => s.c === c);
    const present = rows.filter((r) => r.n !== null);
    expect(of('n')).toMatchObject({
      min: String(Math.min(...present.map((r) => r.n as number))),
      max: String(Math.max(...present.map((r) => r.n as number))),
      nulls: rows.length - present.length,
    });
    expect(of('ts')).toMatchObject({ nulls: 0 });
    expect(new Date(String(of('ts')?.min)).getTime()).toBe(T0);
    const strings = rows
      .map((r) => expected(r).s)
      .filter((s): s is string => s !== null)
      .sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    expect(of('s')).toMatchObject({ min: strings[0], max: strings[strings.length - 1] });
    expect(of('b')).toMatchObject({ min: 'false', max: 'true' });
  });

  it('writes a readable file with no rows', async () => {
    const bytes = await encodeParquet(columns, [], 'snappy');
    const file = save(bytes);
    expect(await duckdbQuery(`SELECT count(*)::INTEGER AS n FROM read_parquet(${file})`)).toEqual([{ n: 0 }]);
    expect(
      parquetMetadata(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer).num_rows,
    ).toBe(0n);
  });

  it('names the column and row of a missing or mistyped value', async () => {
    const good = sampleRows(3);
    await expect(encodeParquet(columns, [...good, { ...good[0], id: undefined }], 'snappy')).rejects.toThrow(
      'column id: row 3 has no value, and the column is required',
    );
    await expect(encodeParquet(columns, [{ ...good[0], n: 1.5 }], 'snappy')).rejects.toThrow(
      'column n: row 0 has 1.5, not a safe integer',
    );
    await expect(encodeParquet(columns, [{ ...good[0], n: 2 ** 60 }], 'snappy')).rejects.toThrow('not a safe integer');
    await expect(encodeParquet(columns, [{ ...good[0], b: 'yes' }], 'snappy')).rejects.toThrow(
      'column b: row 0 has "yes", not a boolean',
    );
  });
});
