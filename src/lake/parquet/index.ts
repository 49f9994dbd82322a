/**
 * The lake's Parquet encoder: pure JavaScript, columnar, small in a Lambda
 * bundle. Column chunks are encoded by ./column-chunk.ts (typed arrays, no
 * BigInt); page headers, footer and snappy come from hyparquet-writer. Chosen
 * by measurement beside hyparquet-writer's own writer, parquetjs-lite,
 * @dsnp/parquetjs, parquet-wasm and DuckDB (docs/parquet-writer.md,
 * `npm run bench -- parquet`).
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
import type { RowGroup, SchemaElement } from 'hyparquet';
import { ByteWriter } from 'hyparquet-writer';
import { writeMetadata } from 'hyparquet-writer/src/metadata.js';
import { snappyCompress } from 'hyparquet-writer/src/snappy.js';
import type { LakeColumn } from '../columns.js';
import type { Compression, LakeRow } from '../lake-writer.js';
import { type Codec, type Compressor, type FileParts, writeColumnChunk } from './column-chunk.js';
import { type Gathered, gatherRowGroup } from './gather.js';

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

const MAGIC = new Uint8Array([0x50, 0x41, 0x52, 0x31]); // "PAR1"

/** Encodes rows as one Parquet file (a row group per ROW_GROUP_SIZE rows). */
export async function encodeParquet(
  columns: readonly LakeColumn[],
  rows: readonly LakeRow[],
  compression: Compression,
): Promise<Uint8Array> {
  const codec = CODECS[compression];
  const compress: Compressor | undefined =
    codec === 'SNAPPY' ? snappyCompress : codec === 'GZIP' ? gzip : codec === 'ZSTD' ? await zstdCompressor() : undefined;
  const elements = columns.map(schemaElement);
  const out: FileParts = { parts: [], offset: 0 };
  out.parts.push(MAGIC);
  out.offset = MAGIC.length;

  const rowGroups: RowGroup[] = [];
  for (let start = 0; start < rows.length; start += ROW_GROUP_SIZE) {
    const end = Math.min(rows.length, start + ROW_GROUP_SIZE);
    const groupStart = out.offset;
    const gathered = gatherRowGroup(columns, rows, start, end);
    const chunks = columns.map((column, i) =>
      writeColumnChunk(out, column, elements[i] as SchemaElement, gathered[i] as Gathered, end - start, {
        codec,
        ...(compress ? { compress } : {}),
      }),
    );
    rowGroups.push({
      columns: chunks,
      num_rows: BigInt(end - start),
      total_byte_size: chunks.reduce((sum, c) => sum + (c.meta_data?.total_uncompressed_size ?? 0n), 0n),
      total_compressed_size: BigInt(out.offset - groupStart),
      file_offset: BigInt(groupStart),
    });
  }

  const footer = new ByteWriter(4096);
  writeMetadata(footer, {
    version: 1,
    schema: [{ name: 'root', num_children: columns.length }, ...elements],
    num_rows: BigInt(rows.length),
    row_groups: rowGroups,
    created_by: 'featurelake',
    metadata_length: 0,
  });
  footer.appendBytes(MAGIC);
  out.parts.push(footer.getBytes());
  return Buffer.concat(out.parts);
}
