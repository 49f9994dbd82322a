/**
 * One column chunk of a flat Parquet file: the lake's hot loop, written for
 * this job instead of taken from a general-purpose writer.
 *
 * Why not hyparquet-writer's own column writer: it takes INT64 values as
 * BigInt and compares, dictionary-keys and writes them as BigInt, which made
 * 80 % of the lake writer's time allocation and garbage collection
 * (docs/parquet-writer.md). The lake's columns are flat and of five types, so
 * this module reads the rows' plain numbers and strings straight into typed
 * arrays and bytes. hyparquet-writer still does the rest: thrift page headers
 * and footer, the RLE/bit-packed hybrid and snappy.
 *
 * Each chunk is dictionary-encoded (PLAIN dictionary page, RLE_DICTIONARY
 * indices) when a sample says values repeat and the dictionary stays under
 * DICTIONARY_LIMIT bytes; otherwise PLAIN. Data pages are version 1 with
 * RLE definition levels for nullable columns, at most PAGE_LIMIT bytes before
 * compression. Statistics (min, max, null count) are written for numbers,
 * booleans and dictionary-encoded strings, so readers can skip row groups.
 */
import type { ColumnChunk, Encoding, PageHeader, SchemaElement, Statistics } from 'hyparquet';
import { ByteWriter } from 'hyparquet-writer';
import { writePageHeader } from 'hyparquet-writer/src/datapage.js';
import { writeRleBitPackedHybrid } from 'hyparquet-writer/src/encoding.js';
import type { LakeColumn } from '../columns.js';
import type { Gathered } from './gather.js';

export type Compressor = (input: Uint8Array) => Uint8Array;

export type Codec = 'SNAPPY' | 'GZIP' | 'ZSTD' | 'UNCOMPRESSED';

/** Largest dictionary page (bytes, before compression); a column with more distinct values is written PLAIN. */
export const DICTIONARY_LIMIT = 1 << 20;
/** Largest data page (bytes, before compression), as parquet-mr's and Trino's default page size. */
export const PAGE_LIMIT = 1 << 20;
/** Values sampled to decide whether a chunk's values repeat enough for a dictionary. */
const SAMPLE = 1000;
/** A dictionary is tried unless more than this share of the sampled values is distinct (ids, event times). */
const SAMPLE_DISTINCT_RATIO = 0.9;

const TWO_32 = 4_294_967_296;

/** Where a chunk goes: the file's byte parts and the offset the next byte lands at. */
export interface FileParts {
  readonly parts: Uint8Array[];
  offset: number;
}

export interface ChunkOptions {
  readonly codec: Codec;
  readonly compress?: Compressor;
}

function append(out: FileParts, bytes: Uint8Array): void {
  out.parts.push(bytes);
  out.offset += bytes.length;
}

/** Whether a spread-out sample of the values repeats enough to try a dictionary. */
function repeats<T>(values: ArrayLike<T>, count: number): boolean {
  if (count === 0) return false;
  const n = Math.min(count, SAMPLE);
  const seen = new Set<T>();
  for (let i = 0; i < n; i++) seen.add(values[n === 1 ? 0 : Math.floor((i * (count - 1)) / (n - 1))] as T);
  return seen.size <= n * SAMPLE_DISTINCT_RATIO;
}

/** Dictionary indices for the values, or undefined when the dictionary outgrows `limit` entries. */
function dictionaryOf<T>(values: ArrayLike<T>, count: number, limit: number): { entries: T[]; indices: Int32Array } | undefined {
  const index = new Map<T, number>();
  const entries: T[] = [];
  const indices = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    const v = values[i] as T;
    let k = index.get(v);
    if (k === undefined) {
      if (entries.length >= limit) return undefined;
      k = entries.length;
      index.set(v, k);
      entries.push(v);
    }
    indices[i] = k;
  }
  return { entries, indices };
}

/** PLAIN INT64 (from safe integers, without BigInt) or DOUBLE. */
function plainNumbers(values: Float64Array, from: number, to: number, integer: boolean): Uint8Array {
  const n = to - from;
  if (!integer) return new Uint8Array(values.buffer.slice(from * 8, to * 8));
  const words = new Int32Array(n * 2);
  for (let i = 0; i < n; i++) {
    const v = values[from + i] as number;
    words[2 * i] = v; // the low word: storing into an Int32Array wraps modulo 2^32
    words[2 * i + 1] = Math.floor(v / TWO_32);
  }
  return new Uint8Array(words.buffer);
}

/** PLAIN BYTE_ARRAY: a 4-byte little-endian length, then the UTF-8 bytes, per value. */
function plainStrings(values: readonly string[], from: number, to: number): Uint8Array {
  let capacity = 0;
  for (let i = from; i < to; i++) capacity += 4 + 3 * (values[i] as string).length;
  const out = Buffer.allocUnsafe(capacity);
  let o = 0;
  for (let i = from; i < to; i++) {
    const written = out.write(values[i] as string, o + 4, 'utf8');
    out.writeUInt32LE(written, o);
    o += 4 + written;
  }
  return out.subarray(0, o);
}

/** PLAIN BOOLEAN: bit-packed, least significant bit first. */
function plainBooleans(values: Uint8Array, from: number, to: number): Uint8Array {
  const out = new Uint8Array(Math.ceil((to - from) / 8));
  for (let i = from; i < to; i++) {
    const bit = i - from;
    if (values[i]) out[bit >> 3] = (out[bit >> 3] as number) | (1 << (bit & 7));
  }
  return out;
}

function rleHybrid(values: ArrayLike<number>, bitWidth: number): Uint8Array {
  const w = new ByteWriter(Math.max(64, values.length >> 2));
  writeRleBitPackedHybrid(w, values as Int32Array, bitWidth);
  return w.getBytes();
}

function headerBytes(header: PageHeader): Uint8Array {
  const w = new ByteWriter(64);
  writePageHeader(w, header);
  return w.getBytes();
}

/** Writes one page (header, then the possibly compressed body); returns its uncompressed size incl. header. */
function writePage(
  out: FileParts,
  options: ChunkOptions,
  body: Uint8Array,
  header: (compressedSize: number) => PageHeader,
): number {
  const compressed = options.compress ? options.compress(body) : body;
  const head = headerBytes(header(compressed.length));
  append(out, head);
  append(out, compressed);
  return head.length + body.length;
}

/** Page boundaries: runs of values whose encoded size stays under PAGE_LIMIT. */
function pageRanges(count: number, sizeOf: (i: number) => number): Array<[number, number]> {
  const ranges: Array<[number, number]> = [];
  let from = 0;
  let bytes = 0;
  for (let i = 0; i < count; i++) {
    const size = sizeOf(i);
    if (bytes + size > PAGE_LIMIT && i > from) {
      ranges.push([from, i]);
      from = i;
      bytes = 0;
    }
    bytes += size;
  }
  ranges.push([from, count]);
  return ranges;
}

/** The row range of each page: its values' rows, with the nulls before them; trailing nulls go to the last page. */
function rowRanges(levels: Uint8Array | undefined, valueRanges: Array<[number, number]>, rows: number): Array<[number, number]> {
  if (!levels) return valueRanges;
  const ranges: Array<[number, number]> = [];
  let row = 0;
  let seen = 0;
  for (const [, to] of valueRanges) {
    const from = row;
    while (seen < to) seen += levels[row++] as number;
    ranges.push([from, row]);
  }
  (ranges[ranges.length - 1] as [number, number])[1] = rows;
  return ranges;
}

interface Encoded {
  readonly dictionary?: { readonly body: Uint8Array; readonly entries: number };
  /** Value bytes for values [from, to). */
  readonly page: (from: number, to: number) => Uint8Array;
  readonly sizeOf: (i: number) => number;
  readonly encoding: Encoding;
}

/**
 * Dictionary indices of integers within a small range, by direct lookup
 * instead of a Map (most metric and count columns): several times faster.
 */
function smallIntDictionary(
  values: Float64Array,
  count: number,
  min: number,
  max: number,
): { entries: number[]; indices: Int32Array } {
  const slot = new Int32Array(max - min + 1).fill(-1);
  const entries: number[] = [];
  const indices = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    const v = values[i] as number;
    let k = slot[v - min] as number;
    if (k < 0) {
      k = entries.length;
      slot[v - min] = k;
      entries.push(v);
    }
    indices[i] = k;
  }
  return { entries, indices };
}

/** Integer ranges up to this wide take the direct-lookup dictionary. */
const SMALL_RANGE = 1 << 16;

function numberEncoding(values: Float64Array, count: number, integer: boolean, stats: Statistics): Encoded {
  const [min, max] = [Number(stats.min_value), Number(stats.max_value)];
  const small = integer && count > 0 && max - min < SMALL_RANGE;
  const dict = !repeats(values, count)
    ? undefined
    : small
      ? smallIntDictionary(values, count, min, max)
      : dictionaryOf(values, count, DICTIONARY_LIMIT / 8);
  if (!dict || !pays(dict.entries.length * 8, dict.entries.length, count, count * 8)) {
    return { page: (f, t) => plainNumbers(values, f, t, integer), sizeOf: () => 8, encoding: 'PLAIN' };
  }
  const entries = Float64Array.from(dict.entries);
  return indexEncoding(dict.indices, plainNumbers(entries, 0, entries.length, integer), entries.length);
}

function stringEncoding(values: string[], count: number): Encoded & { readonly entries?: string[] } {
  // Each entry takes at least its 4-byte length: more entries than this cannot fit DICTIONARY_LIMIT.
  const dict = repeats(values, count) ? dictionaryOf(values, count, DICTIONARY_LIMIT / 4) : undefined;
  if (dict) {
    const body = plainStrings(dict.entries, 0, dict.entries.length);
    const plainBytes = values.reduce((n, v) => n + 4 + v.length, 0);
    if (body.length <= DICTIONARY_LIMIT && pays(body.length, dict.entries.length, count, plainBytes)) {
      return { ...indexEncoding(dict.indices, body, dict.entries.length), entries: dict.entries };
    }
  }
  return { page: (f, t) => plainStrings(values, f, t), sizeOf: (i) => 4 + (values[i] as string).length, encoding: 'PLAIN' };
}

/** Whether dictionary plus bit-packed indices come out smaller than the plain values. */
function pays(dictionaryBytes: number, entries: number, count: number, plainBytes: number): boolean {
  return dictionaryBytes + (count * bitWidthOf(entries)) / 8 < plainBytes;
}

/** At least one bit per index: some readers mishandle bit width 0. */
function bitWidthOf(entries: number): number {
  return Math.max(1, Math.ceil(Math.log2(entries)));
}

function indexEncoding(indices: Int32Array, dictionaryBody: Uint8Array, entries: number): Encoded {
  const bitWidth = bitWidthOf(entries);
  return {
    dictionary: { body: dictionaryBody, entries },
    page: (f, t) => {
      const rle = rleHybrid(indices.subarray(f, t), bitWidth);
      const out = new Uint8Array(1 + rle.length);
      out[0] = bitWidth;
      out.set(rle, 1);
      return out;
    },
    sizeOf: () => Math.ceil(bitWidth / 8),
    encoding: 'RLE_DICTIONARY',
  };
}

function numberStatistics(values: Float64Array, count: number, integer: boolean, nulls: number): Statistics {
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < count; i++) {
    const v = values[i] as number;
    if (Number.isNaN(v)) continue; // NaN takes no part in min and max
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const stats: Statistics = { null_count: BigInt(nulls) };
  if (min <= max) {
    // Parquet's rule for signed zero: a zero minimum is written as -0, a zero maximum as +0.
    stats.min_value = integer ? BigInt(min) : min === 0 ? -0 : min;
    stats.max_value = integer ? BigInt(max) : max === 0 ? 0 : max;
  }
  return stats;
}

/** Min and max in Parquet's order for strings: unsigned bytes of the UTF-8 encoding. */
function stringStatistics(entries: readonly string[] | undefined, nulls: number): Statistics {
  const stats: Statistics = { null_count: BigInt(nulls) };
  if (!entries?.length) return stats;
  let min = entries[0] as string;
  let max = min;
  let minBytes = Buffer.from(min);
  let maxBytes = minBytes;
  for (let i = 1; i < entries.length; i++) {
    const bytes = Buffer.from(entries[i] as string);
    if (Buffer.compare(bytes, minBytes) < 0) [min, minBytes] = [entries[i] as string, bytes];
    if (Buffer.compare(bytes, maxBytes) > 0) [max, maxBytes] = [entries[i] as string, bytes];
  }
  stats.min_value = min;
  stats.max_value = max;
  return stats;
}

function booleanStatistics(values: Uint8Array, count: number, nulls: number): Statistics {
  const stats: Statistics = { null_count: BigInt(nulls) };
  if (count === 0) return stats;
  let trues = 0;
  for (let i = 0; i < count; i++) trues += values[i] as number;
  stats.min_value = trues === count;
  stats.max_value = trues > 0;
  return stats;
}

/**
 * Writes one column of a row group (gathered by ./gather.ts) as a column chunk
 * at `out.offset` and returns its metadata for the footer.
 */
export function writeColumnChunk(
  out: FileParts,
  column: LakeColumn,
  element: SchemaElement,
  gathered: Gathered,
  rows: number,
  options: ChunkOptions,
): ColumnChunk {
  const chunkStart = out.offset;
  let encoded: Encoded;
  let statistics: Statistics;
  if (gathered.kind === 'string') {
    const e = stringEncoding(gathered.values, gathered.count);
    [encoded, statistics] = [e, stringStatistics(e.entries, gathered.nulls)];
  } else if (gathered.kind === 'boolean') {
    const { values } = gathered;
    encoded = { page: (f, t) => plainBooleans(values, f, t), sizeOf: () => 1 / 8, encoding: 'PLAIN' };
    statistics = booleanStatistics(values, gathered.count, gathered.nulls);
  } else {
    const integer = gathered.kind === 'integer';
    statistics = numberStatistics(gathered.values, gathered.count, integer, gathered.nulls);
    encoded = numberEncoding(gathered.values, gathered.count, integer, statistics);
  }

  let uncompressed = 0;
  let dictionaryPageOffset: bigint | undefined;
  if (encoded.dictionary) {
    const { body, entries } = encoded.dictionary;
    dictionaryPageOffset = BigInt(out.offset);
    uncompressed += writePage(out, options, body, (compressedSize) => ({
      type: 'DICTIONARY_PAGE',
      uncompressed_page_size: body.length,
      compressed_page_size: compressedSize,
      dictionary_page_header: { num_values: entries, encoding: 'PLAIN' },
    }));
  }

  const dataPageOffset = BigInt(out.offset);
  const valueRanges = pageRanges(gathered.count, encoded.sizeOf);
  const pageRows = rowRanges(gathered.levels, valueRanges, rows);
  for (let p = 0; p < valueRanges.length; p++) {
    const [from, to] = valueRanges[p] as [number, number];
    const [rowFrom, rowTo] = pageRows[p] as [number, number];
    const values = encoded.page(from, to);
    let body = values;
    if (gathered.levels) {
      const levels = rleHybrid(gathered.levels.subarray(rowFrom, rowTo), 1);
      body = new Uint8Array(4 + levels.length + values.length);
      new DataView(body.buffer).setUint32(0, levels.length, true);
      body.set(levels, 4);
      body.set(values, 4 + levels.length);
    }
    uncompressed += writePage(out, options, body, (compressedSize) => ({
      type: 'DATA_PAGE',
      uncompressed_page_size: body.length,
      compressed_page_size: compressedSize,
      data_page_header: {
        num_values: rowTo - rowFrom,
        encoding: encoded.encoding,
        definition_level_encoding: 'RLE',
        repetition_level_encoding: 'RLE',
      },
    }));
  }

  const encodings: Encoding[] = encoded.dictionary ? ['PLAIN', 'RLE', 'RLE_DICTIONARY'] : ['PLAIN', 'RLE'];
  return {
    file_offset: BigInt(chunkStart),
    meta_data: {
      type: element.type as NonNullable<SchemaElement['type']>,
      encodings,
      path_in_schema: [column.name],
      codec: options.codec,
      num_values: BigInt(rows),
      total_uncompressed_size: BigInt(uncompressed),
      total_compressed_size: BigInt(out.offset - chunkStart),
      data_page_offset: dataPageOffset,
      ...(dictionaryPageOffset === undefined ? {} : { dictionary_page_offset: dictionaryPageOffset }),
      statistics,
    },
  };
}
