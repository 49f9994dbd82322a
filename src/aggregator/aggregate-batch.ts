/**
 * The stream aggregator's work on one batch of records, independent of how
 * the batch arrived (Lambda, the local event source mapping, a test):
 * decode and validate → quarantine the invalid → pre-aggregate into tiles →
 * apply them exactly once, one head write per entity and view (head-writer.ts)
 * → say where a retry must restart. Beside it, the data-quality counts of the
 * events it keeps and quarantines (src/quality/batch-quality.ts).
 */

import type { S3Client } from '@aws-sdk/client-s3';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { dedupingSources, repeatedEvents } from '../dedupe/first-occurrence.js';
import { groupBy } from '../domain/collections.js';
import {
  createRecordDecoder,
  padSequence,
  type RejectedRecord,
  type StreamRecord,
  type ValidationPolicy,
  type ValidEvent,
} from '../domain/records.js';
import { type CompiledView, compileView, TileBuilder } from '../domain/tiles.js';
import type { EventSource, FeatureView } from '../features/define.js';
import { HeadCache, writeHeads } from '../online-store/head-writer.js';
import { writeTiles } from '../online-store/tile-writer.js';
import { createQualityCheck, type QualityReport } from '../quality/batch-quality.js';
import { quarantine } from '../quarantine/quarantine.js';

export const CONSUMER = 'aggregator';

export interface AggregatorOptions {
  readonly doc: DynamoDBDocumentClient;
  readonly s3: S3Client;
  readonly tableName: string;
  readonly quarantineBucket: string;
  readonly policy: ValidationPolicy;
  /** Every source the stream may carry: events of a source no view reads are valid, just not aggregated. */
  readonly sources: readonly EventSource[];
  readonly views: readonly FeatureView[];
  /** UpdateItem calls in flight. @default 32 */
  readonly writeConcurrency?: number;
  /** Heads (one per entity and view) this process remembers between batches, so as not to read them again. @default 100,000 */
  readonly headCacheSize?: number;
  /**
   * `heads`: one head item per entity and view per batch (docs/online-store.md). `tiles`: one item per
   * tile touched, each read before it is written, the layout before the head; kept as the benchmark's
   * baseline (bench/units.ts), not for serving: the reader expects heads. @default 'heads'
   */
  readonly writePath?: 'heads' | 'tiles';
}

export interface BatchSummary {
  records: number;
  valid: number;
  quarantined: Partial<Record<RejectedRecord['reason'], number>>;
  tiles: number;
  tilesWritten: number;
  tilesAlreadyApplied: number;
  /** Tiles of late events that no window reads any more: not written. */
  tilesOutOfReach: number;
  writeConflicts: number;
  tilesFailed: number;
  quarantineFailures: number;
  /** Events dropped as repeats of an earlier one (sources with `dedupeBy`). */
  duplicates: number;
  /** Expectations' counts per source over the events kept and quarantined (the handler publishes them). */
  quality: QualityReport;
}

export interface BatchResult {
  readonly summary: BatchSummary;
  /** Sequence numbers to restart from, at most one per shard (the lowest failed); empty when all is done. */
  readonly retryFrom: readonly string[];
  /** The first error behind a retry, for logs. */
  readonly firstError?: unknown;
}

/** Builds the batch function once per process: sources, decoder and compiled views are reused. */
export function createAggregator(options: AggregatorOptions) {
  const decode = createRecordDecoder(options.sources, options.policy);
  const compiled = new Map<string, CompiledView>(options.views.map((v) => [v.name, compileView(v)]));
  const compiledList = [...compiled.values()];
  const heads = new HeadCache(options.headCacheSize ?? 100_000);
  const store = {
    doc: options.doc,
    tableName: options.tableName,
    ...(options.writeConcurrency ? { concurrency: options.writeConcurrency } : {}),
  };
  // Only what a view reads: deduplicating a source nothing aggregates would buy nothing.
  const dedupe = dedupingSources(options.sources.filter((s) => options.views.some((v) => v.source.name === s.name)));
  const quality = createQualityCheck(options.sources, options.views);

  return async function aggregateBatch(records: readonly StreamRecord[]): Promise<BatchResult> {
    const summary: BatchSummary = {
      records: records.length,
      valid: 0,
      quarantined: {},
      tiles: 0,
      tilesWritten: 0,
      tilesAlreadyApplied: 0,
      tilesOutOfReach: 0,
      writeConflicts: 0,
      tilesFailed: 0,
      quarantineFailures: 0,
      duplicates: 0,
      quality: [],
    };
    const retryFrom: string[] = [];
    let firstError: unknown;
    const checks = quality.start();

    for (const [shardId, shardRecords] of groupBy(records, (r) => r.shardId)) {
      const builder = new TileBuilder(compiledList);
      const rejected: RejectedRecord[] = [];
      let valid = 0;
      // With deduplicating sources, the batch's events are held until their repeats are known.
      const held: ValidEvent[] | undefined = dedupe.size > 0 ? [] : undefined;
      for (const record of shardRecords) {
        const decoded = decode(record);
        if (decoded.ok) {
          if (held) held.push(decoded.event);
          else {
            builder.add(decoded.event);
            checks.add(decoded.event);
          }
          valid++;
        } else rejected.push(decoded.rejected);
      }
      let repeated = new Set<string>();
      if (held) {
        try {
          repeated = await repeatedEvents(held, dedupe, { doc: options.doc, tableName: options.tableName, consumer: CONSUMER });
        } catch (error) {
          // Nothing of the shard's batch is applied yet: retry all of it.
          firstError ??= error;
          retryFrom.push((shardRecords[0] as StreamRecord).sequenceNumber);
          continue;
        }
        for (const event of held) {
          if (repeated.has(event.sequence)) continue;
          builder.add(event);
          checks.add(event);
        }
        summary.duplicates += repeated.size;
      }
      summary.valid += valid;
      for (const r of rejected) {
        summary.quarantined[r.reason] = (summary.quarantined[r.reason] ?? 0) + 1;
        checks.reject(r);
      }
      // Only a partly applied tile (an overlapping replay) needs the events again: the held ones when the
      // batch was deduplicated (already decoded), else decoded on demand.
      let events: ValidEvent[] | undefined;
      const replayEvents = () => {
        events ??= held
          ? held.filter((e) => !repeated.has(e.sequence))
          : shardRecords.flatMap((r) => {
              const d = decode(r);
              return d.ok ? [d.event] : [];
            });
        return events;
      };

      const tiles = [...builder.tiles.values()];
      summary.tiles += tiles.length;
      const [quarantineFailures, outcome] = await Promise.all([
        quarantine(rejected, { s3: options.s3, bucket: options.quarantineBucket, consumer: CONSUMER }),
        options.writePath === 'tiles'
          ? writeTiles(tiles, replayEvents, shardId, compiled, store).then((o) => ({ ...o, outOfReach: 0 }))
          : writeHeads(tiles, replayEvents, shardId, compiled, { ...store, cache: heads }),
      ]);
      summary.tilesWritten += outcome.written;
      summary.tilesAlreadyApplied += outcome.alreadyApplied;
      summary.tilesOutOfReach += outcome.outOfReach;
      summary.writeConflicts += outcome.conflicts;
      summary.tilesFailed += outcome.failed.length;
      summary.quarantineFailures += quarantineFailures.length;

      const restartPoints = [
        ...outcome.failed.map((f) => f.fromSequence),
        ...quarantineFailures.map((f) => padSequence(f.rejected.record.sequenceNumber)),
      ];
      if (restartPoints.length > 0) {
        firstError ??= outcome.failed[0]?.error ?? quarantineFailures[0]?.error;
        const lowest = [...restartPoints].sort()[0] as string; // padded sequence numbers: string order is numeric order
        const record = shardRecords.find((r) => padSequence(r.sequenceNumber) === lowest) as StreamRecord;
        retryFrom.push(record.sequenceNumber);
      }
    }
    summary.quality = checks.report();
    return { summary, retryFrom, ...(firstError === undefined ? {} : { firstError }) };
  };
}
