/**
 * Applies pre-aggregated tiles to their own tile items, exactly once in effect:
 * the path of late events into closed tiles and of sketch tiles (the open tiles
 * of ordinary aggregations go through the head, head-writer.ts).
 *
 * Per call: one consistent BatchGetItem for every tile touched, then one
 * conditional UpdateItem per tile that still has unapplied events:
 *  - Idempotency: each item records, per shard, the highest sequence number
 *    applied (`wm#<shard>`). Events at or below it are skipped, so a retried,
 *    bisected or replayed batch adds only what was never added.
 *  - Concurrency: the write is conditional on the version read (`v`), so two
 *    writers can never both apply on top of the same state; on a conflict the
 *    tile is re-read and re-merged.
 * min, max and last cannot be expressed as DynamoDB update arithmetic, hence
 * read-merge-write rather than blind ADDs.
 *
 * Correctness needs each tile's events of one shard to arrive in sequence
 * order, which holds when the stream's partition key is the entity key (any
 * parallelization factor) or the parallelization factor is 1.
 */
import { type DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { forEachConcurrent } from '../domain/concurrency.js';
import type { ValidEvent } from '../domain/records.js';
import { type CompiledView, type Tile, unappliedPart } from '../domain/tiles.js';
import type { Aggregation } from '../features/define.js';
import { type AggregationState, opsOf } from '../features/kinds/index.js';
import { batchGetAll } from './batch-get.js';
import { isSketch, SKETCH_SUFFIX } from './head-item.js';
import {
  FRESHNESS_ATTRIBUTE,
  KEY,
  STATES_ATTRIBUTE,
  statesFromItem,
  statesToAttribute,
  TTL_ATTRIBUTE,
  tileExpiresAt,
  tileKey,
  VERSION_ATTRIBUTE,
  watermarkAttribute,
} from './tile-item.js';

export interface TileWriterOptions {
  readonly doc: DynamoDBDocumentClient;
  readonly tableName: string;
  /** UpdateItem calls in flight. @default 32 */
  readonly concurrency?: number;
  /** Re-reads after a version conflict before the tile is reported failed. @default 3 */
  readonly maxConflictRetries?: number;
  /**
   * Which aggregations the items hold: all, the ordinary ones (closed tile items beside the head) or
   * the sketches (sketch tiles, sort key + "#k"). @default 'all'
   */
  readonly part?: 'all' | 'ordinary' | 'sketch';
}

export interface FailedTile {
  readonly tile: Tile;
  /** Lowest sequence number (padded) of the tile's events not yet applied: where a retry must restart. */
  readonly fromSequence: string;
  readonly error: unknown;
}

export interface TileWriteOutcome {
  /** Tiles written. */
  written: number;
  /** Tiles whose events were all applied before (a retry or replay). */
  alreadyApplied: number;
  /** Version conflicts resolved by re-reading. */
  conflicts: number;
  failed: FailedTile[];
}

export async function writeTiles(
  tiles: readonly Tile[],
  /** The batch's valid events the tiles were folded from; asked for only when a tile was partly applied. */
  events: () => readonly ValidEvent[],
  shardId: string,
  compiledViews: ReadonlyMap<string, CompiledView>,
  options: TileWriterOptions,
): Promise<TileWriteOutcome> {
  const outcome: TileWriteOutcome = { written: 0, alreadyApplied: 0, conflicts: 0, failed: [] };
  if (tiles.length === 0) return outcome;
  const { doc, tableName } = options;
  const wmAttribute = watermarkAttribute(shardId);
  const names = { '#a': STATES_ATTRIBUTE, '#v': VERSION_ATTRIBUTE, '#wm': wmAttribute };
  const projection = `${KEY.partition}, ${KEY.sort}, #a, #v, #wm`;

  const part = options.part ?? 'all';
  const keep = part === 'all' ? () => true : part === 'sketch' ? isSketch : (a: Aggregation) => !isSketch(a);
  const suffix = part === 'sketch' ? SKETCH_SUFFIX : '';
  const keys = tiles.map((t) => {
    const key = tileKey(t.view, t.entityId, t.hopSeconds, t.startMs);
    return { pk: key.pk, sk: key.sk + suffix };
  });
  let prefetched: Map<string, Record<string, unknown>>;
  try {
    const items = await batchGetAll(doc, keys, { tableName, consistentRead: true, projection, names });
    prefetched = new Map(items.map((item) => [`${item[KEY.partition]}\u0000${item[KEY.sort]}`, item]));
  } catch (error) {
    outcome.failed.push(...tiles.map((tile) => ({ tile, fromSequence: tile.minSequence, error })));
    return outcome;
  }

  const maxConflictRetries = options.maxConflictRetries ?? 3;
  await forEachConcurrent(
    tiles.map((tile, i) => [tile, keys[i]] as const),
    options.concurrency ?? 32,
    async ([tile, key]) => {
      const compiled = compiledViews.get(tile.view.name) as CompiledView;
      let stored = prefetched.get(`${key?.pk}\u0000${key?.sk}`);
      let fromSequence = tile.minSequence;
      for (let attempt = 0; ; attempt++) {
        const unapplied = unappliedPart(tile, compiled, stored?.[wmAttribute] as string | undefined, events);
        if (!unapplied) {
          outcome.alreadyApplied++;
          return;
        }
        fromSequence = unapplied.minSequence;
        const storedStates = statesFromItem(tile.view, stored);
        const merged = tile.view.aggregations.map((agg, i) => {
          const ops = opsOf(agg);
          return ops.merge(storedStates[i] ?? ops.empty(), unapplied.states[i] as AggregationState);
        });
        const version = (stored?.[VERSION_ATTRIBUTE] as number | undefined) ?? 0;
        const expiresAt = tileExpiresAt(tile.view, tile.hopSeconds, tile.startMs);
        try {
          await doc.send(
            new UpdateCommand({
              TableName: tableName,
              Key: key,
              // A lifetime tile has no expiry attribute: DynamoDB's TTL never deletes it.
              UpdateExpression: `SET #a = :a, #v = :v, #wm = :wm, #fresh = :fresh${expiresAt === undefined ? '' : ', #ttl = :ttl'}`,
              ConditionExpression: stored ? '#v = :expected' : `attribute_not_exists(${KEY.partition})`,
              ExpressionAttributeNames: {
                ...names,
                '#fresh': FRESHNESS_ATTRIBUTE,
                ...(expiresAt === undefined ? {} : { '#ttl': TTL_ATTRIBUTE }),
              },
              ExpressionAttributeValues: {
                ':a': statesToAttribute(tile.view, merged, keep),
                ':v': version + 1,
                ':wm': unapplied.maxSequence,
                ':fresh': Math.max(0, ...merged.map((s) => s.t)),
                ...(expiresAt === undefined ? {} : { ':ttl': expiresAt }),
                ...(stored ? { ':expected': version } : {}),
              },
            }),
          );
          outcome.written++;
          return;
        } catch (error) {
          if ((error as Error).name !== 'ConditionalCheckFailedException' || attempt >= maxConflictRetries) {
            outcome.failed.push({ tile, fromSequence, error });
            return;
          }
          outcome.conflicts++;
          try {
            const reread = await doc.send(new GetCommand({ TableName: tableName, Key: key, ConsistentRead: true }));
            stored = reread.Item;
          } catch (readError) {
            outcome.failed.push({ tile, fromSequence, error: readError });
            return;
          }
        }
      }
    },
  );
  return outcome;
}
