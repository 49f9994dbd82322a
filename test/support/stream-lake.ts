/**
 * A lake written as the lake writer writes it, from stream records: the
 * records are decoded with the lake's own (longer) lateness bound and written
 * as Parquet per event-time partition, in files of up to 500 rows like writer
 * batches. For tests of the offline SQL against the online path.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createRecordDecoder, type StreamRecord, type ValidEvent } from '../../src/domain/records.js';
import type { EventSource } from '../../src/features/define.js';
import { toRow } from '../../src/lake/lake-writer.js';
import { partitionPath } from '../../src/lake/layout.js';
import { encodeParquet } from '../../src/lake/parquet/index.js';
import { lakeTables } from '../../src/lake/tables.js';
import { directoryStorage } from '../../src/query/lake-storage.js';
import { type LocalLake, openLocalLake } from '../../src/query/local-engine.js';

export interface Bounds {
  readonly maxLatenessSeconds: number;
  readonly maxClockSkewSeconds: number;
}

/** The aggregator's and the lake writer's bounds in the base environment (lib/config/environments.ts). */
export const AGGREGATOR_BOUNDS: Bounds = { maxLatenessSeconds: 86_400, maxClockSkewSeconds: 300 };
export const LAKE_BOUNDS: Bounds = { maxLatenessSeconds: 7 * 86_400, maxClockSkewSeconds: 300 };

/** The events a consumer with these bounds accepts, in stream order. */
export function accepted(sources: readonly EventSource[], records: readonly StreamRecord[], bounds: Bounds): ValidEvent[] {
  const decode = createRecordDecoder(sources, {
    maxLatenessMs: bounds.maxLatenessSeconds * 1000,
    maxClockSkewMs: bounds.maxClockSkewSeconds * 1000,
  });
  return records.flatMap((r) => {
    const decoded = decode(r);
    return decoded.ok ? [decoded.event] : [];
  });
}

/** Writes the lake and opens it with the local engine; `close` removes it. */
export async function writeStreamLake(
  sources: readonly EventSource[],
  records: readonly StreamRecord[],
): Promise<{ lake: LocalLake; root: string; rows: number; close(): void }> {
  const root = mkdtempSync(path.join(tmpdir(), 'featurelake-stream-lake-'));
  const storage = directoryStorage(root);
  const tables = lakeTables(sources, { timePartitioning: 'hour' });
  const inLake = accepted(sources, records, LAKE_BOUNDS);
  const files = new Map<string, { source: EventSource; rows: Record<string, unknown>[] }>();
  inLake.forEach((event, i) => {
    const table = tables.find((t) => t.name === event.source);
    if (!table?.scheme || !table.source) throw new Error(`no events table for ${event.source}`);
    const row = toRow(table.source, event);
    const key = `${partitionPath(table.name, table.scheme, event.eventTimeMs, row)}batch-${Math.floor(i / 500)}.parquet`;
    const file = files.get(key) ?? { source: table.source, rows: [] };
    file.rows.push(row);
    files.set(key, file);
  });
  for (const [key, file] of files) {
    const table = tables.find((t) => t.source === file.source);
    await storage.put(key, await encodeParquet(table?.columns ?? [], file.rows, 'snappy'));
  }
  const lake = await openLocalLake({ storage, tables });
  return {
    lake,
    root,
    rows: inLake.length,
    close() {
      lake.close();
      rmSync(root, { recursive: true, force: true });
    },
  };
}

/** Stream records of JSON events, ordered by arrival as Kinesis orders them, sequence numbers increasing. */
export function streamRecords(sent: readonly { data: Record<string, unknown>; arrivalMs: number }[]): StreamRecord[] {
  return [...sent]
    .sort((a, b) => a.arrivalMs - b.arrivalMs)
    .map((s, i) => ({
      data: Buffer.from(JSON.stringify(s.data)).toString('base64'),
      sequenceNumber: String(49_000_000_000_000_000n + BigInt(i) * 7n),
      partitionKey: String(Object.values(s.data)[1]),
      shardId: 'shardId-000000000000',
      arrivalTimeMs: s.arrivalMs,
    }));
}
