/**
 * The lake's Parquet encoder, on hyparquet-writer: pure JavaScript, columnar,
 * small in a Lambda bundle, and measured beside parquetjs-lite, @dsnp/parquetjs,
 * parquet-wasm and DuckDB (docs/parquet-writer.md, `npm run bench -- parquet`).
 *
 * Types are the ones Athena engine v3 (Trino) and DuckDB read:
 *   timestamp → INT64 TIMESTAMP(MILLIS, isAdjustedToUTC)   bigint → INT64
 *   double → DOUBLE   boolean → BOOLEAN   string → BYTE_ARRAY UTF8 (STRING)
 * Nullable columns are OPTIONAL. Codecs: SNAPPY (built in), GZIP (node:zlib),
 * ZSTD (node:zlib's native zstd where the runtime has it, as Lambda's Node.js
 * 24 does; otherwise the zstd WebAssembly build, loaded on first use), or none.
 */

import * as zlib from 'node:zlib';
import { constants, gzipSync } from 'node:zlib';
import { ByteWriter, type ColumnSource, parquetWrite, type SchemaElement } from 'hyparquet-writer';
import type { LakeColumn } from '../columns.js';
import type { Compression, LakeRow } from '../lake-writer.js';

type Codec = 'SNAPPY' | 'GZIP' | 'ZSTD' | 'UNCOMPRESSED';
type Compressor = (input: Uint8Array) => Uint8Array;

const CODECS: Readonly<Record<Compression, Codec>> = { snappy: 'SNAPPY', gzip: 'GZIP', zstd: 'ZSTD', none: 'UNCOMPRESSED' };

/** Rows per row group: large enough for good compression and few footer entries, small enough to bound memory. */
export const ROW_GROUP_SIZE = 100_000;

const ZSTD_LEVEL = 3;

const gzip: Compressor = (input) => gzipSync(input, { level: constants.Z_DEFAULT_COMPRESSION });

let zstd: Compressor | undefined;

/** zstd: the runtime's own (Node.js ≥ 22.15) or the WebAssembly build. */
async function zstdCompressor(): Promise<Compressor> {
  if (zstd) return zstd;
  const native = (zlib as unknown as { zstdCompressSync?: (b: Uint8Array) => Buffer }).zstdCompressSync;
  if (native) {
    zstd = (input) => native(input);
  } else {
    const wasm = await import('@bokuweb/zstd-wasm');
    await wasm.init();
    zstd = (input) => wasm.compress(input, ZSTD_LEVEL);
  }
  return zstd;
}

function schemaElement(column: LakeColumn): SchemaElement {
  const repetition_type = column.nullable ? 'OPTIONAL' : 'REQUIRED';
  switch (column.type) {
    case 'timestamp':
      return {
        name: column.name,
        type: 'INT64',
        repetition_type,
        converted_type: 'TIMESTAMP_MILLIS',
        logical_type: { type: 'TIMESTAMP', isAdjustedToUTC: true, unit: 'MILLIS' },
      };
    case 'bigint':
      return { name: column.name, type: 'INT64', repetition_type };
    case 'double':
      return { name: column.name, type: 'DOUBLE', repetition_type };
    case 'boolean':
      return { name: column.name, type: 'BOOLEAN', repetition_type };
    default:
      return { name: column.name, type: 'BYTE_ARRAY', converted_type: 'UTF8', logical_type: { type: 'STRING' }, repetition_type };
  }
}

/** One column's values in the physical form hyparquet-writer takes (INT64 as bigint), nulls as null. */
function columnValues(column: LakeColumn, rows: readonly LakeRow[]): unknown[] {
  const { name } = column;
  const values = new Array<unknown>(rows.length);
  const int64 = column.type === 'timestamp' || column.type === 'bigint';
  for (let i = 0; i < rows.length; i++) {
    const v = (rows[i] as LakeRow)[name];
    if (v === undefined || v === null) {
      if (!column.nullable) throw new Error(`column ${name}: row ${i} has no value, and the column is required`);
      values[i] = null;
    } else if (int64) {
      values[i] = BigInt(v as number);
    } else if (column.type === 'string' && typeof v !== 'string') {
      // Anything else a string column receives (objects, numbers) is kept as JSON text.
      values[i] = JSON.stringify(v);
    } else {
      values[i] = v;
    }
  }
  return values;
}

/** Encodes rows as one Parquet file (a row group per ROW_GROUP_SIZE rows). */
export async function encodeParquet(
  columns: readonly LakeColumn[],
  rows: readonly LakeRow[],
  compression: Compression,
): Promise<Uint8Array> {
  const codec = CODECS[compression];
  const compressors: Partial<Record<Codec, Compressor>> = {};
  if (codec === 'GZIP') compressors.GZIP = gzip;
  if (codec === 'ZSTD') compressors.ZSTD = await zstdCompressor();

  const schema: SchemaElement[] = [{ name: 'root', num_children: columns.length }, ...columns.map(schemaElement)];
  const columnData: ColumnSource[] = columns.map((column) => ({
    name: column.name,
    data: columnValues(column, rows) as ColumnSource['data'],
    nullable: column.nullable,
  }));
  const writer = new ByteWriter();
  parquetWrite({
    writer,
    columnData,
    schema,
    codec,
    compressors,
    rowGroupSize: ROW_GROUP_SIZE,
    createdBy: 'featurelake (hyparquet-writer)',
  });
  return new Uint8Array(writer.getBuffer());
}
